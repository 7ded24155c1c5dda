#include "crypto/miner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Nonces per unit of work: small enough that cancellation, the deadline and
 * the round-robin share react within a fraction of a millisecond, large
 * enough that taking a chunk (one atomic add, one clock read) is noise. */
#define KW_MINER_CHUNK 4096

typedef struct kw_search {
    const kw_miner_job *jobs;
    kw_kalehash_job *prepared;
    size_t n;
    uint64_t *quota;              /* nonces each farmer may try */
    uint64_t max_quota;
    double deadline;              /* monotonic seconds; 0 = none */
    const atomic_bool *cancel;
    atomic_uint_fast64_t next;    /* next chunk number */
    atomic_bool stop;
    atomic_bool cancelled;
    kw_kalehash_best *best;       /* [thread][farmer] */
    uint64_t *hashes;             /* [thread][farmer] */
} kw_search;

struct kw_miner {
    const kw_kalehash_path *path;
    unsigned nthreads;
    pthread_t *threads;
    pthread_mutex_t serial;       /* one search at a time */
    pthread_mutex_t lock;         /* guards what follows */
    pthread_cond_t wake, done;
    uint64_t generation;
    unsigned running;
    bool shutdown;
    kw_search *cur;
};

typedef struct kw_worker_arg {
    kw_miner *m;
    unsigned id;
} kw_worker_arg;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_search(const kw_kalehash_path *path, kw_search *s, unsigned id)
{
    kw_kalehash_best *best = s->best + (size_t)id * s->n;
    uint64_t *hashes = s->hashes + (size_t)id * s->n;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        uint64_t k = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed);
        size_t f = (size_t)(k % s->n);
        uint64_t lo = (k / s->n) * KW_MINER_CHUNK;
        if (lo >= s->max_quota)
            break;
        if (lo >= s->quota[f])
            continue;
        uint64_t count = s->quota[f] - lo < KW_MINER_CHUNK ? s->quota[f] - lo : KW_MINER_CHUNK;
        path->search(&s->prepared[f], s->jobs[f].first_nonce + lo, count, &best[f]);
        hashes[f] += count;
        if (s->cancel && atomic_load_explicit(s->cancel, memory_order_relaxed)) {
            atomic_store(&s->cancelled, true);
            atomic_store(&s->stop, true);
        } else if (s->deadline > 0 && now_s() >= s->deadline) {
            atomic_store(&s->stop, true);
        }
    }
}

static void *worker(void *p)
{
    kw_worker_arg *a = p;
    kw_miner *m = a->m;
    unsigned id = a->id;
    free(a);
    uint64_t seen = 0;
    pthread_mutex_lock(&m->lock);
    for (;;) {
        while (!m->shutdown && m->generation == seen)
            pthread_cond_wait(&m->wake, &m->lock);
        if (m->shutdown)
            break;
        seen = m->generation;
        kw_search *s = m->cur;
        pthread_mutex_unlock(&m->lock);
        run_search(m->path, s, id);
        pthread_mutex_lock(&m->lock);
        if (--m->running == 0)
            pthread_cond_signal(&m->done);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

static void stop_threads(kw_miner *m, unsigned started)
{
    pthread_mutex_lock(&m->lock);
    m->shutdown = true;
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);
    for (unsigned i = 0; i < started; i++)
        pthread_join(m->threads[i], NULL);
}

int kw_miner_new(unsigned threads, const kw_kalehash_path *path, kw_miner **out, kw_err *err)
{
    *out = NULL;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    if (!path && kw_kalehash_path_choose(NULL, &path, err) != 0)
        return KW_EINTERNAL;
    kw_miner *m = calloc(1, sizeof *m);
    if (!m)
        return kw_err_set(err, KW_ENOMEM, "out of memory starting the miner");
    m->path = path;
    m->nthreads = threads;
    pthread_mutex_init(&m->serial, NULL);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->wake, NULL);
    pthread_cond_init(&m->done, NULL);
    unsigned started = 0;
    m->threads = calloc(threads, sizeof *m->threads);
    if (!m->threads)
        goto fail;
    for (; started < threads; started++) {
        kw_worker_arg *a = malloc(sizeof *a);
        if (!a)
            goto fail;
        *a = (kw_worker_arg){m, started};
        if (pthread_create(&m->threads[started], NULL, worker, a) != 0) {
            free(a);
            goto fail;
        }
    }
    *out = m;
    return 0;
fail:
    stop_threads(m, started);
    kw_miner_free(m);
    return kw_err_set(err, KW_ENOMEM, "cannot start %u miner threads", threads);
}

void kw_miner_free(kw_miner *m)
{
    if (!m)
        return;
    if (!m->shutdown)
        stop_threads(m, m->nthreads);
    pthread_cond_destroy(&m->done);
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->serial);
    free(m->threads);
    free(m);
}

unsigned kw_miner_threads(const kw_miner *m) { return m->nthreads; }

const kw_kalehash_path *kw_miner_path(const kw_miner *m) { return m->path; }

static void plan_quotas(kw_search *s, const kw_miner_budget *b)
{
    s->max_quota = 0;
    for (size_t f = 0; f < s->n; f++) {
        uint64_t room = UINT64_MAX - s->jobs[f].first_nonce;
        uint64_t q = room;
        if (b->hashes)
            q = b->hashes / s->n + (f < b->hashes % s->n);
        s->quota[f] = q < room ? q : room;
        if (s->quota[f] > s->max_quota)
            s->max_quota = s->quota[f];
    }
}

int kw_miner_search(kw_miner *m, const kw_miner_job *jobs, size_t n, const kw_miner_budget *budget,
                    const atomic_bool *cancel, kw_miner_result *results, kw_miner_stats *stats,
                    kw_err *err)
{
    if (n == 0 || (!budget->hashes && budget->seconds <= 0 && !cancel))
        return kw_err_set(err, KW_EINVAL, "a search needs farmers and a budget or a cancel flag");
    int rc = KW_ENOMEM;
    kw_search s = {.jobs = jobs, .n = n, .cancel = cancel};
    s.prepared = calloc(n, sizeof *s.prepared);
    s.quota = calloc(n, sizeof *s.quota);
    s.best = calloc((size_t)m->nthreads * n, sizeof *s.best);
    s.hashes = calloc((size_t)m->nthreads * n, sizeof *s.hashes);
    if (!s.prepared || !s.quota || !s.best || !s.hashes) {
        kw_err_set(err, KW_ENOMEM, "out of memory for a search of %zu farmers", n);
        goto fail;
    }
    for (size_t f = 0; f < n; f++)
        kw_kalehash_job_init(&s.prepared[f], jobs[f].index, jobs[f].entropy, jobs[f].farmer);
    plan_quotas(&s, budget);
    atomic_init(&s.next, 0);
    atomic_init(&s.stop, false);
    atomic_init(&s.cancelled, false);

    pthread_mutex_lock(&m->serial);
    double start = now_s();
    if (budget->seconds > 0)
        s.deadline = start + budget->seconds;
    pthread_mutex_lock(&m->lock);
    m->cur = &s;
    m->running = m->nthreads;
    m->generation++;
    pthread_cond_broadcast(&m->wake);
    while (m->running > 0)
        pthread_cond_wait(&m->done, &m->lock);
    m->cur = NULL;
    pthread_mutex_unlock(&m->lock);
    double elapsed = now_s() - start;
    pthread_mutex_unlock(&m->serial);

    uint64_t total = 0;
    for (size_t f = 0; f < n; f++) {
        kw_kalehash_best b = {0};
        uint64_t h = 0;
        for (unsigned t = 0; t < m->nthreads; t++) {
            const kw_kalehash_best *tb = &s.best[(size_t)t * n + f];
            if (tb->found)
                kw_kalehash_best_offer(&b, tb->key, tb->nonce);
            h += s.hashes[(size_t)t * n + f];
        }
        results[f] = (kw_miner_result){.found = b.found, .nonce = b.nonce, .hashes = h};
        if (b.found) {
            kw_kalehash(jobs[f].index, b.nonce, jobs[f].entropy, jobs[f].farmer, results[f].hash);
            results[f].zeros = kw_kalehash_zeros(results[f].hash);
        }
        total += h;
    }
    if (stats)
        *stats = (kw_miner_stats){.hashes = total, .seconds = elapsed,
                                  .cancelled = atomic_load(&s.cancelled)};
    rc = 0;
fail:
    free(s.hashes);
    free(s.best);
    free(s.quota);
    free(s.prepared);
    return rc;
}
