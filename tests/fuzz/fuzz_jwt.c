/* libFuzzer target: access tokens (kw_jwt_verify). The first byte picks the
 * mode: the rest is either a token as a client sends it, or a header and a
 * claims text separated by a NUL byte that are encoded and signed here with
 * the verifier's key, so that the claims reader is reached as well. An
 * accepted token must carry claims within the documented ranges. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jwt.h"
#include "crypto/sha.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define NOW INT64_C(1700000000)
static const uint8_t key[32] = "kalewx fuzz token key 0123456789";

static size_t b64url(const uint8_t *p, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return strlen(out);
}

/* header "." claims "." mac, all base64url, into a malloc'd string. */
static char *sign(const uint8_t *header, size_t hn, const uint8_t *claims, size_t cn)
{
    size_t cap = sodium_base64_ENCODED_LEN(hn, sodium_base64_VARIANT_URLSAFE_NO_PADDING) +
                 sodium_base64_ENCODED_LEN(cn, sodium_base64_VARIANT_URLSAFE_NO_PADDING) + 64;
    char *t = malloc(cap);
    if (!t)
        return NULL;
    size_t len = b64url(header, hn, t, cap);
    t[len++] = '.';
    len += b64url(claims, cn, t + len, cap - len);
    uint8_t mac[32];
    kw_hmac_sha256(key, sizeof key, t, len, mac);
    t[len++] = '.';
    b64url(mac, sizeof mac, t + len, cap - len);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    char *token;
    if (data[0] & 1) {
        const uint8_t *sep = memchr(data + 1, 0, n - 1);
        if (!sep)
            return 0;
        token = sign(data + 1, (size_t)(sep - data - 1), sep + 1, n - (size_t)(sep + 1 - data));
    } else if ((token = malloc(n)) != NULL) {
        memcpy(token, data + 1, n - 1);
        token[n - 1] = 0;
    }
    if (!token)
        return 0;
    kw_jwt_claims c;
    kw_err e = {0};
    memset(&c, 0x55, sizeof c);
    int rc = kw_jwt_verify(key, sizeof key, token, NOW, &c, &e);
    if (rc == 0) {
        size_t sl = strnlen(c.sub, sizeof c.sub);
        if (sl == 0 || sl >= sizeof c.sub || strnlen(c.jti, sizeof c.jti) >= sizeof c.jti)
            abort();
        if (c.exp + KW_JWT_SKEW <= NOW || c.iat > NOW + KW_JWT_SKEW)
            abort();
        if (c.tier != KW_ACCESS_USER && c.tier != KW_ACCESS_PREMIUM)
            abort();
        if (c.role != KW_ACCESS_ROLE_USER && c.role != KW_ACCESS_ADMIN)
            abort();
    } else if (rc != KW_EAUTH || e.code < KW_JWT_TOO_LARGE || e.code > KW_JWT_BAD_CLAIMS) {
        abort();
    }
    free(token);
    return 0;
}
