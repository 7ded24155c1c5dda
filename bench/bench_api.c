/*
 * bench api — HTTP throughput and latency with wrk at 64 connections.
 *
 * Reference: a bare libmicrohttpd server in this process (same epoll thread
 * pool, answer on the second callback, one static buffer). Subject: our
 * server (router, auth, rate limit, security headers, envelope, metrics)
 * answering with an in-memory JSON document. Until the engine publishes its
 * snapshot this document stands in for GET /api/v1/cycles/current, and the
 * output says so. Rate limiting stays on with a limit wrk cannot reach, so
 * its cost is measured.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "bench/bench.h"
#include "obs/log.h"

#define CONNECTIONS 64
#define PATH "/bench/static-document"

/* Shaped like a /api/v1/cycles/current reply. */
static const char document[] =
    "{\"cycle\":{\"id\":1234,\"start_block\":12340,\"end_block\":12349,\"current_block\":12343,"
    "\"phase\":\"planting\",\"block_in_cycle\":3,\"blocks_remaining\":7,\"phase_progress\":0.5},"
    "\"participants\":{\"total\":87,\"farmers\":61,\"wagerers\":26},"
    "\"actions_available\":[\"agriculture\",\"wager\",\"stay\"],"
    "\"dao\":{\"commitments\":[],\"sentiment\":null}}";

typedef struct wrk_result {
    double rps, p50_ms, p99_ms;
} wrk_result;

static enum MHD_Result bare_reply(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
    static int first;
    if (!*con_cls) {
        *con_cls = &first;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof document - 1, (void *)document, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_add_response_header(r, "Content-Type", "application/json")
                              ? MHD_queue_response(conn, MHD_HTTP_OK, r)
                              : MHD_NO;
    MHD_destroy_response(r);
    return ret;
}

static int document_route(const kw_http_req *req, kw_http_res *res)
{
    (void)req;
    return kw_http_json_raw(res, 200, document, sizeof document - 1);
}

static int add_routes(void *ctx, kw_router *r, kw_err *err)
{
    (void)ctx;
    return kw_router_add(r,
                         &(kw_route){"GET", PATH, document_route, KW_ROUTE_PUBLIC, 0, NULL,
                                     "static in-memory JSON document (stand-in for /api/v1/cycles/current)"},
                         err);
}

/* "1.23ms" → milliseconds. */
static double to_ms(const char *v)
{
    char *end;
    double x = strtod(v, &end);
    if (strncmp(end, "us", 2) == 0)
        return x / 1000;
    if (strncmp(end, "ms", 2) == 0)
        return x;
    if (*end == 's')
        return x * 1000;
    return x;
}

static int run_wrk(uint16_t port, const char *path, double seconds, int threads, wrk_result *out)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "wrk -t%d -c%d -d%.0fs --latency http://127.0.0.1:%u%s 2>&1", threads, CONNECTIONS,
             seconds, (unsigned)port, path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return KW_EIO;
    char line[256];
    *out = (wrk_result){0};
    bool errors = false;
    while (fgets(line, sizeof line, p)) {
        char v[32];
        if (sscanf(line, " 50%% %31s", v) == 1)
            out->p50_ms = to_ms(v);
        else if (sscanf(line, " 99%% %31s", v) == 1)
            out->p99_ms = to_ms(v);
        else if (sscanf(line, "Requests/sec: %lf", &out->rps) == 1)
            continue;
        else if (strstr(line, "Non-2xx") || strstr(line, "Socket errors"))
            errors = true, fprintf(stderr, "kalewx bench api: wrk: %s", line);
    }
    int status = pclose(p);
    if (status != 0 || out->rps <= 0) {
        fprintf(stderr, "kalewx bench api: wrk failed (is the Debian package wrk installed? scripts/bootstrap "
                        "installs it)\n");
        return KW_EIO;
    }
    return errors ? KW_EIO : 0;
}

static int start_bare(unsigned threads, struct MHD_Daemon **out, uint16_t *port)
{
    *out = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, bare_reply,
                            NULL, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, 1024u,
                            MHD_OPTION_END);
    if (!*out)
        return KW_EIO;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(*out, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : 0;
    return *port ? 0 : KW_EIO;
}

static int set(kw_config *cfg, const char *name, const char *value)
{
    kw_config_key k;
    kw_err e;
    return kw_config_lookup(name, &k) == 0 ? kw_config_set(cfg, k, value, KW_SRC_FLAG, &e) : KW_EINVAL;
}

static json_t *result_json(const wrk_result *w)
{
    return json_pack("{s:f,s:f,s:f}", "requests_per_second", w->rps, "p50_ms", w->p50_ms, "p99_ms", w->p99_ms);
}

int kw_bench_api(const kw_bench_opts *o, kw_bench_result *r)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = o->threads > 0 ? (unsigned)o->threads : (unsigned)(cores > 0 ? cores : 1);
    int wrk_threads = cores > 1 ? (int)cores : 1;
    double seconds = o->seconds < 1 ? 1 : o->seconds;
    struct MHD_Daemon *bare = NULL;
    kw_api *api = NULL;
    kw_config cfg;
    kw_err err = {0};
    wrk_result ref, ours;
    uint16_t port;
    int rc = kw_config_init(&cfg);
    if (rc)
        return rc;
    kw_log_setup(KW_LOG_WARN, "bench", 2);
    char nthreads[16];
    snprintf(nthreads, sizeof nthreads, "%u", threads);
    if ((rc = set(&cfg, "BIND", "127.0.0.1")) || (rc = set(&cfg, "HTTP_THREADS", nthreads)) ||
        (rc = set(&cfg, "RATE_LIMIT_ANONYMOUS", "1000000000")) || (rc = set(&cfg, "KALEWX_WEB_DIR", "/nonexistent")))
        goto fail;
    if ((rc = start_bare(threads, &bare, &port)) != 0) {
        fprintf(stderr, "kalewx bench api: cannot start the bare libmicrohttpd server\n");
        goto fail;
    }
    if ((rc = run_wrk(port, "/", seconds, wrk_threads, &ref)) != 0)
        goto fail;
    MHD_stop_daemon(bare);
    bare = NULL;
    kw_api_hooks hooks = {.add_routes = add_routes};
    if ((rc = kw_api_start(&cfg, &hooks, 0, &api, &err)) != 0) {
        fprintf(stderr, "kalewx bench api: %s\n", err.msg);
        goto fail;
    }
    if ((rc = run_wrk(kw_api_port(api), PATH, seconds, wrk_threads, &ours)) != 0)
        goto fail;
    const char *ref_name = "bare libmicrohttpd reply";
    kw_bench_row_add(r, "bare reply: requests/s", ref.rps, "req/s", 0, NULL);
    kw_bench_row_add(r, "bare reply: p50 latency", ref.p50_ms, "ms", 0, NULL);
    kw_bench_row_add(r, "bare reply: p99 latency", ref.p99_ms, "ms", 0, NULL);
    kw_bench_row_add(r, "static JSON document: requests/s", ours.rps, "req/s", ours.rps / ref.rps, ref_name);
    kw_bench_row_add(r, "static JSON document: p50 latency", ours.p50_ms, "ms",
                     ref.p50_ms > 0 ? ours.p50_ms / ref.p50_ms : 0, ref_name);
    kw_bench_row_add(r, "static JSON document: p99 latency", ours.p99_ms, "ms",
                     ref.p99_ms > 0 ? ours.p99_ms / ref.p99_ms : 0, ref_name);
    r->json = json_pack("{s:i,s:i,s:i,s:f,s:o,s:{s:s,s:s,s:o},s:f}", "connections", CONNECTIONS, "server_threads",
                        (int)threads, "wrk_threads", wrk_threads, "seconds", seconds, "bare_reply", result_json(&ref),
                        "static_document", "route", PATH, "stands_in_for", "GET /api/v1/cycles/current", "result",
                        result_json(&ours), "throughput_ratio", ours.rps / ref.rps);
fail:
    if (bare)
        MHD_stop_daemon(bare);
    kw_api_stop(api);
    kw_config_free(&cfg);
    return rc;
}
