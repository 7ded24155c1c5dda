#include "api/app.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "crypto/sha.h"
#include "engine/idem.h"
#include "obs/log.h"

/* How long the readers wait for a hole in the outbox ids to fill (outbox.h). */
#define HOLE_WAIT_MS 5000
#define PURGE_EVERY_MS (INT64_C(3600) * 1000)

/* One row per endpoint file. */
static int (*const handler_sets[])(kw_router *r, kw_app *app, kw_err *err) = {
    kw_handlers_cycles, kw_handlers_daos,     kw_handlers_users, kw_handlers_me,
    kw_handlers_actions, kw_handlers_webhooks, kw_handlers_admin, kw_handlers_devnet,
};

static const kw_sql SQL_PING = {.sql = "SELECT 1"};
static const kw_sql SQL_IDEM_GET = {
    .sql = "SELECT request_hash, status_code, response FROM idempotency_keys "
           "WHERE scope = $1 AND idem_key = $2 AND expires_at > $3"};
static const kw_sql SQL_IDEM_EXPIRED = {
    .sql = "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND expires_at <= $3"};
static const kw_sql SQL_IDEM_PUT = {
    .sql = "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status_code, response, created_at, expires_at) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scope, idem_key) DO NOTHING"};
static const kw_sql SQL_IDEM_PURGE = {.sql = "DELETE FROM idempotency_keys WHERE expires_at <= $1"};
static const kw_sql SQL_PAUSED_GET = {.sql = "SELECT COALESCE(MAX(value), 0) FROM service_state WHERE name = 'paused'"};
static const kw_sql SQL_PAUSED_SET = {
    .sql = "INSERT INTO service_state (name, value, updated_at) VALUES ('paused', $1, $2) "
           "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"};

static int64_t now_ms(const kw_app *app) { return kw_clock_now_ms(app->engine->clock); }

/* ---- hooks ------------------------------------------------------------------------ */

static int authenticate(void *ctx, const char *bearer, const char *api_key, kw_principal *out)
{
    kw_app *app = ctx;
    kw_identity_principal p;
    kw_err err = {0};
    int rc = bearer ? kw_identity_authenticate_token(&app->identity, bearer, now_ms(app), &p, &err)
                    : kw_identity_authenticate_apikey(&app->identity, api_key, now_ms(app), &p, &err);
    if (rc == 0 && bearer && api_key) {
        /* Both given: both must name the same user. */
        kw_identity_principal q;
        rc = kw_identity_authenticate_apikey(&app->identity, api_key, now_ms(app), &q, &err);
        if (rc == 0 && q.user_id != p.user_id)
            rc = KW_EAUTH;
    }
    if (rc)
        return rc;
    *out = (kw_principal){.user_id = p.user_id,
                          .tier = p.tier == KW_ACCESS_PREMIUM ? KW_TIER_PREMIUM : KW_TIER_USER,
                          .role = p.role == KW_ACCESS_ADMIN ? KW_ROLE_ADMIN : KW_ROLE_USER};
    return 0;
}

static void idem_scope(int64_t user_id, char *out, size_t cap)
{
    snprintf(out, cap, "http:%lld", (long long)user_id);
}

static int idem_lookup(void *ctx, int64_t user_id, const char *key, kw_idem_record *out)
{
    kw_app *app = ctx;
    if (user_id == 0)
        return KW_ENOTFOUND;
    char scope[32];
    idem_scope(user_id, scope, sizeof scope);
    kw_db *db;
    kw_rows *r;
    kw_err err = {0};
    int rc = kw_store_acquire(app->engine->store, KW_DB_READ, &db, &err);
    if (rc)
        return rc;
    if ((rc = kw_db_query(db, &SQL_IDEM_GET, KW_ARGS(KW_T(scope), KW_T(key), KW_I(now_ms(app))), &r, &err)) == 0) {
        rc = kw_rows_next(r, &err);
        if (rc == 1) {
            size_t n;
            const uint8_t *h = kw_rows_blob(r, 0, &n);
            const char *body = kw_rows_text(r, 2);
            out->status = (int)kw_rows_int(r, 1);
            out->body_len = strlen(body);
            out->body = malloc(out->body_len + 1);
            if (n != 32 || !out->body) {
                free(out->body);
                out->body = NULL;
                rc = KW_EINTERNAL;
            } else {
                memcpy(out->body, body, out->body_len + 1);
                kw_hex_encode(h, 32, out->fingerprint);
                out->fingerprint[64] = 0;
                rc = 0;
            }
        } else if (rc == 0) {
            rc = KW_ENOTFOUND;
        }
        kw_rows_close(r);
    }
    kw_store_release(app->engine->store, db);
    return rc;
}

static int idem_store(void *ctx, int64_t user_id, const char *key, const kw_idem_record *rec)
{
    kw_app *app = ctx;
    if (user_id == 0)
        return 0;
    char scope[32];
    idem_scope(user_id, scope, sizeof scope);
    uint8_t hash[32];
    if (kw_hex_decode(rec->fingerprint, hash, sizeof hash) != 0)
        return KW_EINVAL;
    char *body = strndup(rec->body ? rec->body : "", rec->body_len);
    if (!body)
        return KW_ENOMEM;
    int64_t now = now_ms(app);
    kw_db *db;
    kw_err err = {0};
    int rc = kw_store_acquire(app->engine->store, KW_DB_WRITE, &db, &err);
    if (rc == 0) {
        rc = kw_db_exec(db, &SQL_IDEM_EXPIRED, KW_ARGS(KW_T(scope), KW_T(key), KW_I(now)), NULL, &err);
        if (rc == 0)
            rc = kw_db_exec(db, &SQL_IDEM_PUT,
                            KW_ARGS(KW_T(scope), KW_T(key), KW_B(hash, 32), KW_I(rec->status), KW_T(body), KW_I(now),
                                    KW_I(now + KW_IDEM_TTL_MS)),
                            NULL, &err);
        kw_store_release(app->engine->store, db);
    }
    free(body);
    return rc;
}

static int replay(void *ctx, int64_t after_id, size_t limit, kw_hub_emit_fn emit, void *sink)
{
    kw_app *app = ctx;
    /* Only what the pump has published: an event beyond it may sit behind a hole. */
    int64_t horizon = kw_outbox_pump_published(app->pump);
    if (after_id >= horizon)
        return 0;
    kw_event *evs = calloc(limit, sizeof *evs);
    if (!evs)
        return KW_ENOMEM;
    kw_db *db;
    kw_err err = {0};
    int n = 0;
    int rc = kw_store_acquire(app->engine->store, KW_DB_READ, &db, &err);
    if (rc == 0) {
        rc = kw_events_after(db, after_id, evs, (int)limit, &n, &err);
        kw_store_release(app->engine->store, db);
    }
    for (int i = 0; i < n; i++) {
        if (rc == 0 && evs[i].id <= horizon)
            rc = emit(sink, &(kw_hub_event){evs[i].id, evs[i].type, evs[i].user_id, evs[i].payload,
                                            strlen(evs[i].payload)});
        kw_event_clear(&evs[i]);
    }
    free(evs);
    return rc;
}

static int ready(void *ctx, kw_err *err)
{
    kw_app *app = ctx;
    kw_db *db;
    int64_t one = 0;
    int rc = kw_store_acquire(app->engine->store, KW_DB_READ, &db, err);
    if (rc == 0) {
        rc = kw_db_query_int(db, &SQL_PING, KW_NOARGS, &one, err);
        kw_store_release(app->engine->store, db);
    }
    if (rc)
        return kw_err_set(err, KW_ETRANSIENT, "the database does not answer (%s)", err->msg);
    uint32_t block;
    const char *doc;
    size_t len;
    int slot = kw_pubdoc_acquire(&app->engine->current, &doc, &len);
    kw_pubdoc_release(&app->engine->current, slot);
    if (!kw_engine_block(app->engine, &block) || len == 0)
        return kw_err_set(err, KW_ETRANSIENT, "the engine has not read the chain yet");
    if (kw_breaker_is_open(&app->engine->breaker, app->engine->clock))
        return kw_err_set(err, KW_ETRANSIENT, "the chain is failing (circuit breaker open)");
    return 0;
}

static bool leading(void *ctx) { return kw_engine_leading(((kw_app *)ctx)->engine); }

static int add_routes(void *ctx, kw_router *r, kw_err *err) { return kw_app_add_routes(r, ctx, err); }

/* ---- the pump's work --------------------------------------------------------------- */

static int publish(void *ctx, const kw_event *ev)
{
    kw_app *app = ctx;
    kw_err err = {0};
    int rc = kw_api_publish(app->api,
                            &(kw_hub_event){ev->id, ev->type, ev->user_id, ev->payload, strlen(ev->payload)}, &err);
    if (rc)
        KW_LOG(KW_LOG_WARN, "event not published", KW_LI("event", ev->id), KW_LS("error", err.msg));
    return rc;
}

static int refresh_paused(kw_app *app, kw_err *err)
{
    kw_db *db;
    int64_t v = 0;
    int rc = kw_store_acquire(app->engine->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = kw_db_query_int(db, &SQL_PAUSED_GET, KW_NOARGS, &v, err);
    kw_store_release(app->engine->store, db);
    if (rc == 0)
        atomic_store(&app->paused, v != 0);
    return rc;
}

/* After each pump pass: new events for webhooks, the pause switch, and now
 * and then the expired idempotency records. */
static void housekeeping(void *ctx)
{
    kw_app *app = ctx;
    kw_err err = {0};
    kw_webhooks_wake(app->webhooks);
    if (refresh_paused(app, &err) != 0)
        KW_LOG(KW_LOG_WARN, "cannot read the pause switch", KW_LS("error", err.msg));
    int64_t now = now_ms(app);
    if (now - app->last_purge < PURGE_EVERY_MS)
        return;
    app->last_purge = now;
    kw_db *db;
    if (kw_store_acquire(app->engine->store, KW_DB_WRITE, &db, &err) == 0) {
        if (kw_db_exec(db, &SQL_IDEM_PURGE, KW_ARGS(KW_I(now)), NULL, &err) != 0)
            KW_LOG(KW_LOG_WARN, "cannot purge idempotency records", KW_LS("error", err.msg));
        kw_store_release(app->engine->store, db);
    }
}

static void after_tick(void *ctx) { kw_app_wake(ctx); }

/* ---- metrics sampled on every scrape ----------------------------------------------- */

/* The registry outlives any app, so its render hook is registered once and
 * samples whichever app is running. */
static struct {
    pthread_mutex_t mu;
    kw_app *app;
    bool registered;
    kw_metrics_family *retries, *deferred, *hashes;
} sampled = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void mirror_counter(kw_metrics_family *f, uint64_t value)
{
    kw_metrics_series *s = kw_metrics_series_get(f, NULL);
    kw_metrics_inc(s, (int64_t)value - kw_metrics_counter_value(s));
}

static void sample(void *ctx)
{
    (void)ctx;
    const kw_metrics_std *std = kw_metrics_std_global();
    pthread_mutex_lock(&sampled.mu);
    kw_engine *e = sampled.app ? sampled.app->engine : NULL;
    if (e) {
        kw_metrics_set(kw_metrics_series_get(std->db_connections, NULL), kw_store_active(e->store));
        /* Counters the engine thread writes: relaxed atomic reads, a stale value is harmless. */
        uint64_t hashes = __atomic_load_n(&e->farming.stats.hashes, __ATOMIC_RELAXED);
        double secs;
        __atomic_load(&e->farming.stats.hash_seconds, &secs, __ATOMIC_RELAXED);
        mirror_counter(sampled.retries, __atomic_load_n(&e->retry.retries, __ATOMIC_RELAXED));
        mirror_counter(sampled.deferred, __atomic_load_n(&e->retry.deferred, __ATOMIC_RELAXED));
        mirror_counter(sampled.hashes, hashes);
        if (secs > 0)
            kw_metrics_set(kw_metrics_series_get(std->work_hash_rate, NULL), (double)hashes / secs);
    }
    pthread_mutex_unlock(&sampled.mu);
}

static int sample_app(kw_app *app, kw_err *err)
{
    kw_metrics *m = kw_metrics_global();
    int rc = 0;
    pthread_mutex_lock(&sampled.mu);
    if (m && !sampled.registered) {
        const kw_metrics_def retries = {"kale_chain_retries_total", "Chain calls tried again after a transient failure",
                                        KW_METRICS_COUNTER, NULL, 0, NULL, 0};
        const kw_metrics_def deferred = {"kale_chain_deferred_total",
                                         "Chain calls left to the next tick: the tick's retry wait budget was spent",
                                         KW_METRICS_COUNTER, NULL, 0, NULL, 0};
        const kw_metrics_def hashes = {"kale_work_hashes_total", "Proof-of-work hashes computed by the miner",
                                       KW_METRICS_COUNTER, NULL, 0, NULL, 0};
        if ((rc = kw_metrics_register(m, &retries, &sampled.retries, err)) == 0 &&
            (rc = kw_metrics_register(m, &deferred, &sampled.deferred, err)) == 0 &&
            (rc = kw_metrics_register(m, &hashes, &sampled.hashes, err)) == 0 &&
            (rc = kw_metrics_on_render(m, sample, NULL)) != 0)
            kw_err_set(err, rc, "too many metrics render hooks");
        sampled.registered = rc == 0;
    }
    if (rc == 0)
        sampled.app = app;
    pthread_mutex_unlock(&sampled.mu);
    return rc;
}

static void unsample_app(kw_app *app)
{
    pthread_mutex_lock(&sampled.mu);
    if (sampled.app == app)
        sampled.app = NULL;
    pthread_mutex_unlock(&sampled.mu);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

int kw_app_add_routes(kw_router *r, kw_app *app, kw_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof handler_sets / sizeof handler_sets[0]; i++)
        rc = handler_sets[i](r, app, err);
    return rc;
}

int kw_app_read(const kw_http_req *req, kw_http_res *res, int status, kw_app_read_fn fn)
{
    kw_store *st = ((kw_app *)req->ctx)->engine->store;
    kw_db *db;
    json_t *data = NULL;
    int rc = kw_store_acquire(st, KW_DB_READ, &db, &res->err);
    if (rc)
        return rc;
    rc = fn(req, db, &data, &res->err);
    kw_store_release(st, db);
    return rc ? rc : kw_http_json(res, status, data);
}

int kw_app_set_paused(kw_app *app, bool paused, int64_t now, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(app->engine->store, KW_DB_WRITE, &db, err);
    if (rc)
        return rc;
    rc = kw_db_exec(db, &SQL_PAUSED_SET, KW_ARGS(KW_I(paused), KW_I(now)), NULL, err);
    kw_store_release(app->engine->store, db);
    if (rc == 0)
        atomic_store(&app->paused, paused);
    return rc;
}

void kw_app_wake(kw_app *app)
{
    if (app && app->pump)
        kw_outbox_pump_wake(app->pump);
}

int kw_app_start(const kw_config *cfg, kw_engine *engine, int port, kw_app **out, kw_err *err)
{
    kw_app *app = calloc(1, sizeof *app);
    if (!app)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    app->cfg = cfg;
    app->engine = engine;
    app->devnet = kw_config_int(cfg, KW_CFG_KALEWX_CHAIN) == 0;
    app->production = strcmp(kw_config_str(cfg, KW_CFG_KALEWX_ENV), "production") == 0;
    int64_t poll = kw_config_int(cfg, KW_CFG_OUTBOX_POLL_MS), last_id = 0;
    int rc = kw_secret_load(cfg, KW_SECRET_JWT, app->devnet, &app->token_key, err);
    if (rc)
        goto fail;
    app->identity = (kw_identity){.store = engine->store, .kek = engine->kek, .token_key = app->token_key.bytes,
                                  .token_key_len = app->token_key.len};
    if ((rc = refresh_paused(app, err)) != 0)
        goto fail;
    kw_db *db;
    if ((rc = kw_store_acquire(engine->store, KW_DB_READ, &db, err)) != 0)
        goto fail;
    rc = kw_events_last_id(db, &last_id, err);
    kw_store_release(engine->store, db);
    if (rc)
        goto fail;
    kw_webhooks_options wo = {.store = engine->store, .clock = engine->clock,
                              .retry_base_ms = kw_config_int(cfg, KW_CFG_WEBHOOK_RETRY_BASE_MS),
                              .timeout_ms = kw_config_int(cfg, KW_CFG_WEBHOOK_TIMEOUT_MS), .poll_ms = poll,
                              .hole_wait_ms = HOLE_WAIT_MS};
    if ((rc = kw_webhooks_new(&wo, &app->webhooks, err)) != 0)
        goto fail;
    kw_api_hooks hooks = {
        .server = {.ctx = app, .authenticate = authenticate, .idem_lookup = idem_lookup, .idem_store = idem_store},
        .replay = replay, .event_start_id = last_id, .ready = ready, .leading = leading, .add_routes = add_routes};
    if ((rc = kw_api_start(cfg, &hooks, port, &app->api, err)) != 0)
        goto fail;
    kw_outbox_pump_options po = {.store = engine->store, .start_id = last_id, .poll_ms = poll,
                                 .hole_wait_ms = HOLE_WAIT_MS, .sink = publish, .every_pass = housekeeping,
                                 .ctx = app};
    if ((rc = kw_outbox_pump_start(&po, &app->pump, err)) != 0 || (rc = kw_webhooks_start(app->webhooks, err)) != 0 ||
        (rc = sample_app(app, err)) != 0)
        goto fail;
    kw_engine_on_tick(engine, after_tick, app);
    *out = app;
    return 0;
fail:
    kw_app_stop(app);
    return rc;
}

void kw_app_stop(kw_app *app)
{
    if (!app)
        return;
    if (app->engine)
        kw_engine_on_tick(app->engine, NULL, NULL);
    unsample_app(app);
    /* Handlers wake the pump and the pump publishes into the api: no handler
     * may run once the pump is gone, and the api must outlive the pump. */
    kw_api_quiesce(app->api);
    kw_outbox_pump_stop(app->pump);
    app->pump = NULL;
    kw_api_stop(app->api);
    kw_webhooks_free(app->webhooks);
    kw_secret_free(&app->token_key);
    free(app);
}
