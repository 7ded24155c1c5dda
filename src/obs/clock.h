/*
 * clock — time as an injected dependency, so that every timing decision
 * (retries, backoff, circuit breakers, block timers) is testable without
 * sleeping. Production code uses kw_clock_system(); tests pass a manual clock
 * whose sleep just advances its time.
 *
 * Thread-safety: the system clock is thread-safe; a manual clock is not.
 */
#ifndef KW_OBS_CLOCK_H
#define KW_OBS_CLOCK_H

#include <stdint.h>

typedef struct kw_clock {
    int64_t (*now_ms)(void *ctx);            /* wall time, unix milliseconds */
    int64_t (*mono_ms)(void *ctx);           /* monotonic milliseconds */
    void (*sleep_ms)(void *ctx, int64_t ms); /* waits (or pretends to) */
    void *ctx;
} kw_clock;

/* The real clock (CLOCK_REALTIME, CLOCK_MONOTONIC, nanosleep). */
const kw_clock *kw_clock_system(void);

/* A manual clock for tests: time moves only through sleep or kw_manual_clock_advance. */
typedef struct kw_manual_clock {
    kw_clock clock;
    int64_t now;      /* unix ms */
    int64_t slept;    /* total ms slept, for assertions */
} kw_manual_clock;

void kw_manual_clock_init(kw_manual_clock *m, int64_t start_unix_ms);
void kw_manual_clock_advance(kw_manual_clock *m, int64_t ms);

static inline int64_t kw_clock_now_ms(const kw_clock *c) { return c->now_ms(c->ctx); }
static inline int64_t kw_clock_mono_ms(const kw_clock *c) { return c->mono_ms(c->ctx); }
static inline void kw_clock_sleep_ms(const kw_clock *c, int64_t ms) { c->sleep_ms(c->ctx, ms); }

#endif
