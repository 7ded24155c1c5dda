#include "api/ratelimit.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHARDS 64
#define KEY_MAX 128

typedef struct entry {
    struct entry *next;
    int64_t window_start;   /* ms, a multiple of the window length */
    int64_t cur, prev;      /* allowed requests in this and the previous window */
    uint64_t hash;
    char key[KEY_MAX];
} entry;

typedef struct shard {
    pthread_mutex_t mu;
    entry **buckets;
    size_t nbuckets;        /* a power of two */
    size_t count;
    size_t sweep_at;        /* sweep stale entries when count reaches this */
} shard;

typedef struct memory {
    shard shards[SHARDS];
    kw_clock_fn now_ms;
    void *clock_ctx;
} memory;

static int64_t realtime_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Drops entries whose newest window ended before `horizon`. */
static void sweep(shard *sh, int64_t horizon_start)
{
    for (size_t b = 0; b < sh->nbuckets; b++) {
        entry **pp = &sh->buckets[b];
        while (*pp) {
            entry *e = *pp;
            if (e->window_start < horizon_start) {
                *pp = e->next;
                free(e);
                sh->count--;
            } else {
                pp = &e->next;
            }
        }
    }
}

static int grow(shard *sh)
{
    size_t n = sh->nbuckets ? sh->nbuckets * 2 : 64;
    entry **nb = calloc(n, sizeof *nb);
    if (!nb)
        return KW_ENOMEM;
    for (size_t b = 0; b < sh->nbuckets; b++)
        for (entry *e = sh->buckets[b], *next; e; e = next) {
            next = e->next;
            e->next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
        }
    free(sh->buckets);
    sh->buckets = nb;
    sh->nbuckets = n;
    return 0;
}

static entry *lookup(shard *sh, const char *key, uint64_t h, int64_t now, int64_t window)
{
    if (sh->nbuckets) {
        for (entry *e = sh->buckets[h & (sh->nbuckets - 1)]; e; e = e->next)
            if (e->hash == h && strcmp(e->key, key) == 0)
                return e;
    }
    if (sh->count >= sh->sweep_at) {
        /* An entry two windows old counts for nothing any more. */
        sweep(sh, now - now % window - window);
        sh->sweep_at = sh->count * 2 > 1024 ? sh->count * 2 : 1024;
    }
    if ((sh->count >= sh->nbuckets) && grow(sh) != 0)
        return NULL;
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->hash = h;
    snprintf(e->key, sizeof e->key, "%s", key);
    e->next = sh->buckets[h & (sh->nbuckets - 1)];
    sh->buckets[h & (sh->nbuckets - 1)] = e;
    sh->count++;
    return e;
}

/* Ceiling of a / b for a ≥ 0, b > 0. */
static int64_t ceil_div(__int128 a, int64_t b) { return (int64_t)((a + b - 1) / b); }

void kw_ratelimit_decide(int64_t prev, int64_t cur, int64_t elapsed, int64_t limit, int64_t w,
                         kw_ratelimit_result *out)
{
    __int128 weighted = (__int128)prev * (w - elapsed);   /* prev's share, times w */
    __int128 quota = (__int128)limit * w;
    out->limit = limit;
    out->reset_s = ceil_div(w - elapsed, 1000);
    out->allowed = weighted + (__int128)(cur + 1) * w <= quota;
    if (out->allowed) {
        __int128 left = quota - weighted - (__int128)(cur + 1) * w;
        out->remaining = left > 0 ? (int64_t)(left / w) : 0;
        out->retry_after_s = 0;
        return;
    }
    out->remaining = 0;
    int64_t wait_ms;
    if (limit <= 0) {
        /* Nothing ever passes; point at the next window rather than never. */
        wait_ms = w - elapsed;
    } else if (cur + 1 <= limit) {
        /* The previous window's share must shrink by the excess. */
        __int128 excess = weighted + (__int128)(cur + 1) * w - quota;
        wait_ms = ceil_div(excess, prev);
    } else {
        /* Only the next window helps: then this window is `prev`. */
        __int128 need = (__int128)cur * w - (__int128)(limit - 1) * w;
        wait_ms = (w - elapsed) + ceil_div(need, cur);
    }
    int64_t s = ceil_div(wait_ms, 1000);
    out->retry_after_s = s < 1 ? 1 : s;
}

static int memory_hit(void *state, const char *key, int64_t limit, int64_t window_ms, kw_ratelimit_result *out)
{
    memory *m = state;
    if (strlen(key) >= KEY_MAX || window_ms <= 0 || limit < 0)
        return KW_EINVAL;
    int64_t now = m->now_ms(m->clock_ctx);
    uint64_t h = fnv1a(key);
    shard *sh = &m->shards[h % SHARDS];
    pthread_mutex_lock(&sh->mu);
    entry *e = lookup(sh, key, h, now, window_ms);
    if (!e) {
        pthread_mutex_unlock(&sh->mu);
        return KW_ENOMEM;
    }
    int64_t start = now - now % window_ms;
    if (e->window_start != start) {
        e->prev = e->window_start == start - window_ms ? e->cur : 0;
        e->cur = 0;
        e->window_start = start;
    }
    kw_ratelimit_decide(e->prev, e->cur, now - start, limit, window_ms, out);
    if (out->allowed)
        e->cur++;
    pthread_mutex_unlock(&sh->mu);
    return 0;
}

static void memory_destroy(void *state)
{
    memory *m = state;
    for (int i = 0; i < SHARDS; i++) {
        shard *sh = &m->shards[i];
        for (size_t b = 0; b < sh->nbuckets; b++)
            for (entry *e = sh->buckets[b], *next; e; e = next) {
                next = e->next;
                free(e);
            }
        free(sh->buckets);
        pthread_mutex_destroy(&sh->mu);
    }
    free(m);
}

int kw_ratelimit_memory(kw_clock_fn now_ms, void *clock_ctx, kw_ratelimit *out)
{
    memory *m = calloc(1, sizeof *m);
    if (!m)
        return KW_ENOMEM;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&m->shards[i].mu, NULL);
        m->shards[i].sweep_at = 1024;
    }
    m->now_ms = now_ms ? now_ms : realtime_ms;
    m->clock_ctx = clock_ctx;
    *out = (kw_ratelimit){memory_hit, memory_destroy, m};
    return 0;
}

void kw_ratelimit_free(kw_ratelimit *rl)
{
    if (rl && rl->destroy)
        rl->destroy(rl->state);
    if (rl)
        *rl = (kw_ratelimit){0};
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

void kw_ratelimit_client_ip(const char *peer, const char *forwarded_for, bool trust_proxy, char *out,
                            size_t cap)
{
    snprintf(out, cap, "%s", peer ? peer : "unknown");
    if (!trust_proxy || !forwarded_for)
        return;
    const char *end = forwarded_for + strlen(forwarded_for);
    while (end > forwarded_for) {
        const char *start = end;
        while (start > forwarded_for && start[-1] != ',')
            start--;
        const char *a = start, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        char cand[64];
        if ((size_t)(b - a) < sizeof cand) {
            memcpy(cand, a, (size_t)(b - a));
            cand[b - a] = 0;
            if (is_ip(cand)) {
                snprintf(out, cap, "%s", cand);
                return;
            }
        }
        end = start > forwarded_for ? start - 1 : start;
    }
}

int kw_ratelimit_check(const kw_ratelimit *rl, const kw_ratelimit_policy *p, const kw_principal *who,
                       const char *client_ip, kw_ratelimit_result *out)
{
    char key[KEY_MAX];
    kw_tier tier = who && who->user_id ? who->tier : KW_TIER_ANONYMOUS;
    if (tier == KW_TIER_ANONYMOUS)
        snprintf(key, sizeof key, "ip:%s", client_ip ? client_ip : "unknown");
    else
        snprintf(key, sizeof key, "user:%lld", (long long)who->user_id);
    int64_t limit = p->limit[tier];
    int rc = rl->hit(rl->state, key, limit, p->window_ms, out);
    if (rc)
        *out = (kw_ratelimit_result){.allowed = true, .limit = limit, .remaining = limit};
    return rc;
}

int kw_ratelimit_headers(const kw_ratelimit_result *r, kw_http_res *res)
{
    char v[32];
    int rc;
    snprintf(v, sizeof v, "%lld", (long long)r->limit);
    if ((rc = kw_http_add_header(res, "RateLimit-Limit", v)) != 0)
        return rc;
    snprintf(v, sizeof v, "%lld", (long long)r->remaining);
    if ((rc = kw_http_add_header(res, "RateLimit-Remaining", v)) != 0)
        return rc;
    snprintf(v, sizeof v, "%lld", (long long)r->reset_s);
    if ((rc = kw_http_add_header(res, "RateLimit-Reset", v)) != 0)
        return rc;
    if (r->allowed)
        return 0;
    snprintf(v, sizeof v, "%lld", (long long)r->retry_after_s);
    return kw_http_add_header(res, "Retry-After", v);
}
