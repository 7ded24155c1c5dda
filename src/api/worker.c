#include "api/worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "obs/log.h"

struct kw_worker {
    const char *name;
    kw_worker_fn fn;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stopping, woken;
};

static void *worker_main(void *arg)
{
    kw_worker *w = arg;
    kw_log_set_correlation(w->name);
    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        w->woken = false;
        pthread_mutex_unlock(&w->mu);
        int64_t wait = w->fn(w->ctx);
        pthread_mutex_lock(&w->mu);
        if (wait <= 0)
            continue;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)(wait / 1000);
        until.tv_nsec += (long)(wait % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        while (!w->stopping && !w->woken && pthread_cond_timedwait(&w->cond, &w->mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int kw_worker_start(const char *name, kw_worker_fn fn, void *ctx, kw_worker **out)
{
    kw_worker *w = calloc(1, sizeof *w);
    if (!w)
        return KW_ENOMEM;
    w->name = name;
    w->fn = fn;
    w->ctx = ctx;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return KW_EIO;
    }
    *out = w;
    return 0;
}

void kw_worker_wake(kw_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->woken = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

void kw_worker_stop(kw_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
