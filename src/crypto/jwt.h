/*
 * jwt — access tokens: JSON Web Tokens signed with HMAC-SHA256 (SPEC §9).
 *
 * A token is base64url(header) "." base64url(claims) "." base64url(mac),
 * header {"alg":"HS256","typ":"JWT"}, claims
 * {"sub","tier","role","iat","exp","jti"}: the user id, the tier ("user" or
 * "premium"), the role ("user" or "admin"), issue and expiry time in Unix
 * seconds (exp = iat + 1 h) and 128 random bits as hex.
 *
 * Verification trusts nothing before the MAC: the header's alg must be
 * exactly "HS256" (so "none", "HS512", "RS256" … are refused, as is a "crit"
 * header), the MAC is compared in constant time, and only then are the claims
 * read. exp, nbf (if present) and iat are checked against the caller's clock
 * with KW_JWT_SKEW seconds of tolerance. Each refusal has its own reason,
 * stored in err->code (kw_jwt_reject) while the function returns KW_EAUTH;
 * messages never echo the token.
 *
 * The key is the token secret (secret.h, at least 32 bytes). Pure apart from
 * the random jti; thread-safe.
 */
#ifndef KW_CRYPTO_JWT_H
#define KW_CRYPTO_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "core/access.h"
#include "core/err.h"

#define KW_JWT_TTL 3600
#define KW_JWT_SKEW 30
/* Longest token accepted; ours are about 250 bytes. */
#define KW_JWT_MAX_LEN 4096
/* Room for a token issued here, NUL included. */
#define KW_JWT_BUFSZ 512
#define KW_JWT_SUB_MAX 64

/* Why a token was refused (err->code after KW_EAUTH). */
enum kw_jwt_reject {
    KW_JWT_TOO_LARGE = 1,   /* longer than KW_JWT_MAX_LEN */
    KW_JWT_MALFORMED,       /* not three parts, or a part is not a JSON object */
    KW_JWT_BAD_BASE64,      /* a part is not canonical unpadded base64url */
    KW_JWT_BAD_ALG,         /* alg other than HS256, or a critical header */
    KW_JWT_BAD_SIGNATURE,   /* the MAC does not match */
    KW_JWT_EXPIRED,         /* now ≥ exp + skew */
    KW_JWT_NOT_YET_VALID,   /* nbf or iat later than now + skew */
    KW_JWT_BAD_CLAIMS,      /* a claim missing, mistyped or out of range */
};

typedef struct kw_jwt_claims {
    char sub[KW_JWT_SUB_MAX];
    kw_access_tier tier;
    kw_access_role role;
    int64_t iat, exp;
    char jti[33];
} kw_jwt_claims;

/* Issues a token for sub (1–63 bytes) at time now into out. KW_EINVAL for a
 * bad sub or tier (anonymous has no token), or a key under 32 bytes. */
int kw_jwt_issue(const uint8_t *key, size_t klen, const char *sub, kw_access_tier tier, kw_access_role role, int64_t now,
                 char out[KW_JWT_BUFSZ], kw_err *err) KW_WUR;

/* Verifies token at time now and fills claims. 0, or KW_EAUTH with
 * err->code a kw_jwt_reject and err->msg the reason (claims untouched). */
int kw_jwt_verify(const uint8_t *key, size_t klen, const char *token, int64_t now, kw_jwt_claims *claims,
                  kw_err *err) KW_WUR;

/* A short constant sentence for a kw_jwt_reject. */
const char *kw_jwt_reason(int reject);

#endif
