/* GET /health (liveness), GET /ready (readiness), GET /metrics (Prometheus)
 * and GET /api/v1/openapi.json (the document built into the binary). */
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

/* Generated from src/api/openapi.json by src/api/embed.py. */
extern const char kw_openapi_json[];
extern const size_t kw_openapi_json_len;

static int openapi(const kw_http_req *req, kw_http_res *res)
{
    (void)req;
    int rc = kw_http_body_take(res, 200, "application/json", (char *)kw_openapi_json, kw_openapi_json_len, NULL, NULL);
    if (rc == 0 && kw_http_add_header(res, "Cache-Control", "public, max-age=3600") != 0)
        return kw_err_set(&res->err, KW_EINTERNAL, "could not add Cache-Control");
    return rc;
}

int kw_handlers_system(kw_router *r, kw_api *api, kw_err *err)
{
    const kw_route routes[] = {
        {"GET", "/health", health, KW_ROUTE_PUBLIC, KW_ROUTE_UNLIMITED, api, "liveness"},
        {"GET", "/ready", ready, KW_ROUTE_PUBLIC, KW_ROUTE_UNLIMITED, api, "readiness: database and chain"},
        {"GET", "/metrics", metrics, KW_ROUTE_PUBLIC, KW_ROUTE_UNLIMITED, api, "Prometheus metrics"},
        {"GET", "/api/v1/openapi.json", openapi, KW_ROUTE_PUBLIC, 0, api, "this API as an OpenAPI 3.1 document"},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}
