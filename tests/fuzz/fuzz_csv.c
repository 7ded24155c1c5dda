/* libFuzzer target: price history files (`timestamp,asset,price` CSV, the
 * MARKET_CSV feed and `kalewx backtest`). A history that parses must have
 * ascending timestamps, and snapshots and a backtest over it must run; only
 * positive prices may come out of it. */
#include <stdint.h>
#include <stdlib.h>

#include "feeds/backtest.h"
#include "feeds/market.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kw_price_history *h = NULL;
    kw_err e = {0};
    if (kw_price_history_parse((const char *)data, n, "fuzz.csv", &h, &e) != 0) {
        if (!e.msg[0] || h)
            abort();
        return 0;
    }
    const int64_t *times;
    size_t nt = kw_price_history_times(h, &times);
    for (size_t i = 1; i < nt; i++)
        if (times[i] <= times[i - 1])
            abort();
    int64_t interval = kw_price_history_interval(h);
    if ((nt < 2) != (interval == 0) || interval < 0)
        abort();
    if (nt > 0) {
        kw_market_snapshot s;
        kw_price_history_snapshot(h, times[nt - 1], interval ? interval : 300, &s);
        for (int a = 0; a < KW_ASSET_COUNT; a++)
            for (int k = 0; k < KW_SNAPSHOT_LEN; k++)
                if (s.price[a][k] < 0)
                    abort();
    }
    if (nt >= 2 && nt <= 64) {
        kw_backtest bt;
        if (kw_backtest_run(h, interval, &bt, &e) != 0 || bt.scored > bt.steps)
            abort();
    }
    kw_price_history_free(h);
    return 0;
}
