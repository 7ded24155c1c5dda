#include "play_fixture.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "chain/devnet.h"
#include "core/amount.h"
#include "engine/actions.h"
#include "engine/reconcile.h"
#include "obs/log.h"
#include "store/ledger.h"
#include "store/repo_users.h"
#include "store/repo_wallets.h"



static uint64_t rnd(fixture *f)
{
    f->rng ^= f->rng << 13, f->rng ^= f->rng >> 7, f->rng ^= f->rng << 17;
    return f->rng;
}

static void set(fixture *f, const char *k, const char *v)
{
    kw_config_key key;
    CHECK(kw_config_lookup(k, &key) == 0, "unknown setting %s", k);
    kw_err e;
    CHECK(kw_config_set(&f->cfg, key, v, KW_SRC_FLAG, &e) == 0, "%s", e.msg);
}

/* Opens the engine on dir (a new temporary one when dir is NULL) at time start_ms. */
/* On PostgreSQL every fixture gets its own schema, named after its directory. */
static bool pg_schema(const fixture *f, char *url, size_t cap, char *schema, size_t scap)
{
    const char *base = getenv("DATABASE_URL");
    if (!base || strncmp(base, "postgres", 8) != 0)
        return false;
    const char *name = strrchr(f->dir, '/') + 1;
    size_t j = 0;
    for (const char *p = name; *p && j + 1 < scap; p++)
        schema[j++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
    schema[j] = 0;
    snprintf(url, cap, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?', schema);
    return true;
}

static void pg_admin(const char *fmt, const char *schema)
{
    char sql[256];
    snprintf(sql, sizeof sql, fmt, schema);
    PGconn *c = PQconnectdb(getenv("DATABASE_URL"));
    CHECK(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

void fixture_reopen(fixture *f, const char *dir, int64_t start_ms, const char *fault_rate, const char *latency)
{
    memset(f, 0, sizeof *f);
    if (dir)
        snprintf(f->dir, sizeof f->dir, "%s", dir);
    else {
        snprintf(f->dir, sizeof f->dir, "/tmp/kwx-engine-XXXXXX");
        CHECK(mkdtemp(f->dir), "mkdtemp");
    }
    CHECK(kw_config_init(&f->cfg) == 0, "failed: %s", "call");
    kw_err e;
    extern char **environ;
    CHECK(kw_config_load_env(&f->cfg, environ, &e) == 0, "%s", e.msg);
    set(f, "KALEWX_DATA_DIR", f->dir);
    char url[512], schema[64];
    if (pg_schema(f, url, sizeof url, schema, sizeof schema)) {
        pg_admin("CREATE SCHEMA IF NOT EXISTS %s", schema);
        set(f, "DATABASE_URL", url);
    }
    set(f, "KALEWX_MASTER_KEY", "an-engine-test-master-key-of-sufficient-length");
    set(f, "DEVNET_BLOCK_SECONDS", "2");
    set(f, "DEVNET_LEDGER_MS", "200");
    set(f, "DEVNET_CROWD", "25");
    set(f, "DEVNET_FAULT_RATE", fault_rate);
    set(f, "DEVNET_LATENCY_MS", latency);
    set(f, "DEVNET_RESERVE", "100000");
    set(f, "LOG_LEVEL", "error");
    kw_log_setup(getenv("KW_TEST_LOG") ? KW_LOG_DEBUG : KW_LOG_ERROR, "test", 2);
    kw_manual_clock_init(&f->clock, start_ms);
    CHECK(kw_engine_open(&f->cfg, &f->clock.clock, &f->e, &e) == 0, "%s", e.msg);
    f->e->farming.work_hashes = 3000;
    f->rng = 0x5eed;
}


void fixture_open(fixture *f, const char *fault_rate)
{
    fixture_reopen(f, NULL, T0, fault_rate, "0");
}

void fixture_close(fixture *f)
{
    kw_engine_close(f->e);
    kw_config_free(&f->cfg);
    char url[512], schema[64];
    if (pg_schema(f, url, sizeof url, schema, sizeof schema))
        pg_admin("DROP SCHEMA %s CASCADE", schema);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    CHECK(system(cmd) == 0, "%s", cmd);
}

/* One ledger of time, then one engine tick. */
void step(fixture *f)
{
    kw_manual_clock_advance(&f->clock, 200);
    kw_err e = {0};
    int rc = kw_engine_tick(f->e, &e);
    CHECK(rc == 0 || rc == KW_ETRANSIENT, "tick: %s", e.msg);
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
    CHECK(kw_store_acquire(f->e->store, KW_DB_WRITE, &db, &e) == 0, "failed: %s", "call");
    CHECK(kw_db_begin(db, &e) == 0, "failed: %s", "call");
    CHECK(kw_repo_users_create(db, &u, now, &id, &e) == 0, "%s", e.msg);
    CHECK(kw_wallet_create(f->e->kek, now, address, &sealed, &e) == 0, "failed: %s", "call");
    CHECK(kw_repo_wallets_insert(db, id, address, sealed, KW_WALLET_VERSION, now, &wid, &e) == 0, "%s", e.msg);
    CHECK(kw_db_commit(db, &e) == 0, "failed: %s", "call");
    kw_store_release(f->e->store, db);
    free(sealed);
    kw_transfer_res t;
    CHECK(kw_farming_request_deposit(f->e->store, &(kw_transfer_req){.user_id = id, .amount = 5000 * K, .now_ms = now}, &t,
                                     &e) == 0, "%s", e.msg);
    return id;
}

/* The store caches a prepared statement by the kw_sql's address, so each
 * distinct text gets its own kw_sql. */
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
    CHECK(0, "too many distinct statements");
    return NULL;
}

int64_t q(fixture *f, const char *sql, int64_t arg)
{
    const kw_sql *s = stmt(sql);
    kw_db *db;
    kw_err e;
    int64_t v;
    CHECK(kw_store_acquire(f->e->store, KW_DB_READ, &db, &e) == 0, "failed: %s", "call");
    CHECK(kw_db_query_int(db, s, KW_ARGS(KW_I(arg)), &v, &e) == 0, "%s: %s", sql, e.msg);
    kw_store_release(f->e->store, db);
    return v;
}


/* Random valid and invalid actions; returns how many were accepted. */
int act(fixture *f)
{
    return act_logged(f, NULL);
}

/* Each accepted action id is written to accepted_log (when given) after it committed. */
int act_logged(fixture *f, FILE *accepted_log)
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
        if (rc == 0) {
            accepted++;
            if (accepted_log) {
                fprintf(accepted_log, "%lld\n", (long long)res.action_id);
                fflush(accepted_log);
            }
        }
        else
            CHECK(res.code && *res.code, "a rejection carries a code (%d: %s)", rc, e.msg);
    }
    return accepted;
}


uint64_t current_cycle(fixture *f)
{
    uint32_t block;
    kw_cycle_pos pos;
    CHECK(kw_engine_block(f->e, &block), "no block yet");
    CHECK(kw_cycle_locate(&f->e->cycle, block, &pos) == 0, "failed: %s", "call");
    return pos.cycle_id;
}

/* Plays with random actions until cycle `until` begins. */
int play_until(fixture *f, uint64_t until)
{
    int accepted = 0;
    while (current_cycle(f) < until) {
        accepted += act(f);
        step(f);
    }
    return accepted;
}

/* Ticks until every cycle before `before` is settled. */
void settle_all(fixture *f, uint64_t before)
{
    for (int i = 0; i < 400 && q(f, "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id < $1 AND current_state <> 'settled'",
                                (int64_t)before) > 0; i++)
        step(f);
    CHECK(q(f, "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id < $1 AND current_state <> 'settled'",
            (int64_t)before) == 0, "every cycle settles");
}

static const kw_sql SQL_WAGERS = {
    .sql = "SELECT w.cycle_id, w.direction, w.amount, w.payout, w.status, c.weather_outcome FROM weather_wagers w "
           "JOIN weather_cycles c ON c.cycle_id = w.cycle_id ORDER BY w.cycle_id, w.id"};

/* Recomputes every wager payout from SPEC §8's parimutuel rule. */
static void check_wagers(fixture *f)
{
    enum { MAX = 4096 };
    static struct { int64_t cycle, amount, payout; bool good, won_side; char status[16]; } w[MAX];
    int n = 0;
    kw_db *db;
    kw_rows *r;
    kw_err e;
    CHECK(kw_store_acquire(f->e->store, KW_DB_READ, &db, &e) == 0, "failed: %s", "call");
    CHECK(kw_db_query(db, &SQL_WAGERS, KW_NOARGS, &r, &e) == 0, "failed: %s", "call");
    while (n < MAX && kw_rows_next(r, &e) == 1) {
        w[n].cycle = kw_rows_int(r, 0);
        w[n].good = strcmp(kw_rows_text(r, 1), "good") == 0;
        w[n].amount = kw_rows_int(r, 2);
        w[n].payout = kw_rows_int(r, 3);
        snprintf(w[n].status, sizeof w[n].status, "%s", kw_rows_text(r, 4));
        w[n].won_side = w[n].good == (strcmp(kw_rows_text(r, 5), "GOOD") == 0);
        n++;
    }
    kw_rows_close(r);
    kw_store_release(f->e->store, db);
    for (int i = 0; i < n;) {
        int j = i;
        __int128 win = 0, lose = 0;
        while (j < n && w[j].cycle == w[i].cycle) {
            if (w[j].won_side)
                win += w[j].amount;
            else
                lose += w[j].amount;
            j++;
        }
        __int128 fee = lose * kw_config_int(&f->cfg, KW_CFG_WAGER_FEE_BPS) / 10000;
        for (int k = i; k < j; k++) {
            int64_t want = win == 0 || lose == 0 ? w[k].amount
                           : w[k].won_side ? w[k].amount + (int64_t)((__int128)w[k].amount * (lose - fee) / win) : 0;
            CHECK(w[k].payout == want, "cycle %lld wager %d: payout %lld, want %lld", (long long)w[k].cycle, k,
                         (long long)w[k].payout, (long long)want);
        }
        i = j;
    }
}

/* What every run must leave: each cycle settled once, positions farmed to the
 * end, chain mints equal to what the books say came in, the books exact. */
void check_books(fixture *f, uint64_t before)
{
    CHECK(q(f, "SELECT COUNT(*) FROM events WHERE type = 'cycle.settled' AND cycle_id < $1", (int64_t)before) ==
              q(f, "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id < $1", (int64_t)before),
          "each cycle settled exactly once");
    CHECK(q(f, "SELECT COUNT(*) FROM farm_positions WHERE cycle_id < $1 AND status <> 'settled'", (int64_t)before) == 0, "failed: %s", "call");
    /* honest DAOs: every revealed vote matches its commitment */
    CHECK(q(f, "SELECT COUNT(*) FROM dao_votes WHERE cycle_id < $1 AND valid = FALSE", (int64_t)before) == 0,
          "a revealed vote was judged not to match its commitment");
    CHECK(q(f, "SELECT COUNT(*) FROM dao_votes WHERE cycle_id < $1 AND valid = TRUE", (int64_t)before) > 0,
          "votes were revealed");
    CHECK(q(f, "SELECT COUNT(*) FROM (SELECT position_id FROM chain_transactions WHERE status = 'succeeded' "
               "AND position_id IS NOT NULL GROUP BY position_id, kind HAVING COUNT(*) > 1) x WHERE $1 = $1", 0) == 0,
          "no position planted or harvested twice");
    kw_devnet_totals t;
    kw_err e;
    int trc;
    for (int i = 0; (trc = kw_devnet_totals_get(&f->e->chain, &t, &e)) == KW_ETRANSIENT && i < 20; i++)
        ; /* an injected fault: ask again */
    CHECK(trc == 0, "devnet totals: %s", e.msg);
    int64_t deposits = q(f, "SELECT COALESCE(SUM(amount), 0) FROM chain_transactions WHERE kind = 'deposit' AND status = 'succeeded' AND $1 = $1", 0);
    int64_t harvested = q(f, "SELECT COALESCE(SUM(stake_amount + base_reward), 0) FROM farm_positions WHERE position_type = 'plant' AND base_reward IS NOT NULL AND $1 = $1", 0);
    int64_t reserve = kw_config_int(&f->cfg, KW_CFG_DEVNET_RESERVE);
    CHECK(t.minted == (__int128)(deposits + harvested + reserve), "minted %lld, booked %lld",
              (long long)t.minted, (long long)(deposits + harvested + reserve));
    check_wagers(f);
    kw_reconcile_report rep;
    /* Patient, like `kalewx admin reconcile`: the engine's own retries wait
     * at most a tick's budget. */
    kw_retry patient = kw_retry_patient(&f->clock.clock, NULL, 1);
    CHECK(kw_reconcile(f->e->store, &f->e->chain, &patient, &rep, &e) == 0, "%s", e.msg);
}

void make_users(fixture *f)
{
    for (int i = 0; i < USERS; i++)
        f->users[i] = make_user(f, i);
    /* A faulty chain may take a few ticks to report its first block. */
    uint32_t block;
    int ticks = 0;
    do
        step(f);
    while (!kw_engine_block(f->e, &block) && ++ticks < 100);
}

