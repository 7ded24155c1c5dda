/*
 * api — the HTTP API assembled from the settings: server, router, rate
 * limits, metrics, event hub and stream, static dashboard files, and the
 * built-in routes (SPEC §10, §15):
 *
 *     GET /health          liveness            (no rate limit)
 *     GET /ready           the `ready` hook    (no rate limit)
 *     GET /metrics         Prometheus text     (no rate limit)
 *     GET /api/v1/stream   Server-Sent Events
 *     GET /  and  GET /static/{file...}   the dashboard (KALEWX_WEB_DIR)
 *
 * The application plugs in through kw_api_hooks: credentials, idempotency
 * records, the outbox replay for event streams, the readiness check, and
 * its own routes. Each endpoint file (src/api/handlers_NAME.c) exports a
 * `kw_handlers_NAME(kw_router *, kw_api *, kw_err *)` that adds its routes;
 * it is listed once in the table in api.c (see handlers.h).
 *
 *     kw_api *api;
 *     kw_api_hooks hooks = {.server = {.ctx = app, .authenticate = app_auth, ...},
 *                           .replay = app_outbox_after, .event_start_id = last_outbox_id,
 *                           .ready = app_ready, .add_routes = app_routes};
 *     if (kw_api_start(&cfg, &hooks, -1, &api, &err)) ...
 *     kw_api_publish(api, &(kw_hub_event){id, "phase.changed", 0, json, len}, &err);
 *     kw_api_stop(api);
 *
 * Settings used: BIND, PORT, HTTP_THREADS, HTTP_MAX_CONNECTIONS,
 * HTTP_TIMEOUT_SECONDS, HTTP_BODY_MAX, ALLOWED_ORIGINS, TRUST_PROXY,
 * KALEWX_ENV, RATE_LIMIT_*, SSE_HEARTBEAT_MS, SSE_BUFFER_EVENTS, KALEWX_WEB_DIR.
 *
 * Thread-safety: kw_api_publish is thread-safe; start and stop are not.
 */
#ifndef KW_API_API_H
#define KW_API_API_H

#include <stdbool.h>
#include <stdint.h>

#include "api/hub.h"
#include "api/router.h"
#include "api/server.h"
#include "core/config.h"
#include "core/err.h"
#include "obs/metrics.h"

typedef struct kw_api kw_api;

typedef struct kw_api_hooks {
    kw_server_hooks server;      /* ctx (shared by every hook), authenticate, idem_lookup, idem_store */
    kw_hub_replay_fn replay;     /* outbox events after an id; NULL: resumes older than the ring see a gap */
    int64_t event_start_id;      /* newest outbox id when the API starts */
    /* 0 when the database and chain answer; otherwise a code and a reason (→ 503). NULL: always ready. */
    int (*ready)(void *ctx, kw_err *err);
    /* Whether this replica runs the engine (GET /ready's `leader`); NULL leaves the field out. */
    bool (*leading)(void *ctx);
    /* Adds the application's routes; NULL for none. */
    int (*add_routes)(void *ctx, kw_router *r, kw_err *err);
} kw_api_hooks;

/* Starts serving. port < 0 uses the PORT setting, 0 any free port. Errors
 * name the setting or resource at fault. The hooks' ctx must outlive the API. */
int kw_api_start(const kw_config *cfg, const kw_api_hooks *hooks, int port, kw_api **out, kw_err *err) KW_WUR;
/* Ends event streams and stops the server: when it returns no handler runs
 * any more, but the API can still be published into. For an application
 * whose handlers use something that in turn publishes (the outbox pump):
 * quiesce, stop that, then kw_api_stop. */
void kw_api_quiesce(kw_api *api);
/* Quiesces (unless done) and frees everything. */
void kw_api_stop(kw_api *api);

uint16_t kw_api_port(const kw_api *api);
/* Every route, for listings and the OpenAPI comparison. */
const kw_router *kw_api_router(const kw_api *api);

/* Hands an outbox event to live streams (see hub.h for the rules). */
int kw_api_publish(kw_api *api, const kw_hub_event *ev, kw_err *err) KW_WUR;
/* Open event streams. */
size_t kw_api_streams(kw_api *api);

/* For the built-in handlers. */
int kw_api_ready(kw_api *api, kw_err *err);
/* 1 when this replica leads, 0 when it stands by, -1 without a `leading` hook. */
int kw_api_leading(kw_api *api);
kw_metrics *kw_api_metrics(kw_api *api);
int64_t kw_api_uptime_seconds(const kw_api *api);

#endif
