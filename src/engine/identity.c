#include "engine/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/password.h"
#include "store/repo_users.h"
#include "store/repo_wallets.h"

#define WRONG_LOGIN "wrong username or password"

int kw_identity_check_username(const char *username, kw_err *err)
{
    size_t n = username ? strnlen(username, KW_USERNAME_MAX + 1) : 0;
    if (n < KW_USERNAME_MIN || n > KW_USERNAME_MAX)
        return kw_err_set(err, KW_EINVAL, "username must be %d to %d characters", KW_USERNAME_MIN, KW_USERNAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = username[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return kw_err_set(err, KW_EINVAL, "username may only contain a-z, 0-9 and _");
    }
    return 0;
}

static kw_identity_principal principal_of(const kw_user *u)
{
    return (kw_identity_principal){
        .user_id = u->id,
        .tier = u->tier == KW_TIER_PREMIUM ? KW_ACCESS_PREMIUM : KW_ACCESS_USER,
        .role = u->admin ? KW_ACCESS_ADMIN : KW_ACCESS_ROLE_USER,
    };
}

static void describe(const kw_user *u, const char *wallet, kw_identity_user *out)
{
    kw_identity_principal p = principal_of(u);
    memset(out, 0, sizeof *out);
    out->id = u->id;
    snprintf(out->username, sizeof out->username, "%s", u->username);
    out->tier = p.tier;
    out->role = p.role;
    snprintf(out->wallet, sizeof out->wallet, "%s", wallet);
    snprintf(out->external_wallet, sizeof out->external_wallet, "%s", u->external_wallet);
    out->created_at = u->created_at;
}

typedef struct registration {
    kw_user user;
    const char *address, *sealed;
    int64_t now_ms;
} registration;

static int register_tx(kw_db *db, void *ctx, kw_err *err)
{
    registration *r = ctx;
    int64_t wallet_id;
    int rc = kw_repo_users_create(db, &r->user, r->now_ms, &r->user.id, err);
    if (rc == 0)
        rc = kw_repo_wallets_insert(db, r->user.id, r->address, r->sealed, KW_WALLET_VERSION, r->now_ms, &wallet_id,
                                    err);
    return rc;
}

int kw_identity_register(kw_identity *id, const char *username, const char *password, const char *external_wallet,
                         int64_t now_ms, kw_identity_user *out, kw_err *err)
{
    registration r = {.now_ms = now_ms};
    char address[KW_STRKEY_BUFSZ];
    char *sealed = NULL;
    uint8_t raw[32];
    kw_err e = {0};
    int rc = kw_identity_check_username(username, err);
    if (rc)
        return rc;
    if ((rc = kw_password_check(password, err)) != 0)
        return rc;
    if (external_wallet && kw_strkey_decode(KW_STRKEY_ACCOUNT, external_wallet, raw, &e) != 0)
        return kw_err_set(err, KW_EINVAL, "external wallet: %s", e.msg);
    /* The slow parts (Argon2id, sealing) happen before the write transaction. */
    if ((rc = kw_password_hash(password, r.user.password_hash, err)) != 0)
        return rc;
    if ((rc = kw_wallet_create(id->kek, now_ms, address, &sealed, err)) != 0)
        return rc;
    snprintf(r.user.username, sizeof r.user.username, "%s", username);
    if (external_wallet)
        snprintf(r.user.external_wallet, sizeof r.user.external_wallet, "%s", external_wallet);
    r.user.tier = KW_TIER_USER;
    r.address = address;
    r.sealed = sealed;
    rc = kw_store_tx(id->store, register_tx, &r, err);
    if (rc == 0) {
        r.user.created_at = now_ms;
        describe(&r.user, address, out);
    }
    sodium_memzero(r.user.password_hash, sizeof r.user.password_hash);
    free(sealed);
    return rc;
}

/* Reads a user and, when wallet is not NULL, its wallet address, on db. */
static int load_user_on(kw_db *db, const char *username, int64_t user_id, kw_user *u, char *wallet, kw_err *err)
{
    int rc = username ? kw_repo_users_get_by_name(db, username, u, err) : kw_repo_users_get(db, user_id, u, err);
    if (rc == 0 && wallet) {
        kw_wallet w = {0};
        rc = kw_repo_wallets_get_by_user(db, u->id, &w, err);
        if (rc == 0)
            memcpy(wallet, w.public_key, KW_STRKEY_BUFSZ);
        kw_wallet_clear(&w);
    }
    return rc;
}

static int load_user(kw_identity *id, const char *username, int64_t user_id, kw_user *u, char *wallet, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(id->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = load_user_on(db, username, user_id, u, wallet, err);
    kw_store_release(id->store, db);
    return rc;
}

int kw_identity_login(kw_identity *id, const char *username, const char *password, int64_t now_ms,
                      char token[KW_JWT_BUFSZ], kw_identity_user *out, kw_err *err)
{
    kw_user u = {0};
    char wallet[KW_STRKEY_BUFSZ], sub[24];
    int rc = kw_identity_check_username(username, NULL) == 0 ? load_user(id, username, 0, &u, wallet, err)
                                                              : KW_ENOTFOUND;
    if (rc == KW_ENOTFOUND) {
        kw_password_verify_absent(password);
        return kw_err_set(err, KW_EAUTH, WRONG_LOGIN);
    }
    if (rc == 0 && kw_password_verify(u.password_hash, password) != 0)
        rc = kw_err_set(err, KW_EAUTH, WRONG_LOGIN);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (rc)
        return rc;
    kw_identity_principal p = principal_of(&u);
    snprintf(sub, sizeof sub, "%lld", (long long)u.id);
    rc = kw_jwt_issue(id->token_key, id->token_key_len, sub, p.tier, p.role, now_ms / 1000, token, err);
    if (rc == 0)
        describe(&u, wallet, out);
    return rc;
}

int kw_identity_authenticate_token(kw_identity *id, const char *token, int64_t now_ms, kw_identity_principal *out,
                                   kw_err *err)
{
    kw_jwt_claims c;
    kw_user u = {0};
    int rc = kw_jwt_verify(id->token_key, id->token_key_len, token, now_ms / 1000, &c, err);
    if (rc)
        return rc;
    char *end;
    long long uid = strtoll(c.sub, &end, 10);
    if (*end || uid <= 0) {
        rc = kw_err_set(err, KW_EAUTH, "%s", kw_jwt_reason(KW_JWT_BAD_CLAIMS));
        if (err)
            err->code = KW_JWT_BAD_CLAIMS;
        return rc;
    }
    /* The token's tier and role were true when it was issued; the user row is
     * the authority now (an upgrade or a removal takes effect at once). */
    rc = load_user(id, NULL, uid, &u, NULL, err);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (rc == KW_ENOTFOUND)
        return kw_err_set(err, KW_EAUTH, "the token's user no longer exists");
    if (rc == 0)
        *out = principal_of(&u);
    return rc;
}

int kw_identity_get_on(kw_db *db, int64_t user_id, kw_identity_user *out, kw_err *err)
{
    kw_user u = {0};
    char wallet[KW_STRKEY_BUFSZ];
    int rc = load_user_on(db, NULL, user_id, &u, wallet, err);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (rc == 0)
        describe(&u, wallet, out);
    return rc;
}

int kw_identity_get(kw_identity *id, int64_t user_id, kw_identity_user *out, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(id->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = kw_identity_get_on(db, user_id, out, err);
    kw_store_release(id->store, db);
    return rc;
}

int kw_identity_set_access(kw_identity *id, const char *username, const kw_access_tier *tier,
                           const kw_access_role *role, int64_t now_ms, kw_identity_user *out, kw_err *err)
{
    if (tier && *tier == KW_ACCESS_ANONYMOUS)
        return kw_err_set(err, KW_EINVAL, "a user's tier is user or premium");
    kw_user u = {0};
    kw_db *db;
    int rc = kw_store_acquire(id->store, KW_DB_WRITE, &db, err);
    if (rc)
        return rc;
    if ((rc = kw_repo_users_get_by_name(db, username, &u, err)) == 0) {
        if (tier)
            u.tier = *tier == KW_ACCESS_PREMIUM ? KW_TIER_PREMIUM : KW_TIER_USER;
        if (role)
            u.admin = *role == KW_ACCESS_ADMIN;
        rc = kw_repo_users_set_access(db, u.id, u.tier, u.admin, now_ms, err);
    }
    kw_store_release(id->store, db);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (rc == KW_ENOTFOUND)
        return kw_err_set(err, rc, "no user named \"%s\"", username);
    if (rc == 0 && out)
        rc = kw_identity_get(id, u.id, out, err);
    return rc;
}

/* A key's last use is recorded at most this often: a write per request would
 * serialise every API-key request on SQLite's single writer. */
#define TOUCH_EVERY_MS 60000

int kw_identity_authenticate_apikey(kw_identity *id, const char *key, int64_t now_ms, kw_identity_principal *out,
                                    kw_err *err)
{
    uint8_t hash[32];
    kw_apikey meta;
    kw_user u = {0};
    kw_db *db;
    if (kw_apikey_check(key, NULL) != 0)
        return kw_err_set(err, KW_EAUTH, "invalid API key");
    kw_apikey_hash(key, hash);
    int rc = kw_store_acquire(id->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = kw_repo_apikeys_find(db, hash, &meta, err);
    if (rc == 0)
        rc = kw_repo_users_get(db, meta.user_id, &u, err);
    kw_store_release(id->store, db);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (rc == KW_ENOTFOUND)
        return kw_err_set(err, KW_EAUTH, "invalid API key");
    if (rc == 0 && now_ms - meta.last_used_at >= TOUCH_EVERY_MS &&
        (rc = kw_store_acquire(id->store, KW_DB_WRITE, &db, err)) == 0) {
        rc = kw_repo_apikeys_touch(db, meta.id, now_ms, err);
        kw_store_release(id->store, db);
    }
    if (rc == 0)
        *out = principal_of(&u);
    return rc;
}

int kw_identity_apikey_create(kw_identity *id, int64_t user_id, const char *name, int64_t now_ms,
                              char key[KW_APIKEY_BUFSZ], kw_apikey *meta, kw_err *err)
{
    uint8_t hash[32];
    char shown[KW_APIKEY_SHOWN + 1];
    kw_db *db;
    if (!name)
        name = "";
    if (strlen(name) > sizeof meta->name - 1)
        return kw_err_set(err, KW_EINVAL, "API key name must be at most %zu bytes", sizeof meta->name - 1);
    int rc = kw_apikey_generate(key, hash, err);
    if (rc)
        return rc;
    kw_apikey_shown(key, shown);
    if ((rc = kw_store_acquire(id->store, KW_DB_WRITE, &db, err)) != 0)
        goto fail;
    memset(meta, 0, sizeof *meta);
    rc = kw_repo_apikeys_insert(db, user_id, hash, shown, name, now_ms, &meta->id, err);
    kw_store_release(id->store, db);
    if (rc)
        goto fail;
    meta->user_id = user_id;
    snprintf(meta->prefix, sizeof meta->prefix, "%s", shown);
    snprintf(meta->name, sizeof meta->name, "%s", name);
    meta->created_at = now_ms;
    return 0;
fail:
    sodium_memzero(key, KW_APIKEY_BUFSZ);
    return rc;
}

int kw_identity_apikey_list(kw_identity *id, int64_t user_id, kw_apikey **out, size_t *n, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(id->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = kw_repo_apikeys_list(db, user_id, out, n, err);
    kw_store_release(id->store, db);
    return rc;
}

int kw_identity_apikey_revoke(kw_identity *id, int64_t user_id, int64_t key_id, int64_t now_ms, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(id->store, KW_DB_WRITE, &db, err);
    if (rc)
        return rc;
    rc = kw_repo_apikeys_revoke(db, user_id, key_id, now_ms, err);
    kw_store_release(id->store, db);
    return rc;
}
