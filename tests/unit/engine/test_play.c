/*
 * The engine end to end, in process, on the devnet with an injected clock:
 * users act at random over full cycles while time advances one ledger per
 * tick. Deterministic: the clock, the seeds and the mining budget (in hashes)
 * are fixed. Run once on SQLite and once on a throwaway PostgreSQL.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "chain/devnet.h"
#include "engine/actions.h"
#include "engine/farming.h"
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


/* ---- a harvest that answers nothing ---- */

/* The devnet, except that one harvest takes effect but reports a fault, and
 * the next read of that farmer's pail fails: recovery must then wait a tick,
 * and meanwhile nothing may move the wallet whose balance it will read. */
typedef struct flaky {
    const kw_chain_ops *ops;
    void *real;
    bool armed, pail_fails;
    uint8_t farmer[32];
} flaky;

static int f_status(void *st, kw_chain_status *out, kw_err *err)
{
    flaky *x = st;
    return x->ops->status(x->real, out, err);
}
static int f_block(void *st, uint32_t index, kw_chain_block *out, kw_err *err)
{
    flaky *x = st;
    return x->ops->block(x->real, index, out, err);
}
static int f_plant(void *st, const kw_chain_signer *farmer, int64_t amount, uint32_t *index, uint32_t *seq,
                   kw_err *err)
{
    flaky *x = st;
    return x->ops->plant(x->real, farmer, amount, index, seq, err);
}
static int f_work(void *st, const uint8_t farmer[32], const uint8_t hash[32], uint64_t nonce, uint32_t *gap,
                  kw_err *err)
{
    flaky *x = st;
    return x->ops->work(x->real, farmer, hash, nonce, gap, err);
}
static int f_harvest(void *st, const uint8_t farmer[32], uint32_t index, int64_t *reward, kw_err *err)
{
    flaky *x = st;
    int rc = x->ops->harvest(x->real, farmer, index, reward, err);
    if (rc == 0 && x->armed) {
        x->armed = false;
        x->pail_fails = true;
        memcpy(x->farmer, farmer, 32);
        return kw_err_set(err, KW_ETRANSIENT, "harvest took effect, the answer was lost");
    }
    return rc;
}
static int f_pail(void *st, const uint8_t farmer[32], uint32_t index, kw_chain_pail *out, kw_err *err)
{
    flaky *x = st;
    if (x->pail_fails && memcmp(farmer, x->farmer, 32) == 0) {
        x->pail_fails = false;
        return kw_err_set(err, KW_ETRANSIENT, "pail read failed");
    }
    return x->ops->pail(x->real, farmer, index, out, err);
}
static int f_balance(void *st, const uint8_t address[32], int64_t *out, kw_err *err)
{
    flaky *x = st;
    return x->ops->balance(x->real, address, out, err);
}
static int f_transfer(void *st, const kw_chain_signer *from, const uint8_t to[32], int64_t amount, kw_err *err)
{
    flaky *x = st;
    return x->ops->transfer(x->real, from, to, amount, err);
}
static int f_faucet(void *st, const uint8_t to[32], int64_t amount, kw_err *err)
{
    flaky *x = st;
    return x->ops->faucet(x->real, to, amount, err);
}

Test(engine, a_harvest_of_unknown_outcome_is_judged_before_its_wallet_moves_again, .timeout = 600)
{
    fixture f;
    fixture_open(&f, "0");
    make_users(&f);
    static const kw_chain_ops ops = {.status = f_status, .block = f_block, .plant = f_plant, .work = f_work,
                                     .harvest = f_harvest, .pail = f_pail, .balance = f_balance,
                                     .transfer = f_transfer, .faucet = f_faucet};
    flaky x = {.ops = f.e->chain.ops, .real = f.e->chain.state, .armed = true};
    f.e->chain.ops = &ops;
    f.e->chain.state = &x;
    /* one plant by the first user */
    uint32_t block;
    kw_cycle_pos pos;
    for (int i = 0; i < 400; i++, step(&f))
        if (kw_engine_block(f.e, &block) && kw_cycle_locate(&f.e->cycle, block, &pos) == 0 &&
            pos.phase == KW_PHASE_PLANTING)
            break;
    kw_action_req req = {.user_id = f.users[0], .type = KW_ACTION_PLANT, .amount = 10 * K};
    kw_action_result res;
    kw_err e = {0};
    cr_assert_eq(kw_action_submit(f.e->store, &f.e->cycle, block, &req, kw_clock_now_ms(&f.clock.clock), &res, &e), 0,
                 "%s", e.msg);
    /* as soon as the harvest has answered nothing, a deposit to the same wallet waits its turn */
    uint64_t last = pos.cycle_id + 2;
    bool queued = false;
    while (current_cycle(&f) < last) {
        step(&f);
        if (!x.armed && !queued) {
            kw_transfer_res t;
            cr_assert_eq(kw_farming_request_deposit(f.e->store,
                                                    &(kw_transfer_req){.user_id = f.users[0], .amount = 77 * K,
                                                                       .now_ms = kw_clock_now_ms(&f.clock.clock)},
                                                    &t, &e),
                         0, "%s", e.msg);
            queued = true;
        }
    }
    settle_all(&f, last);
    cr_assert(queued, "the harvest was made to answer nothing");
    cr_assert_eq(q(&f, "SELECT COUNT(*) FROM farm_positions WHERE action_id = $1 AND status = 'settled' "
                       "AND base_reward > 0 AND error IS NULL", res.action_id),
                 1, "the harvest was recovered with its reward");
    /* the devnet minted exactly the deposits, the harvests as booked and the reserve seed; reconcile exact */
    f.e->chain.ops = x.ops;
    f.e->chain.state = x.real;
    check_books(&f, last);
    fixture_close(&f);
}
