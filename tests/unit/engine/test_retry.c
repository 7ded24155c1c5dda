#include <criterion/criterion.h>
#include <string.h>

#include "engine/retry.h"

typedef struct script {
    const int *results;   /* what each call returns */
    int n, calls;
} script;

static int scripted(void *ctx, kw_err *err)
{
    script *s = ctx;
    int rc = s->results[s->calls < s->n ? s->calls : s->n - 1];
    s->calls++;
    if (rc)
        kw_err_set(err, rc, "call %d failed", s->calls);
    return rc;
}

Test(retry, transient_failures_are_retried_with_backoff)
{
    kw_manual_clock mc;
    kw_manual_clock_init(&mc, 0);
    kw_retry r = kw_retry_default(&mc.clock, NULL, 7);
    script s = {(const int[]){KW_ETRANSIENT, KW_ETRANSIENT, 0}, 3, 0};
    kw_err e;
    cr_assert_eq(kw_retry_call(&r, scripted, &s, &e), 0);
    cr_assert_eq(s.calls, 3);
    cr_assert_eq(r.retries, 2);
    /* waits in [500, 1000] then [1000, 2000] */
    cr_assert(mc.slept >= 1500 && mc.slept <= 3000, "slept %lld", (long long)mc.slept);
}

Test(retry, waits_stay_within_the_budget_until_refilled)
{
    kw_manual_clock mc;
    kw_manual_clock_init(&mc, 0);
    kw_retry r = kw_retry_default(&mc.clock, NULL, 7);
    r.budget_ms = 2500;
    kw_retry_refill(&r);
    kw_err e;
    /* the first call fails twice and waits 1,500 to 3,000 ms in all — or, when
     * its second wait does not fit, gives up after the first */
    script s = {(const int[]){KW_ETRANSIENT}, 1, 0};
    cr_assert_eq(kw_retry_call(&r, scripted, &s, &e), KW_ETRANSIENT);
    cr_assert(mc.slept <= 2500, "slept %lld", (long long)mc.slept);
    cr_assert_eq(r.budget_left_ms, 2500 - mc.slept);
    cr_assert(s.calls >= 2);
    /* what is left cannot hold the shortest second wait (1,000 ms) of another call... */
    int64_t before = mc.slept;
    r.budget_left_ms = 499;
    script t = {(const int[]){KW_ETRANSIENT, 0}, 2, 0};
    cr_assert_eq(kw_retry_call(&r, scripted, &t, &e), KW_ETRANSIENT);
    cr_assert_eq(t.calls, 1, "no wait fits: one try");
    cr_assert_eq(mc.slept, before);
    cr_assert_str_eq(e.msg, "call 1 failed");
    cr_assert_eq(r.deferred, s.calls == 3 ? 1u : 2u);
    /* ...until the next round, which tries it again */
    kw_retry_refill(&r);
    cr_assert_eq(r.budget_left_ms, 2500);
    cr_assert_eq(kw_retry_call(&r, scripted, &t, &e), 0);
    cr_assert_eq(t.calls, 2);
    /* no budget: unbounded */
    r.budget_ms = 0;
    script u = {(const int[]){KW_ETRANSIENT, KW_ETRANSIENT, 0}, 3, 0};
    cr_assert_eq(kw_retry_call(&r, scripted, &u, &e), 0);
    cr_assert_eq(u.calls, 3);
}

Test(retry, gives_up_after_three_tries_with_the_last_error)
{
    kw_manual_clock mc;
    kw_manual_clock_init(&mc, 0);
    kw_retry r = kw_retry_default(&mc.clock, NULL, 7);
    script s = {(const int[]){KW_ETRANSIENT}, 1, 0};
    kw_err e;
    cr_assert_eq(kw_retry_call(&r, scripted, &s, &e), KW_ETRANSIENT);
    cr_assert_eq(s.calls, 3);
    cr_assert_str_eq(e.msg, "call 3 failed");
}

Test(retry, rule_rejections_are_not_retried)
{
    kw_manual_clock mc;
    kw_manual_clock_init(&mc, 0);
    kw_retry r = kw_retry_default(&mc.clock, NULL, 7);
    script s = {(const int[]){KW_ECHAIN}, 1, 0};
    cr_assert_eq(kw_retry_call(&r, scripted, &s, NULL), KW_ECHAIN);
    cr_assert_eq(s.calls, 1);
    cr_assert_eq(mc.slept, 0);
}

Test(retry, jitter_stays_within_bounds_and_depends_on_seed)
{
    kw_retry a = kw_retry_default(kw_clock_system(), NULL, 1), b = kw_retry_default(kw_clock_system(), NULL, 2);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t d2 = kw_retry_delay_ms(&a, 2), d3 = kw_retry_delay_ms(&a, 3);
        cr_assert(d2 >= 500 && d2 <= 1000);
        cr_assert(d3 >= 1000 && d3 <= 2000);
        differ |= d2 != kw_retry_delay_ms(&b, 2);
    }
    cr_assert(differ);
}

Test(retry, breaker_opens_refuses_and_half_opens)
{
    kw_manual_clock mc;
    kw_manual_clock_init(&mc, 0);
    kw_breaker br;
    kw_breaker_init(&br, 3, 30000);
    kw_retry r = kw_retry_default(&mc.clock, &br, 7);
    r.attempts = 1;
    script fail = {(const int[]){KW_ETRANSIENT}, 1, 0};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(kw_retry_call(&r, scripted, &fail, NULL), KW_ETRANSIENT);
    cr_assert(kw_breaker_is_open(&br, &mc.clock));
    cr_assert_eq(br.trips, 1);
    kw_err e;
    cr_assert_eq(kw_retry_call(&r, scripted, &fail, &e), KW_ETRANSIENT);
    cr_assert_eq(fail.calls, 3, "refused without calling");
    cr_assert(strstr(e.msg, "circuit open"));

    kw_manual_clock_advance(&mc, 30000);
    script ok = {(const int[]){0}, 1, 0};
    cr_assert_eq(kw_retry_call(&r, scripted, &ok, NULL), 0);
    cr_assert_not(kw_breaker_is_open(&br, &mc.clock));

    /* a failed half-open trial re-opens at once */
    for (int i = 0; i < 3; i++)
        (void)!kw_retry_call(&r, scripted, &fail, NULL);
    kw_manual_clock_advance(&mc, 30000);
    cr_assert_eq(kw_retry_call(&r, scripted, &fail, NULL), KW_ETRANSIENT);
    cr_assert(kw_breaker_is_open(&br, &mc.clock));
    cr_assert_eq(br.trips, 3);
    kw_breaker_destroy(&br);
}

Test(retry, patient_tries_ten_times)
{
    kw_manual_clock mc;
    kw_manual_clock_init(&mc, 0);
    kw_retry r = kw_retry_patient(&mc.clock, NULL, 7);
    script s = {(const int[]){KW_ETRANSIENT}, 1, 0};
    kw_err e;
    cr_assert_eq(kw_retry_call(&r, scripted, &s, &e), KW_ETRANSIENT);
    cr_assert_eq(s.calls, 10);
    cr_assert_eq(r.base_ms, kw_retry_default(&mc.clock, NULL, 7).base_ms);
}
