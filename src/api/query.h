/*
 * query — the read side of the API: the rows of a prepared statement as
 * JSON objects, with the conventions of docs/api.md applied per column:
 * amounts as 7-decimal strings, times as ISO-8601 UTC strings, ratios
 * stored in parts per million as numbers, blobs as hex.
 *
 *     static const kw_sql SQL = {.sql = "SELECT id, amount, created_at FROM ..."};
 *     static const kw_col COLS[] = {{"id", KW_COL_INT}, {"amount", KW_COL_AMOUNT},
 *                                   {"created_at", KW_COL_TIME}};
 *     json_t *rows;
 *     rc = kw_query_rows(db, &SQL, KW_ARGS(KW_I(uid)), COLS, 3, &rows, err);
 *
 * A NULL column becomes JSON null, or is left out when the column says
 * omit_null (fields shown only once they exist, such as a vote's
 * prediction before it is revealed).
 *
 * Also here: list paging (`limit`, `before`) and the small JSON helpers the
 * handlers share. Thread-safety: as the kw_db passed in.
 */
#ifndef KW_API_QUERY_H
#define KW_API_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/http.h"
#include "core/err.h"
#include "store/store.h"

typedef enum kw_col_kind {
    KW_COL_INT = 0,   /* integer */
    KW_COL_TEXT,      /* string */
    KW_COL_AMOUNT,    /* stroops → "12.5000000" */
    KW_COL_PPM,       /* parts per million → number (ppm / 10^6) */
    KW_COL_REAL,      /* floating-point column → number */
    KW_COL_TIME,      /* Unix ms → "2026-01-01T00:00:00.000Z" */
    KW_COL_BOOL,      /* 0/1 → false/true */
    KW_COL_JSON,      /* JSON text → the value */
    KW_COL_HEX,       /* blob → lower-case hex */
} kw_col_kind;

typedef struct kw_col {
    const char *name;
    kw_col_kind kind;
    bool omit_null;
} kw_col;

#define KW_QUERY_LIMIT_DEFAULT 50
#define KW_QUERY_LIMIT_MAX 200

/* The current row as an object (a new reference, NULL when out of memory). */
json_t *kw_query_row(kw_rows *r, const kw_col *cols, size_t ncols);

/* Runs sql and returns every row as an object in a new array (*out). */
int kw_query_rows(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams, const kw_col *cols,
                  size_t ncols, json_t **out, kw_err *err) KW_WUR;

/* Runs sql and returns its first row as an object; KW_ENOTFOUND with
 * `what` in the message when there is none. */
int kw_query_one(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams, const kw_col *cols,
                 size_t ncols, const char *what, json_t **out, kw_err *err) KW_WUR;

/* Reads the query arguments `limit` (1..KW_QUERY_LIMIT_MAX, default
 * KW_QUERY_LIMIT_DEFAULT) and `before` (an id; lists are newest first and
 * `before` continues after the last id seen; default: from the newest).
 * KW_EINVAL naming the argument otherwise. */
int kw_query_page(const kw_http_req *req, int64_t *limit, int64_t *before, kw_err *err) KW_WUR;

/* "12.5000000" as a JSON string. */
json_t *kw_json_amount(int64_t stroops);
/* ISO-8601 UTC time of Unix ms as a JSON string. */
json_t *kw_json_time(int64_t unix_ms);

#endif
