/*
 * dao — the 15 DAOs of SPEC §6: each a pure function of a market snapshot
 * that votes GOOD or BAD with a confidence and a one-line reasoning, or
 * abstains when a price it needs is missing (it never guesses).
 *
 * Confidence. Every rule decides by comparing one statistic with a threshold
 * (a count rule "≥ k of n assets have x > t" is the k-th largest x against t;
 * a rule with two conditions takes the condition that is closest to failing).
 * Each DAO turns "how far past the threshold" into a margin m, the distance
 * divided by a per-DAO scale, and
 *
 *     confidence = 0.3 + 0.6 · min(1, |m|)          (so within [0.3, 0.9])
 *
 * i.e. 0.3 exactly at the threshold and 0.9 once the statistic is one scale
 * past it, on either side. The statistic, threshold and scale of each DAO are
 * written next to its rule in dao.c and in kw_dao_info.rule. The prediction
 * itself is always decided by the rule's own comparison on the statistic
 * (rounded to 12 decimals by kw_stat_round, so a decimal value exactly at a
 * threshold is at it), never by the margin.
 *
 * Confidence is carried as integer parts per million (rounded to nearest) so
 * that the value committed to, stored, revealed and weighed is one exact
 * number (see consensus.h for the commitment encoding).
 *
 * Pure; thread-safe.
 */
#ifndef KW_CORE_DAO_H
#define KW_CORE_DAO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/market_snapshot.h"

typedef enum kw_outcome {
    KW_OUTCOME_BAD = 0,
    KW_OUTCOME_GOOD = 1,
} kw_outcome;

/* Table order of SPEC §6. DAOs are identified outside the process by their
 * text id (kw_dao_info.id), never by this number. */
typedef enum kw_dao_id {
    KW_DAO_CRYPTO_MOMENTUM = 0,
    KW_DAO_MEAN_REVERSION,
    KW_DAO_XLM_DOMINANCE,
    KW_DAO_KALE_PERFORMANCE,
    KW_DAO_VOLATILITY_CLUSTERING,
    KW_DAO_FLIGHT_TO_SAFETY,
    KW_DAO_CROSS_CHAIN_STRESS,
    KW_DAO_STELLAR_DEX_HEALTH,
    KW_DAO_AQUA_NETWORK,
    KW_DAO_REGIONAL_TOKEN,
    KW_DAO_CORRELATION_BREAKDOWN,
    KW_DAO_LIQUIDITY_PREMIUM,
    KW_DAO_STABLECOIN_PEG,
    KW_DAO_MULTI_TIMEFRAME,
    KW_DAO_VOLUME_PRICE,
    KW_DAO_COUNT,
} kw_dao_id;

typedef struct kw_dao_info {
    const char *id;          /* "crypto-momentum", … */
    double base_weight;
    uint32_t seed_correct;   /* seed record */
    uint32_t seed_total;
    const char *rule;        /* the rule and its confidence formula, for people */
} kw_dao_info;

#define KW_DAO_REASON_MAX 256
#define KW_CONFIDENCE_MIN_PPM 100000u    /* SPEC §6: confidence ∈ [0.1, 1.0] */
#define KW_CONFIDENCE_MAX_PPM 1000000u

typedef struct kw_dao_vote {
    kw_dao_id dao;
    bool abstain;                 /* no vote: prediction and confidence unset */
    kw_outcome prediction;
    uint32_t confidence_ppm;      /* 300000–900000 from the rules */
    char reasoning[KW_DAO_REASON_MAX];
} kw_dao_vote;

/* NULL for an out-of-range id. */
const kw_dao_info *kw_dao_info_of(kw_dao_id id);
/* Finds a DAO by its text id; KW_ENOTFOUND otherwise. */
int kw_dao_parse(const char *id, kw_dao_id *out) KW_WUR;
/* "GOOD" or "BAD". */
const char *kw_outcome_name(kw_outcome o);

/* confidence = 0.3 + 0.6 · min(1, |margin|), in ppm. */
uint32_t kw_dao_confidence_ppm(double margin);

/* Runs one DAO. Always fills *out (abstain with the reason when data is missing). */
void kw_dao_evaluate(kw_dao_id id, const kw_market_snapshot *s, kw_dao_vote *out);
/* Runs all 15, out[i].dao == i. */
void kw_dao_evaluate_all(const kw_market_snapshot *s, kw_dao_vote out[KW_DAO_COUNT]);

#endif
