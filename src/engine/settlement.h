/*
 * settlement — closes a cycle (SPEC §8): in ONE transaction keyed by the
 * cycle, it applies core/settle to every position and wager, writes their
 * results, posts the money movements to the ledger, updates the DAOs'
 * records, refreshes the performance summary, marks the cycle settled and
 * appends cycle.settled, position.updated and balance.changed to the outbox.
 *
 * It runs only once the weather is resolved (state settling) and every plant
 * position has finished farming (harvested or failed); before that it returns
 * KW_ESTATE and changes nothing. On a settled cycle it is a no-op returning 0
 * with *settled_now = false, so a repeat (after a crash, on another replica)
 * can never pay twice.
 *
 * Ledger order inside the transaction keeps the reserve non-negative at every
 * step: make-whole payments first (bounded by the reserve), then every entry
 * that pays into the reserve, then those that draw on it. Results are posted
 * in entries of up to 31 positions or wagers with one net reserve line each
 * (ref "CYCLE:FIRST_ID"), so the reserve's row changes a few thousand times
 * for 100,000 positions instead of once per position.
 *
 * Thread-safety: thread-safe (borrows its own connection).
 */
#ifndef KW_ENGINE_SETTLEMENT_H
#define KW_ENGINE_SETTLEMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/settle.h"
#include "store/store.h"

typedef struct kw_settlement_report {
    bool settled_now;
    char outcome[8];              /* "GOOD" or "BAD" once settled now */
    int64_t positions, wagers;
    int64_t wager_payouts;        /* paid to winning (or refunded) wagers */
    kw_settle_totals totals;
} kw_settlement_report;

int kw_settlement_run(kw_store *st, uint64_t cycle_id, uint32_t wager_fee_bps, int64_t now_ms,
                      kw_settlement_report *rep, kw_err *err) KW_WUR;

#endif
