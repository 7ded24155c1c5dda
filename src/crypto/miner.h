/*
 * miner — the proof-of-work nonce search (SPEC §5) on a pool of threads.
 *
 * One search covers one or many farmers (one kw_miner_job each) and stops at
 * the first of: its hash budget spent, its time budget spent, or *cancel set.
 * It returns, per farmer, the best nonce found (smallest digest, so most
 * leading zeros; see kw_kalehash_best), its hash and zero count.
 *
 * Fairness: each farmer's nonce range is cut into chunks and chunk k of the
 * search goes to farmer k mod n, so the CPU is shared round-robin and every
 * farmer gets the same number of hashes (± one chunk per thread under a time
 * budget; exactly floor or ceil of budget/n under a hash budget).
 *
 * Determinism: under a hash budget every farmer tries exactly the nonces
 * first_nonce .. first_nonce + quota - 1, whatever the thread count, path or
 * scheduling, and the best among a fixed set is unique, so results are
 * reproducible. A time budget or cancellation makes them depend on speed.
 *
 * Ownership: kw_miner_new allocates the pool and starts its threads;
 * kw_miner_free stops and joins them. The caller owns jobs and results.
 *
 * Thread-safety: kw_miner_search may be called from any thread; concurrent
 * searches on one miner run one after the other. *cancel may be set from
 * any thread (or a signal handler) while a search runs. kw_miner_free must
 * not race a search.
 */
#ifndef KW_CRYPTO_MINER_H
#define KW_CRYPTO_MINER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/kalehash.h"

typedef struct kw_miner kw_miner;

typedef struct kw_miner_job {
    uint32_t index;            /* the KALE block */
    uint8_t entropy[32];       /* Block(index).entropy */
    uint8_t farmer[32];        /* raw public key */
    uint64_t first_nonce;      /* the search starts here; pick it at random to avoid repeats */
} kw_miner_job;

typedef struct kw_miner_budget {
    uint64_t hashes;           /* total over all farmers; 0 = unlimited */
    double seconds;            /* wall time on CLOCK_MONOTONIC; 0 = unlimited */
} kw_miner_budget;

typedef struct kw_miner_result {
    bool found;                /* false only when no hash was tried */
    uint64_t nonce;
    uint8_t hash[32];
    unsigned zeros;
    uint64_t hashes;           /* nonces tried for this farmer */
} kw_miner_result;

typedef struct kw_miner_stats {
    uint64_t hashes;           /* over all farmers */
    double seconds;            /* wall time of the search */
    bool cancelled;            /* stopped by *cancel */
} kw_miner_stats;

/* Starts `threads` workers (0 = one per online CPU) that hash with `path`
 * (NULL = the fastest this CPU has). */
int kw_miner_new(unsigned threads, const kw_kalehash_path *path, kw_miner **out, kw_err *err) KW_WUR;
void kw_miner_free(kw_miner *m);

unsigned kw_miner_threads(const kw_miner *m);
const kw_kalehash_path *kw_miner_path(const kw_miner *m);

/* Searches for jobs[0..n) and fills results[0..n). At least one of the
 * budget's limits or cancel must be set (KW_EINVAL otherwise); n ≥ 1. A
 * farmer's range never wraps past UINT64_MAX. Blocks until the search stops;
 * returns 0 also when cancelled (stats->cancelled says so). stats may be NULL. */
int kw_miner_search(kw_miner *m, const kw_miner_job *jobs, size_t n, const kw_miner_budget *budget,
                    const atomic_bool *cancel, kw_miner_result *results, kw_miner_stats *stats,
                    kw_err *err) KW_WUR;

#endif
