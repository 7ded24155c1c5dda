#include "core/market_snapshot.h"

#include <math.h>
#include <string.h>

static const char *const asset_names[KW_ASSET_COUNT] = {
    "BTC", "ETH", "XLM", "SOL", "USDT", "USDC", "KALE", "AQUA", "EURC", "EUR", "GBP", "CAD", "BRL",
};

const char *kw_asset_name(kw_asset a)
{
    return (unsigned)a < KW_ASSET_COUNT ? asset_names[a] : NULL;
}

int kw_asset_parse(const char *s, size_t len, kw_asset *out)
{
    for (int a = 0; a < KW_ASSET_COUNT; a++)
        if (strlen(asset_names[a]) == len && memcmp(asset_names[a], s, len) == 0) {
            *out = (kw_asset)a;
            return 0;
        }
    return KW_EINVAL;
}

void kw_snapshot_clear(kw_market_snapshot *s, uint32_t block, int64_t timestamp)
{
    memset(s, 0, sizeof *s);
    s->block = block;
    s->timestamp = timestamp;
}

bool kw_snapshot_price(const kw_market_snapshot *s, kw_asset a, unsigned lag, double *out)
{
    if ((unsigned)a >= KW_ASSET_COUNT || lag >= KW_SNAPSHOT_LEN)
        return false;
    double p = s->price[a][lag];
    if (!isfinite(p) || p <= 0)
        return false;
    *out = p;
    return true;
}

double kw_stat_round(double x)
{
    return round(x * 1e12) / 1e12;
}

bool kw_snapshot_return(const kw_market_snapshot *s, kw_asset a, unsigned lag, double *out)
{
    double now, then;
    if (lag == 0 || !kw_snapshot_price(s, a, 0, &now) || !kw_snapshot_price(s, a, lag, &then))
        return false;
    *out = kw_stat_round((now - then) / then);
    return true;
}

/* One-block returns, oldest interval first. */
static bool block_returns(const kw_market_snapshot *s, kw_asset a, double r[KW_SNAPSHOT_LEN - 1])
{
    double p[KW_SNAPSHOT_LEN];
    for (unsigned k = 0; k < KW_SNAPSHOT_LEN; k++)
        if (!kw_snapshot_price(s, a, k, &p[k]))
            return false;
    for (unsigned i = 0; i < KW_SNAPSHOT_LEN - 1; i++) {
        unsigned older = KW_SNAPSHOT_LEN - 1 - i;
        r[i] = (p[older - 1] - p[older]) / p[older];
    }
    return true;
}

bool kw_snapshot_correlation(const kw_market_snapshot *s, kw_asset a, kw_asset b, double *out)
{
    enum { N = KW_SNAPSHOT_LEN - 1 };
    double x[N], y[N];
    if (!block_returns(s, a, x) || !block_returns(s, b, y))
        return false;
    double mx = 0, my = 0;
    for (int i = 0; i < N; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= N;
    my /= N;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < N; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (!(sxx > 0) || !(syy > 0))
        return false;
    double c = sxy / sqrt(sxx * syy);
    *out = c > 1 ? 1 : c < -1 ? -1 : c;
    return true;
}
