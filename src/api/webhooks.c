#include "api/webhooks.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "api/http.h"
#include "api/outbox.h"
#include "api/worker.h"
#include "crypto/sha.h"
#include "engine/events.h"
#include "obs/log.h"
#include "obs/metrics.h"

#define CURSOR_NAME "webhooks.cursor"
#define ENQUEUE_BATCH 256
#define DELIVER_BATCH 32
/* A claimed delivery is left alone for the request's time limit plus this. */
#define CLAIM_SLACK_MS 5000
#define ERROR_MAX 200

static const kw_sql SQL_CURSOR_GET = {.sql = "SELECT value FROM service_state WHERE name = $1"};
static const kw_sql SQL_CURSOR_INIT = {
    .sql = "INSERT INTO service_state (name, value, updated_at) "
           "SELECT CAST($1 AS TEXT), COALESCE(MAX(id), 0), CAST($2 AS BIGINT) FROM events WHERE TRUE "
           "ON CONFLICT (name) DO NOTHING"};
static const kw_sql SQL_CURSOR_SET = {.sql = "UPDATE service_state SET value = $2, updated_at = $3 WHERE name = $1"};
/* The webhooks an event goes to: active, registered by the time the event
 * happened, the owner's own for a private event, and wanting its type. */
static const kw_sql SQL_FAN_OUT = {
    .sqlite = "INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, created_at) "
              "SELECT id, CAST($1 AS BIGINT), 'pending', 0, CAST($2 AS BIGINT), CAST($2 AS BIGINT) FROM webhooks "
              "WHERE active = TRUE AND created_at <= $3 "
              "AND (CAST($4 AS BIGINT) = 0 OR user_id = $4) "
              "AND (event_types = '*' OR instr(event_types, ',' || $5 || ',') > 0) "
              "ON CONFLICT (webhook_id, event_id) DO NOTHING",
    .pg = "INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, created_at) "
          "SELECT id, CAST($1 AS BIGINT), 'pending', 0, CAST($2 AS BIGINT), CAST($2 AS BIGINT) FROM webhooks "
          "WHERE active = TRUE AND created_at <= $3 "
          "AND (CAST($4 AS BIGINT) = 0 OR user_id = $4) "
          "AND (event_types = '*' OR strpos(event_types, ',' || $5 || ',') > 0) "
          "ON CONFLICT (webhook_id, event_id) DO NOTHING"};
static const kw_sql SQL_DUE = {
    .sql = "SELECT d.id, d.attempts, d.next_attempt_at, d.created_at, w.url, w.secret, e.id, e.type, e.payload, "
           "e.created_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
           "JOIN events e ON e.id = d.event_id "
           "WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at, d.id LIMIT $2"};
static const kw_sql SQL_NEXT_DUE = {
    .sql = "SELECT COALESCE(MIN(next_attempt_at), -1) FROM webhook_deliveries WHERE status = 'pending'"};
static const kw_sql SQL_CLAIM = {
    .sql = "UPDATE webhook_deliveries SET next_attempt_at = $3 "
           "WHERE id = $1 AND status = 'pending' AND next_attempt_at = $2"};
static const kw_sql SQL_DELIVERED = {
    .sql = "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, response_status = $2, "
           "last_error = NULL, delivered_at = $3 WHERE id = $1"};
static const kw_sql SQL_RETRY = {
    .sql = "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, response_status = $3, "
           "last_error = $4, next_attempt_at = $5 WHERE id = $1"};

static const char *const event_types[] = {
    KW_EV_BLOCK_CHANGED, KW_EV_PHASE_CHANGED, KW_EV_CYCLE_STARTED, KW_EV_DAO_COMMITTED, KW_EV_DAO_REVEALED,
    KW_EV_WEATHER_RESOLVED, KW_EV_CYCLE_SETTLED, KW_EV_ACTION_ACCEPTED, KW_EV_POSITION_UPDATED,
    KW_EV_BALANCE_CHANGED,
};

struct kw_webhooks {
    kw_webhooks_options o;
    kw_outbox_cursor cursor;      /* in memory between passes; the database holds the truth */
    bool cursor_known;            /* the cursor row exists and cursor was read from it */
    kw_worker *worker;
};

bool kw_webhook_event_known(const char *type)
{
    for (size_t i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
        if (strcmp(type, event_types[i]) == 0)
            return true;
    return false;
}

int64_t kw_webhook_backoff_ms(int64_t base_ms, int64_t attempts)
{
    int64_t d = base_ms < 1 ? 1 : base_ms;
    for (int64_t i = 1; i < attempts && d < KW_WEBHOOK_DELAY_MAX_MS; i++)
        d *= 2;
    return d < KW_WEBHOOK_DELAY_MAX_MS ? d : KW_WEBHOOK_DELAY_MAX_MS;
}

void kw_webhook_signature(const char *secret, int64_t t, const char *body, size_t len,
                          char out[KW_WEBHOOK_SIGNATURE_MAX])
{
    char ts[24];
    int tn = snprintf(ts, sizeof ts, "%lld.", (long long)t);
    uint8_t mac[32];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)tn);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[65];
    kw_hex_encode(mac, sizeof mac, hex);
    hex[64] = 0;
    snprintf(out, KW_WEBHOOK_SIGNATURE_MAX, "t=%lld,v1=%s", (long long)t, hex);
    sodium_memzero(&st, sizeof st);
}

int kw_webhook_secret_new(char out[KW_WEBHOOK_SECRET_LEN + 1], kw_err *err)
{
    if (sodium_init() < 0)
        return kw_err_set(err, KW_EINTERNAL, "the random number generator is not available");
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(out, "whsec_", 6);
    kw_hex_encode(raw, sizeof raw, out + 6);
    out[KW_WEBHOOK_SECRET_LEN] = 0;
    sodium_memzero(raw, sizeof raw);
    return 0;
}

int kw_webhook_check_url(const char *url, bool https_only, kw_err *err)
{
    size_t n = strlen(url);
    if (n > KW_WEBHOOK_URL_MAX)
        return kw_err_set(err, KW_EINVAL, "field \"url\" must be at most %d characters", KW_WEBHOOK_URL_MAX);
    for (const char *p = url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F)
            return kw_err_set(err, KW_EINVAL, "field \"url\" must be printable ASCII without spaces");
    size_t scheme = strncasecmp(url, "https://", 8) == 0 ? 8 : strncasecmp(url, "http://", 7) == 0 ? 7 : 0;
    if (!scheme || (https_only && scheme == 7))
        return kw_err_set(err, KW_EINVAL, "field \"url\" must start with %s", https_only ? "https://" : "http:// or https://");
    const char *host = url + scheme;
    size_t hlen = strcspn(host, "/?#");
    if (hlen == 0 || host[0] == ':' || memchr(host, '@', hlen))
        return kw_err_set(err, KW_EINVAL, "field \"url\" must name a host (and no user name or password)");
    return 0;
}

/* ---- fan-out ---------------------------------------------------------------- */

typedef struct enqueue_ctx {
    kw_webhooks *w;
    int64_t now;
    int events;
} enqueue_ctx;

static int enqueue_tx(kw_db *db, void *ctx, kw_err *err)
{
    enqueue_ctx *c = ctx;
    kw_webhooks *w = c->w;
    int64_t stored;
    int rc = w->cursor_known ? 0 : kw_db_exec(db, &SQL_CURSOR_INIT, KW_ARGS(KW_T(CURSOR_NAME), KW_I(c->now)), NULL, err);
    if (rc || (rc = kw_db_query_int(db, &SQL_CURSOR_GET, KW_ARGS(KW_T(CURSOR_NAME)), &stored, err)) != 0)
        return rc;
    kw_outbox_cursor cur = w->cursor;
    if (stored != cur.last)
        cur = (kw_outbox_cursor){.last = stored};
    kw_event *evs = calloc(ENQUEUE_BATCH, sizeof *evs);
    if (!evs)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int n = 0;
    rc = kw_outbox_read(db, &cur, c->now, w->o.hole_wait_ms, evs, ENQUEUE_BATCH, &n, err);
    for (int i = 0; i < n && rc == 0; i++)
        rc = kw_db_exec(db, &SQL_FAN_OUT,
                        KW_ARGS(KW_I(evs[i].id), KW_I(c->now), KW_I(evs[i].created_at), KW_I(evs[i].user_id),
                                KW_T(evs[i].type)),
                        NULL, err);
    for (int i = 0; i < n; i++)
        kw_event_clear(&evs[i]);
    free(evs);
    if (rc == 0 && n > 0)
        rc = kw_db_exec(db, &SQL_CURSOR_SET, KW_ARGS(KW_T(CURSOR_NAME), KW_I(cur.last), KW_I(c->now)), NULL, err);
    if (rc == 0) {
        w->cursor = cur;
        c->events = n;
    }
    return rc;
}

/* Whether the outbox has events after the cursor: a read, so that an idle
 * pass takes no write lock. */
static int anything_new(kw_webhooks *w, bool *yes, kw_err *err)
{
    kw_db *db;
    int64_t last = 0;
    int rc = kw_store_acquire(w->o.store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = kw_events_last_id(db, &last, err);
    kw_store_release(w->o.store, db);
    *yes = !w->cursor_known || last > w->cursor.last;
    return rc;
}

int kw_webhooks_enqueue(kw_webhooks *w, int *events, kw_err *err)
{
    enqueue_ctx c = {.w = w, .now = kw_clock_now_ms(w->o.clock)};
    int total = 0;
    bool more;
    int rc = anything_new(w, &more, err);
    while (rc == 0 && more) {
        c.events = 0;
        if ((rc = kw_store_tx(w->o.store, enqueue_tx, &c, err)) == 0)
            w->cursor_known = true;
        total += c.events;
        more = c.events == ENQUEUE_BATCH;
    }
    if (events)
        *events = total;
    return rc;
}

/* ---- delivery ------------------------------------------------------------------ */

typedef struct due {
    int64_t id, attempts, next_at, created_at, event_id, event_at;
    char url[KW_WEBHOOK_URL_MAX + 1];
    char secret[KW_WEBHOOK_SECRET_LEN + 1];
    char type[64];
    char *payload;
} due;

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr, (void)ud;
    return size * nmemb;
}

static int curl_post(void *ctx, const char *url, const char *const *headers, size_t nheaders, const char *body,
                     size_t len, int64_t timeout_ms, long *status, kw_err *err)
{
    (void)ctx;
    CURL *h = curl_easy_init();
    if (!h)
        return kw_err_set(err, KW_ENOMEM, "cannot create an HTTP client");
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < nheaders; i++) {
        struct curl_slist *grown = curl_slist_append(list, headers[i]);
        if (!grown) {
            curl_slist_free_all(list);
            curl_easy_cleanup(h);
            return kw_err_set(err, KW_ENOMEM, "out of memory");
        }
        list = grown;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kalewx-webhooks/" KW_VERSION);
    CURLcode cc = curl_easy_perform(h);
    int rc = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    else
        rc = kw_err_set(err, KW_ETRANSIENT, "%s", curl_easy_strerror(cc));
    curl_slist_free_all(list);
    curl_easy_cleanup(h);
    return rc;
}

static int load_due(kw_webhooks *w, int64_t now, int max, due *out, int *n, kw_err *err)
{
    kw_db *db;
    kw_rows *r;
    *n = 0;
    int rc = kw_store_acquire(w->o.store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    if ((rc = kw_db_query(db, &SQL_DUE, KW_ARGS(KW_I(now), KW_I(max)), &r, err)) == 0) {
        while (*n < max && (rc = kw_rows_next(r, err)) == 1) {
            due *d = &out[*n];
            memset(d, 0, sizeof *d);
            d->id = kw_rows_int(r, 0);
            d->attempts = kw_rows_int(r, 1);
            d->next_at = kw_rows_int(r, 2);
            d->created_at = kw_rows_int(r, 3);
            d->event_id = kw_rows_int(r, 6);
            d->event_at = kw_rows_int(r, 9);
            if (kw_rows_text_copy(r, 4, d->url, sizeof d->url) != 0 ||
                kw_rows_text_copy(r, 5, d->secret, sizeof d->secret) != 0 ||
                kw_rows_text_copy(r, 7, d->type, sizeof d->type) != 0 || !(d->payload = strdup(kw_rows_text(r, 8)))) {
                rc = kw_err_set(err, KW_EINTERNAL, "webhook delivery %lld has an unreadable row", (long long)d->id);
                break;
            }
            (*n)++;
        }
        kw_rows_close(r);
    }
    kw_store_release(w->o.store, db);
    return rc < 0 ? rc : 0;
}

static int exec_write(kw_webhooks *w, const kw_sql *sql, const kw_param *p, size_t np, int64_t *changes, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(w->o.store, KW_DB_WRITE, &db, err);
    if (rc)
        return rc;
    rc = kw_db_exec(db, sql, p, np, changes, err);
    kw_store_release(w->o.store, db);
    return rc;
}

/* Sends one claimed delivery and records what happened. */
static int send_one(kw_webhooks *w, due *d, kw_err *err)
{
    char ts[32];
    size_t cap = strlen(d->payload) + strlen(d->type) + 160;
    char *body = malloc(cap);
    if (!body)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int len = snprintf(body, cap, "{\"id\":%lld,\"type\":\"%s\",\"created_at\":\"%s\",\"data\":%s}",
                       (long long)d->event_id, d->type, kw_http_timestamp(d->event_at, ts, sizeof ts), d->payload);
    int64_t now = kw_clock_now_ms(w->o.clock);
    char sig[KW_WEBHOOK_SIGNATURE_MAX], h_sig[KW_WEBHOOK_SIGNATURE_MAX + 24], h_event[96], h_id[64], h_delivery[64];
    kw_webhook_signature(d->secret, now / 1000, body, (size_t)len, sig);
    snprintf(h_sig, sizeof h_sig, "X-Kalewx-Signature: %s", sig);
    snprintf(h_event, sizeof h_event, "X-Kalewx-Event: %s", d->type);
    snprintf(h_id, sizeof h_id, "X-Kalewx-Event-Id: %lld", (long long)d->event_id);
    snprintf(h_delivery, sizeof h_delivery, "X-Kalewx-Delivery: %lld", (long long)d->id);
    const char *headers[] = {"Content-Type: application/json", h_sig, h_event, h_id, h_delivery, "Expect:"};
    long status = 0;
    kw_err serr = {0};
    int src = w->o.sender.post(w->o.sender.ctx, d->url, headers, sizeof headers / sizeof headers[0], body,
                               (size_t)len, w->o.timeout_ms, &status, &serr);
    free(body);
    now = kw_clock_now_ms(w->o.clock);
    if (src == 0 && status >= 200 && status < 300)
        return exec_write(w, &SQL_DELIVERED, KW_ARGS(KW_I(d->id), KW_I(status), KW_I(now)), NULL, err);
    char why[ERROR_MAX + 1];
    if (src == 0)
        snprintf(why, sizeof why, "the endpoint answered HTTP %ld", status);
    else
        snprintf(why, sizeof why, "%.*s", ERROR_MAX, serr.msg);
    int64_t attempts = d->attempts + 1, next = now + kw_webhook_backoff_ms(w->o.retry_base_ms, attempts);
    bool give_up = next > d->created_at + KW_WEBHOOK_WINDOW_MS;
    kw_metrics_inc(KW_METRICS_SERIES(kw_metrics_std_global()->errors, give_up ? "delivery_failed" : "delivery_retry",
                                     "webhooks"),
                   1);
    KW_LOG(give_up ? KW_LOG_WARN : KW_LOG_INFO, give_up ? "webhook delivery failed for good" : "webhook delivery retried",
           KW_LI("delivery", d->id), KW_LI("attempts", attempts), KW_LS("reason", why));
    return exec_write(w, &SQL_RETRY,
                      KW_ARGS(KW_I(d->id), KW_T(give_up ? "failed" : "pending"), src == 0 ? KW_I(status) : KW_NUL,
                              KW_T(why), KW_I(next)),
                      NULL, err);
}

int kw_webhooks_deliver(kw_webhooks *w, int max, int *attempted, int64_t *next_due_ms, kw_err *err)
{
    if (max > DELIVER_BATCH)
        max = DELIVER_BATCH;
    due *list = calloc((size_t)(max > 0 ? max : 1), sizeof *list);
    if (!list)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int n = 0, sent = 0;
    int64_t now = kw_clock_now_ms(w->o.clock);
    int rc = load_due(w, now, max, list, &n, err);
    for (int i = 0; i < n && rc == 0; i++) {
        int64_t claimed = 0;
        rc = exec_write(w, &SQL_CLAIM,
                        KW_ARGS(KW_I(list[i].id), KW_I(list[i].next_at), KW_I(now + w->o.timeout_ms + CLAIM_SLACK_MS)),
                        &claimed, err);
        if (rc == 0 && claimed == 1) {
            sent++;
            rc = send_one(w, &list[i], err);
        }
    }
    for (int i = 0; i < n; i++) {
        sodium_memzero(list[i].secret, sizeof list[i].secret);
        free(list[i].payload);
    }
    free(list);
    if (attempted)
        *attempted = sent;
    if (rc == 0 && next_due_ms) {
        kw_db *db;
        int64_t next = -1;
        if ((rc = kw_store_acquire(w->o.store, KW_DB_READ, &db, err)) == 0) {
            rc = kw_db_query_int(db, &SQL_NEXT_DUE, KW_NOARGS, &next, err);
            kw_store_release(w->o.store, db);
        }
        *next_due_ms = next < 0 ? INT64_MAX : next;
    }
    return rc;
}

/* ---- lifecycle -------------------------------------------------------------------- */

int kw_webhooks_new(const kw_webhooks_options *o, kw_webhooks **out, kw_err *err)
{
    kw_webhooks *w = calloc(1, sizeof *w);
    if (!w)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    w->o = *o;
    if (!w->o.clock)
        w->o.clock = kw_clock_system();
    if (!w->o.sender.post) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
            free(w);
            return kw_err_set(err, KW_EIO, "cannot initialise libcurl");
        }
        w->o.sender.post = curl_post;
    }
    if (w->o.poll_ms < 1)
        w->o.poll_ms = 1000;
    *out = w;
    return 0;
}

/* One pass of the thread: fan out, then send what is due. */
static int64_t pass(void *ctx)
{
    kw_webhooks *w = ctx;
    kw_err err = {0};
    int attempted = 0;
    int64_t next = INT64_MAX;
    int rc = kw_webhooks_enqueue(w, NULL, &err);
    if (rc == 0)
        rc = kw_webhooks_deliver(w, DELIVER_BATCH, &attempted, &next, &err);
    if (rc)
        KW_LOG(KW_LOG_WARN, "webhook pass failed; retrying", KW_LS("error", err.msg));
    if (rc == 0 && attempted == DELIVER_BATCH)
        return 0;
    int64_t wait = w->o.poll_ms, now = kw_clock_now_ms(w->o.clock);
    if (next != INT64_MAX && next - now < wait)
        wait = next - now < 1 ? 1 : next - now;
    return wait;
}

int kw_webhooks_start(kw_webhooks *w, kw_err *err)
{
    if (kw_worker_start("webhooks", pass, w, &w->worker) != 0)
        return kw_err_set(err, KW_EIO, "cannot start the webhook thread");
    return 0;
}

void kw_webhooks_wake(kw_webhooks *w)
{
    if (w->worker)
        kw_worker_wake(w->worker);
}

void kw_webhooks_stop(kw_webhooks *w)
{
    if (!w)
        return;
    kw_worker_stop(w->worker);
    w->worker = NULL;
}

void kw_webhooks_free(kw_webhooks *w)
{
    if (!w)
        return;
    kw_webhooks_stop(w);
    free(w);
}
