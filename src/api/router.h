/*
 * router — maps (method, path) to a route, with path parameters.
 *
 * A pattern is a path whose segments are literals, parameters `{name}`
 * (exactly one segment) or, last only, a tail `{name...}` (one or more
 * segments, e.g. a static file path):
 *
 *     GET  /api/v1/cycles/{id}/votes
 *     GET  /static/{file...}
 *
 * When several patterns match a path, the one with a literal at the first
 * segment where they differ wins, then a parameter over a tail. HEAD is
 * answered by GET routes. OPTIONS is never routed: kw_router_match reports
 * the path's methods in `allow` so the server can answer it (CORS preflight).
 *
 * Paths are checked strictly before matching (kw_router_check_path): they
 * start with '/', have at most KW_ROUTE_PATH_MAX bytes and KW_ROUTE_SEGMENTS_MAX
 * segments of at most KW_ROUTE_SEGMENT_MAX bytes, no empty segment (no "//",
 * no trailing '/', except the root "/"), no "." or ".." segment, and only the
 * characters A-Z a-z 0-9 - . _ ~ : @ (the path arrives percent-decoded, so
 * anything else is an attack or a mistake).
 *
 * Ownership: the router copies every kw_route it is given (the strings must
 * be static). A kw_route_match owns a copy of the path its parameters point
 * into. Thread-safety: build the router before the server starts; matching
 * is then read-only and thread-safe.
 */
#ifndef KW_API_ROUTER_H
#define KW_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define KW_ROUTE_PATH_MAX 1024
#define KW_ROUTE_SEGMENT_MAX 128
#define KW_ROUTE_SEGMENTS_MAX 32
#define KW_ROUTE_PARAMS_MAX 8
#define KW_ROUTES_MAX 256

struct kw_http_req;
struct kw_http_res;

/* Fills res and returns 0; or returns a negative KW_E* code with a message
 * in res->err, which the server turns into the matching error reply. */
typedef int (*kw_route_fn)(const struct kw_http_req *req, struct kw_http_res *res);

/* Who may call a route; the server answers 401 (no or bad credentials) or
 * 403 (authenticated but not allowed). */
typedef enum kw_route_access {
    KW_ROUTE_PUBLIC = 0,
    KW_ROUTE_USER,   /* any authenticated user */
    KW_ROUTE_ADMIN,  /* role admin */
} kw_route_access;

enum kw_route_flags {
    KW_ROUTE_UNLIMITED = 1 << 0,  /* exempt from rate limits (/health, /ready, /metrics) */
    /* The reply carries a secret shown once (an API key, a webhook secret):
     * it is never stored for Idempotency-Key replays, so the key is ignored. */
    KW_ROUTE_SECRET_REPLY = 1 << 1,
};

typedef struct kw_route {
    const char *method;   /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *pattern;
    kw_route_fn handler;
    kw_route_access access;
    unsigned flags;       /* kw_route_flags */
    void *ctx;            /* handed to the handler as req->ctx */
    const char *summary;  /* one line for listings */
} kw_route;

typedef struct kw_router kw_router;

typedef enum kw_match_status {
    KW_MATCH_OK = 0,
    KW_MATCH_BAD_PATH,     /* 400: the path failed kw_router_check_path */
    KW_MATCH_NOT_FOUND,    /* 404: no pattern matches */
    KW_MATCH_NO_METHOD,    /* 405: patterns match, not with this method */
    KW_MATCH_OPTIONS,      /* OPTIONS on a path that has routes */
} kw_match_status;

typedef struct kw_route_match {
    kw_match_status status;
    const kw_route *route;                      /* KW_MATCH_OK only */
    char allow[96];                             /* "GET, HEAD, POST, OPTIONS" for 405 / OPTIONS */
    size_t nparams;
    const char *names[KW_ROUTE_PARAMS_MAX];     /* point into the route's pattern copy */
    const char *values[KW_ROUTE_PARAMS_MAX];    /* point into buf */
    char buf[KW_ROUTE_PATH_MAX + 1];
    kw_err err;                                 /* why a path was rejected */
} kw_route_match;

int kw_router_new(kw_router **out) KW_WUR;
void kw_router_free(kw_router *r);

/* Adds one route. KW_EINVAL names the problem: bad method, bad pattern
 * (same rules as paths, plus well-formed {param} segments with distinct
 * names), the same method and pattern twice, or KW_ROUTES_MAX reached. */
int kw_router_add(kw_router *r, const kw_route *route, kw_err *err) KW_WUR;
/* Adds n routes, stopping at the first error. */
int kw_router_add_all(kw_router *r, const kw_route *routes, size_t n, kw_err *err) KW_WUR;

/* Matches method + path into *m (always filled; see m->status). */
void kw_router_match(const kw_router *r, const char *method, const char *path, kw_route_match *m);

/* The value of parameter name, or NULL. */
const char *kw_route_param(const kw_route_match *m, const char *name);

/* 0 when path is acceptable, else KW_EINVAL with the reason in err. */
int kw_router_check_path(const char *path, kw_err *err) KW_WUR;

/* Every route, in the order added (for listings and the OpenAPI check). */
size_t kw_router_count(const kw_router *r);
const kw_route *kw_router_at(const kw_router *r, size_t i);

#endif
