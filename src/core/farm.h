/*
 * farm — the reward mathematics of the KALE farm contract (SPEC §2), fixed
 * by the chain and reproduced exactly: normalisation of (gap, stake, zeros)
 * against a block's frozen ranges, the decaying block emission, and the
 * harvest share. Used by the devnet to pay what mainnet would pay.
 *
 * All arithmetic is integer. The contract multiplies before dividing with a
 * 256-bit intermediate when the product overflows i128; so does this module.
 *
 * Pure; thread-safe.
 */
#ifndef KW_CORE_FARM_H
#define KW_CORE_FARM_H

#include <stdint.h>

#include "core/err.h"

#define KW_FARM_BLOCK_REWARD ((__int128)25050000000)    /* 2505 KALE per 5-minute block */
#define KW_FARM_SCALE ((__int128)1000000000000)         /* 1e12 = 100% */
#define KW_FARM_DECAY_KEEP ((__int128)950000000000)     /* 95% kept per period */
#define KW_FARM_DECAY_GENESIS 30558u                    /* V2 genesis block */
#define KW_FARM_DECAY_PERIOD 8640u                      /* blocks per 30 days of 5 minutes */

/* The normalisation ranges of a block (the previous block's statistics). */
typedef struct kw_farm_ranges {
    uint32_t min_gap, max_gap;
    __int128 min_stake, max_stake;
    uint32_t min_zeros, max_zeros;
} kw_farm_ranges;

/* floor(x · y / d) for x, y ≥ 0 and d > 0, exact through 256 bits.
 * KW_EINVAL for a negative input or d ≤ 0, KW_ERANGE when the result does
 * not fit an i128 (the contract would panic). */
int kw_farm_mul_div_floor(__int128 x, __int128 y, __int128 d, __int128 *out) KW_WUR;

/* Normalised (gap, stake, zeros): each value clamped into its range, ranges
 * floored at 1, S = the largest range, component = max(1, floor((v − min) ·
 * S / range)). KW_EINVAL when a range has max < min (the contract's
 * BlockInvalid). */
int kw_farm_normalize(const kw_farm_ranges *r, uint32_t gap, __int128 stake, uint32_t zeros,
                      __int128 out[3]) KW_WUR;

/* R(index) = 2505 KALE · 0.95^floor((index − 30558) / 8640) in stroops: the
 * factor starts at 1e12 and is floored after every multiplication by 0.95,
 * then applied to the base reward and floored again. Indices before 30558
 * pay the full reward. */
__int128 kw_farm_emission(uint32_t index);

/* A harvest: floor(score · (emission + staked_total) / max(1, normalized_total)). */
int kw_farm_reward(__int128 score, __int128 emission, __int128 staked_total,
                   __int128 normalized_total, __int128 *out) KW_WUR;

#endif
