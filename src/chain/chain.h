/*
 * chain — the one interface through which the engine talks to a KALE farm
 * (SPEC §2). Two backends implement it: the embedded devnet (chain/devnet.h)
 * and soroban (real testnet/mainnet over Stellar RPC). The engine never knows
 * which one it holds.
 *
 * A kw_chain is a table of operations plus the backend's opaque state. Call
 * the operations through the kw_chain_* wrappers below; a backend's open
 * function fills the whole struct, and kw_chain_close releases it.
 *
 * Keys and signatures
 *   Farmers and addresses are raw 32-byte Ed25519 public keys (the payload of
 *   a G… StrKey). Calls that need a farmer's authorisation (plant, transfer)
 *   take a kw_chain_signer: the public key plus a callback that signs a
 *   message the backend chooses (soroban: the 32-byte hash of the auth entry
 *   preimage; devnet: a domain-separated digest of the call). The secret never
 *   crosses this interface; the callback may keep it sealed and open it only
 *   for the duration of one signature.
 *
 * Results
 *   0 on success, or a negative KW_E* code, with err (may be NULL) filled:
 *   - KW_ECHAIN: the farm contract rejected the call; err->code is the
 *     contract error (enum kw_kale_error, SPEC §2) and err->msg names it.
 *   - KW_ETRANSIENT: a fault that may go away (timeout, RPC busy, injected
 *     devnet fault); err->code is KW_ETRANSIENT. A transient failure of a
 *     state-changing call may or may not have taken effect; retrying is safe
 *     because the contract refuses repeats: a retried plant that already
 *     landed fails with PailExists, a retried work with ZeroCountTooLow, a
 *     retried harvest with PailMissing. After a transient failure, read the
 *     pail to learn what happened.
 *   - KW_ENOTFOUND: the entry read does not exist (block evicted or never
 *     created, pail never planted or already harvested).
 *   - KW_EFUNDS: the token balance does not cover a stake or transfer.
 *   - KW_EAUTH: the signer's callback failed or its signature did not verify.
 *   - KW_ESTATE: the operation does not exist on this network (faucet on
 *     testnet/mainnet).
 *   - KW_EINVAL: an argument is out of range (negative transfer, …).
 *   - KW_ERANGE: a value read from the chain does not fit the C type.
 *   - KW_EIO / KW_ENOMEM / KW_EINTERNAL: local failures.
 *
 * Money: amounts and balances are int64 stroops (1 KALE = 10^7). The
 *   contract's i128 aggregates (stake ranges, staked_total, normalized_total)
 *   are __int128 so that foreign farmers' values are represented exactly.
 *
 * Thread-safety: every operation except close may be called from any thread,
 *   concurrently; the backend serialises what it must. Operations block (RPC
 *   round trips, DEVNET_LATENCY_MS), so call them from the engine or a worker,
 *   never from an HTTP handler thread. close must be called exactly once,
 *   after every other call on the chain has returned.
 */
#ifndef KW_CHAIN_CHAIN_H
#define KW_CHAIN_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The farm contract's error codes (kalepail/KALE-sc errors.rs), fixed. */
enum kw_kale_error {
    KW_KALE_EHOMESTEAD_EXISTS = 1,
    KW_KALE_EHOMESTEAD_MISSING = 2,
    KW_KALE_EFARM_BLOCK_MISSING = 3,
    KW_KALE_EFARM_PAUSED = 4,
    KW_KALE_EFARM_NOT_PAUSED = 5,
    KW_KALE_EPLANT_AMOUNT_TOO_LOW = 6,
    KW_KALE_EZERO_COUNT_TOO_LOW = 7,
    KW_KALE_EPAIL_EXISTS = 8,
    KW_KALE_EPAIL_MISSING = 9,
    KW_KALE_EWORK_MISSING = 10,
    KW_KALE_EBLOCK_MISSING = 11,
    KW_KALE_EBLOCK_INVALID = 12,
    KW_KALE_EHASH_INVALID = 13,
    KW_KALE_EHARVEST_NOT_READY = 14,
    KW_KALE_EGAP_COUNT_TOO_LOW = 15,
};

/* The contract's name for a code ("PailExists"), or "Unknown". */
const char *kw_kale_error_name(int code);

/* Fills err with KW_ECHAIN / code and the contract's name; returns KW_ECHAIN. */
int kw_chain_reject(kw_err *err, int code);

/* Block(index) of the contract (SPEC §2). The gap/stake/zeros ranges are the
 * statistics of the previous block, frozen when this one was created; they
 * are the normalisation ranges of work done in this block. */
typedef struct kw_chain_block {
    uint32_t index;
    uint64_t timestamp;          /* ledger close time (unix s) that created it */
    uint32_t min_gap, max_gap;
    __int128 min_stake, max_stake;
    uint32_t min_zeros, max_zeros;
    uint8_t entropy[32];         /* hash of the previous block's last work */
    __int128 staked_total;       /* stakes planted and not (yet) worked */
    __int128 normalized_total;   /* Σ normalised scores of the work done */
} kw_chain_block;

/* Pail(farmer, index): one farmer's participation in one block. */
typedef struct kw_chain_pail {
    uint32_t sequence;           /* ledger of the plant; gap counts from it */
    __int128 stake;
    bool worked;                 /* gap and zeros are meaningful only if set */
    uint32_t gap;
    uint32_t zeros;
} kw_chain_pail;

typedef struct kw_chain_status {
    uint32_t ledger_seq;         /* latest closed ledger */
    int64_t ledger_close_time;   /* its close time, unix seconds */
    uint32_t farm_index;         /* FarmIndex: the block plant/work go to */
    bool paused;
    bool has_block;              /* false until the first plant of a fresh farm */
    kw_chain_block block;        /* Block(farm_index) when has_block */
} kw_chain_status;

typedef struct kw_chain_signer {
    uint8_t public_key[32];
    void *ctx;
    /* Writes the Ed25519 signature of msg[0..n) under public_key's secret.
     * Returns 0 or a negative KW_E*. Called on the calling thread, during the
     * operation that needs it, zero or more times. */
    int (*sign)(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[64]);
} kw_chain_signer;

typedef struct kw_chain_ops {
    int (*status)(void *st, kw_chain_status *out, kw_err *err);
    int (*block)(void *st, uint32_t index, kw_chain_block *out, kw_err *err);
    int (*plant)(void *st, const kw_chain_signer *farmer, int64_t amount, uint32_t *index,
                 uint32_t *ledger_seq, kw_err *err);
    int (*work)(void *st, const uint8_t farmer[32], const uint8_t hash[32], uint64_t nonce,
                uint32_t *gap, kw_err *err);
    int (*harvest)(void *st, const uint8_t farmer[32], uint32_t index, int64_t *reward,
                   kw_err *err);
    int (*pail)(void *st, const uint8_t farmer[32], uint32_t index, kw_chain_pail *out,
                kw_err *err);
    int (*balance)(void *st, const uint8_t address[32], int64_t *out, kw_err *err);
    int (*transfer)(void *st, const kw_chain_signer *from, const uint8_t to[32], int64_t amount,
                    kw_err *err);
    int (*faucet)(void *st, const uint8_t to[32], int64_t amount, kw_err *err);
    void (*close)(void *st);
} kw_chain_ops;

typedef struct kw_chain {
    const kw_chain_ops *ops;
    void *state;                 /* owned by the backend, freed by close */
    const char *name;            /* "devnet", "testnet", "mainnet" */
    bool devnet;                 /* faucet available */
    uint32_t block_seconds;      /* block interval: 300 on real networks */
    uint32_t ledger_ms;          /* nominal ledger close interval */
} kw_chain;

/* The latest ledger and the current farm block. */
static inline KW_WUR int kw_chain_status_get(const kw_chain *c, kw_chain_status *out, kw_err *err)
{
    return c->ops->status(c->state, out, err);
}

/* Block(index); KW_ENOTFOUND when it was never created or has been evicted. */
static inline KW_WUR int kw_chain_block_get(const kw_chain *c, uint32_t index, kw_chain_block *out,
                                            kw_err *err)
{
    return c->ops->block(c->state, index, out, err);
}

/* plant(farmer, amount): burns amount (≥ 0) stroops of the farmer's KALE and
 * opens the farmer's pail in the current block, rolling the farm over first
 * when the block interval has passed. On success *index is the block the
 * pail is in and *ledger_seq the ledger the plant was applied in (either
 * pointer may be NULL). Contract errors: PlantAmountTooLow, FarmPaused,
 * PailExists, HomesteadMissing, FarmBlockMissing. */
static inline KW_WUR int kw_chain_plant(const kw_chain *c, const kw_chain_signer *farmer,
                                        int64_t amount, uint32_t *index, uint32_t *ledger_seq,
                                        kw_err *err)
{
    return c->ops->plant(c->state, farmer, amount, index, ledger_seq, err);
}

/* work(farmer, hash, nonce) in the current block; needs no signature. hash
 * must be the kalehash of (FarmIndex, nonce, entropy, farmer). *gap (may be
 * NULL) receives ledgers since the plant. Contract errors: FarmBlockMissing,
 * BlockMissing, PailMissing, GapCountTooLow, HashInvalid, BlockInvalid,
 * ZeroCountTooLow (a re-work must have strictly more zeros). */
static inline KW_WUR int kw_chain_work(const kw_chain *c, const uint8_t farmer[32],
                                       const uint8_t hash[32], uint64_t nonce, uint32_t *gap,
                                       kw_err *err)
{
    return c->ops->work(c->state, farmer, hash, nonce, gap, err);
}

/* harvest(farmer, index): mints reward + stake to the farmer and removes the
 * pail; *reward (may be NULL) is the reward alone. Contract errors:
 * HomesteadMissing, BlockMissing, PailMissing, HarvestNotReady (index is
 * still the current block), WorkMissing, BlockInvalid. */
static inline KW_WUR int kw_chain_harvest(const kw_chain *c, const uint8_t farmer[32],
                                          uint32_t index, int64_t *reward, kw_err *err)
{
    return c->ops->harvest(c->state, farmer, index, reward, err);
}

/* Pail(farmer, index); KW_ENOTFOUND when there is none (never planted, or
 * harvested). */
static inline KW_WUR int kw_chain_pail_get(const kw_chain *c, const uint8_t farmer[32],
                                           uint32_t index, kw_chain_pail *out, kw_err *err)
{
    return c->ops->pail(c->state, farmer, index, out, err);
}

/* KALE balance of an account, in stroops (0 for an unknown account). */
static inline KW_WUR int kw_chain_balance(const kw_chain *c, const uint8_t address[32],
                                          int64_t *out, kw_err *err)
{
    return c->ops->balance(c->state, address, out, err);
}

/* Moves amount (> 0) stroops of KALE from the signer's account to `to`.
 * KW_EFUNDS when the balance is short. */
static inline KW_WUR int kw_chain_transfer(const kw_chain *c, const kw_chain_signer *from,
                                           const uint8_t to[32], int64_t amount, kw_err *err)
{
    return c->ops->transfer(c->state, from, to, amount, err);
}

/* Mints amount (> 0) stroops to `to`. Devnet only: KW_ESTATE elsewhere. */
static inline KW_WUR int kw_chain_faucet(const kw_chain *c, const uint8_t to[32], int64_t amount,
                                         kw_err *err)
{
    return c->ops->faucet(c->state, to, amount, err);
}

/* Releases the backend; c is zeroed. Safe on a zeroed kw_chain. */
static inline void kw_chain_close(kw_chain *c)
{
    if (c->ops)
        c->ops->close(c->state);
    *c = (kw_chain){0};
}

#endif
