/*
 * resolver — decides a cycle's weather (SPEC §6, §7).
 *
 * At working: takes the market snapshot, runs the 15 DAOs, and commits each
 * vote as sha256(cycle ‖ dao ‖ prediction ‖ confidence ‖ salt); only the
 * commitments are published (dao.committed), the votes and salts stay in
 * the database.
 * At revealing: reveals every vote and checks it against its commitment (a
 * mismatch is discarded and logged), weighs the valid votes by each DAO's
 * record, draws the location from the entropy of the block where revealing
 * starts, observes the weather there, and blends both into the final
 * weather (dao.revealed, weather.resolved). Wagers are never an input.
 * At settlement: kw_resolver_record counts the cycle in each DAO's record,
 * inside the settlement transaction.
 *
 * Each step is one transaction guarded by the cycle's state, so a repeat
 * after a crash does nothing twice.
 *
 * Thread-safety: belongs to the engine thread.
 */
#ifndef KW_ENGINE_RESOLVER_H
#define KW_ENGINE_RESOLVER_H

#include <stdint.h>

#include "chain/chain.h"
#include "core/cycle.h"
#include "core/err.h"
#include "feeds/market.h"
#include "feeds/weather.h"
#include "store/store.h"

typedef struct kw_resolver {
    kw_store *store;
    const kw_chain *chain;
    kw_market_feed *market;
    kw_weather_provider *weather;
    kw_cycle_config cycle;
    uint32_t block_seconds;
    int64_t (*now_ms)(void *ctx);
    void *clock_ctx;
    const char *market_source;   /* "sim", "csv", "reflector" for market_snapshots */
} kw_resolver;

/* Inserts the 15 DAOs with their seed records when missing. */
int kw_resolver_seed_daos(kw_resolver *r, uint64_t first_cycle, kw_err *err) KW_WUR;

/* planting → working: snapshot, votes, commitments. `block` is the current
 * KALE block and `block_time` its unix time. */
int kw_resolver_commit(kw_resolver *r, uint64_t cycle_id, uint32_t block, int64_t block_time, kw_err *err) KW_WUR;

/* working → revealing: reveal, consensus, location, weather, final outcome. */
int kw_resolver_reveal(kw_resolver *r, uint64_t cycle_id, kw_err *err) KW_WUR;

/* Counts the settled cycle in every DAO's record, inside the caller's
 * transaction (settlement). outcome is "GOOD" or "BAD". */
int kw_resolver_record(kw_db *db, uint64_t cycle_id, const char *outcome, int64_t now_ms, kw_err *err) KW_WUR;

#endif
