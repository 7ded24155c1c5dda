#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/dao.h"
#include "core/prng.h"

/* A market where every asset has sat still for 12 blocks: crypto and FX at
 * 100 (so a newest price of 101 is a return of exactly 1%), stablecoins and
 * EURC at 1. */
static kw_market_snapshot flat(void)
{
    kw_market_snapshot s;
    kw_snapshot_clear(&s, 1000, 1700000000);
    for (int a = 0; a < KW_ASSET_COUNT; a++) {
        double base = (a == KW_ASSET_USDT || a == KW_ASSET_USDC || a == KW_ASSET_EURC) ? 1.0 : 100.0;
        for (int k = 0; k < KW_SNAPSHOT_LEN; k++)
            s.price[a][k] = base;
    }
    return s;
}

static kw_dao_vote run(kw_dao_id id, const kw_market_snapshot *s)
{
    kw_dao_vote v;
    kw_dao_evaluate(id, s, &v);
    return v;
}

/* Expects a vote with that prediction and a confidence within 1 ppm. */
static void expect(kw_dao_id id, const kw_market_snapshot *s, kw_outcome want, double conf)
{
    kw_dao_vote v = run(id, s);
    const char *name = kw_dao_info_of(id)->id;
    cr_assert_not(v.abstain, "%s abstained: %s", name, v.reasoning);
    cr_assert_eq(v.prediction, want, "%s: %s, want %s (%s)", name, kw_outcome_name(v.prediction),
                 kw_outcome_name(want), v.reasoning);
    long want_ppm = lround(conf * 1e6);
    cr_assert(labs((long)v.confidence_ppm - want_ppm) <= 1, "%s: confidence %u ppm, want %ld (%s)", name,
              v.confidence_ppm, want_ppm, v.reasoning);
    cr_assert(v.reasoning[0], "%s gave no reasoning", name);
}

/* Like expect, for a statistic a hair past the threshold: confidence just above 0.3. */
static void expect_barely(kw_dao_id id, const kw_market_snapshot *s, kw_outcome want)
{
    kw_dao_vote v = run(id, s);
    cr_assert_not(v.abstain);
    cr_assert_eq(v.prediction, want, "%s: %s (%s)", kw_dao_info_of(id)->id, kw_outcome_name(v.prediction),
                 v.reasoning);
    cr_assert(v.confidence_ppm >= 300000 && v.confidence_ppm < 300500, "%s: %u ppm",
              kw_dao_info_of(id)->id, v.confidence_ppm);
}

#define GOOD KW_OUTCOME_GOOD
#define BAD KW_OUTCOME_BAD
#define NOW(s, a) ((s).price[KW_ASSET_##a][0])

Test(dao, confidence_formula)
{
    cr_assert_eq(kw_dao_confidence_ppm(0), 300000);
    cr_assert_eq(kw_dao_confidence_ppm(0.5), 600000);
    cr_assert_eq(kw_dao_confidence_ppm(-0.5), 600000);
    cr_assert_eq(kw_dao_confidence_ppm(1), 900000);
    cr_assert_eq(kw_dao_confidence_ppm(-1), 900000);
    cr_assert_eq(kw_dao_confidence_ppm(7), 900000);
    cr_assert_eq(kw_dao_confidence_ppm(0.25), 450000);
    cr_assert_eq(kw_dao_confidence_ppm(NAN), 300000);
}

Test(dao, table_matches_spec)
{
    static const struct { const char *id; double w; unsigned c, t; } want[KW_DAO_COUNT] = {
        {"crypto-momentum", 1.0, 134, 200}, {"mean-reversion", 0.8, 126, 200},
        {"xlm-dominance", 1.0, 142, 200}, {"kale-performance", 1.0, 98, 150},
        {"volatility-clustering", 0.9, 138, 200}, {"flight-to-safety", 0.7, 87, 150},
        {"cross-chain-stress", 0.6, 74, 120}, {"stellar-dex-health", 1.0, 131, 180},
        {"aqua-network", 0.8, 102, 160}, {"regional-token", 0.4, 59, 100},
        {"correlation-breakdown", 0.9, 137, 180}, {"liquidity-premium", 0.7, 85, 140},
        {"stablecoin-peg", 0.8, 116, 170}, {"multi-timeframe", 0.6, 55, 100},
        {"volume-price", 0.5, 52, 100},
    };
    for (int i = 0; i < KW_DAO_COUNT; i++) {
        const kw_dao_info *in = kw_dao_info_of((kw_dao_id)i);
        cr_assert_str_eq(in->id, want[i].id);
        cr_assert_float_eq(in->base_weight, want[i].w, 1e-12);
        cr_assert_eq(in->seed_correct, want[i].c);
        cr_assert_eq(in->seed_total, want[i].t);
        kw_dao_id back;
        cr_assert_eq(kw_dao_parse(in->id, &back), 0);
        cr_assert_eq(back, (kw_dao_id)i);
    }
    kw_dao_id x;
    cr_assert_eq(kw_dao_parse("weather-whale", &x), KW_ENOTFOUND);
    cr_assert_null(kw_dao_info_of(KW_DAO_COUNT));
}

Test(dao, crypto_momentum)
{
    kw_market_snapshot s = flat();
    NOW(s, BTC) = 101, NOW(s, ETH) = 101;          /* exactly +1%: not above */
    expect(KW_DAO_CRYPTO_MOMENTUM, &s, BAD, 0.3);
    NOW(s, BTC) = 101.0001, NOW(s, ETH) = 101.0001;
    expect_barely(KW_DAO_CRYPTO_MOMENTUM, &s, GOOD);
    NOW(s, ETH) = 101;                             /* only one above */
    expect(KW_DAO_CRYPTO_MOMENTUM, &s, BAD, 0.3);
    NOW(s, BTC) = 102, NOW(s, ETH) = 102;          /* 1% past over a 2% scale */
    expect(KW_DAO_CRYPTO_MOMENTUM, &s, GOOD, 0.6);
    NOW(s, BTC) = 103, NOW(s, ETH) = 103;
    expect(KW_DAO_CRYPTO_MOMENTUM, &s, GOOD, 0.9);
    NOW(s, BTC) = 120, NOW(s, ETH) = 110;
    expect(KW_DAO_CRYPTO_MOMENTUM, &s, GOOD, 0.9);
    s = flat();                                    /* 2nd largest 0: 1% short */
    expect(KW_DAO_CRYPTO_MOMENTUM, &s, BAD, 0.6);
    NOW(s, BTC) = 99, NOW(s, ETH) = 99, NOW(s, XLM) = 99;
    expect(KW_DAO_CRYPTO_MOMENTUM, &s, BAD, 0.9);
}

Test(dao, mean_reversion)
{
    kw_market_snapshot s = flat();
    NOW(s, BTC) = 102, NOW(s, ETH) = 98;           /* |r| exactly 2%: not below */
    expect(KW_DAO_MEAN_REVERSION, &s, BAD, 0.3);
    NOW(s, BTC) = 101.9999;
    expect_barely(KW_DAO_MEAN_REVERSION, &s, GOOD);
    s = flat();
    expect(KW_DAO_MEAN_REVERSION, &s, GOOD, 0.9);
    NOW(s, BTC) = 101, NOW(s, ETH) = 99, NOW(s, XLM) = 101;
    expect(KW_DAO_MEAN_REVERSION, &s, GOOD, 0.6);
    NOW(s, BTC) = 103, NOW(s, ETH) = 97, NOW(s, XLM) = 100;
    expect(KW_DAO_MEAN_REVERSION, &s, BAD, 0.6);
    NOW(s, BTC) = 104, NOW(s, ETH) = 96;
    expect(KW_DAO_MEAN_REVERSION, &s, BAD, 0.9);
}

Test(dao, xlm_dominance)
{
    kw_market_snapshot s = flat();
    NOW(s, XLM) = 105;                             /* exactly 5% ahead of both */
    expect(KW_DAO_XLM_DOMINANCE, &s, BAD, 0.3);
    NOW(s, XLM) = 105.0001;
    expect_barely(KW_DAO_XLM_DOMINANCE, &s, GOOD);
    NOW(s, XLM) = 107.5;
    expect(KW_DAO_XLM_DOMINANCE, &s, GOOD, 0.6);
    NOW(s, XLM) = 110;
    expect(KW_DAO_XLM_DOMINANCE, &s, GOOD, 0.9);
    NOW(s, ETH) = 110, NOW(s, XLM) = 105.5;        /* ahead of BTC only: "or" */
    expect(KW_DAO_XLM_DOMINANCE, &s, GOOD, 0.36);
    s = flat();
    expect(KW_DAO_XLM_DOMINANCE, &s, BAD, 0.9);
    NOW(s, XLM) = 102.5;
    expect(KW_DAO_XLM_DOMINANCE, &s, BAD, 0.6);
}

Test(dao, kale_performance)
{
    kw_market_snapshot s = flat();
    NOW(s, KALE) = 102;
    expect(KW_DAO_KALE_PERFORMANCE, &s, BAD, 0.3);
    NOW(s, KALE) = 102.0001;
    expect_barely(KW_DAO_KALE_PERFORMANCE, &s, GOOD);
    NOW(s, KALE) = 104;
    expect(KW_DAO_KALE_PERFORMANCE, &s, GOOD, 0.6);
    NOW(s, KALE) = 106;
    expect(KW_DAO_KALE_PERFORMANCE, &s, GOOD, 0.9);
    NOW(s, KALE) = 100;
    expect(KW_DAO_KALE_PERFORMANCE, &s, BAD, 0.6);
    NOW(s, KALE) = 98;
    expect(KW_DAO_KALE_PERFORMANCE, &s, BAD, 0.9);
}

Test(dao, volatility_clustering)
{
    kw_market_snapshot s = flat();
    NOW(s, BTC) = 103, NOW(s, ETH) = 97;
    expect(KW_DAO_VOLATILITY_CLUSTERING, &s, BAD, 0.3);
    NOW(s, ETH) = 97.0001;
    expect_barely(KW_DAO_VOLATILITY_CLUSTERING, &s, GOOD);
    NOW(s, BTC) = 101.5, NOW(s, ETH) = 98.5, NOW(s, XLM) = 101.5;
    expect(KW_DAO_VOLATILITY_CLUSTERING, &s, GOOD, 0.6);
    s = flat();
    expect(KW_DAO_VOLATILITY_CLUSTERING, &s, GOOD, 0.9);
    NOW(s, BTC) = 106, NOW(s, ETH) = 94;
    expect(KW_DAO_VOLATILITY_CLUSTERING, &s, BAD, 0.9);
}

Test(dao, flight_to_safety)
{
    kw_market_snapshot s = flat();
    NOW(s, BTC) = 102, NOW(s, ETH) = 98, NOW(s, XLM) = 102;   /* mean |r| exactly 2% */
    expect(KW_DAO_FLIGHT_TO_SAFETY, &s, BAD, 0.3);
    NOW(s, XLM) = 102.0001;
    expect_barely(KW_DAO_FLIGHT_TO_SAFETY, &s, GOOD);
    NOW(s, BTC) = 104, NOW(s, ETH) = 96, NOW(s, XLM) = 104;   /* 4%: full on the crypto side */
    expect(KW_DAO_FLIGHT_TO_SAFETY, &s, GOOD, 0.9);
    NOW(s, USDT) = 1.0025, NOW(s, USDC) = 0.9975;             /* peg 0.25%: halfway */
    expect(KW_DAO_FLIGHT_TO_SAFETY, &s, GOOD, 0.6);
    NOW(s, USDT) = 1.005, NOW(s, USDC) = 0.995;               /* peg exactly 0.5% */
    expect(KW_DAO_FLIGHT_TO_SAFETY, &s, BAD, 0.3);
    NOW(s, USDT) = 1.0049;
    expect(KW_DAO_FLIGHT_TO_SAFETY, &s, GOOD, 0.306);
    NOW(s, USDT) = 1, NOW(s, USDC) = 1;
    NOW(s, BTC) = 103, NOW(s, ETH) = 97, NOW(s, XLM) = 103;
    expect(KW_DAO_FLIGHT_TO_SAFETY, &s, GOOD, 0.6);
    s = flat();
    expect(KW_DAO_FLIGHT_TO_SAFETY, &s, BAD, 0.9);
}

Test(dao, cross_chain_stress)
{
    kw_market_snapshot s = flat();
    NOW(s, BTC) = 104, NOW(s, ETH) = 96;           /* two calm chains, two at exactly 4% */
    expect(KW_DAO_CROSS_CHAIN_STRESS, &s, BAD, 0.3);
    NOW(s, ETH) = 96.0001;
    expect_barely(KW_DAO_CROSS_CHAIN_STRESS, &s, GOOD);
    s = flat();
    NOW(s, SOL) = 150;
    expect(KW_DAO_CROSS_CHAIN_STRESS, &s, GOOD, 0.9);
    NOW(s, BTC) = 102, NOW(s, ETH) = 102, NOW(s, XLM) = 98;
    expect(KW_DAO_CROSS_CHAIN_STRESS, &s, GOOD, 0.6);
    s = flat();
    NOW(s, BTC) = 108, NOW(s, ETH) = 108, NOW(s, XLM) = 92, NOW(s, SOL) = 108;
    expect(KW_DAO_CROSS_CHAIN_STRESS, &s, BAD, 0.9);
}

Test(dao, stellar_dex_health)
{
    kw_market_snapshot s = flat();
    NOW(s, XLM) = 98, NOW(s, KALE) = 98;           /* two at exactly −2% */
    expect(KW_DAO_STELLAR_DEX_HEALTH, &s, BAD, 0.3);
    NOW(s, KALE) = 98.0001;
    expect_barely(KW_DAO_STELLAR_DEX_HEALTH, &s, GOOD);
    NOW(s, KALE) = 100;
    expect(KW_DAO_STELLAR_DEX_HEALTH, &s, GOOD, 0.6);
    NOW(s, XLM) = 102, NOW(s, KALE) = 102, NOW(s, AQUA) = 102, NOW(s, EURC) = 1.02;
    expect(KW_DAO_STELLAR_DEX_HEALTH, &s, GOOD, 0.9);
    s = flat();
    NOW(s, XLM) = 94, NOW(s, KALE) = 94, NOW(s, EURC) = 0.98;
    expect(KW_DAO_STELLAR_DEX_HEALTH, &s, BAD, 0.9);
}

Test(dao, aqua_network)
{
    kw_market_snapshot s = flat();
    expect(KW_DAO_AQUA_NETWORK, &s, GOOD, 0.3);    /* health 0 + 1 + 1 = 2 */
    NOW(s, AQUA) = 101;                            /* +1% exactly is not "> 1%" */
    expect(KW_DAO_AQUA_NETWORK, &s, GOOD, 0.3);
    NOW(s, AQUA) = 101.0001;                       /* 2 + 1 + 1 = 4 */
    expect(KW_DAO_AQUA_NETWORK, &s, GOOD, 0.9);
    NOW(s, AQUA) = 103;                            /* 2 + 0 + 1 = 3 */
    expect(KW_DAO_AQUA_NETWORK, &s, GOOD, 0.6);
    NOW(s, AQUA) = 97;                             /* 0 + 0 + 1 = 1 */
    expect(KW_DAO_AQUA_NETWORK, &s, BAD, 0.3);
    NOW(s, USDC) = 1.005;                          /* 0 + 0 + 0 = 0 */
    expect(KW_DAO_AQUA_NETWORK, &s, BAD, 0.6);
    NOW(s, AQUA) = 100;                            /* 0 + 1 + 0 = 1 */
    expect(KW_DAO_AQUA_NETWORK, &s, BAD, 0.3);
    NOW(s, USDC) = 1.0049;                         /* 0 + 1 + 1 = 2 */
    expect(KW_DAO_AQUA_NETWORK, &s, GOOD, 0.3);
}

Test(dao, regional_token)
{
    kw_market_snapshot s = flat();
    NOW(s, EUR) = 98, NOW(s, GBP) = 98;            /* both fell exactly their 2% */
    expect(KW_DAO_REGIONAL_TOKEN, &s, GOOD, 0.3);
    NOW(s, EUR) = 97.9999, NOW(s, GBP) = 97.9999;
    expect_barely(KW_DAO_REGIONAL_TOKEN, &s, BAD);
    NOW(s, EUR) = 96, NOW(s, GBP) = 96;
    expect(KW_DAO_REGIONAL_TOKEN, &s, BAD, 0.9);
    s = flat();
    NOW(s, CAD) = 97, NOW(s, BRL) = 95;            /* CAD 3% and BRL 5%: at their limits */
    expect(KW_DAO_REGIONAL_TOKEN, &s, GOOD, 0.3);
    NOW(s, CAD) = 96.9, NOW(s, BRL) = 94.9;
    expect(KW_DAO_REGIONAL_TOKEN, &s, BAD, 0.312);
    s = flat();
    NOW(s, EUR) = 90;                              /* one crash alone is not regional stress */
    expect(KW_DAO_REGIONAL_TOKEN, &s, GOOD, 0.9);
    NOW(s, EUR) = 99, NOW(s, GBP) = 99;
    expect(KW_DAO_REGIONAL_TOKEN, &s, GOOD, 0.6);
}

/* BTC follows x, ETH follows x + b·z (x ⟂ z, both zero-mean), so
 * corr = sqrt(10) / sqrt(10 + 8 b²); b = sqrt(3.75) gives 0.5. The last
 * block return of both is 0. */
static void correlated(kw_market_snapshot *s, double b)
{
    static const double x[11] = {1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 0};
    static const double z[11] = {1, 1, -1, -1, 1, 1, -1, -1, 0, 0, 0};
    s->price[KW_ASSET_BTC][11] = 100;
    s->price[KW_ASSET_ETH][11] = 100;
    for (int i = 0; i < 11; i++) {
        int k = 10 - i;
        s->price[KW_ASSET_BTC][k] = s->price[KW_ASSET_BTC][k + 1] * (1 + 0.001 * x[i]);
        s->price[KW_ASSET_ETH][k] = s->price[KW_ASSET_ETH][k + 1] * (1 + 0.001 * (x[i] + b * z[i]));
    }
}

Test(dao, correlation_breakdown)
{
    kw_market_snapshot s = flat();
    kw_dao_vote v = run(KW_DAO_CORRELATION_BREAKDOWN, &s);
    cr_assert(v.abstain, "flat prices have no correlation: %s", v.reasoning);

    double half = sqrt(3.75);
    correlated(&s, 0);                             /* corr 1 */
    double c;
    cr_assert(kw_snapshot_correlation(&s, KW_ASSET_BTC, KW_ASSET_ETH, &c));
    cr_assert_float_eq(c, 1.0, 1e-9);
    expect(KW_DAO_CORRELATION_BREAKDOWN, &s, BAD, 0.9);
    NOW(s, EUR) = 97, NOW(s, XLM) = 103;           /* both gaps exactly 3% */
    expect(KW_DAO_CORRELATION_BREAKDOWN, &s, BAD, 0.3);
    NOW(s, EUR) = 94, NOW(s, XLM) = 106;
    expect(KW_DAO_CORRELATION_BREAKDOWN, &s, GOOD, 0.9);

    s = flat();
    correlated(&s, half);
    cr_assert(kw_snapshot_correlation(&s, KW_ASSET_BTC, KW_ASSET_ETH, &c));
    cr_assert_float_eq(c, 0.5, 1e-3);
    correlated(&s, half * 1.0005);                   /* corr just below 0.5 */
    NOW(s, EUR) = 96.9;                            /* and BTC−EUR just past 3% */
    expect_barely(KW_DAO_CORRELATION_BREAKDOWN, &s, GOOD);
    correlated(&s, half * 0.9995);                   /* corr just above 0.5 */
    expect_barely(KW_DAO_CORRELATION_BREAKDOWN, &s, BAD);
}

Test(dao, liquidity_premium)
{
    kw_market_snapshot s = flat();
    NOW(s, BTC) = 101.5, NOW(s, ETH) = 98.5;       /* scores exactly 0.7 */
    expect(KW_DAO_LIQUIDITY_PREMIUM, &s, BAD, 0.3);
    NOW(s, ETH) = 98.5001;
    expect_barely(KW_DAO_LIQUIDITY_PREMIUM, &s, GOOD);
    s = flat();
    expect(KW_DAO_LIQUIDITY_PREMIUM, &s, GOOD, 0.9);
    NOW(s, BTC) = 101.5, NOW(s, USDT) = 1.0015;    /* USDT 1 − 200·0.15% = 0.7 */
    expect(KW_DAO_LIQUIDITY_PREMIUM, &s, BAD, 0.3);
    s = flat();
    NOW(s, BTC) = 100.75, NOW(s, ETH) = 99.25, NOW(s, XLM) = 100.75;
    expect(KW_DAO_LIQUIDITY_PREMIUM, &s, GOOD, 0.6);
    NOW(s, BTC) = 103, NOW(s, ETH) = 97, NOW(s, XLM) = 103;
    expect(KW_DAO_LIQUIDITY_PREMIUM, &s, BAD, 0.9);
}

Test(dao, stablecoin_peg)
{
    kw_market_snapshot s = flat();
    expect(KW_DAO_STABLECOIN_PEG, &s, GOOD, 0.9);
    NOW(s, USDT) = 1.005;                          /* within 0.5%, at the edge */
    expect(KW_DAO_STABLECOIN_PEG, &s, GOOD, 0.3);
    NOW(s, USDT) = 0.995;
    expect(KW_DAO_STABLECOIN_PEG, &s, GOOD, 0.3);
    NOW(s, USDT) = 1.00501;
    expect_barely(KW_DAO_STABLECOIN_PEG, &s, BAD);
    NOW(s, USDT) = 1, NOW(s, USDC) = 0.9975;
    expect(KW_DAO_STABLECOIN_PEG, &s, GOOD, 0.6);
    NOW(s, USDC) = 1.0125;
    expect(KW_DAO_STABLECOIN_PEG, &s, BAD, 0.6);
    NOW(s, USDC) = 0.98;
    expect(KW_DAO_STABLECOIN_PEG, &s, BAD, 0.9);
    NOW(s, USDC) = 0.9;
    expect(KW_DAO_STABLECOIN_PEG, &s, BAD, 0.9);
    cr_assert(strstr(run(KW_DAO_STABLECOIN_PEG, &s).reasoning, "more than 2%"));
}

static void trend(kw_market_snapshot *s, kw_asset a, double p11, double p3, double p1, double p0)
{
    for (int k = 4; k < 12; k++)
        s->price[a][k] = p11;
    s->price[a][3] = s->price[a][2] = p3;
    s->price[a][1] = p1;
    s->price[a][0] = p0;
}

Test(dao, multi_timeframe)
{
    kw_market_snapshot s = flat();
    expect(KW_DAO_MULTI_TIMEFRAME, &s, BAD, 0.3);  /* zero has no sign */
    trend(&s, KW_ASSET_BTC, 100, 100, 100, 101);
    trend(&s, KW_ASSET_ETH, 100, 100, 100, 101);
    expect(KW_DAO_MULTI_TIMEFRAME, &s, GOOD, 0.9);
    trend(&s, KW_ASSET_BTC, 100, 100, 100, 99);    /* down on every scale is aligned too */
    trend(&s, KW_ASSET_ETH, 100, 100, 100, 99);
    expect(KW_DAO_MULTI_TIMEFRAME, &s, GOOD, 0.9);
    trend(&s, KW_ASSET_BTC, 100, 100, 100, 100.5);
    trend(&s, KW_ASSET_ETH, 100, 100, 100, 100.5);
    expect(KW_DAO_MULTI_TIMEFRAME, &s, GOOD, 0.6);
    trend(&s, KW_ASSET_BTC, 100, 100, 100, 100.0001);
    trend(&s, KW_ASSET_ETH, 100, 100, 100, 100.0001);
    expect_barely(KW_DAO_MULTI_TIMEFRAME, &s, GOOD);
    trend(&s, KW_ASSET_ETH, 100, 100, 100.0002, 100.0001); /* 5-min down, rest up */
    expect_barely(KW_DAO_MULTI_TIMEFRAME, &s, BAD);
    trend(&s, KW_ASSET_ETH, 101, 100, 99, 98);     /* ETH down on every scale, BTC barely up */
    expect_barely(KW_DAO_MULTI_TIMEFRAME, &s, GOOD);

    s = flat();
    s.price[KW_ASSET_XLM][11] = 0;
    kw_dao_vote v = run(KW_DAO_MULTI_TIMEFRAME, &s);
    cr_assert(v.abstain);
    cr_assert(strstr(v.reasoning, "XLM") && strstr(v.reasoning, "11 blocks"), "%s", v.reasoning);
}

Test(dao, volume_price)
{
    kw_market_snapshot s = flat();
    NOW(s, BTC) = 101.5, NOW(s, ETH) = 101.5;      /* 1.5% exactly is not strong */
    expect(KW_DAO_VOLUME_PRICE, &s, BAD, 0.3);
    NOW(s, BTC) = 101.5001, NOW(s, ETH) = 101.5001;
    expect_barely(KW_DAO_VOLUME_PRICE, &s, GOOD);
    NOW(s, BTC) = 103, NOW(s, ETH) = 103;
    expect(KW_DAO_VOLUME_PRICE, &s, GOOD, 0.9);
    NOW(s, BTC) = 97, NOW(s, ETH) = 97;
    expect(KW_DAO_VOLUME_PRICE, &s, GOOD, 0.9);
    NOW(s, BTC) = 103, NOW(s, ETH) = 97;           /* strong but opposite */
    expect(KW_DAO_VOLUME_PRICE, &s, BAD, 0.9);
    NOW(s, BTC) = 102.25, NOW(s, ETH) = 102.25;    /* strong margin 0.5, same-way 1.25 */
    expect(KW_DAO_VOLUME_PRICE, &s, GOOD, 0.6);
    s = flat();
    expect(KW_DAO_VOLUME_PRICE, &s, BAD, 0.9);
}

Test(dao, abstains_without_data)
{
    kw_market_snapshot s;
    kw_snapshot_clear(&s, 7, 0);
    kw_dao_vote v[KW_DAO_COUNT];
    kw_dao_evaluate_all(&s, v);
    for (int i = 0; i < KW_DAO_COUNT; i++) {
        cr_assert_eq(v[i].dao, (kw_dao_id)i);
        cr_assert(v[i].abstain, "%s voted on no data", kw_dao_info_of((kw_dao_id)i)->id);
        cr_assert(strstr(v[i].reasoning, "abstains"), "%s", v[i].reasoning);
    }
}

Test(dao, a_missing_asset_silences_only_its_readers)
{
    kw_market_snapshot s = flat();
    NOW(s, KALE) = 0;
    kw_dao_vote v[KW_DAO_COUNT];
    kw_dao_evaluate_all(&s, v);
    for (int i = 0; i < KW_DAO_COUNT; i++) {
        bool reads_kale = i == KW_DAO_KALE_PERFORMANCE || i == KW_DAO_STELLAR_DEX_HEALTH;
        bool corr = i == KW_DAO_CORRELATION_BREAKDOWN;   /* flat prices: no correlation */
        cr_assert_eq(v[i].abstain, reads_kale || corr, "%s: %s", kw_dao_info_of((kw_dao_id)i)->id,
                     v[i].reasoning);
    }
    cr_assert(strstr(v[KW_DAO_KALE_PERFORMANCE].reasoning, "current KALE"));

    s = flat();
    s.price[KW_ASSET_XLM][1] = NAN;                /* a garbage price is missing, not a number */
    kw_dao_evaluate_all(&s, v);
    cr_assert(v[KW_DAO_CRYPTO_MOMENTUM].abstain);
    cr_assert(v[KW_DAO_XLM_DOMINANCE].abstain);
    cr_assert_not(v[KW_DAO_STABLECOIN_PEG].abstain);
    cr_assert_not(v[KW_DAO_REGIONAL_TOKEN].abstain);
    s = flat();
    s.price[KW_ASSET_USDT][0] = -1;
    kw_dao_evaluate_all(&s, v);
    cr_assert(v[KW_DAO_STABLECOIN_PEG].abstain);
    cr_assert(v[KW_DAO_LIQUIDITY_PREMIUM].abstain);
    cr_assert(v[KW_DAO_FLIGHT_TO_SAFETY].abstain);
    cr_assert_not(v[KW_DAO_AQUA_NETWORK].abstain);
}

/* Over many random markets every vote stays within [0.3, 0.9]. */
Test(dao, confidence_always_in_range)
{
    kw_prng g = kw_prng_init(42, 0);
    for (int n = 0; n < 2000; n++) {
        kw_market_snapshot s = flat();
        double scale = n % 3 == 0 ? 0.002 : n % 3 == 1 ? 0.02 : 0.1;
        for (int a = 0; a < KW_ASSET_COUNT; a++)
            for (int k = 0; k < KW_SNAPSHOT_LEN; k++)
                s.price[a][k] *= exp(scale * kw_prng_normal(&g));
        kw_dao_vote v[KW_DAO_COUNT];
        kw_dao_evaluate_all(&s, v);
        for (int i = 0; i < KW_DAO_COUNT; i++) {
            cr_assert_not(v[i].abstain);
            cr_assert(v[i].confidence_ppm >= 300000 && v[i].confidence_ppm <= 900000);
        }
    }
}
