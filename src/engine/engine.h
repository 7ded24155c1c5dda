/*
 * engine — owns and runs everything behind the API: the store, the chain,
 * the miner, the feeds and the custody key, and the engine thread that ticks
 * the monitor (cycles and phases) and the farmer every MONITOR_INTERVAL.
 *
 * The API reads two things from it without touching the database: the
 * current KALE block (for accepting actions) and the /cycles/current
 * document, which the engine rebuilds after every tick that changed
 * something and swaps in without locks (pubdoc.h).
 *
 * Thread-safety: kw_engine_block, kw_engine_wake and the current document
 * are thread-safe; open/start/stop/close are called by one thread.
 */
#ifndef KW_ENGINE_ENGINE_H
#define KW_ENGINE_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <pthread.h>

#include "chain/chain.h"
#include "core/config.h"
#include "core/err.h"
#include "crypto/miner.h"
#include "crypto/wallet.h"
#include "engine/farming.h"
#include "engine/monitor.h"
#include "engine/pubdoc.h"
#include "engine/resolver.h"
#include "engine/retry.h"
#include "feeds/market.h"
#include "feeds/weather.h"
#include "obs/clock.h"
#include "store/store.h"

typedef struct kw_engine {
    const kw_config *cfg;
    const kw_clock *clock;
    kw_store *store;
    kw_chain chain;
    kw_miner *miner;
    kw_market_feed market;
    kw_weather_provider weather;
    kw_wallet_kek *kek;
    kw_breaker breaker;
    kw_retry retry;
    kw_resolver resolver;
    kw_monitor monitor;
    kw_farming farming;
    kw_cycle_config cycle;
    int64_t interval_ms;
    int64_t treasury_user;

    kw_pubdoc current;               /* the /api/v1/cycles/current data document */
    atomic_uint block;               /* current KALE block, 0 before the first tick */
    atomic_bool have_block;
    atomic_ullong ticks, tick_errors;
    uint32_t processed_block;        /* block of the last tick that saw a new one (metrics) */

    /* Runs on the engine thread after every tick, so that what the tick
     * committed to the outbox is published at once (kw_engine_on_tick). */
    void (*after_tick)(void *ctx);
    void *after_tick_ctx;

    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool running, started;
} kw_engine;

/* Opens every dependency named by the settings, applies migrations, checks
 * the master key against an existing wallet, creates the treasury and (on
 * devnet) seeds the weather reserve. On error nothing is left open. */
int kw_engine_open(const kw_config *cfg, const kw_clock *clock, kw_engine **out, kw_err *err) KW_WUR;

/* One tick: chain status, monitor, farming, document. For tests and the thread. */
int kw_engine_tick(kw_engine *e, kw_err *err) KW_WUR;

/* Starts and stops the engine thread (stop waits for the tick in progress). */
int kw_engine_start(kw_engine *e, kw_err *err) KW_WUR;
void kw_engine_stop(kw_engine *e);
void kw_engine_close(kw_engine *e);

/* The current KALE block; false before the first successful tick. */
bool kw_engine_block(kw_engine *e, uint32_t *block);

/* Makes the engine thread tick now instead of at its next interval (a
 * deposit or withdrawal was queued). Thread-safe. */
void kw_engine_wake(kw_engine *e);

/* Sets (or with fn NULL removes) the after-tick callback; once this
 * returns, a callback removed is not running and will not run again. */
void kw_engine_on_tick(kw_engine *e, void (*fn)(void *ctx), void *ctx);

/* Rebuilds the /cycles/current document from the database. */
int kw_engine_publish(kw_engine *e, kw_err *err) KW_WUR;

#endif
