/*
 * The engine end to end, in process, on the devnet with an injected clock:
 * users act at random over full cycles while time advances one ledger per
 * tick. Deterministic: the clock, the seeds and the mining budget (in hashes)
 * are fixed. Run once on SQLite and once on a throwaway PostgreSQL.
 */
#include <criterion/criterion.h>

#include "chain/devnet.h"
#include "play_fixture.h"

Test(engine, five_cycles_with_twenty_users_settle_exactly, .timeout = 600)
{
    fixture f;
    fixture_open(&f, "0");
    make_users(&f);
    uint64_t first = current_cycle(&f) + 1, last = first + 5;
    while (current_cycle(&f) < first)
        step(&f);
    int accepted = play_until(&f, last);
    settle_all(&f, last);
    cr_assert_gt(accepted, 20, "the random play was accepted %d times", accepted);
    cr_assert_gt(q(&f, "SELECT COUNT(*) FROM farm_positions WHERE position_type = 'plant' AND cycle_id < $1", (int64_t)last), 0);
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM farm_positions WHERE position_type = 'plant' AND cycle_id < $1 "
                       "AND (base_reward IS NULL OR base_reward <= 0)", (int64_t)last), 0,
                 "every plant was harvested with a reward");
    cr_assert_gt(q(&f, "SELECT COUNT(*) FROM weather_wagers WHERE status = 'won' AND $1 = $1", 0), 0);
    check_books(&f, last);
    fixture_close(&f);
}

Test(engine, faults_and_latency_still_settle, .timeout = 600)
{
    fixture f;
    fixture_reopen(&f, NULL, T0, "0.2", "200");
    make_users(&f);
    uint64_t last = current_cycle(&f) + 3;
    play_until(&f, last);
    settle_all(&f, last);
    cr_assert_gt(f.e->retry.retries, 0, "faults were retried");
    check_books(&f, last);
    fixture_close(&f);
}

Test(engine, downtime_of_three_cycles_is_caught_up_in_order, .timeout = 600)
{
    fixture f;
    fixture_open(&f, "0");
    make_users(&f);
    uint64_t start = current_cycle(&f) + 1;
    play_until(&f, start + 1);
    /* The service stops; the chain goes on for three cycles. */
    for (int i = 0; i < 3 * 10 * 10; i++) {
        kw_manual_clock_advance(&f.clock, 200);
        kw_err e;
        cr_assert_eq(kw_devnet_tick(&f.e->chain, &e), 0);
    }
    uint64_t back = start + 4;
    step(&f);
    cr_assert_geq(current_cycle(&f), back);
    settle_all(&f, back);
    /* settled in cycle order: settled_at never decreases with the cycle id */
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM weather_cycles a JOIN weather_cycles b ON b.cycle_id = a.cycle_id + 1 "
                       "WHERE a.settled_at > b.settled_at AND a.cycle_id >= $1", (int64_t)start), 0);
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id >= $1 AND cycle_id < $1 + 4 AND weather_outcome IS NULL", (int64_t)start), 0);
    check_books(&f, back);
    fixture_close(&f);
}

