/*
 * The OpenAPI document built into the binary against the router of a real
 * kw_api with every application route: each route is documented and each
 * documented operation is routed, path parameters match, every $ref
 * resolves, and every operation documents its replies.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "obs/log.h"

extern const char kw_openapi_json[];
extern const size_t kw_openapi_json_len;

static json_t *doc;

static void load(void)
{
    json_error_t je;
    doc = json_loadb(kw_openapi_json, kw_openapi_json_len, 0, &je);
    cr_assert(doc, "the embedded document is not JSON: %s", je.text);
}

static int app_routes(void *ctx, kw_router *r, kw_err *err) { return kw_app_add_routes(r, ctx, err); }

/* "/static/{file...}" is "/static/{file}" in OpenAPI, which has no tail parameters. */
static void openapi_path(const char *pattern, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 1 < cap; p++) {
        if (strncmp(p, "...}", 4) == 0)
            p += 3;
        out[n++] = *p;
    }
    out[n] = 0;
}

static void lower(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        out[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
    out[n] = 0;
}

Test(openapi, router_and_document_agree_route_for_route, .init = load)
{
    kw_log_setup(KW_LOG_ERROR, "test", 2);
    kw_config cfg;
    kw_err err = {0};
    cr_assert_eq(kw_config_init(&cfg), 0);
    kw_config_key k;
    cr_assert_eq(kw_config_lookup("KALEWX_WEB_DIR", &k), 0);
    cr_assert_eq(kw_config_set(&cfg, k, "/nonexistent", KW_SRC_FLAG, &err), 0);
    kw_app app = {.cfg = &cfg};
    kw_api_hooks hooks = {.server.ctx = &app, .add_routes = app_routes};
    kw_api *api;
    cr_assert_eq(kw_api_start(&cfg, &hooks, 0, &api, &err), 0, "%s", err.msg);
    const kw_router *r = kw_api_router(api);
    json_t *paths = json_object_get(doc, "paths");
    size_t routed = 0, missing = 0;
    for (size_t i = 0; i < kw_router_count(r); i++) {
        const kw_route *route = kw_router_at(r, i);
        char path[256], method[16];
        openapi_path(route->pattern, path, sizeof path);
        lower(route->method, method, sizeof method);
        json_t *op = json_object_get(json_object_get(paths, path), method);
        if (!op) {
            missing++;
            cr_log_error("routed but not documented: %s %s", route->method, route->pattern);
            continue;
        }
        routed++;
        /* Each {param} of the pattern is a documented path parameter. */
        size_t declared = 0, idx;
        json_t *p;
        json_array_foreach(json_object_get(op, "parameters"), idx, p) {
            const char *in = json_string_value(json_object_get(p, "in"));
            if (!in || strcmp(in, "path") != 0)
                continue;
            char needle[80];
            snprintf(needle, sizeof needle, "{%s}", json_string_value(json_object_get(p, "name")));
            cr_expect(strstr(path, needle), "%s %s documents path parameter %s it does not have", method, path, needle);
            declared++;
        }
        size_t in_pattern = 0;
        for (const char *c = path; (c = strchr(c, '{')) != NULL; c++)
            in_pattern++;
        cr_expect_eq(declared, in_pattern, "%s %s: %zu path parameters documented, %zu in the route", method, path,
                     declared, in_pattern);
    }
    size_t documented = 0;
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item) {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op) {
            documented++;
            char upper[16];
            size_t n = 0;
            for (const char *c = method; *c && n + 1 < sizeof upper; c++)
                upper[n++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
            upper[n] = 0;
            bool found = false;
            for (size_t i = 0; i < kw_router_count(r) && !found; i++) {
                char p2[256];
                openapi_path(kw_router_at(r, i)->pattern, p2, sizeof p2);
                found = strcmp(kw_router_at(r, i)->method, upper) == 0 && strcmp(p2, path) == 0;
            }
            cr_expect(found, "documented but not routed: %s %s", upper, path);
            json_t *responses = json_object_get(op, "responses");
            cr_expect(json_object_size(responses) > 0, "%s %s documents no reply", upper, path);
        }
    }
    cr_expect_eq(missing, 0, "%zu routes are not in src/api/openapi.json", missing);
    cr_expect_eq(documented, routed, "%zu operations documented, %zu routes matched", documented, routed);
    cr_expect_eq(routed, kw_router_count(r));
    kw_api_stop(api);
    kw_config_free(&cfg);
}

/* Every "$ref" names something the document defines. */
static void check_refs(const json_t *v, const char *where)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)v, key, child) {
            if (strcmp(key, "$ref") == 0) {
                const char *ref = json_string_value(child);
                cr_assert(ref && strncmp(ref, "#/", 2) == 0, "%s: $ref is not local", where);
                char buf[256];
                snprintf(buf, sizeof buf, "%s", ref + 2);
                const json_t *at = doc;
                for (char *save, *part = strtok_r(buf, "/", &save); part && at; part = strtok_r(NULL, "/", &save))
                    at = json_object_get(at, part);
                cr_expect(at, "%s: $ref %s does not resolve", where, ref);
            } else {
                check_refs(child, key);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach((json_t *)v, i, child) check_refs(child, where);
    }
}

Test(openapi, is_openapi_3_1_with_resolvable_refs, .init = load)
{
    cr_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "info"), "version")), KW_VERSION);
    check_refs(doc, "document");
}
