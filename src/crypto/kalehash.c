#include "crypto/kalehash.h"

#include <string.h>

#include "crypto/keccak.h"

#define KW_LANES 1
#define KW_SET1(k) ((uint64_t)(k))
#define KW_LOAD(p) (*(p))
#define KW_STORE(p, v) (*(p) = (v))
#define KW_FN(name) scalar_##name
#define KW_TARGET
#include "crypto/keccak_round.h"
#include "crypto/kalehash_kernel.h"

#if defined(__x86_64__) || defined(__i386__)
#define KW_HAVE_X86_PATHS 1
extern const kw_kalehash_path kw_kalehash_avx2_path;
extern const kw_kalehash_path kw_kalehash_avx512_path;
#endif

static const kw_kalehash_path scalar_path = {"scalar", 1, scalar_hash, scalar_search};

void kw_kalehash_preimage(uint32_t index, uint64_t nonce, const uint8_t entropy[32],
                          const uint8_t farmer[32], uint8_t out[KW_KALEHASH_PREIMAGE_LEN])
{
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(index >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        out[4 + i] = (uint8_t)(nonce >> (56 - 8 * i));
    memcpy(out + 12, entropy, 32);
    memcpy(out + 44, farmer, 32);
}

void kw_kalehash(uint32_t index, uint64_t nonce, const uint8_t entropy[32], const uint8_t farmer[32],
                 uint8_t out[32])
{
    uint8_t pre[KW_KALEHASH_PREIMAGE_LEN];
    kw_kalehash_preimage(index, nonce, entropy, farmer, pre);
    kw_keccak256(pre, sizeof pre, out);
}

unsigned kw_kalehash_zeros(const uint8_t hash[32])
{
    unsigned z = 0;
    for (int i = 0; i < 32; i++) {
        if (hash[i] == 0) {
            z += 2;
            continue;
        }
        return z + (hash[i] < 0x10);
    }
    return z;
}

void kw_kalehash_job_init(kw_kalehash_job *j, uint32_t index, const uint8_t entropy[32],
                          const uint8_t farmer[32])
{
    uint8_t block[KW_KECCAK256_RATE] = {0};
    kw_kalehash_preimage(index, 0, entropy, farmer, block);
    block[KW_KALEHASH_PREIMAGE_LEN] = 0x01;
    block[KW_KECCAK256_RATE - 1] = 0x80;
    memset(j, 0, sizeof *j);
    j->index = index;
    memcpy(j->entropy, entropy, 32);
    memcpy(j->farmer, farmer, 32);
    for (int i = 0; i < KW_KECCAK256_RATE / 8; i++)
        for (int b = 7; b >= 0; b--)
            j->lane[i] = j->lane[i] << 8 | block[8 * i + b];
    for (int i = 2; i < 25; i++)
        j->par[i % 5] ^= j->lane[i];
}

const kw_kalehash_path *kw_kalehash_path_get(kw_kalehash_path_id id)
{
    switch (id) {
    case KW_KALEHASH_SCALAR:
        return &scalar_path;
#ifdef KW_HAVE_X86_PATHS
    case KW_KALEHASH_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") ? &kw_kalehash_avx2_path : NULL;
    case KW_KALEHASH_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") ? &kw_kalehash_avx512_path : NULL;
#endif
    default:
        return NULL;
    }
}

int kw_kalehash_path_choose(const char *name, const kw_kalehash_path **out, kw_err *err)
{
    static const char *const names[KW_KALEHASH_NPATHS] = {"scalar", "avx2", "avx512"};
    if (!name || !*name || strcmp(name, "auto") == 0) {
        for (int id = KW_KALEHASH_NPATHS - 1; id >= 0; id--)
            if ((*out = kw_kalehash_path_get((kw_kalehash_path_id)id)))
                return 0;
        return kw_err_set(err, KW_EINTERNAL, "no Keccak path available");
    }
    for (int id = 0; id < KW_KALEHASH_NPATHS; id++) {
        if (strcmp(name, names[id]) != 0)
            continue;
        if (!(*out = kw_kalehash_path_get((kw_kalehash_path_id)id)))
            return kw_err_set(err, KW_ESTATE, "KALEWX_KECCAK=%s: this CPU does not support %s", name,
                              name);
        return 0;
    }
    return kw_err_set(err, KW_EINVAL, "KALEWX_KECCAK must be auto, scalar, avx2 or avx512, not \"%s\"",
                      name);
}
