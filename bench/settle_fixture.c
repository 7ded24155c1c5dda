#include "bench/settle_fixture.h"

#include <string.h>

#include "engine/resolver.h"

static const kw_sql GEN_USERS = {
    .sqlite = "INSERT INTO users (username, password_hash, created_at, updated_at) "
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
              "SELECT 'settle' || i, '!', 0, 0 FROM n",
    .pg = "INSERT INTO users (username, password_hash, created_at, updated_at) "
          "SELECT 'settle' || i, '!', 0, 0 FROM generate_series(1, CAST($1 AS BIGINT)) AS i"};
static const kw_sql GEN_CYCLE = {
    .sql = "INSERT INTO weather_cycles (cycle_id, start_block, end_block, current_state, weather_outcome, "
           "confidence_ppm, created_at, updated_at) VALUES (1, 0, 10, 'settling', 'GOOD', 640000, 0, 0)"};
static const kw_sql GEN_ACTIONS = {
    .sql = "INSERT INTO cycle_actions (user_id, cycle_id, block_number, action_type, agriculture_type, direction, "
           "amount, created_at) "
           "SELECT id, 1, 1, 'agriculture', CASE WHEN id % 4 = 0 THEN 'store' ELSE 'plant' END, NULL, "
           "10000000 + id % 97 * 100000, 0 FROM users WHERE username LIKE 'settle%' "
           "UNION ALL SELECT id, 1, 2, 'wager', NULL, CASE WHEN id % 2 = 0 THEN 'good' ELSE 'bad' END, "
           "5000000 + id % 89 * 100000, 0 FROM users WHERE username LIKE 'settle%'"};
static const kw_sql GEN_POSITIONS = {
    .sql = "INSERT INTO farm_positions (action_id, user_id, cycle_id, position_type, stake_amount, status, "
           "kale_block, base_reward, error, created_at, updated_at) "
           "SELECT id, user_id, 1, agriculture_type, amount, "
           "CASE WHEN agriculture_type = 'store' THEN 'pending' WHEN id % 100 = 1 THEN 'failed' ELSE 'harvested' END, "
           "CASE WHEN agriculture_type = 'plant' THEN 1 END, "
           "CASE WHEN agriculture_type = 'plant' AND id % 100 <> 1 THEN id * 7919 % 3000000 END, "
           "CASE WHEN agriculture_type = 'plant' AND id % 100 = 1 THEN 'harvest failed' END, 0, 0 "
           "FROM cycle_actions WHERE cycle_id = 1 AND action_type = 'agriculture'"};
static const kw_sql GEN_WAGERS = {
    .sql = "INSERT INTO weather_wagers (action_id, user_id, cycle_id, direction, amount, created_at) "
           "SELECT id, user_id, 1, direction, amount, 0 FROM cycle_actions WHERE cycle_id = 1 AND action_type = 'wager'"};
static const kw_sql GEN_ACCOUNTS = {
    .sql = "INSERT INTO ledger_accounts (kind, user_id, balance, created_at) "
           "SELECT 'user_available', id, 0, 0 FROM users WHERE username LIKE 'settle%' "
           "UNION ALL SELECT 'user_escrow', u.id, "
           "(SELECT COALESCE(SUM(CASE WHEN p.status = 'failed' THEN 0 ELSE p.stake_amount + COALESCE(p.base_reward, 0) "
           "END), 0) FROM farm_positions p WHERE p.user_id = u.id) + "
           "(SELECT COALESCE(SUM(w.amount), 0) FROM weather_wagers w WHERE w.user_id = u.id), 0 "
           "FROM users u WHERE u.username LIKE 'settle%'"};
/* The reserve gets a million KALE, then one funding entry per escrow. */
static const kw_sql FUND_RESERVE = {
    .sql = "UPDATE ledger_accounts SET balance = 10000000000000 WHERE kind = 'weather_reserve'"};
static const kw_sql FUND_ENTRIES = {
    .sql = "INSERT INTO ledger_entries (kind, ref, line_count, created_at) "
           "SELECT 'bench_fund', CAST(id AS TEXT), 2, 0 FROM ledger_accounts "
           "WHERE kind IN ('user_escrow', 'weather_reserve') AND balance > 0"};
static const kw_sql FUND_LINES = {
    .sql = "INSERT INTO ledger_lines (entry_id, account_id, amount) "
           "SELECT e.id, a.id, a.balance FROM ledger_accounts a JOIN ledger_entries e "
           "ON e.kind = 'bench_fund' AND e.ref = CAST(a.id AS TEXT) "
           "WHERE a.kind IN ('user_escrow', 'weather_reserve') AND a.balance > 0 "
           "UNION ALL SELECT e.id, (SELECT id FROM ledger_accounts WHERE kind = 'chain_in'), -a.balance "
           "FROM ledger_accounts a JOIN ledger_entries e ON e.kind = 'bench_fund' AND e.ref = CAST(a.id AS TEXT) "
           "WHERE a.kind IN ('user_escrow', 'weather_reserve') AND a.balance > 0"};
static const kw_sql FUND_CHAIN_IN = {
    .sql = "UPDATE ledger_accounts SET balance = -(SELECT SUM(amount) FROM ledger_lines l "
           "JOIN ledger_entries e ON e.id = l.entry_id WHERE e.kind = 'bench_fund' AND l.amount > 0) "
           "WHERE kind = 'chain_in'"};
static const kw_sql LOAD_POSITIONS = {
    .sql = "SELECT position_type, stake_amount, COALESCE(base_reward, 0), status FROM farm_positions "
           "WHERE cycle_id = 1 ORDER BY id"};
static const kw_sql LOAD_WAGERS = {
    .sql = "SELECT direction, amount FROM weather_wagers WHERE cycle_id = 1 ORDER BY id"};
static const kw_sql RESERVE = {.sql = "SELECT balance FROM ledger_accounts WHERE kind = 'weather_reserve'"};

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return 0;
}

int kw_settle_fixture_seed(kw_store *st, int64_t n, kw_err *err)
{
    static const kw_sql *const steps[] = {&GEN_CYCLE, &GEN_ACTIONS, &GEN_POSITIONS, &GEN_WAGERS, &GEN_ACCOUNTS,
                                          &FUND_RESERVE, &FUND_ENTRIES, &FUND_LINES, &FUND_CHAIN_IN};
    kw_resolver daos = {.store = st, .now_ms = fixed_now};
    kw_db *db;
    int rc = kw_resolver_seed_daos(&daos, 1, err);
    if (rc || (rc = kw_store_acquire(st, KW_DB_WRITE, &db, err)) != 0)
        return rc;
    if ((rc = kw_db_begin(db, err)) == 0)
        rc = kw_db_exec(db, &GEN_USERS, KW_ARGS(KW_I(n)), NULL, err);
    for (size_t i = 0; rc == 0 && i < sizeof steps / sizeof steps[0]; i++)
        rc = kw_db_exec(db, steps[i], KW_NOARGS, NULL, err);
    if (rc == 0)
        rc = kw_db_commit(db, err);
    else
        kw_db_rollback(db);
    kw_store_release(st, db);
    return rc;
}

static int read_arrays(kw_db *db, int64_t max, kw_settle_position *pos, kw_settle_wager *w, kw_settle_params *p,
                       kw_err *err)
{
    kw_rows *r;
    int64_t n = 0;
    int rc = kw_db_query(db, &LOAD_POSITIONS, KW_NOARGS, &r, err);
    while (rc == 0 && n < max && (rc = kw_rows_next(r, err)) == 1) {
        bool store = strcmp(kw_rows_text(r, 0), "store") == 0;
        pos[n++] = (kw_settle_position){.kind = store ? KW_POSITION_STORE : KW_POSITION_PLANT,
                                        .stake = kw_rows_int(r, 1), .base_reward = kw_rows_int(r, 2),
                                        .harvest_failed = strcmp(kw_rows_text(r, 3), "failed") == 0};
        rc = 0;
    }
    if (rc >= 0)
        kw_rows_close(r);
    n = 0;
    if (rc == 0 && (rc = kw_db_query(db, &LOAD_WAGERS, KW_NOARGS, &r, err)) == 0) {
        while (n < max && (rc = kw_rows_next(r, err)) == 1) {
            w[n++] = (kw_settle_wager){
                .direction = strcmp(kw_rows_text(r, 0), "good") == 0 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD,
                .stake = kw_rows_int(r, 1)};
            rc = 0;
        }
        kw_rows_close(r);
    }
    *p = (kw_settle_params){.outcome = KW_OUTCOME_GOOD, .confidence_ppm = 640000,
                            .wager_fee_bps = KW_SETTLE_FIXTURE_FEE_BPS};
    return rc < 0 ? rc : kw_db_query_int(db, &RESERVE, KW_NOARGS, &p->reserve, err);
}

int kw_settle_fixture_arrays(kw_store *st, int64_t n, kw_settle_position *pos, kw_settle_wager *w,
                             kw_settle_params *p, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(st, KW_DB_READ, &db, err);
    if (rc == 0) {
        rc = read_arrays(db, n, pos, w, p, err);
        kw_store_release(st, db);
    }
    return rc;
}
