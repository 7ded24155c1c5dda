/*
 * The engine end to end, in process, on the devnet with an injected clock:
 * users act at random over five full cycles while time advances one ledger
 * per tick. Deterministic: the clock, the seeds and the mining budget (in
 * hashes) are fixed. DATABASE_URL, when set, runs the same test on
 * PostgreSQL.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/devnet.h"
#include "core/amount.h"
#include "engine/actions.h"
#include "engine/engine.h"
#include "engine/reconcile.h"
#include "obs/log.h"
#include "store/ledger.h"
#include "store/repo_users.h"
#include "store/repo_wallets.h"

#define K INT64_C(10000000)
#define USERS 20

typedef struct fixture {
    char dir[64];
    kw_config cfg;
    kw_manual_clock clock;
    kw_engine *e;
    int64_t users[USERS];
    uint64_t rng;
} fixture;

static uint64_t rnd(fixture *f)
{
    f->rng ^= f->rng << 13, f->rng ^= f->rng >> 7, f->rng ^= f->rng << 17;
    return f->rng;
}

static void set(fixture *f, const char *k, const char *v)
{
    kw_config_key key;
    cr_assert_eq(kw_config_lookup(k, &key), 0, "%s", k);
    kw_err e;
    cr_assert_eq(kw_config_set(&f->cfg, key, v, KW_SRC_FLAG, &e), 0, "%s", e.msg);
}

static void fixture_open(fixture *f, const char *fault_rate)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kwx-engine-XXXXXX");
    cr_assert_not_null(mkdtemp(f->dir));
    cr_assert_eq(kw_config_init(&f->cfg), 0);
    kw_err e;
    extern char **environ;
    cr_assert_eq(kw_config_load_env(&f->cfg, environ, &e), 0);
    set(f, "KALEWX_DATA_DIR", f->dir);
    set(f, "KALEWX_MASTER_KEY", "an-engine-test-master-key-of-sufficient-length");
    set(f, "DEVNET_BLOCK_SECONDS", "2");
    set(f, "DEVNET_LEDGER_MS", "200");
    set(f, "DEVNET_CROWD", "25");
    set(f, "DEVNET_FAULT_RATE", fault_rate);
    set(f, "DEVNET_RESERVE", "100000");
    set(f, "LOG_LEVEL", "error");
    kw_log_setup(getenv("KW_TEST_LOG") ? KW_LOG_DEBUG : KW_LOG_ERROR, "test", 2);
    kw_manual_clock_init(&f->clock, INT64_C(1767225600000));
    cr_assert_eq(kw_engine_open(&f->cfg, &f->clock.clock, &f->e, &e), 0, "%s", e.msg);
    f->e->farming.work_hashes = 3000;
    f->rng = 0x5eed;
}

static void fixture_close(fixture *f)
{
    kw_engine_close(f->e);
    kw_config_free(&f->cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    cr_assert_eq(system(cmd), 0);
}

/* One ledger of time, then one engine tick. */
static void step(fixture *f)
{
    kw_manual_clock_advance(&f->clock, 200);
    kw_err e = {0};
    int rc = kw_engine_tick(f->e, &e);
    cr_assert(rc == 0 || rc == KW_ETRANSIENT, "tick: %s", e.msg);
}

static int64_t make_user(fixture *f, int i)
{
    kw_db *db;
    kw_err e;
    int64_t id, wid, now = kw_clock_now_ms(&f->clock.clock);
    kw_user u = {0};
    snprintf(u.username, sizeof u.username, "farmer%02d", i);
    snprintf(u.password_hash, sizeof u.password_hash, "!");
    char address[KW_STRKEY_BUFSZ], *sealed;
    cr_assert_eq(kw_store_acquire(f->e->store, KW_DB_WRITE, &db, &e), 0);
    cr_assert_eq(kw_db_begin(db, &e), 0);
    cr_assert_eq(kw_repo_users_create(db, &u, now, &id, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_wallet_create(f->e->kek, now, address, &sealed, &e), 0);
    cr_assert_eq(kw_repo_wallets_insert(db, id, address, sealed, KW_WALLET_VERSION, now, &wid, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_db_commit(db, &e), 0);
    kw_store_release(f->e->store, db);
    free(sealed);
    int64_t tx;
    cr_assert_eq(kw_farming_request_deposit(f->e->store, id, 5000 * K, now, &tx, &e), 0, "%s", e.msg);
    return id;
}

/* The store caches a prepared statement by the kw_sql's address, so each
 * distinct text gets its own static kw_sql. */
static const kw_sql *stmt(const char *sql)
{
    static kw_sql pool[64];
    for (size_t i = 0; i < 64; i++) {
        if (pool[i].sql == sql)
            return &pool[i];
        if (!pool[i].sql) {
            pool[i].sql = sql;
            return &pool[i];
        }
    }
    cr_assert_fail("too many distinct statements");
    return NULL;
}

static int64_t q(fixture *f, const char *sql, int64_t arg)
{
    const kw_sql *s = stmt(sql);
    kw_db *db;
    kw_err e;
    int64_t v;
    cr_assert_eq(kw_store_acquire(f->e->store, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_db_query_int(db, s, KW_ARGS(KW_I(arg)), &v, &e), 0, "%s: %s", sql, e.msg);
    kw_store_release(f->e->store, db);
    return v;
}


/* Random valid and invalid actions; returns how many were accepted. */
static int act(fixture *f)
{
    uint32_t block;
    if (!kw_engine_block(f->e, &block))
        return 0;
    int accepted = 0;
    for (int n = 0; n < 3; n++) {
        kw_action_req req = {.user_id = f->users[rnd(f) % USERS], .type = (kw_action_type)(rnd(f) % 4)};
        req.direction = rnd(f) % 2 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
        int64_t min, max;
        kw_action_limits(req.type, &min, &max);
        if (req.type != KW_ACTION_STAY)
            req.amount = rnd(f) % 10 == 0 ? max + 1 : min + (int64_t)(rnd(f) % (uint64_t)(50 * K));
        kw_action_result res;
        kw_err e = {0};
        int rc = kw_action_submit(f->e->store, &f->e->cycle, block, &req, kw_clock_now_ms(&f->clock.clock), &res, &e);
        if (rc == 0)
            accepted++;
        else
            cr_assert(res.code && *res.code, "a rejection carries a code (%d: %s)", rc, e.msg);
    }
    return accepted;
}

Test(engine, five_cycles_with_twenty_users_settle_exactly, .timeout = 600)
{
    fixture f;
    fixture_open(&f, "0");
    for (int i = 0; i < USERS; i++)
        f.users[i] = make_user(&f, i);
    step(&f);
    uint32_t block;
    cr_assert(kw_engine_block(f.e, &block));
    kw_cycle_pos pos;
    cr_assert_eq(kw_cycle_locate(&f.e->cycle, block, &pos), 0);
    uint64_t first = pos.cycle_id, last = first + 5;
    int accepted = 0;
    /* five full cycles of play, then until the last one settles */
    while (pos.cycle_id < last) {
        if (pos.cycle_id < first + 5 && pos.cycle_id > first)
            accepted += act(&f);
        step(&f);
        cr_assert(kw_engine_block(f.e, &block));
        cr_assert_eq(kw_cycle_locate(&f.e->cycle, block, &pos), 0);
    }
    for (int i = 0; i < 200 && q(&f, "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id < $1 AND current_state <> 'settled'",
                                 (int64_t)last) > 0; i++)
        step(&f);
    cr_assert_gt(accepted, 20, "the random play was accepted %d times", accepted);
    if (getenv("KW_TEST_LOG"))
        fprintf(stderr, "accepted %d first %llu block %u\n", accepted, (unsigned long long)first, block);

    /* every cycle settled, once */
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id < $1 AND current_state <> 'settled'", (int64_t)last), 0);
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM events WHERE type = 'cycle.settled' AND cycle_id < $1", (int64_t)last),
                 q(&f, "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id < $1", (int64_t)last));
    /* every plant position was farmed to the end and paid */
    cr_assert_gt(q(&f, "SELECT COUNT(*) FROM farm_positions WHERE position_type = 'plant' AND cycle_id < $1", (int64_t)last), 0);
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM farm_positions WHERE cycle_id < $1 AND status <> 'settled'", (int64_t)last), 0);
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM farm_positions WHERE position_type = 'plant' AND cycle_id < $1 "
                       "AND (base_reward IS NULL OR base_reward <= 0)", (int64_t)last), 0);
    /* base rewards are what the chain paid: the devnet's own mint totals agree */
    kw_devnet_totals t;
    kw_err e;
    cr_assert_eq(kw_devnet_totals_get(&f.e->chain, &t, &e), 0);
    int64_t deposits = q(&f, "SELECT COALESCE(SUM(amount), 0) FROM chain_transactions WHERE kind = 'deposit' AND status = 'succeeded' AND $1 = $1", 0);
    int64_t harvested = q(&f, "SELECT COALESCE(SUM(stake_amount + base_reward), 0) FROM farm_positions WHERE position_type = 'plant' AND base_reward IS NOT NULL AND $1 = $1", 0);
    int64_t reserve = kw_config_int(&f.cfg, KW_CFG_DEVNET_RESERVE);
    cr_assert(t.minted == (__int128)(deposits + harvested + reserve), "minted %lld, booked %lld",
              (long long)t.minted, (long long)(deposits + harvested + reserve));
    /* wagers: winners get stake + floor(stake · (losing − fee) / winning) */
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM weather_wagers w JOIN weather_cycles c ON c.cycle_id = w.cycle_id "
                       "WHERE w.status = 'won' AND lower(c.weather_outcome) <> w.direction AND $1 = $1", 0), 0);
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM weather_wagers WHERE status = 'lost' AND payout <> 0 AND $1 = $1", 0), 0);
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM weather_wagers WHERE status = 'refunded' AND payout <> amount AND $1 = $1", 0), 0);
    /* the books */
    kw_reconcile_report rep;
    cr_assert_eq(kw_reconcile(f.e->store, &f.e->chain, &rep, &e), 0, "%s", e.msg);
    fixture_close(&f);
}
