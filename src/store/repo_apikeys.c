#include "store/repo_apikeys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const kw_sql INSERT = {
    .sql = "INSERT INTO api_keys (user_id, key_hash, prefix, name, created_at) VALUES ($1, $2, $3, $4, $5) "
           "RETURNING id"};
#define COLUMNS "SELECT id, user_id, prefix, name, created_at, last_used_at, revoked_at FROM api_keys "
static const kw_sql FIND = {.sql = COLUMNS "WHERE key_hash = $1 AND revoked_at IS NULL"};
static const kw_sql LIST = {.sql = COLUMNS "WHERE user_id = $1 ORDER BY id DESC"};
static const kw_sql TOUCH = {.sql = "UPDATE api_keys SET last_used_at = $1 WHERE id = $2"};
static const kw_sql REVOKE = {
    .sql = "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL"};

int kw_repo_apikeys_insert(kw_db *db, int64_t user_id, const uint8_t hash[32], const char *prefix, const char *name,
                           int64_t now_ms, int64_t *id, kw_err *err)
{
    if (strlen(name ? name : "") > 64)
        return kw_err_set(err, KW_EINVAL, "an API key name has at most 64 bytes");
    return kw_db_query_int(db, &INSERT,
                           KW_ARGS(KW_I(user_id), KW_B(hash, 32), KW_T(prefix), KW_T(name ? name : ""), KW_I(now_ms)),
                           id, err);
}

static void fill(kw_rows *r, kw_apikey *k)
{
    memset(k, 0, sizeof *k);
    k->id = kw_rows_int(r, 0);
    k->user_id = kw_rows_int(r, 1);
    snprintf(k->prefix, sizeof k->prefix, "%s", kw_rows_text(r, 2));
    snprintf(k->name, sizeof k->name, "%s", kw_rows_text(r, 3));
    k->created_at = kw_rows_int(r, 4);
    k->last_used_at = kw_rows_int(r, 5);
    k->revoked_at = kw_rows_int(r, 6);
}

int kw_repo_apikeys_find(kw_db *db, const uint8_t hash[32], kw_apikey *out, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, &FIND, KW_ARGS(KW_B(hash, 32)), &r, err);
    if (rc)
        return rc;
    if ((rc = kw_rows_next(r, err)) == 1) {
        fill(r, out);
        rc = 0;
    } else if (rc == 0) {
        rc = kw_err_set(err, KW_ENOTFOUND, "no active API key matches");
    }
    kw_rows_close(r);
    return rc;
}

int kw_repo_apikeys_touch(kw_db *db, int64_t id, int64_t now_ms, kw_err *err)
{
    return kw_db_exec(db, &TOUCH, KW_ARGS(KW_I(now_ms), KW_I(id)), NULL, err);
}

int kw_repo_apikeys_list(kw_db *db, int64_t user_id, kw_apikey **out, size_t *n, kw_err *err)
{
    kw_apikey *list = NULL;
    size_t len = 0, cap = 0;
    kw_rows *r;
    *out = NULL;
    *n = 0;
    int rc = kw_db_query(db, &LIST, KW_ARGS(KW_I(user_id)), &r, err);
    if (rc)
        return rc;
    while ((rc = kw_rows_next(r, err)) == 1) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            kw_apikey *nl = realloc(list, ncap * sizeof *nl);
            if (!nl) {
                rc = kw_err_set(err, KW_ENOMEM, "out of memory");
                break;
            }
            list = nl;
            cap = ncap;
        }
        fill(r, &list[len++]);
    }
    kw_rows_close(r);
    if (rc < 0) {
        free(list);
        return rc;
    }
    *out = list;
    *n = len;
    return 0;
}

int kw_repo_apikeys_revoke(kw_db *db, int64_t user_id, int64_t id, int64_t now_ms, kw_err *err)
{
    int64_t changes;
    int rc = kw_db_exec(db, &REVOKE, KW_ARGS(KW_I(now_ms), KW_I(id), KW_I(user_id)), &changes, err);
    if (rc == 0 && changes != 1)
        rc = kw_err_set(err, KW_ENOTFOUND, "no active API key %lld for this user", (long long)id);
    return rc;
}
