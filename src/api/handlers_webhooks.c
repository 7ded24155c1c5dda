/* POST, GET /api/v1/webhooks, DELETE /api/v1/webhooks/{id} and
 * GET /api/v1/webhooks/{id}/deliveries (webhooks.h delivers). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "api/body.h"
#include "api/handlers.h"
#include "api/query.h"

/* Most webhooks one user may have. */
#define WEBHOOKS_MAX 20
#define EVENT_TYPES_MAX 10

static const kw_sql SQL_COUNT = {.sql = "SELECT COUNT(*) FROM webhooks WHERE user_id = $1 AND active = TRUE"};
static const kw_sql SQL_INSERT = {
    .sql = "INSERT INTO webhooks (user_id, url, secret, event_types, active, created_at, updated_at) "
           "VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING id"};
static const kw_sql SQL_LIST = {
    .sql = "SELECT w.id, w.url, w.event_types, w.created_at, "
           "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending'), "
           "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'delivered'), "
           "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'failed') "
           "FROM webhooks w WHERE w.user_id = $1 AND w.active = TRUE ORDER BY w.id"};
static const kw_sql SQL_DELETE = {
    .sql = "UPDATE webhooks SET active = FALSE, updated_at = $3 WHERE id = $1 AND user_id = $2 AND active = TRUE"};
static const kw_sql SQL_DROP_PENDING = {
    .sql = "UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook deleted' "
           "WHERE webhook_id = $1 AND status = 'pending'"};
static const kw_sql SQL_OWNED = {.sql = "SELECT COUNT(*) FROM webhooks WHERE id = $1 AND user_id = $2"};
static const kw_sql SQL_DELIVERIES = {
    .sql = "SELECT d.id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at, d.response_status, "
           "d.last_error, d.delivered_at, d.created_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id "
           "WHERE d.webhook_id = $1 AND d.id < $2 ORDER BY d.id DESC LIMIT $3"};
static const kw_col DELIVERY_COLS[] = {
    {"id", KW_COL_INT, false},           {"event_id", KW_COL_INT, false},       {"event_type", KW_COL_TEXT, false},
    {"status", KW_COL_TEXT, false},      {"attempts", KW_COL_INT, false},       {"next_attempt_at", KW_COL_TIME, false},
    {"response_status", KW_COL_INT, false}, {"last_error", KW_COL_TEXT, false}, {"delivered_at", KW_COL_TIME, false},
    {"created_at", KW_COL_TIME, false},
};

static kw_app *app_of(const kw_http_req *req) { return req->ctx; }

/* "*" or ",a,b," (the form webhooks.c matches) into out; events in *list. */
static int event_filter(const json_t *events, char *out, size_t cap, json_t **list, kw_err *err)
{
    *list = json_array();
    if (!events) {
        snprintf(out, cap, "*");
        return 0;
    }
    if (!json_is_array(events) || json_array_size(events) == 0 || json_array_size(events) > EVENT_TYPES_MAX)
        return kw_err_set(err, KW_EINVAL, "field \"events\" must be a list of 1 to %d event types", EVENT_TYPES_MAX);
    size_t len = (size_t)snprintf(out, cap, ",");
    size_t i;
    const json_t *v;
    json_array_foreach(events, i, v) {
        const char *t = json_string_value(v);
        if (!t || !kw_webhook_event_known(t))
            return kw_err_set(err, KW_EINVAL, "field \"events\"[%zu] is not an event type (see docs/api.md, Events)",
                              i);
        char needle[80];
        snprintf(needle, sizeof needle, ",%s,", t);
        if (strstr(out, needle))
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s,", t);
        json_array_append_new(*list, json_string(t));
    }
    return 0;
}

static json_t *filter_list(const char *stored)
{
    json_t *list = json_array();
    if (strcmp(stored, "*") == 0)
        return json_array_append_new(list, json_string("*")), list;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", stored);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(list, json_string(t));
    return list;
}

static int create(const kw_http_req *req, kw_http_res *res)
{
    kw_app *app = app_of(req);
    const char *url;
    const kw_field fields[] = {
        KW_FIELD_STRING("url", true, 1, KW_WEBHOOK_URL_MAX, &url),
        KW_FIELD_CONST("events"),
    };
    json_t *root, *events = NULL;
    int rc = kw_body_read(req->body, req->body_len, fields, 2, &root, &res->err);
    if (rc)
        return rc;
    char filter[1024], secret[KW_WEBHOOK_SECRET_LEN + 1] = "";
    int64_t id = 0, n = 0, now = kw_clock_now_ms(app->engine->clock);
    kw_db *db = NULL;
    if ((rc = kw_webhook_check_url(url, app->production, &res->err)) ||
        (rc = event_filter(json_object_get(root, "events"), filter, sizeof filter, &events, &res->err)) ||
        (rc = kw_webhook_secret_new(secret, &res->err)) ||
        (rc = kw_store_acquire(app->engine->store, KW_DB_WRITE, &db, &res->err)))
        goto done;
    if ((rc = kw_db_query_int(db, &SQL_COUNT, KW_ARGS(KW_I(req->principal.user_id)), &n, &res->err)) != 0)
        goto done;
    if (n >= WEBHOOKS_MAX) {
        rc = kw_http_error(res, 422, "LIMIT_REACHED", "at most %d webhooks per user; delete one first", WEBHOOKS_MAX);
        goto done;
    }
    if ((rc = kw_db_query_int(db, &SQL_INSERT,
                              KW_ARGS(KW_I(req->principal.user_id), KW_T(url), KW_T(secret), KW_T(filter), KW_I(now)),
                              &id, &res->err)) != 0)
        goto done;
    json_t *data = json_pack("{s:I,s:s,s:o,s:s,s:o}", "id", (json_int_t)id, "url", url, "events",
                             strcmp(filter, "*") == 0 ? filter_list("*") : json_incref(events), "secret", secret,
                             "created_at", kw_json_time(now));
    rc = kw_http_json(res, 201, data);
done:
    if (db)
        kw_store_release(app->engine->store, db);
    sodium_memzero(secret, sizeof secret);
    json_decref(events);
    json_decref(root);
    return rc;
}

static int list_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, &SQL_LIST, KW_ARGS(KW_I(req->principal.user_id)), &r, err);
    if (rc)
        return rc;
    json_t *list = json_array();
    while ((rc = kw_rows_next(r, err)) == 1)
        json_array_append_new(
            list, json_pack("{s:I,s:s,s:o,s:b,s:o,s:{s:I,s:I,s:I}}", "id", (json_int_t)kw_rows_int(r, 0), "url",
                            kw_rows_text(r, 1), "events", filter_list(kw_rows_text(r, 2)), "active", 1, "created_at",
                            kw_json_time(kw_rows_int(r, 3)), "deliveries", "pending", (json_int_t)kw_rows_int(r, 4),
                            "delivered", (json_int_t)kw_rows_int(r, 5), "failed", (json_int_t)kw_rows_int(r, 6)));
    kw_rows_close(r);
    if (rc < 0) {
        json_decref(list);
        return rc;
    }
    *data = json_pack("{s:o}", "webhooks", list);
    return 0;
}

static int list(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, list_q); }

typedef struct delete_ctx {
    int64_t id, user, now;
} delete_ctx;

static int delete_tx(kw_db *db, void *ctx, kw_err *err)
{
    delete_ctx *c = ctx;
    int64_t n = 0;
    int rc = kw_db_exec(db, &SQL_DELETE, KW_ARGS(KW_I(c->id), KW_I(c->user), KW_I(c->now)), &n, err);
    if (rc == 0 && n == 0)
        return kw_err_set(err, KW_ENOTFOUND, "you have no webhook %lld", (long long)c->id);
    return rc ? rc : kw_db_exec(db, &SQL_DROP_PENDING, KW_ARGS(KW_I(c->id)), NULL, err);
}

static int delete(const kw_http_req *req, kw_http_res *res)
{
    kw_app *app = app_of(req);
    delete_ctx c = {.user = req->principal.user_id, .now = kw_clock_now_ms(app->engine->clock)};
    int rc = kw_http_param_int(req, "id", 1, INT64_MAX, &c.id, &res->err);
    if (rc || (rc = kw_store_tx(app->engine->store, delete_tx, &c, &res->err)) != 0)
        return rc;
    return kw_http_json(res, 200, json_pack("{s:I,s:b}", "id", (json_int_t)c.id, "deleted", 1));
}

static int deliveries_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    int64_t id, n = 0, limit, before;
    json_t *rows;
    int rc = kw_http_param_int(req, "id", 1, INT64_MAX, &id, err);
    if (rc || (rc = kw_query_page(req, &limit, &before, err)) ||
        (rc = kw_db_query_int(db, &SQL_OWNED, KW_ARGS(KW_I(id), KW_I(req->principal.user_id)), &n, err)))
        return rc;
    if (n == 0)
        return kw_err_set(err, KW_ENOTFOUND, "you have no webhook %lld", (long long)id);
    if ((rc = kw_query_rows(db, &SQL_DELIVERIES, KW_ARGS(KW_I(id), KW_I(before), KW_I(limit)), DELIVERY_COLS,
                            sizeof DELIVERY_COLS / sizeof DELIVERY_COLS[0], &rows, err)) != 0)
        return rc;
    *data = json_pack("{s:I,s:o}", "webhook_id", (json_int_t)id, "deliveries", rows);
    return 0;
}

static int deliveries(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, deliveries_q); }

int kw_handlers_webhooks(kw_router *r, kw_app *app, kw_err *err)
{
    const kw_route routes[] = {
        {"POST", "/api/v1/webhooks", create, KW_ROUTE_USER, KW_ROUTE_SECRET_REPLY, app,
         "register a webhook; its signing secret is shown once"},
        {"GET", "/api/v1/webhooks", list, KW_ROUTE_USER, 0, app, "the caller's webhooks and delivery counts"},
        {"DELETE", "/api/v1/webhooks/{id}", delete, KW_ROUTE_USER, 0, app, "delete a webhook"},
        {"GET", "/api/v1/webhooks/{id}/deliveries", deliveries, KW_ROUTE_USER, 0, app,
         "a webhook's deliveries, newest first"},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}
