/*
 * bench store — ledger postings per second and the refresh time of
 * user_performance_summary, on SQLite and (when DATABASE_URL names one)
 * PostgreSQL. References, measured in the same run on the same backend:
 * plain one-row INSERTs at the same transaction sizes, and a plain GROUP BY
 * over the same 100,000 positions.
 *
 * SQLite runs in a fresh temporary directory. PostgreSQL runs in a schema
 * "kalewx_bench" of the DATABASE_URL database, dropped before and after.
 * `make bench` starts a throwaway server for it (tests/pg_env.sh, fsync on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "store/ledger.h"
#include "store/migrate.h"
#include "store/performance.h"

#define BATCH 1000
#define POSITIONS_USERS 1000
#define POSITIONS_CYCLES 100

static const kw_sql RAW_TABLE = {.sql = "CREATE TABLE bench_raw (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)"};
static const kw_sql RAW_INSERT = {.sql = "INSERT INTO bench_raw (id, v) VALUES ($1, $2)"};

/* 1,000 users × 100 cycles, one settled plant position each. */
static const kw_sql GEN_USERS = {
    .sqlite = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
              "INSERT INTO users (username, password_hash, created_at, updated_at) "
              "SELECT CAST($2 AS TEXT) || i, 'x', 0, 0 FROM n",
    .pg = "INSERT INTO users (username, password_hash, created_at, updated_at) "
          "SELECT CAST($2 AS TEXT) || i, 'x', 0, 0 FROM generate_series(1, $1) AS i"};
static const kw_sql GEN_CYCLES = {
    .sqlite = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
              "INSERT INTO weather_cycles (cycle_id, start_block, end_block, created_at, updated_at) "
              "SELECT i, i * 10, i * 10 + 9, 0, 0 FROM n",
    .pg = "INSERT INTO weather_cycles (cycle_id, start_block, end_block, created_at, updated_at) "
          "SELECT i, i * 10, i * 10 + 9, 0, 0 FROM generate_series(1, $1) AS i"};
static const kw_sql GEN_ACTIONS = {
    .sql = "INSERT INTO cycle_actions (user_id, cycle_id, block_number, action_type, agriculture_type, amount, "
           "created_at) SELECT u.id, c.cycle_id, c.start_block, 'agriculture', 'plant', 1000000, c.cycle_id * 1000 "
           "FROM users u CROSS JOIN weather_cycles c WHERE u.username LIKE 'pos%'"};
static const kw_sql GEN_POSITIONS = {
    .sql = "INSERT INTO farm_positions (action_id, user_id, cycle_id, position_type, stake_amount, status, "
           "base_reward, final_reward, weather_modifier_ppm, created_at, updated_at, settled_at) "
           "SELECT id, user_id, cycle_id, 'plant', amount, 'settled', id % 50000, "
           "(amount + id % 50000) * (100000 + id * 7919 % 1900000) / 1000000, 100000 + id * 7919 % 1900000, "
           "created_at, created_at, created_at FROM cycle_actions"};
static const kw_sql AGGREGATE = {
    .sql = "SELECT COUNT(*) FROM (SELECT user_id, COUNT(*), SUM(stake_amount), SUM(final_reward) "
           "FROM farm_positions GROUP BY user_id) x"};

typedef struct bench_ctx {
    kw_store *st;
    kw_db *db;
    double seconds;
    kw_err err;
    int64_t next_raw;
    int64_t acct[2];
    int64_t flip;
} bench_ctx;

static int raw_insert(bench_ctx *b)
{
    int64_t id = ++b->next_raw;
    return kw_db_exec(b->db, &RAW_INSERT, KW_ARGS(KW_I(id), KW_I(id * 3)), NULL, &b->err);
}

/* Swings 250 stroops back and forth between two users, so every posting
 * succeeds however long the run. */
static int ledger_transfer(bench_ctx *b)
{
    int from = (int)(b->flip++ & 1);
    kw_ledger_line l[2] = {{b->acct[from], -250}, {b->acct[!from], 250}};
    kw_ledger_entry e = {.kind = "transfer", .lines = l, .nlines = 2, .at_ms = b->flip};
    return kw_ledger_post(b->db, &e, NULL, &b->err);
}

/* Operations per second of one(), per_tx of them per transaction. */
static int rate(bench_ctx *b, int per_tx, int (*one)(bench_ctx *b), double *out)
{
    int rc;
    int64_t done = 0;
    double t0 = kw_bench_now(), t;
    do {
        if ((rc = kw_db_begin(b->db, &b->err)) != 0)
            return rc;
        for (int i = 0; i < per_tx; i++)
            if ((rc = one(b)) != 0)
                return rc;
        if ((rc = kw_db_commit(b->db, &b->err)) != 0)
            return rc;
        done += per_tx;
    } while ((t = kw_bench_now() - t0) < b->seconds);
    *out = (double)done / t;
    return 0;
}

static int setup_ledger(bench_ctx *b)
{
    int rc;
    int64_t users[2], in;
    if ((rc = kw_db_exec(b->db, &RAW_TABLE, KW_NOARGS, NULL, &b->err)) != 0 ||
        (rc = kw_db_begin(b->db, &b->err)) != 0 ||
        (rc = kw_db_exec(b->db, &GEN_USERS, KW_ARGS(KW_I(2), KW_T("ledger")), NULL, &b->err)) != 0)
        return rc;
    static const kw_sql IDS = {.sql = "SELECT id FROM users ORDER BY id"};
    kw_rows *r;
    if ((rc = kw_db_query(b->db, &IDS, KW_NOARGS, &r, &b->err)) != 0)
        return rc;
    for (int i = 0; i < 2 && (rc = kw_rows_next(r, &b->err)) == 1; i++)
        users[i] = kw_rows_int(r, 0);
    kw_rows_close(r);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 2; i++)
        if ((rc = kw_ledger_open_user(b->db, users[i], 0, &b->err)) != 0 ||
            (rc = kw_ledger_account(b->db, KW_ACCT_USER_AVAILABLE, users[i], &b->acct[i], &b->err)) != 0)
            return rc;
    if ((rc = kw_ledger_account(b->db, KW_ACCT_CHAIN_IN, 0, &in, &b->err)) != 0)
        return rc;
    kw_ledger_line l[3] = {{in, -2000}, {b->acct[0], 1000}, {b->acct[1], 1000}};
    kw_ledger_entry e = {.kind = "deposit", .lines = l, .nlines = 3, .at_ms = 0};
    if ((rc = kw_ledger_post(b->db, &e, NULL, &b->err)) != 0)
        return rc;
    return kw_db_commit(b->db, &b->err);
}

static int setup_positions(bench_ctx *b)
{
    int rc;
    if ((rc = kw_db_begin(b->db, &b->err)) != 0 ||
        (rc = kw_db_exec(b->db, &GEN_USERS, KW_ARGS(KW_I(POSITIONS_USERS), KW_T("pos")), NULL, &b->err)) != 0 ||
        (rc = kw_db_exec(b->db, &GEN_CYCLES, KW_ARGS(KW_I(POSITIONS_CYCLES)), NULL, &b->err)) != 0 ||
        (rc = kw_db_exec(b->db, &GEN_ACTIONS, KW_NOARGS, NULL, &b->err)) != 0 ||
        (rc = kw_db_exec(b->db, &GEN_POSITIONS, KW_NOARGS, NULL, &b->err)) != 0)
        return rc;
    return kw_db_commit(b->db, &b->err);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, c = *(const double *)y;
    return (a > c) - (a < c);
}

/* Median of three timings of the refresh and of the plain aggregation. */
static int refresh_times(bench_ctx *b, double *refresh, double *aggregate)
{
    double tr[3], ta[3];
    int rc;
    int64_t n;
    for (int i = 0; i < 3; i++) {
        double t0 = kw_bench_now();
        if ((rc = kw_db_begin(b->db, &b->err)) != 0 || (rc = kw_performance_refresh(b->db, &b->err)) != 0 ||
            (rc = kw_db_commit(b->db, &b->err)) != 0)
            return rc;
        tr[i] = kw_bench_now() - t0;
        t0 = kw_bench_now();
        if ((rc = kw_db_query_int(b->db, &AGGREGATE, KW_NOARGS, &n, &b->err)) != 0)
            return rc;
        ta[i] = kw_bench_now() - t0;
    }
    qsort(tr, 3, sizeof *tr, cmp_double);
    qsort(ta, 3, sizeof *ta, cmp_double);
    *refresh = tr[1];
    *aggregate = ta[1];
    return 0;
}

static int measure(bench_ctx *b, const char *name, kw_bench_result *r)
{
    int rc;
    double raw1, raw_batch, led1, led_batch, refresh, aggregate;
    char metric[80], ref[64];
    if ((rc = setup_ledger(b)) != 0 || (rc = rate(b, 1, raw_insert, &raw1)) != 0 ||
        (rc = rate(b, 1, ledger_transfer, &led1)) != 0 || (rc = rate(b, BATCH, raw_insert, &raw_batch)) != 0 ||
        (rc = rate(b, BATCH, ledger_transfer, &led_batch)) != 0 ||
        (rc = setup_positions(b)) != 0 || (rc = refresh_times(b, &refresh, &aggregate)) != 0) {
        fprintf(stderr, "bench store (%s): %s\n", name, b->err.msg);
        return rc;
    }
    snprintf(metric, sizeof metric, "%s ledger entries, 1 per tx", name);
    snprintf(ref, sizeof ref, "1-row INSERT per tx: %.0f/s", raw1);
    kw_bench_row_add(r, metric, led1, "entries/s", led1 / raw1, ref);
    snprintf(metric, sizeof metric, "%s ledger entries, %d per tx", name, BATCH);
    snprintf(ref, sizeof ref, "1-row INSERTs, %d per tx: %.0f/s", BATCH, raw_batch);
    kw_bench_row_add(r, metric, led_batch, "entries/s", led_batch / raw_batch, ref);
    snprintf(metric, sizeof metric, "%s summary refresh, 100k positions", name);
    snprintf(ref, sizeof ref, "GROUP BY over the positions: %.1f ms", aggregate * 1e3);
    kw_bench_row_add(r, metric, refresh * 1e3, "ms", refresh / aggregate, ref);
    return 0;
}

typedef struct store_run {
    double seconds;
    kw_bench_result *r;
} store_run;

static int run_on(const kw_store_options *o, const char *name, void *ctx)
{
    store_run *sr = ctx;
    bench_ctx b = {.seconds = sr->seconds};
    int rc = kw_store_open(o, &b.st, &b.err);
    if (rc == 0)
        rc = kw_migrate(b.st, NULL, &b.err);
    if (rc == 0 && (rc = kw_store_acquire(b.st, KW_DB_WRITE, &b.db, &b.err)) == 0) {
        rc = measure(&b, name, sr->r);
        kw_store_release(b.st, b.db);
    } else {
        fprintf(stderr, "bench store (%s): %s\n", name, b.err.msg);
    }
    kw_store_close(b.st);
    return rc;
}

int kw_bench_store(const kw_bench_opts *o, kw_bench_result *r)
{
    store_run sr = {.seconds = o->seconds, .r = r};
    return kw_bench_each_db(o, "store", run_on, &sr);
}
