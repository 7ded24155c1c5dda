#include "chain/soroban/rpc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "crypto/sha.h"
#include "crypto/strkey.h"
#include "obs/log.h"

#define MAX_BODY (32u << 20)
#define POOL 8

struct kw_rpc {
    char *url;
    kw_rpc_opts o;
    pthread_mutex_t mu;
    CURL *pool[POOL];
    int npool;
    uint64_t rng;
    json_int_t next_id;
    int consecutive;             /* transient failures in a row */
    int64_t open_until;          /* breaker: refuse calls before this (monotonic ms) */
    bool trial;                  /* breaker half-open: a trial call is in flight */
    kw_rpc_stats stats;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int64_t kw_rpc_clock_now_ms(const kw_rpc_clock *c)
{
    if (c->now_ms)
        return c->now_ms(c->ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kw_rpc_clock_mono_ms(const kw_rpc_clock *c)
{
    if (c->mono_ms)
        return c->mono_ms(c->ctx);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kw_rpc_clock_sleep_ms(const kw_rpc_clock *c, int64_t ms)
{
    if (c->sleep_ms) {
        c->sleep_ms(c->ctx, ms);
        return;
    }
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

int kw_rpc_new(const kw_rpc_opts *opts, kw_rpc **out, kw_err *err)
{
    *out = NULL;
    if (!opts->url || (strncmp(opts->url, "http://", 7) != 0 && strncmp(opts->url, "https://", 8) != 0))
        return kw_err_set(err, KW_EINVAL, "STELLAR_RPC_URL must be an http:// or https:// URL");
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return kw_err_set(err, KW_EIO, "libcurl failed to initialise");
    kw_rpc *rpc = calloc(1, sizeof *rpc);
    if (!rpc || !(rpc->url = strdup(opts->url))) {
        free(rpc);
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    rpc->o = *opts;
    rpc->o.url = rpc->url;
    if (rpc->o.timeout_ms <= 0)
        rpc->o.timeout_ms = 15000;
    if (rpc->o.attempts <= 0)
        rpc->o.attempts = 4;
    if (rpc->o.backoff_base_ms <= 0)
        rpc->o.backoff_base_ms = 500;
    if (rpc->o.backoff_max_ms <= 0)
        rpc->o.backoff_max_ms = 8000;
    if (rpc->o.breaker_threshold <= 0)
        rpc->o.breaker_threshold = 5;
    if (rpc->o.breaker_cooldown_ms <= 0)
        rpc->o.breaker_cooldown_ms = 30000;
    rpc->rng = opts->seed;
    while (rpc->rng == 0)
        randombytes_buf(&rpc->rng, sizeof rpc->rng);
    rpc->next_id = 1;
    pthread_mutex_init(&rpc->mu, NULL);
    *out = rpc;
    return 0;
}

void kw_rpc_free(kw_rpc *rpc)
{
    if (!rpc)
        return;
    for (int i = 0; i < rpc->npool; i++)
        curl_easy_cleanup(rpc->pool[i]);
    pthread_mutex_destroy(&rpc->mu);
    free(rpc->url);
    free(rpc);
}

kw_rpc_stats kw_rpc_get_stats(kw_rpc *rpc)
{
    pthread_mutex_lock(&rpc->mu);
    kw_rpc_stats s = rpc->stats;
    pthread_mutex_unlock(&rpc->mu);
    return s;
}

/* ---- HTTP -------------------------------------------------------------------- */

typedef struct body_buf {
    char *p;
    size_t n, cap;
    bool overflow;
} body_buf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    body_buf *b = ctx;
    size_t n = size * nmemb;
    if (n > MAX_BODY - b->n) {
        b->overflow = true;
        return 0;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = 0;
    return n;
}

static CURL *take_handle(kw_rpc *rpc)
{
    CURL *h = NULL;
    pthread_mutex_lock(&rpc->mu);
    if (rpc->npool > 0)
        h = rpc->pool[--rpc->npool];
    pthread_mutex_unlock(&rpc->mu);
    return h ? h : curl_easy_init();
}

static void give_handle(kw_rpc *rpc, CURL *h)
{
    pthread_mutex_lock(&rpc->mu);
    if (rpc->npool < POOL) {
        rpc->pool[rpc->npool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&rpc->mu);
    if (h)
        curl_easy_cleanup(h);
}

/* One POST. Returns 0 with *status set when the server answered, or
 * KW_ETRANSIENT on a transport failure (timeout, refused, reset). */
static int http_post(kw_rpc *rpc, const char *payload, long *status, body_buf *body, int64_t *retry_after_ms,
                     kw_err *err)
{
    CURL *h = take_handle(rpc);
    if (!h)
        return kw_err_set(err, KW_ENOMEM, "libcurl could not create a handle");
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, rpc->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)rpc->o.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(rpc->o.timeout_ms < 5000 ? rpc->o.timeout_ms : 5000));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    CURLcode rc = curl_easy_perform(h);
    int ret = 0;
    if (rc != CURLE_OK) {
        ret = body->overflow ? kw_err_set(err, KW_EINVAL, "Stellar RPC answer larger than %u bytes", MAX_BODY)
                             : kw_err_set(err, KW_ETRANSIENT, "Stellar RPC unreachable: %s", curl_easy_strerror(rc));
    } else {
        curl_off_t ra = -1;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
            *retry_after_ms = ra > 3600 ? 3600000 : (int64_t)ra * 1000;
    }
    curl_slist_free_all(hdr);
    give_handle(rpc, h);
    return ret;
}

/* ---- breaker and backoff ------------------------------------------------------- */

static uint64_t next_rand(kw_rpc *rpc)
{
    /* xorshift64*: jitter needs spread, not secrecy */
    uint64_t x = rpc->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rpc->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int64_t backoff_ms(kw_rpc *rpc, int attempt, int64_t retry_after_ms)
{
    int64_t d = rpc->o.backoff_base_ms;
    for (int i = 1; i < attempt && d < rpc->o.backoff_max_ms; i++)
        d *= 2;
    if (d > rpc->o.backoff_max_ms)
        d = rpc->o.backoff_max_ms;
    pthread_mutex_lock(&rpc->mu);
    int64_t wait = d / 2 + (int64_t)(next_rand(rpc) % (uint64_t)(d / 2 + 1));
    rpc->stats.retries++;
    pthread_mutex_unlock(&rpc->mu);
    if (retry_after_ms > wait)
        wait = retry_after_ms < rpc->o.backoff_max_ms ? retry_after_ms : rpc->o.backoff_max_ms;
    return wait;
}

static int breaker_admit(kw_rpc *rpc, kw_err *err)
{
    int rc = 0;
    int64_t now = kw_rpc_clock_mono_ms(&rpc->o.clock);
    pthread_mutex_lock(&rpc->mu);
    rpc->stats.calls++;
    if (rpc->open_until) {
        if (now < rpc->open_until || rpc->trial)
            rc = KW_ETRANSIENT;
        else
            rpc->trial = true;
    }
    pthread_mutex_unlock(&rpc->mu);
    if (rc)
        kw_err_set(err, rc, "Stellar RPC circuit open after repeated failures; retrying later");
    return rc;
}

static void breaker_record(kw_rpc *rpc, bool transient_failure)
{
    int64_t now = kw_rpc_clock_mono_ms(&rpc->o.clock);
    pthread_mutex_lock(&rpc->mu);
    bool was_trial = rpc->trial;
    rpc->trial = false;
    if (!transient_failure) {
        rpc->consecutive = 0;
        rpc->open_until = 0;
    } else if (was_trial || ++rpc->consecutive >= rpc->o.breaker_threshold) {
        if (!was_trial)
            rpc->stats.breaker_trips++;
        rpc->open_until = now + rpc->o.breaker_cooldown_ms;
    }
    pthread_mutex_unlock(&rpc->mu);
}

/* ---- JSON-RPC ------------------------------------------------------------------- */

static int map_rpc_error(const json_t *e, const char *method, kw_err *err)
{
    json_t *jc = json_object_get(e, "code");
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (!json_is_integer(jc))
        return kw_err_set(err, KW_EINVAL, "Stellar RPC %s: malformed error object", method);
    json_int_t code = json_integer_value(jc);
    if (!msg)
        msg = "(no message)";
    switch (code) {
    case -32602: return kw_err_set(err, KW_EINVAL, "Stellar RPC %s rejected its parameters: %.160s", method, msg);
    case -32601: return kw_err_set(err, KW_EINVAL, "Stellar RPC does not know the method %s", method);
    case -32600: return kw_err_set(err, KW_EINVAL, "Stellar RPC %s: invalid request: %.160s", method, msg);
    case -32700: return kw_err_set(err, KW_EINVAL, "Stellar RPC %s: request was not valid JSON", method);
    case -32603: return kw_err_set(err, KW_ETRANSIENT, "Stellar RPC %s: internal error: %.160s", method, msg);
    default:
        if (code <= -32000 && code >= -32099)
            return kw_err_set(err, KW_ETRANSIENT, "Stellar RPC %s: server error %lld: %.160s", method,
                              (long long)code, msg);
        return kw_err_set(err, KW_EINVAL, "Stellar RPC %s: error %lld: %.160s", method, (long long)code, msg);
    }
}

int kw_rpc_parse_response(const char *body, size_t n, json_int_t id, const char *method, json_t **result,
                          kw_err *err)
{
    json_error_t jerr;
    *result = NULL;
    json_t *root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return kw_err_set(err, KW_EINVAL, "Stellar RPC %s: answer is not JSON (%.80s)", method, jerr.text);
    int rc = 0;
    json_t *jid = json_object_get(root, "id");
    if (!json_is_object(root) || !json_is_string(json_object_get(root, "jsonrpc")) ||
        strcmp(json_string_value(json_object_get(root, "jsonrpc")), "2.0") != 0) {
        rc = kw_err_set(err, KW_EINVAL, "Stellar RPC %s: answer is not JSON-RPC 2.0", method);
    } else if (json_object_get(root, "error")) {
        rc = map_rpc_error(json_object_get(root, "error"), method, err);
    } else if (!json_is_integer(jid) || json_integer_value(jid) != id) {
        rc = kw_err_set(err, KW_EINVAL, "Stellar RPC %s: answer to another request", method);
    } else if (!json_is_object(json_object_get(root, "result"))) {
        rc = kw_err_set(err, KW_EINVAL, "Stellar RPC %s: answer has no result object", method);
    } else {
        *result = json_incref(json_object_get(root, "result"));
    }
    json_decref(root);
    return rc;
}

int kw_rpc_call(kw_rpc *rpc, const char *method, json_t *params, json_t **result, kw_err *err)
{
    *result = NULL;
    int rc = breaker_admit(rpc, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&rpc->mu);
    json_int_t id = rpc->next_id++;
    pthread_mutex_unlock(&rpc->mu);
    json_t *req = json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", id, "method", method);
    if (req && params)
        json_object_set(req, "params", params);
    char *payload = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!payload)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    bool transient = false;
    for (int attempt = 1; attempt <= rpc->o.attempts; attempt++) {
        body_buf body = {0};
        long status = 0;
        int64_t retry_after = 0;
        rc = http_post(rpc, payload, &status, &body, &retry_after, err);
        if (rc == 0 && (status == 429 || status >= 500)) {
            rc = kw_err_set(err, KW_ETRANSIENT, "Stellar RPC %s: HTTP %ld%s", method, status,
                            status == 429 ? " (rate limited)" : "");
        } else if (rc == 0 && status != 200) {
            rc = kw_err_set(err, KW_EIO, "Stellar RPC %s: HTTP %ld", method, status);
        } else if (rc == 0) {
            rc = kw_rpc_parse_response(body.p ? body.p : "", body.n, id, method, result, err);
            free(body.p);
            transient = rc == KW_ETRANSIENT;
            break;
        }
        free(body.p);
        transient = rc == KW_ETRANSIENT;
        if (!transient || attempt == rpc->o.attempts)
            break;
        int64_t wait = backoff_ms(rpc, attempt, retry_after);
        KW_LOG(KW_LOG_WARN, "stellar rpc retry", KW_LS("method", method), KW_LI("attempt", attempt),
               KW_LI("wait_ms", wait), KW_LS("reason", err ? err->msg : ""));
        kw_rpc_clock_sleep_ms(&rpc->o.clock, wait);
    }
    free(payload);
    breaker_record(rpc, transient);
    return rc;
}

/* ---- JSON helpers ------------------------------------------------------------------ */

static int parse_decimal(const char *s, bool allow_minus, uint64_t *mag, bool *neg)
{
    *neg = false;
    if (allow_minus && *s == '-') {
        *neg = true;
        s++;
    }
    if (!*s || strlen(s) > 20)
        return KW_EINVAL;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return KW_EINVAL;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return KW_EINVAL;
        v = v * 10 + d;
    }
    *mag = v;
    return 0;
}

int kw_json_u64(const json_t *obj, const char *key, uint64_t *out)
{
    const json_t *j = json_object_get(obj, key);
    bool neg;
    if (!j)
        return KW_ENOTFOUND;
    if (json_is_integer(j)) {
        if (json_integer_value(j) < 0)
            return KW_EINVAL;
        *out = (uint64_t)json_integer_value(j);
        return 0;
    }
    if (json_is_string(j))
        return parse_decimal(json_string_value(j), false, out, &neg);
    return KW_EINVAL;
}

int kw_json_i64(const json_t *obj, const char *key, int64_t *out)
{
    const json_t *j = json_object_get(obj, key);
    uint64_t mag;
    bool neg;
    if (!j)
        return KW_ENOTFOUND;
    if (json_is_integer(j)) {
        *out = json_integer_value(j);
        return 0;
    }
    if (!json_is_string(j) || parse_decimal(json_string_value(j), true, &mag, &neg))
        return KW_EINVAL;
    if (mag > (uint64_t)INT64_MAX + (neg ? 1 : 0))
        return KW_EINVAL;
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

static int json_u32(const json_t *obj, const char *key, uint32_t *out)
{
    uint64_t v;
    int rc = kw_json_u64(obj, key, &v);
    if (rc == 0 && v > UINT32_MAX)
        rc = KW_EINVAL;
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

/* A required u32 field; the message names method and field. */
static int need_u32(const json_t *obj, const char *key, uint32_t *out, const char *method, kw_err *err)
{
    if (json_u32(obj, key, out))
        return kw_err_set(err, KW_EINVAL, "Stellar RPC %s: missing or invalid %s", method, key);
    return 0;
}

static int decode_b64(const char *b64, kw_xdr_arena *arena, kw_xdr_reader *r, uint8_t **buf, kw_err *err)
{
    size_t n;
    if (!b64 || kw_base64_decode(b64, strlen(b64), buf, &n))
        return kw_err_set(err, KW_EINVAL, "Stellar RPC answer holds invalid base64");
    kw_xdr_reader_init(r, *buf, n, arena, err);
    return 0;
}

typedef int (*xdr_getter)(kw_xdr_reader *r, void *out);

static int get_scval_cb(kw_xdr_reader *r, void *out) { return kw_xdr_get_scval(r, out); }
static int get_entry_cb(kw_xdr_reader *r, void *out) { return kw_xdr_get_ledger_entry_data(r, out); }
static int get_data_cb(kw_xdr_reader *r, void *out) { return kw_xdr_get_soroban_data(r, out); }
static int get_auth_cb(kw_xdr_reader *r, void *out) { return kw_xdr_get_auth_entry(r, out); }
static int get_result_cb(kw_xdr_reader *r, void *out) { return kw_xdr_get_tx_result(r, out); }

/* Decodes one base64 XDR value that must use every byte. */
static int decode_xdr(const char *b64, kw_xdr_arena *arena, xdr_getter get, void *out, const char *what, kw_err *err)
{
    kw_xdr_reader r;
    uint8_t *buf = NULL;
    int rc = decode_b64(b64, arena, &r, &buf, err);
    if (rc == 0 && (rc = get(&r, out)) == 0)
        rc = kw_xdr_reader_done(&r);
    free(buf);
    if (rc && err) {
        char inner[sizeof err->msg];
        snprintf(inner, sizeof inner, "%s", err->msg);
        kw_err_set(err, rc, "Stellar RPC answer: %s: %s", what, inner);
    }
    return rc;
}

static void copy_str(char *dst, size_t cap, const json_t *j)
{
    const char *s = json_string_value(j);
    snprintf(dst, cap, "%s", s ? s : "");
}

/* ---- typed methods ----------------------------------------------------------------- */

int kw_rpc_read_health(const json_t *res, kw_rpc_health *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    copy_str(out->status, sizeof out->status, json_object_get(res, "status"));
    (void)json_u32(res, "latestLedger", &out->latest_ledger);
    (void)json_u32(res, "oldestLedger", &out->oldest_ledger);
    (void)json_u32(res, "ledgerRetentionWindow", &out->retention_window);
    if (!out->status[0])
        return kw_err_set(err, KW_EINVAL, "Stellar RPC getHealth: no status");
    return 0;
}

typedef int (*result_reader)(const json_t *res, kw_xdr_arena *arena, void *out, kw_err *err);

/* Calls method and reads its result with read. params is taken (released
 * here); with_params says whether the method has any, so that a NULL params
 * of a method that has them means building them ran out of memory. */
static int call_read(kw_rpc *rpc, const char *method, bool with_params, json_t *params, result_reader read,
                     kw_xdr_arena *arena, void *out, kw_err *err)
{
    json_t *res;
    int rc = with_params && !params ? kw_err_set(err, KW_ENOMEM, "out of memory")
                                    : kw_rpc_call(rpc, method, params, &res, err);
    json_decref(params);
    if (rc)
        return rc;
    rc = read(res, arena, out, err);
    json_decref(res);
    return rc;
}

static int read_health_cb(const json_t *res, kw_xdr_arena *a, void *out, kw_err *err)
{
    (void)a;
    return kw_rpc_read_health(res, out, err);
}
static int read_network_cb(const json_t *res, kw_xdr_arena *a, void *out, kw_err *err)
{
    (void)a;
    return kw_rpc_read_network(res, out, err);
}
static int read_ledger_cb(const json_t *res, kw_xdr_arena *a, void *out, kw_err *err)
{
    (void)a;
    return kw_rpc_read_latest_ledger(res, out, err);
}
static int read_simulate_cb(const json_t *res, kw_xdr_arena *a, void *out, kw_err *err)
{
    return kw_rpc_read_simulate(res, a, out, err);
}
static int read_send_cb(const json_t *res, kw_xdr_arena *a, void *out, kw_err *err)
{
    return kw_rpc_read_send(res, a, out, err);
}
static int read_tx_cb(const json_t *res, kw_xdr_arena *a, void *out, kw_err *err)
{
    return kw_rpc_read_transaction(res, a, out, err);
}

int kw_rpc_get_health(kw_rpc *rpc, kw_rpc_health *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    return call_read(rpc, "getHealth", false, NULL, read_health_cb, NULL, out, err);
}

int kw_rpc_read_network(const json_t *res, kw_rpc_network *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = json_string_value(json_object_get(res, "passphrase"));
    if (!p || strlen(p) >= sizeof out->passphrase)
        return kw_err_set(err, KW_EINVAL, "Stellar RPC getNetwork: missing or invalid passphrase");
    snprintf(out->passphrase, sizeof out->passphrase, "%s", p);
    return need_u32(res, "protocolVersion", &out->protocol_version, "getNetwork", err);
}

int kw_rpc_get_network(kw_rpc *rpc, kw_rpc_network *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    return call_read(rpc, "getNetwork", false, NULL, read_network_cb, NULL, out, err);
}

int kw_rpc_read_latest_ledger(const json_t *res, kw_rpc_ledger *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = need_u32(res, "sequence", &out->sequence, "getLatestLedger", err);
    (void)json_u32(res, "protocolVersion", &out->protocol_version);
    if (kw_json_i64(res, "closeTime", &out->close_time))
        out->close_time = 0;
    return rc;
}

int kw_rpc_get_latest_ledger(kw_rpc *rpc, kw_rpc_ledger *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    return call_read(rpc, "getLatestLedger", false, NULL, read_ledger_cb, NULL, out, err);
}

static int key_b64(const kw_ledger_key *k, char **out)
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_ledger_key(&w, k);
    int rc = kw_xdr_writer_base64(&w, out);
    kw_xdr_writer_free(&w);
    return rc;
}

int kw_rpc_get_ledger_entries(kw_rpc *rpc, const kw_ledger_key *keys, uint32_t n, kw_xdr_arena *arena,
                              kw_rpc_entry *out, uint32_t *latest, kw_err *err)
{
    if (n == 0 || n > 200)
        return kw_err_set(err, KW_EINVAL, "getLedgerEntries takes 1 to 200 keys");
    char **b64 = calloc(n, sizeof *b64);
    json_t *arr = json_array(), *res = NULL;
    int rc = b64 && arr ? 0 : kw_err_set(err, KW_ENOMEM, "out of memory");
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        if ((rc = key_b64(&keys[i], &b64[i])))
            kw_err_set(err, rc, "ledger key %u cannot be encoded", i);
        else
            json_array_append_new(arr, json_string(b64[i]));
    }
    if (rc)
        goto fail;
    json_t *params = json_pack("{s:O}", "keys", arr);
    rc = kw_rpc_call(rpc, "getLedgerEntries", params, &res, err);
    json_decref(params);
    if (rc == 0)
        rc = kw_rpc_read_ledger_entries(res, (const char *const *)b64, n, arena, out, latest, err);
fail:
    for (uint32_t i = 0; b64 && i < n; i++)
        free(b64[i]);
    free(b64);
    json_decref(arr);
    json_decref(res);
    return rc;
}

int kw_rpc_read_ledger_entries(const json_t *res, const char *const *keys_b64, uint32_t n, kw_xdr_arena *arena,
                               kw_rpc_entry *out, uint32_t *latest, kw_err *err)
{
    memset(out, 0, n * sizeof *out);
    uint32_t latest_ledger = 0;
    int rc = need_u32(res, "latestLedger", &latest_ledger, "getLedgerEntries", err);
    if (rc)
        return rc;
    if (latest)
        *latest = latest_ledger;
    json_t *entries = json_object_get(res, "entries");
    if (entries && !json_is_array(entries) && !json_is_null(entries))
        return kw_err_set(err, KW_EINVAL, "Stellar RPC getLedgerEntries: entries is not an array");
    size_t idx;
    json_t *e;
    json_array_foreach(entries, idx, e) {
        const char *key = json_string_value(json_object_get(e, "key"));
        uint32_t match = n;
        for (uint32_t i = 0; key && i < n; i++)
            if (strcmp(key, keys_b64[i]) == 0)
                match = i;
        if (match == n)
            return kw_err_set(err, KW_EINVAL, "Stellar RPC getLedgerEntries: answered a key it was not asked");
        kw_rpc_entry *o = &out[match];
        if ((rc = decode_xdr(json_string_value(json_object_get(e, "xdr")), arena, get_entry_cb, &o->entry,
                             "ledger entry", err)))
            return rc;
        o->found = true;
        (void)json_u32(e, "lastModifiedLedgerSeq", &o->last_modified);
        (void)json_u32(e, "liveUntilLedgerSeq", &o->live_until);
    }
    return 0;
}

int64_t kw_rpc_contract_error_in_text(const char *text)
{
    static const char pat[] = "Error(Contract, #";
    const char *p = text ? strstr(text, pat) : NULL;
    if (!p)
        return -1;
    p += sizeof pat - 1;
    int64_t v = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
        v = v * 10 + (*p - '0');
    return digits && *p == ')' && v <= UINT32_MAX ? v : -1;
}

int kw_rpc_simulate(kw_rpc *rpc, const char *envelope_b64, const char *auth_mode, kw_xdr_arena *arena,
                    kw_rpc_sim *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    out->contract_error = -1;
    json_t *params = json_pack("{s:s}", "transaction", envelope_b64);
    if (params && auth_mode)
        json_object_set_new(params, "authMode", json_string(auth_mode));
    return call_read(rpc, "simulateTransaction", true, params, read_simulate_cb, arena, out, err);
}

int kw_rpc_read_simulate(const json_t *res, kw_xdr_arena *arena, kw_rpc_sim *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    out->contract_error = -1;
    int rc = need_u32(res, "latestLedger", &out->latest_ledger, "simulateTransaction", err);
    if (rc)
        return rc;
    const char *e = json_string_value(json_object_get(res, "error"));
    if (e) {
        out->failed = true;
        snprintf(out->error, sizeof out->error, "%s", e);
        out->contract_error = kw_rpc_contract_error_in_text(e);
        return 0;
    }
    if (kw_json_i64(res, "minResourceFee", &out->min_resource_fee) || out->min_resource_fee < 0)
        return kw_err_set(err, KW_EINVAL, "Stellar RPC simulateTransaction: missing or invalid minResourceFee");
    if ((rc = decode_xdr(json_string_value(json_object_get(res, "transactionData")), arena, get_data_cb,
                         &out->data, "transactionData", err)))
        return rc;
    out->needs_restore = json_is_object(json_object_get(res, "restorePreamble"));
    json_t *results = json_object_get(res, "results");
    if (json_array_size(results) == 0)
        return 0;
    json_t *r0 = json_array_get(results, 0);
    const char *x = json_string_value(json_object_get(r0, "xdr"));
    if (x) {
        if ((rc = decode_xdr(x, arena, get_scval_cb, &out->result, "result", err)))
            return rc;
        out->has_result = true;
    }
    json_t *auth = json_object_get(r0, "auth");
    size_t na = json_array_size(auth);
    if (na > 64)
        return kw_err_set(err, KW_EINVAL, "Stellar RPC simulateTransaction: too many auth entries");
    kw_auth_entry *entries = na ? kw_xdr_arena_alloc(arena, na * sizeof *entries) : NULL;
    if (na && !entries)
        return kw_err_set(err, KW_ENOMEM, "decoded XDR exceeds its memory cap");
    for (size_t i = 0; i < na; i++)
        if ((rc = decode_xdr(json_string_value(json_array_get(auth, i)), arena, get_auth_cb, &entries[i],
                             "auth entry", err)))
            return rc;
    out->auth = entries;
    out->nauth = (uint32_t)na;
    return 0;
}

static int parse_hash(const json_t *obj, const char *key, char out[65])
{
    const char *h = json_string_value(json_object_get(obj, key));
    uint8_t raw[32];
    if (!h || strlen(h) != 64 || kw_hex_decode(h, raw, 32))
        return KW_EINVAL;
    kw_hex_encode(raw, 32, out);
    return 0;
}

int kw_rpc_send(kw_rpc *rpc, const char *envelope_b64, kw_xdr_arena *arena, kw_rpc_send_result *out,
                kw_err *err)
{
    memset(out, 0, sizeof *out);
    return call_read(rpc, "sendTransaction", true, json_pack("{s:s}", "transaction", envelope_b64), read_send_cb,
                     arena, out, err);
}

int kw_rpc_read_send(const json_t *res, kw_xdr_arena *arena, kw_rpc_send_result *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    const char *st = json_string_value(json_object_get(res, "status"));
    static const char *const names[] = {"PENDING", "DUPLICATE", "TRY_AGAIN_LATER", "ERROR"};
    int found = -1;
    for (int i = 0; st && i < 4; i++)
        if (strcmp(st, names[i]) == 0)
            found = i;
    if (found < 0 || parse_hash(res, "hash", out->hash))
        return kw_err_set(err, KW_EINVAL, "Stellar RPC sendTransaction: missing or invalid status or hash");
    out->status = (kw_rpc_send_status)found;
    (void)json_u32(res, "latestLedger", &out->latest_ledger);
    const char *er = json_string_value(json_object_get(res, "errorResultXdr"));
    if (out->status == KW_SEND_ERROR && er) {
        int rc = decode_xdr(er, arena, get_result_cb, &out->error_result, "errorResultXdr", err);
        if (rc)
            return rc;
        out->has_error_result = true;
    }
    return 0;
}

/* The first contract error reported by base64 DiagnosticEvents, or -1. */
static int64_t contract_error_in_events(const json_t *arr, kw_xdr_arena *arena)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        kw_xdr_reader r;
        uint8_t *buf = NULL;
        kw_contract_event ev;
        bool ok;
        if (decode_b64(json_string_value(v), arena, &r, &buf, NULL) == 0 &&
            kw_xdr_get_diagnostic_event(&r, &ok, &ev) == 0) {
            int64_t c = kw_contract_event_error(&ev);
            free(buf);
            if (c >= 0)
                return c;
        } else {
            free(buf);
        }
    }
    return -1;
}

int kw_rpc_get_transaction(kw_rpc *rpc, const char *hash_hex, kw_xdr_arena *arena, kw_rpc_tx *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    out->contract_error = -1;
    return call_read(rpc, "getTransaction", true, json_pack("{s:s}", "hash", hash_hex), read_tx_cb, arena, out, err);
}

int kw_rpc_read_transaction(const json_t *res, kw_xdr_arena *arena, kw_rpc_tx *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    out->contract_error = -1;
    const char *st = json_string_value(json_object_get(res, "status"));
    if (!st)
        return kw_err_set(err, KW_EINVAL, "Stellar RPC getTransaction: no status");
    if (strcmp(st, "NOT_FOUND") == 0)
        out->status = KW_TXS_NOT_FOUND;
    else if (strcmp(st, "SUCCESS") == 0)
        out->status = KW_TXS_SUCCESS;
    else if (strcmp(st, "FAILED") == 0)
        out->status = KW_TXS_FAILED;
    else
        return kw_err_set(err, KW_EINVAL, "Stellar RPC getTransaction: unknown status %.32s", st);
    (void)json_u32(res, "latestLedger", &out->latest_ledger);
    if (out->status == KW_TXS_NOT_FOUND)
        return 0;
    (void)json_u32(res, "ledger", &out->ledger);
    const char *rx = json_string_value(json_object_get(res, "resultXdr"));
    if (rx) {
        int rc = decode_xdr(rx, arena, get_result_cb, &out->result, "resultXdr", err);
        if (rc)
            return rc;
        out->has_result = true;
    }
    const char *mx = json_string_value(json_object_get(res, "resultMetaXdr"));
    if (mx) {
        /* Meta that cannot be read only costs the return value, not the status. */
        kw_xdr_reader r;
        uint8_t *buf = NULL;
        if (decode_b64(mx, arena, &r, &buf, NULL) == 0 &&
            kw_xdr_get_meta_return(&r, &out->has_return, &out->return_value) != 0)
            out->has_return = false;
        free(buf);
    }
    out->contract_error = contract_error_in_events(json_object_get(res, "diagnosticEventsXdr"), arena);
    if (out->contract_error < 0)
        out->contract_error =
            contract_error_in_events(json_object_get(json_object_get(res, "events"), "diagnosticEventsXdr"), arena);
    return 0;
}

int kw_rpc_get_events(kw_rpc *rpc, const uint8_t contract[32], const char *topic0, uint32_t start_ledger,
                      const char *cursor, uint32_t limit, kw_xdr_arena *arena, kw_rpc_events *out, kw_err *err)
{
    char cid[KW_STRKEY_BUFSZ], after[sizeof out->cursor];
    json_t *res = NULL;
    int rc;
    /* cursor may point into *out (the previous page): keep it before clearing */
    snprintf(after, sizeof after, "%s", cursor ? cursor : "");
    memset(out, 0, sizeof *out);
    if (limit == 0 || limit > 1000)
        return kw_err_set(err, KW_EINVAL, "getEvents limit must be 1..1000");
    kw_strkey_encode(KW_STRKEY_CONTRACT, contract, cid);
    json_t *filter = json_pack("{s:s,s:[s]}", "type", "contract", "contractIds", cid);
    if (filter && topic0) {
        kw_xdr_writer w;
        char *t = NULL;
        kw_xdr_writer_init(&w, 0);
        kw_scval sym = kw_scval_symbol(topic0);
        (void)kw_xdr_put_scval(&w, &sym);
        rc = kw_xdr_writer_base64(&w, &t);
        kw_xdr_writer_free(&w);
        if (rc) {
            json_decref(filter);
            return kw_err_set(err, rc, "event topic %.40s is not a valid symbol", topic0);
        }
        json_object_set_new(filter, "topics", json_pack("[[s,s]]", t, "**"));
        free(t);
    }
    json_t *params = json_pack("{s:[o],s:{s:i}}", "filters", filter, "pagination", "limit", (int)limit);
    if (params && *after)
        json_object_set_new(json_object_get(params, "pagination"), "cursor", json_string(after));
    else if (params)
        json_object_set_new(params, "startLedger", json_integer(start_ledger));
    rc = params ? kw_rpc_call(rpc, "getEvents", params, &res, err) : kw_err_set(err, KW_ENOMEM, "out of memory");
    json_decref(params);
    if (rc)
        return rc;
    rc = kw_rpc_read_events(res, limit, arena, out, err);
    json_decref(res);
    return rc;
}

int kw_rpc_read_events(const json_t *res, uint32_t limit, kw_xdr_arena *arena, kw_rpc_events *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    (void)json_u32(res, "latestLedger", &out->latest_ledger);
    copy_str(out->cursor, sizeof out->cursor, json_object_get(res, "cursor"));
    json_t *events = json_object_get(res, "events");
    size_t n = json_array_size(events);
    if (n > limit)
        return kw_err_set(err, KW_EINVAL, "Stellar RPC getEvents: more events than asked for");
    kw_rpc_event *ev = n ? kw_xdr_arena_alloc(arena, n * sizeof *ev) : NULL;
    if (n && !ev)
        return kw_err_set(err, KW_ENOMEM, "decoded XDR exceeds its memory cap");
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(events, i);
        const char *c = json_string_value(json_object_get(e, "contractId"));
        json_t *topics = json_object_get(e, "topic");
        size_t nt = json_array_size(topics);
        if (!c || kw_strkey_decode(KW_STRKEY_CONTRACT, c, ev[i].contract, NULL) || nt > 4)
            return kw_err_set(err, KW_EINVAL, "Stellar RPC getEvents: malformed event");
        (void)json_u32(e, "ledger", &ev[i].ledger);
        copy_str(ev[i].id, sizeof ev[i].id, json_object_get(e, "id"));
        copy_str(ev[i].tx_hash, sizeof ev[i].tx_hash, json_object_get(e, "txHash"));
        kw_scval *tv = kw_xdr_arena_alloc(arena, (nt ? nt : 1) * sizeof *tv);
        if (!tv)
            return kw_err_set(err, KW_ENOMEM, "decoded XDR exceeds its memory cap");
        int rc;
        for (size_t j = 0; j < nt; j++)
            if ((rc = decode_xdr(json_string_value(json_array_get(topics, j)), arena, get_scval_cb, &tv[j],
                                 "event topic", err)))
                return rc;
        ev[i].topics = tv;
        ev[i].ntopics = (uint32_t)nt;
        if ((rc = decode_xdr(json_string_value(json_object_get(e, "value")), arena, get_scval_cb, &ev[i].value,
                             "event value", err)))
            return rc;
    }
    out->events = ev;
    out->n = (uint32_t)n;
    return 0;
}
