#include "crypto/keccak.h"

#include <string.h>

#include "crypto/keccak_round.h"

void kw_keccak_f1600(uint64_t A[25])
{
    for (int r = 0; r < 24; r++)
        KW_KECCAK_ROUND(A, r);
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void absorb_block(uint64_t st[25], const uint8_t *block)
{
    for (int i = 0; i < KW_KECCAK256_RATE / 8; i++)
        st[i] ^= load_le64(block + 8 * i);
    kw_keccak_f1600(st);
}

void kw_keccak_sponge256(const void *data, size_t n, uint8_t pad, uint8_t out[32])
{
    const uint8_t *p = data;
    uint64_t st[25] = {0};
    for (; n >= KW_KECCAK256_RATE; n -= KW_KECCAK256_RATE, p += KW_KECCAK256_RATE)
        absorb_block(st, p);
    uint8_t last[KW_KECCAK256_RATE] = {0};
    if (n)
        memcpy(last, p, n);
    last[n] ^= pad;
    last[KW_KECCAK256_RATE - 1] ^= 0x80;
    absorb_block(st, last);
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 8; b++)
            out[8 * i + b] = (uint8_t)(st[i] >> (8 * b));
}

void kw_keccak256(const void *data, size_t n, uint8_t out[32])
{
    kw_keccak_sponge256(data, n, 0x01, out);
}
