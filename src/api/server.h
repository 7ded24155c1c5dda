/*
 * server — the HTTP server: libmicrohttpd with an internal epoll thread
 * pool, in front of a kw_router (SPEC §10).
 *
 * For every request the server, in this order: checks the path, matches the
 * route (400 / 404 / 405 with Allow), answers OPTIONS (CORS preflight from
 * allowed_origins), authenticates the caller through the application's hook
 * (401 for bad credentials), counts the request against the caller's rate
 * limit (429, except KW_ROUTE_UNLIMITED routes), enforces the route's access
 * (401 anonymous, 403 not admin), checks the body (413 beyond body_max, 415
 * when not JSON), replays or records POSTs carrying Idempotency-Key through
 * the application's hooks (a key reused for a different request is 409
 * IDEMPOTENCY_CONFLICT; routes flagged KW_ROUTE_SECRET_REPLY are never
 * recorded), and finally runs the handler. Every reply gets
 * the security headers (CSP, HSTS, nosniff, frame deny, referrer policy),
 * X-Request-Id, the RateLimit-* headers when counted, CORS headers for
 * allowed origins, and `Cache-Control: no-store` unless the handler set one.
 * The request id (the client's X-Request-Id when it is 1-64 characters of
 * [A-Za-z0-9._-], else a fresh one) is the log correlation id while the
 * request is handled. Durations (until the reply is queued) go to the
 * request-duration histogram (method, route pattern, status), except for
 * streamed replies.
 *
 * Connections stay alive: a handler only runs on libmicrohttpd's second (or
 * last) callback for a request, after the body is read. A request whose
 * Content-Length is over the cap is answered at once with 413 and its
 * connection closed without reading the body.
 *
 * Ownership: the router and the hooks' ctx must outlive the server.
 * Thread-safety: handlers run concurrently on the pool's threads; the hooks
 * must be thread-safe. kw_server_start/stop are not reentrant.
 */
#ifndef KW_API_SERVER_H
#define KW_API_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/http.h"
#include "api/ratelimit.h"
#include "api/router.h"
#include "core/err.h"
#include "obs/metrics.h"

/* A stored first reply of an idempotent request. */
typedef struct kw_idem_record {
    char fingerprint[65];  /* hex SHA-256 of method, path and body of the first request */
    int status;
    char *body;            /* the whole reply body; from idem_lookup it is malloc'd and the server frees it */
    size_t body_len;
} kw_idem_record;

typedef struct kw_server_hooks {
    void *ctx;
    /* Checks credentials (either may be NULL, not both) and fills *out.
     * Returns 0, KW_EAUTH for credentials that are wrong, expired or
     * revoked (→ 401), or another KW_E* code (→ its status, e.g. 503).
     * NULL: every request with credentials gets 401. */
    int (*authenticate)(void *ctx, const char *bearer_token, const char *api_key, kw_principal *out);
    /* Finds the reply stored for (user_id, key): 0 and *out filled, or
     * KW_ENOTFOUND. user_id is 0 for anonymous callers. */
    int (*idem_lookup)(void *ctx, int64_t user_id, const char *key, kw_idem_record *out);
    /* Stores the first reply (status < 500) for (user_id, key). */
    int (*idem_store)(void *ctx, int64_t user_id, const char *key, const kw_idem_record *rec);
} kw_server_hooks;

typedef struct kw_server_options {
    const char *bind;               /* numeric IPv4 or IPv6 address */
    uint16_t port;                  /* 0: any free port (see kw_server_port) */
    unsigned threads;               /* 0: one per core */
    unsigned max_connections;
    unsigned timeout_s;             /* idle connection timeout */
    size_t body_max;                /* 0: KW_HTTP_BODY_MAX */
    const char *allowed_origins;    /* comma-separated; "*" allows any; NULL/"" none */
    bool production;                /* sanitise internal error messages */
    const kw_ratelimit *ratelimit;  /* NULL: no limits */
    kw_ratelimit_policy policy;
    kw_metrics_family *request_duration; /* histogram (method, route, status_code); may be NULL */
    kw_metrics_family *errors;           /* counter (type, component): 5xx replies; may be NULL */
} kw_server_options;

typedef struct kw_server kw_server;

/* Starts listening. KW_EINVAL for a bad bind address, KW_EIO when the
 * socket cannot be bound (message names address and port), KW_ENOMEM. */
int kw_server_start(const kw_server_options *o, const kw_router *router, const kw_server_hooks *hooks,
                    kw_server **out, kw_err *err) KW_WUR;

/* The port actually bound. */
uint16_t kw_server_port(const kw_server *s);

/* Stops the server. Every suspended connection must have been resumed
 * before (the event streams do this when they are closed). */
void kw_server_stop(kw_server *s);

/* For stream readers (kw_http_stream): suspend the connection of
 * req->transport from inside read(), and resume it from any thread. */
void kw_server_suspend(void *transport);
void kw_server_resume(void *transport);

#endif
