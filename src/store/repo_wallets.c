#include "store/repo_wallets.h"

#include <stdlib.h>
#include <string.h>

static const kw_sql INSERT = {
    .sql = "INSERT INTO custodial_wallets (user_id, public_key, encrypted_wallet, key_version, created_at, updated_at) "
           "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id"};
#define COLUMNS "SELECT id, user_id, public_key, encrypted_wallet, key_version, created_at, updated_at " \
                "FROM custodial_wallets "
static const kw_sql BY_USER = {.sql = COLUMNS "WHERE user_id = $1"};
static const kw_sql ALL = {.sql = COLUMNS "ORDER BY id"};
static const kw_sql UPDATE = {
    .sql = "UPDATE custodial_wallets SET encrypted_wallet = $1, key_version = $2, updated_at = $3 WHERE id = $4"};

void kw_wallet_clear(kw_wallet *w)
{
    if (w->sealed) {
        explicit_bzero(w->sealed, strlen(w->sealed));
        free(w->sealed);
        w->sealed = NULL;
    }
}

void kw_wallet_list_free(kw_wallet *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kw_wallet_clear(&list[i]);
    free(list);
}

int kw_repo_wallets_insert(kw_db *db, int64_t user_id, const char *public_key, const char *sealed, int64_t version,
                           int64_t now_ms, int64_t *id, kw_err *err)
{
    int rc = kw_db_query_int(db, &INSERT,
                             KW_ARGS(KW_I(user_id), KW_T(public_key), KW_T(sealed), KW_I(version), KW_I(now_ms)),
                             id, err);
    if (rc == KW_ECONFLICT && strcmp(kw_db_constraint(db), "custodial_wallets_user_key") == 0)
        return kw_err_set(err, rc, "user %lld already has a custodial wallet", (long long)user_id);
    return rc;
}

static int fill(kw_rows *r, kw_wallet *w, kw_err *err)
{
    memset(w, 0, sizeof *w);
    w->id = kw_rows_int(r, 0);
    w->user_id = kw_rows_int(r, 1);
    w->version = kw_rows_int(r, 4);
    w->created_at = kw_rows_int(r, 5);
    w->updated_at = kw_rows_int(r, 6);
    if (kw_rows_text_copy(r, 2, w->public_key, sizeof w->public_key) != 0)
        return kw_err_set(err, KW_EINTERNAL, "wallet %lld has a malformed public key", (long long)w->id);
    if (!(w->sealed = strdup(kw_rows_text(r, 3))))
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    return 0;
}

int kw_repo_wallets_get_by_user(kw_db *db, int64_t user_id, kw_wallet *out, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, &BY_USER, KW_ARGS(KW_I(user_id)), &r, err);
    if (rc)
        return rc;
    if ((rc = kw_rows_next(r, err)) == 1)
        rc = fill(r, out, err);
    else if (rc == 0)
        rc = kw_err_set(err, KW_ENOTFOUND, "user %lld has no custodial wallet", (long long)user_id);
    kw_rows_close(r);
    return rc;
}

int kw_repo_wallets_list(kw_db *db, kw_wallet **out, size_t *n, kw_err *err)
{
    kw_wallet *list = NULL;
    size_t len = 0, cap = 0;
    kw_rows *r;
    *out = NULL;
    *n = 0;
    int rc = kw_db_query(db, &ALL, KW_NOARGS, &r, err);
    if (rc)
        return rc;
    while ((rc = kw_rows_next(r, err)) == 1) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            kw_wallet *nl = realloc(list, ncap * sizeof *nl);
            if (!nl) {
                rc = kw_err_set(err, KW_ENOMEM, "out of memory");
                break;
            }
            list = nl;
            cap = ncap;
        }
        if ((rc = fill(r, &list[len], err)) != 0) {
            kw_wallet_clear(&list[len]);
            break;
        }
        len++;
    }
    kw_rows_close(r);
    if (rc < 0) {
        kw_wallet_list_free(list, len);
        return rc;
    }
    *out = list;
    *n = len;
    return 0;
}

int kw_repo_wallets_update_sealed(kw_db *db, int64_t id, const char *sealed, int64_t version, int64_t now_ms,
                                  kw_err *err)
{
    int64_t changes;
    int rc = kw_db_exec(db, &UPDATE, KW_ARGS(KW_T(sealed), KW_I(version), KW_I(now_ms), KW_I(id)), &changes, err);
    if (rc == 0 && changes != 1)
        rc = kw_err_set(err, KW_ENOTFOUND, "custodial wallet %lld does not exist", (long long)id);
    return rc;
}
