#include "obs/clock.h"

#include <errno.h>
#include <time.h>

static int64_t read_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t sys_now(void *ctx) { (void)ctx; return read_ms(CLOCK_REALTIME); }
static int64_t sys_mono(void *ctx) { (void)ctx; return read_ms(CLOCK_MONOTONIC); }

static void sys_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

const kw_clock *kw_clock_system(void)
{
    static const kw_clock sys = {sys_now, sys_mono, sys_sleep, 0};
    return &sys;
}

static int64_t man_now(void *ctx) { return ((kw_manual_clock *)ctx)->now; }

static void man_sleep(void *ctx, int64_t ms)
{
    kw_manual_clock *m = ctx;
    if (ms > 0) {
        m->now += ms;
        m->slept += ms;
    }
}

void kw_manual_clock_init(kw_manual_clock *m, int64_t start_unix_ms)
{
    *m = (kw_manual_clock){.clock = {man_now, man_now, man_sleep, m}, .now = start_unix_ms};
}

void kw_manual_clock_advance(kw_manual_clock *m, int64_t ms)
{
    m->now += ms;
}
