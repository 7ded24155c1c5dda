#include "api/query.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/amount.h"
#include "crypto/sha.h"

json_t *kw_json_amount(int64_t stroops)
{
    char buf[KW_AMOUNT_BUFSZ];
    return json_string(kw_amount_format(stroops, buf));
}

json_t *kw_json_time(int64_t unix_ms)
{
    char buf[32];
    return json_string(kw_http_timestamp(unix_ms, buf, sizeof buf));
}

static json_t *hex_of(kw_rows *r, int col)
{
    size_t n;
    const uint8_t *b = kw_rows_blob(r, col, &n);
    char *hex = malloc(2 * n + 1);
    if (!hex)
        return NULL;
    kw_hex_encode(b, n, hex);
    hex[2 * n] = 0;
    json_t *v = json_string(hex);
    free(hex);
    return v;
}

static json_t *value_of(kw_rows *r, int col, kw_col_kind kind)
{
    switch (kind) {
    case KW_COL_INT: return json_integer(kw_rows_int(r, col));
    case KW_COL_TEXT: return json_string(kw_rows_text(r, col));
    case KW_COL_AMOUNT: return kw_json_amount(kw_rows_int(r, col));
    case KW_COL_PPM: return json_real((double)kw_rows_int(r, col) / 1e6);
    case KW_COL_REAL: return json_real(kw_rows_double(r, col));
    case KW_COL_TIME: return kw_json_time(kw_rows_int(r, col));
    case KW_COL_BOOL: return json_boolean(kw_rows_int(r, col) != 0);
    case KW_COL_JSON: {
        json_t *v = json_loads(kw_rows_text(r, col), JSON_DECODE_ANY, NULL);
        return v ? v : json_null();
    }
    case KW_COL_HEX: return hex_of(r, col);
    }
    return json_null();
}

json_t *kw_query_row(kw_rows *r, const kw_col *cols, size_t ncols)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < ncols; i++) {
        bool null = kw_rows_is_null(r, (int)i);
        if (null && cols[i].omit_null)
            continue;
        json_t *v = null ? json_null() : value_of(r, (int)i, cols[i].kind);
        if (!v || json_object_set_new(o, cols[i].name, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int kw_query_rows(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams, const kw_col *cols,
                  size_t ncols, json_t **out, kw_err *err)
{
    kw_rows *r;
    *out = NULL;
    int rc = kw_db_query(db, sql, params, nparams, &r, err);
    if (rc)
        return rc;
    json_t *list = json_array();
    while (list && (rc = kw_rows_next(r, err)) == 1) {
        json_t *o = kw_query_row(r, cols, ncols);
        if (!o || json_array_append_new(list, o) != 0) {
            rc = kw_err_set(err, KW_ENOMEM, "out of memory");
            break;
        }
    }
    kw_rows_close(r);
    if (!list)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    if (rc < 0) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return 0;
}

int kw_query_one(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams, const kw_col *cols,
                 size_t ncols, const char *what, json_t **out, kw_err *err)
{
    json_t *list;
    int rc = kw_query_rows(db, sql, params, nparams, cols, ncols, &list, err);
    if (rc)
        return rc;
    if (json_array_size(list) == 0) {
        json_decref(list);
        *out = NULL;
        return kw_err_set(err, KW_ENOTFOUND, "%s", what);
    }
    *out = json_incref(json_array_get(list, 0));
    json_decref(list);
    return 0;
}

/* A query argument as a whole number in [min, max]. */
static int query_int(const kw_http_req *req, const char *name, int64_t min, int64_t max, int64_t *out, kw_err *err)
{
    const char *v = kw_http_query(req, name);
    if (!v)
        return 0;
    bool digits = *v != 0 && strlen(v) <= 19;
    for (const char *p = v; digits && *p; p++)
        digits = *p >= '0' && *p <= '9';
    errno = 0;
    long long n = digits ? strtoll(v, NULL, 10) : 0;
    if (!digits || errno || n < min || n > max)
        return kw_err_set(err, KW_EINVAL, "query argument %s must be a whole number from %lld to %lld", name,
                          (long long)min, (long long)max);
    *out = n;
    return 0;
}

int kw_query_page(const kw_http_req *req, int64_t *limit, int64_t *before, kw_err *err)
{
    *limit = KW_QUERY_LIMIT_DEFAULT;
    *before = INT64_MAX;
    int rc = query_int(req, "limit", 1, KW_QUERY_LIMIT_MAX, limit, err);
    return rc ? rc : query_int(req, "before", 1, INT64_MAX, before, err);
}
