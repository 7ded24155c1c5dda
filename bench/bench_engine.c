/*
 * bench engine — what the engine sustains, on SQLite and (when DATABASE_URL
 * names one) PostgreSQL:
 *
 *  1. Custodial farmers per devnet block. FARMERS users plant in one cycle and
 *     the in-process engine (devnet at its default settings, a manual clock
 *     advanced one ledger per tick, so nothing waits for real time) plants,
 *     works and harvests every position. The wall time of those ticks, less
 *     the proof-of-work search, is the engine's cost per farmer; the farmers
 *     that fit in one block interval beside the work budget (WORK_SECONDS,
 *     half a block by default) is the capacity. The search itself gets a
 *     small fixed number of hashes here: in service it is a time budget that
 *     all farmers share. Reference: the time the devnet spent inside the
 *     chain calls of the same ticks (so the ratio is the engine's own cost —
 *     transactions, ledger, events, signing — over the bare chain).
 *
 *  2. Settling one cycle of SETTLE_N positions and SETTLE_N wagers, one of
 *     each per user: kw_settlement_run, one transaction that writes every
 *     row, posts the ledger, appends the events and refreshes the summary.
 *     Reference: kw_settle_cycle over the same arrays (the arithmetic alone).
 *     The books are checked afterwards (kw_ledger_check), untimed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/settle_fixture.h"
#include "core/amount.h"
#include "engine/actions.h"
#include "engine/engine.h"
#include "engine/settlement.h"
#include "obs/log.h"
#include "store/ledger.h"
#include "store/migrate.h"
#include "store/repo_users.h"
#include "store/repo_wallets.h"

#define FARMERS 200
#define SETTLE_N 100000
#define KALE INT64_C(10000000)
#define T0 INT64_C(1767225600000)

typedef struct engine_run {
    const kw_config *user_cfg;
    kw_bench_result *r;
} engine_run;

/* ---- chain time ------------------------------------------------------------
 * The engine's chain is a struct of function pointers; during the farming run
 * it is wrapped so that every call adds its duration to chain_seconds. */

static const kw_chain_ops *inner;
static double chain_seconds;

#define TIMED(call)                                 \
    do {                                            \
        double t0_ = kw_bench_now();                \
        int rc_ = (call);                           \
        chain_seconds += kw_bench_now() - t0_;      \
        return rc_;                                 \
    } while (0)

static int t_status(void *st, kw_chain_status *out, kw_err *err) { TIMED(inner->status(st, out, err)); }
static int t_block(void *st, uint32_t index, kw_chain_block *out, kw_err *err)
{
    TIMED(inner->block(st, index, out, err));
}
static int t_plant(void *st, const kw_chain_signer *farmer, int64_t amount, uint32_t *index, uint32_t *seq,
                   kw_err *err)
{
    TIMED(inner->plant(st, farmer, amount, index, seq, err));
}
static int t_work(void *st, const uint8_t farmer[32], const uint8_t hash[32], uint64_t nonce, uint32_t *gap,
                  kw_err *err)
{
    TIMED(inner->work(st, farmer, hash, nonce, gap, err));
}
static int t_harvest(void *st, const uint8_t farmer[32], uint32_t index, int64_t *reward, kw_err *err)
{
    TIMED(inner->harvest(st, farmer, index, reward, err));
}
static int t_pail(void *st, const uint8_t farmer[32], uint32_t index, kw_chain_pail *out, kw_err *err)
{
    TIMED(inner->pail(st, farmer, index, out, err));
}
static int t_balance(void *st, const uint8_t address[32], int64_t *out, kw_err *err)
{
    TIMED(inner->balance(st, address, out, err));
}
static int t_transfer(void *st, const kw_chain_signer *from, const uint8_t to[32], int64_t amount, kw_err *err)
{
    TIMED(inner->transfer(st, from, to, amount, err));
}
static int t_faucet(void *st, const uint8_t to[32], int64_t amount, kw_err *err)
{
    TIMED(inner->faucet(st, to, amount, err));
}
static void t_close(void *st) { inner->close(st); }

static const kw_chain_ops timed_ops = {t_status, t_block, t_plant, t_work, t_harvest,
                                       t_pail, t_balance, t_transfer, t_faucet, t_close};

/* ---- farmers per block ------------------------------------------------------- */

typedef struct farm {
    kw_config cfg;
    kw_manual_clock clock;
    kw_engine *e;
    int64_t users[FARMERS];
    double tick_seconds;
    kw_err err;
} farm;

static int set(kw_config *cfg, const char *name, const char *value, kw_err *err)
{
    kw_config_key key;
    if (kw_config_lookup(name, &key) != 0)
        return kw_err_set(err, KW_EINVAL, "no setting %s", name);
    return kw_config_set(cfg, key, value, KW_SRC_FLAG, err);
}

static int tick(farm *f)
{
    kw_manual_clock_advance(&f->clock, f->e->chain.ledger_ms);
    double t0 = kw_bench_now();
    int rc = kw_engine_tick(f->e, &f->err);
    f->tick_seconds += kw_bench_now() - t0;
    return rc == KW_ETRANSIENT ? 0 : rc;
}

static const kw_sql SQL_DEPOSITED = {
    .sql = "SELECT COUNT(*) FROM chain_transactions WHERE kind = 'deposit' AND status = 'succeeded' "
           "AND user_id >= $1"};
static const kw_sql SQL_FARMED = {
    .sql = "SELECT COUNT(*) FROM farm_positions WHERE status IN ('harvested', 'failed', 'settled') "
           "AND user_id >= $1"};
static const kw_sql SQL_FAILED = {
    .sql = "SELECT COUNT(*) FROM farm_positions WHERE status = 'failed' AND user_id >= $1"};

static int count(farm *f, const kw_sql *sql, int64_t *n)
{
    kw_db *db;
    int rc = kw_store_acquire(f->e->store, KW_DB_READ, &db, &f->err);
    if (rc == 0) {
        rc = kw_db_query_int(db, sql, KW_ARGS(KW_I(f->users[0])), n, &f->err);
        kw_store_release(f->e->store, db);
    }
    return rc;
}

/* Users with a custodial wallet and a devnet deposit each, queued in one transaction. */
static int make_farmers(farm *f)
{
    int64_t now = kw_clock_now_ms(&f->clock.clock);
    kw_db *db;
    int rc = kw_store_acquire(f->e->store, KW_DB_WRITE, &db, &f->err);
    if (rc)
        return rc;
    rc = kw_db_begin(db, &f->err);
    for (int i = 0; i < FARMERS && rc == 0; i++) {
        kw_user u = {0};
        char address[KW_STRKEY_BUFSZ], *sealed = NULL;
        int64_t wid;
        snprintf(u.username, sizeof u.username, "farmer%04d", i);
        snprintf(u.password_hash, sizeof u.password_hash, "!");
        if ((rc = kw_repo_users_create(db, &u, now, &f->users[i], &f->err)) == 0 &&
            (rc = kw_wallet_create(f->e->kek, now, address, &sealed, &f->err)) == 0)
            rc = kw_repo_wallets_insert(db, f->users[i], address, sealed, KW_WALLET_VERSION, now, &wid, &f->err);
        free(sealed);
    }
    rc = rc ? rc : kw_db_commit(db, &f->err);
    if (rc)
        kw_db_rollback(db);
    kw_store_release(f->e->store, db);
    for (int i = 0; i < FARMERS && rc == 0; i++) {
        kw_transfer_res t;
        rc = kw_farming_request_deposit(f->e->store, &(kw_transfer_req){.user_id = f->users[i], .amount = 100 * KALE,
                                                                          .now_ms = now},
                                        &t, &f->err);
    }
    return rc;
}

/* Ticks until *sql counts FARMERS (at most max ticks). */
static int tick_until(farm *f, const kw_sql *sql, int max)
{
    int64_t n = 0;
    int rc = 0;
    for (int i = 0; rc == 0 && i < max; i++) {
        if ((rc = count(f, sql, &n)) != 0 || n >= FARMERS)
            return rc;
        rc = tick(f);
    }
    return rc ? rc : kw_err_set(&f->err, KW_ESTATE, "the engine did not finish %d farmers in %d ticks", FARMERS, max);
}

/* Submits every farmer's plant once the cycle is in its planting phase. */
static int plant_all(farm *f)
{
    int planted = 0, rc = 0;
    for (int t = 0; rc == 0 && planted < FARMERS && t < 2000; t++) {
        uint32_t block;
        if (!kw_engine_block(f->e, &block)) {
            rc = tick(f);
            continue;
        }
        for (int i = planted; i < FARMERS; i++) {
            kw_action_req req = {.user_id = f->users[i], .type = KW_ACTION_PLANT, .amount = 10 * KALE};
            kw_action_result res;
            kw_err e = {0};
            if (kw_action_submit(f->e->store, &f->e->cycle, block, &req, kw_clock_now_ms(&f->clock.clock), &res,
                                 &e) != 0)
                break;
            planted++;
        }
        if (planted < FARMERS)
            rc = tick(f);
    }
    return rc ? rc : planted == FARMERS ? 0 : kw_err_set(&f->err, KW_ESTATE, "the plants were never accepted");
}

static int farmers_on(const kw_store_options *so, const char *name, void *ctx)
{
    engine_run *er = ctx;
    farm *f = calloc(1, sizeof *f);
    if (!f)
        return KW_ENOMEM;
    int rc = kw_config_init(&f->cfg);
    if (rc == 0 && ((rc = set(&f->cfg, "DATABASE_URL", so->url, &f->err)) ||
                    (rc = set(&f->cfg, "KALEWX_DATA_DIR", so->data_dir, &f->err)) ||
                    (rc = set(&f->cfg, "KALEWX_MASTER_KEY", "a-benchmark-master-key-of-sufficient-length", &f->err)) ||
                    (rc = set(&f->cfg, "LOG_LEVEL", "error", &f->err))))
        goto done;
    kw_manual_clock_init(&f->clock, T0);
    if (rc || (rc = kw_engine_open(&f->cfg, &f->clock.clock, &f->e, &f->err)) != 0)
        goto done;
    /* the search is excluded from the measurement: a few hashes per farmer */
    f->e->farming.work_hashes = 1000;
    inner = f->e->chain.ops;
    f->e->chain.ops = &timed_ops;
    if ((rc = make_farmers(f)) || (rc = tick_until(f, &SQL_DEPOSITED, 2000)) || (rc = plant_all(f)))
        goto done;
    double ticks0 = f->tick_seconds, chain0 = chain_seconds, hash0 = f->e->farming.stats.hash_seconds;
    if ((rc = tick_until(f, &SQL_FARMED, 4000)) != 0)
        goto done;
    double engine_s = f->tick_seconds - ticks0 - (f->e->farming.stats.hash_seconds - hash0);
    double chain_s = chain_seconds - chain0;
    int64_t failed = 0;
    if ((rc = count(f, &SQL_FAILED, &failed)) != 0)
        goto done;
    if (failed)
        fprintf(stderr, "bench engine (%s): %lld of %d positions failed\n", name, (long long)failed, FARMERS);
    /* capacity at the settings the service would run with */
    double block_s = (double)kw_config_int(er->user_cfg, KW_CFG_DEVNET_BLOCK_SECONDS);
    double work_s = (double)kw_config_int(er->user_cfg, KW_CFG_WORK_SECONDS);
    if (work_s == 0)
        work_s = block_s / 2;
    double per_farmer = engine_s / FARMERS, chain_per = chain_s / FARMERS;
    char metric[80], ref[64];
    snprintf(metric, sizeof metric, "%s farmers per %.0f s devnet block", name, block_s);
    snprintf(ref, sizeof ref, "devnet calls alone: %.0f per block", (block_s - work_s) / chain_per);
    kw_bench_row_add(er->r, metric, (block_s - work_s) / per_farmer, "farmers", chain_per / per_farmer, ref);
    snprintf(metric, sizeof metric, "%s plant+work+harvest per farmer", name);
    snprintf(ref, sizeof ref, "devnet calls alone: %.2f ms", chain_per * 1e3);
    kw_bench_row_add(er->r, metric, per_farmer * 1e3, "ms", per_farmer / chain_per, ref);
done:
    if (f->e)
        f->e->chain.ops = inner;
    if (rc)
        fprintf(stderr, "bench engine farmers (%s): %s\n", name, f->err.msg);
    kw_engine_close(f->e);
    kw_config_free(&f->cfg);
    free(f);
    return rc;
}

/* ---- settling a large cycle ------------------------------------------------ */

static int settle_on(const kw_store_options *so, const char *name, void *ctx)
{
    engine_run *er = ctx;
    kw_store *st = NULL;
    kw_db *db = NULL;
    kw_err err = {0};
    kw_settle_position *pos = calloc(SETTLE_N, sizeof *pos);
    kw_settle_wager *w = calloc(SETTLE_N, sizeof *w);
    kw_settle_params p;
    kw_settle_totals totals;
    kw_settlement_report rep;
    kw_ledger_report books;
    int rc = pos && w ? kw_store_open(so, &st, &err) : kw_err_set(&err, KW_ENOMEM, "out of memory");
    if (rc || (rc = kw_migrate(st, NULL, &err)) != 0 || (rc = kw_settle_fixture_seed(st, SETTLE_N, &err)) != 0 ||
        (rc = kw_settle_fixture_arrays(st, SETTLE_N, pos, w, &p, &err)) != 0)
        goto done;
    double t0 = kw_bench_now();
    if ((rc = kw_settle_cycle(&p, pos, SETTLE_N, w, SETTLE_N, &totals, &err)) != 0)
        goto done;
    double pure = kw_bench_now() - t0;
    t0 = kw_bench_now();
    if ((rc = kw_settlement_run(st, 1, p.wager_fee_bps, T0, &rep, &err)) != 0)
        goto done;
    double full = kw_bench_now() - t0;
    if (!rep.settled_now || rep.positions != SETTLE_N || rep.wagers != SETTLE_N ||
        rep.totals.reserve_after != totals.reserve_after) {
        rc = kw_err_set(&err, KW_EINTERNAL, "settlement settled %lld positions and %lld wagers, reserve %lld vs %lld",
                        (long long)rep.positions, (long long)rep.wagers, (long long)rep.totals.reserve_after,
                        (long long)totals.reserve_after);
        goto done;
    }
    if ((rc = kw_store_acquire(st, KW_DB_READ, &db, &err)) != 0 || (rc = kw_ledger_check(db, &books, &err)) != 0)
        goto done;
    char metric[80], ref[64];
    snprintf(metric, sizeof metric, "%s settle 100k positions + 100k wagers", name);
    snprintf(ref, sizeof ref, "kw_settle_cycle alone: %.1f ms", pure * 1e3);
    kw_bench_row_add(er->r, metric, full, "s", full / pure, ref);
done:
    if (rc)
        fprintf(stderr, "bench engine settlement (%s): %s\n", name, err.msg);
    if (db)
        kw_store_release(st, db);
    kw_store_close(st);
    free(pos);
    free(w);
    return rc;
}

int kw_bench_engine(const kw_bench_opts *o, kw_bench_result *r)
{
    engine_run er = {.user_cfg = o->cfg, .r = r};
    kw_log_setup(KW_LOG_ERROR, "bench", 2);
    int rc = kw_bench_each_db(o, "engine", farmers_on, &er);
    return rc ? rc : kw_bench_each_db(o, "engine", settle_on, &er);
}
