/* GET /health (liveness), GET /ready (readiness), GET /metrics (Prometheus). */
#include "api/handlers.h"

#include <stdlib.h>

static int health(const kw_http_req *req, kw_http_res *res)
{
    kw_api *api = req->ctx;
    return kw_http_json(res, 200, json_pack("{s:s,s:I,s:s}", "status", "ok", "uptimeSeconds",
                                            (json_int_t)kw_api_uptime_seconds(api), "version", KW_VERSION));
}

static int ready(const kw_http_req *req, kw_http_res *res)
{
    kw_err why = {0};
    int rc = kw_api_ready(req->ctx, &why);
    if (rc == 0)
        return kw_http_json(res, 200, json_pack("{s:s}", "status", "ready"));
    return kw_http_error(res, 503, "NOT_READY", "not ready: %s", why.msg[0] ? why.msg : kw_strerror(rc));
}

static int metrics(const kw_http_req *req, kw_http_res *res)
{
    char *text;
    size_t len;
    int rc = kw_metrics_render(kw_api_metrics(req->ctx), &text, &len);
    if (rc)
        return kw_err_set(&res->err, rc, "could not render the metrics");
    return kw_http_body_take(res, 200, KW_METRICS_CONTENT_TYPE, text, len, free, text);
}

int kw_handlers_system(kw_router *r, kw_api *api, kw_err *err)
{
    const kw_route routes[] = {
        {"GET", "/health", health, KW_ACCESS_PUBLIC, KW_ROUTE_UNLIMITED, api, "liveness"},
        {"GET", "/ready", ready, KW_ACCESS_PUBLIC, KW_ROUTE_UNLIMITED, api, "readiness: database and chain"},
        {"GET", "/metrics", metrics, KW_ACCESS_PUBLIC, KW_ROUTE_UNLIMITED, api, "Prometheus metrics"},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}
