#include "crypto/sha.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

void kw_sha256(const void *data, size_t n, uint8_t out[32])
{
    kw_sha256_parts(&(kw_bytes){data, n}, 1, out);
}

void kw_sha256_parts(const kw_bytes *parts, size_t count, uint8_t out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 32;
    /* Allocation failure of a 200-byte context leaves nothing sensible to do. */
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
        abort();
    for (size_t i = 0; i < count; i++)
        EVP_DigestUpdate(ctx, parts[i].p, parts[i].n);
    EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
}

void kw_hmac_sha256(const void *key, size_t klen, const void *data, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    static const uint8_t empty;
    if (!HMAC(EVP_sha256(), klen ? key : &empty, (int)klen, data, n, out, &len))
        abort();
}

int kw_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void kw_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int kw_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return KW_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return KW_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
