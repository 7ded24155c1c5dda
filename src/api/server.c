#include "api/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "crypto/sha.h"
#include "obs/log.h"

/* Exactly what the dashboard uses: its own module scripts, style sheet and
 * icon, fetch and EventSource to this origin. No inline script or style, no
 * other origin; its forms are sent by script, never natively. */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " \
            "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
#define CORS_ALLOW_HEADERS "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, X-API-Key, X-Request-Id"
#define CORS_EXPOSE_HEADERS "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-Id, " \
                            "Idempotent-Replayed"
#define IDEM_KEY_MAX 255
/* Bytes of an oversized chunked body read and dropped before the connection
 * is cut (a Content-Length over the cap is refused without reading). */
#define DISCARD_MAX (1024 * 1024)
#define STREAM_BLOCK (16 * 1024)

struct kw_server {
    struct MHD_Daemon *daemon;
    const kw_router *router;
    kw_server_hooks hooks;
    kw_server_options o;
    char **origins;
    size_t norigins;
    bool any_origin;
    uint16_t port;
    char id_prefix[9];
    _Atomic uint64_t next_id;
    pthread_mutex_t inflight_mu;   /* idempotency keys being executed */
    char **inflight;
    size_t ninflight, inflight_cap;
};

/* What the server keeps per request between libmicrohttpd's callbacks. */
typedef struct request {
    bool answered;
    bool too_large;
    char *body;
    size_t len, cap, discarded;
    struct timespec t0;
    int64_t now_ms;
    char id[KW_HTTP_REQUEST_ID_MAX + 1];
} request;

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *lookup(void *transport, kw_http_lookup kind, const char *name)
{
    return MHD_lookup_connection_value(transport, kind == KW_HTTP_HEADER ? MHD_HEADER_KIND : MHD_GET_ARGUMENT_KIND,
                                       name);
}

static bool safe_request_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > KW_HTTP_REQUEST_ID_MAX)
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static void make_request_id(kw_server *s, struct MHD_Connection *conn, char *out)
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (safe_request_id(given))
        snprintf(out, KW_HTTP_REQUEST_ID_MAX + 1, "%s", given);
    else
        snprintf(out, KW_HTTP_REQUEST_ID_MAX + 1, "%s-%08llx", s->id_prefix,
                 (unsigned long long)atomic_fetch_add_explicit(&s->next_id, 1, memory_order_relaxed));
}

static void client_ip(const kw_server *s, struct MHD_Connection *conn, char *out, size_t cap)
{
    char peer[INET6_ADDRSTRLEN] = "unknown";
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer, sizeof peer);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer, sizeof peer);
    }
    kw_ratelimit_client_ip(peer, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For"),
                           s->o.policy.trust_proxy, out, cap);
}

static bool origin_allowed(const kw_server *s, const char *origin)
{
    if (!origin)
        return false;
    if (s->any_origin)
        return true;
    for (size_t i = 0; i < s->norigins; i++)
        if (strcmp(s->origins[i], origin) == 0)
            return true;
    return false;
}

/* ---- idempotency keys in flight (one process) ---- */

static bool inflight_add(kw_server *s, const char *k)
{
    bool ok = true;
    pthread_mutex_lock(&s->inflight_mu);
    for (size_t i = 0; i < s->ninflight && ok; i++)
        ok = strcmp(s->inflight[i], k) != 0;
    if (ok && s->ninflight == s->inflight_cap) {
        size_t cap = s->inflight_cap ? s->inflight_cap * 2 : 16;
        char **grown = realloc(s->inflight, cap * sizeof *grown);
        if (grown) {
            s->inflight = grown;
            s->inflight_cap = cap;
        }
    }
    char *copy = ok && s->ninflight < s->inflight_cap ? strdup(k) : NULL;
    if (copy)
        s->inflight[s->ninflight++] = copy;
    pthread_mutex_unlock(&s->inflight_mu);
    return copy != NULL;
}

static void inflight_remove(kw_server *s, const char *k)
{
    pthread_mutex_lock(&s->inflight_mu);
    for (size_t i = 0; i < s->ninflight; i++)
        if (strcmp(s->inflight[i], k) == 0) {
            free(s->inflight[i]);
            s->inflight[i] = s->inflight[--s->ninflight];
            break;
        }
    pthread_mutex_unlock(&s->inflight_mu);
}

/* ---- the steps of a request; each returns true when it has answered ---- */

/* A 401 with its challenge (RFC 6750). */
static void challenge(kw_http_res *res, const char *code, const char *value, const char *message)
{
    kw_http_error(res, 401, code, "%s", message);
    if (kw_http_add_header(res, "WWW-Authenticate", value) != 0)
        KW_LOG(KW_LOG_WARN, "could not add WWW-Authenticate");
}

static void invalid_credentials(kw_http_res *res, const char *message)
{
    challenge(res, "INVALID_CREDENTIALS", "Bearer error=\"invalid_token\"", message);
}

static bool authenticate(kw_server *s, kw_http_req *req, kw_http_res *res)
{
    const char *auth = kw_http_header(req, "Authorization");
    const char *key = kw_http_header(req, "X-API-Key");
    if (!auth && !key)
        return false;
    const char *bearer = NULL;
    if (auth) {
        if (strncasecmp(auth, "Bearer ", 7) != 0) {
            invalid_credentials(res, "the Authorization header must be \"Bearer <token>\"");
            return true;
        }
        bearer = auth + 7;
        while (*bearer == ' ')
            bearer++;
    }
    if ((bearer && !*bearer) || (key && !*key) || !s->hooks.authenticate) {
        invalid_credentials(res, "the token or API key is invalid, expired or revoked");
        return true;
    }
    kw_principal p = {0};
    int rc = s->hooks.authenticate(s->hooks.ctx, bearer, key, &p);
    if (rc == KW_EAUTH) {
        invalid_credentials(res, "the token or API key is invalid, expired or revoked");
        return true;
    }
    if (rc) {
        kw_err e;
        kw_err_set(&e, rc, "authentication is not available right now");
        kw_http_fail_code(res, rc, &e);
        return true;
    }
    if (p.user_id == 0) {
        kw_http_internal(res, "the authenticate hook accepted credentials without a user id");
        return true;
    }
    if (p.tier == KW_TIER_ANONYMOUS)
        p.tier = KW_TIER_USER;
    req->principal = p;
    return false;
}

static bool check_access(const kw_route *route, const kw_http_req *req, kw_http_res *res)
{
    if (route->access == KW_ROUTE_PUBLIC)
        return false;
    if (req->principal.user_id == 0) {
        challenge(res, "AUTH_REQUIRED", "Bearer", "this endpoint needs a Bearer token or an X-API-Key");
        return true;
    }
    if (route->access == KW_ROUTE_ADMIN && req->principal.role != KW_ROLE_ADMIN) {
        kw_http_error(res, 403, NULL, "this endpoint is for administrators");
        return true;
    }
    return false;
}

static bool check_body_type(const kw_http_req *req, kw_http_res *res)
{
    if (req->body_len == 0)
        return false;
    const char *ct = kw_http_header(req, "Content-Type");
    static const char json[] = "application/json";
    if (ct && strncasecmp(ct, json, sizeof json - 1) == 0 && (ct[sizeof json - 1] == 0 || ct[sizeof json - 1] == ';'))
        return false;
    kw_http_error(res, 415, NULL, "send the request body as application/json");
    return true;
}

static void run_handler(const kw_route *route, const kw_http_req *req, kw_http_res *res)
{
    res->err = (kw_err){0};
    int rc = route->handler(req, res);
    if (rc)
        kw_http_fail_code(res, rc, &res->err);
    else if (!res->status)
        kw_http_internal(res, "the handler returned without a reply");
}

static bool valid_idem_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > IDEM_KEY_MAX)
        return false;
    for (; *k; k++)
        if (*k < 0x21 || *k > 0x7E)
            return false;
    return true;
}

/* Runs the handler once per (caller, Idempotency-Key); a retry gets the first reply. */
static void run_idempotent(kw_server *s, const kw_route *route, const char *key, const kw_http_req *req,
                           kw_http_res *res)
{
    if (!valid_idem_key(key)) {
        kw_http_error(res, 400, "INVALID_IDEMPOTENCY_KEY",
                      "Idempotency-Key must be 1 to %d visible ASCII characters", IDEM_KEY_MAX);
        return;
    }
    kw_idem_record rec = {0}, stored = {0};
    uint8_t digest[32];
    kw_bytes parts[] = {{req->method, strlen(req->method) + 1}, {req->path, strlen(req->path) + 1},
                        {req->body, req->body_len}};
    kw_sha256_parts(parts, 3, digest);
    kw_hex_encode(digest, sizeof digest, rec.fingerprint);
    int64_t uid = req->principal.user_id;
    int rc = s->hooks.idem_lookup(s->hooks.ctx, uid, key, &stored);
    if (rc == 0) {
        if (strcmp(stored.fingerprint, rec.fingerprint) != 0) {
            free(stored.body);
            kw_http_error(res, 409, "IDEMPOTENCY_CONFLICT",
                          "this Idempotency-Key was used for a different request; use a new key");
            return;
        }
        kw_http_body_take(res, stored.status, "application/json", stored.body, stored.body_len, free, stored.body);
        if (kw_http_add_header(res, "Idempotent-Replayed", "true") != 0)
            KW_LOG(KW_LOG_WARN, "could not mark a replayed reply");
        return;
    }
    if (rc != KW_ENOTFOUND) {
        kw_err e;
        kw_err_set(&e, rc, "idempotency records are not available right now");
        kw_http_fail_code(res, rc, &e);
        return;
    }
    char flight[IDEM_KEY_MAX + 32];
    snprintf(flight, sizeof flight, "%lld:%s", (long long)uid, key);
    if (!inflight_add(s, flight)) {
        kw_http_error(res, 409, "IDEMPOTENCY_IN_PROGRESS",
                      "a request with this Idempotency-Key is still being processed; retry shortly");
        return;
    }
    run_handler(route, req, res);
    if (res->status < 500 && !res->stream.read) {
        rec.status = res->status;
        rec.body = res->body;
        rec.body_len = res->body_len;
        if ((rc = s->hooks.idem_store(s->hooks.ctx, uid, key, &rec)) != 0)
            KW_LOG(KW_LOG_WARN, "could not store an idempotent reply", KW_LS("error", kw_strerror(rc)));
    }
    inflight_remove(s, flight);
}

static void preflight(const kw_server *s, const kw_http_req *req, const kw_route_match *m, kw_http_res *res)
{
    const char *origin = kw_http_header(req, "Origin");
    const char *want = kw_http_header(req, "Access-Control-Request-Method");
    int rc = 0;
    if (!origin || !want) {
        kw_http_body_take(res, 204, NULL, NULL, 0, NULL, NULL);
        rc = kw_http_add_header(res, "Allow", m->allow);
    } else if (!origin_allowed(s, origin)) {
        kw_http_error(res, 403, "CORS_ORIGIN_DENIED", "cross-origin requests from this origin are not allowed");
    } else {
        kw_http_body_take(res, 204, NULL, NULL, 0, NULL, NULL);
        if (!rc)
            rc = kw_http_add_header(res, "Access-Control-Allow-Methods", m->allow);
        if (!rc)
            rc = kw_http_add_header(res, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
        if (!rc)
            rc = kw_http_add_header(res, "Access-Control-Max-Age", "600");
    }
    if (rc)
        kw_http_internal(res, "could not add preflight headers");
}

/* Counts the request against the caller's quota; false (with a 429 in res)
 * when it is over. */
static bool within_limit(kw_server *s, const kw_http_req *req, kw_http_res *res, kw_ratelimit_result *rl,
                         bool *counted)
{
    *counted = true;
    if (kw_ratelimit_check(s->o.ratelimit, &s->o.policy, &req->principal, req->client_ip, rl) != 0)
        KW_LOG(KW_LOG_WARN, "rate limiter unavailable; request let through", KW_LS("client", req->client_ip));
    if (rl->allowed)
        return true;
    kw_http_res_clear(res);
    kw_http_error(res, 429, NULL, "rate limit of %lld requests per %lld seconds reached; retry in %lld seconds",
                  (long long)rl->limit, (long long)(s->o.policy.window_ms / 1000), (long long)rl->retry_after_s);
    return false;
}

/* Decides the reply; *rl is filled when the request was counted. */
static void process(kw_server *s, kw_http_req *req, kw_http_res *res, const kw_route_match *m,
                    kw_ratelimit_result *rl, bool *counted)
{
    if (m->status == KW_MATCH_OPTIONS) {
        preflight(s, req, m, res);
        return;
    }
    /* Requests that match nothing count too, so scanning is limited. */
    if (m->status != KW_MATCH_OK && s->o.ratelimit && !within_limit(s, req, res, rl, counted))
        return;
    switch (m->status) {
    case KW_MATCH_BAD_PATH:
        kw_http_error(res, 400, "INVALID_PATH", "%s", m->err.msg);
        return;
    case KW_MATCH_NOT_FOUND:
        kw_http_error(res, 404, NULL, "no route for %.16s %s", req->method, req->path);
        return;
    case KW_MATCH_NO_METHOD:
        kw_http_error(res, 405, NULL, "%.16s is not allowed on %s; allowed: %s", req->method, req->path, m->allow);
        if (kw_http_add_header(res, "Allow", m->allow) != 0)
            kw_http_internal(res, "could not add the Allow header");
        return;
    case KW_MATCH_OPTIONS:
    case KW_MATCH_OK:
        break;
    }
    const kw_route *route = m->route;
    req->ctx = route->ctx;
    bool answered = authenticate(s, req, res);
    /* Failed logins count against the address, like anonymous calls. */
    if (s->o.ratelimit && !(route->flags & KW_ROUTE_UNLIMITED) && !within_limit(s, req, res, rl, counted))
        return;
    if (answered || check_access(route, req, res) || check_body_type(req, res))
        return;
    const char *key = strcmp(req->method, "POST") == 0 ? kw_http_header(req, "Idempotency-Key") : NULL;
    if (key && s->hooks.idem_lookup && s->hooks.idem_store && !(route->flags & KW_ROUTE_SECRET_REPLY))
        run_idempotent(s, route, key, req, res);
    else
        run_handler(route, req, res);
}

/* ---- replies ---- */

typedef struct stream_adapter {
    kw_http_stream stream;
} stream_adapter;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_adapter *a = cls;
    ssize_t n = a->stream.read(a->stream.cls, buf, max);
    if (n == KW_HTTP_STREAM_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return n;
}

static void stream_free(void *cls)
{
    stream_adapter *a = cls;
    if (a->stream.release)
        a->stream.release(a->stream.cls);
    free(a);
}

static struct MHD_Response *make_response(kw_http_res *res)
{
    struct MHD_Response *mr;
    if (res->stream.read) {
        stream_adapter *a = malloc(sizeof *a);
        if (!a) {
            if (res->stream.release)
                res->stream.release(res->stream.cls);
            return NULL;
        }
        a->stream = res->stream;
        res->stream = (kw_http_stream){0};
        mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, a, stream_free);
        if (!mr)
            stream_free(a);
        return mr;
    }
    if (res->release)
        mr = MHD_create_response_from_buffer_with_free_callback_cls(res->body_len, res->body, res->release,
                                                                    res->release_arg);
    else
        mr = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_PERSISTENT);
    if (!mr)
        kw_http_res_clear(res);
    res->release = NULL;
    res->body = NULL;
    return mr;
}

static bool add_headers(const kw_server *s, const kw_http_req *req, const kw_http_res *res, struct MHD_Response *mr)
{
    bool ok = MHD_add_response_header(mr, "Content-Security-Policy", CSP) &&
              MHD_add_response_header(mr, "Strict-Transport-Security", "max-age=31536000; includeSubDomains") &&
              MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff") &&
              MHD_add_response_header(mr, "X-Frame-Options", "DENY") &&
              MHD_add_response_header(mr, "Referrer-Policy", "no-referrer") &&
              MHD_add_response_header(mr, "X-Request-Id", req->request_id);
    if (ok && res->content_type)
        ok = MHD_add_response_header(mr, "Content-Type", res->content_type);
    if (ok && !kw_http_get_header(res, "Cache-Control"))
        ok = MHD_add_response_header(mr, "Cache-Control", "no-store");
    const char *origin = kw_http_header(req, "Origin");
    if (ok && origin_allowed(s, origin))
        ok = MHD_add_response_header(mr, "Access-Control-Allow-Origin", s->any_origin ? "*" : origin) &&
             MHD_add_response_header(mr, "Vary", "Origin") &&
             MHD_add_response_header(mr, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
    for (size_t i = 0; ok && i < res->nheaders; i++)
        ok = MHD_add_response_header(mr, res->headers[i].name, res->headers[i].value);
    return ok;
}

static const char *method_label(const char *m)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0)
            return known[i];
    return "OTHER";
}

static enum MHD_Result reply(kw_server *s, struct MHD_Connection *conn, request *r, const kw_http_req *req,
                             kw_http_res *res, const kw_route_match *m)
{
    int status = res->status;
    bool streamed = res->stream.read != NULL;
    struct MHD_Response *mr = make_response(res);
    enum MHD_Result ret = MHD_NO;
    if (mr && add_headers(s, req, res, mr))
        ret = MHD_queue_response(conn, (unsigned)status, mr);
    if (mr)
        MHD_destroy_response(mr);
    r->answered = true;
    const kw_route *route = m->status == KW_MATCH_OK ? m->route : NULL;
    const char *pattern = route ? route->pattern : "unmatched";
    double secs = seconds_since(&r->t0);
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    if (status >= 500)
        kw_metrics_inc(KW_METRICS_SERIES(s->o.errors, status == 503 ? "unavailable" : "internal", "api"), 1);
    /* A stream stays open for as long as its client wants: not a latency. */
    if (!streamed)
        kw_metrics_observe(KW_METRICS_SERIES(s->o.request_duration, method_label(req->method), pattern, code), secs);
    KW_LOG(status >= 500 ? KW_LOG_ERROR : KW_LOG_DEBUG, streamed ? "stream opened" : "request",
           KW_LS("method", req->method), KW_LS("route", pattern), KW_LI("status", status),
           KW_LI("durationUs", (int64_t)(secs * 1e6)), KW_LS("client", req->client_ip));
    return ret;
}

static enum MHD_Result answer(kw_server *s, struct MHD_Connection *conn, request *r, const char *url,
                              const char *method)
{
    kw_log_set_correlation(r->id);
    kw_route_match m;
    char ip[INET6_ADDRSTRLEN + 1];
    client_ip(s, conn, ip, sizeof ip);
    kw_http_req req = {
        .method = method, .path = url, .match = &m, .body = r->body ? r->body : "", .body_len = r->len,
        .request_id = r->id, .client_ip = ip, .now_ms = r->now_ms, .lookup = lookup, .transport = conn,
    };
    kw_http_res res = {.request_id = r->id, .now_ms = r->now_ms, .production = s->o.production};
    kw_ratelimit_result rl = {0};
    bool counted = false;
    kw_router_match(s->router, method, url, &m);
    if (r->too_large)
        kw_http_error(&res, 413, NULL, "the request body is larger than %zu bytes", s->o.body_max);
    else
        process(s, &req, &res, &m, &rl, &counted);
    if (counted && kw_ratelimit_headers(&rl, &res) != 0)
        KW_LOG(KW_LOG_WARN, "no room for the rate-limit headers", KW_LI("status", res.status));
    enum MHD_Result ret = reply(s, conn, r, &req, &res, &m);
    kw_log_set_correlation(NULL);
    return ret;
}

static bool content_length_over(const char *cl, size_t max)
{
    errno = 0;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    return errno == ERANGE || (end != cl && n > max);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    kw_server *s = cls;
    request *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        clock_gettime(CLOCK_MONOTONIC, &r->t0);
        r->now_ms = realtime_ms();
        make_request_id(s, conn, r->id);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && content_length_over(cl, s->o.body_max)) {
            /* Answering now makes libmicrohttpd skip the body and close. */
            r->too_large = true;
            return answer(s, conn, r, url, method);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_large || r->len + n > s->o.body_max) {
            r->too_large = true;
            r->discarded += n;
            return r->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 1024;
            while (cap < r->len + n + 1)
                cap *= 2;
            char *grown = realloc(r->body, cap);
            if (!grown)
                return MHD_NO;
            r->body = grown;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload, n);
        r->len += n;
        r->body[r->len] = 0;
        return MHD_YES;
    }
    if (r->answered)
        return MHD_YES;
    return answer(s, conn, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)conn, (void)why;
    request *r = *con_cls;
    if (!r)
        return;
    /* A body may hold a password (registration, login). */
    if (r->body)
        explicit_bzero(r->body, r->cap);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    KW_LOG(KW_LOG_WARN, "http server", KW_LS("detail", msg));
}

/* ---- start and stop ---- */

static int parse_origins(kw_server *s, const char *list)
{
    if (!list)
        return 0;
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *a = p, *b = p + len;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b - a == 1 && *a == '*') {
            s->any_origin = true;
        } else if (b > a) {
            char **grown = realloc(s->origins, (s->norigins + 1) * sizeof *grown);
            if (!grown)
                return KW_ENOMEM;
            s->origins = grown;
            if (!(s->origins[s->norigins] = strndup(a, (size_t)(b - a))))
                return KW_ENOMEM;
            s->norigins++;
        }
        p += len + (comma ? 1 : 0);
    }
    return 0;
}

/* Makes room for the connections in the file-descriptor limit, lowering
 * the connection limit when the hard limit is too low. */
static unsigned fit_fd_limit(unsigned want)
{
    struct rlimit rl;
    const rlim_t spare = 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return want;
    if (rl.rlim_cur < want + spare) {
        rlim_t target = want + spare;
        rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < target ? rl.rlim_max : target;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return want;
    }
    if (rl.rlim_cur < want + spare) {
        unsigned fit = rl.rlim_cur > 2 * spare ? (unsigned)(rl.rlim_cur - spare) : 16;
        KW_LOG(KW_LOG_WARN, "file descriptor limit too low; fewer HTTP connections allowed",
               KW_LI("wanted", want), KW_LI("allowed", fit));
        return fit;
    }
    return want;
}

static void free_server(kw_server *s)
{
    for (size_t i = 0; i < s->norigins; i++)
        free(s->origins[i]);
    free(s->origins);
    for (size_t i = 0; i < s->ninflight; i++)
        free(s->inflight[i]);
    free(s->inflight);
    pthread_mutex_destroy(&s->inflight_mu);
    free(s);
}

int kw_server_start(const kw_server_options *o, const kw_router *router, const kw_server_hooks *hooks,
                    kw_server **out, kw_err *err)
{
    struct sockaddr_storage addr = {0};
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    const char *bind = o->bind && *o->bind ? o->bind : "127.0.0.1";
    struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(o->port);
    } else if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(o->port);
        flags |= MHD_USE_IPv6;
    } else {
        return kw_err_set(err, KW_EINVAL, "BIND must be a numeric IPv4 or IPv6 address, got \"%s\"", bind);
    }
    kw_server *s = calloc(1, sizeof *s);
    if (!s)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    pthread_mutex_init(&s->inflight_mu, NULL);
    s->router = router;
    s->hooks = hooks ? *hooks : (kw_server_hooks){0};
    s->o = *o;
    s->o.allowed_origins = NULL;
    if (!s->o.body_max)
        s->o.body_max = KW_HTTP_BODY_MAX;
    if (parse_origins(s, o->allowed_origins) != 0) {
        free_server(s);
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    unsigned char seed[4] = {0};
    if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        memcpy(seed, &(uint32_t){(uint32_t)realtime_ms()}, sizeof seed);
    kw_hex_encode(seed, sizeof seed, s->id_prefix);
    unsigned threads = o->threads ? o->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    unsigned conns = fit_fd_limit(o->max_connections ? o->max_connections : 4096);
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_THREAD_POOL_SIZE, threads,
                                 MHD_OPTION_CONNECTION_LIMIT, conns,
                                 MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s ? o->timeout_s : 60u,
                                 MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        free_server(s);
        return kw_err_set(err, KW_EIO, "cannot listen on %s port %u (in use, or not an address of this host?)",
                          bind, (unsigned)o->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    KW_LOG(KW_LOG_INFO, "http server listening", KW_LS("bind", bind), KW_LI("port", s->port),
           KW_LI("threads", threads), KW_LI("maxConnections", conns));
    *out = s;
    return 0;
}

uint16_t kw_server_port(const kw_server *s) { return s->port; }

void kw_server_stop(kw_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free_server(s);
}

void kw_server_suspend(void *transport) { MHD_suspend_connection(transport); }

void kw_server_resume(void *transport) { MHD_resume_connection(transport); }
