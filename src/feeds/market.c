#include "feeds/market.h"

#include <string.h>

#include "chain/soroban/reflector.h"

int kw_market_open(const kw_config *cfg, kw_market_feed *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    const char *feed = kw_config_str(cfg, KW_CFG_MARKET_FEED);
    if (strcmp(feed, "sim") == 0)
        return kw_market_sim_open((uint64_t)kw_config_int(cfg, KW_CFG_MARKET_SEED), out, err);
    if (strcmp(feed, "csv") == 0) {
        const char *path = kw_config_str(cfg, KW_CFG_MARKET_CSV);
        if (!*path)
            return kw_err_set(err, KW_EINVAL, "MARKET_FEED=csv needs MARKET_CSV, the path of a "
                                              "timestamp,asset,price file");
        kw_price_history *h;
        kw_err e;
        int rc = kw_price_history_load(path, &h, &e);
        if (rc)
            return kw_err_set(err, KW_EINVAL, "MARKET_CSV: %s", e.msg);
        return kw_market_csv_open_take(h, out, err);
    }
    if (strcmp(feed, "reflector") == 0) {
        kw_reflector_opts o;
        int rc = kw_reflector_opts_from_config(cfg, &o, err);
        return rc ? rc : kw_market_reflector_open(&o, out, err);
    }
    return kw_err_set(err, KW_EINVAL, "MARKET_FEED=%s is not provided by the market feeds of this build "
                                      "(sim, csv, reflector)", feed);
}

void kw_market_close(kw_market_feed *f)
{
    if (f && f->close)
        f->close(f->state);
    if (f)
        memset(f, 0, sizeof *f);
}
