/*
 * farming — the custodial farmer (SPEC §5): every plant position is planted
 * on chain with its owner's custodial key, worked with the miner, and
 * harvested once its block has rolled over. Each step is a chain call
 * followed by one database transaction that moves the position to its next
 * status, posts the ledger entry that mirrors the chain (stake out at plant,
 * stake + reward in at harvest) and appends position.updated.
 *
 *   pending → planted → worked → harvested   (settlement then makes it settled)
 *          ↘ failed (error kept; settlement makes the stake whole)
 *
 * Crash safety: before a state-changing chain call the intent is committed
 * as a chain_transactions row (status submitted) with the wallet's balance;
 * after a crash the tick first resolves every submitted row by reading the
 * chain (the pail, or the balance change for a harvest), so no position is
 * planted, worked or harvested twice and no reward goes unrecorded.
 *
 * Deposits (the devnet faucet) and withdrawals are chain_transactions rows
 * too, executed here, so one thread moves every custodial wallet's funds.
 * The treasury wallet holds the weather reserve on chain and tops up a
 * custodial wallet whose on-chain balance is short of a stake (settlement
 * moves value between users and the reserve only in the ledger).
 *
 * Thread-safety: a kw_farming belongs to the engine thread.
 */
#ifndef KW_ENGINE_FARMING_H
#define KW_ENGINE_FARMING_H

#include <stdint.h>

#include "chain/chain.h"
#include "core/err.h"
#include "crypto/miner.h"
#include "crypto/wallet.h"
#include "engine/retry.h"
#include "obs/clock.h"
#include "store/store.h"

typedef struct kw_farming_stats {
    uint64_t planted, worked, harvested, failed;
    uint64_t deposits, withdrawals, topups;
    uint64_t hashes;
    double hash_seconds;
} kw_farming_stats;

typedef struct kw_farming {
    kw_store *store;
    const kw_chain *chain;
    kw_miner *miner;
    kw_wallet_kek *kek;
    const kw_clock *clock;
    kw_retry *retry;          /* chain calls: backoff, jitter, breaker */
    double work_seconds;      /* mining budget per block */
    uint64_t work_hashes;     /* when non-zero: hashes per farmer instead of time (deterministic tests) */
    int64_t treasury_user;    /* the system user whose wallet holds the reserve */
    uint64_t rng;             /* first nonces */
    kw_farming_stats stats;
} kw_farming;

/* One pass over every position and transfer that can make progress under
 * the chain status s. Failures of single positions are recorded on them;
 * the return value is non-zero only for a failure of the database. */
int kw_farming_tick(kw_farming *f, const kw_chain_status *s, kw_err *err) KW_WUR;

/* A deposit or withdrawal to queue. */
typedef struct kw_transfer_req {
    int64_t user_id;              /* whose wallet is credited (deposit) or debited (withdrawal) */
    int64_t caller_id;            /* who asked: scopes the Idempotency-Key */
    int64_t amount;               /* stroops */
    const char *to;               /* withdrawal: the external G… address */
    const char *idempotency_key;  /* may be NULL */
    int64_t now_ms;
} kw_transfer_req;

typedef struct kw_transfer_res {
    int64_t tx_id;                /* the chain_transactions row */
    bool replayed;                /* the key's earlier request; nothing new was queued */
} kw_transfer_res;

/* Queues a transfer executed by the next tick: a devnet faucet deposit to
 * the user's wallet (kind "deposit") or a withdrawal to an external G…
 * address (kind "withdrawal", whose ledger debit happens here, at once, in
 * the same transaction, so the balance cannot be spent twice). A deposit to
 * the treasury user is booked to the weather reserve (an operator funding it).
 * With an Idempotency-Key the request is queued at most once: the key is
 * recorded in the same transaction, and a repeat returns the first tx_id with
 * replayed set (KW_ECONFLICT when the key was used for another request).
 * Withdrawals: KW_EFUNDS when the available balance is short. */
int kw_farming_request_deposit(kw_store *st, const kw_transfer_req *q, kw_transfer_res *res, kw_err *err) KW_WUR;
int kw_farming_request_withdrawal(kw_store *st, const kw_transfer_req *q, kw_transfer_res *res,
                                  kw_err *err) KW_WUR;

#endif
