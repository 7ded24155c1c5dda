#include "api/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "api/body.h"
#include "crypto/sha.h"
#include "obs/log.h"

const char *kw_http_header(const kw_http_req *req, const char *name)
{
    return req->lookup ? req->lookup(req->transport, KW_HTTP_HEADER, name) : NULL;
}

const char *kw_http_query(const kw_http_req *req, const char *name)
{
    return req->lookup ? req->lookup(req->transport, KW_HTTP_QUERY, name) : NULL;
}

const char *kw_http_param(const kw_http_req *req, const char *name)
{
    return req->match ? kw_route_param(req->match, name) : NULL;
}

int kw_http_param_int(const kw_http_req *req, const char *name, int64_t min, int64_t max,
                      int64_t *out, kw_err *err)
{
    const char *v = kw_http_param(req, name);
    if (!v)
        return kw_err_set(err, KW_EINVAL, "the path has no parameter %s", name);
    bool digits = *v != 0;
    for (const char *p = v; *p; p++)
        digits = digits && *p >= '0' && *p <= '9';
    errno = 0;
    char *end;
    long long n = digits ? strtoll(v, &end, 10) : 0;
    if (!digits || errno || n < min || n > max)
        return kw_err_set(err, KW_EINVAL, "path parameter %s must be a whole number from %lld to %lld", name,
                          (long long)min, (long long)max);
    *out = n;
    return 0;
}

static const struct {
    int status;
    const char *reason, *code;
} statuses[] = {
    {200, "OK", "OK"},
    {201, "Created", "CREATED"},
    {202, "Accepted", "ACCEPTED"},
    {204, "No Content", "NO_CONTENT"},
    {304, "Not Modified", "NOT_MODIFIED"},
    {400, "Bad Request", "BAD_REQUEST"},
    {401, "Unauthorized", "UNAUTHORIZED"},
    {403, "Forbidden", "FORBIDDEN"},
    {404, "Not Found", "NOT_FOUND"},
    {405, "Method Not Allowed", "METHOD_NOT_ALLOWED"},
    {409, "Conflict", "CONFLICT"},
    {413, "Payload Too Large", "PAYLOAD_TOO_LARGE"},
    {415, "Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE"},
    {422, "Unprocessable Entity", "RULE_VIOLATION"},
    {429, "Too Many Requests", "RATE_LIMITED"},
    {500, "Internal Server Error", "INTERNAL_ERROR"},
    {503, "Service Unavailable", "UNAVAILABLE"},
};

const char *kw_http_reason(int status)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].status == status)
            return statuses[i].reason;
    return "Unknown";
}

const char *kw_http_default_code(int status)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].status == status)
            return statuses[i].code;
    return "ERROR";
}

char *kw_http_timestamp(int64_t unix_ms, char *buf, size_t cap)
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%03dZ", (int)(unix_ms % 1000));
    return buf;
}

/* Length of the UTF-8 sequence at s (≤ left bytes), or 0 when it is malformed. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0)
        n = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        n = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

bool kw_http_utf8_valid(const char *s, size_t len, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        if (!n) {
            if (bad)
                *bad = i;
            return false;
        }
        i += n;
    }
    return true;
}

static bool put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n >= cap)
        return false;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = 0;
    return true;
}

#define PUT_LIT(buf, cap, len, lit) put((buf), (cap), (len), (lit), sizeof(lit) - 1)

bool kw_http_json_string(char *buf, size_t cap, size_t *len, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t left = strlen((const char *)p);
    bool ok = PUT_LIT(buf, cap, len, "\"");
    while (ok && *p) {
        char esc[8];
        size_t n = utf8_seq(p, left);
        if (n == 0) {
            ok = PUT_LIT(buf, cap, len, "\xEF\xBF\xBD");
            n = 1;
        } else if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            ok = put(buf, cap, len, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            ok = put(buf, cap, len, esc, 6);
        } else {
            ok = put(buf, cap, len, (const char *)p, n);
        }
        p += n;
        left -= n;
    }
    return ok && PUT_LIT(buf, cap, len, "\"");
}

void kw_http_res_clear(kw_http_res *res)
{
    if (res->release)
        res->release(res->release_arg);
    res->status = 0;
    res->content_type = NULL;
    res->body = NULL;
    res->body_len = 0;
    res->release = NULL;
    res->release_arg = NULL;
    res->nheaders = 0;
    res->code[0] = 0;
}

int kw_http_body_take(kw_http_res *res, int status, const char *content_type, void *data, size_t len,
                      void (*release)(void *arg), void *arg)
{
    if (res->release)
        res->release(res->release_arg);
    res->status = status;
    res->content_type = content_type;
    res->body = data;
    res->body_len = len;
    res->release = release;
    res->release_arg = arg;
    return 0;
}

int kw_http_body_copy(kw_http_res *res, int status, const char *content_type, const void *data, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return kw_http_internal(res, "out of memory copying a reply body"), KW_ENOMEM;
    memcpy(copy, data, len);
    copy[len] = 0;
    return kw_http_body_take(res, status, content_type, copy, len, free, copy);
}

/* Writes `,"metadata":{...}}` and NUL; buf has room (callers size it). */
static void put_metadata(const kw_http_res *res, char *buf, size_t cap, size_t *len)
{
    char ts[32];
    kw_http_timestamp(res->now_ms, ts, sizeof ts);
    PUT_LIT(buf, cap, len, ",\"metadata\":{\"timestamp\":\"");
    put(buf, cap, len, ts, strlen(ts));
    PUT_LIT(buf, cap, len, "\",\"requestId\":");
    kw_http_json_string(buf, cap, len, res->request_id ? res->request_id : "");
    PUT_LIT(buf, cap, len, ",\"version\":\"" KW_VERSION "\"}}");
}

/* The fixed part of an envelope: metadata plus keys, without data or message. */
#define ENVELOPE_OVERHEAD (256 + KW_HTTP_REQUEST_ID_MAX * 6)

int kw_http_json_raw(kw_http_res *res, int status, const char *data, size_t len)
{
    size_t cap = len + ENVELOPE_OVERHEAD, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return kw_http_internal(res, "out of memory building a reply"), KW_ENOMEM;
    PUT_LIT(buf, cap, &n, "{\"success\":true,\"data\":");
    put(buf, cap, &n, data, len);
    put_metadata(res, buf, cap, &n);
    res->code[0] = 0;
    return kw_http_body_take(res, status, "application/json", buf, n, free, buf);
}

int kw_http_json(kw_http_res *res, int status, json_t *data)
{
    char *text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(data);
    if (!text)
        return kw_http_internal(res, "could not serialise a reply"), KW_ENOMEM;
    int rc = kw_http_json_raw(res, status, text, strlen(text));
    free(text);
    return rc;
}

/* Builds an error envelope; error_id may be NULL. */
static int error_envelope(kw_http_res *res, int status, const char *code, const char *message,
                          const char *error_id)
{
    size_t cap = strlen(message) * 6 + strlen(code) * 6 + ENVELOPE_OVERHEAD, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        static const char oom[] = "{\"success\":false,\"error\":\"Internal Server Error\",\"code\":\"INTERNAL_ERROR\"}";
        res->code[0] = 0;
        return kw_http_body_take(res, 500, "application/json", (char *)oom, sizeof oom - 1, NULL, NULL);
    }
    PUT_LIT(buf, cap, &n, "{\"success\":false,\"error\":");
    kw_http_json_string(buf, cap, &n, kw_http_reason(status));
    PUT_LIT(buf, cap, &n, ",\"code\":");
    kw_http_json_string(buf, cap, &n, code);
    PUT_LIT(buf, cap, &n, ",\"message\":");
    kw_http_json_string(buf, cap, &n, message);
    if (error_id) {
        PUT_LIT(buf, cap, &n, ",\"errorId\":");
        kw_http_json_string(buf, cap, &n, error_id);
    }
    put_metadata(res, buf, cap, &n);
    if (code != res->code)
        snprintf(res->code, sizeof res->code, "%s", code);
    return kw_http_body_take(res, status, "application/json", buf, n, free, buf);
}

int kw_http_error(kw_http_res *res, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_envelope(res, status, code ? code : kw_http_default_code(status), msg, NULL);
}

int kw_http_internal(kw_http_res *res, const char *detail)
{
    unsigned char raw[8] = {0};
    char id[2 * sizeof raw + 1];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(raw, &ts.tv_nsec, sizeof ts.tv_nsec < sizeof raw ? sizeof ts.tv_nsec : sizeof raw);
    }
    kw_hex_encode(raw, sizeof raw, id);
    KW_LOG(KW_LOG_ERROR, "internal error", KW_LS("errorId", id),
           KW_LS("requestId", res->request_id ? res->request_id : ""), KW_LS("detail", detail));
    char msg[600];
    if (res->production)
        snprintf(msg, sizeof msg, "Something went wrong on our side; quote error id %s when reporting it", id);
    else
        snprintf(msg, sizeof msg, "internal error: %s", detail);
    return error_envelope(res, 500, "INTERNAL_ERROR", msg, id);
}

/* The stable code of a body rejection (body.h). */
static const char *body_code(int reason)
{
    switch (reason) {
    case KW_BODY_MALFORMED: return "MALFORMED_JSON";
    case KW_BODY_UNKNOWN: return "UNKNOWN_FIELD";
    case KW_BODY_AMOUNT: return "INVALID_AMOUNT";
    case KW_BODY_AMOUNT_RANGE: return "AMOUNT_OUT_OF_RANGE";
    default: return "VALIDATION_ERROR";
    }
}

int kw_http_fail_code(kw_http_res *res, int rc, const kw_err *err)
{
    const char *msg = err && err->msg[0] ? err->msg : kw_strerror(rc);
    const char *code = res->code[0] ? res->code : NULL;
    int status;
    switch (rc) {
    case KW_EINVAL:
        status = err && err->code == KW_BODY_AMOUNT_RANGE ? 422 : 400;
        if (!code)
            code = body_code(err ? err->code : 0);
        break;
    case KW_EAUTH: status = 401; break;
    case KW_ENOTFOUND: status = 404; break;
    case KW_ECONFLICT: status = 409; break;
    case KW_EFUNDS:
        status = 422;
        if (!code)
            code = "INSUFFICIENT_FUNDS";
        break;
    case KW_ESTATE:
    case KW_ECHAIN:
    case KW_ERANGE: status = 422; break;
    case KW_ELIMIT: status = 429; break;
    case KW_ETRANSIENT: status = 503; break;
    default: {
        char detail[300];
        snprintf(detail, sizeof detail, "%s (%s)", msg, kw_strerror(rc));
        return kw_http_internal(res, detail);
    }
    }
    return error_envelope(res, status, code ? code : kw_http_default_code(status), msg, NULL);
}

static bool header_text_ok(const char *s, size_t cap)
{
    size_t n = strlen(s);
    if (n == 0 || n >= cap)
        return false;
    for (const char *p = s; *p; p++)
        if (*p == '\r' || *p == '\n')
            return false;
    return true;
}

int kw_http_add_header(kw_http_res *res, const char *name, const char *value)
{
    if (!header_text_ok(name, sizeof res->headers[0].name) || strchr(name, ':') ||
        (*value && !header_text_ok(value, sizeof res->headers[0].value)))
        return KW_EINVAL;
    if (res->nheaders == KW_HTTP_HEADERS_MAX)
        return KW_ELIMIT;
    kw_http_field *h = &res->headers[res->nheaders++];
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->value, sizeof h->value, "%s", value);
    return 0;
}

const char *kw_http_get_header(const kw_http_res *res, const char *name)
{
    for (size_t i = 0; i < res->nheaders; i++)
        if (strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}
