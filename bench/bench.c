#include "bench/bench.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"

/* One row per benchmark; each lives in bench/bench_NAME.c. */
static const kw_bench benches[] = {
    {"work", "proof-of-work hashes/s per Keccak path vs OpenSSL SHA3-256", kw_bench_work},
    {"consensus", "one cycle decision: 15 DAO votes, consensus, location, weather, blend", kw_bench_consensus},
    {"custody", "wallet opens and Ed25519 signatures after the one-time KDF", kw_bench_custody},
    {"store", "ledger postings/s and performance-summary refresh on SQLite and PostgreSQL", kw_bench_store},
    {"soroban", "Stellar transaction encode, hash, sign, decode vs one Ed25519 signature", kw_bench_soroban},
    {"api", "HTTP API vs a bare libmicrohttpd reply (wrk, 64 connections)", kw_bench_api},
    {"ratelimit", "rate-limit decisions/s through Redis (REDIS_URL) vs the in-memory limiter", kw_bench_ratelimit},
    {"engine", "custodial farmers per devnet block; settling 100k positions and 100k wagers", kw_bench_engine},
    {"load", "kalewx serve under 60 s of mixed reads and writes (wrk, 64 connections); memory growth", kw_bench_load},
    {0},
};

void kw_bench_row_add(kw_bench_result *r, const char *metric, double value, const char *unit,
                      double ratio, const char *reference)
{
    if (r->nrows >= KW_BENCH_MAX_ROWS)
        return;
    kw_bench_row *row = &r->rows[r->nrows++];
    snprintf(row->metric, sizeof row->metric, "%s", metric);
    snprintf(row->unit, sizeof row->unit, "%s", unit ? unit : "");
    snprintf(row->reference, sizeof row->reference, "%s", reference ? reference : "");
    row->value = value;
    row->ratio = ratio;
}

double kw_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Runs fn with o->data_dir set to a new temporary directory, removed afterwards. */
static int in_tmpdir(kw_store_options *o, const char *name, kw_bench_db_fn fn, void *ctx)
{
    char dir[] = "/tmp/kalewx-bench-XXXXXX", url[64];
    if (!mkdtemp(dir))
        return KW_EIO;
    if (!o->url) {
        snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);
        o->url = url;
    }
    o->data_dir = dir;
    int rc = fn(o, name, ctx);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

static const kw_sql DROP_SCHEMA = {.sql = "DROP SCHEMA IF EXISTS kalewx_bench CASCADE"};
static const kw_sql CREATE_SCHEMA = {.sql = "CREATE SCHEMA kalewx_bench"};

static int pg_exec(const char *url, const kw_sql *sql, const char *bench)
{
    kw_store_options o = {.url = url, .pool_size = 1};
    kw_store *st;
    kw_db *db;
    kw_err err = {0};
    int rc = kw_store_open(&o, &st, &err);
    if (rc == 0) {
        if ((rc = kw_store_acquire(st, KW_DB_WRITE, &db, &err)) == 0) {
            rc = kw_db_exec(db, sql, KW_NOARGS, NULL, &err);
            kw_store_release(st, db);
        }
        kw_store_close(st);
    }
    if (rc)
        fprintf(stderr, "bench %s (postgresql): %s\n", bench, err.msg);
    return rc;
}

static int on_pg(const char *url, const char *bench, kw_bench_db_fn fn, void *ctx)
{
    char scoped[4200];
    if ((size_t)snprintf(scoped, sizeof scoped, "%s%coptions=-csearch_path%%3Dkalewx_bench", url,
                         strchr(url, '?') ? '&' : '?') >= sizeof scoped)
        return KW_EINVAL;
    int rc = pg_exec(url, &DROP_SCHEMA, bench);
    if (rc == 0 && (rc = pg_exec(url, &CREATE_SCHEMA, bench)) == 0) {
        kw_store_options o = {.url = scoped, .pool_size = 1};
        rc = in_tmpdir(&o, "postgresql", fn, ctx);
    }
    if (pg_exec(url, &DROP_SCHEMA, bench) != 0 && rc == 0)
        rc = KW_EIO;
    return rc;
}

int kw_bench_each_db(const kw_bench_opts *o, const char *bench, kw_bench_db_fn fn, void *ctx)
{
    const char *url = kw_config_str(o->cfg, KW_CFG_DATABASE_URL);
    kw_store_options lite = {.pool_size = 1};
    int rc = in_tmpdir(&lite, "sqlite", fn, ctx);
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        int prc = on_pg(url, bench, fn, ctx);
        rc = rc ? rc : prc;
    } else {
        fprintf(stderr, "bench %s: PostgreSQL skipped: set DATABASE_URL=postgres://... "
                        "or run it as tests/pg_env.sh kalewx bench %s\n", bench, bench);
    }
    return rc;
}

static json_t *rows_json(const kw_bench_result *r)
{
    json_t *arr = json_array();
    for (int i = 0; i < r->nrows; i++) {
        const kw_bench_row *row = &r->rows[i];
        json_array_append_new(arr, json_pack("{s:s,s:f,s:s,s:f,s:s}", "metric", row->metric, "value",
                                             row->value, "unit", row->unit, "ratio", row->ratio,
                                             "reference", row->reference));
    }
    return arr;
}

static void print_table(const char *name, const kw_bench_result *r)
{
    for (int i = 0; i < r->nrows; i++) {
        const kw_bench_row *row = &r->rows[i];
        printf("%-10s %-44s %16.1f %-10s", name, row->metric, row->value, row->unit);
        if (row->ratio > 0)
            printf(" %8.2fx %s", row->ratio, row->reference);
        printf("\n");
    }
}

static void usage(void)
{
    printf("usage: kalewx bench NAME|all [--seconds N] [--threads N] [--json] [--json-file FILE]\n\n"
           "--seconds is the time per measurement (default 2; load runs 60 unless it is given).\n"
           "--json prints the results as JSON instead of the table; --json-file FILE writes that\n"
           "JSON to FILE as well (make bench: build/bench.json).\n\nbenchmarks:\n");
    for (const kw_bench *b = benches; b->name; b++)
        printf("  %-10s %s\n", b->name, b->summary);
}

int kw_cmd_bench(kw_cli *cli, int argc, char **argv)
{
    kw_bench_opts o = {.seconds = 2.0, .threads = 0, .cfg = &cli->cfg};
    const char *name = NULL, *json_file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json-file") == 0 && i + 1 < argc) {
            json_file = argv[++i];
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            o.seconds = atof(argv[++i]);
            o.seconds_given = true;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            o.threads = atoi(argv[++i]);
        } else if (argv[i][0] != '-' && !name) {
            name = argv[i];
        } else {
            fprintf(stderr, "kalewx bench: unexpected argument %s\n", argv[i]);
            usage();
            return KW_EXIT_USAGE;
        }
    }
    if (!name || o.seconds <= 0 || o.threads < 0) {
        usage();
        return KW_EXIT_USAGE;
    }
    int all = strcmp(name, "all") == 0, found = 0, rc = KW_EXIT_OK;
    json_t *out = json_object();
    if (!cli->json)
        printf("%-10s %-44s %16s %-10s %9s %s\n", "bench", "metric", "value", "unit", "ratio", "reference");
    for (const kw_bench *b = benches; b->name; b++) {
        if (!all && strcmp(name, b->name) != 0)
            continue;
        found = 1;
        kw_bench_result r = {0};
        if (b->run(&o, &r) != 0) {
            fprintf(stderr, "kalewx bench %s: failed\n", b->name);
            rc = KW_EXIT_SERVER;
        }
        if (!cli->json)
            print_table(b->name, &r);
        json_object_set_new(out, b->name, r.json ? r.json : rows_json(&r));
    }
    if (!found) {
        fprintf(stderr, "kalewx bench: no benchmark named %s\n", name);
        usage();
        json_decref(out);
        return KW_EXIT_USAGE;
    }
    /* A single benchmark prints its own object; `all` prints name → object. */
    json_t *one = all ? out : json_object_get(out, name);
    if (cli->json) {
        char *s = json_dumps(one, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);
    }
    if (json_file && json_dump_file(one, json_file, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
        fprintf(stderr, "kalewx bench: cannot write %s\n", json_file);
        rc = KW_EXIT_SERVER;
    }
    json_decref(out);
    return rc;
}
