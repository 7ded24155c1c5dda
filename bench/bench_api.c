/*
 * bench api — HTTP throughput and latency with wrk at 64 connections.
 *
 * Reference: a bare libmicrohttpd server in this process (same epoll thread
 * pool, answer on the second callback, one static buffer of the size of a
 * /cycles/current reply). Subjects, against a running engine (devnet, 1 s
 * blocks, the API exactly as `kalewx serve` starts it) on SQLite and — when
 * DATABASE_URL names one — PostgreSQL:
 *
 *   GET  /api/v1/cycles/current   the engine's in-memory document
 *   POST /api/v1/actions          {"type":"stay"} from 20,000 users in turn,
 *                                 each a write transaction (action, outbox
 *                                 event) behind JWT authentication
 *
 * A user may act once per block, so the users take turns; the output says
 * how many actions were accepted and how many refused (a refusal runs the
 * same transaction and rolls it back). Rate limits stay on with limits wrk
 * cannot reach, so their cost is measured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "bench/bench.h"
#include "bench/wrk.h"
#include "crypto/jwt.h"
#include "obs/log.h"
#include "store/ledger.h"

#define USERS 20000
#define PG_SCHEMA "kalewx_bench_api"

/* Socket errors fail this benchmark: every request here can be answered. */
static int measure(uint16_t port, const char *path, const char *script, double seconds, int threads,
                   kw_wrk_result *out)
{
    int rc = kw_wrk_run(port, path, script, seconds, threads, "api", out);
    return rc ? rc : out->socket_errors ? KW_EIO : 0;
}

static int set(kw_config *cfg, const char *name, const char *value)
{
    kw_config_key k;
    kw_err e;
    return kw_config_lookup(name, &k) == 0 ? kw_config_set(cfg, k, value, KW_SRC_FLAG, &e) : KW_EINVAL;
}

static json_t *result_json(const kw_wrk_result *w, const kw_wrk_result *ref)
{
    return json_pack("{s:f,s:f,s:f,s:I,s:I,s:f}", "requests_per_second", w->rps, "p50_ms", w->p50_ms, "p99_ms",
                     w->p99_ms, "requests", (json_int_t)w->requests, "non_2xx", (json_int_t)w->non_2xx,
                     "throughput_ratio", ref ? w->rps / ref->rps : 1.0);
}

/* ---- users for the actions ---- */

static const kw_sql SQL_USER = {
    .sql = "INSERT INTO users (username, password_hash, tier, is_admin, created_at, updated_at) "
           "VALUES ($1, '!', 'user', $2, $3, $3) RETURNING id"};

typedef struct seed {
    int64_t first, now;
} seed;

/* USERS users that cannot log in (no password hash matches "!"); their tokens are issued directly. */
static int seed_tx(kw_db *db, void *ctx, kw_err *err)
{
    seed *s = ctx;
    int rc = 0;
    for (int i = 0; i < USERS && rc == 0; i++) {
        char name[32];
        int64_t id;
        snprintf(name, sizeof name, "bench_%05d", i);
        rc = kw_db_query_int(db, &SQL_USER, KW_ARGS(KW_T(name), KW_I(0), KW_I(s->now)), &id, err);
        if (rc == 0 && i == 0)
            s->first = id;
        if (rc == 0)
            rc = kw_ledger_open_user(db, id, s->now, err);
    }
    return rc;
}

/* Writes one token per line to path, and a wrk script posting stays with them in turn. */
static int write_tokens(kw_app *app, int64_t first, const char *dir, char *script, size_t cap)
{
    char tokens[512];
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    snprintf(script, cap, "%s/actions.lua", dir);
    FILE *f = fopen(tokens, "w");
    if (!f)
        return KW_EIO;
    int64_t now = kw_clock_now_ms(app->engine->clock) / 1000;
    int rc = 0;
    for (int i = 0; i < USERS && rc == 0; i++) {
        char sub[24], tok[KW_JWT_BUFSZ];
        snprintf(sub, sizeof sub, "%lld", (long long)(first + i));
        rc = kw_jwt_issue(app->token_key.bytes, app->token_key.len, sub, KW_ACCESS_USER, KW_ACCESS_ROLE_USER, now, tok,
                          NULL);
        if (rc == 0)
            fprintf(f, "%s\n", tok);
    }
    if (fclose(f) != 0 || rc)
        return rc ? rc : KW_EIO;
    FILE *s = fopen(script, "w");
    if (!s)
        return KW_EIO;
    fprintf(s,
            "local n = 0\n"
            "function setup(thread) thread:set(\"tid\", n); n = n + 1 end\n"
            "function init(args)\n"
            "  tokens = {}\n"
            "  for line in io.lines(\"%s\") do tokens[#tokens + 1] = line end\n"
            "  step = tonumber(args[1]); i = tid + 1\n"
            "end\n"
            "function request()\n"
            "  local t = tokens[i]\n"
            "  i = i + step\n"
            "  if i > #tokens then i = tid + 1 end\n"
            "  return wrk.format(\"POST\", \"/api/v1/actions\", {[\"Authorization\"] = \"Bearer \" .. t,\n"
            "    [\"Content-Type\"] = \"application/json\"}, '{\"type\":\"stay\"}')\n"
            "end\n",
            tokens);
    return fclose(s) == 0 ? 0 : KW_EIO;
}

/* ---- one backend ---- */

static const kw_sql SQL_DROP_SCHEMA = {.sql = "DROP SCHEMA IF EXISTS " PG_SCHEMA " CASCADE"};
static const kw_sql SQL_CREATE_SCHEMA = {.sql = "CREATE SCHEMA " PG_SCHEMA};

/* A fresh schema of its own on the PostgreSQL server of url (dropped with drop). */
static int pg_schema(const char *url, bool drop, char *out, size_t cap, kw_err *err)
{
    kw_store_options so = {.url = url, .pool_size = 1};
    kw_store *st;
    kw_db *db;
    int rc = kw_store_open(&so, &st, err);
    if (rc)
        return rc;
    if ((rc = kw_store_acquire(st, KW_DB_WRITE, &db, err)) == 0) {
        rc = kw_db_exec(db, &SQL_DROP_SCHEMA, KW_NOARGS, NULL, err);
        if (rc == 0 && !drop)
            rc = kw_db_exec(db, &SQL_CREATE_SCHEMA, KW_NOARGS, NULL, err);
        kw_store_release(st, db);
    }
    kw_store_close(st);
    if (out)
        snprintf(out, cap, "%s%coptions=-csearch_path%%3D" PG_SCHEMA, url, strchr(url, '?') ? '&' : '?');
    return rc;
}

typedef struct measured {
    kw_wrk_result current, actions;
} measured;

static int measure_backend(const char *url, unsigned threads, int wrk_threads, double seconds, measured *m)
{
    char dir[] = "/tmp/kalewx-bench-api-XXXXXX", data[600], nthreads[16], script[600], db_url[2048] = "";
    if (!mkdtemp(dir))
        return KW_EIO;
    kw_config cfg;
    kw_err err = {0};
    kw_engine *e = NULL;
    kw_app *app = NULL;
    bool pg = url && *url;
    int rc = kw_config_init(&cfg);
    if (rc)
        return rc;
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(nthreads, sizeof nthreads, "%u", threads);
    if (pg && (rc = pg_schema(url, false, db_url, sizeof db_url, &err)) != 0)
        goto fail;
    static const char *const fixed[][2] = {
        {"BIND", "127.0.0.1"}, {"RATE_LIMIT_ANONYMOUS", "1000000000"}, {"RATE_LIMIT_USER", "1000000000"},
        {"KALEWX_WEB_DIR", "/nonexistent"}, {"DEVNET_BLOCK_SECONDS", "1"}, {"DEVNET_LEDGER_MS", "100"},
        {"DEVNET_CROWD", "10"}, {"CYCLE_LENGTH", "100"}, {"PLANTING_BLOCKS", "97"}, {"WORKING_BLOCKS", "1"},
        {"REVEALING_BLOCKS", "1"}, {"SETTLING_BLOCKS", "1"}, {"MINER_THREADS", "1"}, {"MONITOR_INTERVAL", "200"},
    };
    for (size_t i = 0; rc == 0 && i < sizeof fixed / sizeof fixed[0]; i++)
        rc = set(&cfg, fixed[i][0], fixed[i][1]);
    if (rc || (rc = set(&cfg, "KALEWX_DATA_DIR", data)) || (rc = set(&cfg, "HTTP_THREADS", nthreads)) ||
        (rc = set(&cfg, "DATABASE_URL", db_url)))
        goto fail;
    if ((rc = kw_engine_open(&cfg, NULL, &e, &err)) || (rc = kw_app_start(&cfg, e, 0, &app, &err)) ||
        (rc = kw_engine_start(e, &err)))
        goto fail;
    seed s = {.now = kw_clock_now_ms(e->clock)};
    if ((rc = kw_store_tx(e->store, seed_tx, &s, &err)) != 0 || (rc = write_tokens(app, s.first, dir, script, sizeof script)))
        goto fail;
    kw_err ready = {0};
    double t0 = kw_bench_now();
    while (kw_api_ready(app->api, &ready) != 0 && kw_bench_now() - t0 < 30)
        usleep(50000);
    uint16_t port = kw_api_port(app->api);
    if ((rc = measure(port, "/api/v1/cycles/current", NULL, seconds, wrk_threads, &m->current)) == 0)
        rc = measure(port, "/api/v1/actions", script, seconds, wrk_threads, &m->actions);
fail:
    if (rc && err.msg[0])
        fprintf(stderr, "kalewx bench api: %s\n", err.msg);
    kw_app_stop(app);
    kw_engine_close(e);
    if (pg && pg_schema(url, true, NULL, 0, &err) != 0)
        fprintf(stderr, "kalewx bench api: could not drop schema " PG_SCHEMA ": %s\n", err.msg);
    kw_config_free(&cfg);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "kalewx bench api: could not remove %s\n", dir);
    return rc;
}

static void add_rows(kw_bench_result *r, const char *backend, const measured *m, const kw_wrk_result *ref)
{
    const char *ref_name = "bare libmicrohttpd reply";
    const struct {
        const char *what;
        const kw_wrk_result *w;
    } subjects[] = {{"GET /cycles/current", &m->current}, {"POST /actions", &m->actions}};
    for (size_t i = 0; i < 2; i++) {
        char metric[80];
        const kw_wrk_result *w = subjects[i].w;
        snprintf(metric, sizeof metric, "%s %s: requests/s", backend, subjects[i].what);
        kw_bench_row_add(r, metric, w->rps, "req/s", w->rps / ref->rps, ref_name);
        snprintf(metric, sizeof metric, "%s %s: p50 latency", backend, subjects[i].what);
        kw_bench_row_add(r, metric, w->p50_ms, "ms", ref->p50_ms > 0 ? w->p50_ms / ref->p50_ms : 0, ref_name);
        snprintf(metric, sizeof metric, "%s %s: p99 latency", backend, subjects[i].what);
        kw_bench_row_add(r, metric, w->p99_ms, "ms", ref->p99_ms > 0 ? w->p99_ms / ref->p99_ms : 0, ref_name);
    }
    char metric[80];
    snprintf(metric, sizeof metric, "%s POST /actions: accepted", backend);
    kw_bench_row_add(r, metric, m->actions.requests ? 100.0 * (double)(m->actions.requests - m->actions.non_2xx) /
                                                          (double)m->actions.requests
                                                    : 0,
                     "%", 0, NULL);
}

int kw_bench_api(const kw_bench_opts *o, kw_bench_result *r)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = o->threads > 0 ? (unsigned)o->threads : (unsigned)(cores > 0 ? cores : 1);
    int wrk_threads = cores > 1 ? (int)cores : 1;
    double seconds = o->seconds < 1 ? 1 : o->seconds;
    kw_wrk_result ref;
    kw_log_setup(KW_LOG_ERROR, "bench", 2);
    int rc = kw_wrk_bare(threads, seconds, wrk_threads, "api", &ref);
    if (rc == 0 && ref.socket_errors)
        rc = KW_EIO;
    if (rc)
        return rc;
    kw_bench_row_add(r, "bare reply: requests/s", ref.rps, "req/s", 0, NULL);
    kw_bench_row_add(r, "bare reply: p50 latency", ref.p50_ms, "ms", 0, NULL);
    kw_bench_row_add(r, "bare reply: p99 latency", ref.p99_ms, "ms", 0, NULL);
    json_t *backends = json_object();
    const char *url = o->cfg ? kw_config_str(o->cfg, KW_CFG_DATABASE_URL) : "";
    bool pg = strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
    const struct {
        const char *name, *url;
    } runs[] = {{"sqlite", ""}, {"postgresql", url}};
    for (size_t i = 0; i < (pg ? 2u : 1u) && rc == 0; i++) {
        measured m;
        if ((rc = measure_backend(runs[i].url, threads, wrk_threads, seconds, &m)) != 0)
            break;
        add_rows(r, runs[i].name, &m, &ref);
        json_object_set_new(backends, runs[i].name,
                            json_pack("{s:o,s:o}", "cycles_current", result_json(&m.current, &ref), "actions",
                                      result_json(&m.actions, &ref)));
    }
    if (!pg && rc == 0)
        fprintf(stderr, "kalewx bench api: DATABASE_URL names no PostgreSQL server; measured SQLite only "
                        "(tests/pg_env.sh --optional kalewx bench api measures both)\n");
    r->json = json_pack("{s:i,s:i,s:i,s:f,s:i,s:o,s:o}", "connections", KW_WRK_CONNECTIONS, "server_threads", (int)threads,
                        "wrk_threads", wrk_threads, "seconds", seconds, "action_users", USERS, "bare_reply",
                        result_json(&ref, NULL), "backends", backends);
    return rc;
}
