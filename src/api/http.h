/*
 * http — the request and response of one API call, and the helpers every
 * handler uses to answer (SPEC §10).
 *
 * A handler (kw_route_fn) reads a kw_http_req and fills a kw_http_res:
 *
 *     static int get_cycle(const kw_http_req *req, kw_http_res *res)
 *     {
 *         int64_t id;
 *         int rc = kw_http_param_int(req, "id", 0, INT64_MAX, &id, &res->err);
 *         if (rc)
 *             return rc;                       // → 400 naming the parameter
 *         json_t *data = ...;
 *         return kw_http_json(res, 200, data);  // takes the reference
 *     }
 *
 * Every JSON reply has the envelope
 *     {success, data?, error?, code?, message?, errorId?, metadata:{timestamp, requestId, version}}
 * `error` is the status' reason phrase, `code` a stable upper-case code
 * (PHASE_CLOSED, INSUFFICIENT_FUNDS, ...) and `message` one sentence for a
 * person. A handler may instead return a negative KW_E* code with a message
 * in res->err; kw_http_fail_code maps it (KW_EINVAL 400, KW_EAUTH 401,
 * KW_ENOTFOUND 404, KW_ECONFLICT 409, KW_ESTATE/KW_EFUNDS/KW_ECHAIN 422,
 * KW_ELIMIT 429, KW_ETRANSIENT 503, anything else an internal error).
 * Internal errors get a random error id; the detail goes to the log and,
 * when res->production is set (KALEWX_ENV=production), never to the client.
 *
 * Ownership: a response owns its body until the server sends it (through
 * `release`); kw_http_res_clear releases it early. Strings of a request
 * live until the handler returns. Thread-safety: a request and its response
 * belong to one thread; the functions here are reentrant.
 */
#ifndef KW_API_HTTP_H
#define KW_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "api/router.h"
#include "core/err.h"

#define KW_HTTP_BODY_MAX (64 * 1024) /* default request body cap (HTTP_BODY_MAX) */
#define KW_HTTP_HEADERS_MAX 16
#define KW_HTTP_REQUEST_ID_MAX 64

typedef enum kw_tier {
    KW_TIER_ANONYMOUS = 0,
    KW_TIER_USER,
    KW_TIER_PREMIUM,
} kw_tier;

typedef enum kw_role {
    KW_ROLE_USER = 0,
    KW_ROLE_ADMIN,
} kw_role;

/* Who is calling. user_id 0 means anonymous (and then tier is anonymous). */
typedef struct kw_principal {
    int64_t user_id;
    char username[64];
    kw_tier tier;
    kw_role role;
} kw_principal;

typedef enum kw_http_lookup {
    KW_HTTP_HEADER = 0,   /* request header, case-insensitive */
    KW_HTTP_QUERY,        /* query-string argument, percent-decoded */
} kw_http_lookup;

typedef struct kw_http_req {
    const char *method;
    const char *path;                    /* percent-decoded, without the query */
    const kw_route_match *match;         /* the route and its path parameters */
    void *ctx;                           /* the route's ctx */
    const char *body;                    /* NUL-terminated copy, body_len bytes; "" when none */
    size_t body_len;
    kw_principal principal;
    const char *request_id;
    const char *client_ip;
    int64_t now_ms;                      /* Unix ms when the request arrived */
    /* How headers and query arguments are read (set by the server). */
    const char *(*lookup)(void *transport, kw_http_lookup kind, const char *name);
    void *transport;
} kw_http_req;

/* A streamed body (Server-Sent Events). read() writes up to max bytes and
 * returns their count; or 0 when it has nothing now, in which case it must
 * already have suspended the connection (kw_server_suspend) so that the
 * server stops asking until it is resumed; or KW_HTTP_STREAM_END /
 * KW_HTTP_STREAM_ERROR. release() runs once when the connection is done. */
#define KW_HTTP_STREAM_END (-1)
#define KW_HTTP_STREAM_ERROR (-2)
typedef struct kw_http_stream {
    ssize_t (*read)(void *cls, char *buf, size_t max);
    void (*release)(void *cls);
    void *cls;
} kw_http_stream;

typedef struct kw_http_field {
    char name[40];
    char value[256];
} kw_http_field;

typedef struct kw_http_res {
    int status;
    const char *content_type;            /* static string; NULL for no body */
    char *body;
    size_t body_len;
    void (*release)(void *arg);          /* frees body; NULL when body is static */
    void *release_arg;
    kw_http_stream stream;               /* set instead of body for a streamed reply */
    kw_http_field headers[KW_HTTP_HEADERS_MAX];
    size_t nheaders;
    char code[40];                       /* the stable code of an error reply */
    kw_err err;                          /* message for a negative handler return */
    /* Set by the server before the handler runs; the envelope uses them. */
    const char *request_id;
    int64_t now_ms;
    bool production;
} kw_http_res;

/* Request accessors; NULL when absent. */
const char *kw_http_header(const kw_http_req *req, const char *name);
const char *kw_http_query(const kw_http_req *req, const char *name);
const char *kw_http_param(const kw_http_req *req, const char *name);

/* Parses the path parameter `name` as a decimal integer in [min, max].
 * KW_EINVAL with a message naming the parameter otherwise. */
int kw_http_param_int(const kw_http_req *req, const char *name, int64_t min, int64_t max,
                      int64_t *out, kw_err *err) KW_WUR;

/* Success envelope around data (a reference is taken over, even on error).
 * Returns 0, or KW_ENOMEM after turning res into a 500. */
int kw_http_json(kw_http_res *res, int status, json_t *data);
/* Success envelope around data that is already serialised JSON (copied),
 * for replies prepared ahead of time. */
int kw_http_json_raw(kw_http_res *res, int status, const char *data, size_t len);

/* Error envelope: `code` is the stable code (NULL: derived from status). Returns 0. */
int kw_http_error(kw_http_res *res, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Error envelope for a negative KW_E* code and its message (see above). */
int kw_http_fail_code(kw_http_res *res, int rc, const kw_err *err);
/* 500 with a fresh error id; logs detail with the id and request id. */
int kw_http_internal(kw_http_res *res, const char *detail);

/* Non-JSON bodies: copied, or taken over (release(arg) frees it; NULL
 * release for static data). Return 0 or KW_ENOMEM. */
int kw_http_body_copy(kw_http_res *res, int status, const char *content_type, const void *data, size_t len);
int kw_http_body_take(kw_http_res *res, int status, const char *content_type, void *data, size_t len,
                      void (*release)(void *arg), void *arg);

/* Adds a reply header. KW_EINVAL for a name or value with CR, LF or NUL or
 * too long; KW_ELIMIT when KW_HTTP_HEADERS_MAX are set. */
int kw_http_add_header(kw_http_res *res, const char *name, const char *value) KW_WUR;
const char *kw_http_get_header(const kw_http_res *res, const char *name);

/* Releases the body and forgets status, headers and code (keeps the
 * request id, clock and production flag). */
void kw_http_res_clear(kw_http_res *res);

/* "Not Found" for 404, "Unknown" for codes not used by the API. */
const char *kw_http_reason(int status);
/* "NOT_FOUND" for 404: the default stable code of a status. */
const char *kw_http_default_code(int status);

/* Formats Unix ms as "2025-12-04T00:00:00.123Z" into buf (≥ 25 bytes). */
char *kw_http_timestamp(int64_t unix_ms, char *buf, size_t cap);

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF); *bad gets the offset of the first bad byte. */
bool kw_http_utf8_valid(const char *s, size_t len, size_t *bad);

/* Appends s as a JSON string literal (with quotes) to buf at *len (cap
 * bounded; invalid UTF-8 becomes U+FFFD). Returns false when it did not fit. */
bool kw_http_json_string(char *buf, size_t cap, size_t *len, const char *s);

#endif
