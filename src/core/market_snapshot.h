/*
 * market_snapshot — the market data the 15 DAOs read (SPEC §6): for each of
 * the 13 assets, the last KW_SNAPSHOT_LEN prices one KALE block apart.
 *
 * Prices are USD per unit as double. DAO statistics are not money: returns,
 * correlations and confidences are ratios that the DAOs compare against
 * percentage thresholds, and no amount of KALE is ever derived from a price,
 * so binary floating point is the right tool here (money stays int64 stroops).
 *
 * price[a][0] is the price at the snapshot's block, price[a][k] the price k
 * blocks earlier. A price is present when it is finite and > 0; anything else
 * (the feeds write 0) means "no data", and a DAO that needs it abstains.
 *
 * With 300 s blocks, lag 1 is the 5-min return, lag 3 the 15-min return and
 * lag 11 (the oldest point) the 1-h return: the snapshot spans 55 minutes,
 * the closest to an hour that 12 points one block apart can reach.
 *
 * Pure; thread-safe.
 */
#ifndef KW_CORE_MARKET_SNAPSHOT_H
#define KW_CORE_MARKET_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define KW_SNAPSHOT_LEN 12

/* The order is part of nothing persistent: assets are stored and exchanged by
 * name (kw_asset_name), never by number. */
typedef enum kw_asset {
    KW_ASSET_BTC = 0,
    KW_ASSET_ETH,
    KW_ASSET_XLM,
    KW_ASSET_SOL,
    KW_ASSET_USDT,
    KW_ASSET_USDC,
    KW_ASSET_KALE,
    KW_ASSET_AQUA,
    KW_ASSET_EURC,
    KW_ASSET_EUR,
    KW_ASSET_GBP,
    KW_ASSET_CAD,
    KW_ASSET_BRL,
    KW_ASSET_COUNT,
} kw_asset;

typedef struct kw_market_snapshot {
    uint32_t block;      /* KALE block of price[.][0] */
    int64_t timestamp;   /* unix seconds of price[.][0] */
    double price[KW_ASSET_COUNT][KW_SNAPSHOT_LEN];
} kw_market_snapshot;

/* "BTC", "ETH", … ; NULL for an out-of-range value. */
const char *kw_asset_name(kw_asset a);
/* Parses an asset name (exact, upper case); KW_EINVAL otherwise. */
int kw_asset_parse(const char *s, size_t len, kw_asset *out) KW_WUR;

/* Zeroes every price (all missing) and sets block and timestamp. */
void kw_snapshot_clear(kw_market_snapshot *s, uint32_t block, int64_t timestamp);

/* True when price[a][lag] is present; then *out holds it. */
bool kw_snapshot_price(const kw_market_snapshot *s, kw_asset a, unsigned lag, double *out);

/* Rounds a statistic to 12 decimal places. Thresholds are decimal (1%, 0.5%)
 * and prices are decimal, but binary arithmetic lands a hair off: 1 − 0.995
 * is 0.0050000000000000044. Rounding every compared statistic makes a value
 * that is exactly at a threshold in decimal compare as exactly at it, while
 * changing nothing a market can resolve. */
double kw_stat_round(double x);

/* r = (p_now − p_lag) / p_lag, rounded by kw_stat_round. False (and *out
 * untouched) when either price is missing or lag is 0 or ≥ KW_SNAPSHOT_LEN. */
bool kw_snapshot_return(const kw_market_snapshot *s, kw_asset a, unsigned lag, double *out);

/* Pearson correlation of the KW_SNAPSHOT_LEN − 1 one-block returns of a and b.
 * False when a price is missing or either series has zero variance (the
 * correlation is undefined then, and a DAO must not guess it). */
bool kw_snapshot_correlation(const kw_market_snapshot *s, kw_asset a, kw_asset b, double *out);

#endif
