/*
 * kalehash — the KALE proof of work (SPEC §2, §5): the 76-byte preimage,
 * its Keccak-256, the zero-nibble count, and the nonce-search kernels.
 *
 *   preimage = index u32 BE ‖ nonce u64 BE ‖ entropy[32] ‖ farmer raw key[32]
 *   hash     = keccak256(preimage)     (0x01 padding, not SHA3; see keccak.h)
 *   zeros    = leading zero hex nibbles of hash
 *
 * The preimage fits one 136-byte Keccak block, so a hash is exactly one
 * permutation, and between two nonces only the first two state lanes change
 * (lane 0 holds the index and the nonce's high word, lane 1 its low word and
 * 4 entropy bytes). A kw_kalehash_job absorbs everything else once; the
 * search kernels then build lanes 0 and 1 per nonce, start the first round
 * from precomputed column parities, and finish the last round for output
 * lane 0 only, because a search compares only the first 8 digest bytes.
 *
 * Paths: scalar (everywhere), AVX2 (4 nonces per permutation) and AVX-512
 * (8). The SIMD paths are compiled for their instruction sets whatever the
 * build flags, and offered only when the running CPU has them.
 *
 * Pure; thread-safe. A job is read-only during a search, so many threads may
 * search one job; each kw_kalehash_best belongs to one thread.
 */
#ifndef KW_CRYPTO_KALEHASH_H
#define KW_CRYPTO_KALEHASH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

#define KW_KALEHASH_PREIMAGE_LEN 76

void kw_kalehash_preimage(uint32_t index, uint64_t nonce, const uint8_t entropy[32],
                          const uint8_t farmer[32], uint8_t out[KW_KALEHASH_PREIMAGE_LEN]);

/* keccak256 of the preimage: the hash `work` must submit. */
void kw_kalehash(uint32_t index, uint64_t nonce, const uint8_t entropy[32], const uint8_t farmer[32],
                 uint8_t out[32]);

/* Leading zero hex nibbles of a 32-byte hash (0..64). */
unsigned kw_kalehash_zeros(const uint8_t hash[32]);

/* One farmer's preimage with the nonce left out, absorbed into a state. */
typedef struct kw_kalehash_job {
    uint32_t index;
    uint8_t entropy[32];
    uint8_t farmer[32];
    uint64_t lane[25];     /* the state before the permutation, nonce bits zero */
    uint64_t par[5];       /* column parities of lanes 2..24 */
} kw_kalehash_job;

void kw_kalehash_job_init(kw_kalehash_job *j, uint32_t index, const uint8_t entropy[32],
                          const uint8_t farmer[32]);

/* The best nonce seen: the smallest digest compared by its first 8 bytes
 * (big-endian), the smaller nonce on a tie. A smaller digest never has fewer
 * leading zeros, so this maximises zeros and is independent of the order in
 * which nonces were tried. Start from {0} (found = false). */
typedef struct kw_kalehash_best {
    bool found;
    uint64_t key;          /* first 8 digest bytes as a big-endian integer */
    uint64_t nonce;
} kw_kalehash_best;

/* Offers one candidate; returns true when it became the best. */
static inline bool kw_kalehash_best_offer(kw_kalehash_best *b, uint64_t key, uint64_t nonce)
{
    if (b->found && (key > b->key || (key == b->key && nonce >= b->nonce)))
        return false;
    *b = (kw_kalehash_best){.found = true, .key = key, .nonce = nonce};
    return true;
}

typedef enum kw_kalehash_path_id {
    KW_KALEHASH_SCALAR = 0,
    KW_KALEHASH_AVX2,
    KW_KALEHASH_AVX512,
    KW_KALEHASH_NPATHS,
} kw_kalehash_path_id;

typedef struct kw_kalehash_path {
    const char *name;      /* "scalar", "avx2", "avx512" */
    unsigned lanes;        /* nonces per permutation */
    /* Full digests of j's preimage for nonces[0..lanes) into out[0..lanes). */
    void (*hash)(const kw_kalehash_job *j, const uint64_t *nonces, uint8_t (*out)[32]);
    /* Tries nonces first .. first + count - 1 (the range must not wrap) and
     * offers each to *best. */
    void (*search)(const kw_kalehash_job *j, uint64_t first, uint64_t count, kw_kalehash_best *best);
} kw_kalehash_path;

/* The path, or NULL when this build or this CPU does not have it. */
const kw_kalehash_path *kw_kalehash_path_get(kw_kalehash_path_id id);

/* Picks a path by name ("scalar", "avx2", "avx512"), or the fastest the CPU
 * has for "auto", "" or NULL. KW_EINVAL for an unknown name, KW_ESTATE when
 * the CPU lacks the named one. */
int kw_kalehash_path_choose(const char *name, const kw_kalehash_path **out, kw_err *err) KW_WUR;

#endif
