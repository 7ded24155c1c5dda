#include "client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int kwt_failures;

static uint16_t port;
static void (*observer)(const char *method, const char *path, const kwt_reply *r);

void kwt_client_port(uint16_t p) { port = p; }

void kwt_client_observe(void (*fn)(const char *method, const char *path, const kwt_reply *r)) { observer = fn; }

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    kwt_reply *r = ud;
    char *grown = realloc(r->body, r->blen + size * n + 1);
    if (!grown)
        return 0;
    r->body = grown;
    memcpy(r->body + r->blen, p, size * n);
    r->blen += size * n;
    r->body[r->blen] = 0;
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    kwt_reply *r = ud;
    size_t k = size * n;
    if (r->hlen + k < sizeof r->headers) {
        memcpy(r->headers + r->hlen, p, k);
        r->hlen += k;
        r->headers[r->hlen] = 0;
    }
    return k;
}

const char *kwt_header(const kwt_reply *r, const char *name)
{
    static _Thread_local char v[512];
    size_t n = strlen(name);
    for (const char *line = r->headers; *line;) {
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *a = line + n + 1;
            while (*a == ' ')
                a++;
            snprintf(v, sizeof v, "%.*s", (int)(eol - a), a);
            return v;
        }
        line = eol + 2;
    }
    return NULL;
}

void kwt_reply_free(kwt_reply *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

kwt_reply kwt_try_request(CURL *c, const char *method, const char *path, const char *const *headers,
                          const char *body, size_t blen)
{
    kwt_reply r = {0};
    char url[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    struct curl_slist *hl = NULL;
    bool has_address = false;
    for (; headers && *headers; headers++) {
        hl = curl_slist_append(hl, *headers);
        has_address = has_address || strncasecmp(*headers, "X-Forwarded-For:", 16) == 0;
    }
    if (!has_address) {
        /* Each request its own address: anonymous quotas stay out of the way. */
        static unsigned next_address;
        char xff[64];
        unsigned n = __atomic_fetch_add(&next_address, 1, __ATOMIC_RELAXED);
        snprintf(xff, sizeof xff, "X-Forwarded-For: 10.8.%u.%u", n / 250 % 250, n % 250 + 1);
        hl = curl_slist_append(hl, xff);
    }
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    CURLcode rc = curl_easy_perform(c);
    r.curl_code = rc;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    if (r.body && r.blen && kwt_header(&r, "Content-Type") && strstr(kwt_header(&r, "Content-Type"), "json"))
        r.json = json_loadb(r.body, r.blen, 0, NULL);
    if (observer && rc == CURLE_OK)
        observer(method, path, &r);
    return r;
}

kwt_reply kwt_request(CURL *c, const char *method, const char *path, const char *const *headers, const char *body,
                      size_t blen)
{
    kwt_reply r = kwt_try_request(c, method, path, headers, body, blen);
    CHECK(r.curl_code == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(r.curl_code));
    return r;
}

const char *kwt_jstr(const kwt_reply *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

const char *kwt_data_str(const kwt_reply *r, const char *key)
{
    return json_string_value(json_object_get(json_object_get(r->json, "data"), key));
}

void kwt_expect_error(kwt_reply *r, long status, const char *code, const char *want, const char *what)
{
    CHECK(r->status == status, "%s: status %ld, want %ld (%s)", what, r->status, status, r->body ? r->body : "");
    CHECK(r->json && json_is_false(json_object_get(r->json, "success")), "%s: not an error envelope", what);
    CHECK(kwt_jstr(r, "code") && strcmp(kwt_jstr(r, "code"), code) == 0, "%s: code %s, want %s", what,
          kwt_jstr(r, "code") ? kwt_jstr(r, "code") : "(none)", code);
    CHECK(kwt_jstr(r, "message") && strstr(kwt_jstr(r, "message"), want), "%s: message \"%s\" lacks \"%s\"", what,
          kwt_jstr(r, "message") ? kwt_jstr(r, "message") : "", want);
    json_t *meta = json_object_get(r->json, "metadata");
    CHECK(json_string_value(json_object_get(meta, "requestId")) && json_string_value(json_object_get(meta, "timestamp")),
          "%s: metadata missing", what);
    kwt_reply_free(r);
}
