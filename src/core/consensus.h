/*
 * consensus — from the DAOs' votes to the weather of a cycle (SPEC §6, §7):
 * DAO track records and weights, commit–reveal of votes, the weighted score
 * with its entropy tie-break, and the final weather that blends the DAO
 * score with the weather observation.
 *
 * How the engine uses it, per cycle k:
 *   working   kw_dao_evaluate_all → for each vote that is not an abstention,
 *             a fresh random 32-byte salt and kw_vote_commitment; publish the
 *             commitments.
 *   revealing kw_reveal_filter (drops and reports votes whose commitment does
 *             not verify), kw_consensus_decide with the records as they stood
 *             after cycle k−1 and the entropy of the block where revealing
 *             starts, then kw_final_weather with the suitability score of the
 *             observation (or without one).
 *   settling  kw_dao_record_update for every DAO, voted or not, with
 *             correct = (its revealed vote == the final weather); an
 *             abstention or a vote discarded at reveal counts as not voted.
 *
 * Numbers. Weights, accuracies and scores are doubles (statistics, not
 * money). What decides and what is published is rounded to 3 decimals and
 * held as integers in thousandths ("milli"): the tie test and the final
 * weather are computed from those integers, so anyone can re-derive the
 * outcome from the published numbers alone. The settlement input c is an
 * integer in ppm.
 *
 * Commitment encoding (all integers big-endian, nothing between fields):
 *     cycle_id     8 bytes, u64
 *     dao_id       1 byte length n, then the n ASCII bytes of the text id
 *                  ("crypto-momentum"; ids never depend on enum order)
 *     prediction   1 byte: 0x01 GOOD, 0x00 BAD
 *     confidence   4 bytes, u32, parts per million (100000..1000000)
 *     salt         32 bytes
 *   commitment = sha256(concatenation). The reasoning text is not committed.
 *   An abstaining DAO publishes no commitment.
 *
 * Tie-break: |S| ≤ 0.050 (after rounding) is a tie; the outcome is the low
 * bit of the last byte of sha256("kalewx/tie" ‖ entropy[32] ‖ cycle_id u64
 * BE): 1 → GOOD, 0 → BAD.
 *
 * Pure (uses the sha256 of crypto/sha.h, the documented exception); thread-safe.
 */
#ifndef KW_CORE_CONSENSUS_H
#define KW_CORE_CONSENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dao.h"
#include "core/err.h"

#define KW_ACCURACY_DECAY 0.98      /* λ per cycle */
#define KW_RECENCY_CYCLES 24.0      /* recency = exp(−missed / 24) */
#define KW_VOLUME_FULL 1000.0       /* volume = clamp(sqrt(votes / 1000), 0.1, 1) */
#define KW_TIE_BAND_MILLI 50        /* |S| ≤ 0.050 is a tie */
#define KW_SALT_LEN 32

/*
 * Track record of one DAO. Decayed counts: at every settled cycle both
 * counts are multiplied by λ = 0.98 (λ^n when n cycles are settled at once),
 * then a vote adds 1 to total and, if correct, 1 to correct. They start at
 * the seed record, so accuracy starts at its hit rate and new results weigh
 * in gradually. `votes` is the plain count, seed included, for volume.
 */
typedef struct kw_dao_record {
    double correct;
    double total;
    uint64_t votes;
    int64_t last_cycle;        /* last settled cycle */
    int64_t last_vote_cycle;   /* cycle of the last counted vote */
} kw_dao_record;

/* The seed record of SPEC §6 for a service whose first cycle is first_cycle:
 * the seed counts as a vote in the cycle before it. */
void kw_dao_record_seed(kw_dao_id id, uint64_t first_cycle, kw_dao_record *out);

/* Counts settled cycle cycle_id. Returns KW_ESTATE without change when that
 * cycle (or a later one) is already counted, so a repeated settlement is
 * harmless; KW_EINVAL for a cycle id beyond INT64_MAX. */
int kw_dao_record_update(kw_dao_record *r, uint64_t cycle_id, bool voted, bool correct) KW_WUR;

typedef struct kw_dao_weight {
    double accuracy;   /* correct / total */
    double volume;
    double recency;
    double weight;     /* base_weight · accuracy² · volume · recency */
} kw_dao_weight;

/* The weight of a DAO for the decision of cycle_id. missed = cycles between
 * its last counted vote and cycle_id (0 when it voted in the cycle before). */
void kw_dao_weight_of(kw_dao_id id, const kw_dao_record *r, uint64_t cycle_id, kw_dao_weight *out);

/* Commitment of a vote (encoding above). KW_EINVAL for an abstention or a
 * confidence outside [0.1, 1]. */
int kw_vote_commitment(uint64_t cycle_id, const kw_dao_vote *v, const uint8_t salt[KW_SALT_LEN],
                       uint8_t out[32]) KW_WUR;
/* 0 when commitment matches the vote and salt; KW_ECRYPTO when it does not;
 * KW_EINVAL when the vote cannot be committed at all. */
int kw_vote_verify(uint64_t cycle_id, const kw_dao_vote *v, const uint8_t salt[KW_SALT_LEN],
                   const uint8_t commitment[32]) KW_WUR;

typedef struct kw_reveal {
    kw_dao_vote vote;
    uint8_t salt[KW_SALT_LEN];
    uint8_t commitment[32];     /* as published at working */
} kw_reveal;

/* Copies the reveals that verify into accepted (capacity n), in order, and
 * sets rejected[i] for each one that does not (the caller logs and discards
 * those). Returns the number accepted. */
size_t kw_reveal_filter(uint64_t cycle_id, const kw_reveal *reveals, size_t n, kw_dao_vote *accepted,
                        bool *rejected);

typedef struct kw_consensus {
    uint64_t cycle_id;
    int voters, good_votes, bad_votes;
    kw_dao_weight weights[KW_DAO_COUNT];   /* of every DAO, voter or not */
    bool voted[KW_DAO_COUNT];
    double good_mass, bad_mass;            /* Σ c·w per side */
    double score;                          /* S = Σ v·c·w / Σ c·w; 0 without votes */
    int32_t score_milli;                   /* round(1000·S): published, decides the tie */
    bool tie;
    kw_outcome outcome;                    /* sign of S, or the tie-break */
    /* Reported, rounded to 3 decimals (without votes: 0, 0, 0 and 1 bit). */
    double consensus_score;                /* |good − bad| / total of the masses */
    double agreement;                      /* max(good, bad) / total */
    double confidence;                     /* Σ c·w / Σ w */
    double entropy_bits;                   /* Shannon entropy of the split */
} kw_consensus;

/* Decides cycle_id from the accepted votes (abstentions among them are
 * skipped). records are indexed by kw_dao_id. KW_EINVAL (message in err) for
 * two votes of one DAO, an unknown DAO, a confidence outside [0.1, 1] or a
 * record with a non-positive total. */
int kw_consensus_decide(uint64_t cycle_id, const uint8_t entropy[32],
                        const kw_dao_record records[KW_DAO_COUNT], const kw_dao_vote *votes, size_t n,
                        kw_consensus *out, kw_err *err) KW_WUR;

/* The tie-break bit: 1 → GOOD. */
int kw_consensus_tie_bit(const uint8_t entropy[32], uint64_t cycle_id);

typedef struct kw_final_weather {
    int32_t dao_milli;         /* dao = 50·(S + 1) = 50000 + 50·score_milli, 0..100000 */
    bool observed;
    int32_t weather_milli;     /* suitability · 1000, rounded */
    int32_t final_milli;       /* observed: round((6·dao + 4·weather) / 10), else dao */
    kw_outcome outcome;        /* > 50000 GOOD, < 50000 BAD, = 50000 the consensus outcome */
    uint32_t c_ppm;            /* c = min(1, |final − 50| / 50) = min(10⁶, 20·|final_milli − 50000|) */
} kw_final_weather;

/* Blends the consensus with an observation's suitability (0–100) when
 * observed is true. KW_EINVAL when suitability is not within [0, 100]. */
int kw_final_weather_of(const kw_consensus *c, bool observed, double suitability,
                        kw_final_weather *out) KW_WUR;

/* round(x · 1000) / 1000, half away from zero: the reported 3 decimals. */
double kw_round3(double x);

#endif
