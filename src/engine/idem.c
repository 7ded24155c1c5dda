#include "engine/idem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha.h"

static const kw_sql SQL_FIND = {
    .sql = "SELECT request_hash, response, expires_at FROM idempotency_keys WHERE scope = $1 AND idem_key = $2"};
static const kw_sql SQL_EXPIRE = {
    .sql = "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND expires_at <= $3"};
static const kw_sql SQL_PUT = {
    .sql = "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status_code, response, created_at, "
           "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"};

int kw_idem_init(kw_idem *k, const char *op, int64_t user, const char *key, const void *canon, size_t n,
                 kw_err *err)
{
    memset(k, 0, sizeof *k);
    if (!key || !*key || strlen(key) > KW_IDEM_KEY_MAX)
        return kw_err_set(err, KW_EINVAL, "Idempotency-Key must be 1 to %d characters", KW_IDEM_KEY_MAX);
    snprintf(k->scope, sizeof k->scope, "%s:%lld", op, (long long)user);
    k->key = key;
    kw_sha256(canon, n, k->hash);
    return 0;
}

int kw_idem_find(kw_db *db, const kw_idem *k, int64_t now_ms, char **result, kw_err *err)
{
    *result = NULL;
    kw_rows *rows;
    int rc = kw_db_query(db, &SQL_FIND, KW_ARGS(KW_T(k->scope), KW_T(k->key)), &rows, err);
    if (rc)
        return rc;
    bool expired = false;
    if ((rc = kw_rows_next(rows, err)) == 1) {
        size_t n;
        const void *h = kw_rows_blob(rows, 0, &n);
        const char *text = kw_rows_text(rows, 1);
        if (kw_rows_int(rows, 2) <= now_ms)
            expired = true, rc = 0;
        else if (n != sizeof k->hash || !kw_ct_equal(h, k->hash, sizeof k->hash))
            rc = kw_err_set(err, KW_ECONFLICT, "this Idempotency-Key was already used for a different request");
        else if (!(*result = strdup(text ? text : "{}")))
            rc = kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    kw_rows_close(rows);
    if (expired)
        rc = kw_db_exec(db, &SQL_EXPIRE, KW_ARGS(KW_T(k->scope), KW_T(k->key), KW_I(now_ms)), NULL, err);
    return rc;
}

int kw_idem_put(kw_db *db, const kw_idem *k, int status, const char *result, int64_t now_ms, kw_err *err)
{
    int rc = kw_db_exec(db, &SQL_PUT,
                        KW_ARGS(KW_T(k->scope), KW_T(k->key), KW_B(k->hash, sizeof k->hash), KW_I(status),
                                KW_T(result), KW_I(now_ms), KW_I(now_ms + KW_IDEM_TTL_MS)),
                        NULL, err);
    return rc == KW_ECONFLICT ? KW_ETRANSIENT : rc;
}
