#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/router.h"

static int h(const struct kw_http_req *req, struct kw_http_res *res)
{
    (void)req, (void)res;
    return 0;
}

static const kw_route routes[] = {
    {"GET", "/health", h, KW_ROUTE_PUBLIC, KW_ROUTE_UNLIMITED, NULL, "liveness"},
    {"GET", "/api/v1/cycles", h, 0, 0, NULL, "list"},
    {"GET", "/api/v1/cycles/current", h, 0, 0, NULL, "current"},
    {"GET", "/api/v1/cycles/{id}", h, 0, 0, NULL, "one"},
    {"GET", "/api/v1/cycles/{id}/votes", h, 0, 0, NULL, "votes"},
    {"POST", "/api/v1/auth/api-keys", h, 0, 0, NULL, "create"},
    {"GET", "/api/v1/auth/api-keys", h, 0, 0, NULL, "list"},
    {"DELETE", "/api/v1/auth/api-keys/{key_id}", h, 0, 0, NULL, "revoke"},
    {"GET", "/", h, 0, 0, NULL, "index"},
    {"GET", "/static/{file...}", h, 0, 0, NULL, "files"},
    {"GET", "/static/app.js", h, 0, 0, NULL, "literal beats tail"},
    {"GET", "/a/{x}/{y}", h, 0, 0, NULL, "two params"},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static kw_router *r;

static void setup(void)
{
    kw_err e = {0};
    cr_assert_eq(kw_router_new(&r), 0);
    cr_assert_eq(kw_router_add_all(r, routes, NROUTES, &e), 0, "%s", e.msg);
}

static void teardown(void) { kw_router_free(r); }

TestSuite(router, .init = setup, .fini = teardown);

static kw_route_match m;

static const kw_route *ok(const char *method, const char *path)
{
    kw_router_match(r, method, path, &m);
    cr_assert_eq(m.status, KW_MATCH_OK, "%s %s: status %d (%s)", method, path, m.status, m.err.msg);
    return m.route;
}

Test(router, literals_params_and_precedence)
{
    cr_assert_str_eq(ok("GET", "/health")->summary, "liveness");
    cr_assert_eq(m.nparams, 0);
    cr_assert_str_eq(ok("GET", "/api/v1/cycles/current")->summary, "current");
    cr_assert_str_eq(ok("GET", "/api/v1/cycles/42")->summary, "one");
    cr_assert_str_eq(kw_route_param(&m, "id"), "42");
    cr_assert_null(kw_route_param(&m, "nope"));
    cr_assert_str_eq(ok("GET", "/api/v1/cycles/42/votes")->summary, "votes");
    cr_assert_str_eq(kw_route_param(&m, "id"), "42");
    cr_assert_str_eq(ok("GET", "/a/b/c")->summary, "two params");
    cr_assert_str_eq(kw_route_param(&m, "x"), "b");
    cr_assert_str_eq(kw_route_param(&m, "y"), "c");
    cr_assert_str_eq(ok("DELETE", "/api/v1/auth/api-keys/k_1")->summary, "revoke");
    cr_assert_str_eq(kw_route_param(&m, "key_id"), "k_1");
}

Test(router, tail_parameters_take_the_rest)
{
    cr_assert_str_eq(ok("GET", "/static/css/app.css")->summary, "files");
    cr_assert_str_eq(kw_route_param(&m, "file"), "css/app.css");
    cr_assert_str_eq(ok("GET", "/static/app.js")->summary, "literal beats tail");
    cr_assert_str_eq(ok("GET", "/")->summary, "index");
    kw_router_match(r, "GET", "/static", &m);
    cr_assert_eq(m.status, KW_MATCH_NOT_FOUND, "a tail needs at least one segment");
}

Test(router, head_uses_get)
{
    cr_assert_str_eq(ok("HEAD", "/health")->summary, "liveness");
}

Test(router, not_found_vs_method_not_allowed)
{
    kw_router_match(r, "GET", "/api/v1/nothing", &m);
    cr_assert_eq(m.status, KW_MATCH_NOT_FOUND);
    kw_router_match(r, "GET", "/api/v1/cycles/1/votes/2", &m);
    cr_assert_eq(m.status, KW_MATCH_NOT_FOUND);
    kw_router_match(r, "POST", "/health", &m);
    cr_assert_eq(m.status, KW_MATCH_NO_METHOD);
    cr_assert_str_eq(m.allow, "GET, HEAD, OPTIONS");
    kw_router_match(r, "PUT", "/api/v1/auth/api-keys", &m);
    cr_assert_eq(m.status, KW_MATCH_NO_METHOD);
    cr_assert_str_eq(m.allow, "GET, HEAD, POST, OPTIONS");
    kw_router_match(r, "BREW", "/health", &m);
    cr_assert_eq(m.status, KW_MATCH_NO_METHOD);
    kw_router_match(r, "OPTIONS", "/api/v1/auth/api-keys/abc", &m);
    cr_assert_eq(m.status, KW_MATCH_OPTIONS);
    cr_assert_str_eq(m.allow, "DELETE, OPTIONS");
    kw_router_match(r, "OPTIONS", "/nowhere", &m);
    cr_assert_eq(m.status, KW_MATCH_NOT_FOUND);
}

Test(router, strict_paths)
{
    char longseg[KW_ROUTE_SEGMENT_MAX + 3], longpath[KW_ROUTE_PATH_MAX + 2], deep[200] = "";
    longseg[0] = '/';
    memset(longseg + 1, 'a', KW_ROUTE_SEGMENT_MAX + 1);
    longseg[KW_ROUTE_SEGMENT_MAX + 2] = 0;
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    for (size_t i = 1; i < sizeof longpath - 1; i += 100)
        longpath[i] = '/';
    longpath[1] = 'a';
    longpath[sizeof longpath - 1] = 0;
    for (int i = 0; i <= KW_ROUTE_SEGMENTS_MAX; i++)
        strcat(deep, "/a");
    const char *bad[] = {
        "", "health", "//health", "/health/", "/api//v1", "/api/v1/cycles/..", "/api/v1/cycles/.",
        "/../etc/passwd", "/static/../../secret", "/static/a\\b", "/a b", "/a%2e", "/a?b", "/a#b",
        "/a\x01", "/caf\xc3\xa9", "/api/v1/cycles/1'OR'1'='1", "/{id}", "/a;b", longseg, longpath, deep,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kw_router_match(r, "GET", bad[i], &m);
        cr_assert_eq(m.status, KW_MATCH_BAD_PATH, "accepted case %zu: %.40s", i, bad[i]);
        cr_assert(m.err.msg[0], "case %zu has no reason", i);
    }
    kw_router_match(r, "GET", NULL, &m);
    cr_assert_eq(m.status, KW_MATCH_BAD_PATH);
    kw_err e;
    cr_assert_eq(kw_router_check_path("/.well-known/a:b@c~d_e-f", &e), 0);
    cr_assert_eq(kw_router_check_path("/...", &e), 0, "three dots is a name, not traversal");
}

Test(router, bad_routes_are_refused)
{
    const kw_route bad[] = {
        {"GET", "/health", h, 0, 0, NULL, "duplicate"},
        {"GET", "/api/v1/cycles/{other}", h, 0, 0, NULL, "same shape"},
        {"BREW", "/x", h, 0, 0, NULL, "method"},
        {"OPTIONS", "/x", h, 0, 0, NULL, "options is automatic"},
        {"HEAD", "/x", h, 0, 0, NULL, "head is automatic"},
        {NULL, "/x", h, 0, 0, NULL, "no method"},
        {"GET", "x", h, 0, 0, NULL, "relative"},
        {"GET", NULL, h, 0, 0, NULL, "no pattern"},
        {"GET", "/x/", h, 0, 0, NULL, "trailing slash"},
        {"GET", "/x/{}", h, 0, 0, NULL, "empty name"},
        {"GET", "/x/{Id}", h, 0, 0, NULL, "upper case name"},
        {"GET", "/x/{id", h, 0, 0, NULL, "unclosed"},
        {"GET", "/x/{id}/{id}", h, 0, 0, NULL, "repeated name"},
        {"GET", "/x/{rest...}/y", h, 0, 0, NULL, "tail not last"},
        {"GET", "/x/../y", h, 0, 0, NULL, "traversal"},
        {"GET", "/x", NULL, 0, 0, NULL, "no handler"},
        {"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", h, 0, 0, NULL, "too many params"},
    };
    size_t before = kw_router_count(r);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kw_err e = {0};
        cr_assert_eq(kw_router_add(r, &bad[i], &e), KW_EINVAL, "accepted: %s", bad[i].summary);
        cr_assert(e.msg[0], "%s: no message", bad[i].summary);
    }
    cr_assert_eq(kw_router_count(r), before);
    kw_err e = {0};
    cr_assert_eq(kw_router_add(r, &(kw_route){"POST", "/health", h, 0, 0, NULL, "other method"}, &e), 0, "%s", e.msg);
}

Test(router, lists_every_route_in_order)
{
    cr_assert_eq(kw_router_count(r), NROUTES);
    for (size_t i = 0; i < NROUTES; i++) {
        const kw_route *x = kw_router_at(r, i);
        cr_assert_str_eq(x->method, routes[i].method);
        cr_assert_str_eq(x->pattern, routes[i].pattern);
    }
    cr_assert_null(kw_router_at(r, NROUTES));
}

Test(router, route_limit)
{
    kw_router *big;
    cr_assert_eq(kw_router_new(&big), 0);
    static char pats[KW_ROUTES_MAX + 1][16];
    kw_err e;
    for (int i = 0; i < KW_ROUTES_MAX; i++) {
        snprintf(pats[i], sizeof pats[i], "/r%d", i);
        cr_assert_eq(kw_router_add(big, &(kw_route){"GET", pats[i], h, 0, 0, NULL, ""}, &e), 0, "%s", e.msg);
    }
    cr_assert_eq(kw_router_add(big, &(kw_route){"GET", "/more", h, 0, 0, NULL, ""}, &e), KW_EINVAL);
    kw_router_free(big);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random paths built from the characters that matter (and any byte) never
 * crash, and the answer is always consistent with the path check. */
Test(router, random_paths_never_crash)
{
    static const char alphabet[] = "//////..{}aaapi/v1cycles0123456789-_~:@%\\ \x01\xff?#";
    static const char *const ms[] = {"GET", "POST", "HEAD", "OPTIONS", "DELETE", "X", ""};
    char path[KW_ROUTE_PATH_MAX + 64];
    for (int iter = 0; iter < 200000; iter++) {
        size_t len = next() % (iter % 100 == 0 ? sizeof path - 1 : 48);
        for (size_t i = 0; i < len; i++)
            path[i] = next() % 8 ? alphabet[next() % (sizeof alphabet - 1)] : (char)(1 + next() % 255);
        path[len] = 0;
        if (iter % 3 == 0 && len)
            path[0] = '/';
        const char *method = ms[next() % 7];
        kw_router_match(r, method, path, &m);
        kw_err e;
        bool valid = kw_router_check_path(path, &e) == 0;
        cr_assert_eq(m.status == KW_MATCH_BAD_PATH, !valid, "path %s", path);
        if (m.status == KW_MATCH_OK) {
            cr_assert_not_null(m.route);
            for (size_t i = 0; i < m.nparams; i++)
                cr_assert(strlen(m.values[i]) > 0 && strstr(path, m.values[i]));
        }
    }
}
