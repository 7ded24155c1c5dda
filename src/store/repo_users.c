#include "store/repo_users.h"

#include <string.h>

#include "store/ledger.h"

static const kw_sql INSERT = {
    .sql = "INSERT INTO users (username, password_hash, tier, is_admin, created_at, updated_at, external_wallet) "
           "VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id"};
#define COLUMNS "SELECT id, username, password_hash, tier, is_admin, created_at, updated_at, external_wallet FROM users "
static const kw_sql BY_ID = {.sql = COLUMNS "WHERE id = $1"};
static const kw_sql BY_NAME = {.sql = COLUMNS "WHERE lower(username) = lower($1)"};
static const kw_sql SET_ACCESS = {.sql = "UPDATE users SET tier = $2, is_admin = $3, updated_at = $4 WHERE id = $1"};

const char *kw_user_tier_name(kw_user_tier t)
{
    return t == KW_TIER_PREMIUM ? "premium" : "user";
}

int kw_repo_users_create(kw_db *db, const kw_user *u, int64_t now_ms, int64_t *id, kw_err *err)
{
    int rc = kw_db_query_int(db, &INSERT,
                             KW_ARGS(KW_T(u->username), KW_T(u->password_hash), KW_T(kw_user_tier_name(u->tier)),
                                     KW_I(u->admin), KW_I(now_ms),
                                     KW_T(u->external_wallet[0] ? u->external_wallet : NULL)),
                             id, err);
    if (rc == KW_ECONFLICT)
        return kw_err_set(err, rc, "the username \"%s\" is taken", u->username);
    if (rc)
        return rc;
    return kw_ledger_open_user(db, *id, now_ms, err);
}

static int get(kw_db *db, const kw_sql *sql, kw_param key, kw_user *out, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, sql, &key, 1, &r, err);
    if (rc)
        return rc;
    if ((rc = kw_rows_next(r, err)) == 1) {
        memset(out, 0, sizeof *out);
        out->id = kw_rows_int(r, 0);
        if ((rc = kw_rows_text_copy(r, 1, out->username, sizeof out->username)) == 0)
            rc = kw_rows_text_copy(r, 2, out->password_hash, sizeof out->password_hash);
        if (rc == 0)
            rc = kw_rows_text_copy(r, 7, out->external_wallet, sizeof out->external_wallet);
        if (rc)
            rc = kw_err_set(err, KW_EINTERNAL, "user %lld has an oversized field", (long long)out->id);
        out->tier = strcmp(kw_rows_text(r, 3), "premium") == 0 ? KW_TIER_PREMIUM : KW_TIER_USER;
        out->admin = kw_rows_int(r, 4) != 0;
        out->created_at = kw_rows_int(r, 5);
        out->updated_at = kw_rows_int(r, 6);
    } else if (rc == 0) {
        rc = kw_err_set(err, KW_ENOTFOUND, "no such user");
    }
    kw_rows_close(r);
    return rc;
}

int kw_repo_users_get(kw_db *db, int64_t id, kw_user *out, kw_err *err)
{
    return get(db, &BY_ID, KW_I(id), out, err);
}

int kw_repo_users_get_by_name(kw_db *db, const char *username, kw_user *out, kw_err *err)
{
    return get(db, &BY_NAME, KW_T(username), out, err);
}

int kw_repo_users_set_access(kw_db *db, int64_t id, kw_user_tier tier, bool admin, int64_t now_ms, kw_err *err)
{
    int64_t changes = 0;
    int rc = kw_db_exec(db, &SET_ACCESS, KW_ARGS(KW_I(id), KW_T(kw_user_tier_name(tier)), KW_I(admin), KW_I(now_ms)),
                        &changes, err);
    if (rc == 0 && changes == 0)
        rc = kw_err_set(err, KW_ENOTFOUND, "no such user");
    return rc;
}
