#include "crypto/apikey.h"

#include <string.h>

#include <sodium.h>

#include "crypto/sha.h"

#define PREFIX_LEN (sizeof KW_APIKEY_PREFIX - 1)
#define RAW_LEN 32

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

int kw_apikey_generate(char key[KW_APIKEY_BUFSZ], uint8_t hash[32], kw_err *err)
{
    uint8_t raw[RAW_LEN];
    if (sodium_init() < 0)
        return kw_err_set(err, KW_ECRYPTO, "libsodium failed to initialise");
    randombytes_buf(raw, sizeof raw);
    memcpy(key, KW_APIKEY_PREFIX, PREFIX_LEN);
    /* 256 bits = 51 full digits and one digit carrying the last bit. */
    size_t o = PREFIX_LEN;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < RAW_LEN; i++) {
        acc = acc << 8 | raw[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            key[o++] = alphabet[(acc >> bits) & 31];
        }
    }
    key[o++] = alphabet[(acc << (5 - bits)) & 31];
    key[o] = 0;
    sodium_memzero(raw, sizeof raw);
    kw_apikey_hash(key, hash);
    return 0;
}

int kw_apikey_check(const char *key, kw_err *err)
{
    if (!key || strnlen(key, KW_APIKEY_LEN + 1) != KW_APIKEY_LEN || memcmp(key, KW_APIKEY_PREFIX, PREFIX_LEN) != 0)
        return kw_err_set(err, KW_EINVAL, "an API key is \"kwx_\" and 52 more characters");
    for (size_t i = PREFIX_LEN; i < KW_APIKEY_LEN; i++)
        if (!key[i] || !memchr(alphabet, key[i], 32))
            return kw_err_set(err, KW_EINVAL, "an API key has only a-z and 2-7 after \"kwx_\"");
    /* The last digit holds one bit; the four below it are always zero. */
    if (((const char *)memchr(alphabet, key[KW_APIKEY_LEN - 1], 32) - alphabet) & 15)
        return kw_err_set(err, KW_EINVAL, "not an API key issued by this service");
    return 0;
}

void kw_apikey_hash(const char *key, uint8_t hash[32])
{
    kw_sha256(key, strlen(key), hash);
}

int kw_apikey_matches(const char *key, const uint8_t stored[32])
{
    uint8_t h[32];
    if (kw_apikey_check(key, NULL) != 0)
        return 0;
    kw_apikey_hash(key, h);
    return kw_ct_equal(h, stored, sizeof h);
}

void kw_apikey_shown(const char *key, char out[KW_APIKEY_SHOWN + 1])
{
    size_t n = strnlen(key, KW_APIKEY_SHOWN);
    memcpy(out, key, n);
    out[n] = 0;
}
