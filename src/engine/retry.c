#include "engine/retry.h"

void kw_breaker_init(kw_breaker *b, int threshold, int64_t cooldown_ms)
{
    *b = (kw_breaker){.threshold = threshold < 1 ? 1 : threshold, .cooldown_ms = cooldown_ms};
    pthread_mutex_init(&b->mu, NULL);
}

void kw_breaker_destroy(kw_breaker *b)
{
    pthread_mutex_destroy(&b->mu);
}

/* 1 to let the call through, 0 to refuse it. */
static int breaker_admit(kw_breaker *b, const kw_clock *clock)
{
    pthread_mutex_lock(&b->mu);
    int admit = 1;
    if (b->open_until) {
        if (kw_clock_mono_ms(clock) < b->open_until || b->trial)
            admit = 0;
        else
            b->trial = 1;   /* half-open: this call decides */
    }
    pthread_mutex_unlock(&b->mu);
    return admit;
}

static void breaker_record(kw_breaker *b, const kw_clock *clock, int failed)
{
    pthread_mutex_lock(&b->mu);
    if (!failed) {
        b->consecutive = 0;
        b->open_until = 0;
    } else if (++b->consecutive >= b->threshold || b->trial) {
        b->open_until = kw_clock_mono_ms(clock) + b->cooldown_ms;
        b->trips++;
    }
    b->trial = 0;
    pthread_mutex_unlock(&b->mu);
}

bool kw_breaker_is_open(kw_breaker *b, const kw_clock *clock)
{
    pthread_mutex_lock(&b->mu);
    bool open = b->open_until && kw_clock_mono_ms(clock) < b->open_until;
    pthread_mutex_unlock(&b->mu);
    return open;
}

kw_retry kw_retry_default(const kw_clock *clock, kw_breaker *breaker, uint64_t seed)
{
    return (kw_retry){.attempts = 3, .base_ms = 1000, .clock = clock, .breaker = breaker,
                      .rng = seed ? seed : 0x2545F4914F6CDD1Dull};
}

kw_retry kw_retry_patient(const kw_clock *clock, kw_breaker *breaker, uint64_t seed)
{
    kw_retry r = kw_retry_default(clock, breaker, seed);
    r.attempts = 10;
    return r;
}

int64_t kw_retry_delay_ms(kw_retry *r, int n)
{
    int shift = n - 2 < 0 ? 0 : (n - 2 > 20 ? 20 : n - 2);
    int64_t d = r->base_ms << shift;
    r->rng ^= r->rng << 13, r->rng ^= r->rng >> 7, r->rng ^= r->rng << 17;
    int64_t half = d / 2;
    return half + (int64_t)(r->rng % (uint64_t)(d - half + 1));
}

void kw_retry_refill(kw_retry *r) { r->budget_left_ms = r->budget_ms; }

int kw_retry_call(kw_retry *r, int (*fn)(void *ctx, kw_err *err), void *ctx, kw_err *err)
{
    int rc = KW_ETRANSIENT;
    for (int n = 1; n <= r->attempts; n++) {
        if (n > 1) {
            int64_t wait = kw_retry_delay_ms(r, n);
            if (r->budget_ms > 0) {
                if (wait > r->budget_left_ms) {
                    r->deferred++;
                    return rc;
                }
                r->budget_left_ms -= wait;
            }
            r->retries++;
            kw_clock_sleep_ms(r->clock, wait);
        }
        if (r->breaker && !breaker_admit(r->breaker, r->clock))
            return kw_err_set(err, KW_ETRANSIENT, "circuit open: the service failed repeatedly, retrying later");
        rc = fn(ctx, err);
        if (r->breaker)
            breaker_record(r->breaker, r->clock, rc == KW_ETRANSIENT);
        if (rc != KW_ETRANSIENT)
            return rc;
    }
    return rc;
}
