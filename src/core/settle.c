#include "core/settle.h"

typedef __int128 i128;

uint32_t kw_settle_modifier_ppm(kw_position_kind kind, kw_outcome outcome, uint32_t c)
{
    if (c > KW_PPM)
        c = KW_PPM;
    if (kind == KW_POSITION_STORE)
        return outcome == KW_OUTCOME_GOOD ? 970000u : 1080000u;
    if (outcome == KW_OUTCOME_GOOD)
        return (6000000u + c) / 4;         /* floor(1.5·10^6 + c/4) */
    uint32_t m = (2000000u - c) / 4;       /* floor(0.5·10^6 − c/4) */
    return m < 100000u ? 100000u : m;
}

/* floor(a · num / den) for a, num ≥ 0 and den > 0. */
static int64_t scale(int64_t a, i128 num, i128 den)
{
    return (int64_t)((i128)a * num / den);
}

static int check_inputs(const kw_settle_params *p, const kw_settle_position *pos, size_t npos,
                        const kw_settle_wager *w, size_t nw, kw_err *err)
{
    if (p->outcome != KW_OUTCOME_GOOD && p->outcome != KW_OUTCOME_BAD)
        return kw_err_set(err, KW_EINVAL, "settlement needs an outcome of GOOD or BAD");
    if (p->confidence_ppm > KW_PPM)
        return kw_err_set(err, KW_EINVAL, "confidence %u ppm is above 10^6", p->confidence_ppm);
    if (p->wager_fee_bps > 10000)
        return kw_err_set(err, KW_EINVAL, "wager fee %u bps is above 10000", p->wager_fee_bps);
    if (p->reserve < 0)
        return kw_err_set(err, KW_EINVAL, "reserve is negative");
    for (size_t i = 0; i < npos; i++) {
        if (pos[i].kind != KW_POSITION_PLANT && pos[i].kind != KW_POSITION_STORE)
            return kw_err_set(err, KW_EINVAL, "position %zu has an unknown kind", i);
        if (pos[i].stake < 0 || pos[i].base_reward < 0)
            return kw_err_set(err, KW_EINVAL, "position %zu has a negative amount", i);
        if (pos[i].kind == KW_POSITION_STORE && (pos[i].base_reward != 0 || pos[i].harvest_failed))
            return kw_err_set(err, KW_EINVAL, "store position %zu cannot carry a chain reward", i);
    }
    for (size_t i = 0; i < nw; i++) {
        if (w[i].direction != KW_OUTCOME_GOOD && w[i].direction != KW_OUTCOME_BAD)
            return kw_err_set(err, KW_EINVAL, "wager %zu has an unknown direction", i);
        if (w[i].stake < 0)
            return kw_err_set(err, KW_EINVAL, "wager %zu has a negative stake", i);
    }
    return 0;
}

int kw_settle_cycle(const kw_settle_params *p, kw_settle_position *pos, size_t npos,
                    kw_settle_wager *w, size_t nw, kw_settle_totals *out, kw_err *err)
{
    int rc = check_inputs(p, pos, npos, w, nw, err);
    if (rc)
        return rc;

    kw_settle_totals t = {
        .plant_modifier_ppm = kw_settle_modifier_ppm(KW_POSITION_PLANT, p->outcome, p->confidence_ppm),
        .store_modifier_ppm = kw_settle_modifier_ppm(KW_POSITION_STORE, p->outcome, p->confidence_ppm),
    };
    /* Totals are accumulated wide and checked once at the end. */
    i128 make_due = 0, make_paid = 0, gains = 0, losses = 0, pool[2] = {0, 0};
    for (size_t i = 0; i < npos; i++)
        if (pos[i].harvest_failed)
            make_due += pos[i].stake;
    for (size_t i = 0; i < nw; i++)
        pool[w[i].direction] += w[i].stake;
    if (make_due > INT64_MAX || pool[0] > INT64_MAX || pool[1] > INT64_MAX)
        return kw_err_set(err, KW_ERANGE, "settlement totals exceed the int64 range");

    /* 1. make-whole, 2. modifiers: bonuses are provisional until step 4. */
    i128 reserve = p->reserve;
    for (size_t i = 0; i < npos; i++) {
        kw_settle_position *x = &pos[i];
        x->make_whole = 0;
        if (x->harvest_failed) {
            x->make_whole = make_due <= reserve ? x->stake : scale(x->stake, reserve, make_due);
            make_paid += x->make_whole;
        }
        i128 brought = x->harvest_failed ? x->make_whole : (i128)x->stake + x->base_reward;
        x->modifier_ppm = x->kind == KW_POSITION_PLANT ? t.plant_modifier_ppm : t.store_modifier_ppm;
        i128 fin = brought * x->modifier_ppm / KW_PPM;
        if (fin > INT64_MAX)
            return kw_err_set(err, KW_ERANGE, "position %zu's reward exceeds the int64 range", i);
        x->final_reward = (int64_t)fin;
        if (fin > brought)
            gains += fin - brought;
        else
            losses += brought - fin;
    }
    reserve -= make_paid;

    /* 3. wagers */
    i128 winning = pool[p->outcome], losing = pool[!p->outcome];
    i128 fee = 0, dust = 0;
    t.wagers_refunded = nw > 0 && (winning == 0 || losing == 0);
    if (winning > 0 && losing > 0) {
        fee = losing * p->wager_fee_bps / 10000;
        i128 prize = losing - fee, shared = 0;
        for (size_t i = 0; i < nw; i++) {
            if (w[i].direction != p->outcome) {
                w[i].payout = 0;
                continue;
            }
            int64_t share = scale(w[i].stake, prize, winning);
            shared += share;
            w[i].payout = w[i].stake + share;
        }
        dust = prize - shared;
    } else {
        for (size_t i = 0; i < nw; i++)
            w[i].payout = w[i].stake;
    }

    /* 4. bonuses, scaled when the reserve (with this cycle's inflows) falls short */
    i128 available = reserve + losses + fee + dust, gains_paid = 0;
    if (gains > available) {
        for (size_t i = 0; i < npos; i++) {
            kw_settle_position *x = &pos[i];
            i128 brought = x->harvest_failed ? x->make_whole : (i128)x->stake + x->base_reward;
            if (x->final_reward > brought) {
                int64_t bonus = scale((int64_t)(x->final_reward - brought), available, gains);
                x->final_reward = (int64_t)(brought + bonus);
                gains_paid += bonus;
            }
        }
    } else {
        gains_paid = gains;
    }
    i128 after = available - gains_paid;
    if (after > INT64_MAX || gains > INT64_MAX || losses > INT64_MAX)
        return kw_err_set(err, KW_ERANGE, "settlement totals exceed the int64 range");

    t.make_whole_due = (int64_t)make_due;
    t.make_whole_paid = (int64_t)make_paid;
    t.bonuses_due = (int64_t)gains;
    t.bonuses_paid = (int64_t)gains_paid;
    t.losses = (int64_t)losses;
    t.wager_pool_good = (int64_t)pool[KW_OUTCOME_GOOD];
    t.wager_pool_bad = (int64_t)pool[KW_OUTCOME_BAD];
    t.wager_fee = (int64_t)fee;
    t.wager_dust = (int64_t)dust;
    t.reserve_after = (int64_t)after;
    *out = t;
    return 0;
}
