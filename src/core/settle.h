/*
 * settle — the reward mathematics of a cycle's settlement (SPEC §8), as pure
 * functions over arrays. The engine wraps one call in one database transaction.
 *
 * Every amount is int64 stroops; products use __int128 and are floored.
 * Nothing is created or lost: with R the reserve before and R' after,
 *
 *   R + Σ from_chain(positions) + Σ stake(wagers) = R' + Σ final_reward + Σ payout
 *
 * where from_chain = stake + base_reward for a harvested position and 0 for
 * one whose harvest failed. Rounding dust always stays in (goes to) the reserve,
 * and R' ≥ 0.
 *
 * Order of the money flows, each step seeing only what the previous left:
 *  1. Make-whole: a failed position's stake is replaced from the reserve (it is
 *     settled as if its reward were 0). If the reserve cannot cover them all,
 *     each is scaled by reserve / due.
 *  2. Modifiers: final = floor(brought · m / 10^6) with brought = stake +
 *     base_reward (the made-whole stake for a failed position). Plant GOOD
 *     m = 1.5 + 0.25c, BAD m = max(0.1, 0.5 − 0.25c); store GOOD 0.97, BAD 1.08.
 *     m is floored to whole ppm from c in ppm.
 *  3. Wagers (parimutuel): fee = floor(losing · fee_bps / 10^4) goes to the
 *     reserve; each winner gets stake + floor(stake · (losing − fee) / winning);
 *     the leftover dust goes to the reserve. An empty side refunds everyone, no fee.
 *  4. Losses (final < brought) and wager fee and dust flow into the reserve; the
 *     bonuses (final > brought) flow out of it, all scaled by available / due
 *     when the reserve cannot cover them.
 *
 * Pure; thread-safe.
 */
#ifndef KW_CORE_SETTLE_H
#define KW_CORE_SETTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dao.h"
#include "core/err.h"

#define KW_PPM 1000000

typedef enum kw_position_kind {
    KW_POSITION_PLANT = 0,
    KW_POSITION_STORE = 1,
} kw_position_kind;

typedef struct kw_settle_position {
    /* in */
    kw_position_kind kind;
    int64_t stake;
    int64_t base_reward;     /* what the chain paid on top of the stake (0 for store) */
    bool harvest_failed;     /* the chain returned nothing; base_reward is ignored */
    /* out */
    int64_t make_whole;      /* paid by the reserve to replace a failed stake */
    int64_t final_reward;    /* what the user receives back into their balance */
    uint32_t modifier_ppm;   /* m applied */
} kw_settle_position;

typedef struct kw_settle_wager {
    /* in */
    kw_outcome direction;
    int64_t stake;
    /* out */
    int64_t payout;          /* stake back plus winnings, the refund, or 0 */
} kw_settle_wager;

typedef struct kw_settle_params {
    kw_outcome outcome;
    uint32_t confidence_ppm; /* c ∈ [0, 10^6], floored to whole ppm */
    int64_t reserve;         /* weather reserve before settlement, ≥ 0 */
    uint32_t wager_fee_bps;  /* ≤ 10,000 */
} kw_settle_params;

typedef struct kw_settle_totals {
    uint32_t plant_modifier_ppm;
    uint32_t store_modifier_ppm;
    int64_t make_whole_due, make_whole_paid;
    int64_t bonuses_due, bonuses_paid;   /* final − brought over positions that gained */
    int64_t losses;                      /* brought − final over positions that lost */
    int64_t wager_pool_good, wager_pool_bad;
    int64_t wager_fee, wager_dust;
    bool wagers_refunded;                /* a side was empty */
    int64_t reserve_after;
} kw_settle_totals;

/* m in ppm for a position kind under an outcome and confidence (SPEC §8). */
uint32_t kw_settle_modifier_ppm(kw_position_kind kind, kw_outcome outcome, uint32_t confidence_ppm);

/* Settles one cycle: fills the out fields of every position and wager and the
 * totals. Rejects (KW_EINVAL) negative amounts, unknown kinds or directions,
 * c > 10^6, fee > 10^4; KW_ERANGE when a total would not fit in int64. On
 * error the outputs are unspecified and nothing else is touched. */
int kw_settle_cycle(const kw_settle_params *p, kw_settle_position *pos, size_t npos,
                    kw_settle_wager *w, size_t nw, kw_settle_totals *out, kw_err *err) KW_WUR;

#endif
