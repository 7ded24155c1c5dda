#include "core/dao.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Every rule below reads r = one-block return unless it says otherwise, and
 * decides with the rule's own comparison. The margin m feeds only the
 * confidence: m = (statistic − threshold) / scale, sign irrelevant. */

static const kw_dao_info infos[KW_DAO_COUNT] = {
    {"crypto-momentum", 1.0, 134, 200,
     "GOOD when >= 2 of BTC,ETH,XLM have r > +1%; m = (2nd largest r - 1%) / 2%"},
    {"mean-reversion", 0.8, 126, 200,
     "GOOD when >= 2 of BTC,ETH,XLM have |r| < 2%; m = (2% - 2nd smallest |r|) / 2%"},
    {"xlm-dominance", 1.0, 142, 200,
     "GOOD when r(XLM)-r(BTC) > 5% or r(XLM)-r(ETH) > 5%; m = (larger difference - 5%) / 5%"},
    {"kale-performance", 1.0, 98, 150,
     "GOOD when r(KALE) > +2%, BAD otherwise; m = (r(KALE) - 2%) / 4%"},
    {"volatility-clustering", 0.9, 138, 200,
     "GOOD when >= 2 of BTC,ETH,XLM have |r| < 3%; m = (3% - 2nd smallest |r|) / 3%"},
    {"flight-to-safety", 0.7, 87, 150,
     "GOOD when mean |r| of BTC,ETH,XLM > 2% and mean |p-1| of USDT,USDC < 0.5%; "
     "m = min((mean|r| - 2%) / 2%, (0.5% - mean|p-1|) / 0.5%)"},
    {"cross-chain-stress", 0.6, 74, 120,
     "GOOD when >= 3 of BTC,ETH,XLM,SOL have |r| < 4%; m = (4% - 3rd smallest |r|) / 4%"},
    {"stellar-dex-health", 1.0, 131, 180,
     "GOOD when >= 3 of XLM,KALE,AQUA,EURC have r > -2%; m = (3rd largest r + 2%) / 4%"},
    {"aqua-network", 0.8, 102, 160,
     "GOOD when health >= 2, health = 2*[r(AQUA) > 1%] + [|r(AQUA)| < 3%] + [|USDC-1| < 0.5%]; "
     "m = (|health - 1.5| - 0.5) / 2"},
    {"regional-token", 0.4, 59, 100,
     "GOOD when fewer than 2 of EUR 2%, GBP 2%, CAD 3%, BRL 5% fell by more than their threshold; "
     "z = fall / threshold, m = 1 - 2nd largest z"},
    {"correlation-breakdown", 0.9, 137, 180,
     "GOOD when >= 2 breakdowns: |corr(BTC,ETH)| < 0.5 over the 11 block returns, "
     "|r(BTC)-r(EUR)| > 3%, |r(XLM)-r(BTC)| > 3%; b = (0.5-|corr|)/0.5, (|d|-3%)/3%; m = 2nd largest b"},
    {"liquidity-premium", 0.7, 85, 140,
     "GOOD when >= 3 of BTC,ETH,XLM (1 - 20|r|) and USDT (1 - 200|p-1|) exceed 0.7; "
     "m = (3rd largest score - 0.7) / 0.3"},
    {"stablecoin-peg", 0.8, 116, 170,
     "GOOD when USDT and USDC are both within 0.5% of 1, BAD otherwise (a depeg past 2% is a sure BAD); "
     "d = larger |p-1|, m = (0.5% - d) / 0.5% when GOOD, (d - 0.5%) / 1.5% when BAD"},
    {"multi-timeframe", 0.6, 55, 100,
     "GOOD when >= 2 of BTC,ETH,XLM have 5-min, 15-min and 1-h returns of one sign; "
     "a = max(min(r1,r3,r11), min(-r1,-r3,-r11)), m = 2nd largest a / 1%"},
    {"volume-price", 0.5, 52, 100,
     "GOOD when >= 2 of BTC,ETH,XLM move |r| > 1.5% and >= 2 move the same way by > 1%; "
     "m = min((2nd largest |r| - 1.5%) / 1.5%, (2nd largest same-way move - 1%) / 1%)"},
};

const kw_dao_info *kw_dao_info_of(kw_dao_id id)
{
    return (unsigned)id < KW_DAO_COUNT ? &infos[id] : NULL;
}

int kw_dao_parse(const char *id, kw_dao_id *out)
{
    for (int i = 0; i < KW_DAO_COUNT; i++)
        if (strcmp(id, infos[i].id) == 0) {
            *out = (kw_dao_id)i;
            return 0;
        }
    return KW_ENOTFOUND;
}

const char *kw_outcome_name(kw_outcome o)
{
    return o == KW_OUTCOME_GOOD ? "GOOD" : "BAD";
}

uint32_t kw_dao_confidence_ppm(double margin)
{
    double m = isnan(margin) ? 0 : fmin(1.0, fabs(margin));
    return (uint32_t)lround((0.3 + 0.6 * m) * 1e6);
}

static void say(kw_dao_vote *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(kw_dao_vote *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reasoning, sizeof v->reasoning, fmt, ap);
    va_end(ap);
}

static void decide(kw_dao_vote *v, bool good, double margin)
{
    v->abstain = false;
    v->prediction = good ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
    v->confidence_ppm = kw_dao_confidence_ppm(margin);
}

static bool abstain_missing(kw_dao_vote *v, kw_asset a, unsigned lag)
{
    v->abstain = true;
    if (lag)
        say(v, "abstains: no %s price %u block%s back", kw_asset_name(a), lag, lag == 1 ? "" : "s");
    else
        say(v, "abstains: no current %s price", kw_asset_name(a));
    return false;
}

static bool returns_of(const kw_market_snapshot *s, const kw_asset *as, int n, unsigned lag,
                       double *r, kw_dao_vote *v)
{
    for (int i = 0; i < n; i++) {
        double p;
        if (!kw_snapshot_price(s, as[i], 0, &p))
            return abstain_missing(v, as[i], 0);
        if (!kw_snapshot_return(s, as[i], lag, &r[i]))
            return abstain_missing(v, as[i], lag);
    }
    return true;
}

static bool price_of(const kw_market_snapshot *s, kw_asset a, double *p, kw_dao_vote *v)
{
    return kw_snapshot_price(s, a, 0, p) || abstain_missing(v, a, 0);
}

/* k-th largest (k from 1) of n ≤ 4 values. */
static double kth_largest(const double *x, int n, int k)
{
    double y[4];
    memcpy(y, x, (size_t)n * sizeof *y);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && y[j] > y[j - 1]; j--) {
            double t = y[j];
            y[j] = y[j - 1];
            y[j - 1] = t;
        }
    return y[k - 1];
}

static double kth_smallest(const double *x, int n, int k)
{
    return kth_largest(x, n, n + 1 - k);
}

static int count_if_above(const double *x, int n, double t)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += x[i] > t;
    return c;
}

static int count_if_below(const double *x, int n, double t)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += x[i] < t;
    return c;
}

static void abs_of(const double *x, double *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = fabs(x[i]);
}

#define PCT(x) ((x) * 100.0)

static const kw_asset majors[3] = {KW_ASSET_BTC, KW_ASSET_ETH, KW_ASSET_XLM};

/* ≥ 2 of BTC,ETH,XLM have r > +1%. Statistic: the 2nd largest r (the rule
 * holds exactly when it exceeds 1%); scale 2%. */
static void crypto_momentum(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double r[3];
    if (!returns_of(s, majors, 3, 1, r, v))
        return;
    int up = count_if_above(r, 3, 0.01);
    decide(v, up >= 2, (kth_largest(r, 3, 2) - 0.01) / 0.02);
    say(v, "%d of BTC,ETH,XLM rose more than 1%% (BTC %+.2f%%, ETH %+.2f%%, XLM %+.2f%%)", up,
        PCT(r[0]), PCT(r[1]), PCT(r[2]));
}

/* ≥ 2 of BTC,ETH,XLM have |r| < 2%. Statistic: the 2nd smallest |r|; scale 2%. */
static void mean_reversion(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double r[3], a[3];
    if (!returns_of(s, majors, 3, 1, r, v))
        return;
    abs_of(r, a, 3);
    int calm = count_if_below(a, 3, 0.02);
    decide(v, calm >= 2, (0.02 - kth_smallest(a, 3, 2)) / 0.02);
    say(v, "%d of BTC,ETH,XLM stayed within 2%% (BTC %+.2f%%, ETH %+.2f%%, XLM %+.2f%%)", calm,
        PCT(r[0]), PCT(r[1]), PCT(r[2]));
}

/* r(XLM) − r(BTC) > 5% or r(XLM) − r(ETH) > 5%. Statistic: the larger
 * difference; scale 5%. */
static void xlm_dominance(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double r[3];
    if (!returns_of(s, majors, 3, 1, r, v))
        return;
    double vs_btc = kw_stat_round(r[2] - r[0]), vs_eth = kw_stat_round(r[2] - r[1]);
    double lead = vs_btc > vs_eth ? vs_btc : vs_eth;
    decide(v, vs_btc > 0.05 || vs_eth > 0.05, (lead - 0.05) / 0.05);
    say(v, "XLM beat BTC by %+.2f%% and ETH by %+.2f%% (threshold 5%%)", PCT(vs_btc), PCT(vs_eth));
}

/* r(KALE) > +2%, BAD otherwise. Statistic: r(KALE); scale 4% (KALE is the
 * most volatile asset of the snapshot). */
static void kale_performance(const kw_market_snapshot *s, kw_dao_vote *v)
{
    static const kw_asset kale[1] = {KW_ASSET_KALE};
    double r;
    if (!returns_of(s, kale, 1, 1, &r, v))
        return;
    decide(v, r > 0.02, (r - 0.02) / 0.04);
    say(v, "KALE moved %+.2f%% (threshold +2%%)", PCT(r));
}

/* ≥ 2 of BTC,ETH,XLM have |r| < 3%. Statistic: the 2nd smallest |r|; scale 3%. */
static void volatility_clustering(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double r[3], a[3];
    if (!returns_of(s, majors, 3, 1, r, v))
        return;
    abs_of(r, a, 3);
    int calm = count_if_below(a, 3, 0.03);
    decide(v, calm >= 2, (0.03 - kth_smallest(a, 3, 2)) / 0.03);
    say(v, "%d of BTC,ETH,XLM moved less than 3%% (BTC %+.2f%%, ETH %+.2f%%, XLM %+.2f%%)", calm,
        PCT(r[0]), PCT(r[1]), PCT(r[2]));
}

/* mean |r| of BTC,ETH,XLM > 2% and mean(|USDT−1|, |USDC−1|) < 0.5%. Two
 * conditions: the margin is the one nearer to failing (scales 2% and 0.5%). */
static void flight_to_safety(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double r[3], usdt, usdc;
    if (!returns_of(s, majors, 3, 1, r, v) || !price_of(s, KW_ASSET_USDT, &usdt, v) ||
        !price_of(s, KW_ASSET_USDC, &usdc, v))
        return;
    double vol = kw_stat_round((fabs(r[0]) + fabs(r[1]) + fabs(r[2])) / 3);
    double peg = kw_stat_round((fabs(usdt - 1) + fabs(usdc - 1)) / 2);
    double m_vol = (vol - 0.02) / 0.02, m_peg = (0.005 - peg) / 0.005;
    decide(v, vol > 0.02 && peg < 0.005, m_vol < m_peg ? m_vol : m_peg);
    say(v, "crypto moved %.2f%% on average (needs > 2%%), stablecoins are %.3f%% off peg (needs < 0.5%%)",
        PCT(vol), PCT(peg));
}

/* ≥ 3 of BTC,ETH,XLM,SOL have |r| < 4%. Statistic: the 3rd smallest |r|; scale 4%. */
static void cross_chain_stress(const kw_market_snapshot *s, kw_dao_vote *v)
{
    static const kw_asset chains[4] = {KW_ASSET_BTC, KW_ASSET_ETH, KW_ASSET_XLM, KW_ASSET_SOL};
    double r[4], a[4];
    if (!returns_of(s, chains, 4, 1, r, v))
        return;
    abs_of(r, a, 4);
    int calm = count_if_below(a, 4, 0.04);
    decide(v, calm >= 3, (0.04 - kth_smallest(a, 4, 3)) / 0.04);
    say(v, "%d of BTC,ETH,XLM,SOL moved less than 4%% (%+.2f%%, %+.2f%%, %+.2f%%, %+.2f%%)", calm,
        PCT(r[0]), PCT(r[1]), PCT(r[2]), PCT(r[3]));
}

/* ≥ 3 of XLM,KALE,AQUA,EURC have r > −2%. Statistic: the 3rd largest r; scale 4%. */
static void stellar_dex_health(const kw_market_snapshot *s, kw_dao_vote *v)
{
    static const kw_asset dex[4] = {KW_ASSET_XLM, KW_ASSET_KALE, KW_ASSET_AQUA, KW_ASSET_EURC};
    double r[4];
    if (!returns_of(s, dex, 4, 1, r, v))
        return;
    int ok = count_if_above(r, 4, -0.02);
    decide(v, ok >= 3, (kth_largest(r, 4, 3) + 0.02) / 0.04);
    say(v, "%d of XLM,KALE,AQUA,EURC held above -2%% (%+.2f%%, %+.2f%%, %+.2f%%, %+.2f%%)", ok,
        PCT(r[0]), PCT(r[1]), PCT(r[2]), PCT(r[3]));
}

/* health = 2·[r(AQUA) > 1%] + [|r(AQUA)| < 3%] + [|USDC−1| < 0.5%] ≥ 2.
 * The statistic is a whole number, so the margin counts health points past
 * the 1.5 boundary: health 1 or 2 → 0.3, 0 or 3 → 0.6, 4 → 0.9. */
static void aqua_network(const kw_market_snapshot *s, kw_dao_vote *v)
{
    static const kw_asset aqua[1] = {KW_ASSET_AQUA};
    double r, usdc;
    if (!returns_of(s, aqua, 1, 1, &r, v) || !price_of(s, KW_ASSET_USDC, &usdc, v))
        return;
    int health = 2 * (r > 0.01) + (fabs(r) < 0.03) + (kw_stat_round(fabs(usdc - 1)) < 0.005);
    decide(v, health >= 2, (fabs(health - 1.5) - 0.5) / 2);
    say(v, "AQUA health %d of 4 (AQUA %+.2f%%, USDC %.4f)", health, PCT(r), usdc);
}

/* Fewer than 2 of EUR, GBP, CAD, BRL fell by more than 2%, 2%, 3%, 5%.
 * Statistic: z = fall / threshold, the 2nd largest z against 1; scale 1. */
static void regional_token(const kw_market_snapshot *s, kw_dao_vote *v)
{
    static const kw_asset fx[4] = {KW_ASSET_EUR, KW_ASSET_GBP, KW_ASSET_CAD, KW_ASSET_BRL};
    static const double limit[4] = {0.02, 0.02, 0.03, 0.05};
    double r[4], z[4];
    if (!returns_of(s, fx, 4, 1, r, v))
        return;
    int stressed = 0;
    for (int i = 0; i < 4; i++) {
        stressed += r[i] < -limit[i];
        z[i] = -r[i] / limit[i];
    }
    decide(v, stressed < 2, 1 - kth_largest(z, 4, 2));
    say(v, "%d of EUR,GBP,CAD,BRL fell past their limit (%+.2f%%, %+.2f%%, %+.2f%%, %+.2f%%)", stressed,
        PCT(r[0]), PCT(r[1]), PCT(r[2]), PCT(r[3]));
}

/* ≥ 2 of: |corr(BTC,ETH)| < 0.5 over the snapshot's 11 block returns,
 * |r(BTC) − r(EUR)| > 3%, |r(XLM) − r(BTC)| > 3%. Each breakdown has a margin
 * b (scales 0.5 and 3%); the statistic is the 2nd largest b against 0. */
static void correlation_breakdown(const kw_market_snapshot *s, kw_dao_vote *v)
{
    static const kw_asset used[4] = {KW_ASSET_BTC, KW_ASSET_ETH, KW_ASSET_XLM, KW_ASSET_EUR};
    double r[4], corr;
    if (!returns_of(s, used, 4, 1, r, v))
        return;
    if (!kw_snapshot_correlation(s, KW_ASSET_BTC, KW_ASSET_ETH, &corr)) {
        v->abstain = true;
        say(v, "abstains: BTC/ETH correlation needs %d prices of each that move", KW_SNAPSHOT_LEN);
        return;
    }
    double d_eur = kw_stat_round(fabs(r[0] - r[3])), d_xlm = kw_stat_round(fabs(r[2] - r[0]));
    int breaks = (fabs(corr) < 0.5) + (d_eur > 0.03) + (d_xlm > 0.03);
    double b[3] = {(0.5 - fabs(corr)) / 0.5, (d_eur - 0.03) / 0.03, (d_xlm - 0.03) / 0.03};
    decide(v, breaks >= 2, kth_largest(b, 3, 2));
    say(v, "%d of 3 breakdowns (corr(BTC,ETH) %.3f, BTC-EUR %.2f%%, XLM-BTC %.2f%%)", breaks, corr,
        PCT(d_eur), PCT(d_xlm));
}

/* ≥ 3 of BTC,ETH,XLM (1 − 20|r|) and USDT (1 − 200|p−1|) exceed 0.7.
 * Statistic: the 3rd largest score; scale 0.3. */
static void liquidity_premium(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double r[3], usdt;
    if (!returns_of(s, majors, 3, 1, r, v) || !price_of(s, KW_ASSET_USDT, &usdt, v))
        return;
    double score[4] = {kw_stat_round(1 - 20 * fabs(r[0])), kw_stat_round(1 - 20 * fabs(r[1])),
                       kw_stat_round(1 - 20 * fabs(r[2])), kw_stat_round(1 - 200 * fabs(usdt - 1))};
    int liquid = count_if_above(score, 4, 0.7);
    decide(v, liquid >= 3, (kth_largest(score, 4, 3) - 0.7) / 0.3);
    say(v, "%d of 4 liquidity scores above 0.7 (BTC %.3f, ETH %.3f, XLM %.3f, USDT %.3f)", liquid,
        score[0], score[1], score[2], score[3]);
}

/* USDT and USDC both within 0.5% of 1 → GOOD, otherwise BAD. Statistic: the
 * larger deviation d; scale 0.5% on the GOOD side, 1.5% on the BAD side so
 * that a depeg past 2% is a BAD at full confidence. */
static void stablecoin_peg(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double usdt, usdc;
    if (!price_of(s, KW_ASSET_USDT, &usdt, v) || !price_of(s, KW_ASSET_USDC, &usdc, v))
        return;
    double dt = kw_stat_round(fabs(usdt - 1)), dc = kw_stat_round(fabs(usdc - 1)), d = dt > dc ? dt : dc;
    bool good = d <= 0.005;
    decide(v, good, good ? (0.005 - d) / 0.005 : (d - 0.005) / 0.015);
    say(v, "USDT %.4f, USDC %.4f: %s", usdt, usdc,
        good ? "both within 0.5% of the peg" : d > 0.02 ? "depegged by more than 2%" : "off the peg");
}

/* ≥ 2 of BTC,ETH,XLM have 5-min, 15-min and 1-h returns of one sign (zero has
 * no sign). Per asset a = max(min(r1,r3,r11), min(−r1,−r3,−r11)), positive
 * exactly when the three agree; statistic: the 2nd largest a; scale 1%. */
static void multi_timeframe(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double r1[3], r3[3], r11[3], a[3];
    if (!returns_of(s, majors, 3, 1, r1, v) || !returns_of(s, majors, 3, 3, r3, v) ||
        !returns_of(s, majors, 3, KW_SNAPSHOT_LEN - 1, r11, v))
        return;
    int aligned = 0;
    for (int i = 0; i < 3; i++) {
        bool up = r1[i] > 0 && r3[i] > 0 && r11[i] > 0;
        bool down = r1[i] < 0 && r3[i] < 0 && r11[i] < 0;
        aligned += up || down;
        double lo = fmin(r1[i], fmin(r3[i], r11[i]));
        double hi = fmax(r1[i], fmax(r3[i], r11[i]));
        a[i] = fmax(lo, -hi);
    }
    decide(v, aligned >= 2, kth_largest(a, 3, 2) / 0.01);
    say(v, "%d of BTC,ETH,XLM agree on 5m/15m/1h (BTC %+.2f/%+.2f/%+.2f%%, ETH %+.2f/%+.2f/%+.2f%%, "
        "XLM %+.2f/%+.2f/%+.2f%%)", aligned, PCT(r1[0]), PCT(r3[0]), PCT(r11[0]), PCT(r1[1]),
        PCT(r3[1]), PCT(r11[1]), PCT(r1[2]), PCT(r3[2]), PCT(r11[2]));
}

/* ≥ 2 of BTC,ETH,XLM move |r| > 1.5% and ≥ 2 move the same way by > 1%.
 * Two conditions: the margin is the one nearer to failing (scales 1.5%, 1%). */
static void volume_price(const kw_market_snapshot *s, kw_dao_vote *v)
{
    double r[3], a[3], neg[3];
    if (!returns_of(s, majors, 3, 1, r, v))
        return;
    abs_of(r, a, 3);
    for (int i = 0; i < 3; i++)
        neg[i] = -r[i];
    int strong = count_if_above(a, 3, 0.015);
    int up = count_if_above(r, 3, 0.01), down = count_if_below(r, 3, -0.01);
    int same = up > down ? up : down;
    double m_strong = (kth_largest(a, 3, 2) - 0.015) / 0.015;
    double m_same = (fmax(kth_largest(r, 3, 2), kth_largest(neg, 3, 2)) - 0.01) / 0.01;
    decide(v, strong >= 2 && same >= 2, fmin(m_strong, m_same));
    say(v, "%d strong moves over 1.5%%, %d the same way over 1%% (BTC %+.2f%%, ETH %+.2f%%, XLM %+.2f%%)",
        strong, same, PCT(r[0]), PCT(r[1]), PCT(r[2]));
}

typedef void (*dao_fn)(const kw_market_snapshot *s, kw_dao_vote *v);

static const dao_fn rules[KW_DAO_COUNT] = {
    crypto_momentum, mean_reversion, xlm_dominance, kale_performance, volatility_clustering,
    flight_to_safety, cross_chain_stress, stellar_dex_health, aqua_network, regional_token,
    correlation_breakdown, liquidity_premium, stablecoin_peg, multi_timeframe, volume_price,
};

void kw_dao_evaluate(kw_dao_id id, const kw_market_snapshot *s, kw_dao_vote *out)
{
    memset(out, 0, sizeof *out);
    out->dao = id;
    if ((unsigned)id >= KW_DAO_COUNT) {
        out->abstain = true;
        say(out, "abstains: unknown DAO");
        return;
    }
    rules[id](s, out);
}

void kw_dao_evaluate_all(const kw_market_snapshot *s, kw_dao_vote out[KW_DAO_COUNT])
{
    for (int i = 0; i < KW_DAO_COUNT; i++)
        kw_dao_evaluate((kw_dao_id)i, s, &out[i]);
}
