/*
 * retry — how the engine calls an unreliable outside service (the chain, a
 * feed): a few tries with exponential backoff and jitter, behind a circuit
 * breaker that stops hammering a service that keeps failing (SPEC §5).
 *
 * Only KW_ETRANSIENT is retried: a rejection by the rules (KW_ECHAIN, …) is an
 * answer, not a fault.
 *
 * A wait budget bounds the time all calls together may spend waiting between
 * tries until the next kw_retry_refill. The engine refills it every tick: one
 * flaky call among thousands then waits out its backoff as usual, but a chain
 * that fails often cannot stall a tick for minutes, one backoff after another,
 * while everything else waits. A call whose next wait does not fit fails with
 * its transient error at once; the engine tries it again next tick. While the breaker is open, calls fail at once with
 * KW_ETRANSIENT and "circuit open"; after the cool-down one trial call is let
 * through (half-open) and its result closes or re-opens the breaker.
 *
 * Thread-safety: a kw_breaker may be shared by threads (it has its own lock);
 * a kw_retry's rng state belongs to one thread.
 */
#ifndef KW_ENGINE_RETRY_H
#define KW_ENGINE_RETRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "obs/clock.h"

typedef struct kw_breaker {
    pthread_mutex_t mu;
    int threshold;          /* consecutive failures that open it */
    int64_t cooldown_ms;
    int consecutive;
    int64_t open_until;     /* monotonic ms; 0 when closed */
    bool trial;             /* a half-open trial call is in flight */
    uint64_t trips;         /* times it opened, for metrics */
} kw_breaker;

typedef struct kw_retry {
    int attempts;           /* total tries, ≥ 1 (SPEC: 3) */
    int64_t base_ms;        /* first back-off (SPEC: 1000), doubled each try */
    const kw_clock *clock;
    kw_breaker *breaker;    /* may be NULL */
    uint64_t rng;           /* jitter state, any non-zero seed */
    uint64_t retries;       /* tries beyond the first, summed over calls (metrics) */
    int64_t budget_ms;      /* waiting allowed per refill; 0 = unbounded */
    int64_t budget_left_ms; /* what is left of it */
    uint64_t deferred;      /* calls given up because the budget was spent (metrics) */
} kw_retry;

void kw_breaker_init(kw_breaker *b, int threshold, int64_t cooldown_ms);
void kw_breaker_destroy(kw_breaker *b);
/* True while calls are being refused. */
bool kw_breaker_is_open(kw_breaker *b, const kw_clock *clock);

/* The SPEC defaults: 3 tries, 1 s base. */
kw_retry kw_retry_default(const kw_clock *clock, kw_breaker *breaker, uint64_t seed);

/* The same with ten tries: for callers with nothing better to do than wait
 * (start-up, one-off commands, test checks). */
kw_retry kw_retry_patient(const kw_clock *clock, kw_breaker *breaker, uint64_t seed);

/* The wait before try n (n ≥ 2): uniform in [d/2, d] with d = base · 2^(n−2). */
int64_t kw_retry_delay_ms(kw_retry *r, int n);

/* Starts a new round of the wait budget. */
void kw_retry_refill(kw_retry *r);

/* Calls fn(ctx, err) until it succeeds, fails with anything but KW_ETRANSIENT,
 * or the tries (or the wait budget) run out; returns fn's last result (err
 * holds its message). */
int kw_retry_call(kw_retry *r, int (*fn)(void *ctx, kw_err *err), void *ctx, kw_err *err) KW_WUR;

#endif
