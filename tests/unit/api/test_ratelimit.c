#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/ratelimit.h"

#define MIN15 (15 * 60 * 1000)

static int64_t now;
static int64_t clock_ms(void *ctx)
{
    (void)ctx;
    return now;
}

static kw_ratelimit rl;
static const kw_ratelimit_policy policy = {MIN15, {100, 500, 1000}, false};

static void setup(void)
{
    now = 1764806400000; /* a multiple of 15 minutes */
    cr_assert_eq(kw_ratelimit_memory(clock_ms, NULL, &rl), 0);
}

static void teardown(void) { kw_ratelimit_free(&rl); }

TestSuite(ratelimit, .init = setup, .fini = teardown);

static kw_ratelimit_result hit(const kw_principal *who, const char *ip)
{
    kw_ratelimit_result r;
    cr_assert_eq(kw_ratelimit_check(&rl, &policy, who, ip, &r), 0);
    return r;
}

/* Uses up a tier's quota at one instant and checks the refusal. */
static void exhaust(const kw_principal *who, const char *ip, int64_t limit)
{
    for (int64_t i = 0; i < limit; i++) {
        kw_ratelimit_result r = hit(who, ip);
        cr_assert(r.allowed, "request %lld refused", (long long)i + 1);
        cr_assert_eq(r.limit, limit);
        cr_assert_eq(r.remaining, limit - i - 1);
        cr_assert_eq(r.reset_s, 900);
    }
    kw_ratelimit_result r = hit(who, ip);
    cr_assert_not(r.allowed);
    cr_assert_eq(r.remaining, 0);
    /* Next window at +900 s; the old window's weight must fall to (limit-1)/limit. */
    cr_assert_eq(r.retry_after_s, 900 + (900 + limit - 1) / limit, "retry after %lld", (long long)r.retry_after_s);
}

Test(ratelimit, anonymous_by_ip_100)
{
    exhaust(NULL, "203.0.113.7", 100);
    cr_assert(hit(NULL, "203.0.113.8").allowed, "another address has its own quota");
    kw_principal anon = {0};
    cr_assert_not(hit(&anon, "203.0.113.7").allowed, "a principal without user id is anonymous");
}

Test(ratelimit, user_500)
{
    kw_principal u = {.user_id = 7, .tier = KW_TIER_USER};
    exhaust(&u, "203.0.113.7", 500);
    cr_assert(hit(NULL, "203.0.113.7").allowed, "the user's quota is not the address's");
}

Test(ratelimit, premium_1000)
{
    kw_principal p = {.user_id = 8, .tier = KW_TIER_PREMIUM};
    exhaust(&p, "198.51.100.1", 1000);
}

Test(ratelimit, retry_after_is_exact)
{
    exhaust(NULL, "192.0.2.1", 100);
    kw_ratelimit_result r = hit(NULL, "192.0.2.1");
    now += (r.retry_after_s - 1) * 1000;
    cr_assert_not(hit(NULL, "192.0.2.1").allowed, "one second early is refused");
    now += 1000;
    r = hit(NULL, "192.0.2.1");
    cr_assert(r.allowed, "on time passes");
    cr_assert_eq(r.remaining, 0);
}

Test(ratelimit, the_window_slides)
{
    /* 100 requests half-way through a window... */
    now += MIN15 / 2;
    for (int i = 0; i < 100; i++)
        cr_assert(hit(NULL, "192.0.2.2").allowed);
    cr_assert_not(hit(NULL, "192.0.2.2").allowed);
    /* ...a quarter into the next window 75% of them still count. */
    now += MIN15 / 2 + MIN15 / 4;
    int allowed = 0;
    while (hit(NULL, "192.0.2.2").allowed)
        allowed++;
    cr_assert_eq(allowed, 25);
    /* Two windows later nothing of them is left. */
    now += 2 * MIN15;
    allowed = 0;
    while (hit(NULL, "192.0.2.2").allowed)
        allowed++;
    cr_assert_eq(allowed, 100);
}

Test(ratelimit, refused_requests_do_not_count)
{
    exhaust(NULL, "192.0.2.3", 100);
    for (int i = 0; i < 1000; i++)
        cr_assert_not(hit(NULL, "192.0.2.3").allowed);
    kw_ratelimit_result r = hit(NULL, "192.0.2.3");
    cr_assert_eq(r.retry_after_s, 900 + 9, "hammering does not extend the wait");
}

Test(ratelimit, headers)
{
    kw_http_res res = {0};
    kw_ratelimit_result ok = {true, 100, 42, 300, 0};
    cr_assert_eq(kw_ratelimit_headers(&ok, &res), 0);
    cr_assert_str_eq(kw_http_get_header(&res, "RateLimit-Limit"), "100");
    cr_assert_str_eq(kw_http_get_header(&res, "RateLimit-Remaining"), "42");
    cr_assert_str_eq(kw_http_get_header(&res, "RateLimit-Reset"), "300");
    cr_assert_null(kw_http_get_header(&res, "Retry-After"));
    kw_http_res refused = {0};
    kw_ratelimit_result no = {false, 100, 0, 300, 309};
    cr_assert_eq(kw_ratelimit_headers(&no, &refused), 0);
    cr_assert_str_eq(kw_http_get_header(&refused, "Retry-After"), "309");
}

Test(ratelimit, client_address)
{
    char ip[64];
    kw_ratelimit_client_ip("10.0.0.1", "1.2.3.4, 5.6.7.8", false, ip, sizeof ip);
    cr_assert_str_eq(ip, "10.0.0.1", "X-Forwarded-For ignored without TRUST_PROXY");
    kw_ratelimit_client_ip("10.0.0.1", "1.2.3.4, 5.6.7.8", true, ip, sizeof ip);
    cr_assert_str_eq(ip, "5.6.7.8", "the entry our proxy appended");
    kw_ratelimit_client_ip("10.0.0.1", " 2001:db8::1 ", true, ip, sizeof ip);
    cr_assert_str_eq(ip, "2001:db8::1");
    kw_ratelimit_client_ip("10.0.0.1", "1.2.3.4, garbage", true, ip, sizeof ip);
    cr_assert_str_eq(ip, "1.2.3.4", "invalid entries are skipped");
    kw_ratelimit_client_ip("10.0.0.1", "nonsense,,", true, ip, sizeof ip);
    cr_assert_str_eq(ip, "10.0.0.1");
    kw_ratelimit_client_ip("10.0.0.1", "", true, ip, sizeof ip);
    cr_assert_str_eq(ip, "10.0.0.1");
    kw_ratelimit_client_ip(NULL, NULL, true, ip, sizeof ip);
    cr_assert_str_eq(ip, "unknown");
}

Test(ratelimit, bad_input_and_zero_limit)
{
    kw_ratelimit_result r;
    char key[200];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    cr_assert_eq(rl.hit(rl.state, key, 10, MIN15, &r), KW_EINVAL);
    cr_assert_eq(rl.hit(rl.state, "k", 10, 0, &r), KW_EINVAL);
    cr_assert_eq(rl.hit(rl.state, "k", 0, MIN15, &r), 0);
    cr_assert_not(r.allowed);
    cr_assert_eq(r.retry_after_s, 900);
}

Test(ratelimit, many_keys_are_swept)
{
    char ip[32];
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 20000; i++) {
            snprintf(ip, sizeof ip, "10.%d.%d.%d", round, i / 256, i % 256);
            cr_assert(hit(NULL, ip).allowed);
        }
        now += 3 * MIN15;
    }
    /* Nothing to observe from outside but the absence of leaks under ASan
     * and that old keys start afresh. */
    snprintf(ip, sizeof ip, "10.0.0.1");
    cr_assert_eq(hit(NULL, ip).remaining, 99);
}

static void *hammer(void *arg)
{
    (void)arg;
    int allowed = 0;
    for (int i = 0; i < 5000; i++) {
        kw_ratelimit_result r;
        if (kw_ratelimit_check(&rl, &policy, &(kw_principal){.user_id = 1, .tier = KW_TIER_PREMIUM}, "x", &r) == 0 &&
            r.allowed)
            allowed++;
    }
    return (void *)(intptr_t)allowed;
}

Test(ratelimit, concurrent_callers_share_one_quota)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    intptr_t total = 0;
    for (int i = 0; i < 4; i++) {
        void *v;
        pthread_join(t[i], &v);
        total += (intptr_t)v;
    }
    cr_assert_eq(total, 1000);
}
