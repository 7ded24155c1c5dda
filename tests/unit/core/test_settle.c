#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/settle.h"

#define K INT64_C(10000000) /* one KALE in stroops */

static kw_settle_params params(kw_outcome o, uint32_t c, int64_t reserve)
{
    return (kw_settle_params){.outcome = o, .confidence_ppm = c, .reserve = reserve, .wager_fee_bps = 100};
}

/* R + Σ from_chain + Σ wager stakes = R' + Σ final + Σ payout, and R' ≥ 0. */
static void assert_conserved(const kw_settle_params *p, const kw_settle_position *pos, size_t n,
                             const kw_settle_wager *w, size_t nw, const kw_settle_totals *t)
{
    __int128 in = p->reserve, out = t->reserve_after;
    for (size_t i = 0; i < n; i++) {
        in += pos[i].harvest_failed ? 0 : pos[i].stake + pos[i].base_reward;
        out += pos[i].final_reward;
        cr_assert_geq(pos[i].final_reward, 0);
    }
    for (size_t i = 0; i < nw; i++) {
        in += w[i].stake;
        out += w[i].payout;
        cr_assert_geq(w[i].payout, 0);
    }
    cr_assert(in == out, "stroops created or lost: in %lld out %lld", (long long)in, (long long)out);
    cr_assert_geq(t->reserve_after, 0);
    cr_assert_leq(t->bonuses_paid, t->bonuses_due);
    cr_assert_leq(t->make_whole_paid, t->make_whole_due);
}

Test(settle, modifiers_at_the_boundaries)
{
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_GOOD, 0), 1500000);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_GOOD, 1), 1500000);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_GOOD, 4), 1500001);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_GOOD, 500000), 1625000);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_GOOD, 1000000), 1750000);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_BAD, 0), 500000);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_BAD, 1), 499999);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_BAD, 1000000), 250000);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_STORE, KW_OUTCOME_GOOD, 123), 970000);
    cr_assert_eq(kw_settle_modifier_ppm(KW_POSITION_STORE, KW_OUTCOME_BAD, 123), 1080000);
    for (uint32_t c = 0; c <= 1000000; c += 997) {
        uint32_t g = kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_GOOD, c);
        uint32_t b = kw_settle_modifier_ppm(KW_POSITION_PLANT, KW_OUTCOME_BAD, c);
        cr_assert(g >= 1500000 && g <= 1750000 && b >= 250000 && b <= 500000 && b >= 100000);
    }
}

Test(settle, plant_and_store_rewards)
{
    kw_settle_position pos[] = {
        {.kind = KW_POSITION_PLANT, .stake = 10 * K, .base_reward = 2 * K},
        {.kind = KW_POSITION_STORE, .stake = 10 * K},
        {.kind = KW_POSITION_PLANT, .stake = 3, .base_reward = 0},
    };
    kw_settle_params p = params(KW_OUTCOME_GOOD, 500000, 1000 * K);
    kw_settle_totals t;
    cr_assert_eq(kw_settle_cycle(&p, pos, 3, NULL, 0, &t, NULL), 0);
    cr_assert_eq(pos[0].final_reward, 195000000);      /* 12 KALE · 1.625 */
    cr_assert_eq(pos[1].final_reward, 97000000);       /* 10 KALE · 0.97 */
    cr_assert_eq(pos[2].final_reward, 4);              /* floor(3 · 1.625) */
    cr_assert_eq(t.bonuses_due, 75000000 + 1);
    cr_assert_eq(t.losses, 3000000);
    cr_assert_eq(t.reserve_after, 1000 * K - 75000001 + 3000000);
    assert_conserved(&p, pos, 3, NULL, 0, &t);

    p = params(KW_OUTCOME_BAD, 1000000, 0);
    cr_assert_eq(kw_settle_cycle(&p, pos, 3, NULL, 0, &t, NULL), 0);
    cr_assert_eq(pos[0].final_reward, 30000000);       /* 12 KALE · 0.25 */
    cr_assert_eq(pos[2].final_reward, 0);
    /* The store bonus (0.8 KALE) is paid from this cycle's losses. */
    cr_assert_eq(pos[1].final_reward, 108000000);
    cr_assert_eq(t.reserve_after, 90000000 + 3 - 8000000);
    assert_conserved(&p, pos, 3, NULL, 0, &t);
}

Test(settle, bonuses_scale_when_the_reserve_is_short)
{
    kw_settle_position pos[] = {
        {.kind = KW_POSITION_PLANT, .stake = 100, .base_reward = 0},  /* wants +50 */
        {.kind = KW_POSITION_PLANT, .stake = 300, .base_reward = 0},  /* wants +150 */
        {.kind = KW_POSITION_STORE, .stake = 1000},                   /* pays 30 rent */
    };
    kw_settle_params p = params(KW_OUTCOME_GOOD, 0, 70);
    kw_settle_totals t;
    cr_assert_eq(kw_settle_cycle(&p, pos, 3, NULL, 0, &t, NULL), 0);
    /* available = 70 + 30 = 100 for 200 due: half of each bonus. */
    cr_assert_eq(pos[0].final_reward, 125);
    cr_assert_eq(pos[1].final_reward, 375);
    cr_assert_eq(pos[2].final_reward, 970);
    cr_assert_eq(t.bonuses_due, 200);
    cr_assert_eq(t.bonuses_paid, 100);
    cr_assert_eq(t.reserve_after, 0);
    assert_conserved(&p, pos, 3, NULL, 0, &t);
}

Test(settle, empty_reserve_pays_no_bonus_and_never_goes_negative)
{
    kw_settle_position pos[] = {{.kind = KW_POSITION_PLANT, .stake = 7 * K, .base_reward = 1}};
    kw_settle_params p = params(KW_OUTCOME_GOOD, 999999, 0);
    kw_settle_totals t;
    cr_assert_eq(kw_settle_cycle(&p, pos, 1, NULL, 0, &t, NULL), 0);
    cr_assert_eq(pos[0].final_reward, 7 * K + 1);
    cr_assert_eq(t.reserve_after, 0);
}

Test(settle, failed_harvest_is_made_whole_from_the_reserve)
{
    kw_settle_position pos[] = {{.kind = KW_POSITION_PLANT, .stake = 10 * K, .base_reward = 5 * K,
                                 .harvest_failed = true}};
    kw_settle_params p = params(KW_OUTCOME_BAD, 0, 100 * K);
    kw_settle_totals t;
    cr_assert_eq(kw_settle_cycle(&p, pos, 1, NULL, 0, &t, NULL), 0);
    cr_assert_eq(pos[0].make_whole, 10 * K);
    cr_assert_eq(pos[0].final_reward, 5 * K); /* as if the reward were 0: 10 · 0.5 */
    cr_assert_eq(t.reserve_after, 95 * K);
    assert_conserved(&p, pos, 1, NULL, 0, &t);

    p = params(KW_OUTCOME_GOOD, 0, 4 * K);  /* the reserve covers only 40 % */
    cr_assert_eq(kw_settle_cycle(&p, pos, 1, NULL, 0, &t, NULL), 0);
    cr_assert_eq(pos[0].make_whole, 4 * K);
    cr_assert_eq(t.make_whole_due, 10 * K);
    cr_assert_eq(pos[0].final_reward, 4 * K);
    cr_assert_eq(t.reserve_after, 0);
    assert_conserved(&p, pos, 1, NULL, 0, &t);
}

Test(settle, parimutuel_wagers)
{
    kw_settle_wager w[] = {
        {.direction = KW_OUTCOME_GOOD, .stake = 100},
        {.direction = KW_OUTCOME_GOOD, .stake = 200},
        {.direction = KW_OUTCOME_BAD, .stake = 100},
    };
    kw_settle_params p = params(KW_OUTCOME_GOOD, 0, 0);
    kw_settle_totals t;
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, w, 3, &t, NULL), 0);
    /* fee 1, prize 99: 33 and 66, no dust */
    cr_assert_eq(t.wager_fee, 1);
    cr_assert_eq(w[0].payout, 133);
    cr_assert_eq(w[1].payout, 266);
    cr_assert_eq(w[2].payout, 0);
    cr_assert_eq(t.wager_dust, 0);
    cr_assert_eq(t.reserve_after, 1);
    assert_conserved(&p, NULL, 0, w, 3, &t);

    kw_settle_wager w2[] = {
        {.direction = KW_OUTCOME_BAD, .stake = 1},
        {.direction = KW_OUTCOME_BAD, .stake = 1},
        {.direction = KW_OUTCOME_BAD, .stake = 1},
        {.direction = KW_OUTCOME_GOOD, .stake = 100},
    };
    p = params(KW_OUTCOME_BAD, 0, 0);
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, w2, 4, &t, NULL), 0);
    cr_assert_eq(t.wager_fee, 1);                 /* 1 % of 100 */
    cr_assert_eq(w2[0].payout, 1 + 33);           /* floor(1 · 99 / 3) */
    cr_assert_eq(t.wager_dust, 0);
    assert_conserved(&p, NULL, 0, w2, 4, &t);
}

Test(settle, one_sided_wagers_are_refunded_without_fee)
{
    kw_settle_wager w[] = {{.direction = KW_OUTCOME_BAD, .stake = 100}, {.direction = KW_OUTCOME_BAD, .stake = 7}};
    kw_settle_params p = params(KW_OUTCOME_GOOD, 0, 5);
    kw_settle_totals t;
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, w, 2, &t, NULL), 0);
    cr_assert(t.wagers_refunded);
    cr_assert_eq(w[0].payout, 100);
    cr_assert_eq(w[1].payout, 7);
    cr_assert_eq(t.wager_fee, 0);
    cr_assert_eq(t.reserve_after, 5);
}

Test(settle, wagers_never_change_the_outcome_inputs)
{
    /* The function takes the outcome as given: a huge wager cannot move it. */
    kw_settle_wager w[] = {{.direction = KW_OUTCOME_BAD, .stake = INT64_MAX / 2}, {.direction = KW_OUTCOME_GOOD, .stake = 1}};
    kw_settle_params p = params(KW_OUTCOME_GOOD, 0, 0);
    kw_settle_totals t;
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, w, 2, &t, NULL), 0);
    cr_assert_eq(w[0].payout, 0);
    assert_conserved(&p, NULL, 0, w, 2, &t);
}

Test(settle, rejects_bad_inputs)
{
    kw_settle_position pos = {.kind = KW_POSITION_PLANT, .stake = -1};
    kw_settle_wager w = {.direction = (kw_outcome)7, .stake = 1};
    kw_settle_params p = params(KW_OUTCOME_GOOD, 0, 0);
    kw_settle_totals t;
    kw_err e;
    cr_assert_eq(kw_settle_cycle(&p, &pos, 1, NULL, 0, &t, &e), KW_EINVAL);
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, &w, 1, &t, &e), KW_EINVAL);
    p.confidence_ppm = 1000001;
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, NULL, 0, &t, &e), KW_EINVAL);
    p = params((kw_outcome)7, 0, 0);
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, NULL, 0, &t, &e), KW_EINVAL);
    p = params(KW_OUTCOME_GOOD, 0, -1);
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, NULL, 0, &t, &e), KW_EINVAL);
    p = params(KW_OUTCOME_GOOD, 0, 0);
    p.wager_fee_bps = 10001;
    cr_assert_eq(kw_settle_cycle(&p, NULL, 0, NULL, 0, &t, &e), KW_EINVAL);
    kw_settle_position store = {.kind = KW_POSITION_STORE, .stake = 1, .base_reward = 1};
    p = params(KW_OUTCOME_GOOD, 0, 0);
    cr_assert_eq(kw_settle_cycle(&p, &store, 1, NULL, 0, &t, &e), KW_EINVAL);
    kw_settle_position huge = {.kind = KW_POSITION_PLANT, .stake = INT64_MAX, .base_reward = 0};
    cr_assert_eq(kw_settle_cycle(&p, &huge, 1, NULL, 0, &t, &e), KW_ERANGE);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}
static int64_t upto(int64_t max) { return (int64_t)(next() % (uint64_t)(max + 1)); }

Test(settle, property_100000_random_settlements_conserve_every_stroop, .timeout = 120)
{
    kw_settle_position pos[64];
    kw_settle_wager w[64];
    for (int round = 0; round < 100000; round++) {
        size_t n = (size_t)upto(round % 7 == 0 ? 0 : 63), nw = (size_t)upto(round % 5 == 0 ? 0 : 63);
        int64_t maxstake = round % 3 == 0 ? 20 : 10000 * K;  /* tiny amounts exercise the dust */
        for (size_t i = 0; i < n; i++) {
            memset(&pos[i], 0, sizeof pos[i]);
            pos[i].kind = next() % 2 ? KW_POSITION_PLANT : KW_POSITION_STORE;
            pos[i].stake = upto(maxstake);
            if (pos[i].kind == KW_POSITION_PLANT) {
                pos[i].base_reward = upto(maxstake);
                pos[i].harvest_failed = next() % 10 == 0;
            }
        }
        for (size_t i = 0; i < nw; i++) {
            w[i].direction = next() % 3 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
            if (round % 11 == 0)
                w[i].direction = KW_OUTCOME_BAD;   /* empty GOOD side */
            w[i].stake = upto(maxstake);
        }
        kw_settle_params p = {
            .outcome = next() % 2 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD,
            .confidence_ppm = (uint32_t)upto(1000000),
            .reserve = round % 4 == 0 ? upto(50) : upto(1000000 * K),
            .wager_fee_bps = (uint32_t)upto(10000),
        };
        kw_settle_totals t;
        cr_assert_eq(kw_settle_cycle(&p, pos, n, w, nw, &t, NULL), 0);
        assert_conserved(&p, pos, n, w, nw, &t);
    }
}
