#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "api/body.h"
#include "api/http.h"
#include "obs/log.h"

static kw_http_res fresh(bool production)
{
    kw_http_res r = {0};
    r.request_id = "req-1";
    r.now_ms = 1764806400123;
    r.production = production;
    return r;
}

static json_t *body_json(const kw_http_res *r)
{
    json_error_t je;
    json_t *j = json_loadb(r->body, r->body_len, 0, &je);
    cr_assert_not_null(j, "not JSON (%s): %.*s", je.text, (int)r->body_len, r->body);
    cr_assert_str_eq(r->content_type, "application/json");
    json_t *meta = json_object_get(j, "metadata");
    cr_assert_str_eq(json_string_value(json_object_get(meta, "timestamp")), "2025-12-04T00:00:00.123Z");
    cr_assert_str_eq(json_string_value(json_object_get(meta, "requestId")), "req-1");
    cr_assert_str_eq(json_string_value(json_object_get(meta, "version")), KW_VERSION);
    return j;
}

Test(http, success_envelope)
{
    kw_http_res r = fresh(false);
    cr_assert_eq(kw_http_json(&r, 201, json_pack("{s:i}", "id", 7)), 0);
    cr_assert_eq(r.status, 201);
    json_t *j = body_json(&r);
    cr_assert(json_is_true(json_object_get(j, "success")));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "data"), "id")), 7);
    cr_assert_null(json_object_get(j, "error"));
    json_decref(j);
    const char raw[] = "[1,\"two\"]";
    cr_assert_eq(kw_http_json_raw(&r, 200, raw, strlen(raw)), 0, "replacing a body releases the old one");
    j = body_json(&r);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 2);
    json_decref(j);
    kw_http_res_clear(&r);
    cr_assert_null(r.body);
    cr_assert_str_eq(r.request_id, "req-1", "clear keeps the request context");
}

Test(http, error_envelope_has_code_and_message)
{
    kw_http_res r = fresh(false);
    kw_http_error(&r, 422, "PHASE_CLOSED", "planting closed at block %d; \"next\" cycle starts at %d", 16, 20);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(r.code, "PHASE_CLOSED");
    json_t *j = body_json(&r);
    cr_assert(json_is_false(json_object_get(j, "success")));
    cr_assert_str_eq(json_string_value(json_object_get(j, "error")), "Unprocessable Entity");
    cr_assert_str_eq(json_string_value(json_object_get(j, "code")), "PHASE_CLOSED");
    cr_assert_str_eq(json_string_value(json_object_get(j, "message")),
                     "planting closed at block 16; \"next\" cycle starts at 20");
    cr_assert_null(json_object_get(j, "data"));
    json_decref(j);
    kw_http_error(&r, 404, NULL, "no cycle 9");
    cr_assert_str_eq(r.code, "NOT_FOUND");
    kw_http_res_clear(&r);
}

static char *capture_log(void (*fn)(kw_http_res *), kw_http_res *r)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    kw_log_setup(KW_LOG_DEBUG, "test", fds[1]);
    fn(r);
    kw_log_setup(KW_LOG_DEBUG, "test", 2);
    close(fds[1]);
    static char buf[8192];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static void fail_db(kw_http_res *r) { kw_http_internal(r, "database is locked: /var/lib/kalewx/db.sqlite"); }

Test(http, internal_errors_are_sanitised_in_production)
{
    kw_http_res r = fresh(true);
    char *log = capture_log(fail_db, &r);
    cr_assert_eq(r.status, 500);
    json_t *j = body_json(&r);
    const char *id = json_string_value(json_object_get(j, "errorId"));
    cr_assert_not_null(id);
    cr_assert_eq(strlen(id), 16);
    const char *msg = json_string_value(json_object_get(j, "message"));
    cr_assert_null(strstr(msg, "sqlite"), "detail leaked: %s", msg);
    cr_assert(strstr(msg, id), "message quotes the error id: %s", msg);
    cr_assert(strstr(log, id) && strstr(log, "db.sqlite") && strstr(log, "req-1"), "log: %s", log);
    json_decref(j);
    kw_http_res_clear(&r);

    r = fresh(false);
    capture_log(fail_db, &r);
    j = body_json(&r);
    cr_assert(strstr(json_string_value(json_object_get(j, "message")), "database is locked"));
    json_decref(j);
    kw_http_res_clear(&r);
}

Test(http, error_codes_map_to_statuses)
{
    const struct {
        int rc, status;
        const char *code;
    } cases[] = {
        {KW_EINVAL, 400, "VALIDATION_ERROR"}, {KW_EAUTH, 401, "UNAUTHORIZED"},
        {KW_ENOTFOUND, 404, "NOT_FOUND"},     {KW_ECONFLICT, 409, "CONFLICT"},
        {KW_ESTATE, 422, "RULE_VIOLATION"},   {KW_EFUNDS, 422, "INSUFFICIENT_FUNDS"},
        {KW_ELIMIT, 429, "RATE_LIMITED"},     {KW_ETRANSIENT, 503, "UNAVAILABLE"},
        {KW_EIO, 500, "INTERNAL_ERROR"},      {KW_ENOMEM, 500, "INTERNAL_ERROR"},
        {KW_EINTERNAL, 500, "INTERNAL_ERROR"},
    };
    kw_log_setup(KW_LOG_ERROR + 1, "test", 2);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kw_http_res r = fresh(true);
        kw_err e = {0};
        kw_err_set(&e, cases[i].rc, "because %zu", i);
        kw_http_fail_code(&r, cases[i].rc, &e);
        cr_assert_eq(r.status, cases[i].status, "rc %d", cases[i].rc);
        cr_assert_str_eq(r.code, cases[i].code, "rc %d", cases[i].rc);
        json_t *j = body_json(&r);
        if (r.status < 500)
            cr_assert(strstr(json_string_value(json_object_get(j, "message")), "because"));
        json_decref(j);
        kw_http_res_clear(&r);
    }
    kw_http_res r = fresh(false);
    kw_err e = {.code = KW_BODY_MALFORMED, .msg = "malformed JSON: x"};
    kw_http_fail_code(&r, KW_EINVAL, &e);
    cr_assert_str_eq(r.code, "MALFORMED_JSON");
    kw_http_res_clear(&r);
    snprintf(r.code, sizeof r.code, "PHASE_CLOSED");
    kw_http_fail_code(&r, KW_ESTATE, &(kw_err){KW_ESTATE, "closed"});
    cr_assert_str_eq(r.code, "PHASE_CLOSED", "a code set by the handler wins");
    kw_http_res_clear(&r);
}

Test(http, headers_refuse_injection)
{
    kw_http_res r = fresh(false);
    cr_assert_eq(kw_http_add_header(&r, "Location", "/api/v1/cycles/3"), 0);
    cr_assert_str_eq(kw_http_get_header(&r, "location"), "/api/v1/cycles/3");
    cr_assert_eq(kw_http_add_header(&r, "X-A", "a\r\nSet-Cookie: x=1"), KW_EINVAL);
    cr_assert_eq(kw_http_add_header(&r, "X-A\n", "a"), KW_EINVAL);
    cr_assert_eq(kw_http_add_header(&r, "X:A", "a"), KW_EINVAL);
    cr_assert_eq(kw_http_add_header(&r, "", "a"), KW_EINVAL);
    for (int i = 1; i < KW_HTTP_HEADERS_MAX; i++)
        cr_assert_eq(kw_http_add_header(&r, "X-N", "v"), 0);
    cr_assert_eq(kw_http_add_header(&r, "X-N", "v"), KW_ELIMIT);
    cr_assert_null(kw_http_get_header(&r, "Set-Cookie"));
}

Test(http, utf8_validation)
{
    size_t bad = 99;
    cr_assert(kw_http_utf8_valid("caf\xc3\xa9 \xf0\x9f\x8c\xa7", 10, &bad));
    const struct {
        const char *s;
        size_t at;
    } cases[] = {
        {"a\x80", 1},          /* lone continuation */
        {"ab\xc3", 2},         /* truncated */
        {"\xc0\xaf", 0},       /* overlong '/' */
        {"\xe0\x80\xaf", 0},   /* overlong */
        {"\xed\xa0\x80", 0},   /* surrogate */
        {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
        {"\xff", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_not(kw_http_utf8_valid(cases[i].s, strlen(cases[i].s), &bad), "case %zu", i);
        cr_assert_eq(bad, cases[i].at, "case %zu", i);
    }
}

Test(http, json_strings_are_escaped)
{
    char buf[64];
    size_t n = 0;
    buf[0] = 0;
    cr_assert(kw_http_json_string(buf, sizeof buf, &n, "a\"b\\c\n\x01\xff\xc3\xa9"));
    cr_assert_str_eq(buf, "\"a\\\"b\\\\c\\u000a\\u0001\xef\xbf\xbd\xc3\xa9\"");
    char small[4];
    n = 0;
    cr_assert_not(kw_http_json_string(small, sizeof small, &n, "toolong"));
}

static const char *no_lookup(void *t, kw_http_lookup k, const char *name)
{
    (void)t, (void)k, (void)name;
    return NULL;
}

Test(http, path_parameters)
{
    kw_route_match m = {.status = KW_MATCH_OK, .nparams = 1, .names = {"id"}, .values = {"42"}};
    kw_http_req req = {.match = &m, .lookup = no_lookup};
    int64_t v = 0;
    kw_err e;
    cr_assert_eq(kw_http_param_int(&req, "id", 0, 100, &v, &e), 0);
    cr_assert_eq(v, 42);
    cr_assert_eq(kw_http_param_int(&req, "id", 0, 10, &v, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "id"));
    cr_assert_eq(kw_http_param_int(&req, "other", 0, 10, &v, &e), KW_EINVAL);
    m.values[0] = "-1";
    cr_assert_eq(kw_http_param_int(&req, "id", -5, 10, &v, &e), KW_EINVAL, "signs are not digits");
    m.values[0] = "99999999999999999999";
    cr_assert_eq(kw_http_param_int(&req, "id", 0, INT64_MAX, &v, &e), KW_EINVAL);
    cr_assert_null(kw_http_header(&req, "X"));
    cr_assert_null(kw_http_query(&req, "x"));
}
