/* The double-entry ledger and the performance summary; run once per backend. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "store/ledger.h"
#include "store/performance.h"

static kw_store *st;
static kw_db *db;
static kw_err err;
static int64_t alice, bob;
static int64_t a_avail, a_escrow, b_avail, reserve, chain_in, chain_out;

static int64_t account(kw_ledger_kind k, int64_t user)
{
    int64_t id = 0;
    cr_assert_eq(kw_ledger_account(db, k, user, &id, &err), 0, "%s", err.msg);
    return id;
}

static void setup(void)
{
    st = kwt_open();
    memset(&err, 0, sizeof err);
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &err), 0, "%s", err.msg);
    alice = kwt_user(db, "alice");
    bob = kwt_user(db, "bob");
    a_avail = account(KW_ACCT_USER_AVAILABLE, alice);
    a_escrow = account(KW_ACCT_USER_ESCROW, alice);
    b_avail = account(KW_ACCT_USER_AVAILABLE, bob);
    reserve = account(KW_ACCT_WEATHER_RESERVE, 0);
    chain_in = account(KW_ACCT_CHAIN_IN, 0);
    chain_out = account(KW_ACCT_CHAIN_OUT, 0);
}

static void teardown(void)
{
    kw_store_release(st, db);
    kwt_close(st);
}

TestSuite(ledger, .init = setup, .fini = teardown);

static int post2(const char *kind, const char *ref, int64_t from, int64_t to, int64_t amount)
{
    kw_ledger_line l[2] = {{from, -amount}, {to, amount}};
    kw_ledger_entry e = {.kind = kind, .ref = ref, .lines = l, .nlines = 2, .at_ms = 1};
    return kw_ledger_post(db, &e, NULL, &err);
}

static int64_t balance(int64_t acct)
{
    int64_t b = -12345;
    cr_assert_eq(kw_ledger_balance(db, acct, &b, &err), 0, "%s", err.msg);
    return b;
}

static void in_tx(void)
{
    cr_assert_eq(kw_db_begin(db, &err), 0, "%s", err.msg);
}

static void commit(void)
{
    cr_assert_eq(kw_db_commit(db, &err), 0, "%s", err.msg);
}

Test(ledger, deposits_escrow_and_withdrawals_balance)
{
    in_tx();
    cr_assert_eq(post2("deposit", "tx:1", chain_in, a_avail, 1000), 0, "%s", err.msg);
    cr_assert_eq(post2("escrow", NULL, a_avail, a_escrow, 300), 0, "%s", err.msg);
    cr_assert_eq(post2("stake", NULL, a_escrow, chain_out, 300), 0, "%s", err.msg);
    cr_assert_eq(post2("harvest", NULL, chain_in, reserve, 450), 0, "%s", err.msg);
    cr_assert_eq(post2("withdrawal", NULL, a_avail, chain_out, 200), 0, "%s", err.msg);
    commit();
    cr_assert_eq(balance(a_avail), 500);
    cr_assert_eq(balance(a_escrow), 0);
    cr_assert_eq(balance(reserve), 450);
    cr_assert_eq(balance(chain_in), -1450, "value that came in is a negative contra balance");
    cr_assert_eq(balance(chain_out), 500);
    int64_t av, es;
    cr_assert_eq(kw_ledger_user_balances(db, alice, &av, &es, &err), 0);
    cr_assert_eq(av, 500);
    cr_assert_eq(es, 0);

    kw_ledger_report rep;
    cr_assert_eq(kw_ledger_check(db, &rep, &err), 0, "%s", err.msg);
    cr_assert_eq(rep.entries, 5);
    cr_assert_eq(rep.users_total + rep.reserve, -(rep.chain_in + rep.chain_out), "SPEC §8 to the stroop");
    cr_assert_eq(rep.users_total, 500);
    cr_assert_eq(rep.net, 0);
}

Test(ledger, refuses_malformed_entries_and_writes_nothing)
{
    kw_ledger_line l[3] = {{chain_in, -100}, {a_avail, 99}, {b_avail, 0}};
    kw_ledger_entry e = {.kind = "deposit", .lines = l, .nlines = 2, .at_ms = 1};
    cr_assert_eq(kw_ledger_post(db, &e, NULL, &err), KW_ESTATE, "outside a transaction");
    in_tx();
    cr_assert_eq(kw_ledger_post(db, &e, NULL, &err), KW_EINVAL);
    cr_assert(strstr(err.msg, "unbalanced by -1") != NULL, "%s", err.msg);
    l[1].amount = 100;
    e.nlines = 3;
    cr_assert_eq(kw_ledger_post(db, &e, NULL, &err), KW_EINVAL, "a zero line");
    e.nlines = 1;
    cr_assert_eq(kw_ledger_post(db, &e, NULL, &err), KW_EINVAL, "one line");
    e.nlines = KW_LEDGER_MAX_LINES + 1;
    cr_assert_eq(kw_ledger_post(db, &e, NULL, &err), KW_EINVAL, "too many lines");
    e.nlines = 2;
    e.kind = "";
    cr_assert_eq(kw_ledger_post(db, &e, NULL, &err), KW_EINVAL, "no kind");
    l[0].amount = INT64_MIN + 1;
    l[1].amount = INT64_MAX;
    l[2].amount = 1;
    e.kind = "deposit";
    e.nlines = 3;
    cr_assert_eq(kw_ledger_post(db, &e, NULL, &err), KW_EINVAL, "sums that overflow int64 are still exact");
    commit();
    kw_ledger_report rep;
    cr_assert_eq(kw_ledger_check(db, &rep, &err), 0, "%s", err.msg);
    cr_assert_eq(rep.entries, 0);
}

Test(ledger, refuses_overdrafts_naming_the_account)
{
    in_tx();
    cr_assert_eq(post2("deposit", NULL, chain_in, a_avail, 100), 0, "%s", err.msg);
    commit();
    in_tx();
    cr_assert_eq(post2("escrow", NULL, a_avail, a_escrow, 101), KW_EFUNDS);
    cr_assert(strstr(err.msg, "user_available") != NULL, "%s", err.msg);
    char user[32];
    snprintf(user, sizeof user, "user %lld", (long long)alice);
    cr_assert(strstr(err.msg, user) != NULL, "%s", err.msg);
    kw_db_rollback(db);
    in_tx();
    cr_assert_eq(post2("bonus", NULL, reserve, a_avail, 1), KW_EFUNDS, "the reserve cannot go negative");
    cr_assert(strstr(err.msg, "weather_reserve") != NULL, "%s", err.msg);
    kw_db_rollback(db);
    in_tx();
    cr_assert_eq(post2("odd", NULL, chain_out, reserve, 7), 0, "contra accounts may take either sign: %s", err.msg);
    cr_assert_eq(post2("odd", NULL, a_avail, 999999, 7), KW_ENOTFOUND);
    kw_db_rollback(db);
    cr_assert_eq(balance(a_avail), 100);
    cr_assert_eq(balance(a_escrow), 0);
    cr_assert_eq(kw_ledger_check(db, NULL, &err), 0, "%s", err.msg);
}

Test(ledger, references_make_postings_idempotent)
{
    in_tx();
    cr_assert_eq(post2("deposit", "tx:abc", chain_in, a_avail, 100), 0, "%s", err.msg);
    commit();
    in_tx();
    cr_assert_eq(post2("deposit", "tx:abc", chain_in, a_avail, 100), KW_ECONFLICT);
    cr_assert(strstr(err.msg, "already posted") != NULL, "%s", err.msg);
    kw_db_rollback(db);
    in_tx();
    cr_assert_eq(post2("withdrawal", "tx:abc", a_avail, chain_out, 10), 0, "another kind: %s", err.msg);
    commit();
    cr_assert_eq(balance(a_avail), 90);
}

Test(ledger, account_lookups_check_ownership)
{
    int64_t id;
    cr_assert_eq(kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, 0, &id, &err), KW_EINVAL);
    cr_assert_eq(kw_ledger_account(db, KW_ACCT_WEATHER_RESERVE, alice, &id, &err), KW_EINVAL);
    cr_assert_eq(kw_ledger_account(db, KW_ACCT_USER_ESCROW, bob + 50, &id, &err), KW_ENOTFOUND);
    cr_assert_eq(kw_ledger_open_user(db, alice, 5, &err), 0, "opening twice is harmless: %s", err.msg);
    cr_assert_eq(account(KW_ACCT_USER_AVAILABLE, alice), a_avail);
}

static const kw_sql DRIFT = {.sql = "UPDATE ledger_accounts SET balance = balance + 1 WHERE id = $1"};
static const kw_sql STRAY_LINE = {
    .sql = "INSERT INTO ledger_lines (entry_id, account_id, amount) SELECT MAX(id), $1, 5 FROM ledger_entries"};

Test(ledger, check_finds_drift_and_broken_entries)
{
    in_tx();
    cr_assert_eq(post2("deposit", NULL, chain_in, a_avail, 100), 0, "%s", err.msg);
    commit();
    cr_assert_eq(kw_db_exec(db, &DRIFT, KW_ARGS(KW_I(a_avail)), NULL, &err), 0, "%s", err.msg);
    kw_ledger_report rep;
    cr_assert_eq(kw_ledger_check(db, &rep, &err), KW_EINTERNAL);
    cr_assert_eq(rep.drifted, 1);
    cr_assert_eq(rep.net, 1);
    cr_assert(strstr(err.msg, "differ") != NULL, "%s", err.msg);

    cr_assert_eq(kw_db_exec(db, &STRAY_LINE, KW_ARGS(KW_I(b_avail)), NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_ledger_check(db, &rep, &err), KW_EINTERNAL);
    cr_assert_eq(rep.unbalanced, 1);
    cr_assert_eq(rep.incomplete, 1);
    cr_assert_eq(rep.drifted, 2);
}

/* Threads move money between two users and the reserve at once. Every
 * transfer either commits whole or is refused, so the invariant holds and
 * the total is unchanged. */
struct mover {
    unsigned seed;
    int done, refused;
};

static int move_once(kw_db *d, void *ctx, kw_err *e)
{
    struct mover *m = ctx;
    int64_t accts[3] = {a_avail, b_avail, reserve};
    int from = (int)(rand_r(&m->seed) % 3), to = (from + 1 + (int)(rand_r(&m->seed) % 2)) % 3;
    kw_ledger_line l[2] = {{accts[from], -(int64_t)(1 + rand_r(&m->seed) % 400)}, {accts[to], 0}};
    l[1].amount = -l[0].amount;
    kw_ledger_entry en = {.kind = "transfer", .lines = l, .nlines = 2, .at_ms = 1};
    return kw_ledger_post(d, &en, NULL, e);
}

static void *mover_main(void *arg)
{
    struct mover *m = arg;
    for (int i = 0; i < 150; i++) {
        kw_err e = {0};
        int rc = kw_store_tx(st, move_once, m, &e);
        if (rc == 0)
            m->done++;
        else if (rc == KW_EFUNDS)
            m->refused++;
        else
            cr_assert_fail("transfer failed: %s", e.msg);
    }
    return NULL;
}

Test(ledger, concurrent_transfers_keep_the_invariant)
{
    in_tx();
    cr_assert_eq(post2("deposit", NULL, chain_in, a_avail, 3000), 0, "%s", err.msg);
    cr_assert_eq(post2("deposit", NULL, chain_in, b_avail, 3000), 0, "%s", err.msg);
    cr_assert_eq(post2("fund", NULL, chain_in, reserve, 3000), 0, "%s", err.msg);
    commit();
    kw_store_release(st, db);
    pthread_t t[4];
    struct mover m[4];
    for (int i = 0; i < 4; i++) {
        m[i] = (struct mover){.seed = 17u + (unsigned)i};
        pthread_create(&t[i], NULL, mover_main, &m[i]);
    }
    int done = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        done += m[i].done;
    }
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &err), 0);
    kw_ledger_report rep;
    cr_assert_eq(kw_ledger_check(db, &rep, &err), 0, "%s", err.msg);
    cr_assert_eq(rep.users_total + rep.reserve, 9000);
    cr_assert_eq(rep.entries, 3 + done);
    cr_assert_gt(done, 0);
}

static const kw_sql CYCLE = {
    .sql = "INSERT INTO weather_cycles (cycle_id, start_block, end_block, created_at, updated_at) "
           "VALUES ($1, CAST($1 AS BIGINT) * 10, CAST($1 AS BIGINT) * 10 + 9, 0, 0)"};
static const kw_sql ACTION = {
    .sql = "INSERT INTO cycle_actions (user_id, cycle_id, block_number, action_type, agriculture_type, amount, "
           "created_at) VALUES ($1, $2, $3, 'agriculture', 'plant', $4, $5) RETURNING id"};
static const kw_sql POSITION = {
    .sql = "INSERT INTO farm_positions (action_id, user_id, cycle_id, position_type, stake_amount, status, "
           "final_reward, weather_modifier_ppm, created_at, updated_at) "
           "VALUES ($1, $2, $3, 'plant', $4, $5, $6, $7, 0, 0)"};

static void position(int64_t user, int64_t cycle, int64_t block, int64_t stake, const char *status, int64_t final,
                     int64_t ppm, int64_t at)
{
    int64_t action;
    cr_assert_eq(kw_db_query_int(db, &ACTION, KW_ARGS(KW_I(user), KW_I(cycle), KW_I(block), KW_I(stake), KW_I(at)),
                                 &action, &err), 0, "%s", err.msg);
    kw_param final_p = final >= 0 ? KW_I(final) : KW_NUL, ppm_p = ppm >= 0 ? KW_I(ppm) : KW_NUL;
    cr_assert_eq(kw_db_exec(db, &POSITION, KW_ARGS(KW_I(action), KW_I(user), KW_I(cycle), KW_I(stake), KW_T(status),
                                                  final_p, ppm_p),
                            NULL, &err), 0, "%s", err.msg);
}

Test(ledger, performance_summary_changes_only_on_refresh)
{
    kw_performance p;
    in_tx();
    cr_assert_eq(kw_db_exec(db, &CYCLE, KW_ARGS(KW_I(1)), NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_exec(db, &CYCLE, KW_ARGS(KW_I(2)), NULL, &err), 0, "%s", err.msg);
    position(alice, 1, 10, 100, "settled", 150, 1500000, 1000);
    position(alice, 2, 20, 100, "settled", 50, 500000, 3000);
    position(alice, 2, 21, 30, "pending", -1, -1, 2000);
    cr_assert_eq(kw_performance_refresh(db, &err), 0, "%s", err.msg);
    commit();
    cr_assert_eq(kw_performance_get(db, alice, &p, &err), 0, "%s", err.msg);
    cr_assert_eq(p.cycles_participated, 2);
    cr_assert_eq(p.total_positions, 3);
    cr_assert_eq(p.total_staked, 230);
    cr_assert_eq(p.total_rewards, 200);
    cr_assert_float_eq(p.avg_weather_modifier, 1.0, 1e-9);
    cr_assert_eq(p.winning_positions, 1);
    cr_assert_eq(p.losing_positions, 1);
    cr_assert_float_eq(p.roi_ratio, 0.0, 1e-9);
    cr_assert_float_eq(p.weather_consistency, 0.5, 1e-9);
    cr_assert_eq(p.first_activity, 1000);
    cr_assert_eq(p.last_activity, 3000);
    cr_assert_eq(kw_performance_get(db, bob, &p, &err), KW_ENOTFOUND);

    in_tx();
    position(bob, 1, 11, 200, "settled", 260, 1300000, 500);
    commit();
    cr_assert_eq(kw_performance_get(db, bob, &p, &err), KW_ENOTFOUND, "not before the next refresh");
    cr_assert_eq(kw_performance_refresh(db, &err), KW_ESTATE, "only inside a transaction");
    in_tx();
    cr_assert_eq(kw_performance_refresh(db, &err), 0, "%s", err.msg);
    commit();
    cr_assert_eq(kw_performance_get(db, bob, &p, &err), 0, "%s", err.msg);
    cr_assert_float_eq(p.roi_ratio, 0.3, 1e-9);
    cr_assert_float_eq(p.weather_consistency, 0.0, 1e-9);
}
