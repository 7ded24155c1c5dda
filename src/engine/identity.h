/*
 * identity — users, their credentials and who a request comes from (SPEC §9):
 * registration with a custodial wallet, login to an access token, API keys,
 * and turning a bearer token or an API key into a principal.
 *
 * Rules. A username is 3–32 characters of [a-z0-9_]. A password follows
 * password.h (10–256 characters) and is stored only as its Argon2id hash. An
 * optional external wallet (where withdrawals go) must be a valid G… StrKey.
 * Registration hashes the password and seals a new custodial wallet first,
 * then creates the user, its ledger accounts and its wallet in ONE
 * transaction: a user never exists without a wallet.
 *
 * Login answers "wrong username or password" for an unknown user and for a
 * wrong password alike, after the same Argon2id work, so it reveals nothing.
 * Tokens are HS256 JWTs (jwt.h) carrying the user's tier and role; API keys
 * (apikey.h) are shown once by kw_identity_apikey_create and carry their
 * owner's tier and role.
 *
 * Time is the caller's (now_ms, Unix milliseconds) so tests control it.
 *
 * Ownership: a kw_identity borrows its store, kek and token key, which must
 * outlive it. Thread-safety: every function is thread-safe when the store is.
 */
#ifndef KW_ENGINE_IDENTITY_H
#define KW_ENGINE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "core/access.h"
#include "core/err.h"
#include "crypto/apikey.h"
#include "crypto/jwt.h"
#include "crypto/strkey.h"
#include "crypto/wallet.h"
#include "store/repo_apikeys.h"
#include "store/store.h"

#define KW_USERNAME_MIN 3
#define KW_USERNAME_MAX 32

typedef struct kw_identity {
    kw_store *store;
    kw_wallet_kek *kek;
    const uint8_t *token_key;   /* the JWT secret (secret.h) */
    size_t token_key_len;
} kw_identity;

/* Who a request comes from, once authenticated. */
typedef struct kw_identity_principal {
    int64_t user_id;
    kw_access_tier tier;
    kw_access_role role;
} kw_identity_principal;

typedef struct kw_identity_user {
    int64_t id;
    char username[KW_USERNAME_MAX + 1];
    kw_access_tier tier;
    kw_access_role role;
    char wallet[KW_STRKEY_BUFSZ];            /* the custodial wallet's address */
    char external_wallet[KW_STRKEY_BUFSZ];   /* the user's own G… account; "" when none */
    int64_t created_at;                      /* Unix ms */
} kw_identity_user;

/* KW_EINVAL with a message when username breaks the rules above. */
int kw_identity_check_username(const char *username, kw_err *err) KW_WUR;

/* Registers a user with a new custodial wallet (external_wallet may be NULL).
 * KW_EINVAL for a rule broken (the message names the field), KW_ECONFLICT
 * when the username is taken; nothing is stored on any error. */
int kw_identity_register(kw_identity *id, const char *username, const char *password,
                         const char *external_wallet, int64_t now_ms, kw_identity_user *out,
                         kw_err *err) KW_WUR;

/* Checks the password and issues an access token into token. KW_EAUTH with
 * "wrong username or password" when either is wrong. */
int kw_identity_login(kw_identity *id, const char *username, const char *password, int64_t now_ms,
                      char token[KW_JWT_BUFSZ], kw_identity_user *out, kw_err *err) KW_WUR;

/* The user behind a bearer token. KW_EAUTH (err->code: kw_jwt_reject) when
 * the token is refused or its user no longer exists. */
int kw_identity_authenticate_token(kw_identity *id, const char *token, int64_t now_ms,
                                   kw_identity_principal *out, kw_err *err) KW_WUR;

/* The user behind an API key; records its use. KW_EAUTH for a malformed,
 * unknown or revoked key. */
int kw_identity_authenticate_apikey(kw_identity *id, const char *key, int64_t now_ms,
                                    kw_identity_principal *out, kw_err *err) KW_WUR;

/* The user with this id. KW_ENOTFOUND when there is none. */
int kw_identity_get(kw_identity *id, int64_t user_id, kw_identity_user *out, kw_err *err) KW_WUR;
/* The same on a connection the caller holds: a thread must never wait for a
 * second connection while it holds one, or a busy pool deadlocks. */
int kw_identity_get_on(kw_db *db, int64_t user_id, kw_identity_user *out, kw_err *err) KW_WUR;

/* Sets a user's tier and/or role (operators only: `kalewx admin set-access`);
 * a NULL one is kept. KW_ENOTFOUND for an unknown username, KW_EINVAL for
 * the anonymous tier; out (may be NULL) gets the user as it now is. */
int kw_identity_set_access(kw_identity *id, const char *username, const kw_access_tier *tier,
                           const kw_access_role *role, int64_t now_ms, kw_identity_user *out, kw_err *err) KW_WUR;

/* Creates an API key for user_id; key receives the only copy of the key
 * text, meta what is stored (prefix, name, times). name may be "" (≤ 64 bytes). */
int kw_identity_apikey_create(kw_identity *id, int64_t user_id, const char *name, int64_t now_ms,
                              char key[KW_APIKEY_BUFSZ], kw_apikey *meta, kw_err *err) KW_WUR;

/* The user's keys, revoked ones included, newest first; free *out with free(). */
int kw_identity_apikey_list(kw_identity *id, int64_t user_id, kw_apikey **out, size_t *n, kw_err *err) KW_WUR;

/* Revokes one of the user's keys. KW_ENOTFOUND when the user has no such active key. */
int kw_identity_apikey_revoke(kw_identity *id, int64_t user_id, int64_t key_id, int64_t now_ms,
                              kw_err *err) KW_WUR;

#endif
