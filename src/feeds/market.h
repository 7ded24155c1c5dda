/*
 * market — where the DAOs' market snapshots come from (SPEC §6).
 *
 * A feed is a struct of function pointers plus an opaque state; the engine
 * knows only this interface. Two feeds live here:
 *
 *   sim  (default) an embedded simulator seeded by MARKET_SEED: regime-
 *        switching, mean-reverting random walks (calm, stormy, rally,
 *        sell-off) with correlated crypto returns, rare 3–10% pumps and
 *        dumps of single altcoins, stablecoins near 1 with rare depegs under
 *        stress, EURC tracking EUR, and low-volatility FX sharing a dollar
 *        factor. Prices are a pure function of (seed, block):
 *        the walk starts at block 0 and every block draws its shocks from its
 *        own counter-seeded generator, so the order of queries never matters.
 *   csv  replays a price history file (MARKET_CSV), see kw_price_history.
 *
 * Thread-safety: a feed is used by one thread at a time (the simulator caches
 * the walk). Different feeds are independent.
 */
#ifndef KW_FEEDS_MARKET_H
#define KW_FEEDS_MARKET_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/market_snapshot.h"

typedef struct kw_market_query {
    uint32_t block;        /* KALE block of the newest point */
    int64_t timestamp;     /* unix seconds of that block */
    uint32_t interval_s;   /* seconds between blocks (300 on mainnet) */
} kw_market_query;

typedef struct kw_market_feed {
    const char *name;      /* "sim", "csv" */
    void *state;
    /* Fills *out with the KW_SNAPSHOT_LEN points ending at the query's block;
     * points the feed has no data for are left missing (0). */
    int (*snapshot)(void *state, const kw_market_query *q, kw_market_snapshot *out, kw_err *err);
    void (*close)(void *state);
} kw_market_feed;

/* The simulator. KW_ENOMEM. */
int kw_market_sim_open(uint64_t seed, kw_market_feed *out, kw_err *err) KW_WUR;

/*
 * A price history: the rows of a `timestamp,asset,price` file.
 *
 * Format (strict; every violation is an error naming origin:line):
 *   - optional first line `timestamp,asset,price`;
 *   - then one row per line, three fields separated by single commas, no
 *     spaces; a final newline is optional, a CR before it is tolerated;
 *   - timestamp: unix seconds (digits) or `YYYY-MM-DDTHH:MM:SSZ` (UTC);
 *   - asset: one of the 13 names of kw_asset_name;
 *   - price: USD per unit, a plain positive decimal ("64250.5", "0.0004");
 *     no sign, exponent or thousands separator;
 *   - rows in non-decreasing timestamp order, at most one row per
 *     (timestamp, asset).
 *
 * Snapshot at time t with interval Δ: point k is the asset's last price at or
 * before t − k·Δ that is younger than Δ (so stale data counts as missing and
 * the DAOs that need it abstain).
 */
typedef struct kw_price_history kw_price_history;

int kw_price_history_parse(const char *text, size_t len, const char *origin, kw_price_history **out,
                           kw_err *err) KW_WUR;
/* Reads and parses a file. KW_EIO names the file. */
int kw_price_history_load(const char *path, kw_price_history **out, kw_err *err) KW_WUR;
void kw_price_history_free(kw_price_history *h);

/* The distinct timestamps, ascending (owned by h). */
size_t kw_price_history_times(const kw_price_history *h, const int64_t **times);
/* The smallest gap between consecutive distinct timestamps; 0 with fewer than two. */
int64_t kw_price_history_interval(const kw_price_history *h);
/* The snapshot described above, with block set to 0. */
void kw_price_history_snapshot(const kw_price_history *h, int64_t t, int64_t interval,
                               kw_market_snapshot *out);

/* A csv feed over a history (takes ownership of h, also on failure). Its
 * snapshots use the query's timestamp and interval. */
int kw_market_csv_open_take(kw_price_history *h, kw_market_feed *out, kw_err *err) KW_WUR;

/* The feed named by MARKET_FEED, with MARKET_SEED or MARKET_CSV. KW_EINVAL
 * names the setting when it cannot be opened. */
int kw_market_open(const kw_config *cfg, kw_market_feed *out, kw_err *err) KW_WUR;

/* Calls the feed's close and clears *f; NULL-safe, idempotent. */
void kw_market_close(kw_market_feed *f);

#endif
