/*
 * metrics — counters, gauges and histograms with labels, rendered in the
 * Prometheus text exposition format (version 0.0.4) for GET /metrics (SPEC §15).
 *
 * A registry (kw_metrics) holds families; a family has a name, help text,
 * a type and up to KW_METRICS_MAX_LABELS label names; each combination of
 * label values is a series, created on first use:
 *
 *     kw_metrics_series *s = KW_METRICS_SERIES(std->api_request_duration, "GET", "/health", "200");
 *     kw_metrics_observe(s, 0.0012);
 *
 * Hot paths should look a series up once and keep the pointer: series live
 * as long as the registry and never move.
 *
 * Values:
 *   - counters are integers that only go up; a family registered with
 *     `decimals` = 7 prints its integer as a KALE amount ("12.5000000"), so
 *     money is counted in stroops, never in floating point;
 *   - gauges are doubles (set or add);
 *   - histograms take double observations into fixed upper bounds (plus +Inf).
 *
 * Limits: a family holds at most KW_METRICS_MAX_SERIES series; once full,
 * kw_metrics_series returns NULL for new label values and every update
 * function ignores a NULL series, so callers never need to check. Label
 * values must therefore come from small fixed sets (route patterns, not raw
 * paths).
 *
 * The process-wide registry kw_metrics_global() has the SPEC §15 families
 * pre-registered (kw_metrics_std_global()); tests create their own.
 *
 * Thread-safety: every function is thread-safe. Updates are lock-free
 * atomics; creating a series takes the family's mutex once.
 */
#ifndef KW_OBS_METRICS_H
#define KW_OBS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define KW_METRICS_MAX_LABELS 4
#define KW_METRICS_MAX_SERIES 512
#define KW_METRICS_MAX_BUCKETS 24

typedef struct kw_metrics kw_metrics;
typedef struct kw_metrics_family kw_metrics_family;
typedef struct kw_metrics_series kw_metrics_series;

typedef enum kw_metrics_type {
    KW_METRICS_COUNTER = 0,
    KW_METRICS_GAUGE,
    KW_METRICS_HISTOGRAM,
} kw_metrics_type;

typedef struct kw_metrics_def {
    const char *name;       /* [a-zA-Z_:][a-zA-Z0-9_:]* */
    const char *help;       /* one line */
    kw_metrics_type type;
    const char *labels;     /* comma-separated label names, NULL or "" for none */
    int decimals;           /* counters: printed value = integer / 10^decimals (0..9) */
    const double *buckets;  /* histograms: strictly increasing finite upper bounds */
    size_t nbuckets;        /* 1..KW_METRICS_MAX_BUCKETS */
} kw_metrics_def;

/* Creates an empty registry. Returns 0 or KW_ENOMEM. */
int kw_metrics_new(kw_metrics **out) KW_WUR;
/* Frees the registry, its families and series. Not concurrently with use. */
void kw_metrics_free(kw_metrics *m);

/* Adds a family. KW_EINVAL (message says why) for a bad name, label name,
 * bucket list or a name already registered; KW_ENOMEM. A family without
 * labels has its single series created at once, so it renders as 0. */
int kw_metrics_register(kw_metrics *m, const kw_metrics_def *def, kw_metrics_family **out,
                        kw_err *err) KW_WUR;

/* The series of these label values (exactly as many as the family has
 * labels; NULL values count as ""), created on first use. NULL when the
 * family is full, out of memory, or f is NULL. */
kw_metrics_series *kw_metrics_series_get(kw_metrics_family *f, const char *const *values);
#define KW_METRICS_SERIES(f, ...) kw_metrics_series_get((f), (const char *const[]){__VA_ARGS__})

/* Counter: adds n ≥ 0 (negative n is ignored: counters never go down). */
void kw_metrics_inc(kw_metrics_series *s, int64_t n);
/* Gauge: sets or adds. */
void kw_metrics_set(kw_metrics_series *s, double v);
void kw_metrics_add(kw_metrics_series *s, double delta);
/* Histogram: records one observation. */
void kw_metrics_observe(kw_metrics_series *s, double v);

/* Reads back a counter (raw integer) or gauge; 0 for NULL. For tests and
 * for code that reports its own numbers. */
int64_t kw_metrics_counter_value(const kw_metrics_series *s);
double kw_metrics_gauge_value(const kw_metrics_series *s);

/* Registers fn to run at the start of every render (to sample values such
 * as memory use). At most 8 per registry; KW_ELIMIT beyond. */
int kw_metrics_on_render(kw_metrics *m, void (*fn)(void *ctx), void *ctx) KW_WUR;

/* Renders every family in registration order. *out is malloc'd and owned
 * by the caller. Returns 0 or KW_ENOMEM. */
int kw_metrics_render(kw_metrics *m, char **out, size_t *len) KW_WUR;

/* The Content-Type of the rendered text. */
#define KW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The SPEC §15 families. Labels are listed after each name. */
typedef struct kw_metrics_std {
    kw_metrics_family *cycles_processed;          /* kale_cycles_processed_total{outcome} */
    kw_metrics_family *user_actions;              /* kale_user_actions_total{action_type,status} */
    kw_metrics_family *rewards_distributed;       /* kale_rewards_distributed_kale{type}, in stroops */
    kw_metrics_family *api_request_duration;      /* kale_api_request_duration_seconds{method,route,status_code} */
    kw_metrics_family *dao_consensus_duration;    /* kale_dao_consensus_duration_seconds */
    kw_metrics_family *block_processing_duration; /* kale_block_processing_duration_seconds */
    kw_metrics_family *errors;                    /* kale_errors_total{type,component} */
    kw_metrics_family *db_connections;            /* kale_db_connections_active */
    kw_metrics_family *memory_usage;              /* kale_memory_usage_bytes{type} (rss, virtual) */
    kw_metrics_family *work_hash_rate;            /* kale_work_hash_rate (hashes per second) */
    kw_metrics_family *leader;                    /* kalewx_leader: 1 while this replica runs the engine */
    kw_metrics_family *ratelimit_shared;          /* kalewx_ratelimit_shared: 1 while Redis keeps the limits */
} kw_metrics_std;

/* Registers the SPEC §15 families into m and samples the process memory on
 * every render (so *out must live as long as m). Returns 0, KW_EINVAL (already registered) or KW_ENOMEM. */
int kw_metrics_register_std(kw_metrics *m, kw_metrics_std *out, kw_err *err) KW_WUR;

/* The process-wide registry with the standard families, created on first
 * use. If that allocation fails, kw_metrics_global() is NULL and every
 * family of kw_metrics_std_global() is NULL, so updates do nothing. */
kw_metrics *kw_metrics_global(void);
const kw_metrics_std *kw_metrics_std_global(void);

#endif
