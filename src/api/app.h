/*
 * app — the HTTP API bound to the engine: what `kalewx serve` runs next to
 * the engine thread (SPEC §10, §11).
 *
 * kw_app_start wires the api (api.h) to the engine through its hooks:
 *   - credentials: Bearer JWTs and X-API-Key through engine/identity.h, the
 *     token key from JWT_SECRET (devnet: generated in KALEWX_DATA_DIR);
 *   - Idempotency-Key replies in the idempotency_keys table (scope
 *     "http:<user id>", kept 24 hours; anonymous requests are not recorded,
 *     nor replies flagged KW_ROUTE_SECRET_REPLY);
 *   - stream resumes replayed from the outbox, up to what the pump published;
 *   - readiness: a database round trip, a chain block seen and the current
 *     cycle published, the chain's circuit breaker closed;
 *   - every endpoint of docs/api.md (the handlers_*.c files, one table in app.c).
 * It also starts the outbox pump (outbox.h), which hands committed events to
 * live streams in id order and wakes the webhook dispatcher (webhooks.h).
 * The engine wakes the pump after each tick; handlers that commit events
 * (actions, withdrawals) wake it too; it polls as a fallback.
 *
 * The operator's pause switch (POST /admin/pause) lives in service_state
 * ("paused"), so it holds across restarts and replicas; every pump pass
 * refreshes the copy the handlers read.
 *
 * Ownership: the app borrows cfg and the engine, which must outlive it.
 * Stop the app before the engine. Thread-safety: handlers run on the HTTP
 * threads and only use the thread-safe parts of the engine (store, pubdoc,
 * block); kw_app_wake is thread-safe; start/stop are not.
 */
#ifndef KW_API_APP_H
#define KW_API_APP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "api/outbox.h"
#include "api/webhooks.h"
#include "core/config.h"
#include "core/err.h"
#include "crypto/secret.h"
#include "engine/engine.h"
#include "engine/identity.h"

typedef struct kw_app {
    const kw_config *cfg;
    kw_engine *engine;            /* NULL only for route listings (kw_app_add_routes) */
    kw_identity identity;
    kw_secret token_key;
    bool devnet;
    bool production;
    atomic_bool paused;           /* mirror of service_state "paused" */
    kw_api *api;
    kw_outbox_pump *pump;
    kw_webhooks *webhooks;
    int64_t last_purge;           /* pump thread: idempotency records last purged */
} kw_app;

/* Starts the API on port (< 0: PORT, 0: any free port) for a started or
 * opened engine; KW_E* with a message naming the setting or resource. */
int kw_app_start(const kw_config *cfg, kw_engine *engine, int port, kw_app **out, kw_err *err) KW_WUR;
/* Stops serving (streams end), the pump and the webhook thread, then frees. */
void kw_app_stop(kw_app *app);

/* New outbox events may be waiting (thread-safe). */
void kw_app_wake(kw_app *app);

/* Adds every application route to r (ctx = app); used by kw_app_start and
 * by the OpenAPI check, which passes an app without an engine. */
int kw_app_add_routes(kw_router *r, kw_app *app, kw_err *err) KW_WUR;

/* For read-only handlers (req->ctx is the app): runs fn on a read
 * connection and answers `status` with the *data it sets, or fails with its
 * error. */
typedef int (*kw_app_read_fn)(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err);
int kw_app_read(const kw_http_req *req, kw_http_res *res, int status, kw_app_read_fn fn);

/* Sets the pause switch in the database and the mirror. */
int kw_app_set_paused(kw_app *app, bool paused, int64_t now_ms, kw_err *err) KW_WUR;

#endif
