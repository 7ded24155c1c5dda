#include "crypto/jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/sha.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MIN_KEY 32

/* base64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") */
static const char header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

const char *kw_jwt_reason(int reject)
{
    switch (reject) {
    case KW_JWT_TOO_LARGE: return "token is too large";
    case KW_JWT_MALFORMED: return "token is malformed";
    case KW_JWT_BAD_BASE64: return "token is not valid base64url";
    case KW_JWT_BAD_ALG: return "token algorithm is not HS256";
    case KW_JWT_BAD_SIGNATURE: return "token signature is invalid";
    case KW_JWT_EXPIRED: return "token has expired";
    case KW_JWT_NOT_YET_VALID: return "token is not valid yet";
    case KW_JWT_BAD_CLAIMS: return "token claims are invalid";
    }
    return "token rejected";
}

static int reject(kw_err *err, int why)
{
    int rc = kw_err_set(err, KW_EAUTH, "%s", kw_jwt_reason(why));
    if (err)
        err->code = why;
    return rc;
}

int kw_jwt_issue(const uint8_t *key, size_t klen, const char *sub, kw_access_tier tier, kw_access_role role, int64_t now,
                 char out[KW_JWT_BUFSZ], kw_err *err)
{
    uint8_t jti_raw[16], mac[32];
    char jti[33];
    if (klen < MIN_KEY)
        return kw_err_set(err, KW_EINVAL, "token secret must be at least %d bytes", MIN_KEY);
    if (!sub || !*sub || strlen(sub) >= KW_JWT_SUB_MAX)
        return kw_err_set(err, KW_EINVAL, "token subject must be 1 to %d bytes", KW_JWT_SUB_MAX - 1);
    if (tier != KW_ACCESS_USER && tier != KW_ACCESS_PREMIUM)
        return kw_err_set(err, KW_EINVAL, "tokens are issued to the user and premium tiers only");
    if (role != KW_ACCESS_ROLE_USER && role != KW_ACCESS_ADMIN)
        return kw_err_set(err, KW_EINVAL, "unknown role");
    if (sodium_init() < 0)
        return kw_err_set(err, KW_ECRYPTO, "libsodium failed to initialise");
    randombytes_buf(jti_raw, sizeof jti_raw);
    kw_hex_encode(jti_raw, sizeof jti_raw, jti);
    json_t *c = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "sub", sub, "tier", kw_access_tier_name(tier), "role",
                          kw_access_role_name(role), "iat", (json_int_t)now, "exp", (json_int_t)(now + KW_JWT_TTL), "jti", jti);
    char *payload = c ? json_dumps(c, JSON_COMPACT) : NULL;
    json_decref(c);
    if (!payload)
        return kw_err_set(err, KW_ENOMEM, "out of memory issuing a token");
    size_t plen = strlen(payload), hlen = sizeof header_b64 - 1;
    size_t need = hlen + 1 + sodium_base64_ENCODED_LEN(plen, B64) - 1 + 1 + sodium_base64_ENCODED_LEN(32, B64);
    int rc = 0;
    if (need > KW_JWT_BUFSZ) {
        rc = kw_err_set(err, KW_EINVAL, "token subject is too long");
    } else {
        memcpy(out, header_b64, hlen);
        out[hlen] = '.';
        sodium_bin2base64(out + hlen + 1, KW_JWT_BUFSZ - hlen - 1, (const uint8_t *)payload, plen, B64);
        size_t signed_len = strlen(out);
        kw_hmac_sha256(key, klen, out, signed_len, mac);
        out[signed_len] = '.';
        sodium_bin2base64(out + signed_len + 1, KW_JWT_BUFSZ - signed_len - 1, mac, sizeof mac, B64);
    }
    free(payload);
    return rc;
}

/* Strict base64url of one part: canonical, unpadded, nothing ignored. An
 * empty part is zero bytes (what an "alg":"none" token carries). */
static int b64_part(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    const char *end = NULL;
    *len = 0;
    if (n == 0)
        return 0;
    if (sodium_base642bin(out, cap, s, n, NULL, len, &end, B64) != 0 || end != s + n)
        return KW_JWT_BAD_BASE64;
    return 0;
}

/* Parses decoded bytes that must be a JSON object. */
static int json_object_of(const uint8_t *p, size_t n, json_t **out)
{
    json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return KW_JWT_MALFORMED;
    }
    *out = j;
    return 0;
}

static int check_header(json_t *h)
{
    json_t *typ = json_object_get(h, "typ");
    if (json_object_get(h, "crit") || !json_is_string(json_object_get(h, "alg")) ||
        strcmp(json_string_value(json_object_get(h, "alg")), "HS256") != 0)
        return KW_JWT_BAD_ALG;
    if (typ && (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0))
        return KW_JWT_MALFORMED;
    return 0;
}

static int read_claims(json_t *c, int64_t now, kw_jwt_claims *out)
{
    const char *sub = json_string_value(json_object_get(c, "sub"));
    const char *jti = json_string_value(json_object_get(c, "jti"));
    json_t *iat = json_object_get(c, "iat"), *exp = json_object_get(c, "exp"), *nbf = json_object_get(c, "nbf");
    kw_jwt_claims k = {0};
    if (!sub || !*sub || strlen(sub) >= sizeof k.sub || !jti || strlen(jti) >= sizeof k.jti ||
        !json_is_integer(iat) || !json_is_integer(exp) || (nbf && !json_is_integer(nbf)) ||
        kw_access_tier_parse(json_string_value(json_object_get(c, "tier")), &k.tier) != 0 ||
        k.tier == KW_ACCESS_ANONYMOUS || kw_access_role_parse(json_string_value(json_object_get(c, "role")), &k.role) != 0)
        return KW_JWT_BAD_CLAIMS;
    k.iat = json_integer_value(iat);
    k.exp = json_integer_value(exp);
    /* The arithmetic is on the caller's clock only: claimed times may be anything. */
    if (now - KW_JWT_SKEW >= k.exp)
        return KW_JWT_EXPIRED;
    if (k.iat > now + KW_JWT_SKEW || (nbf && json_integer_value(nbf) > now + KW_JWT_SKEW))
        return KW_JWT_NOT_YET_VALID;
    snprintf(k.sub, sizeof k.sub, "%s", sub);
    snprintf(k.jti, sizeof k.jti, "%s", jti);
    *out = k;
    return 0;
}

int kw_jwt_verify(const uint8_t *key, size_t klen, const char *token, int64_t now, kw_jwt_claims *claims,
                  kw_err *err)
{
    /* Decoded parts are shorter than the token, which is at most KW_JWT_MAX_LEN. */
    uint8_t mac[32], sig[KW_JWT_MAX_LEN], hbuf[KW_JWT_MAX_LEN], pbuf[KW_JWT_MAX_LEN];
    json_t *header = NULL, *payload = NULL;
    size_t n = token ? strnlen(token, KW_JWT_MAX_LEN + 1) : 0;
    if (n > KW_JWT_MAX_LEN)
        return reject(err, KW_JWT_TOO_LARGE);
    const char *dot1 = token ? memchr(token, '.', n) : NULL;
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - token)))
        return reject(err, KW_JWT_MALFORMED);
    /* Every part must be well-formed base64url before anything is believed;
     * the header is read for its alg, the claims only once the MAC matches. */
    size_t hlen = 0, plen = 0, siglen = 0;
    int why = b64_part(token, (size_t)(dot1 - token), hbuf, sizeof hbuf, &hlen);
    if (!why)
        why = b64_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), pbuf, sizeof pbuf, &plen);
    if (!why)
        why = b64_part(dot2 + 1, n - (size_t)(dot2 + 1 - token), sig, sizeof sig, &siglen);
    if (!why)
        why = json_object_of(hbuf, hlen, &header);
    if (!why)
        why = check_header(header);
    if (!why) {
        kw_hmac_sha256(key, klen, token, (size_t)(dot2 - token), mac);
        if (klen < MIN_KEY || siglen != sizeof mac || !kw_ct_equal(mac, sig, sizeof mac))
            why = KW_JWT_BAD_SIGNATURE;
    }
    if (!why)
        why = json_object_of(pbuf, plen, &payload);
    if (!why)
        why = read_claims(payload, now, claims);
    json_decref(header);
    json_decref(payload);
    return why ? reject(err, why) : 0;
}
