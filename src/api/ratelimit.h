/*
 * ratelimit — request quotas per caller (SPEC §10).
 *
 * The interface (kw_ratelimit) counts requests per key; a backend is a
 * struct of function pointers plus its state. kw_ratelimit_memory is the
 * in-process backend; a shared one (Redis, for several replicas) is another
 * implementation of the same struct.
 *
 * The policy turns a caller into a key and a limit: anonymous callers by
 * client address ("ip:ADDR", 100 per 15 min by default), authenticated
 * users by id ("user:ID", 500; premium 1000). The client address is the
 * peer address; with trust_proxy it is the right-most X-Forwarded-For entry
 * (the one our own proxy appended — entries to its left are whatever the
 * client sent, so trusting them would let anyone pick their own key).
 *
 * The in-memory backend uses a sliding window counter: requests are
 * counted in fixed windows aligned to the window length, and a request is
 * allowed when  prev · (W − elapsed) / W + cur + 1 ≤ limit,  prev being the
 * previous window's count weighed by how much of it still overlaps the
 * sliding window. Only allowed requests are counted, so Retry-After is
 * exact: a retry after that many seconds passes (with no other traffic).
 * State per key: two counters; keys unseen for two windows are swept.
 *
 * Thread-safety: hit() is thread-safe (the memory backend locks one of 64
 * shards per call). The clock is injected for tests.
 */
#ifndef KW_API_RATELIMIT_H
#define KW_API_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/http.h"
#include "core/err.h"

typedef struct kw_ratelimit_result {
    bool allowed;
    int64_t limit;
    int64_t remaining;      /* requests left after this one */
    int64_t reset_s;        /* seconds until the current window ends */
    int64_t retry_after_s;  /* refused: seconds until a request would pass (≥ 1) */
} kw_ratelimit_result;

typedef struct kw_ratelimit {
    /* Counts one request for key (≤ 127 bytes) if it is within limit per
     * window_ms, and reports the quota. Returns 0, or a negative KW_E*
     * code when the backend cannot answer (the caller then lets the
     * request through and logs). */
    int (*hit)(void *state, const char *key, int64_t limit, int64_t window_ms, kw_ratelimit_result *out);
    void (*destroy)(void *state);
    void *state;
} kw_ratelimit;

/* Unix-ms clock; NULL now_ms means CLOCK_REALTIME. */
typedef int64_t (*kw_clock_fn)(void *ctx);

/* The in-memory sliding-window backend. Returns 0 or KW_ENOMEM. */
int kw_ratelimit_memory(kw_clock_fn now_ms, void *clock_ctx, kw_ratelimit *out) KW_WUR;

/* The shared backend (ratelimit_redis.c): the same sliding window, its two
 * counters per key kept in Redis and updated by one Lua script, so that
 * every replica using the same Redis counts against one quota. Windows are
 * aligned to each replica's clock (keep clocks in sync: NTP).
 *
 * url: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:PATH
 * (unix:///PATH, optional ?db=N); userinfo may be %-encoded. TLS
 * (rediss://) is not supported.
 *
 * When Redis does not answer (down, timeout, refused), hit() falls back to
 * an in-memory backend of its own — the local limits, never none — logs a
 * warning once, tries Redis again at most once per second, and logs when it
 * is back. A Redis that is down at start is therefore not an error. The
 * gauge kalewx_ratelimit_shared (process-wide metrics) is 1 while Redis
 * answers. KW_EINVAL (naming REDIS_URL) for a URL it cannot use; KW_ENOMEM. */
int kw_ratelimit_redis(const char *url, kw_clock_fn now_ms, void *clock_ctx, kw_ratelimit *out,
                       kw_err *err) KW_WUR;

/* The sliding-window decision both backends share (pure): prev and cur are
 * the allowed requests of the previous and the current window, elapsed the
 * ms since the current window began (0 ≤ elapsed < window_ms). Fills every
 * field of *out; when out->allowed the caller counts the request (cur + 1). */
void kw_ratelimit_decide(int64_t prev, int64_t cur, int64_t elapsed, int64_t limit, int64_t window_ms,
                         kw_ratelimit_result *out);
/* Destroys a backend made by any constructor. */
void kw_ratelimit_free(kw_ratelimit *rl);

typedef struct kw_ratelimit_policy {
    int64_t window_ms;                /* RATE_LIMIT_WINDOW_SECONDS · 1000 */
    int64_t limit[3];                 /* by kw_tier: anonymous, user, premium */
    bool trust_proxy;                 /* TRUST_PROXY */
} kw_ratelimit_policy;

/* The client address: peer, or (trust_proxy) the last valid IPv4/IPv6
 * entry of X-Forwarded-For, falling back to peer. */
void kw_ratelimit_client_ip(const char *peer, const char *forwarded_for, bool trust_proxy, char *out,
                            size_t cap);

/* Counts a request of `who` (anonymous: keyed by client_ip). Returns the
 * backend's code; on error *out allows the request. */
int kw_ratelimit_check(const kw_ratelimit *rl, const kw_ratelimit_policy *p, const kw_principal *who,
                       const char *client_ip, kw_ratelimit_result *out);

/* Adds RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset and, when the
 * request was refused, Retry-After. Returns 0 or the kw_http_add_header error. */
int kw_ratelimit_headers(const kw_ratelimit_result *r, kw_http_res *res) KW_WUR;

#endif
