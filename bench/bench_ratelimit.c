/*
 * kalewx bench ratelimit — what sharing the rate limits through Redis costs
 * per request: decisions per second of the Redis backend (one Lua script
 * round trip each, from a pool of connections) on one thread and on
 * --threads threads, against the in-memory backend measured in the same
 * run (the reference). Keys are spread over 10,000 client addresses with a
 * limit that is never reached, so every decision counts.
 *
 * Needs REDIS_URL (e.g. a throwaway `redis-server --port 6399 --save ""`
 * and REDIS_URL=redis://127.0.0.1:6399); without it only the reference is
 * printed.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "api/ratelimit.h"
#include "bench/bench.h"
#include "obs/metrics.h"

#define KEYS 10000
#define LIMIT 1000000000
#define WINDOW_MS (15 * 60 * 1000)

typedef struct worker {
    const kw_ratelimit *rl;
    double seconds;
    unsigned seed;
    uint64_t done;
    int failed;
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    double until = kw_bench_now() + w->seconds;
    char key[32];
    while (kw_bench_now() < until) {
        for (int i = 0; i < 64; i++) {
            unsigned k = (w->seed = w->seed * 1103515245u + 12345u) % KEYS;
            snprintf(key, sizeof key, "ip:10.%u.%u.%u", k >> 16, (k >> 8) & 255, k & 255);
            kw_ratelimit_result r;
            if (w->rl->hit(w->rl->state, key, LIMIT, WINDOW_MS, &r) != 0 || !r.allowed)
                w->failed = 1;
            w->done++;
        }
    }
    return NULL;
}

/* Decisions per second of rl on n threads (0 when a decision failed). */
static double rate(const kw_ratelimit *rl, int n, double seconds)
{
    worker w[64];
    pthread_t t[64];
    if (n > 64)
        n = 64;
    double start = kw_bench_now();
    for (int i = 0; i < n; i++) {
        w[i] = (worker){rl, seconds, (unsigned)i * 7919u + 1, 0, 0};
        if (pthread_create(&t[i], NULL, run_worker, &w[i]) != 0)
            return 0;
    }
    uint64_t total = 0;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += w[i].done;
        failed |= w[i].failed;
    }
    return failed ? 0 : (double)total / (kw_bench_now() - start);
}

int kw_bench_ratelimit(const kw_bench_opts *o, kw_bench_result *r)
{
    int threads = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    char metric[80];
    kw_ratelimit mem;
    if (kw_ratelimit_memory(NULL, NULL, &mem) != 0)
        return KW_ENOMEM;
    double ref = rate(&mem, 1, o->seconds);
    kw_bench_row_add(r, "memory backend, 1 thread", ref, "decisions/s", 1, "memory, 1 thread");
    double mem_many = rate(&mem, threads, o->seconds);
    snprintf(metric, sizeof metric, "memory backend, %d threads", threads);
    kw_bench_row_add(r, metric, mem_many, "decisions/s", ref > 0 ? mem_many / ref : 0, "memory, 1 thread");
    kw_ratelimit_free(&mem);
    if (ref == 0)
        return KW_EINTERNAL;

    const char *url = kw_config_str(o->cfg, KW_CFG_REDIS_URL);
    if (!*url) {
        fprintf(stderr, "bench ratelimit: REDIS_URL is not set; the Redis backend is not measured\n");
        return 0;
    }
    kw_ratelimit red;
    kw_err err = {0};
    int rc = kw_ratelimit_redis(url, NULL, NULL, &red, &err);
    if (rc) {
        fprintf(stderr, "bench ratelimit: %s\n", err.msg);
        return rc;
    }
    double one = rate(&red, 1, o->seconds), many = rate(&red, threads, o->seconds);
    kw_ratelimit_free(&red);
    /* A Redis that stopped answering would have been measured as the local fall-back. */
    if (one == 0 || many == 0 ||
        kw_metrics_gauge_value(kw_metrics_series_get(kw_metrics_std_global()->ratelimit_shared, NULL)) != 1) {
        fprintf(stderr, "bench ratelimit: Redis did not answer every decision (see the log)\n");
        return KW_EIO;
    }
    kw_bench_row_add(r, "redis backend, 1 thread", one, "decisions/s", one / ref, "memory, 1 thread");
    snprintf(metric, sizeof metric, "redis backend, %d threads", threads);
    kw_bench_row_add(r, metric, many, "decisions/s", many / ref, "memory, 1 thread");
    kw_bench_row_add(r, "redis decision latency, 1 thread", 1e6 / one, "us", 0, "");
    return 0;
}
