/* libFuzzer target: request paths against the router, with the routes of
 * docs/api.md. The first byte picks the method, the rest is the path as it
 * arrives (percent-decoded). A match must rebuild the path exactly from its
 * pattern and parameters; a path the checker refuses must never be routed.
 * The input is also tried as a route pattern. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static int h(const struct kw_http_req *req, struct kw_http_res *res)
{
    (void)req, (void)res;
    return 0;
}

#define R(m, p) {m, p, h, KW_ROUTE_PUBLIC, 0, NULL, p}
static const kw_route routes[] = {
    R("GET", "/health"), R("GET", "/ready"), R("GET", "/metrics"), R("GET", "/api/v1/openapi.json"),
    R("GET", "/api/v1/cycles/current"), R("GET", "/api/v1/cycles"), R("GET", "/api/v1/cycles/{id}"),
    R("GET", "/api/v1/cycles/{id}/votes"), R("GET", "/api/v1/cycles/{id}/results"), R("GET", "/api/v1/daos"),
    R("GET", "/api/v1/daos/{id}"), R("GET", "/api/v1/weather/statistics"), R("GET", "/api/v1/stream"),
    R("POST", "/api/v1/users"), R("POST", "/api/v1/auth/token"), R("POST", "/api/v1/auth/api-keys"),
    R("GET", "/api/v1/auth/api-keys"), R("DELETE", "/api/v1/auth/api-keys/{id}"), R("GET", "/api/v1/me"),
    R("POST", "/api/v1/actions"), R("GET", "/api/v1/me/actions"), R("GET", "/api/v1/me/positions"),
    R("GET", "/api/v1/me/wagers"), R("GET", "/api/v1/me/transactions"), R("GET", "/api/v1/me/performance"),
    R("POST", "/api/v1/me/withdrawals"), R("POST", "/api/v1/webhooks"), R("GET", "/api/v1/webhooks"),
    R("DELETE", "/api/v1/webhooks/{id}"), R("POST", "/api/v1/devnet/faucet"),
    R("POST", "/api/v1/admin/reserve/deposit"), R("GET", "/api/v1/admin/reserve"), R("POST", "/api/v1/admin/pause"),
    R("POST", "/api/v1/admin/resume"), R("GET", "/api/v1/admin/reconcile"), R("GET", "/"),
    R("GET", "/{file...}"), R("GET", "/static/{file...}"),
};

static kw_router *router;

/* Puts the pattern's literals and the match's values back together. */
static void rebuild(const kw_route_match *m, char *out, size_t cap)
{
    const char *p = m->route->pattern;
    size_t len = 0, param = 0;
    if (strcmp(p, "/") == 0) {
        snprintf(out, cap, "/");
        return;
    }
    out[0] = 0;
    while (*p == '/') {
        const char *end = strchr(p + 1, '/');
        size_t seg = end ? (size_t)(end - p - 1) : strlen(p + 1);
        if (p[1] == '{')
            len += (size_t)snprintf(out + len, cap - len, "/%s", m->values[param++]);
        else
            len += (size_t)snprintf(out + len, cap - len, "/%.*s", (int)seg, p + 1);
        if (len >= cap)
            abort();
        p += seg + 1;
    }
    if (param != m->nparams)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"};
    if (!router) {
        kw_err e = {0};
        if (kw_router_new(&router) != 0 || kw_router_add_all(router, routes, sizeof routes / sizeof routes[0], &e))
            abort();
    }
    if (n == 0)
        return 0;
    const char *method = methods[data[0] % (sizeof methods / sizeof methods[0])];
    char *path = malloc(n);
    if (!path)
        return 0;
    memcpy(path, data + 1, n - 1);
    path[n - 1] = 0;
    kw_route_match *m = malloc(sizeof *m);
    kw_err e = {0};
    bool good = kw_router_check_path(path, &e) == 0;
    kw_router_match(router, method, path, m);
    if (good == (m->status == KW_MATCH_BAD_PATH))
        abort();
    if (m->status == KW_MATCH_OK) {
        char again[KW_ROUTE_PATH_MAX + 2];
        const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
        if (!m->route || strcmp(m->route->method, want) != 0)
            abort();
        rebuild(m, again, sizeof again);
        if (strcmp(again, path) != 0)
            abort();
    }
    /* the same text as a pattern: the router must refuse or keep it whole */
    kw_router *scratch = NULL;
    if (kw_router_new(&scratch) == 0) {
        kw_route r = {method, path, h, KW_ROUTE_PUBLIC, 0, NULL, "fuzz"};
        if (kw_router_add(scratch, &r, &e) == 0 && (kw_router_count(scratch) != 1 ||
                                                     strcmp(kw_router_at(scratch, 0)->pattern, path) != 0))
            abort();
        kw_router_free(scratch);
    }
    free(m);
    free(path);
    return 0;
}
