/*
 * The HTTP API over real sockets: kw_api started on 127.0.0.1 with test
 * routes and hooks, driven with libcurl (requests) and with raw
 * non-blocking sockets (1,000 concurrent event streams).
 *
 * TRUST_PROXY=1 lets each part of the test use its own client address
 * (X-Forwarded-For), so rate limits of one part do not leak into another.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "client.h"
#include "api/body.h"
#include "core/amount.h"
#include "obs/log.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------- the application side: hooks and routes ---------------- */

typedef struct idem_row {
    int64_t user;
    char key[256];
    kw_idem_record rec;
} idem_row;

static struct app {
    pthread_mutex_t mu;
    idem_row idem[64];
    int nidem;
    int counter;
    bool ready;
    /* The outbox: every published event, for replays. */
    struct {
        int64_t id, owner;
        char type[32], data[64];
    } outbox[4096];
    int noutbox;
} app = {.mu = PTHREAD_MUTEX_INITIALIZER, .ready = true};

static int authenticate(void *ctx, const char *bearer, const char *key, kw_principal *out)
{
    (void)ctx;
    const char *t = bearer ? bearer : key;
    if (strcmp(t, "down") == 0)
        return KW_ETRANSIENT;
    if (bearer && strcmp(bearer, "user-token") == 0)
        *out = (kw_principal){7, "alice", KW_TIER_USER, KW_ROLE_USER};
    else if (bearer && strcmp(bearer, "admin-token") == 0)
        *out = (kw_principal){1, "root", KW_TIER_USER, KW_ROLE_ADMIN};
    else if (bearer && strcmp(bearer, "limited-token") == 0)
        *out = (kw_principal){70, "lim", KW_TIER_USER, KW_ROLE_USER};
    else if (key && strcmp(key, "kwx_premium") == 0)
        *out = (kw_principal){9, "pat", KW_TIER_PREMIUM, KW_ROLE_USER};
    else if (key && strcmp(key, "kwx_limited") == 0)
        *out = (kw_principal){90, "plim", KW_TIER_PREMIUM, KW_ROLE_USER};
    else
        return KW_EAUTH;
    return 0;
}

static int idem_lookup(void *ctx, int64_t user, const char *key, kw_idem_record *out)
{
    (void)ctx;
    int rc = KW_ENOTFOUND;
    pthread_mutex_lock(&app.mu);
    for (int i = 0; i < app.nidem; i++)
        if (app.idem[i].user == user && strcmp(app.idem[i].key, key) == 0) {
            *out = app.idem[i].rec;
            out->body = malloc(out->body_len);
            memcpy(out->body, app.idem[i].rec.body, out->body_len);
            rc = 0;
        }
    pthread_mutex_unlock(&app.mu);
    return rc;
}

static int idem_store(void *ctx, int64_t user, const char *key, const kw_idem_record *rec)
{
    (void)ctx;
    pthread_mutex_lock(&app.mu);
    idem_row *r = &app.idem[app.nidem++];
    r->user = user;
    snprintf(r->key, sizeof r->key, "%s", key);
    r->rec = *rec;
    r->rec.body = malloc(rec->body_len);
    memcpy(r->rec.body, rec->body, rec->body_len);
    pthread_mutex_unlock(&app.mu);
    return 0;
}

static int replay(void *ctx, int64_t after, size_t limit, kw_hub_emit_fn emit, void *sink)
{
    (void)ctx;
    size_t n = 0;
    pthread_mutex_lock(&app.mu);
    for (int i = 0; i < app.noutbox && n < limit; i++) {
        if (app.outbox[i].id <= after)
            continue;
        const char *d = app.outbox[i].data;
        int rc = emit(sink, &(kw_hub_event){app.outbox[i].id, app.outbox[i].type, app.outbox[i].owner, d, strlen(d)});
        n++;
        if (rc) {
            pthread_mutex_unlock(&app.mu);
            return rc;
        }
    }
    pthread_mutex_unlock(&app.mu);
    return 0;
}

static int ready(void *ctx, kw_err *err)
{
    (void)ctx;
    return app.ready ? 0 : kw_err_set(err, KW_ETRANSIENT, "the database does not answer");
}

static int hello(const kw_http_req *req, kw_http_res *res)
{
    (void)req;
    return kw_http_json(res, 200, json_pack("{s:s}", "hello", "world"));
}

static int echo(const kw_http_req *req, kw_http_res *res)
{
    return kw_http_json(res, 200, json_pack("{s:I}", "len", (json_int_t)req->body_len));
}

static int wager(const kw_http_req *req, kw_http_res *res)
{
    int direction;
    int64_t amount;
    const kw_field fields[] = {
        KW_FIELD_CONST("type"),
        KW_FIELD_ENUM("direction", true, "good|bad", &direction),
        KW_FIELD_AMOUNT("amount", true, KW_STROOPS_PER_KALE / 10, 10000 * KW_STROOPS_PER_KALE, &amount),
    };
    json_t *root;
    int rc = kw_body_read(req->body, req->body_len, fields, 3, &root, &res->err);
    if (rc)
        return rc;
    json_decref(root);
    char buf[KW_AMOUNT_BUFSZ];
    return kw_http_json(res, 201, json_pack("{s:s,s:s}", "direction", direction ? "bad" : "good", "amount",
                                            kw_amount_format(amount, buf)));
}

static int counter(const kw_http_req *req, kw_http_res *res)
{
    (void)req;
    pthread_mutex_lock(&app.mu);
    int n = ++app.counter;
    pthread_mutex_unlock(&app.mu);
    return kw_http_json(res, 201, json_pack("{s:i}", "count", n));
}

static int me(const kw_http_req *req, kw_http_res *res)
{
    return kw_http_json(res, 200, json_pack("{s:I,s:s}", "id", (json_int_t)req->principal.user_id, "username",
                                            req->principal.username));
}

static int boom(const kw_http_req *req, kw_http_res *res)
{
    (void)req;
    return kw_err_set(&res->err, KW_EIO, "disk full at /var/lib/kalewx/secret.db");
}

static int cycle(const kw_http_req *req, kw_http_res *res)
{
    int64_t id;
    int rc = kw_http_param_int(req, "id", 0, 1000000, &id, &res->err);
    if (rc)
        return rc;
    return kw_http_json(res, 200, json_pack("{s:I}", "id", (json_int_t)id));
}

static int add_routes(void *ctx, kw_router *r, kw_err *err)
{
    (void)ctx;
    const kw_route routes[] = {
        {"GET", "/test/hello", hello, KW_ROUTE_PUBLIC, 0, NULL, ""},
        {"POST", "/test/echo", echo, KW_ROUTE_PUBLIC, 0, NULL, ""},
        {"POST", "/test/wager", wager, KW_ROUTE_PUBLIC, 0, NULL, ""},
        {"POST", "/test/counter", counter, KW_ROUTE_PUBLIC, 0, NULL, ""},
        {"GET", "/test/me", me, KW_ROUTE_USER, 0, NULL, ""},
        {"GET", "/test/admin", me, KW_ROUTE_ADMIN, 0, NULL, ""},
        {"GET", "/test/boom", boom, KW_ROUTE_PUBLIC, 0, NULL, ""},
        {"GET", "/test/cycles/{id}", cycle, KW_ROUTE_PUBLIC, 0, NULL, ""},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}

static kw_api *api;
static uint16_t port;

static void publish(int64_t id, const char *type, int64_t owner)
{
    pthread_mutex_lock(&app.mu);
    int i = app.noutbox++;
    app.outbox[i].id = id;
    app.outbox[i].owner = owner;
    snprintf(app.outbox[i].type, sizeof app.outbox[i].type, "%s", type);
    snprintf(app.outbox[i].data, sizeof app.outbox[i].data, "{\"n\":%lld}", (long long)id);
    const char *d = app.outbox[i].data;
    pthread_mutex_unlock(&app.mu);
    kw_err e = {0};
    int rc = kw_api_publish(api, &(kw_hub_event){id, type, owner, d, strlen(d)}, &e);
    CHECK(rc == 0, "publish %lld: %s", (long long)id, e.msg);
}

static CURL *shared;

static kwt_reply get(const char *path, const char *const *headers)
{
    return kwt_request(shared, "GET", path, headers, NULL, 0);
}

/* ---------------- the tests ---------------- */

static void test_keep_alive(void)
{
    long total = 0;
    for (int i = 0; i < 50; i++) {
        kwt_reply r = get("/health", NULL);
        CHECK(r.status == 200, "health %ld", r.status);
        long connects = 0;
        curl_easy_getinfo(shared, CURLINFO_NUM_CONNECTS, &connects);
        total += connects;
        kwt_reply_free(&r);
    }
    CHECK(total <= 1, "50 requests opened %ld connections (keep-alive broken)", total);
}

static void test_security_headers(void)
{
    static const char *const ips[] = {NULL};
    kwt_reply r = get("/test/hello", ips);
    CHECK(r.status == 200, "hello %ld", r.status);
    CHECK(kwt_data_str(&r, "hello") && strcmp(kwt_data_str(&r, "hello"), "world") == 0, "body %s", r.body);
    CHECK(json_is_true(json_object_get(r.json, "success")), "success");
    static const char *const must[] = {"Content-Security-Policy", "Strict-Transport-Security", "X-Request-Id",
                                       "Referrer-Policy", "Cache-Control"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        CHECK(kwt_header(&r, must[i]), "missing %s", must[i]);
    CHECK(kwt_header(&r, "X-Content-Type-Options") && strcmp(kwt_header(&r, "X-Content-Type-Options"), "nosniff") == 0, "nosniff");
    CHECK(kwt_header(&r, "X-Frame-Options") && strcmp(kwt_header(&r, "X-Frame-Options"), "DENY") == 0, "frame");
    CHECK(strcmp(kwt_header(&r, "Cache-Control"), "no-store") == 0, "no-store");
    const char *meta_id = json_string_value(json_object_get(json_object_get(r.json, "metadata"), "requestId"));
    CHECK(meta_id && strcmp(meta_id, kwt_header(&r, "X-Request-Id")) == 0, "request id in header and body");
    kwt_reply_free(&r);
    static const char *const given[] = {"X-Request-Id: trace-abc.123", NULL};
    r = get("/test/hello", given);
    CHECK(kwt_header(&r, "X-Request-Id") && strcmp(kwt_header(&r, "X-Request-Id"), "trace-abc.123") == 0, "client id kept");
    kwt_reply_free(&r);
    static const char *const bad[] = {"X-Request-Id: <script>", NULL};
    r = get("/test/hello", bad);
    CHECK(kwt_header(&r, "X-Request-Id") && !strchr(kwt_header(&r, "X-Request-Id"), '<'), "unsafe id replaced");
    kwt_reply_free(&r);
    /* Error replies carry them too. */
    r = get("/nowhere", ips);
    CHECK(kwt_header(&r, "Content-Security-Policy") && kwt_header(&r, "X-Frame-Options"), "headers on 404");
    kwt_expect_error(&r, 404, "NOT_FOUND", "no route for GET /nowhere", "404");
}

static void test_routing_errors(void)
{
    static const char *const ips[] = {NULL};
    kwt_reply r = kwt_request(shared, "DELETE", "/test/hello", ips, NULL, 0);
    CHECK(kwt_header(&r, "Allow") && strcmp(kwt_header(&r, "Allow"), "GET, HEAD, OPTIONS") == 0, "Allow: %s",
          kwt_header(&r, "Allow") ? kwt_header(&r, "Allow") : "(none)");
    kwt_expect_error(&r, 405, "METHOD_NOT_ALLOWED", "allowed: GET, HEAD, OPTIONS", "405");
    r = get("/test/../etc/passwd", ips);
    kwt_expect_error(&r, 400, "INVALID_PATH", "..", "traversal");
    r = get("/test//hello", ips);
    kwt_expect_error(&r, 400, "INVALID_PATH", "empty segment", "empty segment");
    r = get("/test/cycles/abc", ips);
    kwt_expect_error(&r, 400, "VALIDATION_ERROR", "path parameter id", "bad param");
    r = get("/test/cycles/42", ips);
    CHECK(r.status == 200 && json_integer_value(json_object_get(json_object_get(r.json, "data"), "id")) == 42,
          "param %s", r.body);
    kwt_reply_free(&r);
    r = kwt_request(shared, "HEAD", "/test/hello", ips, NULL, 0);
    CHECK(r.status == 200 && r.blen == 0, "HEAD %ld %zu", r.status, r.blen);
    kwt_reply_free(&r);
}

static void test_bodies(void)
{
    static const char *const json[] = {"Content-Type: application/json", NULL};
    size_t big = 10 * 1024 * 1024;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    CURL *c = curl_easy_init();
    kwt_reply r = kwt_request(c, "POST", "/test/echo", json, huge, big);
    kwt_expect_error(&r, 413, "PAYLOAD_TOO_LARGE", "larger than 65536 bytes", "10 MB body");
    curl_easy_cleanup(c);
    /* Without Content-Length (chunked), the body is read and dropped. */
    static const char *const chunked[] = {"Content-Type: application/json", "Transfer-Encoding: chunked", NULL};
    c = curl_easy_init();
    r = kwt_request(c, "POST", "/test/echo", chunked, huge, 100 * 1024);
    kwt_expect_error(&r, 413, "PAYLOAD_TOO_LARGE", "larger than", "chunked 100 KB body");
    curl_easy_cleanup(c);
    free(huge);
    r = kwt_request(shared, "POST", "/test/echo", json, "{\"a\":1}", 7);
    CHECK(r.status == 200 && json_integer_value(json_object_get(json_object_get(r.json, "data"), "len")) == 7,
          "echo %s", r.body);
    kwt_reply_free(&r);
    static const char *const text[] = {"Content-Type: text/plain", NULL};
    r = kwt_request(shared, "POST", "/test/echo", text, "hi", 2);
    kwt_expect_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE", "application/json", "415");
    const char ok[] = "{\"type\":\"wager\",\"direction\":\"bad\",\"amount\":\"12.5\"}";
    r = kwt_request(shared, "POST", "/test/wager", json, ok, strlen(ok));
    CHECK(r.status == 201 && kwt_data_str(&r, "amount") && strcmp(kwt_data_str(&r, "amount"), "12.5000000") == 0, "wager %s",
          r.body);
    kwt_reply_free(&r);
    const char num[] = "{\"direction\":\"bad\",\"amount\":12.5}";
    r = kwt_request(shared, "POST", "/test/wager", json, num, strlen(num));
    kwt_expect_error(&r, 400, "INVALID_AMOUNT", "field \"amount\" must be a string", "number amount");
    const char unknown[] = "{\"direction\":\"bad\",\"amount\":\"1\",\"admin\":true}";
    r = kwt_request(shared, "POST", "/test/wager", json, unknown, strlen(unknown));
    kwt_expect_error(&r, 400, "UNKNOWN_FIELD", "unknown field \"admin\"", "unknown field");
    const char broken[] = "{\"direction\":";
    r = kwt_request(shared, "POST", "/test/wager", json, broken, strlen(broken));
    kwt_expect_error(&r, 400, "MALFORMED_JSON", "malformed JSON", "malformed");
    const char utf8[] = "{\"direction\":\"\xff\"}";
    r = kwt_request(shared, "POST", "/test/wager", json, utf8, strlen(utf8));
    kwt_expect_error(&r, 400, "MALFORMED_JSON", "UTF-8", "bad UTF-8");
}

static void test_auth(void)
{
    static const char *const none[] = {NULL};
    kwt_reply r = get("/test/me", none);
    CHECK(kwt_header(&r, "WWW-Authenticate") && strcmp(kwt_header(&r, "WWW-Authenticate"), "Bearer") == 0, "challenge");
    kwt_expect_error(&r, 401, "AUTH_REQUIRED", "Bearer", "no credentials");
    static const char *const bad[] = {"Authorization: Bearer nope", NULL};
    r = get("/test/hello", bad);
    CHECK(kwt_header(&r, "WWW-Authenticate") && strstr(kwt_header(&r, "WWW-Authenticate"), "invalid_token"), "challenge");
    kwt_expect_error(&r, 401, "INVALID_CREDENTIALS", "invalid", "bad token on a public route");
    static const char *const basic[] = {"Authorization: Basic YTpi", NULL};
    r = get("/test/me", basic);
    kwt_expect_error(&r, 401, "INVALID_CREDENTIALS", "Bearer", "basic auth");
    static const char *const user[] = {"Authorization: Bearer user-token", NULL};
    r = get("/test/me", user);
    CHECK(r.status == 200 && kwt_data_str(&r, "username") && strcmp(kwt_data_str(&r, "username"), "alice") == 0, "me %s", r.body);
    kwt_reply_free(&r);
    r = get("/test/admin", user);
    kwt_expect_error(&r, 403, "FORBIDDEN", "administrators", "user on admin route");
    static const char *const admin[] = {"Authorization: Bearer admin-token", NULL};
    r = get("/test/admin", admin);
    CHECK(r.status == 200, "admin %ld", r.status);
    kwt_reply_free(&r);
    static const char *const key[] = {"X-API-Key: kwx_premium", NULL};
    r = get("/test/me", key);
    CHECK(r.status == 200 && kwt_data_str(&r, "username") && strcmp(kwt_data_str(&r, "username"), "pat") == 0, "key %s", r.body);
    kwt_reply_free(&r);
    static const char *const down[] = {"Authorization: Bearer down", NULL};
    r = get("/test/me", down);
    kwt_expect_error(&r, 503, "UNAVAILABLE", "not available", "auth backend down");
}

static void test_internal_errors(void)
{
    static const char *const ips[] = {NULL};
    kwt_reply r = get("/test/boom", ips);
    CHECK(r.status == 500, "boom %ld", r.status);
    CHECK(kwt_jstr(&r, "errorId") && strlen(kwt_jstr(&r, "errorId")) == 16, "error id");
    CHECK(kwt_jstr(&r, "message") && !strstr(kwt_jstr(&r, "message"), "secret"), "detail leaked: %s", r.body);
    kwt_reply_free(&r);
}

static void test_idempotency(void)
{
    static const char *const h[] = {"Content-Type: application/json", "Idempotency-Key: order-1", NULL};
    kwt_reply a = kwt_request(shared, "POST", "/test/counter", h, "{}", 2);
    kwt_reply b = kwt_request(shared, "POST", "/test/counter", h, "{}", 2);
    CHECK(a.status == 201 && b.status == 201, "statuses %ld %ld", a.status, b.status);
    CHECK(a.blen == b.blen && memcmp(a.body, b.body, a.blen) == 0, "retry differs: %s vs %s", a.body, b.body);
    CHECK(kwt_header(&b, "Idempotent-Replayed") != NULL, "replay marked");
    CHECK(app.counter == 1, "handler ran %d times", app.counter);
    kwt_reply_free(&a);
    kwt_reply_free(&b);
    kwt_reply c = kwt_request(shared, "POST", "/test/counter", h, "{\"x\":1}", 7);
    kwt_expect_error(&c, 409, "IDEMPOTENCY_CONFLICT", "different request", "key reused");
    static const char *const other[] = {"Content-Type: application/json", "Idempotency-Key: order-2", NULL};
    c = kwt_request(shared, "POST", "/test/counter", other, "{}", 2);
    CHECK(c.status == 201 && app.counter == 2, "a new key runs again");
    kwt_reply_free(&c);
}

static void test_cors(void)
{
    static const char *const pre[] = {"Origin: https://app.example", "Access-Control-Request-Method: POST",
                                      "Access-Control-Request-Headers: content-type", NULL};
    kwt_reply r = kwt_request(shared, "OPTIONS", "/test/wager", pre, NULL, 0);
    CHECK(r.status == 204, "preflight %ld", r.status);
    CHECK(kwt_header(&r, "Access-Control-Allow-Origin") &&
              strcmp(kwt_header(&r, "Access-Control-Allow-Origin"), "https://app.example") == 0,
          "ACAO");
    CHECK(kwt_header(&r, "Access-Control-Allow-Methods") && strstr(kwt_header(&r, "Access-Control-Allow-Methods"), "POST"),
          "methods");
    CHECK(kwt_header(&r, "Access-Control-Allow-Headers") && strstr(kwt_header(&r, "Access-Control-Allow-Headers"), "Idempotency-Key"),
          "headers");
    kwt_reply_free(&r);
    static const char *const evil[] = {"Origin: https://evil.example", "Access-Control-Request-Method: POST", NULL};
    r = kwt_request(shared, "OPTIONS", "/test/wager", evil, NULL, 0);
    CHECK(kwt_header(&r, "Access-Control-Allow-Origin") == NULL, "no ACAO for others");
    kwt_expect_error(&r, 403, "CORS_ORIGIN_DENIED", "origin", "disallowed origin");
    static const char *const simple[] = {"Origin: https://app.example", NULL};
    r = get("/test/hello", simple);
    CHECK(kwt_header(&r, "Access-Control-Allow-Origin") && kwt_header(&r, "Vary"), "CORS on a simple request");
    CHECK(kwt_header(&r, "Access-Control-Expose-Headers") && strstr(kwt_header(&r, "Access-Control-Expose-Headers"), "RateLimit"),
          "exposed headers");
    kwt_reply_free(&r);
    r = kwt_request(shared, "OPTIONS", "/test/hello", NULL, NULL, 0);
    CHECK(r.status == 204 && kwt_header(&r, "Allow"), "plain OPTIONS %ld", r.status);
    kwt_reply_free(&r);
}

/* Uses up a tier's limit from a fresh address and checks the 429. */
static void exhaust(const char *const *h, long limit, const char *what)
{
    for (long i = 0; i < limit; i++) {
        kwt_reply r = get("/test/hello", h);
        CHECK(r.status == 200, "%s request %ld: %ld", what, i + 1, r.status);
        char want[24];
        snprintf(want, sizeof want, "%ld", limit - i - 1);
        CHECK(kwt_header(&r, "RateLimit-Remaining") && strcmp(kwt_header(&r, "RateLimit-Remaining"), want) == 0,
              "%s remaining %s, want %s", what, kwt_header(&r, "RateLimit-Remaining"), want);
        kwt_reply_free(&r);
    }
    kwt_reply r = get("/test/hello", h);
    char lim[24];
    snprintf(lim, sizeof lim, "%ld", limit);
    CHECK(kwt_header(&r, "Retry-After") && atoi(kwt_header(&r, "Retry-After")) >= 1, "%s Retry-After", what);
    CHECK(kwt_header(&r, "RateLimit-Limit") && strcmp(kwt_header(&r, "RateLimit-Limit"), lim) == 0, "%s limit", what);
    CHECK(kwt_header(&r, "RateLimit-Remaining") && strcmp(kwt_header(&r, "RateLimit-Remaining"), "0") == 0, "%s remaining", what);
    CHECK(kwt_header(&r, "RateLimit-Reset"), "%s reset", what);
    kwt_expect_error(&r, 429, "RATE_LIMITED", "rate limit", what);
}

static void test_rate_limits(void)
{
    static const char *const anon[] = {"X-Forwarded-For: 192.0.2.10", NULL};
    exhaust(anon, 5, "anonymous");
    static const char *const other[] = {"X-Forwarded-For: 192.0.2.11", NULL};
    kwt_reply r = get("/test/hello", other);
    CHECK(r.status == 200, "another address is not limited");
    kwt_reply_free(&r);
    static const char *const spoof[] = {"X-Forwarded-For: 192.0.2.12, 192.0.2.10", NULL};
    r = get("/test/hello", spoof);
    CHECK(r.status == 429, "the right-most address counts (%ld)", r.status);
    kwt_reply_free(&r);
    for (int i = 0; i < 20; i++) {
        r = get("/health", anon);
        CHECK(r.status == 200 && !kwt_header(&r, "RateLimit-Limit"), "/health exempt");
        kwt_reply_free(&r);
    }
    r = get("/metrics", anon);
    CHECK(r.status == 200, "/metrics exempt");
    kwt_reply_free(&r);
    static const char *const user[] = {"Authorization: Bearer limited-token", "X-Forwarded-For: 192.0.2.10", NULL};
    exhaust(user, 8, "user");
    static const char *const premium[] = {"X-API-Key: kwx_limited", "X-Forwarded-For: 192.0.2.10", NULL};
    exhaust(premium, 12, "premium");
    /* Bad credentials count against the address. */
    static const char *const badtok[] = {"Authorization: Bearer nope", "X-Forwarded-For: 192.0.2.13", NULL};
    for (int i = 0; i < 5; i++) {
        r = get("/test/hello", badtok);
        CHECK(r.status == 401, "bad token %ld", r.status);
        kwt_reply_free(&r);
    }
    r = get("/test/hello", badtok);
    CHECK(r.status == 429, "failed logins are limited too (%ld)", r.status);
    kwt_reply_free(&r);
    /* So is scanning for routes. */
    static const char *const scan[] = {"X-Forwarded-For: 192.0.2.14", NULL};
    for (int i = 0; i < 5; i++) {
        r = get("/wp-admin", scan);
        CHECK(r.status == 404 && kwt_header(&r, "RateLimit-Remaining"), "scan %ld", r.status);
        kwt_reply_free(&r);
    }
    r = get("/wp-admin", scan);
    CHECK(r.status == 429, "unmatched requests are limited (%ld)", r.status);
    kwt_reply_free(&r);
}

static void test_system_routes(void)
{
    kwt_reply r = get("/health", NULL);
    CHECK(r.status == 200 && kwt_data_str(&r, "status") && strcmp(kwt_data_str(&r, "status"), "ok") == 0, "health %s", r.body);
    kwt_reply_free(&r);
    r = get("/ready", NULL);
    CHECK(r.status == 200, "ready %ld", r.status);
    kwt_reply_free(&r);
    app.ready = false;
    r = get("/ready", NULL);
    kwt_expect_error(&r, 503, "NOT_READY", "database", "not ready");
    app.ready = true;
    r = get("/metrics", NULL);
    CHECK(r.status == 200 && kwt_header(&r, "Content-Type") && strstr(kwt_header(&r, "Content-Type"), "text/plain"), "metrics");
    CHECK(r.body && strstr(r.body, "kale_api_request_duration_seconds_count{method=\"GET\",route=\"/test/hello\","
                                    "status_code=\"200\"}"),
          "request metric missing");
    CHECK(r.body && strstr(r.body, "# TYPE kale_cycles_processed_total counter"), "std metrics");
    kwt_reply_free(&r);
    r = get("/", NULL);
    CHECK(r.status == 200 && kwt_header(&r, "ETag") && kwt_header(&r, "Content-Type") &&
              strstr(kwt_header(&r, "Content-Type"), "text/html"),
          "index %ld", r.status);
    char inm[128];
    snprintf(inm, sizeof inm, "If-None-Match: %s", kwt_header(&r, "ETag") ? kwt_header(&r, "ETag") : "x");
    kwt_reply_free(&r);
    const char *const cond[] = {inm, NULL};
    r = get("/", cond);
    CHECK(r.status == 304 && r.blen == 0, "conditional GET %ld", r.status);
    kwt_reply_free(&r);
    r = get("/static/app.js", NULL);
    CHECK(r.status == 200 && kwt_header(&r, "Content-Type") && strstr(kwt_header(&r, "Content-Type"), "javascript"), "js");
    kwt_reply_free(&r);
    r = get("/static/missing.js", NULL);
    kwt_expect_error(&r, 404, "NOT_FOUND", "missing.js", "missing static file");
}

/* ---------------- event streams over raw sockets ---------------- */

typedef struct client {
    int fd;
    bool headers_done;
    int status;
    /* chunked decoding */
    size_t chunk_left;      /* data bytes left in the current chunk */
    int chunk_state;        /* 0: size line, 1: data, 2: CRLF after data */
    char line[64];
    size_t line_len;
    char raw[4096];         /* bytes before the end of the headers */
    size_t raw_len;
    /* SSE parsing */
    char frame[4096];
    size_t frame_len;
    int64_t last_id;
    int events, heartbeats, out_of_order;
    bool done;
} client;

static int connect_nb(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s), off = 0;
    double until = now_s() + 10;
    while (off < n && now_s() < until) {
        ssize_t w = send(fd, s + off, n - off, MSG_NOSIGNAL);
        if (w > 0)
            off += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINPROGRESS && errno != ENOTCONN)
            break;
        else
            usleep(1000);
    }
}

static void sse_line(client *c, const char *line, size_t len)
{
    if (len == 0)
        return;
    if (line[0] == ':') {
        if (len >= 12 && memcmp(line, ": keep-alive", 12) == 0)
            c->heartbeats++;
        return;
    }
    if (len > 4 && memcmp(line, "id: ", 4) == 0) {
        int64_t id = strtoll(line + 4, NULL, 10);
        if (id <= c->last_id)
            c->out_of_order++;
        c->last_id = id;
        c->events++;
    }
}

/* Feeds decoded body bytes through the SSE line parser. */
static void sse_feed(client *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            sse_line(c, c->frame, c->frame_len);
            c->frame_len = 0;
        } else if (c->frame_len < sizeof c->frame - 1) {
            c->frame[c->frame_len++] = p[i];
        }
    }
}

/* Feeds received bytes: headers, then chunked body. */
static void client_feed(client *c, const char *p, size_t n)
{
    size_t i = 0;
    while (!c->headers_done && i < n) {
        if (c->raw_len < sizeof c->raw - 1)
            c->raw[c->raw_len++] = p[i];
        i++;
        c->raw[c->raw_len] = 0;
        if (c->raw_len >= 4 && strcmp(c->raw + c->raw_len - 4, "\r\n\r\n") == 0) {
            c->headers_done = true;
            c->status = atoi(c->raw + 9);
        }
    }
    while (i < n) {
        if (c->chunk_state == 0) {
            char ch = p[i++];
            if (ch == '\n') {
                c->line[c->line_len] = 0;
                c->chunk_left = strtoul(c->line, NULL, 16);
                c->line_len = 0;
                c->chunk_state = c->chunk_left ? 1 : 3;
                if (!c->chunk_left)
                    c->done = true;
            } else if (ch != '\r' && c->line_len < sizeof c->line - 1) {
                c->line[c->line_len++] = ch;
            }
        } else if (c->chunk_state == 1) {
            size_t k = n - i < c->chunk_left ? n - i : c->chunk_left;
            sse_feed(c, p + i, k);
            i += k;
            c->chunk_left -= k;
            if (!c->chunk_left)
                c->chunk_state = 2;
        } else if (c->chunk_state == 2) {
            if (p[i++] == '\n')
                c->chunk_state = 0;
        } else {
            i = n;
        }
    }
}

static int client_read(client *c)
{
    char buf[16384];
    for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r > 0) {
            client_feed(c, buf, (size_t)r);
            continue;
        }
        if (r == 0)
            return -1;
        return errno == EAGAIN ? 0 : -1;
    }
}

static void stream_request(client *c, const char *ip, const char *extra)
{
    char req[512];
    snprintf(req, sizeof req, "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: %s\r\n%s\r\n", ip,
             extra ? extra : "");
    send_all(c->fd, req);
}

typedef struct publisher {
    int64_t first, last;
    const char *type;
} publisher;

static void *publish_all(void *arg)
{
    publisher *p = arg;
    for (int64_t id = p->first; id <= p->last; id++)
        publish(id, p->type, 0);
    return NULL;
}

/* Reads from every client until each has `want` events or the deadline. */
static void pump(client *cs, int n, int ep, int want, double seconds)
{
    struct epoll_event evs[256];
    double until = now_s() + seconds;
    for (;;) {
        int behind = 0;
        for (int i = 0; i < n; i++)
            behind += cs[i].events < want && !cs[i].done && !(cs[i].headers_done && cs[i].status != 200);
        double left = until - now_s();
        if (!behind || left <= 0)
            return;
        int k = epoll_wait(ep, evs, 256, left < 0.1 ? (int)(left * 1000) + 1 : 100);
        for (int i = 0; i < k; i++) {
            client *c = evs[i].data.ptr;
            if (client_read(c) < 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                c->done = true;
            }
        }
    }
}

static int64_t next_event_id = 1;

static void test_many_streams(void)
{
    enum { CLIENTS = 1000, EVENTS = 50 };
    client *cs = calloc(CLIENTS, sizeof *cs);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    double t0 = now_s();
    for (int i = 0; i < CLIENTS; i++) {
        cs[i].fd = connect_nb();
        CHECK(cs[i].fd >= 0, "connect %d: %s", i, strerror(errno));
        if (cs[i].fd < 0)
            continue;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    for (int i = 0; i < CLIENTS; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.1.%d.%d", i / 250, i % 250 + 1);
        if (cs[i].fd >= 0)
            stream_request(&cs[i], ip, NULL);
    }
    double until = now_s() + 30;
    while (kw_api_streams(api) < CLIENTS && now_s() < until)
        pump(cs, CLIENTS, ep, 1, 0.05);
    CHECK(kw_api_streams(api) == CLIENTS, "%zu of %d streams open", kw_api_streams(api), CLIENTS);
    double connected = now_s();

    publisher p = {next_event_id, next_event_id + EVENTS - 1, "block.changed"};
    next_event_id += EVENTS;
    pthread_t t;
    pthread_create(&t, NULL, publish_all, &p);
    pump(cs, CLIENTS, ep, EVENTS, 60);
    pthread_join(t, NULL);
    double delivered = now_s();
    int complete = 0, disordered = 0, bad_status = 0;
    for (int i = 0; i < CLIENTS; i++) {
        complete += cs[i].events == EVENTS && cs[i].last_id == p.last;
        disordered += cs[i].out_of_order != 0;
        bad_status += cs[i].status != 200;
    }
    CHECK(complete == CLIENTS, "%d of %d clients got all %d events", complete, CLIENTS, EVENTS);
    for (int i = 0, shown = 0; i < CLIENTS && shown < 5; i++)
        if (cs[i].events != EVENTS) {
            shown++;
            fprintf(stderr, "client %d: status %d, %d events, last id %lld, %d heartbeats, done %d\n", i,
                    cs[i].status, cs[i].events, (long long)cs[i].last_id, cs[i].heartbeats, cs[i].done);
        }
    CHECK(disordered == 0, "%d clients saw events out of order", disordered);
    CHECK(bad_status == 0, "%d clients without 200", bad_status);
    printf("sse: %d clients connected in %.2f s; %d events each delivered in %.2f s\n", CLIENTS, connected - t0,
           EVENTS, delivered - connected);
    for (int i = 0; i < CLIENTS; i++)
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    close(ep);
    free(cs);
    until = now_s() + 20;
    /* Closed clients are noticed at the next heartbeat. */
    while (kw_api_streams(api) > 0 && now_s() < until)
        usleep(20000);
    CHECK(kw_api_streams(api) == 0, "%zu streams left after clients closed", kw_api_streams(api));
}

/* Opens a stream and reads until its kwt_reply headers arrived (so it is
 * subscribed), then until it has `want` events. */
static void read_stream(client *c, const char *ip, const char *extra, int want)
{
    memset(c, 0, sizeof *c);
    c->fd = connect_nb();
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    stream_request(c, ip, extra);
    double until = now_s() + 10;
    while (!c->headers_done && !c->done && now_s() < until)
        pump(c, 1, ep, 1, 0.02);
    pump(c, 1, ep, want, 10);
    close(ep);
}

static void test_resume(void)
{
    /* Read part of a stream, drop the connection, miss events, resume. */
    client c;
    read_stream(&c, "10.2.0.1", NULL, 0);
    int64_t first = next_event_id;
    for (int i = 0; i < 5; i++)
        publish(next_event_id++, "phase.changed", 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    pump(&c, 1, ep, 5, 10);
    CHECK(c.events == 5 && c.last_id == first + 4, "first part: %d events, last %lld", c.events, (long long)c.last_id);
    close(c.fd);
    close(ep);
    int64_t seen = c.last_id;
    /* 40 more while disconnected: more than the ring (16) holds, so the
     * resume goes through the replay hook. */
    for (int i = 0; i < 40; i++)
        publish(next_event_id++, "block.changed", 0);
    char hdr[64];
    snprintf(hdr, sizeof hdr, "Last-Event-ID: %lld\r\n", (long long)seen);
    read_stream(&c, "10.2.0.1", hdr, 40);
    CHECK(c.events == 40 && c.out_of_order == 0 && c.last_id == next_event_id - 1,
          "resume after %lld: %d events, last %lld", (long long)seen, c.events, (long long)c.last_id);
    close(c.fd);
    /* A resume the ring still covers. */
    snprintf(hdr, sizeof hdr, "Last-Event-ID: %lld\r\n", (long long)(next_event_id - 4));
    read_stream(&c, "10.2.0.2", hdr, 3);
    CHECK(c.events == 3 && c.last_id == next_event_id - 1, "ring resume: %d events", c.events);
    close(c.fd);
    read_stream(&c, "10.2.0.3", "Last-Event-ID: abc\r\n", 1);
    CHECK(c.status == 400, "bad Last-Event-ID: %d", c.status);
    close(c.fd);
}

static void test_private_events_and_heartbeats(void)
{
    client user, anon;
    read_stream(&user, "10.3.0.1", "Authorization: Bearer user-token\r\n", 0);
    read_stream(&anon, "10.3.0.2", NULL, 0);
    CHECK(user.status == 200 && anon.status == 200, "streams %d %d", user.status, anon.status);
    int64_t a = next_event_id++;
    publish(a, "balance.changed", 7);
    int64_t b = next_event_id++;
    publish(b, "balance.changed", 8);
    int64_t c = next_event_id++;
    publish(c, "block.changed", 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e1 = {.events = EPOLLIN, .data.ptr = &user}, e2 = {.events = EPOLLIN, .data.ptr = &anon};
    epoll_ctl(ep, EPOLL_CTL_ADD, user.fd, &e1);
    epoll_ctl(ep, EPOLL_CTL_ADD, anon.fd, &e2);
    pump(&user, 1, ep, 2, 5);
    pump(&anon, 1, ep, 1, 5);
    CHECK(user.events == 2 && user.last_id == c, "owner saw %d events", user.events);
    CHECK(anon.events == 1 && anon.last_id == c, "anonymous saw %d events", anon.events);
    /* Heartbeats every 200 ms keep idle streams alive. */
    double until = now_s() + 2;
    while (user.heartbeats == 0 && now_s() < until) {
        struct epoll_event evs[2];
        int k = epoll_wait(ep, evs, 2, 100);
        for (int i = 0; i < k; i++)
            client_read(evs[i].data.ptr);
    }
    CHECK(user.heartbeats > 0, "no heartbeat");
    close(user.fd);
    close(anon.fd);
    close(ep);
}

/* Stops the API while streams are suspended: they must end cleanly. */
static void test_stop_with_open_streams(void)
{
    client cs[10];
    for (int i = 0; i < 10; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.4.0.%d", i + 1);
        read_stream(&cs[i], ip, NULL, 0);
    }
    CHECK(kw_api_streams(api) >= 10, "streams before stop: %zu", kw_api_streams(api));
    kw_api_stop(api);
    api = NULL;
    for (int i = 0; i < 10; i++)
        close(cs[i].fd);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 8192) {
        rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    kw_log_setup(KW_LOG_ERROR + 1, "test", 2);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    char web[] = "/tmp/kw-web-XXXXXX";
    if (!mkdtemp(web))
        return 1;
    write_file(web, "index.html", "<!doctype html><title>kalewx</title>");
    write_file(web, "app.js", "console.log('kalewx')");

    kw_config cfg;
    kw_err e = {0};
    if (kw_config_init(&cfg) != 0)
        return 1;
    const char *settings[][2] = {
        {"BIND", "127.0.0.1"}, {"HTTP_THREADS", "2"}, {"KALEWX_ENV", "production"},
        {"ALLOWED_ORIGINS", "https://app.example, https://other.example"}, {"TRUST_PROXY", "1"},
        {"RATE_LIMIT_ANONYMOUS", "5"}, {"RATE_LIMIT_USER", "8"}, {"RATE_LIMIT_PREMIUM", "12"},
        {"RATE_LIMIT_WINDOW_SECONDS", "3600"}, {"SSE_HEARTBEAT_MS", "200"}, {"SSE_BUFFER_EVENTS", "16"},
        {"KALEWX_WEB_DIR", web},
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        kw_config_key k;
        if (kw_config_lookup(settings[i][0], &k) != 0 || kw_config_set(&cfg, k, settings[i][1], KW_SRC_FLAG, &e) != 0) {
            fprintf(stderr, "setting %s: %s\n", settings[i][0], e.msg);
            return 1;
        }
    }
    kw_api_hooks hooks = {
        .server = {.ctx = &app, .authenticate = authenticate, .idem_lookup = idem_lookup, .idem_store = idem_store},
        .replay = replay,
        .event_start_id = 0,
        .ready = ready,
        .add_routes = add_routes,
    };
    if (kw_api_start(&cfg, &hooks, 0, &api, &e) != 0) {
        fprintf(stderr, "start: %s\n", e.msg);
        return 1;
    }
    port = kw_api_port(api);
    kwt_client_port(port);
    shared = curl_easy_init();

    struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"keep-alive", test_keep_alive},
        {"security headers", test_security_headers},
        {"routing errors", test_routing_errors},
        {"bodies", test_bodies},
        {"auth", test_auth},
        {"internal errors", test_internal_errors},
        {"idempotency", test_idempotency},
        {"cors", test_cors},
        {"rate limits", test_rate_limits},
        {"system routes", test_system_routes},
        {"1000 streams", test_many_streams},
        {"resume", test_resume},
        {"private events and heartbeats", test_private_events_and_heartbeats},
        {"stop with open streams", test_stop_with_open_streams},
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int before = kwt_failures;
        double t = now_s();
        tests[i].fn();
        printf("%s %s (%.2f s)\n", kwt_failures == before ? "ok  " : "FAIL", tests[i].name, now_s() - t);
        fflush(stdout);
    }
    curl_easy_cleanup(shared);
    kw_api_stop(api);
    kw_config_free(&cfg);
    curl_global_cleanup();
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", web);
    if (system(cmd) != 0)
        kwt_failures++;
    for (int i = 0; i < app.nidem; i++)
        free(app.idem[i].rec.body);
    printf("%d failure(s)\n", kwt_failures);
    return kwt_failures ? 1 : 0;
}
