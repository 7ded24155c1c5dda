#include "engine/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const kw_sql SQL_APPEND = {
    .sql = "INSERT INTO events (type, user_id, cycle_id, payload, created_at) "
           "VALUES ($1, $2, $3, $4, $5) RETURNING id"};
static const kw_sql SQL_AFTER = {
    .sql = "SELECT id, type, COALESCE(user_id, 0), COALESCE(cycle_id, -1), payload, created_at "
           "FROM events WHERE id > $1 ORDER BY id LIMIT $2"};
static const kw_sql SQL_LAST = {.sql = "SELECT COALESCE(MAX(id), 0) FROM events"};

int kw_events_append(kw_db *db, const char *type, int64_t user_id, int64_t cycle_id,
                     json_t *payload, int64_t at_ms, int64_t *id, kw_err *err)
{
    char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    json_decref(payload);
    if (!text)
        return kw_err_set(err, KW_ENOMEM, "cannot encode the %s event", type);
    int64_t got = 0;
    int rc = kw_db_query_int(db, &SQL_APPEND,
                             KW_ARGS(KW_T(type), user_id > 0 ? KW_I(user_id) : KW_NUL,
                                     cycle_id >= 0 ? KW_I(cycle_id) : KW_NUL, KW_T(text), KW_I(at_ms)),
                             &got, err);
    free(text);
    if (rc == 0 && id)
        *id = got;
    return rc;
}

int kw_events_after(kw_db *db, int64_t after_id, kw_event *out, int max, int *n, kw_err *err)
{
    kw_rows *r;
    *n = 0;
    int rc = kw_db_query(db, &SQL_AFTER, KW_ARGS(KW_I(after_id), KW_I(max)), &r, err);
    if (rc)
        return rc;
    while ((rc = kw_rows_next(r, err)) == 1 && *n < max) {
        kw_event *e = &out[*n];
        memset(e, 0, sizeof *e);
        e->id = kw_rows_int(r, 0);
        snprintf(e->type, sizeof e->type, "%s", kw_rows_text(r, 1));
        e->user_id = kw_rows_int(r, 2);
        e->cycle_id = kw_rows_int(r, 3);
        e->payload = strdup(kw_rows_text(r, 4));
        e->created_at = kw_rows_int(r, 5);
        if (!e->payload) {
            rc = kw_err_set(err, KW_ENOMEM, "out of memory reading events");
            break;
        }
        (*n)++;
    }
    kw_rows_close(r);
    if (rc < 0) {
        for (int i = 0; i < *n; i++)
            kw_event_clear(&out[i]);
        *n = 0;
        return rc;
    }
    return 0;
}

int kw_events_last_id(kw_db *db, int64_t *out, kw_err *err)
{
    return kw_db_query_int(db, &SQL_LAST, KW_NOARGS, out, err);
}

void kw_event_clear(kw_event *e)
{
    free(e->payload);
    e->payload = NULL;
}
