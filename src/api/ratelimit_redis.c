/*
 * The Redis backend of ratelimit.h. Each key has one counter per window,
 * "kalewx:rl:{<key>}:<window start ms>", expiring once it can no longer be a
 * previous window. One Lua script reads the current and previous counters,
 * decides and counts, so concurrent replicas never both take the last
 * request of a quota. The script compares exactly in Lua's doubles by
 * splitting each product into 24-bit limbs; the fields of the result come
 * from kw_ratelimit_decide, the function the memory backend uses.
 *
 * Connections: a small pool of blocking hiredis contexts, one per request in
 * flight, with short connect and command timeouts. Any failure drops the
 * connection, tries a fresh one once, and then declares Redis down: the
 * local backend answers until a probe, at most once per RETRY_MS, succeeds.
 */
#include "api/ratelimit.h"

#include <ctype.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obs/clock.h"
#include "obs/log.h"
#include "obs/metrics.h"

#define POOL_MAX 16
#define TIMEOUT_MS 250
#define RETRY_MS 1000
#define KEY_MAX 128
/* Limits of the exact comparison in the script: a · b with b < 2^29 and a < 2^47. */
#define EXACT_WINDOW_MAX (INT64_C(1) << 29)
#define EXACT_LIMIT_MAX (INT64_C(1) << 47)

static const char SCRIPT[] =
    "local cur = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "local prev = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
    "local limit, w, e = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local B = 16777216\n"
    "local function wide(a, b)\n"
    "  local a1 = math.floor(a / B)\n"
    "  local lo = (a - a1 * B) * b\n"
    "  local carry = math.floor(lo / B)\n"
    "  return a1 * b + carry, lo - carry * B\n"
    "end\n"
    /* allowed  <=>  prev·(w − e) + (cur + 1)·w ≤ limit·w  <=>  prev·(w − e) ≤ (limit − cur − 1)·w */
    "local allowed = 0\n"
    "local r = limit - cur - 1\n"
    "if r >= 0 then\n"
    "  local h1, l1 = wide(prev, w - e)\n"
    "  local h2, l2 = wide(r, w)\n"
    "  if h1 < h2 or (h1 == h2 and l1 <= l2) then allowed = 1 end\n"
    "end\n"
    "if allowed == 1 then\n"
    "  redis.call('INCR', KEYS[1])\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[4])\n"
    "end\n"
    "return {allowed, prev, cur}\n";

typedef struct target {
    char host[256];
    int port;
    char path[256];       /* unix socket, or "" */
    char user[128];
    char password[256];
    int db;
} target;

typedef struct redis_rl {
    target t;
    kw_ratelimit local;
    kw_clock_fn now_ms;
    void *clock_ctx;
    kw_metrics_series *gauge;

    pthread_mutex_t mu;
    pthread_cond_t freed;
    redisContext *idle[POOL_MAX];
    int nidle, total;
    bool down;            /* the local backend answers until retry_at */
    bool probing;         /* one request is trying Redis again */
    int64_t retry_at;     /* monotonic ms */
    char sha[41];         /* the loaded script, "" until first loaded */
} redis_rl;

static int64_t monotonic_ms(void) { return kw_clock_mono_ms(kw_clock_system()); }

/* ---- the URL ----------------------------------------------------------------- */

static int hexval(int c) { return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1; }

/* Copies n bytes of s into out (cap), decoding %XX. Returns false when it does not fit or is malformed. */
static bool decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = hi * 16 + lo;
            i += 2;
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return true;
}

static bool parse_db(const char *s, int *db)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 1000000)
        return false;
    *db = (int)v;
    return true;
}

static int parse_url(const char *url, target *t, kw_err *err)
{
    memset(t, 0, sizeof *t);
    t->port = 6379;
    if (strncmp(url, "rediss://", 9) == 0)
        return kw_err_set(err, KW_EINVAL, "REDIS_URL: TLS (rediss://) is not supported; use a TLS tunnel or a private network");
    if (strncmp(url, "unix:", 5) == 0) {
        const char *p = url + 5;
        if (strncmp(p, "//", 2) == 0)
            p += 2;
        const char *q = strchr(p, '?');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 0 || p[0] != '/' || !decode(p, n, t->path, sizeof t->path))
            return kw_err_set(err, KW_EINVAL, "REDIS_URL: unix: needs an absolute socket path (unix:/run/redis.sock)");
        if (q && (strncmp(q, "?db=", 4) != 0 || !parse_db(q + 4, &t->db)))
            return kw_err_set(err, KW_EINVAL, "REDIS_URL: the only option of a unix: URL is ?db=N");
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return kw_err_set(err, KW_EINVAL, "REDIS_URL must be redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:PATH");
    const char *p = url + 8, *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (!colon || !decode(p, (size_t)(colon - p), t->user, sizeof t->user) ||
            !decode(colon + 1, (size_t)(at - colon - 1), t->password, sizeof t->password))
            return kw_err_set(err, KW_EINVAL, "REDIS_URL: credentials are written [USER]:PASSWORD@");
        p = at + 1;
    }
    const char *colon = NULL;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close || (size_t)(close - p - 1) >= sizeof t->host)
            return kw_err_set(err, KW_EINVAL, "REDIS_URL: malformed IPv6 host");
        memcpy(t->host, p + 1, (size_t)(close - p - 1));
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        size_t n = (size_t)((colon ? colon : end) - p);
        if (n == 0 || n >= sizeof t->host)
            return kw_err_set(err, KW_EINVAL, "REDIS_URL: no host");
        memcpy(t->host, p, n);
    }
    if (colon) {
        char port[8] = "";
        size_t n = (size_t)(end - colon - 1);
        char *stop;
        long v = n && n < sizeof port ? (memcpy(port, colon + 1, n), strtol(port, &stop, 10)) : 0;
        if (!n || n >= sizeof port || *stop || v < 1 || v > 65535)
            return kw_err_set(err, KW_EINVAL, "REDIS_URL: the port must be 1..65535");
        t->port = (int)v;
    }
    if (*end == '/' && end[1] && !parse_db(end + 1, &t->db))
        return kw_err_set(err, KW_EINVAL, "REDIS_URL: the database after the host must be a number");
    if (*end == '?' || *end == '#' || (*end == '/' && strpbrk(end, "?#")))
        return kw_err_set(err, KW_EINVAL, "REDIS_URL: query options are not supported");
    return 0;
}

/* ---- connections ---------------------------------------------------------------- */

/* hiredis writes with write(2), so a peer that went away raises SIGPIPE,
 * which would end the process. As libpq does, the calling thread blocks it
 * for the call and discards one raised meanwhile (unless one was already
 * pending before: that one is not ours to take). */
static redisReply *command(redisContext *c, int argc, const char **argv)
{
    sigset_t pipe, old, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE)) {
        const struct timespec zero = {0, 0};
        sigtimedwait(&pipe, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}

static bool ok_reply(redisReply *r, int type)
{
    return r && r->type == type;
}

/* Connects, authenticates, selects the database and loads the script. */
static redisContext *open_conn(redis_rl *rl, char sha[41], char *why, size_t cap)
{
    struct timeval tv = {0, TIMEOUT_MS * 1000};
    redisContext *c = rl->t.path[0] ? redisConnectUnixWithTimeout(rl->t.path, tv)
                                    : redisConnectWithTimeout(rl->t.host, rl->t.port, tv);
    if (!c || c->err) {
        snprintf(why, cap, "%s", c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    redisReply *r = NULL;
    if (redisSetTimeout(c, tv) != REDIS_OK)
        goto fail;
    if (rl->t.password[0]) {
        const char *a[] = {"AUTH", rl->t.user, rl->t.password};
        r = rl->t.user[0] ? command(c, 3, a) : command(c, 2, (const char *[]){"AUTH", rl->t.password});
        if (!ok_reply(r, REDIS_REPLY_STATUS))
            goto fail;
        freeReplyObject(r);
    }
    if (rl->t.db) {
        char db[16];
        snprintf(db, sizeof db, "%d", rl->t.db);
        r = command(c, 2, (const char *[]){"SELECT", db});
        if (!ok_reply(r, REDIS_REPLY_STATUS))
            goto fail;
        freeReplyObject(r);
    }
    r = command(c, 3, (const char *[]){"SCRIPT", "LOAD", SCRIPT});
    if (!ok_reply(r, REDIS_REPLY_STRING) || r->len != 40)
        goto fail;
    memcpy(sha, r->str, 41);
    freeReplyObject(r);
    return c;
fail:
    snprintf(why, cap, "%s", c->err ? c->errstr : r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return NULL;
}

/* A pooled connection, or a new one (NULL when it cannot connect). */
static redisContext *take(redis_rl *rl, char *why, size_t cap)
{
    pthread_mutex_lock(&rl->mu);
    while (rl->nidle == 0 && rl->total >= POOL_MAX)
        pthread_cond_wait(&rl->freed, &rl->mu);
    if (rl->nidle > 0) {
        redisContext *c = rl->idle[--rl->nidle];
        pthread_mutex_unlock(&rl->mu);
        return c;
    }
    rl->total++;
    pthread_mutex_unlock(&rl->mu);
    char sha[41];
    redisContext *c = open_conn(rl, sha, why, cap);
    pthread_mutex_lock(&rl->mu);
    if (c)
        memcpy(rl->sha, sha, sizeof sha);
    else
        rl->total--;
    pthread_cond_signal(&rl->freed);
    pthread_mutex_unlock(&rl->mu);
    return c;
}

static void give_back(redis_rl *rl, redisContext *c, bool broken)
{
    pthread_mutex_lock(&rl->mu);
    if (broken) {
        redisFree(c);
        rl->total--;
    } else {
        rl->idle[rl->nidle++] = c;
    }
    pthread_cond_signal(&rl->freed);
    pthread_mutex_unlock(&rl->mu);
}

/* Redis stopped answering: drop the idle connections (they are as dead) and
 * answer locally until the next probe. */
static void mark_down(redis_rl *rl, const char *why)
{
    pthread_mutex_lock(&rl->mu);
    bool was_down = rl->down;
    rl->down = true;
    rl->probing = false;
    rl->retry_at = monotonic_ms() + RETRY_MS;
    while (rl->nidle > 0) {
        redisFree(rl->idle[--rl->nidle]);
        rl->total--;
    }
    pthread_mutex_unlock(&rl->mu);
    if (!was_down) {
        kw_metrics_set(rl->gauge, 0);
        KW_LOG(KW_LOG_WARN, "Redis does not answer: rate limits fall back to this replica's local limits",
               KW_LS("error", why));
    }
}

static void mark_up(redis_rl *rl)
{
    pthread_mutex_lock(&rl->mu);
    bool was_down = rl->down;
    rl->down = false;
    rl->probing = false;
    pthread_mutex_unlock(&rl->mu);
    kw_metrics_set(rl->gauge, 1);
    if (was_down)
        KW_LOG(KW_LOG_INFO, "Redis answers again: rate limits are shared across replicas");
}

/* Whether this request should use Redis: yes while up; while down, only the
 * one request that probes after RETRY_MS. */
static bool use_redis(redis_rl *rl)
{
    pthread_mutex_lock(&rl->mu);
    bool use = !rl->down || (!rl->probing && monotonic_ms() >= rl->retry_at);
    if (rl->down && use)
        rl->probing = true;
    pthread_mutex_unlock(&rl->mu);
    return use;
}

/* Runs the script on c. 1 = answered (allowed/prev/cur set), 0 = the script
 * is unknown to this server, -1 = the connection failed. */
static int run_script(redis_rl *rl, redisContext *c, const char *const keys[2], const char *const args[4],
                      bool *allowed, int64_t *prev, int64_t *cur, char *why, size_t cap)
{
    char sha[41];
    pthread_mutex_lock(&rl->mu);
    memcpy(sha, rl->sha, sizeof sha);
    pthread_mutex_unlock(&rl->mu);
    const char *argv[] = {"EVALSHA", sha, "2", keys[0], keys[1], args[0], args[1], args[2], args[3]};
    redisReply *r = command(c, 9, argv);
    int rc = -1;
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        rc = 0;
    } else if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_INTEGER &&
               r->element[1]->type == REDIS_REPLY_INTEGER && r->element[2]->type == REDIS_REPLY_INTEGER) {
        *allowed = r->element[0]->integer == 1;
        *prev = r->element[1]->integer;
        *cur = r->element[2]->integer;
        rc = 1;
    } else {
        snprintf(why, cap, "%s", c->err ? c->errstr : r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    }
    if (r)
        freeReplyObject(r);
    return rc;
}

static int redis_hit(void *state, const char *key, int64_t limit, int64_t window_ms, kw_ratelimit_result *out)
{
    redis_rl *rl = state;
    if (strlen(key) >= KEY_MAX || window_ms <= 0 || limit < 0)
        return KW_EINVAL;
    if (window_ms >= EXACT_WINDOW_MAX || limit >= EXACT_LIMIT_MAX || !use_redis(rl))
        return rl->local.hit(rl->local.state, key, limit, window_ms, out);
    int64_t now = rl->now_ms(rl->clock_ctx), start = now - now % window_ms, elapsed = now - start;
    char cur_key[KEY_MAX + 48], prev_key[KEY_MAX + 48], a_limit[24], a_window[24], a_elapsed[24], a_ttl[24];
    /* The braces keep both keys of a caller in one Redis Cluster slot. */
    snprintf(cur_key, sizeof cur_key, "kalewx:rl:{%s}:%lld", key, (long long)start);
    snprintf(prev_key, sizeof prev_key, "kalewx:rl:{%s}:%lld", key, (long long)(start - window_ms));
    snprintf(a_limit, sizeof a_limit, "%lld", (long long)limit);
    snprintf(a_window, sizeof a_window, "%lld", (long long)window_ms);
    snprintf(a_elapsed, sizeof a_elapsed, "%lld", (long long)elapsed);
    /* Kept while it can be the previous window, plus a margin for clock skew between replicas. */
    snprintf(a_ttl, sizeof a_ttl, "%lld", (long long)(2 * window_ms - elapsed + 60000));
    const char *const keys[2] = {cur_key, prev_key}, *const args[4] = {a_limit, a_window, a_elapsed, a_ttl};
    char why[160] = "";
    bool allowed = false;
    int64_t prev = 0, cur = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        redisContext *c = take(rl, why, sizeof why);
        if (!c)
            continue;
        int got = run_script(rl, c, keys, args, &allowed, &prev, &cur, why, sizeof why);
        if (got == 0) {
            /* A restarted Redis forgot the script: this connection reloads it. */
            redisReply *r = command(c, 3, (const char *[]){"SCRIPT", "LOAD", SCRIPT});
            bool loaded = ok_reply(r, REDIS_REPLY_STRING);
            if (r)
                freeReplyObject(r);
            got = loaded ? run_script(rl, c, keys, args, &allowed, &prev, &cur, why, sizeof why) : -1;
        }
        give_back(rl, c, got != 1);
        if (got == 1) {
            mark_up(rl);
            kw_ratelimit_decide(prev, cur, elapsed, limit, window_ms, out);
            out->allowed = allowed;
            return 0;
        }
    }
    mark_down(rl, why);
    return rl->local.hit(rl->local.state, key, limit, window_ms, out);
}

static void redis_destroy(void *state)
{
    redis_rl *rl = state;
    while (rl->nidle > 0)
        redisFree(rl->idle[--rl->nidle]);
    kw_ratelimit_free(&rl->local);
    pthread_cond_destroy(&rl->freed);
    pthread_mutex_destroy(&rl->mu);
    explicit_bzero(&rl->t, sizeof rl->t);
    free(rl);
}

int kw_ratelimit_redis(const char *url, kw_clock_fn now_ms, void *clock_ctx, kw_ratelimit *out, kw_err *err)
{
    redis_rl *rl = calloc(1, sizeof *rl);
    if (!rl)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int rc = parse_url(url, &rl->t, err);
    if (rc) {
        explicit_bzero(&rl->t, sizeof rl->t);
        free(rl);
        return rc;
    }
    if (kw_ratelimit_memory(now_ms, clock_ctx, &rl->local) != 0) {
        free(rl);
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&rl->mu, NULL);
    pthread_cond_init(&rl->freed, NULL);
    rl->now_ms = now_ms ? now_ms : kw_clock_system()->now_ms;
    rl->clock_ctx = now_ms ? clock_ctx : kw_clock_system()->ctx;
    rl->gauge = kw_metrics_series_get(kw_metrics_std_global()->ratelimit_shared, NULL);
    char why[160];
    redisContext *c = take(rl, why, sizeof why);
    if (c) {
        give_back(rl, c, false);
        mark_up(rl);
        KW_LOG(KW_LOG_INFO, "rate limits are shared through Redis");
    } else {
        mark_down(rl, why);
    }
    *out = (kw_ratelimit){redis_hit, redis_destroy, rl};
    return 0;
}
