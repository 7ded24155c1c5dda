#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/consensus.h"
#include "feeds/market.h"

static kw_market_feed sim(uint64_t seed)
{
    kw_market_feed f;
    cr_assert_eq(kw_market_sim_open(seed, &f, NULL), 0);
    return f;
}

static kw_market_snapshot at(kw_market_feed *f, uint32_t block)
{
    kw_market_query q = {.block = block, .timestamp = 1700000000 + 300 * (int64_t)block, .interval_s = 300};
    kw_market_snapshot s;
    cr_assert_eq(f->snapshot(f->state, &q, &s, NULL), 0);
    return s;
}

Test(market_sim, same_seed_same_prices)
{
    kw_market_feed a = sim(7), b = sim(7), c = sim(8);
    int differ = 0;
    for (uint32_t blk = 0; blk < 3000; blk += 7) {
        kw_market_snapshot sa = at(&a, blk), sb = at(&b, blk), sc = at(&c, blk);
        cr_assert_eq(memcmp(&sa, &sb, sizeof sa), 0, "block %u", blk);
        differ += memcmp(&sa.price, &sc.price, sizeof sa.price) != 0;
    }
    cr_assert_gt(differ, 400);
    kw_market_close(&a);
    kw_market_close(&b);
    kw_market_close(&c);
    kw_market_close(&c);   /* idempotent */
}

Test(market_sim, prices_do_not_depend_on_query_order)
{
    kw_market_feed forward = sim(3), jumpy = sim(3);
    kw_market_snapshot want[50];
    for (uint32_t i = 0; i < 50; i++)
        want[i] = at(&forward, 1000 + i * 13);
    for (int i = 49; i >= 0; i--) {           /* backwards: every query restarts the walk */
        kw_market_snapshot got = at(&jumpy, 1000 + (uint32_t)i * 13);
        cr_assert_eq(memcmp(&got, &want[i], sizeof got), 0, "block %u", 1000 + i * 13);
    }
    /* The window of one snapshot is the walk itself: point k of block b is point 0 of block b − k. */
    kw_market_snapshot s = at(&forward, 2000), back = at(&forward, 1995);
    for (int a = 0; a < KW_ASSET_COUNT; a++)
        cr_assert_eq(s.price[a][5], back.price[a][0]);
    kw_market_close(&forward);
    kw_market_close(&jumpy);
}

Test(market_sim, the_first_blocks_have_a_short_history)
{
    kw_market_feed f = sim(1);
    kw_market_snapshot s = at(&f, 3);
    double p;
    for (int a = 0; a < KW_ASSET_COUNT; a++)
        for (unsigned k = 0; k < KW_SNAPSHOT_LEN; k++)
            cr_assert_eq(kw_snapshot_price(&s, (kw_asset)a, k, &p), k <= 3);
    cr_assert_eq(s.block, 3);
    kw_market_close(&f);
}

Test(market_sim, plausible_markets)
{
    enum { BLOCKS = 20000 };
    kw_market_feed f = sim(11);
    int pegged = 0;
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, fx_max = 0, btc_lo = 1e18, btc_hi = 0;
    for (uint32_t b = 1; b <= BLOCKS; b++) {
        kw_market_snapshot s = at(&f, b);
        for (int a = 0; a < KW_ASSET_COUNT; a++)
            cr_assert(isfinite(s.price[a][0]) && s.price[a][0] > 0);
        double usdt = s.price[KW_ASSET_USDT][0], usdc = s.price[KW_ASSET_USDC][0];
        cr_assert(fabs(usdt - 1) < 0.1 && fabs(usdc - 1) < 0.1, "block %u: %f %f", b, usdt, usdc);
        pegged += fabs(usdt - 1) < 0.005 && fabs(usdc - 1) < 0.005;
        cr_assert(fabs(s.price[KW_ASSET_EURC][0] / s.price[KW_ASSET_EUR][0] - 1) < 0.01);
        for (int a = KW_ASSET_EUR; a <= KW_ASSET_BRL; a++) {
            double r;
            cr_assert(kw_snapshot_return(&s, (kw_asset)a, 1, &r));
            fx_max = fmax(fx_max, fabs(r));
        }
        double rb, re;
        cr_assert(kw_snapshot_return(&s, KW_ASSET_BTC, 1, &rb));
        cr_assert(kw_snapshot_return(&s, KW_ASSET_ETH, 1, &re));
        sx += rb, sy += re, sxx += rb * rb, syy += re * re, sxy += rb * re;
        btc_lo = fmin(btc_lo, s.price[KW_ASSET_BTC][0]);
        btc_hi = fmax(btc_hi, s.price[KW_ASSET_BTC][0]);
    }
    double n = BLOCKS, corr = (sxy - sx * sy / n) / sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
    cr_assert(corr > 0.6, "BTC/ETH correlation %f", corr);
    cr_assert(pegged > 0.9 * BLOCKS, "pegged %d", pegged);
    cr_assert(fx_max < 0.02, "FX moved %f in one block", fx_max);
    cr_assert(btc_lo > 65000 / 10.0 && btc_hi < 65000 * 10.0, "BTC %f..%f", btc_lo, btc_hi);
    kw_market_close(&f);
}

/* Regimes make both outcomes happen, and each DAO sees both sides of its rule. */
Test(market_sim, both_outcomes_happen)
{
    kw_market_feed f = sim(1);
    kw_dao_record r[KW_DAO_COUNT];
    for (int i = 0; i < KW_DAO_COUNT; i++)
        kw_dao_record_seed((kw_dao_id)i, 0, &r[i]);
    int outcome[2] = {0, 0}, votes[KW_DAO_COUNT][2] = {{0}};
    uint8_t ent[32] = {0};
    for (uint32_t c = 2; c < 2002; c++) {
        kw_market_snapshot s = at(&f, c * 10);
        kw_dao_vote v[KW_DAO_COUNT];
        kw_dao_evaluate_all(&s, v);
        kw_consensus k;
        ent[0] = (uint8_t)c;
        cr_assert_eq(kw_consensus_decide(c, ent, r, v, KW_DAO_COUNT, &k, NULL), 0);
        outcome[k.outcome]++;
        for (int i = 0; i < KW_DAO_COUNT; i++)
            if (!v[i].abstain)
                votes[i][v[i].prediction]++;
    }
    cr_assert(outcome[KW_OUTCOME_BAD] > 100 && outcome[KW_OUTCOME_GOOD] > 100, "GOOD %d BAD %d",
              outcome[KW_OUTCOME_GOOD], outcome[KW_OUTCOME_BAD]);
    int both = 0;
    for (int i = 0; i < KW_DAO_COUNT; i++)
        both += votes[i][0] > 0 && votes[i][1] > 0;
    /* regional-token needs two currencies to fall 2–5% within one block: never in a sane market */
    cr_assert_geq(both, KW_DAO_COUNT - 1);
    kw_market_close(&f);
}

static kw_price_history *parse_ok(const char *text)
{
    kw_price_history *h;
    kw_err e = {0};
    cr_assert_eq(kw_price_history_parse(text, strlen(text), "t.csv", &h, &e), 0, "%s", e.msg);
    return h;
}

static void parse_fails(const char *text, const char *where, const char *what)
{
    kw_price_history *h = (kw_price_history *)1;
    kw_err e = {0};
    cr_assert_eq(kw_price_history_parse(text, strlen(text), "t.csv", &h, &e), KW_EINVAL, "accepted: %s", text);
    cr_assert_null(h);
    cr_assert(strstr(e.msg, where), "want \"%s\" in \"%s\"", where, e.msg);
    cr_assert(strstr(e.msg, what), "want \"%s\" in \"%s\"", what, e.msg);
}

Test(market_csv, parses_and_snapshots)
{
    kw_price_history *h = parse_ok("timestamp,asset,price\r\n"
                                   "1000,BTC,100\r\n"
                                   "1000,USDT,1.001\r\n"
                                   "1300,BTC,101.5\r\n"
                                   "1970-01-01T00:26:40Z,BTC,99\n"   /* 1600 */
                                   "1900,BTC,98\n"
                                   "2500,BTC,97");                   /* 1900 → 2500 skips a block */
    const int64_t *t;
    cr_assert_eq(kw_price_history_times(h, &t), 5);
    cr_assert_eq(t[0], 1000);
    cr_assert_eq(t[2], 1600);
    cr_assert_eq(t[4], 2500);
    cr_assert_eq(kw_price_history_interval(h), 300);

    kw_market_snapshot s;
    kw_price_history_snapshot(h, 1900, 300, &s);
    cr_assert_eq(s.timestamp, 1900);
    cr_assert_float_eq(s.price[KW_ASSET_BTC][0], 98, 1e-12);
    cr_assert_float_eq(s.price[KW_ASSET_BTC][1], 99, 1e-12);
    cr_assert_float_eq(s.price[KW_ASSET_BTC][2], 101.5, 1e-12);
    cr_assert_float_eq(s.price[KW_ASSET_BTC][3], 100, 1e-12);
    cr_assert_eq(s.price[KW_ASSET_BTC][4], 0);
    cr_assert_float_eq(s.price[KW_ASSET_USDT][3], 1.001, 1e-12);
    cr_assert_eq(s.price[KW_ASSET_USDT][0], 0, "a price older than one interval is stale");
    cr_assert_eq(s.price[KW_ASSET_ETH][0], 0);
    /* Between rows: the last price at or before each point, if younger than Δ. */
    kw_price_history_snapshot(h, 2200, 300, &s);
    cr_assert_eq(s.price[KW_ASSET_BTC][0], 0);         /* 1900 is 300 old: stale */
    cr_assert_float_eq(s.price[KW_ASSET_BTC][1], 98, 1e-12);
    kw_price_history_snapshot(h, 2100, 300, &s);
    cr_assert_float_eq(s.price[KW_ASSET_BTC][0], 98, 1e-12);
    kw_price_history_snapshot(h, 2100, 0, &s);
    cr_assert_eq(s.price[KW_ASSET_BTC][0], 0);

    kw_market_feed f;
    cr_assert_eq(kw_market_csv_open_take(h, &f, NULL), 0);
    kw_market_query q = {.block = 42, .timestamp = 1900, .interval_s = 300};
    cr_assert_eq(f.snapshot(f.state, &q, &s, NULL), 0);
    cr_assert_eq(s.block, 42);
    cr_assert_float_eq(s.price[KW_ASSET_BTC][1], 99, 1e-12);
    kw_market_close(&f);
}

Test(market_csv, strict_errors_name_the_line)
{
    parse_fails("", "t.csv", "no prices");
    parse_fails("timestamp,asset,price\n", "t.csv", "no prices");
    parse_fails("1000,BTC,100\n1000,DOGE,1\n", "t.csv:2", "unknown asset \"DOGE\"");
    parse_fails("1000,btc,100\n", "t.csv:1", "unknown asset");
    parse_fails("1000,BTC,1e3\n", "t.csv:1", "price \"1e3\"");
    parse_fails("1000,BTC,-5\n", "t.csv:1", "price");
    parse_fails("1000,BTC,+5\n", "t.csv:1", "price");
    parse_fails("1000,BTC,5.\n", "t.csv:1", "price");
    parse_fails("1000,BTC,.5\n", "t.csv:1", "price");
    parse_fails("1000,BTC,0\n", "t.csv:1", "price");
    parse_fails("1000,BTC,0.000\n", "t.csv:1", "price");
    parse_fails("1000,BTC,1,000\n", "t.csv:1", "expected timestamp,asset,price");
    parse_fails("1000,BTC,\n", "t.csv:1", "price");
    parse_fails("1000,BTC\n", "t.csv:1", "expected timestamp,asset,price");
    parse_fails("1000, BTC,100\n", "t.csv:1", "unknown asset");
    parse_fails("1000,BTC,100 \n", "t.csv:1", "price");
    parse_fails("-1000,BTC,100\n", "t.csv:1", "timestamp");
    parse_fails("2024-02-30T00:00:00Z,BTC,100\n", "t.csv:1", "timestamp");
    parse_fails("2024-01-01 00:00:00,BTC,100\n", "t.csv:1", "timestamp");
    parse_fails("2024-01-01T00:00:00+01:00,BTC,100\n", "t.csv:1", "timestamp");
    parse_fails("2000,BTC,100\n1000,ETH,100\n", "t.csv:2", "goes back in time");
    parse_fails("1000,BTC,100\n1000,ETH,1\n1000,BTC,101\n", "t.csv:3", "second BTC price");
    parse_fails("1000,BTC,100\n\n1300,BTC,100\n", "t.csv:2", "empty line");
    parse_fails("1000,BTC,100\n\n", "t.csv:2", "empty line");
    parse_fails("Timestamp,Asset,Price\n1000,BTC,100\n", "t.csv:1", "timestamp");
    parse_fails("1000,BTC,100\ntimestamp,asset,price\n", "t.csv:2", "timestamp");
    static const char nul[] = "1000,BTC,1\0000\n";
    kw_price_history *h;
    kw_err e;
    cr_assert_eq(kw_price_history_parse(nul, sizeof nul - 1, "n.csv", &h, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "n.csv:1"), "%s", e.msg);
}

Test(market_csv, load_and_open_from_settings)
{
    char path[] = "/tmp/kalewx-market-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    static const char text[] = "timestamp,asset,price\n1700000000,BTC,65000\n1700000300,BTC,65100.25\n";
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);

    kw_config cfg;
    kw_err e;
    cr_assert_eq(kw_config_init(&cfg), 0);
    kw_market_feed f;
    cr_assert_eq(kw_market_open(&cfg, &f, &e), 0, "%s", e.msg);
    cr_assert_str_eq(f.name, "sim");
    kw_market_close(&f);

    cr_assert_eq(kw_config_set(&cfg, KW_CFG_MARKET_FEED, "csv", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_market_open(&cfg, &f, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "MARKET_CSV"), "%s", e.msg);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_MARKET_CSV, "/nonexistent/prices.csv", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_market_open(&cfg, &f, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "/nonexistent/prices.csv"), "%s", e.msg);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_MARKET_CSV, path, KW_SRC_FLAG, &e), 0);
    cr_assert_eq(kw_market_open(&cfg, &f, &e), 0, "%s", e.msg);
    cr_assert_str_eq(f.name, "csv");
    kw_market_query q = {.block = 9, .timestamp = 1700000300, .interval_s = 300};
    kw_market_snapshot s;
    cr_assert_eq(f.snapshot(f.state, &q, &s, NULL), 0);
    double r;
    cr_assert(kw_snapshot_return(&s, KW_ASSET_BTC, 1, &r));
    cr_assert_float_eq(r, 100.25 / 65000, 1e-12);
    kw_market_close(&f);

    cr_assert_eq(kw_config_set(&cfg, KW_CFG_MARKET_FEED, "reflector", KW_SRC_FLAG, &e), 0);
    cr_assert_eq(kw_market_open(&cfg, &f, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "reflector"), "%s", e.msg);
    kw_config_free(&cfg);
    unlink(path);
}
