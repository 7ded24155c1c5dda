#include "api/api.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/sse.h"
#include "api/static.h"
#include "obs/log.h"

/* Reconnection delay advertised to event-stream clients. */
#define SSE_RETRY_MS 3000

struct kw_api {
    kw_api_hooks hooks;
    kw_router *router;
    kw_hub *hub;
    kw_sse *sse;
    kw_static *files;
    kw_ratelimit ratelimit;
    kw_server *server;
    kw_metrics *metrics;
    int64_t started;
    bool quiesced;
};

/* One row per endpoint file. */
static int (*const handler_sets[])(kw_router *r, kw_api *api, kw_err *err) = {
    kw_handlers_system,
};

static int64_t monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static int add_routes(kw_api *api, kw_err *err)
{
    const kw_route builtin[] = {
        {"GET", "/api/v1/stream", kw_sse_handler, KW_ROUTE_PUBLIC, 0, api->sse,
         "Server-Sent Events: public events, and the caller's own"},
        {"GET", "/", kw_static_handler, KW_ROUTE_PUBLIC, 0, api->files, "the dashboard"},
        {"GET", "/static/{file...}", kw_static_handler, KW_ROUTE_PUBLIC, 0, api->files, "dashboard files"},
    };
    int rc = kw_router_add_all(api->router, builtin, sizeof builtin / sizeof builtin[0], err);
    for (size_t i = 0; rc == 0 && i < sizeof handler_sets / sizeof handler_sets[0]; i++)
        rc = handler_sets[i](api->router, api, err);
    if (rc == 0 && api->hooks.add_routes)
        rc = api->hooks.add_routes(api->hooks.server.ctx, api->router, err);
    return rc;
}

int kw_api_start(const kw_config *cfg, const kw_api_hooks *hooks, int port, kw_api **out, kw_err *err)
{
    kw_api *api = calloc(1, sizeof *api);
    if (!api)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    api->hooks = *hooks;
    api->started = monotonic_s();
    api->metrics = kw_metrics_global();
    int rc;
    kw_hub_options ho = {(size_t)kw_config_int(cfg, KW_CFG_SSE_BUFFER_EVENTS), hooks->event_start_id,
                         hooks->replay, hooks->server.ctx};
    if ((rc = kw_hub_new(&ho, &api->hub)) != 0) {
        kw_err_set(err, rc, "cannot create the event hub (SSE_BUFFER_EVENTS, event_start_id)");
        goto fail;
    }
    if ((rc = kw_sse_start(api->hub, (int)kw_config_int(cfg, KW_CFG_SSE_HEARTBEAT_MS), SSE_RETRY_MS, &api->sse))) {
        kw_err_set(err, rc, "cannot start the event-stream heartbeat");
        goto fail;
    }
    char webdir[4096];
    const char *web = kw_config_str(cfg, KW_CFG_KALEWX_WEB_DIR);
    if (!*web)
        web = kw_static_default_dir(webdir, sizeof webdir);
    if ((rc = kw_static_load(web, &api->files, err)) != 0)
        goto fail;
    const char *redis = kw_config_str(cfg, KW_CFG_REDIS_URL);
    if (*redis)
        rc = kw_ratelimit_redis(redis, NULL, NULL, &api->ratelimit, err);
    else if ((rc = kw_ratelimit_memory(NULL, NULL, &api->ratelimit)) != 0)
        kw_err_set(err, rc, "out of memory");
    if (rc)
        goto fail;
    if ((rc = kw_router_new(&api->router)) != 0) {
        kw_err_set(err, rc, "out of memory");
        goto fail;
    }
    if ((rc = add_routes(api, err)) != 0)
        goto fail;
    kw_server_options so = {
        .bind = kw_config_str(cfg, KW_CFG_BIND),
        .port = (uint16_t)(port < 0 ? kw_config_int(cfg, KW_CFG_PORT) : port),
        .threads = (unsigned)kw_config_int(cfg, KW_CFG_HTTP_THREADS),
        .max_connections = (unsigned)kw_config_int(cfg, KW_CFG_HTTP_MAX_CONNECTIONS),
        .timeout_s = (unsigned)kw_config_int(cfg, KW_CFG_HTTP_TIMEOUT_SECONDS),
        .body_max = (size_t)kw_config_int(cfg, KW_CFG_HTTP_BODY_MAX),
        .allowed_origins = kw_config_str(cfg, KW_CFG_ALLOWED_ORIGINS),
        .production = strcmp(kw_config_str(cfg, KW_CFG_KALEWX_ENV), "production") == 0,
        .ratelimit = &api->ratelimit,
        .policy = {kw_config_int(cfg, KW_CFG_RATE_LIMIT_WINDOW_SECONDS) * 1000,
                   {kw_config_int(cfg, KW_CFG_RATE_LIMIT_ANONYMOUS), kw_config_int(cfg, KW_CFG_RATE_LIMIT_USER),
                    kw_config_int(cfg, KW_CFG_RATE_LIMIT_PREMIUM)},
                   kw_config_bool(cfg, KW_CFG_TRUST_PROXY)},
        .request_duration = kw_metrics_std_global()->api_request_duration,
        .errors = kw_metrics_std_global()->errors,
    };
    if ((rc = kw_server_start(&so, api->router, &hooks->server, &api->server, err)) != 0)
        goto fail;
    KW_LOG(KW_LOG_INFO, "api started", KW_LI("routes", kw_router_count(api->router)),
           KW_LI("dashboardFiles", kw_static_count(api->files)), KW_LS("dashboardDir", web));
    *out = api;
    return 0;
fail:
    kw_api_stop(api);
    return rc;
}

void kw_api_quiesce(kw_api *api)
{
    if (!api || api->quiesced)
        return;
    /* Streams first: the server may only stop once none is suspended. */
    kw_sse_stop(api->sse);
    kw_server_stop(api->server);
    api->server = NULL;
    api->quiesced = true;
}

void kw_api_stop(kw_api *api)
{
    if (!api)
        return;
    kw_api_quiesce(api);
    kw_sse_free(api->sse);
    kw_hub_free(api->hub);
    kw_router_free(api->router);
    kw_static_free(api->files);
    kw_ratelimit_free(&api->ratelimit);
    free(api);
}

uint16_t kw_api_port(const kw_api *api) { return kw_server_port(api->server); }

const kw_router *kw_api_router(const kw_api *api) { return api->router; }

int kw_api_publish(kw_api *api, const kw_hub_event *ev, kw_err *err) { return kw_hub_publish(api->hub, ev, err); }

size_t kw_api_streams(kw_api *api) { return kw_hub_subscribers(api->hub); }

int kw_api_ready(kw_api *api, kw_err *err)
{
    return api->hooks.ready ? api->hooks.ready(api->hooks.server.ctx, err) : 0;
}

int kw_api_leading(kw_api *api)
{
    return api->hooks.leading ? api->hooks.leading(api->hooks.server.ctx) : -1;
}

kw_metrics *kw_api_metrics(kw_api *api) { return api->metrics; }

int64_t kw_api_uptime_seconds(const kw_api *api) { return monotonic_s() - api->started; }
