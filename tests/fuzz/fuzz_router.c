/* libFuzzer target: the router's path checks and matching over every route
 * of the API. Input: one byte choosing the method, then the path. A path
 * either fails the check (400) or matches consistently: a matched route has
 * the request's method, and its parameters are non-empty, free of '/' (but
 * a tail), and inside the path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static kw_router *router;

static int noop(const struct kw_http_req *req, struct kw_http_res *res)
{
    (void)req, (void)res;
    return 0;
}

static void build(void)
{
    static kw_app app;
    kw_err err;
    if (kw_router_new(&router) != 0 || kw_app_add_routes(router, &app, &err) != 0 ||
        kw_router_add(router, &(kw_route){"GET", "/static/{file...}", noop, KW_ROUTE_PUBLIC, 0, NULL, ""}, &err) != 0 ||
        kw_router_add(router, &(kw_route){"GET", "/", noop, KW_ROUTE_PUBLIC, 0, NULL, ""}, &err) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"};
    if (!router)
        build();
    if (n < 1)
        return 0;
    const char *method = methods[data[0] % 8];
    char *path = malloc(n);
    memcpy(path, data + 1, n - 1);
    path[n - 1] = 0;
    kw_route_match m;
    kw_router_match(router, method, path, &m);
    bool valid = kw_router_check_path(path, NULL) == 0;
    if ((m.status == KW_MATCH_BAD_PATH) == valid)
        __builtin_trap();
    if (m.status == KW_MATCH_OK) {
        if (!m.route || (strcmp(m.route->method, method) != 0 && !(strcmp(method, "HEAD") == 0 &&
                                                                    strcmp(m.route->method, "GET") == 0)))
            __builtin_trap();
        for (size_t i = 0; i < m.nparams; i++) {
            const char *v = m.values[i];
            bool tail = strstr(m.route->pattern, "...}") != NULL && i == m.nparams - 1;
            if (!v || !*v || v < m.buf || v >= m.buf + sizeof m.buf || (!tail && strchr(v, '/')))
                __builtin_trap();
        }
    }
    free(path);
    return 0;
}
