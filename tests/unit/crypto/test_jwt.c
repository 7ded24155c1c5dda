#include <criterion/criterion.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jwt.h"
#include "crypto/sha.h"

static const uint8_t key[] = "0123456789abcdef0123456789abcdef-test-key";
#define KLEN (sizeof key - 1)
#define NOW INT64_C(1767225600)

static char *b64(const char *s)
{
    size_t cap = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    sodium_bin2base64(out, cap, (const uint8_t *)s, strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* A token with any header and claims, MAC'd with our key by md (NULL = no signature part). */
static char *forge(const char *header, const char *claims, const EVP_MD *md)
{
    char *h = b64(header), *c = b64(claims);
    size_t n = strlen(h) + strlen(c) + 200;
    char *t = malloc(n);
    snprintf(t, n, "%s.%s", h, c);
    uint8_t mac[64];
    unsigned mlen = 0;
    if (md)
        HMAC(md, key, KLEN, (const uint8_t *)t, strlen(t), mac, &mlen);
    size_t l = strlen(t);
    t[l] = '.';
    sodium_bin2base64(t + l + 1, n - l - 1, mac, mlen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(h);
    free(c);
    return t;
}

static const char hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static char *claims_json(const char *extra, int64_t iat, int64_t exp)
{
    char *s = malloc(512);
    snprintf(s, 512, "{\"sub\":\"42\",\"tier\":\"user\",\"role\":\"user\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"ab\"%s}",
             (long long)iat, (long long)exp, extra);
    return s;
}

static int reason(const char *token, int64_t now)
{
    kw_jwt_claims c;
    memset(&c, 0x5a, sizeof c);
    kw_err e = {0};
    int rc = kw_jwt_verify(key, KLEN, token, now, &c, &e);
    if (rc == 0)
        return 0;
    cr_assert_eq(rc, KW_EAUTH);
    cr_assert_str_eq(e.msg, kw_jwt_reason(e.code));
    for (size_t i = 0; i < sizeof c; i++)
        cr_assert_eq(((uint8_t *)&c)[i], 0x5a, "claims written on rejection");
    return e.code;
}

static int reason_of_forged(const char *header, const char *claims, const EVP_MD *md, int64_t now)
{
    char *t = forge(header, claims, md);
    int r = reason(t, now);
    free(t);
    return r;
}

Test(jwt, issue_and_verify_round_trip)
{
    char tok[KW_JWT_BUFSZ];
    kw_err e = {0};
    cr_assert_eq(kw_jwt_issue(key, KLEN, "1234", KW_ACCESS_PREMIUM, KW_ACCESS_ADMIN, NOW, tok, &e), 0, "%s", e.msg);
    cr_assert_eq(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);
    kw_jwt_claims c;
    cr_assert_eq(kw_jwt_verify(key, KLEN, tok, NOW + 10, &c, &e), 0, "%s", e.msg);
    cr_assert_str_eq(c.sub, "1234");
    cr_assert_eq(c.tier, KW_ACCESS_PREMIUM);
    cr_assert_eq(c.role, KW_ACCESS_ADMIN);
    cr_assert_eq(c.iat, NOW);
    cr_assert_eq(c.exp, NOW + 3600);
    cr_assert_eq(strlen(c.jti), 32);
    char again[KW_JWT_BUFSZ];
    cr_assert_eq(kw_jwt_issue(key, KLEN, "1234", KW_ACCESS_PREMIUM, KW_ACCESS_ADMIN, NOW, again, &e), 0);
    cr_assert_str_neq(tok, again, "each token has its own jti");
}

Test(jwt, issue_refuses_bad_input)
{
    char tok[KW_JWT_BUFSZ];
    cr_assert_eq(kw_jwt_issue(key, 31, "1", KW_ACCESS_USER, KW_ACCESS_ROLE_USER, NOW, tok, NULL), KW_EINVAL);
    cr_assert_eq(kw_jwt_issue(key, KLEN, "", KW_ACCESS_USER, KW_ACCESS_ROLE_USER, NOW, tok, NULL), KW_EINVAL);
    cr_assert_eq(kw_jwt_issue(key, KLEN, NULL, KW_ACCESS_USER, KW_ACCESS_ROLE_USER, NOW, tok, NULL), KW_EINVAL);
    cr_assert_eq(kw_jwt_issue(key, KLEN, "1", KW_ACCESS_ANONYMOUS, KW_ACCESS_ROLE_USER, NOW, tok, NULL), KW_EINVAL);
    char long_sub[KW_JWT_SUB_MAX + 1];
    memset(long_sub, '7', KW_JWT_SUB_MAX);
    long_sub[KW_JWT_SUB_MAX] = 0;
    cr_assert_eq(kw_jwt_issue(key, KLEN, long_sub, KW_ACCESS_USER, KW_ACCESS_ROLE_USER, NOW, tok, NULL), KW_EINVAL);
}

Test(jwt, expiry_and_skew)
{
    char tok[KW_JWT_BUFSZ];
    cr_assert_eq(kw_jwt_issue(key, KLEN, "7", KW_ACCESS_USER, KW_ACCESS_ROLE_USER, NOW, tok, NULL), 0);
    cr_assert_eq(reason(tok, NOW + 3600 + KW_JWT_SKEW - 1), 0, "within the skew");
    cr_assert_eq(reason(tok, NOW + 3600 + KW_JWT_SKEW), KW_JWT_EXPIRED);
    cr_assert_eq(reason(tok, NOW + 86400), KW_JWT_EXPIRED);
    cr_assert_eq(reason(tok, NOW - KW_JWT_SKEW), 0, "a clock slightly behind");
    cr_assert_eq(reason(tok, NOW - KW_JWT_SKEW - 1), KW_JWT_NOT_YET_VALID, "issued in the future");
}

Test(jwt, not_before)
{
    char *c = claims_json(",\"nbf\":1767229200", NOW, NOW + 7200);
    cr_assert_eq(reason_of_forged(hs256, c, EVP_sha256(), NOW), KW_JWT_NOT_YET_VALID);
    cr_assert_eq(reason_of_forged(hs256, c, EVP_sha256(), NOW + 3600), 0);
    free(c);
    c = claims_json(",\"nbf\":\"soon\"", NOW, NOW + 60);
    cr_assert_eq(reason_of_forged(hs256, c, EVP_sha256(), NOW), KW_JWT_BAD_CLAIMS);
    free(c);
    c = claims_json("", INT64_MAX, INT64_MAX);
    cr_assert_eq(reason_of_forged(hs256, c, EVP_sha256(), NOW), KW_JWT_NOT_YET_VALID, "no overflow");
    free(c);
    c = claims_json("", INT64_MIN, INT64_MIN);
    cr_assert_eq(reason_of_forged(hs256, c, EVP_sha256(), NOW), KW_JWT_EXPIRED, "no overflow");
    free(c);
}

Test(jwt, wrong_signature)
{
    char tok[KW_JWT_BUFSZ];
    cr_assert_eq(kw_jwt_issue(key, KLEN, "7", KW_ACCESS_USER, KW_ACCESS_ROLE_USER, NOW, tok, NULL), 0);
    kw_jwt_claims c;
    kw_err e = {0};
    const uint8_t other[] = "another key of thirty-two bytes or more";
    cr_assert_eq(kw_jwt_verify(other, sizeof other - 1, tok, NOW, &c, &e), KW_EAUTH);
    cr_assert_eq(e.code, KW_JWT_BAD_SIGNATURE);
    char *last = strrchr(tok, '.') + 1;
    last[3] = last[3] == 'A' ? 'B' : 'A';
    cr_assert_eq(reason(tok, NOW), KW_JWT_BAD_SIGNATURE);
    /* Claims promoted to premium under the old signature. */
    char *c2 = claims_json("", NOW, NOW + 3600), *good = forge(hs256, c2, EVP_sha256());
    char *tampered = forge(hs256, "{\"sub\":\"42\",\"tier\":\"premium\",\"role\":\"admin\",\"iat\":1,\"exp\":9e9}", NULL);
    char *sig = strrchr(good, '.');
    char *dot = strrchr(tampered, '.');
    strcpy(dot, sig);
    cr_assert_eq(reason(good, NOW), 0);
    cr_assert_eq(reason(tampered, NOW), KW_JWT_BAD_SIGNATURE);
    /* A signature of the wrong length. */
    strcpy(strrchr(good, '.') + 1, "AAAA");
    cr_assert_eq(reason(good, NOW), KW_JWT_BAD_SIGNATURE);
    free(c2);
    free(good);
    free(tampered);
}

Test(jwt, algorithm_is_pinned)
{
    char *c = claims_json("", NOW, NOW + 3600);
    cr_assert_eq(reason_of_forged("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, NULL, NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":\"none\"}", c, EVP_sha256(), NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":\"NONE\"}", c, NULL, NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", c, EVP_sha512(), NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":\"HS384\"}", c, EVP_sha384(), NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":\"RS256\"}", c, EVP_sha256(), NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":\"hs256\"}", c, EVP_sha256(), NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"typ\":\"JWT\"}", c, EVP_sha256(), NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":256}", c, EVP_sha256(), NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", c, EVP_sha256(), NOW), KW_JWT_BAD_ALG);
    cr_assert_eq(reason_of_forged("{\"alg\":\"HS256\"}", c, EVP_sha256(), NOW), 0, "typ is optional");
    free(c);
}

Test(jwt, malformed_and_bad_base64)
{
    cr_assert_eq(reason("", NOW), KW_JWT_MALFORMED);
    cr_assert_eq(reason(NULL, NOW), KW_JWT_MALFORMED);
    cr_assert_eq(reason("abc", NOW), KW_JWT_MALFORMED);
    cr_assert_eq(reason("a.b", NOW), KW_JWT_MALFORMED);
    cr_assert_eq(reason("a.b.c.d", NOW), KW_JWT_MALFORMED);
    char tok[KW_JWT_BUFSZ], bad[KW_JWT_BUFSZ + 8];
    cr_assert_eq(kw_jwt_issue(key, KLEN, "7", KW_ACCESS_USER, KW_ACCESS_ROLE_USER, NOW, tok, NULL), 0);
    /* A character outside base64url in each part, padding, standard-alphabet characters. */
    const char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    size_t cuts[] = {2, (size_t)(dot1 - tok) + 3, (size_t)(dot2 - tok) + 3};
    const char subs[] = {'!', '+', '/', '=', ' '};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < sizeof subs; j++) {
            strcpy(bad, tok);
            bad[cuts[i]] = subs[j];
            cr_assert_eq(reason(bad, NOW), KW_JWT_BAD_BASE64, "part %zu char %c", i, subs[j]);
        }
    snprintf(bad, sizeof bad, "%s==", tok);
    cr_assert_eq(reason(bad, NOW), KW_JWT_BAD_BASE64, "padding");
    snprintf(bad, sizeof bad, "%.*s.%s", (int)(dot1 - tok), tok, "");
    strcat(bad, dot2);
    cr_assert_eq(reason(bad, NOW), KW_JWT_BAD_SIGNATURE, "empty claims under the old signature");
    /* Base64 that decodes to something other than a JSON object. */
    char *c = b64("[1]");
    snprintf(bad, sizeof bad, "%s.e30.", c);
    cr_assert_eq(reason(bad, NOW), KW_JWT_MALFORMED);
    free(c);
    cr_assert_eq(reason_of_forged(hs256, "not json", EVP_sha256(), NOW), KW_JWT_MALFORMED);
    cr_assert_eq(reason_of_forged(hs256, "", EVP_sha256(), NOW), KW_JWT_MALFORMED, "empty claims, signed");
}

Test(jwt, huge_token_is_refused_before_parsing)
{
    size_t n = 1 << 20;
    char *huge = malloc(n + 1);
    memset(huge, 'A', n);
    huge[100] = huge[200] = '.';
    huge[n] = 0;
    cr_assert_eq(reason(huge, NOW), KW_JWT_TOO_LARGE);
    huge[KW_JWT_MAX_LEN + 1] = 0;
    cr_assert_eq(reason(huge, NOW), KW_JWT_TOO_LARGE);
    free(huge);
}

Test(jwt, claims_are_checked)
{
    const char *bad[] = {
        "{\"tier\":\"user\",\"role\":\"user\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":\"a\"}",
        "{\"sub\":\"\",\"tier\":\"user\",\"role\":\"user\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":\"a\"}",
        "{\"sub\":\"1\",\"tier\":\"anonymous\",\"role\":\"user\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":\"a\"}",
        "{\"sub\":\"1\",\"tier\":\"gold\",\"role\":\"user\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":\"a\"}",
        "{\"sub\":\"1\",\"tier\":\"user\",\"role\":\"root\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":\"a\"}",
        "{\"sub\":\"1\",\"tier\":\"user\",\"role\":\"user\",\"iat\":1767225600,\"exp\":\"later\",\"jti\":\"a\"}",
        "{\"sub\":\"1\",\"tier\":\"user\",\"role\":\"user\",\"iat\":1767225600.5,\"exp\":1767229200,\"jti\":\"a\"}",
        "{\"sub\":\"1\",\"tier\":\"user\",\"role\":\"user\",\"iat\":1767225600,\"exp\":1767229200}",
        "{\"sub\":1,\"tier\":\"user\",\"role\":\"user\",\"iat\":1767225600,\"exp\":1767229200,\"jti\":\"a\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(reason_of_forged(hs256, bad[i], EVP_sha256(), NOW), KW_JWT_BAD_CLAIMS, "case %zu", i);
}

Test(jwt, every_reason_is_distinct)
{
    for (int a = KW_JWT_TOO_LARGE; a <= KW_JWT_BAD_CLAIMS; a++)
        for (int b = a + 1; b <= KW_JWT_BAD_CLAIMS; b++)
            cr_assert_str_neq(kw_jwt_reason(a), kw_jwt_reason(b));
}
