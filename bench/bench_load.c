/*
 * bench load — `kalewx serve` itself, as users run it, under mixed reads and
 * writes from wrk at 64 connections: 60 s by default (--seconds N instead),
 * on SQLite and, when DATABASE_URL names a server, on PostgreSQL.
 *
 * The server is this very binary started as a child process: `kalewx serve`
 * with a temporary data directory, a free port on 127.0.0.1, a devnet with
 * 1 s blocks (so ten-block cycles open, resolve and settle during the run)
 * and rate limits wrk cannot reach, logging to serve.log in that directory
 * (the end of it is printed when something fails). It is stopped with
 * SIGTERM and must exit 0; the directory is removed afterwards either way.
 *
 * Set-up goes through the API like any client: USERS users register, log
 * in and take FAUCET KALE each from the devnet faucet; the run starts once
 * every balance arrived.
 *
 * The mix (load.lua, written next to the log): every request is the next of
 * these thirteen in turn, for the next user of its wrk thread:
 *
 *   9 reads   GET /api/v1/cycles/current, /cycles?limit=10, /daos,
 *             /weather/statistics, /me, /me/actions, /me/positions,
 *             /me/wagers, /me/transactions
 *   4 writes  POST /api/v1/actions: plant 1 KALE, store 1 KALE,
 *             wager 0.5 KALE (good and bad in turn), stay
 *
 * Expected refusals are those the game itself makes (docs/api.md):
 *
 *   409 DUPLICATE_ACTION    one action per user per KALE block: at thousands
 *                           of requests a second most writes meet this rule
 *   409 WAGER_EXISTS        one wager per user per cycle
 *   422 PHASE_CLOSED        plant, store and wager only while planting
 *   422 INSUFFICIENT_FUNDS  a stake larger than the available balance
 *
 * Any other reply that is not 2xx (400, 401, 404, 429, 5xx, or these
 * statuses with another code) and any socket error is unexpected: the
 * benchmark prints what it got and fails.
 *
 * Memory: after a warm-up of the same mix (WARMUP_S, or --seconds when
 * shorter) the server's VmRSS is read, and again after the measured run;
 * growth beyond RSS_GROWTH_MAX_PCT fails.
 *
 * Reference: the bare libmicrohttpd reply of bench/wrk.h for up to
 * REFERENCE_S seconds, with the same wrk threads and server threads.
 *
 * JSON (`kalewx bench load --json`):
 *   {connections, seconds, warmup_seconds, users, wrk_threads,
 *    reference:{rps, p50_ms, p99_ms, requests},
 *    backends:{sqlite, postgresql (when measured):
 *      {rps, p50_ms, p99_ms, requests, socket_errors,
 *       statuses:{"200": n, "201": n, ...},
 *       refusals:{"409 DUPLICATE_ACTION": n, ...}   every non-2xx by status and code,
 *       expected, unexpected,                       counts of the two kinds above,
 *       rss_before_kib, rss_after_kib, rss_growth_pct}}}
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/wrk.h"
#include "cli/client.h"

#define DEFAULT_S 60.0
#define WARMUP_S 10.0
#define REFERENCE_S 10.0
#define USERS 128
#define FAUCET "10000"
#define RSS_GROWTH_MAX_PCT 10.0
/* A throwaway server in a directory removed afterwards: the password guards nothing. */
#define PASSWORD "load-bench-password"

static const char *const expected_refusals[] = {
    "409 DUPLICATE_ACTION",
    "409 WAGER_EXISTS",
    "422 PHASE_CLOSED",
    "422 INSUFFICIENT_FUNDS",
};

typedef struct server {
    pid_t pid;
    uint16_t port;
    char dir[400];
    char log[512];
    kw_client client;
} server;

typedef struct load_ctx {
    double seconds, warmup;
    int http_threads, wrk_threads;
    const kw_wrk_result *ref;
    kw_bench_result *r;
    json_t *backends;
} load_ctx;

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int free_port(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    int rc = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                     getsockname(fd, (struct sockaddr *)&a, &n) == 0
                 ? 0
                 : KW_EIO;
    if (fd >= 0)
        close(fd);
    *port = ntohs(a.sin_port);
    return rc;
}

/* The end of the server's log on stderr, for a failure to be understood before the directory goes. */
static void show_log(const server *s)
{
    FILE *f = fopen(s->log, "r");
    if (!f)
        return;
    char lines[20][1024];
    int n = 0;
    while (fgets(lines[n % 20], sizeof lines[0], f))
        n++;
    fclose(f);
    fprintf(stderr, "kalewx bench load: the last lines of the server's log:\n");
    for (int i = n > 20 ? n - 20 : 0; i < n; i++)
        fputs(lines[i % 20], stderr);
}

/* ---- the server ---- */

/* Its whole environment: nothing of the caller's (a KALEWX_CONFIG, secrets)
 * leaks in, except how a sanitized build reports. */
static int server_env(const server *s, const kw_store_options *so, int http_threads, char vars[][4200],
                      char **env, size_t cap)
{
    size_t n = 0;
    snprintf(vars[n++], sizeof vars[0], "KALEWX_DATA_DIR=%s/data", s->dir);
    snprintf(vars[n++], sizeof vars[0], "PORT=%u", (unsigned)s->port);
    if ((size_t)snprintf(vars[n++], sizeof vars[0], "DATABASE_URL=%s", so->url) >= sizeof vars[0])
        return KW_EINVAL;
    snprintf(vars[n++], sizeof vars[0], "HTTP_THREADS=%d", http_threads);
    static const char *const fixed[] = {
        "BIND=127.0.0.1", "KALEWX_CHAIN=devnet", "DEVNET_BLOCK_SECONDS=1", "DEVNET_LEDGER_MS=100",
        "DEVNET_CROWD=10", "MONITOR_INTERVAL=100", "MINER_THREADS=1", "RATE_LIMIT_ANONYMOUS=1000000000",
        "RATE_LIMIT_USER=1000000000", "RATE_LIMIT_PREMIUM=1000000000", "KALEWX_WEB_DIR=/nonexistent",
        "PATH=/usr/bin:/bin",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        snprintf(vars[n++], sizeof vars[0], "%s", fixed[i]);
    static const char *const passed[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
    for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++) {
        const char *v = getenv(passed[i]);
        if (v && (size_t)snprintf(vars[n], sizeof vars[0], "%s=%s", passed[i], v) < sizeof vars[0])
            n++;
    }
    if (n >= cap)
        return KW_EINVAL;
    for (size_t i = 0; i < n; i++)
        env[i] = vars[i];
    env[n] = NULL;
    return 0;
}

static int start_server(server *s, const kw_store_options *so, int http_threads)
{
    static char vars[24][4200];
    char *env[24], exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0 || free_port(&s->port) != 0)
        return KW_EIO;
    exe[len] = '\0';
    int rc = server_env(s, so, http_threads, vars, env, sizeof env / sizeof env[0]);
    if (rc)
        return rc;
    char *argv[] = {"kalewx", "serve", NULL};
    pid_t parent = getpid();
    s->pid = fork();
    if (s->pid < 0)
        return KW_EIO;
    if (s->pid == 0) {
        /* The server must not outlive a benchmark that is killed. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(127);
        execve(exe, argv, env);
        _exit(127);
    }
    snprintf(s->client.server, sizeof s->client.server, "http://127.0.0.1:%u", (unsigned)s->port);
    s->client.timeout_ms = 30000;
    return 0;
}

/* Waits for /ready: the database is up and the engine published the current cycle. */
static int wait_ready(server *s)
{
    double t0 = kw_bench_now();
    for (;;) {
        kw_reply rep;
        s->client.token[0] = '\0';
        int rc = kw_client_request(&s->client, "GET", "/ready", NULL, &rep);
        long status = rep.status;
        kw_reply_free(&rep);
        if (rc == 0 && status == 200)
            return 0;
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            fprintf(stderr, "kalewx bench load: kalewx serve exited early (status %d)\n", st);
            return KW_EIO;
        }
        if (kw_bench_now() - t0 > 60) {
            fprintf(stderr, "kalewx bench load: kalewx serve not ready after 60 s\n");
            return KW_ETRANSIENT;
        }
        pause_ms(100);
    }
}

/* SIGTERM, and a clean exit within 30 s; otherwise SIGKILL and a failure. */
static int stop_server(server *s)
{
    if (s->pid <= 0)
        return 0;
    kill(s->pid, SIGTERM);
    double t0 = kw_bench_now();
    int st = 0;
    pid_t got;
    while ((got = waitpid(s->pid, &st, WNOHANG)) == 0 && kw_bench_now() - t0 < 30)
        pause_ms(50);
    int rc = 0;
    if (got == 0) {
        fprintf(stderr, "kalewx bench load: kalewx serve did not stop within 30 s of SIGTERM\n");
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &st, 0);
        rc = KW_EIO;
    } else if (got < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "kalewx bench load: kalewx serve ended with status %d after SIGTERM\n", st);
        rc = KW_EIO;
    }
    s->pid = 0;
    return rc;
}

static int rss_kib(pid_t pid, long *kib)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return KW_EIO;
    int rc = KW_ENOTFOUND;
    while (rc && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", kib) == 1)
            rc = 0;
    fclose(f);
    return rc;
}

/* ---- users, through the API ---- */

/* method path with body as the user whose token c holds; 0 when the status is want. */
static int call(kw_client *c, const char *method, const char *path, json_t *body, long want, kw_reply *rep)
{
    int rc = kw_client_request(c, method, path, body, rep);
    json_decref(body);
    if (rc == 0 && rep->status == want)
        return 0;
    fprintf(stderr, "kalewx bench load: %s %s: %ld %s %s\n", method, path, rep->status, rep->code, rep->error);
    kw_reply_free(rep);
    return rc ? rc : KW_EIO;
}

static const char *data_str(const kw_reply *rep, const char *key)
{
    return json_string_value(json_object_get(json_object_get(rep->body, "data"), key));
}

/* Registers and logs in user i, asks the faucet for KALE and writes the token to f. */
static int add_user(kw_client *c, int i, FILE *f)
{
    char name[32];
    snprintf(name, sizeof name, "load_%03d", i);
    kw_reply rep;
    c->token[0] = '\0';
    int rc = call(c, "POST", "/api/v1/users", json_pack("{s:s,s:s}", "username", name, "password", PASSWORD), 201,
                  &rep);
    if (rc)
        return rc;
    kw_reply_free(&rep);
    if ((rc = call(c, "POST", "/api/v1/auth/token",
                   json_pack("{s:s,s:s}", "username", name, "password", PASSWORD), 200, &rep)) != 0)
        return rc;
    const char *token = data_str(&rep, "token");
    if (!token || (size_t)snprintf(c->token, sizeof c->token, "%s", token) >= sizeof c->token)
        rc = KW_EINVAL;
    kw_reply_free(&rep);
    if (rc == 0 && (rc = call(c, "POST", "/api/v1/devnet/faucet", json_pack("{s:s}", "amount", FAUCET), 202,
                              &rep)) == 0) {
        kw_reply_free(&rep);
        rc = fprintf(f, "%s\n", c->token) > 0 ? 0 : KW_EIO;
    }
    return rc;
}

/* Waits until the faucet's KALE reached the user whose token c holds. */
static int wait_funded(kw_client *c, double deadline)
{
    for (;;) {
        kw_reply rep;
        int rc = call(c, "GET", "/api/v1/me", NULL, 200, &rep);
        if (rc)
            return rc;
        const char *avail = json_string_value(
            json_object_get(json_object_get(json_object_get(rep.body, "data"), "balances"), "available"));
        bool funded = avail && strcmp(avail, "0.0000000") != 0;
        kw_reply_free(&rep);
        if (funded)
            return 0;
        if (kw_bench_now() > deadline) {
            fprintf(stderr, "kalewx bench load: the faucet's KALE did not arrive within 60 s\n");
            return KW_ETRANSIENT;
        }
        pause_ms(100);
    }
}

static int add_users(server *s, const char *tokens)
{
    FILE *f = fopen(tokens, "w");
    if (!f)
        return KW_EIO;
    int rc = 0;
    for (int i = 0; i < USERS && rc == 0; i++)
        rc = add_user(&s->client, i, f);
    if (fclose(f) != 0 && rc == 0)
        rc = KW_EIO;
    if (rc)
        return rc;
    double deadline = kw_bench_now() + 60;
    f = fopen(tokens, "r");
    if (!f)
        return KW_EIO;
    while (rc == 0 && fgets(s->client.token, sizeof s->client.token, f)) {
        s->client.token[strcspn(s->client.token, "\n")] = '\0';
        rc = wait_funded(&s->client, deadline);
    }
    fclose(f);
    explicit_bzero(s->client.token, sizeof s->client.token);
    return rc;
}

/* ---- the wrk script ---- */

/* The mix of the header; its length is prime so every user meets every entry. */
static const char script_body[] =
    "local threads = {}\n"
    "function setup(thread)\n"
    "  thread:set(\"id\", #threads)\n"
    "  threads[#threads + 1] = thread\n"
    "end\n"
    "local mix = {\n"
    "  {\"GET\", \"/api/v1/cycles/current\"}, {\"GET\", \"/api/v1/me\"},\n"
    "  {\"POST\", '{\"type\":\"agriculture\",\"agriculture_type\":\"plant\",\"amount\":\"1\"}'},\n"
    "  {\"GET\", \"/api/v1/cycles?limit=10\"}, {\"GET\", \"/api/v1/me/actions?limit=20\"},\n"
    "  {\"POST\", '{\"type\":\"agriculture\",\"agriculture_type\":\"store\",\"amount\":\"1\"}'},\n"
    "  {\"GET\", \"/api/v1/daos\"}, {\"GET\", \"/api/v1/me/positions?limit=20\"},\n"
    "  {\"POST\", \"wager\"},\n"
    "  {\"GET\", \"/api/v1/weather/statistics\"}, {\"GET\", \"/api/v1/me/wagers?limit=20\"},\n"
    "  {\"POST\", '{\"type\":\"stay\"}'},\n"
    "  {\"GET\", \"/api/v1/me/transactions?limit=20\"},\n"
    "}\n"
    "local wagers = {'{\"type\":\"wager\",\"direction\":\"good\",\"amount\":\"0.5\"}',\n"
    "                '{\"type\":\"wager\",\"direction\":\"bad\",\"amount\":\"0.5\"}'}\n"
    "function init(args)\n"
    "  tokens = {}\n"
    "  for line in io.lines(tokens_file) do tokens[#tokens + 1] = \"Bearer \" .. line end\n"
    "  step = tonumber(args[1])\n"
    "  user = id + 1\n"
    "  turn = id % #mix\n"
    "  flip = 1\n"
    "  statuses = {}\n"
    "  refusals = {}\n"
    "end\n"
    "function request()\n"
    "  local auth = tokens[user]\n"
    "  user = user + step\n"
    "  if user > #tokens then user = id + 1 end\n"
    "  turn = turn % #mix + 1\n"
    "  local m = mix[turn]\n"
    "  if m[1] == \"GET\" then\n"
    "    return wrk.format(\"GET\", m[2], {[\"Authorization\"] = auth})\n"
    "  end\n"
    "  local body = m[2]\n"
    "  if body == \"wager\" then flip = 3 - flip; body = wagers[flip] end\n"
    "  return wrk.format(\"POST\", \"/api/v1/actions\",\n"
    "    {[\"Authorization\"] = auth, [\"Content-Type\"] = \"application/json\"}, body)\n"
    "end\n"
    "function response(status, headers, body)\n"
    "  local s = tostring(status)\n"
    "  statuses[s] = (statuses[s] or 0) + 1\n"
    "  if status < 200 or status > 299 then\n"
    "    local code = body and string.match(body, '\"code\"%s*:%s*\"([%u_]+)\"') or \"NONE\"\n"
    "    local k = s .. \" \" .. code\n"
    "    refusals[k] = (refusals[k] or 0) + 1\n"
    "  end\n"
    "end\n"
    "local function object(t)\n"
    "  local parts = {}\n"
    "  for k, v in pairs(t) do parts[#parts + 1] = string.format('\"%s\":%d', k, v) end\n"
    "  return \"{\" .. table.concat(parts, \",\") .. \"}\"\n"
    "end\n"
    "function done(summary, latency, requests)\n"
    "  local statuses, refusals = {}, {}\n"
    "  for _, t in ipairs(threads) do\n"
    "    for k, v in pairs(t:get(\"statuses\")) do statuses[k] = (statuses[k] or 0) + v end\n"
    "    for k, v in pairs(t:get(\"refusals\")) do refusals[k] = (refusals[k] or 0) + v end\n"
    "  end\n"
    "  local e = summary.errors\n"
    "  io.write(string.format('{\"requests\":%d,\"duration_us\":%d,\"rps\":%.1f,\"p50_us\":%d,\"p99_us\":%d,'\n"
    "    .. '\"socket_errors\":%d,\"statuses\":%s,\"refusals\":%s}\\n',\n"
    "    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),\n"
    "    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout,\n"
    "    object(statuses), object(refusals)))\n"
    "end\n";

static int write_script(const char *path, const char *tokens)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return KW_EIO;
    fprintf(f, "-- kalewx bench load: the mix of reads and writes (bench/bench_load.c)\n"
               "local tokens_file = \"%s\"\n%s",
            tokens, script_body);
    return fclose(f) == 0 ? 0 : KW_EIO;
}

/* ---- one run of the mix ---- */

typedef struct mix_result {
    double rps, p50_ms, p99_ms;
    long requests, socket_errors, expected, unexpected;
    json_t *statuses, *refusals;  /* owned */
} mix_result;

static bool is_expected(const char *refusal)
{
    for (size_t i = 0; i < sizeof expected_refusals / sizeof expected_refusals[0]; i++)
        if (strcmp(refusal, expected_refusals[i]) == 0)
            return true;
    return false;
}

/* Runs the mix and sorts its replies; unexpected ones are printed and fail it. */
static int run_mix(const server *s, const char *script, double seconds, int wrk_threads, const char *what,
                   mix_result *m)
{
    kw_wrk_result w;
    *m = (mix_result){0};
    int rc = kw_wrk_run(s->port, "/", script, seconds, wrk_threads, "load", &w);
    json_t *rep = w.report;
    if (rc == 0 && !rep) {
        fprintf(stderr, "kalewx bench load: the wrk script printed no report\n");
        rc = KW_EIO;
    }
    if (rc) {
        kw_wrk_result_free(&w);
        return rc;
    }
    m->requests = (long)json_integer_value(json_object_get(rep, "requests"));
    m->rps = json_number_value(json_object_get(rep, "rps"));
    m->p50_ms = json_number_value(json_object_get(rep, "p50_us")) / 1000;
    m->p99_ms = json_number_value(json_object_get(rep, "p99_us")) / 1000;
    m->socket_errors = (long)json_integer_value(json_object_get(rep, "socket_errors"));
    m->statuses = json_incref(json_object_get(rep, "statuses"));
    m->refusals = json_incref(json_object_get(rep, "refusals"));
    m->unexpected = m->socket_errors;
    const char *key;
    json_t *n;
    json_object_foreach(m->refusals, key, n) {
        if (is_expected(key)) {
            m->expected += (long)json_integer_value(n);
        } else {
            m->unexpected += (long)json_integer_value(n);
            fprintf(stderr, "kalewx bench load: %s: unexpected reply %s, %lld times\n", what, key,
                    (long long)json_integer_value(n));
        }
    }
    kw_wrk_result_free(&w);
    if (!json_is_object(m->statuses) || !json_is_object(m->refusals) || m->requests <= 0)
        return KW_EIO;
    if (m->socket_errors)
        fprintf(stderr, "kalewx bench load: %s: %ld socket errors\n", what, m->socket_errors);
    return m->unexpected ? KW_EINTERNAL : 0;
}

static void mix_free(mix_result *m)
{
    json_decref(m->statuses);
    json_decref(m->refusals);
}

/* ---- one backend ---- */

static void add_rows(const load_ctx *c, const char *db, const mix_result *m, long before, long after,
                     double growth)
{
    const char *ref_name = "bare libmicrohttpd reply";
    const kw_wrk_result *ref = c->ref;
    char metric[80];
    snprintf(metric, sizeof metric, "%s mix: requests/s", db);
    kw_bench_row_add(c->r, metric, m->rps, "req/s", m->rps / ref->rps, ref_name);
    snprintf(metric, sizeof metric, "%s mix: p50 latency", db);
    kw_bench_row_add(c->r, metric, m->p50_ms, "ms", ref->p50_ms > 0 ? m->p50_ms / ref->p50_ms : 0, ref_name);
    snprintf(metric, sizeof metric, "%s mix: p99 latency", db);
    kw_bench_row_add(c->r, metric, m->p99_ms, "ms", ref->p99_ms > 0 ? m->p99_ms / ref->p99_ms : 0, ref_name);
    snprintf(metric, sizeof metric, "%s mix: actions accepted (201)", db);
    kw_bench_row_add(c->r, metric, (double)json_integer_value(json_object_get(m->statuses, "201")), "replies", 0,
                     NULL);
    snprintf(metric, sizeof metric, "%s mix: expected refusals (409/422)", db);
    kw_bench_row_add(c->r, metric, (double)m->expected, "replies", 0, NULL);
    snprintf(metric, sizeof metric, "%s mix: unexpected replies", db);
    kw_bench_row_add(c->r, metric, (double)m->unexpected, "replies", 0, NULL);
    snprintf(metric, sizeof metric, "%s server RSS before", db);
    kw_bench_row_add(c->r, metric, (double)before, "KiB", 0, NULL);
    snprintf(metric, sizeof metric, "%s server RSS after", db);
    kw_bench_row_add(c->r, metric, (double)after, "KiB", 0, NULL);
    snprintf(metric, sizeof metric, "%s server RSS growth", db);
    kw_bench_row_add(c->r, metric, growth, "%", 0, NULL);
}

static int load_db(const kw_store_options *so, const char *db, void *ctx)
{
    load_ctx *c = ctx;
    server s = {0};
    char tokens[512], script[512];
    mix_result warm = {0}, m = {0};
    long before = 0, after = 0;
    snprintf(s.dir, sizeof s.dir, "%s", so->data_dir);
    snprintf(s.log, sizeof s.log, "%s/serve.log", s.dir);
    snprintf(tokens, sizeof tokens, "%s/tokens", s.dir);
    snprintf(script, sizeof script, "%s/load.lua", s.dir);
    int rc = start_server(&s, so, c->http_threads);
    if (rc == 0)
        rc = wait_ready(&s);
    if (rc == 0)
        rc = add_users(&s, tokens);
    if (rc == 0)
        rc = write_script(script, tokens);
    if (rc == 0)
        rc = run_mix(&s, script, c->warmup, c->wrk_threads, "warm-up", &warm);
    if (rc == 0)
        rc = rss_kib(s.pid, &before);
    if (rc == 0)
        rc = run_mix(&s, script, c->seconds, c->wrk_threads, db, &m);
    /* Read even after a failed run: the numbers explain it. */
    if (m.requests > 0 && rss_kib(s.pid, &after) != 0 && rc == 0)
        rc = KW_EIO;
    int stop = stop_server(&s);
    if (m.requests > 0) {
        double growth = before > 0 ? 100.0 * (double)(after - before) / (double)before : 0;
        add_rows(c, db, &m, before, after, growth);
        json_object_set_new(
            c->backends, db,
            json_pack("{s:f,s:f,s:f,s:I,s:I,s:O,s:O,s:I,s:I,s:I,s:I,s:f}", "rps", m.rps, "p50_ms", m.p50_ms,
                      "p99_ms", m.p99_ms, "requests", (json_int_t)m.requests, "socket_errors",
                      (json_int_t)m.socket_errors, "statuses", m.statuses, "refusals", m.refusals, "expected",
                      (json_int_t)m.expected, "unexpected", (json_int_t)m.unexpected, "rss_before_kib",
                      (json_int_t)before, "rss_after_kib", (json_int_t)after, "rss_growth_pct", growth));
        if (rc == 0 && growth > RSS_GROWTH_MAX_PCT) {
            fprintf(stderr, "kalewx bench load: %s: the server's RSS grew by %.1f %% (%ld → %ld KiB) during the "
                            "run, more than %.0f %%\n", db, growth, before, after, RSS_GROWTH_MAX_PCT);
            rc = KW_EINTERNAL;
        }
    }
    rc = rc ? rc : stop;
    if (rc)
        show_log(&s);
    mix_free(&warm);
    mix_free(&m);
    return rc;
}

int kw_bench_load(const kw_bench_opts *o, kw_bench_result *r)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    load_ctx c = {
        .seconds = o->seconds_given ? (o->seconds < 1 ? 1 : o->seconds) : DEFAULT_S,
        .http_threads = o->threads > 0 ? o->threads : (int)(cores > 0 ? cores : 1),
        .wrk_threads = cores > 1 ? (int)cores : 1,
        .r = r,
        .backends = json_object(),
    };
    c.warmup = c.seconds < WARMUP_S ? c.seconds : WARMUP_S;
    kw_wrk_result ref;
    double ref_s = c.seconds < REFERENCE_S ? c.seconds : REFERENCE_S;
    int rc = kw_wrk_bare((unsigned)c.http_threads, ref_s, c.wrk_threads, "load", &ref);
    if (rc == 0 && ref.socket_errors)
        rc = KW_EIO;
    if (rc == 0) {
        c.ref = &ref;
        kw_bench_row_add(r, "bare reply: requests/s", ref.rps, "req/s", 0, NULL);
        kw_bench_row_add(r, "bare reply: p50 latency", ref.p50_ms, "ms", 0, NULL);
        kw_bench_row_add(r, "bare reply: p99 latency", ref.p99_ms, "ms", 0, NULL);
        rc = kw_bench_each_db(o, "load", load_db, &c);
    }
    r->json = json_pack("{s:i,s:f,s:f,s:i,s:i,s:{s:f,s:f,s:f,s:I},s:o}", "connections", KW_WRK_CONNECTIONS,
                        "seconds", c.seconds, "warmup_seconds", c.warmup, "users", USERS, "wrk_threads",
                        c.wrk_threads, "reference", "rps", ref.rps, "p50_ms", ref.p50_ms, "p99_ms", ref.p99_ms,
                        "requests", (json_int_t)ref.requests, "backends", c.backends);
    kw_wrk_result_free(&ref);
    return rc;
}
