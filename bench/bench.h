/*
 * bench — the registry behind `kalewx bench NAME` and `make bench`.
 *
 * A benchmark measures its subject and, in the same run, a reference (OpenSSL,
 * a bare HTTP reply, …), and reports rows of (metric, value, unit, ratio to the
 * reference). It may also fill `json` with the keys its issue documents; when
 * it leaves json NULL the rows are turned into JSON. Never a timed pass/fail:
 * numbers are printed, not judged.
 */
#ifndef KW_BENCH_H
#define KW_BENCH_H

#include <stdbool.h>

#include <jansson.h>

#include "core/config.h"
#include "store/store.h"

#define KW_BENCH_MAX_ROWS 64

typedef struct kw_bench_opts {
    double seconds;        /* --seconds, time per measurement (default 2) */
    bool seconds_given;    /* --seconds was given: a benchmark with a longer default of its own uses seconds */
    int threads;           /* --threads, 0 = every core */
    const kw_config *cfg;
} kw_bench_opts;

typedef struct kw_bench_row {
    char metric[80];
    double value;
    char unit[24];
    double ratio;          /* value / reference value, 0 when there is none */
    char reference[64];
} kw_bench_row;

typedef struct kw_bench_result {
    kw_bench_row rows[KW_BENCH_MAX_ROWS];
    int nrows;
    json_t *json;          /* owned by the result; may stay NULL */
} kw_bench_result;

typedef struct kw_bench {
    const char *name;
    const char *summary;
    int (*run)(const kw_bench_opts *o, kw_bench_result *r);
} kw_bench;

void kw_bench_row_add(kw_bench_result *r, const char *metric, double value, const char *unit,
                      double ratio, const char *reference);

/* Monotonic seconds, for measuring. */
double kw_bench_now(void);

/* A benchmark body run on one fresh database; name is "sqlite" or "postgresql". */
typedef int (*kw_bench_db_fn)(const kw_store_options *o, const char *name, void *ctx);

/* Runs fn on SQLite, then on PostgreSQL when DATABASE_URL names a server: in
 * a schema kalewx_bench of that database, dropped before and after (the URL
 * fn gets sets search_path to it). Each run gets a new temporary directory as
 * o->data_dir (the SQLite file lives there), removed with everything in it
 * afterwards. Without PostgreSQL it says so on stderr, naming bench. Returns
 * the first failure. */
int kw_bench_each_db(const kw_bench_opts *o, const char *bench, kw_bench_db_fn fn, void *ctx);

/* The benchmarks, one per bench/bench_NAME.c. */
int kw_bench_work(const kw_bench_opts *o, kw_bench_result *r);
int kw_bench_consensus(const kw_bench_opts *o, kw_bench_result *r);
int kw_bench_custody(const kw_bench_opts *o, kw_bench_result *r);
int kw_bench_store(const kw_bench_opts *o, kw_bench_result *r);
int kw_bench_soroban(const kw_bench_opts *o, kw_bench_result *r);
int kw_bench_api(const kw_bench_opts *o, kw_bench_result *r);
int kw_bench_ratelimit(const kw_bench_opts *o, kw_bench_result *r);
int kw_bench_engine(const kw_bench_opts *o, kw_bench_result *r);
int kw_bench_load(const kw_bench_opts *o, kw_bench_result *r);

#endif
