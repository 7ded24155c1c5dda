#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <string.h>

#include "crypto/keccak.h"
#include "crypto/sha.h"

static void hex_is(const uint8_t *d, const char *want)
{
    char hex[65];
    kw_hex_encode(d, 32, hex);
    cr_assert_str_eq(hex, want);
}

Test(keccak, keccak256_vectors)
{
    uint8_t h[32];
    kw_keccak256("", 0, h);
    hex_is(h, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    kw_keccak256("abc", 3, h);
    hex_is(h, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    const char *fox = "The quick brown fox jumps over the lazy dog";
    kw_keccak256(fox, strlen(fox), h);
    hex_is(h, "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

Test(keccak, padding_is_not_sha3)
{
    uint8_t k[32], s[32];
    kw_keccak256("", 0, k);
    kw_keccak_sponge256("", 0, 0x06, s);
    hex_is(s, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    cr_assert_not(kw_ct_equal(k, s, 32));
}

/* The permutation and the multi-block absorb, checked against OpenSSL's
 * SHA3-256 (the same sponge with 0x06 padding) across every block boundary. */
Test(keccak, sponge_matches_openssl_sha3_across_block_boundaries)
{
    uint8_t msg[3 * KW_KECCAK256_RATE + 7];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    for (size_t n = 0; n <= sizeof msg; n++) {
        uint8_t ours[32], ref[32];
        unsigned len = 0;
        kw_keccak_sponge256(msg, n, 0x06, ours);
        cr_assert(EVP_Digest(msg, n, ref, &len, EVP_sha3_256(), NULL) == 1 && len == 32);
        cr_assert(memcmp(ours, ref, 32) == 0, "length %zu", n);
    }
}
