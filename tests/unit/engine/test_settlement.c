/* Settlement of a cycle with more positions and wagers than one ledger entry
 * holds (the seeded cycle of bench/settle_fixture.c, 200 users): the results
 * equal kw_settle_cycle's, every user's escrow is emptied into their balance,
 * each entry carries at most 31 items with one net reserve line, the books
 * hold, and a second run changes nothing. On both databases. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "bench/settle_fixture.h"
#include "engine/settlement.h"
#include "store/ledger.h"
#include "unit/store/fixture.h"

#define N 200

static const kw_sql PAID = {
    .sql = "SELECT COALESCE(SUM(a.balance), 0) FROM ledger_accounts a WHERE a.kind = 'user_available'"};
static const kw_sql ESCROW = {
    .sql = "SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind = 'user_escrow'"};
static const kw_sql BIGGEST = {
    .sql = "SELECT COALESCE(MAX(line_count), 0) FROM ledger_entries WHERE kind IN ('settle_position', 'settle_wager')"};
static const kw_sql ENTRIES = {
    .sql = "SELECT COUNT(*) FROM ledger_entries WHERE kind IN ('settle_position', 'settle_wager')"};
static const kw_sql RESERVE_LINES = {
    .sql = "SELECT COUNT(*) FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id "
           "JOIN ledger_accounts a ON a.id = l.account_id "
           "WHERE e.kind IN ('settle_position', 'settle_wager') AND a.kind = 'weather_reserve'"};
static const kw_sql UNSETTLED = {
    .sql = "SELECT (SELECT COUNT(*) FROM farm_positions WHERE status <> 'settled') + "
           "(SELECT COUNT(*) FROM weather_wagers WHERE status = 'open')"};

static int64_t query(kw_store *st, const kw_sql *sql)
{
    kw_db *db;
    kw_err e = {0};
    int64_t v;
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_db_query_int(db, sql, KW_NOARGS, &v, &e), 0, "%s: %s", sql->sql, e.msg);
    kw_store_release(st, db);
    return v;
}

Test(settlement, batches_of_many_items_settle_exactly)
{
    kw_store *st = kwt_open();
    kw_err e = {0};
    kw_settle_position *pos = calloc(N, sizeof *pos);
    kw_settle_wager *w = calloc(N, sizeof *w);
    kw_settle_params p;
    kw_settle_totals want;
    cr_assert_eq(kw_settle_fixture_seed(st, N, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_settle_fixture_arrays(st, N, pos, w, &p, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_settle_cycle(&p, pos, N, w, N, &want, &e), 0, "%s", e.msg);
    int64_t paid = 0;
    for (size_t i = 0; i < N; i++)
        paid += pos[i].final_reward + w[i].payout;

    kw_settlement_report rep;
    cr_assert_eq(kw_settlement_run(st, 1, p.wager_fee_bps, 1000, &rep, &e), 0, "%s", e.msg);
    cr_assert(rep.settled_now);
    cr_assert_eq(rep.positions, N);
    cr_assert_eq(rep.wagers, N);
    cr_assert_eq(rep.totals.reserve_after, want.reserve_after);
    cr_assert_eq(rep.totals.bonuses_paid, want.bonuses_paid);
    cr_assert_eq(query(st, &UNSETTLED), 0);
    cr_assert_eq(query(st, &ESCROW), 0, "every escrow is emptied");
    cr_assert_eq(query(st, &PAID), paid, "balances hold every reward and payout");
    cr_assert_leq(query(st, &BIGGEST), 63, "at most 31 items and the reserve per entry");
    int64_t entries = query(st, &ENTRIES);
    cr_assert_lt(entries, N / 10, "%lld entries for %d items: not batched", (long long)entries, 2 * N);
    cr_assert_leq(query(st, &RESERVE_LINES), entries, "one reserve line per entry at most");

    kw_db *db;
    kw_ledger_report books;
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_ledger_check(db, &books, &e), 0, "%s", e.msg);
    kw_store_release(st, db);
    cr_assert_eq(books.reserve, want.reserve_after);

    cr_assert_eq(kw_settlement_run(st, 1, p.wager_fee_bps, 2000, &rep, &e), 0, "%s", e.msg);
    cr_assert_not(rep.settled_now, "a second run is a no-op");
    cr_assert_eq(query(st, &ENTRIES), entries);
    free(pos);
    free(w);
    kwt_close(st);
}
