/*
 * The API of a real `kalewx serve` (the binary in $KALEWX, started here on a
 * free port with a temporary KALEWX_DATA_DIR, a fast devnet and 6-block
 * cycles; on PostgreSQL when DATABASE_URL says so), over real HTTP:
 *
 *   - every endpoint's success and its documented errors, every reply
 *     checked against the OpenAPI document the server serves;
 *   - a table of bad requests → the right 4xx, a clear message, nothing
 *     written, the server still healthy;
 *   - actions through a whole cycle: accepted, refused by the rules,
 *     idempotent; the cycle settles and every read endpoint shows it;
 *   - event streams: a full cycle's events in order, private events only to
 *     their owner, a resume with Last-Event-ID that misses nothing;
 *   - webhooks to a receiver in this process that checks the signatures;
 *     one failing 3 times then succeeding gets the event once;
 *   - the admin endpoints, the pause switch, rate limits per tier;
 *   - SIGTERM stops it with exit 0, and `kalewx admin reconcile` then finds
 *     the books balanced.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "crypto/strkey.h"
#include "oas.h"

#define CYCLE_BLOCKS 6
#define WAIT_S 60

static const char *kalewx;
static char data_dir[256];
static uint16_t port;
static pid_t server;
static CURL *http;
static int schema_checked;

/* ---------------- small helpers ---------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &n) != 0) {
        perror("free port");
        exit(2);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void observe(const char *method, const char *path, const kwt_reply *r)
{
    char why[512];
    if (kwt_oas_check(method, path, r->status, kwt_header(r, "Content-Type"), r->json, why, sizeof why) != 0)
        CHECK(0, "reply does not match the OpenAPI document: %s (%s)", why, r->body ? r->body : "");
    else
        schema_checked++;
}

/* A request with optional credentials ("Authorization: Bearer …" or "X-API-Key: …") and extra headers. */
static kwt_reply call(const char *method, const char *path, const char *auth, const char *body, const char *extra)
{
    const char *h[5] = {0};
    int n = 0;
    if (auth)
        h[n++] = auth;
    if (body)
        h[n++] = "Content-Type: application/json";
    if (extra)
        h[n++] = extra;
    return kwt_request(http, method, path, h, body, body ? strlen(body) : 0);
}

static json_t *data(const kwt_reply *r) { return json_object_get(r->json, "data"); }

static const char *sget(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static int64_t iget(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* GET that must succeed; returns the data (a new reference). */
static json_t *get_ok(const char *path, const char *auth)
{
    kwt_reply r = call("GET", path, auth, NULL, NULL);
    CHECK(r.status == 200, "GET %s: %ld %s", path, r.status, r.body ? r.body : "");
    json_t *d = json_incref(data(&r));
    kwt_reply_free(&r);
    return d;
}

/* ---------------- the server ---------------- */

static char *const *server_env(void)
{
    static char vars[40][300];
    static char *env[41];
    int n = 0;
    const char *db = getenv("DATABASE_URL");
    snprintf(vars[n++], 300, "KALEWX_DATA_DIR=%s/data", data_dir);
    snprintf(vars[n++], 300, "PORT=%u", (unsigned)port);
    snprintf(vars[n++], 300, "DATABASE_URL=%s", db ? db : "");
    static const char *const fixed[] = {
        "BIND=127.0.0.1", "DEVNET_BLOCK_SECONDS=1", "DEVNET_LEDGER_MS=100", "DEVNET_CROWD=10", "CYCLE_LENGTH=6",
        "PLANTING_BLOCKS=3", "WORKING_BLOCKS=1", "REVEALING_BLOCKS=1", "SETTLING_BLOCKS=1", "MONITOR_INTERVAL=100",
        "MINER_THREADS=1", "TRUST_PROXY=1", "LOG_LEVEL=warn", "OUTBOX_POLL_MS=200", "WEBHOOK_RETRY_BASE_MS=200",
        "SSE_HEARTBEAT_MS=1000", "KALEWX_WEB_DIR=/nonexistent", "HTTP_THREADS=2", "PATH=/usr/bin:/bin",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        snprintf(vars[n++], 300, "%s", fixed[i]);
    for (int i = 0; i < n; i++)
        env[i] = vars[i];
    env[n] = NULL;
    return env;
}

static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execve(kalewx, argv, server_env());
        _exit(127);
    }
    return pid;
}

/* Runs `kalewx ARGS...` to the end; returns its exit status. */
static int cli(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5)
{
    char log[300];
    snprintf(log, sizeof log, "%s/cli.log", data_dir);
    char *argv[] = {"kalewx", (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL};
    int st;
    pid_t pid = spawn(argv, log);
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void start_server(void)
{
    char log[300];
    snprintf(log, sizeof log, "%s/server.log", data_dir);
    char *argv[] = {"kalewx", "serve", NULL};
    server = spawn(argv, log);
    double t0 = now_s();
    for (;;) {
        CURL *c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%u/ready", (unsigned)port);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        if (status == 200)
            break;
        int st;
        if (waitpid(server, &st, WNOHANG) == server) {
            fprintf(stderr, "kalewx serve exited early; see %s\n", log);
            exit(1);
        }
        if (now_s() - t0 > WAIT_S) {
            fprintf(stderr, "kalewx serve not ready after %d s; see %s\n", WAIT_S, log);
            kill(server, SIGKILL);
            exit(1);
        }
        pause_ms(50);
    }
}

static void stop_server(void)
{
    kill(server, SIGTERM);
    double t0 = now_s();
    int st = 0;
    while (waitpid(server, &st, WNOHANG) == 0) {
        if (now_s() - t0 > 20) {
            CHECK(0, "kalewx serve did not stop within 20 s of SIGTERM");
            kill(server, SIGKILL);
            waitpid(server, &st, 0);
            return;
        }
        pause_ms(20);
    }
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kalewx serve exit status %d after SIGTERM", st);
}

/* ---------------- accounts ---------------- */

typedef struct user {
    char name[33];
    int64_t id;
    char auth[600];          /* "Authorization: Bearer …" */
    char address[64];
} user;

static void register_user(user *u, const char *name)
{
    char body[200];
    snprintf(u->name, sizeof u->name, "%s", name);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"long enough password\"}", name);
    kwt_reply r = call("POST", "/api/v1/users", NULL, body, NULL);
    CHECK(r.status == 201, "register %s: %ld %s", name, r.status, r.body ? r.body : "");
    u->id = iget(data(&r), "id");
    snprintf(u->address, sizeof u->address, "%s", sget(data(&r), "custodial_address") ?: "");
    CHECK(strcmp(sget(data(&r), "tier") ?: "", "user") == 0 && u->address[0] == 'G', "registration reply %s", r.body);
    kwt_reply_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"long enough password\"}", name);
    r = call("POST", "/api/v1/auth/token", NULL, body, NULL);
    CHECK(r.status == 200 && sget(data(&r), "token"), "login %s: %ld", name, r.status);
    snprintf(u->auth, sizeof u->auth, "Authorization: Bearer %s", sget(data(&r), "token") ?: "");
    CHECK(iget(data(&r), "expires_in") == 3600 && strcmp(sget(data(&r), "token_type") ?: "", "Bearer") == 0,
          "token reply %s", r.body);
    kwt_reply_free(&r);
}

/* "12.5000000" → stroops. */
static int64_t stroops(const char *v)
{
    int64_t whole = 0, frac = 0;
    if (v)
        sscanf(v, "%" SCNd64 ".%" SCNd64, &whole, &frac);
    return whole * 10000000 + frac;
}

static int64_t balance(const user *u, const char *which)
{
    json_t *me = get_ok("/api/v1/me", u->auth);
    int64_t v = stroops(sget(json_object_get(me, "balances"), which));
    json_decref(me);
    return v;
}

static void wait_balance(const user *u, int64_t want)
{
    double t0 = now_s();
    while (balance(u, "available") != want && now_s() - t0 < WAIT_S)
        pause_ms(100);
    CHECK(balance(u, "available") == want, "%s's balance never reached %lld", u->name, (long long)want);
}

/* ---------------- event streams ---------------- */

typedef struct sse_event {
    int64_t id;
    char type[32];
    json_t *data;
} sse_event;

typedef struct stream {
    char auth[600];
    char last_id[32];
    int stop_after;             /* end the stream after this many events (0: until stopped) */
    atomic_bool stop;
    pthread_t thread;
    pthread_mutex_t mu;
    sse_event ev[4096];
    int n;
    char line[65536];
    size_t llen;
    int64_t cur_id;
    char cur_type[32];
    char cur_data[65536];
    size_t dlen;
    bool bad_order;
    atomic_bool open;
} stream;

static void stream_line(stream *s)
{
    s->line[s->llen] = 0;
    if (s->llen == 0) {
        if (s->cur_type[0]) {
            pthread_mutex_lock(&s->mu);
            if (s->n > 0 && s->cur_id <= s->ev[s->n - 1].id)
                s->bad_order = true;
            if (s->n < 4096) {
                s->ev[s->n] = (sse_event){.id = s->cur_id};
                snprintf(s->ev[s->n].type, sizeof s->ev[s->n].type, "%s", s->cur_type);
                s->ev[s->n].data = json_loadb(s->cur_data, s->dlen, 0, NULL);
                s->n++;
            }
            pthread_mutex_unlock(&s->mu);
        }
        s->cur_type[0] = 0;
        s->dlen = 0;
    } else if (strncmp(s->line, "id: ", 4) == 0) {
        s->cur_id = atoll(s->line + 4);
    } else if (strncmp(s->line, "event: ", 7) == 0) {
        snprintf(s->cur_type, sizeof s->cur_type, "%s", s->line + 7);
    } else if (strncmp(s->line, "data: ", 6) == 0 && s->dlen + s->llen < sizeof s->cur_data) {
        memcpy(s->cur_data + s->dlen, s->line + 6, s->llen - 6);
        s->dlen += s->llen - 6;
    }
    s->llen = 0;
}

static size_t stream_write(char *p, size_t size, size_t nmemb, void *ud)
{
    stream *s = ud;
    atomic_store(&s->open, true);
    for (size_t i = 0; i < size * nmemb; i++) {
        if (p[i] == '\n')
            stream_line(s);
        else if (s->llen + 1 < sizeof s->line)
            s->line[s->llen++] = p[i];
    }
    if (s->stop_after && s->n >= s->stop_after)
        return 0;
    return size * nmemb;
}

static int stream_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&((stream *)ud)->stop) ? 1 : 0;
}

static void *stream_main(void *arg)
{
    stream *s = arg;
    CURL *c = curl_easy_init();
    char url[128], last[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/stream", (unsigned)port);
    struct curl_slist *h = curl_slist_append(NULL, "X-Forwarded-For: 10.77.0.1");
    if (s->auth[0])
        h = curl_slist_append(h, s->auth);
    if (s->last_id[0]) {
        snprintf(last, sizeof last, "Last-Event-ID: %s", s->last_id);
        h = curl_slist_append(h, last);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stream_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static void stream_start(stream *s, const char *auth, const char *last_id, int stop_after)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->auth, sizeof s->auth, "%s", auth ? auth : "");
    snprintf(s->last_id, sizeof s->last_id, "%s", last_id ? last_id : "");
    s->stop_after = stop_after;
    pthread_create(&s->thread, NULL, stream_main, s);
    double t0 = now_s();
    while (!atomic_load(&s->open) && now_s() - t0 < 10)
        pause_ms(10);
    CHECK(atomic_load(&s->open), "the event stream did not open");
}

static void stream_stop(stream *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
}

static void stream_free(stream *s)
{
    for (int i = 0; i < s->n; i++)
        json_decref(s->ev[i].data);
    pthread_mutex_destroy(&s->mu);
}

/* Index of the first event of type (with cycle_id when ≥ 0) at or after from; -1 if none. */
static int find_event(stream *s, int from, const char *type, int64_t cycle)
{
    pthread_mutex_lock(&s->mu);
    int found = -1;
    for (int i = from; i < s->n && found < 0; i++)
        if (strcmp(s->ev[i].type, type) == 0 && (cycle < 0 || iget(s->ev[i].data, "cycle_id") == cycle))
            found = i;
    pthread_mutex_unlock(&s->mu);
    return found;
}

/* ---------------- the webhook receiver ---------------- */

static struct receiver {
    pthread_mutex_t mu;
    char secret_ok[80], secret_flaky[80];
    int ok_events, ok_bad_signatures, flaky_posts, flaky_delivered, flaky_bad_signatures;
    int64_t flaky_ids[64];
    int64_t ok_ids[1024];
} rx = {.mu = PTHREAD_MUTEX_INITIALIZER};

typedef struct upload {
    char *body;
    size_t len;
} upload;

static bool signature_ok(struct MHD_Connection *conn, const char *secret, const upload *u)
{
    const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Kalewx-Signature");
    long long t;
    char v1[65];
    if (!sig || !secret[0] || sscanf(sig, "t=%lld,v1=%64s", &t, v1) != 2 || llabs(t - time(NULL)) > 300)
        return false;
    char *msg = malloc(u->len + 32);
    int n = snprintf(msg, 32, "%lld.", t);
    memcpy(msg + n, u->body, u->len);
    uint8_t mac[32];
    unsigned mlen = 32;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (uint8_t *)msg, (size_t)n + u->len, mac, &mlen);
    free(msg);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    return CRYPTO_memcmp(hex, v1, 64) == 0 && strlen(v1) == 64;
}

static enum MHD_Result receive(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *chunk, size_t *chunk_len, void **con_cls)
{
    (void)cls, (void)method, (void)version;
    upload *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof *u);
        return MHD_YES;
    }
    if (*chunk_len) {
        u->body = realloc(u->body, u->len + *chunk_len + 1);
        memcpy(u->body + u->len, chunk, *chunk_len);
        u->len += *chunk_len;
        u->body[u->len] = 0;
        *chunk_len = 0;
        return MHD_YES;
    }
    json_t *j = json_loadb(u->body ? u->body : "", u->len, 0, NULL);
    int64_t id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    unsigned status = 200;
    pthread_mutex_lock(&rx.mu);
    if (strcmp(url, "/flaky") == 0) {
        rx.flaky_bad_signatures += !signature_ok(conn, rx.secret_flaky, u);
        if (++rx.flaky_posts <= 3)
            status = 500;
        else if (rx.flaky_delivered < 64)
            rx.flaky_ids[rx.flaky_delivered++] = id;
    } else {
        rx.ok_bad_signatures += !signature_ok(conn, rx.secret_ok, u);
        if (rx.ok_events < 1024)
            rx.ok_ids[rx.ok_events++] = id;
    }
    pthread_mutex_unlock(&rx.mu);
    free(u->body);
    free(u);
    *con_cls = NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---------------- the parts ---------------- */

static user alice, bob, carol, dave, erin, admin, ulim, plim;
static char outside[KW_STRKEY_BUFSZ];     /* a Stellar account outside kalewx */
static char alice_key[128];          /* "X-API-Key: …" */
static char revoked_key[128];
static int64_t hook_ok, hook_flaky;

static void test_system(void)
{
    json_t *h = get_ok("/health", NULL);
    CHECK(strcmp(sget(h, "status") ?: "", "ok") == 0, "health");
    json_decref(h);
    json_decref(get_ok("/ready", NULL));
    kwt_reply r = call("GET", "/metrics", NULL, NULL, NULL);
    CHECK(r.status == 200 && r.body && strstr(r.body, "kale_api_request_duration_seconds") &&
              strstr(r.body, "kale_db_connections_active") && strstr(r.body, "kale_chain_retries_total"),
          "metrics");
    kwt_reply_free(&r);
    r = call("GET", "/", NULL, NULL, NULL);
    CHECK(r.status == 404, "no dashboard directory: 404, got %ld", r.status);
    kwt_reply_free(&r);
    json_t *cur = get_ok("/api/v1/cycles/current", NULL);
    CHECK(json_object_get(json_object_get(cur, "cycle"), "phase"), "current cycle %s", "");
    json_decref(cur);
}

static void test_accounts(void)
{
    register_user(&alice, "alice");
    register_user(&bob, "bob");
    register_user(&carol, "carol");
    register_user(&dave, "dave");
    register_user(&admin, "boss");
    register_user(&ulim, "ulim");
    register_user(&plim, "plim");
    /* Erin registers her own wallet for withdrawals. */
    char body[200];
    snprintf(body, sizeof body, "{\"username\":\"erin\",\"password\":\"long enough password\",\"wallet\":\"%s\"}",
             outside);
    kwt_reply w = call("POST", "/api/v1/users", NULL, body, NULL);
    CHECK(w.status == 201 && strcmp(sget(data(&w), "wallet") ?: "", outside) == 0, "register with a wallet: %ld %s",
          w.status, w.body ? w.body : "");
    kwt_reply_free(&w);
    snprintf(body, sizeof body, "{\"username\":\"erin\",\"password\":\"long enough password\"}");
    w = call("POST", "/api/v1/auth/token", NULL, body, NULL);
    snprintf(erin.auth, sizeof erin.auth, "Authorization: Bearer %s", sget(data(&w), "token") ?: "");
    snprintf(erin.name, sizeof erin.name, "erin");
    kwt_reply_free(&w);
    CHECK(cli("admin", "set-access", "boss", "--role", "admin") == 0, "admin set-access --role admin");
    CHECK(cli("admin", "set-access", "plim", "--tier", "premium") == 0, "admin set-access --tier premium");
    CHECK(cli("admin", "set-access", "nobody", "--tier", "premium") == 3, "set-access of an unknown user");
    json_t *me = get_ok("/api/v1/me", admin.auth);
    CHECK(strcmp(sget(me, "role") ?: "", "admin") == 0, "the token is checked against the user row: role now admin");
    json_decref(me);
    me = get_ok("/api/v1/me", alice.auth);
    CHECK(iget(me, "id") == alice.id && strcmp(sget(me, "username") ?: "", "alice") == 0 && json_is_null(json_object_get(me, "wallet")),
          "me");
    json_decref(me);

    kwt_reply r = call("POST", "/api/v1/auth/api-keys", alice.auth, "{\"name\":\"laptop\"}", NULL);
    CHECK(r.status == 201 && sget(data(&r), "key"), "api key: %ld", r.status);
    snprintf(alice_key, sizeof alice_key, "X-API-Key: %s", sget(data(&r), "key") ?: "");
    kwt_reply_free(&r);
    r = call("POST", "/api/v1/auth/api-keys", alice.auth, NULL, NULL);
    CHECK(r.status == 201, "api key without a body: %ld", r.status);
    int64_t second = iget(data(&r), "id");
    snprintf(revoked_key, sizeof revoked_key, "X-API-Key: %s", sget(data(&r), "key") ?: "");
    kwt_reply_free(&r);
    me = get_ok("/api/v1/me", alice_key);
    CHECK(iget(me, "id") == alice.id, "API key authenticates");
    json_decref(me);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/auth/api-keys/%lld", (long long)second);
    r = call("DELETE", path, alice.auth, NULL, NULL);
    CHECK(r.status == 200 && json_is_true(json_object_get(data(&r), "revoked")), "revoke: %ld", r.status);
    kwt_reply_free(&r);
    r = call("DELETE", path, alice.auth, NULL, NULL);
    kwt_expect_error(&r, 404, "NOT_FOUND", "", "revoke twice");
    r = call("GET", "/api/v1/me", revoked_key, NULL, NULL);
    kwt_expect_error(&r, 401, "INVALID_CREDENTIALS", "invalid", "revoked key");
    json_t *keys = get_ok("/api/v1/auth/api-keys", alice.auth);
    json_t *list = json_object_get(keys, "api_keys");
    CHECK(json_array_size(list) == 2, "two keys listed, one revoked");
    CHECK(!json_object_get(json_array_get(list, 0), "key"), "listings never show a key");
    json_decref(keys);
    r = call("POST", "/api/v1/users", NULL, "{\"username\":\"alice\",\"password\":\"another long one\"}", NULL);
    kwt_expect_error(&r, 409, "USERNAME_TAKEN", "taken", "duplicate username");
    r = call("POST", "/api/v1/auth/token", NULL, "{\"username\":\"alice\",\"password\":\"wrong password!\"}", NULL);
    kwt_expect_error(&r, 401, "INVALID_CREDENTIALS", "wrong username or password", "wrong password");
}

static void test_funding(void)
{
    kwt_reply r = call("POST", "/api/v1/devnet/faucet", alice.auth, "{\"amount\":\"1000\"}", NULL);
    CHECK(r.status == 202 && strcmp(sget(data(&r), "status") ?: "", "pending") == 0, "faucet %ld", r.status);
    kwt_reply_free(&r);
    r = call("POST", "/api/v1/devnet/faucet", bob.auth, "{\"amount\":\"1000\"}", NULL);
    kwt_reply_free(&r);
    r = call("POST", "/api/v1/devnet/faucet", dave.auth, "{\"amount\":\"50.5\"}", NULL);
    kwt_reply_free(&r);
    r = call("POST", "/api/v1/devnet/faucet", erin.auth, "{\"amount\":\"3\"}", NULL);
    kwt_reply_free(&r);
    wait_balance(&alice, INT64_C(1000) * 10000000);
    wait_balance(&bob, INT64_C(1000) * 10000000);
    wait_balance(&dave, INT64_C(505) * 1000000);
    wait_balance(&erin, INT64_C(3) * 10000000);
}

static int64_t receiver_port;

static void test_webhook_registration(void)
{
    char body[256];
    snprintf(body, sizeof body, "{\"url\":\"http://127.0.0.1:%lld/ok\"}", (long long)receiver_port);
    kwt_reply r = call("POST", "/api/v1/webhooks", alice.auth, body, NULL);
    CHECK(r.status == 201 && sget(data(&r), "secret"), "webhook: %ld %s", r.status, r.body ? r.body : "");
    pthread_mutex_lock(&rx.mu);
    snprintf(rx.secret_ok, sizeof rx.secret_ok, "%s", sget(data(&r), "secret") ?: "");
    pthread_mutex_unlock(&rx.mu);
    hook_ok = iget(data(&r), "id");
    kwt_reply_free(&r);
    snprintf(body, sizeof body, "{\"url\":\"http://127.0.0.1:%lld/flaky\",\"events\":[\"cycle.settled\"]}",
             (long long)receiver_port);
    r = call("POST", "/api/v1/webhooks", bob.auth, body, "Idempotency-Key: hook-1");
    CHECK(r.status == 201, "flaky webhook: %ld", r.status);
    pthread_mutex_lock(&rx.mu);
    snprintf(rx.secret_flaky, sizeof rx.secret_flaky, "%s", sget(data(&r), "secret") ?: "");
    pthread_mutex_unlock(&rx.mu);
    hook_flaky = iget(data(&r), "id");
    json_t *events = json_object_get(data(&r), "events");
    CHECK(json_array_size(events) == 1 && strcmp(json_string_value(json_array_get(events, 0)), "cycle.settled") == 0,
          "events filter echoed");
    kwt_reply_free(&r);
    /* A key on a reply with a secret is not recorded: the same key runs again. */
    r = call("POST", "/api/v1/webhooks", bob.auth, "{\"url\":\"http://127.0.0.1:1/x\"}", "Idempotency-Key: hook-1");
    CHECK(r.status == 201 && !kwt_header(&r, "Idempotent-Replayed"), "secret replies are never replayed");
    int64_t extra = iget(data(&r), "id");
    kwt_reply_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld", (long long)extra);
    r = call("DELETE", path, bob.auth, NULL, NULL);
    CHECK(r.status == 200 && json_is_true(json_object_get(data(&r), "deleted")), "delete webhook");
    kwt_reply_free(&r);
    r = call("DELETE", path, bob.auth, NULL, NULL);
    kwt_expect_error(&r, 404, "NOT_FOUND", "no webhook", "delete twice");
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld", (long long)hook_ok);
    r = call("DELETE", path, bob.auth, NULL, NULL);
    kwt_expect_error(&r, 404, "NOT_FOUND", "no webhook", "someone else's webhook");
    json_t *list = get_ok("/api/v1/webhooks", bob.auth);
    CHECK(json_array_size(json_object_get(list, "webhooks")) == 1, "bob has one webhook");
    CHECK(!json_object_get(json_array_get(json_object_get(list, "webhooks"), 0), "secret"), "secrets not listed");
    json_decref(list);
}

/* ---- bad requests ---- */

typedef struct bad {
    const char *method, *path;
    int auth;                  /* 0 none, 1 alice, 2 admin, 3 raw header below */
    const char *header;        /* extra header (or the credentials when auth == 3) */
    const char *ctype;         /* NULL: application/json when there is a body */
    const char *body;
    long status;
    const char *code, *message;
} bad;

#define J "application/json"
#define ACT "/api/v1/actions"
#define PLANT(a) "{\"type\":\"agriculture\",\"agriculture_type\":\"plant\",\"amount\":" a "}"

static char *long_body(size_t n)
{
    char *b = malloc(n + 1);
    memset(b, ' ', n);
    memcpy(b, "{\"type\":\"stay\"", 14);
    b[n - 1] = '}';
    b[n] = 0;
    return b;
}

static void test_bad_requests(void)
{
    /* What must not change. */
    int64_t avail = balance(&alice, "available");
    json_t *actions0 = get_ok("/api/v1/me/actions", alice.auth);
    json_t *hooks0 = get_ok("/api/v1/webhooks", alice.auth);
    json_t *keys0 = get_ok("/api/v1/auth/api-keys", alice.auth);
    char deep[64] = "{\"type\":";
    for (int i = 0; i < 9; i++)
        strcat(deep, "[");
    char *huge = long_body(10 * 1024 * 1024), *over = long_body(65 * 1024 + 1);
    char tampered[600];
    snprintf(tampered, sizeof tampered, "%s", alice.auth);
    tampered[strlen(tampered) - 2] ^= 1;
    char long_key[300] = "Idempotency-Key: ";
    memset(long_key + 17, 'k', 280);
    const bad table[] = {
        {"POST", ACT, 1, NULL, NULL, PLANT("10"), 400, "INVALID_AMOUNT", "not a JSON number"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"-5\""), 400, "INVALID_AMOUNT", "sign"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"1e3\""), 400, "INVALID_AMOUNT", "exponent"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"0\""), 400, "INVALID_AMOUNT", "greater than zero"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"\""), 400, "INVALID_AMOUNT", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"12.12345678\""), 400, "INVALID_AMOUNT", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"99999999999999999999999\""), 422, "AMOUNT_OUT_OF_RANGE", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"1000.0000001\""), 422, "AMOUNT_OUT_OF_RANGE", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"0.01\""), 422, "AMOUNT_OUT_OF_RANGE", "amount"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"wager\",\"direction\":\"good\",\"amount\":\"10000.1\"}", 422,
         "AMOUNT_OUT_OF_RANGE", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\" 12\""), 400, "INVALID_AMOUNT", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"12,5\""), 400, "INVALID_AMOUNT", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("\"0x10\""), 400, "INVALID_AMOUNT", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("true"), 400, "INVALID_AMOUNT", "amount"},
        {"POST", ACT, 1, NULL, NULL, PLANT("null"), 400, "INVALID_AMOUNT", "amount"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"agriculture\",\"agriculture_type\":\"plant\"}", 400,
         "VALIDATION_ERROR", "\"amount\" is required"},
        {"POST", ACT, 1, NULL, NULL, "{\"amount\":\"1\"}", 400, "VALIDATION_ERROR", "\"type\" is required"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"harvest\"}", 400, "VALIDATION_ERROR", "\"type\" must be one of"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":1}", 400, "VALIDATION_ERROR", "\"type\""},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"agriculture\",\"amount\":\"1\"}", 400, "VALIDATION_ERROR",
         "agriculture_type"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"agriculture\",\"agriculture_type\":\"burn\",\"amount\":\"1\"}", 400,
         "VALIDATION_ERROR", "agriculture_type"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"wager\",\"amount\":\"1\"}", 400, "VALIDATION_ERROR", "direction"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"wager\",\"direction\":\"up\",\"amount\":\"1\"}", 400,
         "VALIDATION_ERROR", "direction"},
        {"POST", ACT, 1, NULL, NULL,
         "{\"type\":\"agriculture\",\"agriculture_type\":\"plant\",\"direction\":\"good\",\"amount\":\"1\"}", 400,
         "VALIDATION_ERROR", "\"direction\" is not used"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"stay\",\"amount\":\"1\"}", 400, "VALIDATION_ERROR",
         "\"amount\" is not used"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"stay\",\"admin\":true}", 400, "UNKNOWN_FIELD", "unknown field \"admin\""},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"stay\",\"x'; DROP TABLE users;--\":1}", 400, "UNKNOWN_FIELD",
         "unknown field"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"stay'; DROP TABLE users;--\"}", 400, "VALIDATION_ERROR", "\"type\""},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"st\xc3\x28y\"}", 400, "MALFORMED_JSON", "UTF-8"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"\xff\xfe\"}", 400, "MALFORMED_JSON", "UTF-8"},
        {"POST", ACT, 1, NULL, NULL, deep, 400, "MALFORMED_JSON", "nested"},
        {"POST", ACT, 1, NULL, NULL, "[{\"type\":\"stay\"}]", 400, "MALFORMED_JSON", "JSON object"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":", 400, "MALFORMED_JSON", "malformed JSON"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"stay\",\"type\":\"stay\"}", 400, "MALFORMED_JSON", "duplicate"},
        {"POST", ACT, 1, NULL, NULL, "{\"type\":\"st\\u0000ay\"}", 400, "MALFORMED_JSON", "malformed JSON"},
        {"POST", ACT, 1, NULL, NULL, "", 400, "MALFORMED_JSON", "empty"},
        {"POST", ACT, 1, NULL, NULL, huge, 413, "PAYLOAD_TOO_LARGE", "larger than"},
        {"POST", ACT, 1, NULL, NULL, over, 413, "PAYLOAD_TOO_LARGE", "larger than"},
        {"POST", ACT, 1, NULL, "text/plain", "{\"type\":\"stay\"}", 415, "UNSUPPORTED_MEDIA_TYPE", "application/json"},
        {"POST", ACT, 0, NULL, NULL, "{\"type\":\"stay\"}", 401, "AUTH_REQUIRED", "Bearer token or an X-API-Key"},
        {"POST", ACT, 3, "Authorization: Bearer abc.def.ghi", NULL, "{\"type\":\"stay\"}", 401, "INVALID_CREDENTIALS",
         "invalid"},
        {"GET", "/api/v1/me", 3, "Authorization: Basic dXNlcjpwYXNz", NULL, NULL, 401, "INVALID_CREDENTIALS", "Bearer"},
        {"GET", "/api/v1/me", 3, tampered, NULL, NULL, 401, "INVALID_CREDENTIALS", "invalid"},
        {"GET", "/api/v1/me", 3, "X-API-Key: kwx_bad", NULL, NULL, 401, "INVALID_CREDENTIALS", "invalid"},
        {"GET", "/api/v1/me", 3, revoked_key, NULL, NULL, 401, "INVALID_CREDENTIALS", "invalid"},
        {"GET", "/api/v1/me", 3, "Authorization: Bearer ", NULL, NULL, 401, "INVALID_CREDENTIALS", ""},
        {"GET", "/api/v1/cycles", 3, "Authorization: Bearer x.y.z", NULL, NULL, 401, "INVALID_CREDENTIALS", "invalid"},
        {"GET", "/api/v1/admin/reserve", 1, NULL, NULL, NULL, 403, "FORBIDDEN", "administrators"},
        {"POST", "/api/v1/admin/pause", 1, NULL, NULL, NULL, 403, "FORBIDDEN", "administrators"},
        {"GET", "/api/v1/admin/reconcile", 0, NULL, NULL, NULL, 401, "AUTH_REQUIRED", "Bearer"},
        {"POST", "/api/v1/admin/pause", 2, NULL, NULL, "{\"paused\":true}", 400, "UNKNOWN_FIELD", "unknown field"},
        {"GET", ACT, 1, NULL, NULL, NULL, 405, "METHOD_NOT_ALLOWED", "allowed: POST"},
        {"DELETE", "/api/v1/cycles", 0, NULL, NULL, NULL, 405, "METHOD_NOT_ALLOWED", "GET"},
        {"PUT", "/api/v1/me", 1, NULL, NULL, "{}", 405, "METHOD_NOT_ALLOWED", "GET"},
        {"PATCH", "/api/v1/webhooks/1", 1, NULL, NULL, "{}", 405, "METHOD_NOT_ALLOWED", "DELETE"},
        {"GET", "/api/v1/nope", 0, NULL, NULL, NULL, 404, "NOT_FOUND", "no route"},
        {"GET", "/api/v2/cycles", 0, NULL, NULL, NULL, 404, "NOT_FOUND", "no route"},
        {"GET", "/api/v1/cycles/abc", 0, NULL, NULL, NULL, 400, "VALIDATION_ERROR", "path parameter id"},
        {"GET", "/api/v1/cycles/-1", 0, NULL, NULL, NULL, 400, "VALIDATION_ERROR", "path parameter id"},
        {"GET", "/api/v1/cycles/99999999999999999999", 0, NULL, NULL, NULL, 400, "VALIDATION_ERROR", "whole number"},
        {"GET", "/api/v1/cycles/999999", 0, NULL, NULL, NULL, 404, "NOT_FOUND", "no cycle 999999"},
        {"GET", "/api/v1/cycles/999999/votes", 0, NULL, NULL, NULL, 404, "NOT_FOUND", "no cycle"},
        {"GET", "/api/v1/cycles/999999/results", 0, NULL, NULL, NULL, 404, "NOT_FOUND", "no cycle"},
        {"GET", "/api/v1/cycles?limit=0", 0, NULL, NULL, NULL, 400, "VALIDATION_ERROR", "limit"},
        {"GET", "/api/v1/cycles?limit=abc", 0, NULL, NULL, NULL, 400, "VALIDATION_ERROR", "limit"},
        {"GET", "/api/v1/cycles?before=-3", 0, NULL, NULL, NULL, 400, "VALIDATION_ERROR", "before"},
        {"GET", "/api/v1/me/actions?limit=201", 1, NULL, NULL, NULL, 400, "VALIDATION_ERROR", "limit"},
        {"GET", "/api/v1/../../etc/passwd", 0, NULL, NULL, NULL, 400, "INVALID_PATH", ".."},
        {"GET", "/static/../../etc/passwd", 0, NULL, NULL, NULL, 400, "INVALID_PATH", ".."},
        {"GET", "/api/v1/daos/..%2f..%2fetc%2fpasswd", 0, NULL, NULL, NULL, 400, "INVALID_PATH", ""},
        {"GET", "/api/v1/daos/x'%20OR%201=1", 0, NULL, NULL, NULL, 400, "INVALID_PATH", ""},
        {"GET", "/api/v1//cycles", 0, NULL, NULL, NULL, 400, "INVALID_PATH", ""},
        {"GET", "/api/v1/daos/no-such-dao", 0, NULL, NULL, NULL, 404, "NOT_FOUND", "no DAO"},
        {"POST", "/api/v1/users", 0, NULL, NULL, "{\"username\":\"Robert'); DROP TABLE users;--\",\"password\":\"long enough password\"}",
         400, "VALIDATION_ERROR", "username"},
        {"POST", "/api/v1/users", 0, NULL, NULL, "{\"username\":\"shorty\",\"password\":\"short\"}", 400,
         "VALIDATION_ERROR", "password"},
        {"POST", "/api/v1/users", 0, NULL, NULL,
         "{\"username\":\"walleted\",\"password\":\"long enough password\",\"wallet\":\"GBADSTRKEY\"}", 400,
         "VALIDATION_ERROR", "wallet"},
        {"POST", "/api/v1/users", 0, NULL, NULL,
         "{\"username\":\"abcdefghijklmnopqrstuvwxyz0123456\",\"password\":\"long enough password\"}", 400,
         "VALIDATION_ERROR", "username"},
        {"POST", "/api/v1/users", 0, NULL, NULL, "{\"username\":123,\"password\":\"long enough password\"}", 400,
         "VALIDATION_ERROR", "username"},
        {"POST", "/api/v1/users", 0, NULL, NULL, "{\"username\":\"../../etc\",\"password\":\"long enough password\"}",
         400, "VALIDATION_ERROR", "username"},
        {"POST", "/api/v1/auth/token", 0, NULL, NULL, "{\"username\":\"nobody\",\"password\":\"long enough password\"}",
         401, "INVALID_CREDENTIALS", "wrong username or password"},
        {"POST", "/api/v1/auth/token", 0, NULL, NULL, "{\"username\":\"alice\"}", 400, "VALIDATION_ERROR", "password"},
        {"POST", "/api/v1/me/withdrawals", 1, NULL, NULL,
         "{\"amount\":\"5\",\"to\":\"GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", 400,
         "VALIDATION_ERROR", "\"to\""},
        {"POST", "/api/v1/me/withdrawals", 1, NULL, NULL, "{\"amount\":\"5\"}", 400, "VALIDATION_ERROR",
         "no wallet was registered"},
        {"POST", "/api/v1/me/withdrawals", 1, NULL, NULL, "{\"amount\":\"0.5\",\"to\":\"x\"}", 422,
         "AMOUNT_OUT_OF_RANGE", "amount"},
        {"POST", "/api/v1/webhooks", 1, NULL, NULL, "{\"url\":\"ftp://example.com/x\"}", 400, "VALIDATION_ERROR",
         "http://"},
        {"POST", "/api/v1/webhooks", 1, NULL, NULL, "{\"url\":\"javascript:alert(1)\"}", 400, "VALIDATION_ERROR",
         "url"},
        {"POST", "/api/v1/webhooks", 1, NULL, NULL, "{\"url\":\"http://x.test/\",\"events\":[\"nope\"]}", 400,
         "VALIDATION_ERROR", "event type"},
        {"POST", "/api/v1/webhooks", 1, NULL, NULL, "{\"url\":\"http://x.test/\",\"events\":\"cycle.settled\"}", 400,
         "VALIDATION_ERROR", "events"},
        {"DELETE", "/api/v1/webhooks/abc", 1, NULL, NULL, NULL, 400, "VALIDATION_ERROR", "path parameter id"},
        {"DELETE", "/api/v1/webhooks/999999", 1, NULL, NULL, NULL, 404, "NOT_FOUND", "no webhook"},
        {"GET", "/api/v1/webhooks/999999/deliveries", 1, NULL, NULL, NULL, 404, "NOT_FOUND", "no webhook"},
        {"DELETE", "/api/v1/auth/api-keys/999999", 1, NULL, NULL, NULL, 404, "NOT_FOUND", ""},
        {"POST", "/api/v1/devnet/faucet", 1, NULL, NULL, "{\"amount\":\"10001\"}", 422, "AMOUNT_OUT_OF_RANGE", "amount"},
        {"POST", ACT, 1, long_key, NULL, "{\"type\":\"stay\"}", 400, "INVALID_IDEMPOTENCY_KEY", "Idempotency-Key"},
        {"GET", "/api/v1/stream", 3, "Last-Event-ID: abc", NULL, NULL, 400, "VALIDATION_ERROR", "Last-Event-ID"},
    };
    size_t n = sizeof table / sizeof table[0];
    CHECK(n >= 60, "the table has %zu bad requests", n);
    for (size_t i = 0; i < n; i++) {
        const bad *b = &table[i];
        const char *h[4] = {0};
        int k = 0;
        if (b->auth == 1)
            h[k++] = alice.auth;
        else if (b->auth == 2)
            h[k++] = admin.auth;
        else if (b->auth == 3)
            h[k++] = b->header;
        if (b->auth != 3 && b->header)
            h[k++] = b->header;
        char ct[64];
        if (b->body) {
            snprintf(ct, sizeof ct, "Content-Type: %s", b->ctype ? b->ctype : J);
            h[k++] = ct;
        }
        kwt_reply r = kwt_request(http, b->method, b->path, h, b->body, b->body ? strlen(b->body) : 0);
        char what[160];
        snprintf(what, sizeof what, "bad request %zu (%s %.60s)", i, b->method, b->path);
        kwt_expect_error(&r, b->status, b->code, b->message, what);
    }
    free(huge);
    free(over);
    json_decref(get_ok("/health", NULL));
    json_decref(get_ok("/ready", NULL));
    CHECK(balance(&alice, "available") == avail, "bad requests moved money");
    json_t *actions1 = get_ok("/api/v1/me/actions", alice.auth), *hooks1 = get_ok("/api/v1/webhooks", alice.auth);
    json_t *keys1 = get_ok("/api/v1/auth/api-keys", alice.auth);
    /* Delivery counts move on their own; the webhooks themselves must not. */
    size_t i;
    json_t *hk;
    json_array_foreach(json_object_get(hooks0, "webhooks"), i, hk) json_object_del(hk, "deliveries");
    json_array_foreach(json_object_get(hooks1, "webhooks"), i, hk) json_object_del(hk, "deliveries");
    CHECK(json_equal(actions0, actions1) && json_equal(hooks0, hooks1) && json_equal(keys0, keys1),
          "bad requests wrote something");
    json_decref(actions0), json_decref(actions1), json_decref(hooks0), json_decref(hooks1), json_decref(keys0),
        json_decref(keys1);
    kwt_reply r = call("POST", "/api/v1/auth/token", NULL,
                       "{\"username\":\"Robert'); DROP TABLE users;--\",\"password\":\"long enough password\"}", NULL);
    kwt_expect_error(&r, 401, "INVALID_CREDENTIALS", "wrong", "no such user was created");
}

/* ---- a whole cycle ---- */

typedef struct now_pos {
    int64_t cycle, block, in_cycle;
    char phase[16];
} now_pos;

static now_pos where_now(void)
{
    now_pos p = {0};
    json_t *d = get_ok("/api/v1/cycles/current", NULL);
    json_t *c = json_object_get(d, "cycle");
    p.cycle = iget(c, "id");
    p.block = iget(c, "current_block");
    p.in_cycle = iget(c, "block_in_cycle");
    snprintf(p.phase, sizeof p.phase, "%s", sget(c, "phase") ?: "");
    json_decref(d);
    return p;
}

/* Waits for the first moment of a block with block_in_cycle == in_cycle. */
static now_pos wait_block_start(int64_t in_cycle)
{
    now_pos last = where_now(), p;
    double t0 = now_s();
    for (;;) {
        p = where_now();
        if (p.block != last.block && p.in_cycle == in_cycle)
            return p;
        if (now_s() - t0 > WAIT_S) {
            CHECK(0, "block %lld of a cycle never started", (long long)in_cycle);
            return p;
        }
        last = p;
        pause_ms(20);
    }
}

static kwt_reply act(const user *u, const char *body, const char *extra)
{
    return call("POST", ACT, u->auth, body, extra);
}

static int64_t played_cycle;

static void test_actions(void)
{
    now_pos p = wait_block_start(0);
    played_cycle = p.cycle;
    kwt_reply r = act(&alice, PLANT("\"10\""), NULL);
    CHECK(r.status == 201 && iget(data(&r), "position_id") > 0 && iget(data(&r), "cycle_id") == p.cycle,
          "plant: %ld %s", r.status, r.body ? r.body : "");
    CHECK(strcmp(sget(data(&r), "amount") ?: "", "10.0000000") == 0, "amount echoed");
    kwt_reply_free(&r);
    r = act(&bob, "{\"type\":\"wager\",\"direction\":\"good\",\"amount\":\"5\"}", NULL);
    CHECK(r.status == 201 && iget(data(&r), "wager_id") > 0, "wager: %ld %s", r.status, r.body ? r.body : "");
    kwt_reply_free(&r);
    r = act(&carol, PLANT("\"1\""), NULL);
    kwt_expect_error(&r, 422, "INSUFFICIENT_FUNDS", "insufficient funds", "carol has nothing");
    r = act(&alice, "{\"type\":\"stay\"}", NULL);
    kwt_expect_error(&r, 409, "DUPLICATE_ACTION", "one action per block", "second action in a block");
    /* Idempotency: the same request twice is one action. */
    r = act(&dave, "{\"type\":\"stay\"}", "Idempotency-Key: dave-stay-1");
    CHECK(r.status == 201, "dave stays: %ld %s", r.status, r.body ? r.body : "");
    int64_t first = iget(data(&r), "action_id");
    kwt_reply_free(&r);
    r = act(&dave, "{\"type\":\"stay\"}", "Idempotency-Key: dave-stay-1");
    CHECK(r.status == 201 && iget(data(&r), "action_id") == first, "replayed: %ld", r.status);
    CHECK(kwt_header(&r, "Idempotent-Replayed") && strcmp(kwt_header(&r, "Idempotent-Replayed"), "true") == 0,
          "replay marked");
    kwt_reply_free(&r);
    r = act(&dave, "{\"type\":\"wager\",\"direction\":\"bad\",\"amount\":\"1\"}", "Idempotency-Key: dave-stay-1");
    kwt_expect_error(&r, 409, "IDEMPOTENCY_CONFLICT", "different request", "key reused for another request");
    r = act(&alice, "{\"type\":\"agriculture\",\"agriculture_type\":\"store\",\"amount\":\"5000\"}", NULL);
    kwt_expect_error(&r, 422, "AMOUNT_OUT_OF_RANGE", "maximum of 1000.0000000", "store too large");

    wait_block_start(1);
    r = act(&bob, "{\"type\":\"wager\",\"direction\":\"bad\",\"amount\":\"1\"}", NULL);
    kwt_expect_error(&r, 409, "WAGER_EXISTS", "already placed a wager", "second wager in a cycle");
    r = act(&alice, "{\"type\":\"agriculture\",\"agriculture_type\":\"store\",\"amount\":\"20\"}", NULL);
    CHECK(r.status == 201 && iget(data(&r), "position_id") > 0, "store: %ld %s", r.status, r.body ? r.body : "");
    kwt_reply_free(&r);
    json_t *cur = get_ok("/api/v1/cycles/current", NULL);
    json_t *parts = json_object_get(cur, "participants");
    CHECK(iget(parts, "total") == 3 && iget(parts, "farmers") == 1 && iget(parts, "wagerers") == 1,
          "participants from the pubdoc: %lld %lld %lld", (long long)iget(parts, "total"),
          (long long)iget(parts, "farmers"), (long long)iget(parts, "wagerers"));
    json_decref(cur);

    /* Admin pause: actions refused on every path until resumed. */
    r = call("POST", "/api/v1/admin/pause", admin.auth, NULL, NULL);
    CHECK(r.status == 200 && json_is_true(json_object_get(data(&r), "paused")), "pause: %ld", r.status);
    kwt_reply_free(&r);
    r = act(&dave, "{\"type\":\"stay\"}", NULL);
    kwt_expect_error(&r, 503, "SERVICE_PAUSED", "paused", "paused");
    r = call("POST", "/api/v1/admin/resume", admin.auth, "{}", NULL);
    CHECK(r.status == 200 && json_is_false(json_object_get(data(&r), "paused")), "resume: %ld", r.status);
    kwt_reply_free(&r);

    now_pos q = wait_block_start(CYCLE_BLOCKS - 2);
    CHECK(strcmp(q.phase, "revealing") == 0, "phase %s", q.phase);
    r = act(&dave, "{\"type\":\"stay\"}", NULL);
    kwt_expect_error(&r, 422, "PHASE_CLOSED", "not accepted in the revealing phase", "stay while revealing");
}

static json_t *wait_settled(int64_t cycle)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/cycles/%lld", (long long)cycle);
    double t0 = now_s();
    for (;;) {
        json_t *c = get_ok(path, NULL);
        if (strcmp(sget(c, "state") ?: "", "settled") == 0)
            return c;
        json_decref(c);
        if (now_s() - t0 > WAIT_S) {
            CHECK(0, "cycle %lld did not settle in %d s", (long long)cycle, WAIT_S);
            return get_ok(path, NULL);
        }
        pause_ms(200);
    }
}

static void test_reads(void)
{
    json_t *c = wait_settled(played_cycle);
    CHECK(iget(c, "participants") == 3 && sget(c, "outcome") && json_is_object(json_object_get(c, "observation")),
          "settled cycle");
    CHECK(strcmp(sget(c, "total_staked") ?: "", "30.0000000") == 0, "total staked %s", sget(c, "total_staked"));
    json_decref(c);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/cycles/%lld/votes", (long long)played_cycle);
    json_t *v = get_ok(path, NULL);
    json_t *votes = json_object_get(v, "votes");
    CHECK(json_array_size(votes) >= 10, "%zu votes", json_array_size(votes));
    size_t i;
    json_t *vote;
    json_array_foreach(votes, i, vote) CHECK(json_is_true(json_object_get(vote, "revealed")) &&
                                                 sget(vote, "prediction") && sget(vote, "salt"),
                                             "revealed vote");
    json_decref(v);
    /* The next cycle's votes hide their predictions until revealed. */
    now_pos p = where_now();
    if (strcmp(p.phase, "working") == 0) {
        snprintf(path, sizeof path, "/api/v1/cycles/%lld/votes", (long long)p.cycle);
        v = get_ok(path, NULL);
        json_array_foreach(json_object_get(v, "votes"), i, vote) CHECK(!json_object_get(vote, "prediction"),
                                                                       "a prediction shown before the reveal");
        json_decref(v);
    }
    snprintf(path, sizeof path, "/api/v1/cycles/%lld/results", (long long)played_cycle);
    json_t *res = get_ok(path, NULL);
    CHECK(iget(json_object_get(res, "positions"), "count") == 2, "results: 2 positions");
    json_t *w = json_object_get(res, "wagers");
    CHECK(json_is_true(json_object_get(w, "refunded")) && strcmp(sget(w, "fee") ?: "", "0.0000000") == 0,
          "one-sided wagers are refunded without a fee");
    CHECK(json_is_object(json_object_get(res, "location")) && json_is_object(json_object_get(res, "consensus")),
          "results from weather.resolved");
    json_decref(res);
    snprintf(path, sizeof path, "/api/v1/cycles/%lld/results", (long long)where_now().cycle + 1);
    kwt_reply r = call("GET", path, NULL, NULL, NULL);
    kwt_expect_error(&r, 404, "NOT_FOUND", "no", "results of a cycle not yet resolved");

    json_t *list = get_ok("/api/v1/cycles?limit=2", NULL);
    CHECK(json_array_size(json_object_get(list, "cycles")) == 2, "limit=2");
    int64_t oldest = iget(json_array_get(json_object_get(list, "cycles"), 1), "id");
    json_decref(list);
    snprintf(path, sizeof path, "/api/v1/cycles?before=%lld&limit=1", (long long)oldest);
    list = get_ok(path, NULL);
    CHECK(iget(json_array_get(json_object_get(list, "cycles"), 0), "id") == oldest - 1, "before pages on");
    json_decref(list);

    json_t *pos = get_ok("/api/v1/me/positions", alice.auth);
    json_array_foreach(json_object_get(pos, "positions"), i, vote)
        CHECK(strcmp(sget(vote, "status") ?: "", "settled") == 0 && sget(vote, "final_reward"), "position settled");
    CHECK(json_array_size(json_object_get(pos, "positions")) == 2, "alice has 2 positions");
    json_decref(pos);
    json_t *wag = get_ok("/api/v1/me/wagers", bob.auth);
    CHECK(strcmp(sget(json_array_get(json_object_get(wag, "wagers"), 0), "status") ?: "", "refunded") == 0,
          "bob's wager refunded");
    json_decref(wag);
    json_t *acts = get_ok("/api/v1/me/actions?limit=1", alice.auth);
    CHECK(json_array_size(json_object_get(acts, "actions")) == 1, "me/actions limit");
    json_decref(acts);
    json_t *tx = get_ok("/api/v1/me/transactions", alice.auth);
    CHECK(json_array_size(json_object_get(tx, "transactions")) >= 3, "deposit, escrows, settlement");
    json_decref(tx);
    json_t *perf = get_ok("/api/v1/me/performance", alice.auth);
    CHECK(iget(perf, "cycles_participated") == 1 && iget(perf, "total_positions") == 2, "performance");
    json_decref(perf);
    perf = get_ok("/api/v1/me/performance", carol.auth);
    CHECK(iget(perf, "cycles_participated") == 0, "no activity: zeros");
    json_decref(perf);
    json_t *daos = get_ok("/api/v1/daos", NULL);
    CHECK(json_array_size(json_object_get(daos, "daos")) == 15, "15 DAOs");
    json_decref(daos);
    json_t *dao = get_ok("/api/v1/daos/crypto-momentum", NULL);
    CHECK(json_array_size(json_object_get(dao, "recent_votes")) >= 1, "recent votes");
    json_decref(dao);
    json_t *stats = get_ok("/api/v1/weather/statistics", NULL);
    CHECK(iget(stats, "cycles") >= 1 && json_object_size(json_object_get(stats, "by_city")) >= 1, "statistics");
    json_decref(stats);
}

static void test_money_out(void)
{
    char body[160];
    snprintf(body, sizeof body, "{\"amount\":\"1\",\"to\":\"%s\"}", outside);
    kwt_reply r = call("POST", "/api/v1/me/withdrawals", alice.auth, body, NULL);
    CHECK(r.status == 202 && strcmp(sget(data(&r), "to") ?: "", outside) == 0, "withdrawal: %ld %s", r.status,
          r.body ? r.body : "");
    kwt_reply_free(&r);
    snprintf(body, sizeof body, "{\"amount\":\"99999\",\"to\":\"%s\"}", outside);
    r = call("POST", "/api/v1/me/withdrawals", alice.auth, body, NULL);
    kwt_expect_error(&r, 422, "INSUFFICIENT_FUNDS", "insufficient funds", "withdraw more than held");
    /* Without "to", the registered wallet. */
    r = call("POST", "/api/v1/me/withdrawals", erin.auth, "{\"amount\":\"2\"}", NULL);
    CHECK(r.status == 202 && strcmp(sget(data(&r), "to") ?: "", outside) == 0, "withdrawal to the registered wallet");
    kwt_reply_free(&r);
    CHECK(balance(&erin, "available") == 10000000, "the withdrawal is debited at once");
    json_t *reserve = get_ok("/api/v1/admin/reserve", admin.auth);
    CHECK(sget(reserve, "reserve") && sget(reserve, "treasury_address"), "reserve");
    int64_t before = stroops(sget(reserve, "reserve"));
    json_decref(reserve);
    r = call("POST", "/api/v1/admin/reserve/deposit", admin.auth, "{\"amount\":\"250\"}", NULL);
    CHECK(r.status == 202, "reserve deposit: %ld", r.status);
    kwt_reply_free(&r);
    /* No position is open any more, so only the deposit moves the reserve. */
    double t1 = now_s();
    int64_t after = before;
    while (after != before + INT64_C(2500000000) && now_s() - t1 < 20) {
        json_t *l = get_ok("/api/v1/admin/reserve", admin.auth);
        after = stroops(sget(l, "reserve"));
        json_decref(l);
        pause_ms(100);
    }
    CHECK(after == before + INT64_C(2500000000), "reserve %lld after a deposit of 250 to %lld", (long long)after,
          (long long)before);
    /* A quiet moment for the books: the withdrawal and deposit done. */
    double t0 = now_s();
    kwt_reply rec;
    for (;;) {
        rec = call("GET", "/api/v1/admin/reconcile", admin.auth, NULL, NULL);
        if (rec.status == 200 || now_s() - t0 > 20)
            break;
        kwt_reply_free(&rec);
        pause_ms(200);
    }
    CHECK(rec.status == 200 && json_is_true(json_object_get(data(&rec), "ok")), "reconcile: %ld %s", rec.status,
          rec.body ? rec.body : "");
    kwt_reply_free(&rec);
}

/* Every SPEC §15 family has moved once a cycle has been played. */
static void test_metrics(void)
{
    kwt_reply r = call("GET", "/metrics", NULL, NULL, NULL);
    static const char *const want[] = {
        "kale_user_actions_total{action_type=\"plant\",status=\"accepted\"} 1",
        "kale_user_actions_total{action_type=\"stay\",status=\"accepted\"} 1",
        "kale_user_actions_total{action_type=\"plant\",status=\"rejected\"}",
        "kale_cycles_processed_total{outcome=",
        "kale_rewards_distributed_kale{type=\"bonus\"}",
        "kale_block_processing_duration_seconds_count",
        "kale_dao_consensus_duration_seconds_count",
        "kale_api_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/actions\",status_code=\"201\"",
        "kale_work_hash_rate",
        "kale_work_hashes_total",
        "kale_chain_retries_total",
        "kale_chain_deferred_total",
        "kale_db_connections_active",
        "kale_memory_usage_bytes{type=\"rss\"}",
        "kale_errors_total",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK(r.body && strstr(r.body, want[i]), "/metrics lacks %s", want[i]);
    CHECK(r.body && !strstr(r.body, "kale_block_processing_duration_seconds_count 0\n") &&
              !strstr(r.body, "kale_dao_consensus_duration_seconds_count 0\n") && !strstr(r.body, "kale_work_hashes_total 0\n"),
          "histograms or the miner's counter never moved");
    kwt_reply_free(&r);
}

/* ---- streams and webhooks, checked once a cycle has gone by ---- */

static stream anon, mine, part;

static void test_streams(void)
{
    /* A full cycle of public events, in order, on the anonymous stream. */
    int i = find_event(&anon, 0, "cycle.started", played_cycle);
    static const char *const sequence[] = {"phase.changed", "phase.changed", "dao.committed", "phase.changed",
                                           "dao.revealed",  "weather.resolved", "phase.changed", "cycle.settled"};
    CHECK(i >= 0, "cycle.started of cycle %lld not streamed", (long long)played_cycle);
    for (size_t k = 0; i >= 0 && k < sizeof sequence / sizeof sequence[0]; k++) {
        int j = find_event(&anon, i + 1, sequence[k], played_cycle);
        CHECK(j > i, "%s of cycle %lld missing or out of order", sequence[k], (long long)played_cycle);
        i = j;
    }
    CHECK(!anon.bad_order && !mine.bad_order, "stream ids not increasing");
    pthread_mutex_lock(&anon.mu);
    for (int k = 0; k < anon.n; k++)
        CHECK(strcmp(anon.ev[k].type, "balance.changed") && strcmp(anon.ev[k].type, "action.accepted") &&
                  strcmp(anon.ev[k].type, "position.updated"),
              "a private event on an anonymous stream");
    pthread_mutex_unlock(&anon.mu);
    CHECK(find_event(&mine, 0, "action.accepted", played_cycle) >= 0, "alice's action.accepted");
    CHECK(find_event(&mine, 0, "balance.changed", -1) >= 0, "alice's balance.changed");
    CHECK(find_event(&mine, 0, "position.updated", -1) >= 0, "alice's position.updated");

    /* Resume: "part" read a few events and hung up; reconnecting after the
     * last one it saw must give exactly what the anonymous stream got since. */
    stream_stop(&part);
    char last[32];
    snprintf(last, sizeof last, "%lld", (long long)(part.n ? part.ev[part.n - 1].id : 0));
    int64_t first_seen = part.n ? part.ev[0].id : 0;
    stream resumed;
    pthread_mutex_lock(&anon.mu);
    int64_t upto = anon.ev[anon.n - 1].id;
    pthread_mutex_unlock(&anon.mu);
    stream_start(&resumed, NULL, last, 0);
    double t0 = now_s();
    while (now_s() - t0 < 15) {
        pthread_mutex_lock(&resumed.mu);
        bool done = resumed.n && resumed.ev[resumed.n - 1].id >= upto;
        pthread_mutex_unlock(&resumed.mu);
        if (done)
            break;
        pause_ms(20);
    }
    stream_stop(&resumed);
    int a = 0, b = 0, got = 0;
    pthread_mutex_lock(&anon.mu);
    while (a < anon.n && anon.ev[a].id < first_seen)
        a++;
    for (int k = 0; k < part.n; k++, a++)
        CHECK(a < anon.n && anon.ev[a].id == part.ev[k].id, "before the hang-up: event %d differs", k);
    for (; a < anon.n && anon.ev[a].id <= upto; a++, b++, got++)
        CHECK(b < resumed.n && resumed.ev[b].id == anon.ev[a].id && strcmp(resumed.ev[b].type, anon.ev[a].type) == 0,
              "resume missed or changed event %lld", (long long)anon.ev[a].id);
    pthread_mutex_unlock(&anon.mu);
    CHECK(got > 10, "the resume replayed %d events", got);
    stream_free(&resumed);
}

static void test_webhook_deliveries(void)
{
    /* Flaky: three 500s, then the cycle.settled event once. */
    double t0 = now_s();
    for (;;) {
        pthread_mutex_lock(&rx.mu);
        int delivered = rx.flaky_delivered;
        pthread_mutex_unlock(&rx.mu);
        if (delivered >= 1 || now_s() - t0 > 20)
            break;
        pause_ms(50);
    }
    char path[96];
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld/deliveries", (long long)hook_flaky);
    json_t *d = get_ok(path, bob.auth);
    json_t *list = json_object_get(d, "deliveries");
    json_t *oldest = json_array_get(list, json_array_size(list) - 1);
    CHECK(oldest && strcmp(sget(oldest, "status") ?: "", "delivered") == 0 && iget(oldest, "attempts") == 4 &&
              strcmp(sget(oldest, "event_type") ?: "", "cycle.settled") == 0,
          "flaky delivery: %s", oldest ? json_dumps(oldest, 0) : "none");
    int64_t settled_event = iget(oldest, "event_id");
    json_decref(d);
    pthread_mutex_lock(&rx.mu);
    int copies = 0;
    for (int k = 0; k < rx.flaky_delivered; k++)
        copies += rx.flaky_ids[k] == settled_event;
    CHECK(copies == 1, "the flaky receiver got event %lld %d times", (long long)settled_event, copies);
    CHECK(rx.flaky_posts >= 4, "flaky posts %d", rx.flaky_posts);
    CHECK(rx.ok_events > 10, "the receiver got %d events", rx.ok_events);
    CHECK(rx.ok_bad_signatures == 0 && rx.flaky_bad_signatures == 0, "bad signatures: %d, %d", rx.ok_bad_signatures,
          rx.flaky_bad_signatures);
    pthread_mutex_unlock(&rx.mu);
    json_t *hooks = get_ok("/api/v1/webhooks", alice.auth);
    json_t *counts = json_object_get(json_array_get(json_object_get(hooks, "webhooks"), 0), "deliveries");
    CHECK(iget(counts, "delivered") > 10 && iget(counts, "failed") == 0, "delivery counts");
    json_decref(hooks);
}

/* ---- rate limits per tier ---- */

static void exhaust(const char *who, const char *auth, long limit)
{
    char xff[64];
    snprintf(xff, sizeof xff, "X-Forwarded-For: 10.66.%d.1", (int)(limit % 250));
    const char *h[] = {auth ? auth : xff, NULL};
    kwt_client_observe(NULL);
    long ok = 0;
    kwt_reply r = {0};
    for (long i = 0; i <= limit + 1; i++) {
        kwt_reply_free(&r);
        r = kwt_request(http, "GET", "/api/v1/cycles/current", h, NULL, 0);
        if (r.status != 200)
            break;
        ok++;
    }
    kwt_client_observe(observe);
    observe("GET", "/api/v1/cycles/current", &r);
    /* This test's own requests came first for some callers; the limit is what matters. */
    CHECK(r.status == 429, "%s: no 429 after %ld requests", who, ok);
    CHECK(ok <= limit, "%s: %ld requests allowed, limit %ld", who, ok, limit);
    char want[32];
    snprintf(want, sizeof want, "%ld", limit);
    CHECK(kwt_header(&r, "RateLimit-Limit") && strcmp(kwt_header(&r, "RateLimit-Limit"), want) == 0,
          "%s: RateLimit-Limit %s, want %s", who, kwt_header(&r, "RateLimit-Limit") ?: "none", want);
    CHECK(kwt_header(&r, "Retry-After") && atoi(kwt_header(&r, "Retry-After")) >= 1, "%s: Retry-After", who);
    CHECK(kwt_header(&r, "RateLimit-Remaining") && strcmp(kwt_header(&r, "RateLimit-Remaining"), "0") == 0,
          "%s: RateLimit-Remaining", who);
    kwt_expect_error(&r, 429, "RATE_LIMITED", "rate limit", who);
    /* Exempt routes still answer. */
    kwt_reply h2 = kwt_request(http, "GET", "/health", h, NULL, 0);
    CHECK(h2.status == 200, "%s: /health is exempt", who);
    kwt_reply_free(&h2);
}

static void test_rate_limits(void)
{
    exhaust("anonymous", NULL, 100);
    exhaust("user", ulim.auth, 500);
    exhaust("premium", plim.auth, 1000);
}

int main(void)
{
    kalewx = getenv("KALEWX");
    if (!kalewx) {
        fprintf(stderr, "KALEWX must point at the kalewx binary\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(data_dir, sizeof data_dir, "/tmp/kalewx-e2e-XXXXXX");
    if (!mkdtemp(data_dir))
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    http = curl_easy_init();
    port = free_port();
    /* A Stellar account outside kalewx (one of its own wallets would receive KALE the books do not know of). */
    uint8_t raw[32];
    for (int i = 0; i < 32; i++)
        raw[i] = (uint8_t)(i * 37 + 11);
    kw_strkey_encode(KW_STRKEY_ACCOUNT, raw, outside);
    kwt_client_port(port);
    struct MHD_Daemon *rxd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, receive, NULL,
                                              MHD_OPTION_END);
    const union MHD_DaemonInfo *di = rxd ? MHD_get_daemon_info(rxd, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    receiver_port = di ? di->port : 0;
    CHECK(receiver_port > 0, "the webhook receiver did not start");
    double t0 = now_s();
    start_server();
    kwt_reply doc = kwt_request(http, "GET", "/api/v1/openapi.json", NULL, NULL, 0);
    CHECK(doc.status == 200 && doc.json, "openapi.json: %ld", doc.status);
    kwt_oas_use(doc.json);
    kwt_reply_free(&doc);
    kwt_client_observe(observe);

    stream_start(&anon, NULL, NULL, 0);
    test_system();
    test_accounts();
    stream_start(&mine, alice.auth, NULL, 0);
    stream_start(&part, NULL, NULL, 6);
    test_webhook_registration();
    test_funding();
    test_bad_requests();
    test_actions();
    test_reads();
    test_metrics();
    test_money_out();
    test_webhook_deliveries();
    test_streams();
    test_rate_limits();
    stream_stop(&anon);
    stream_stop(&mine);
    stop_server();
    CHECK(cli("--json", "admin", "reconcile", NULL, NULL) == 0, "kalewx admin reconcile after the run");
    stream_free(&anon);
    stream_free(&mine);
    stream_free(&part);
    MHD_stop_daemon(rxd);
    curl_easy_cleanup(http);
    fprintf(stderr, "%d replies checked against the OpenAPI document; %.1f s\n", schema_checked, now_s() - t0);
    if (kwt_failures) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "tail -n 40 %s/server.log >&2", data_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "(no server log)\n");
    } else {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", data_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", data_dir);
    }
    fprintf(stderr, "%s: %d failures\n", kwt_failures ? "FAIL" : "PASS", kwt_failures);
    return kwt_failures ? 1 : 0;
}
