/*
 * backtest — replays the 15 DAOs and the consensus over a price history and
 * scores them against what the market did next (`kalewx backtest`).
 *
 * Steps are the history's distinct timestamps t; the snapshot of a step is
 * kw_price_history_snapshot(t, Δ), with Δ the history's smallest gap unless
 * given. The realised outcome of step t is the sign of the mean one-interval
 * return of BTC, ETH, XLM and SOL from t to t + Δ: GOOD when it rose, BAD when
 * it fell. A step is scored only when t + Δ is within the history, all eight
 * prices exist and the mean is not exactly 0; other steps are counted and
 * skipped.
 *
 * On scored steps each DAO votes (or abstains) and is right when its vote
 * equals the realised outcome; the consensus decides with records that start
 * from the seed records and learn from the realised outcomes, one cycle per
 * scored step (cycle id = the step's number among scored steps), with no
 * weather observation (so the final weather is the DAO consensus), and ties
 * broken with entropy = sha256("kalewx/backtest" ‖ t u64 BE). There is no
 * commit–reveal: nothing is hidden from anyone in a replay.
 *
 * Pure over its inputs; thread-safe for distinct results.
 */
#ifndef KW_FEEDS_BACKTEST_H
#define KW_FEEDS_BACKTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/dao.h"
#include "core/err.h"
#include "feeds/market.h"

typedef struct kw_backtest_dao {
    uint32_t votes, abstained, good, bad, hits;
} kw_backtest_dao;

typedef struct kw_backtest {
    int64_t interval;          /* Δ used */
    int64_t first, last;       /* first and last timestamp of the history */
    uint32_t steps;            /* timestamps replayed */
    uint32_t scored;
    uint32_t realised_good, realised_bad;
    kw_backtest_dao dao[KW_DAO_COUNT];
    uint32_t good, bad, ties, hits;   /* the consensus */
} kw_backtest;

/* The realised outcome after t; false when it is undefined (see above). */
bool kw_backtest_realised(const kw_price_history *h, int64_t t, int64_t interval, kw_outcome *out);

/* Replays h. interval 0 means the smallest gap. KW_EINVAL when the history
 * has fewer than two timestamps or interval is negative. */
int kw_backtest_run(const kw_price_history *h, int64_t interval, kw_backtest *out, kw_err *err) KW_WUR;

#endif
