/*
 * monitor — turns KALE blocks into the game's cycles and phases (SPEC §3).
 *
 * Each tick reads the chain's current block, records every cycle up to it in
 * weather_cycles and walks each open cycle, in order, through the phase
 * handlers it has not run yet: planting → working (resolver commit) →
 * revealing (resolver reveal) → settling → settled (settlement, once every
 * harvest is in). A cycle whose blocks passed while the service was down is
 * caught up the same way, so every handler runs exactly once per cycle and
 * in order; each handler is a transaction guarded by the cycle's state, so a
 * crash between two of them is harmless.
 *
 * Thread-safety: belongs to the engine thread.
 */
#ifndef KW_ENGINE_MONITOR_H
#define KW_ENGINE_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/chain.h"
#include "core/cycle.h"
#include "core/err.h"
#include "engine/resolver.h"
#include "store/store.h"

typedef struct kw_monitor {
    kw_store *store;
    kw_resolver *resolver;
    kw_cycle_config cycle;
    uint32_t wager_fee_bps;
    int64_t (*now_ms)(void *ctx);
    void *clock_ctx;
    uint32_t last_block;         /* last block announced (block.changed) */
    bool have_block;
    uint64_t cycles_settled;     /* by this process, for metrics */
    uint64_t settle_waits;       /* ticks a settlement waited for harvests */
} kw_monitor;

/* Advances every open cycle to where the chain status s says it should be.
 * Returns 0, or the first database/chain failure (the next tick retries). */
int kw_monitor_tick(kw_monitor *m, const kw_chain_status *s, kw_err *err) KW_WUR;

#endif
