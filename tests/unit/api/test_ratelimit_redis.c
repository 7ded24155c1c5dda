/*
 * The Redis rate-limit backend against a real redis-server that each test
 * starts on a Unix socket in a temporary directory (and stops): the same
 * answers as the memory backend, one quota shared by several backends
 * (replicas), the fall-back to local limits while Redis is down and the
 * return to shared ones.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/ratelimit.h"
#include "obs/metrics.h"

extern char **environ;

#define MIN15 (15 * 60 * 1000)

static int64_t now;
static int64_t clock_ms(void *ctx)
{
    (void)ctx;
    return now;
}

static char dir[64], sock[96], url[160];
static pid_t redis_pid;

static bool connectable(void)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void redis_start(void)
{
    char *argv[] = {"redis-server", "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700", "--save", "",
                    "--appendonly", "no", "--dir", dir, "--logfile", "redis.log", NULL};
    cr_assert_eq(posix_spawnp(&redis_pid, "redis-server", NULL, NULL, argv, environ), 0, "redis-server: %s",
                 strerror(errno));
    /* Wait for the socket with a deadline, not a fixed sleep. */
    for (int i = 0; i < 1000 && !connectable(); i++)
        usleep(10000);
    cr_assert(connectable(), "redis-server did not start (see %s/redis.log)", dir);
}

static void redis_stop(void)
{
    if (redis_pid <= 0)
        return;
    kill(redis_pid, SIGKILL);
    waitpid(redis_pid, NULL, 0);
    redis_pid = 0;
    unlink(sock);
}

static void setup(void)
{
    now = 1764806400000; /* a multiple of 15 minutes */
    snprintf(dir, sizeof dir, "/tmp/kalewx-redis.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);
    snprintf(url, sizeof url, "unix:%s", sock);
    redis_start();
}

static void teardown(void)
{
    redis_stop();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(ratelimit_redis, .init = setup, .fini = teardown);

static kw_ratelimit shared(void)
{
    kw_ratelimit rl;
    kw_err e = {0};
    cr_assert_eq(kw_ratelimit_redis(url, clock_ms, NULL, &rl, &e), 0, "%s", e.msg);
    return rl;
}

static kw_ratelimit_result hit(kw_ratelimit *rl, const char *key, int64_t limit, int64_t window)
{
    kw_ratelimit_result r;
    cr_assert_eq(rl->hit(rl->state, key, limit, window, &r), 0);
    return r;
}

static double shared_gauge(void)
{
    return kw_metrics_gauge_value(kw_metrics_series_get(kw_metrics_std_global()->ratelimit_shared, NULL));
}

Test(ratelimit_redis, answers_exactly_as_the_memory_backend)
{
    kw_ratelimit mem, red = shared();
    cr_assert_eq(kw_ratelimit_memory(clock_ms, NULL, &mem), 0);
    cr_assert_eq(shared_gauge(), 1);
    /* Random bursts and pauses over several windows, a few keys, odd limits and
     * windows: every field of every answer must agree. */
    static const int64_t limits[] = {1, 3, 7, 100};
    static const int64_t windows[] = {1000, 7001, MIN15};
    uint64_t rng = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 3000; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        int64_t limit = limits[rng % 4], window = windows[(rng >> 8) % 3];
        char key[32];
        snprintf(key, sizeof key, "ip:198.51.100.%d|%lld|%lld", (int)((rng >> 16) % 3), (long long)limit,
                 (long long)window);
        kw_ratelimit_result a = hit(&mem, key, limit, window), b = hit(&red, key, limit, window);
        cr_assert(a.allowed == b.allowed && a.limit == b.limit && a.remaining == b.remaining &&
                      a.reset_s == b.reset_s && a.retry_after_s == b.retry_after_s,
                  "request %d (%s at %lld): memory %d/%lld/%lld/%lld, redis %d/%lld/%lld/%lld", i, key,
                  (long long)now, a.allowed, (long long)a.remaining, (long long)a.reset_s,
                  (long long)a.retry_after_s, b.allowed, (long long)b.remaining, (long long)b.reset_s,
                  (long long)b.retry_after_s);
        now += (int64_t)((rng >> 24) % 5 == 0 ? (rng >> 32) % 3000 : (rng >> 32) % 40);
    }
    kw_ratelimit_free(&mem);
    kw_ratelimit_free(&red);
}

Test(ratelimit_redis, exact_at_the_largest_settings)
{
    /* RATE_LIMIT_* up to 10^9 and a window of a day: products beyond 2^53,
     * where a plain double comparison in the script would round. */
    kw_ratelimit mem, red = shared();
    cr_assert_eq(kw_ratelimit_memory(clock_ms, NULL, &mem), 0);
    int64_t limit = 1000000000, window = 86400000;
    now = now - now % window;
    for (int i = 0; i < 5; i++) {
        kw_ratelimit_result a = hit(&mem, "k", limit, window), b = hit(&red, "k", limit, window);
        cr_assert(a.allowed == b.allowed && a.remaining == b.remaining);
    }
    kw_ratelimit_free(&mem);
    kw_ratelimit_free(&red);
}

Test(ratelimit_redis, replicas_share_one_quota)
{
    kw_ratelimit r[3] = {shared(), shared(), shared()};
    int allowed = 0;
    for (int i = 0; i < 150; i++)
        allowed += hit(&r[i % 3], "ip:203.0.113.9", 100, MIN15).allowed;
    cr_assert_eq(allowed, 100, "three replicas together allowed %d", allowed);
    for (int i = 0; i < 3; i++)
        kw_ratelimit_free(&r[i]);
}

Test(ratelimit_redis, falls_back_to_local_limits_and_recovers)
{
    kw_ratelimit a = shared(), b = shared();
    for (int i = 0; i < 5; i++) {
        cr_assert(hit(&a, "ip:x", 6, MIN15).allowed);
    }
    cr_assert(hit(&b, "ip:x", 6, MIN15).allowed, "shared: the sixth request passes");
    cr_assert_not(hit(&b, "ip:x", 6, MIN15).allowed, "shared: the seventh is refused");
    redis_stop();
    /* Local limits now: each backend counts alone, from zero, and still limits. */
    int passed = 0;
    for (int i = 0; i < 10; i++)
        passed += hit(&a, "ip:x", 6, MIN15).allowed;
    cr_assert_eq(passed, 6, "local limit of 6 while Redis is down, got %d", passed);
    cr_assert_eq(shared_gauge(), 0);
    redis_start();
    /* A probe at most once per second brings Redis back; wait with a deadline. */
    bool back = false;
    for (int i = 0; i < 300 && !back; i++) {
        kw_ratelimit_result r = hit(&a, "ip:fresh", 6, MIN15);
        back = shared_gauge() == 1 && r.allowed;
        if (!back)
            usleep(20000);
    }
    cr_assert(back, "Redis was not used again");
    /* Back to one quota: the restarted (empty) Redis counts for both. */
    passed = 0;
    for (int i = 0; i < 10; i++)
        passed += hit(i % 2 ? &a : &b, "ip:again", 4, MIN15).allowed;
    cr_assert_eq(passed, 4, "shared again, got %d", passed);
    kw_ratelimit_free(&a);
    kw_ratelimit_free(&b);
}

Test(ratelimit_redis, down_at_start_is_not_an_error)
{
    redis_stop();
    kw_ratelimit rl = shared();
    int passed = 0;
    for (int i = 0; i < 5; i++)
        passed += hit(&rl, "ip:y", 3, MIN15).allowed;
    cr_assert_eq(passed, 3, "local limits from the start");
    kw_ratelimit_free(&rl);
}

Test(ratelimit_redis, urls)
{
    static const char *const bad[] = {"http://x", "rediss://h:6380", "redis://", "redis://h:0", "redis://h:70000",
                                      "redis://h/x", "redis://pass@h", "unix:relative.sock", "unix:/s?timeout=1",
                                      "redis://h?ssl=1", "redis://:%zz@h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kw_ratelimit rl;
        kw_err e = {0};
        cr_assert_eq(kw_ratelimit_redis(bad[i], clock_ms, NULL, &rl, &e), KW_EINVAL, "%s accepted", bad[i]);
        cr_assert(strstr(e.msg, "REDIS_URL"), "%s: %s", bad[i], e.msg);
    }
    char ok[200];
    snprintf(ok, sizeof ok, "unix://%s?db=3", sock);
    kw_ratelimit rl;
    kw_err e = {0};
    cr_assert_eq(kw_ratelimit_redis(ok, clock_ms, NULL, &rl, &e), 0, "%s", e.msg);
    cr_assert(hit(&rl, "ip:z", 1, MIN15).allowed);
    cr_assert_eq(shared_gauge(), 1, "database 3 selected and the script loaded");
    kw_ratelimit_free(&rl);
}
