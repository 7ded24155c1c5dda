/*
 * client — what the integration tests use to talk to a server over HTTP:
 * one request on a libcurl handle (keep-alive when the handle is reused),
 * the reply with its headers and parsed JSON, and the checks every test
 * repeats. Failures are counted in kwt_failures (CHECK), so a test runs to
 * the end and reports every mismatch.
 *
 * Anonymous requests get an X-Forwarded-For of their own unless they send
 * one, so that tests against a server with TRUST_PROXY=1 do not share the
 * anonymous rate limit.
 */
#ifndef KW_TESTS_CLIENT_H
#define KW_TESTS_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int kwt_failures;

#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            kwt_failures++;                                                                 \
            fprintf(stderr, "FAIL %s:%d: %s — ", __FILE__, __LINE__, #cond);                \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
        }                                                                                   \
    } while (0)

typedef struct kwt_reply {
    long status;
    char headers[8192];
    size_t hlen;
    char *body;
    size_t blen;
    json_t *json;        /* the body when it is JSON, else NULL */
    CURLcode curl_code;  /* CURLE_OK when a reply arrived */
} kwt_reply;

/* The server's port (requests go to 127.0.0.1). */
void kwt_client_port(uint16_t port);
/* Called with every reply (for schema checks); NULL for none. */
void kwt_client_observe(void (*fn)(const char *method, const char *path, const kwt_reply *r));

/* One request. headers: NULL-terminated "Name: value" strings (may be NULL). */
kwt_reply kwt_request(CURL *c, const char *method, const char *path, const char *const *headers, const char *body,
                      size_t blen);
/* The same, but a request that got no reply (refused, reset, timed out) is
 * not a failure: the caller reads r.curl_code. */
kwt_reply kwt_try_request(CURL *c, const char *method, const char *path, const char *const *headers,
                          const char *body, size_t blen);
void kwt_reply_free(kwt_reply *r);

/* The value of a reply header (a static buffer), or NULL. */
const char *kwt_header(const kwt_reply *r, const char *name);
/* A string member of the envelope, or of its data. */
const char *kwt_jstr(const kwt_reply *r, const char *key);
const char *kwt_data_str(const kwt_reply *r, const char *key);

/* Checks an error envelope: status, code, a message containing want, the
 * metadata; then frees r. */
void kwt_expect_error(kwt_reply *r, long status, const char *code, const char *want, const char *what);

#endif
