/*
 * actions — the one door through which users act (SPEC §4): agriculture
 * (plant, store), wager and stay. Used by the HTTP API and by tests alike.
 *
 * kw_action_submit validates the request against the rules, then in ONE
 * transaction: checks and locks the cycle's phase, moves the stake from the
 * user's available balance into escrow (double-entry), records the action
 * and its farm position or wager, and appends action.accepted and
 * balance.changed to the outbox. Either all of it happens or none of it.
 *
 * The phase is the cycle's stored state (set by the monitor), so an action
 * and a phase change can never interleave: the transaction that moves the
 * cycle to its next phase and the one that accepts an action are serialised
 * on the cycle's row.
 *
 * Idempotency: with a key, the first result is stored with a hash of the
 * request; a retry with the same key and request returns that result
 * (replayed = true) and changes nothing; the same key with a different
 * request is refused (IDEMPOTENCY_CONFLICT).
 *
 * Thread-safety: thread-safe (each call borrows its own connection).
 */
#ifndef KW_ENGINE_ACTIONS_H
#define KW_ENGINE_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cycle.h"
#include "core/err.h"
#include "core/settle.h"
#include "store/store.h"

/* Amount limits of SPEC §4, in stroops. */
#define KW_PLANT_MIN INT64_C(1000000)           /* 0.1 KALE */
#define KW_PLANT_MAX INT64_C(10000000000)       /* 1,000 KALE */
#define KW_STORE_MIN KW_PLANT_MIN
#define KW_STORE_MAX KW_PLANT_MAX
#define KW_WAGER_MIN INT64_C(1000000)           /* 0.1 KALE */
#define KW_WAGER_MAX INT64_C(100000000000)      /* 10,000 KALE */
/* Largest single devnet faucet request (POST /api/v1/devnet/faucet, `kalewx faucet`). */
#define KW_FAUCET_MAX INT64_C(100000000000)     /* 10,000 KALE */

typedef struct kw_action_req {
    int64_t user_id;
    kw_action_type type;
    kw_outcome direction;         /* wagers only */
    int64_t amount;               /* stroops; 0 for stay */
    const char *idempotency_key;  /* may be NULL */
} kw_action_req;

typedef struct kw_action_result {
    int64_t action_id;
    int64_t position_id;          /* plant and store, else 0 */
    int64_t wager_id;             /* wager, else 0 */
    uint64_t cycle_id;
    uint32_t block;
    bool replayed;                /* returned from an earlier identical request */
    const char *code;             /* on failure: the stable API error code */
} kw_action_result;

/* The limits of a type as [*min, *max] stroops (0, 0 for stay). */
void kw_action_limits(kw_action_type type, int64_t *min, int64_t *max);

/* Submits one action while the chain's current KALE block is `block`.
 * Returns 0, or:
 *   KW_EINVAL    INVALID_ACTION / AMOUNT_OUT_OF_RANGE
 *   KW_ESTATE    PHASE_CLOSED (the cycle's phase does not accept this type)
 *   KW_ECONFLICT DUPLICATE_ACTION (already acted in this block),
 *                WAGER_EXISTS (one wager per cycle), IDEMPOTENCY_CONFLICT
 *   KW_EFUNDS    INSUFFICIENT_FUNDS
 *   KW_ENOTFOUND USER_NOT_FOUND
 * with res->code set and err->msg saying what to do. */
int kw_action_submit(kw_store *st, const kw_cycle_config *cc, uint32_t block,
                     const kw_action_req *req, int64_t now_ms, kw_action_result *res,
                     kw_err *err) KW_WUR;

#endif
