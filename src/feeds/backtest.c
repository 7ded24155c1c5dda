#include "feeds/backtest.h"

#include <string.h>

#include "core/consensus.h"
#include "crypto/sha.h"

static const kw_asset basket[4] = {KW_ASSET_BTC, KW_ASSET_ETH, KW_ASSET_XLM, KW_ASSET_SOL};

bool kw_backtest_realised(const kw_price_history *h, int64_t t, int64_t interval, kw_outcome *out)
{
    const int64_t *times;
    size_t n = kw_price_history_times(h, &times);
    /* Past the end of the history, a stale last price would pose as the next one. */
    if (interval <= 0 || n == 0 || t + interval > times[n - 1])
        return false;
    kw_market_snapshot next;
    kw_price_history_snapshot(h, t + interval, interval, &next);
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        double r;
        if (!kw_snapshot_return(&next, basket[i], 1, &r))
            return false;
        sum += r;
    }
    double mean = kw_stat_round(sum / 4);
    if (mean == 0)
        return false;
    *out = mean > 0 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
    return true;
}

static void entropy_of(int64_t t, uint8_t out[32])
{
    static const char tag[] = "kalewx/backtest";
    uint8_t ts[8];
    uint64_t v = (uint64_t)t;
    for (int i = 7; i >= 0; i--, v >>= 8)
        ts[i] = (uint8_t)v;
    const kw_bytes parts[] = {{tag, sizeof tag - 1}, {ts, 8}};
    kw_sha256_parts(parts, 2, out);
}

int kw_backtest_run(const kw_price_history *h, int64_t interval, kw_backtest *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    const int64_t *times;
    size_t n = kw_price_history_times(h, &times);
    if (n < 2)
        return kw_err_set(err, KW_EINVAL, "a backtest needs prices at two or more timestamps, got %zu", n);
    if (interval < 0)
        return kw_err_set(err, KW_EINVAL, "the interval must be positive, got %lld", (long long)interval);
    out->interval = interval ? interval : kw_price_history_interval(h);
    out->first = times[0];
    out->last = times[n - 1];

    kw_dao_record records[KW_DAO_COUNT];
    for (int d = 0; d < KW_DAO_COUNT; d++)
        kw_dao_record_seed((kw_dao_id)d, 0, &records[d]);

    for (size_t k = 0; k < n; k++) {
        out->steps++;
        kw_outcome real;
        if (!kw_backtest_realised(h, times[k], out->interval, &real))
            continue;
        uint64_t cycle = out->scored++;
        if (real == KW_OUTCOME_GOOD)
            out->realised_good++;
        else
            out->realised_bad++;

        kw_market_snapshot s;
        kw_dao_vote votes[KW_DAO_COUNT];
        kw_price_history_snapshot(h, times[k], out->interval, &s);
        kw_dao_evaluate_all(&s, votes);

        uint8_t entropy[32];
        kw_consensus c;
        entropy_of(times[k], entropy);
        int rc = kw_consensus_decide(cycle, entropy, records, votes, KW_DAO_COUNT, &c, err);
        if (rc)
            return rc;
        out->good += c.outcome == KW_OUTCOME_GOOD;
        out->bad += c.outcome == KW_OUTCOME_BAD;
        out->ties += c.tie;
        out->hits += c.outcome == real;

        for (int d = 0; d < KW_DAO_COUNT; d++) {
            kw_backtest_dao *bd = &out->dao[d];
            bool voted = !votes[d].abstain, right = voted && votes[d].prediction == real;
            if (!voted) {
                bd->abstained++;
            } else {
                bd->votes++;
                bd->good += votes[d].prediction == KW_OUTCOME_GOOD;
                bd->bad += votes[d].prediction == KW_OUTCOME_BAD;
                bd->hits += right;
            }
            rc = kw_dao_record_update(&records[d], cycle, voted, right);
            if (rc)
                return kw_err_set(err, KW_EINTERNAL, "record of cycle %llu counted twice",
                                  (unsigned long long)cycle);
        }
    }
    return 0;
}
