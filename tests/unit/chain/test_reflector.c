/* The Reflector market feed against the loopback RPC: symbols and Stellar
 * assets, decimals, USDC-quoted prices converted to USD, lags from
 * timestamps, missing and stale series, RPC faults, and opening by settings. */
#include <criterion/criterion.h>
#include <string.h>

#include "chain/soroban/reflector.h"
#include "crypto/strkey.h"
#include "feeds/market.h"
#include "rpc_stub.h"
#include "xdr_util.h"

#define TESTNET "Test SDF Network ; September 2015"
#define P14(x) ((__int128)((x) * 1e14))

static uint8_t farm[32], asset[32], cex[32], dex[32];
static stub *S;
static kw_market_feed F;

static void sac(const char *code, const char *issuer, uint8_t out[32])
{
    kw_tl_asset a = {.type = 1};
    uint8_t id[32];
    memcpy(a.code, code, strlen(code));
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, issuer, a.issuer, NULL), 0);
    kw_sha256(TESTNET, strlen(TESTNET), id);
    cr_assert_eq(kw_xdr_sac_contract_id(id, &a, out), 0);
}

static void setup(void)
{
    t_raw32(T_FARM_HEX, farm);
    memset(asset, 0xa5, 32);
    memset(cex, 0x0c, 32);
    memset(dex, 0x0d, 32);
    S = stub_start(farm, asset, cex);
    uint8_t usdc[32], kale[32], eurc[32];
    sac("USDC", "GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN", usdc);
    sac("KALE", "GBDVX4VELCDSQ54KQJYTNHXAHFLBCA77ZY2USQBM4CSHTTV7DME7KALE", kale);
    sac("EURC", "GDHU6WRG4IEQXM5NZ4BMPKOXHW76MZM4Y2IEMFDVXBSDP6SJY4ITNPP2", eurc);
    stub_oracle2(S, dex, usdc);
    stub_price(S, "BTC", NULL, P14(65000));
    stub_price(S, "ETH", NULL, P14(3000));
    stub_price(S, "XLM", NULL, P14(0.4));
    stub_price(S, "SOL", NULL, P14(150));
    stub_price(S, "USDT", NULL, P14(1.0));
    stub_price(S, "USDC", NULL, P14(0.998));
    stub_price(S, "EUR", NULL, P14(1.08));
    stub_price(S, "GBP", NULL, P14(1.27));
    stub_price(S, "CAD", NULL, P14(0.73));
    stub_price(S, NULL, kale, P14(0.002));
    stub_price(S, NULL, eurc, P14(1.07));
    char cex_id[KW_STRKEY_BUFSZ], dex_id[KW_STRKEY_BUFSZ];
    kw_strkey_encode(KW_STRKEY_CONTRACT, cex, cex_id);
    kw_strkey_encode(KW_STRKEY_CONTRACT, dex, dex_id);
    /* mainnet issuers, hashed under the stub's (testnet) passphrase */
    kw_reflector_opts o = {.network = "mainnet", .rpc_url = stub_url(S), .passphrase = TESTNET, .cex = cex_id,
                           .fx = cex_id, .dex = dex_id, .rpc_attempts = 2, .rpc_timeout_ms = 5000};
    kw_err e = {0};
    cr_assert_eq(kw_market_reflector_open(&o, &F, &e), 0, "%s", e.msg);
}

static void teardown(void)
{
    kw_market_close(&F);
    stub_stop(S);
}

TestSuite(reflector, .init = setup, .fini = teardown);

Test(reflector, snapshot_in_usd_one_block_apart)
{
    kw_market_query q = {.block = 30000, .timestamp = 1752700000, .interval_s = 300};
    kw_market_snapshot s;
    kw_err e = {0};
    cr_assert_str_eq(F.name, "reflector");
    cr_assert_eq(F.snapshot(F.state, &q, &s, &e), 0, "%s", e.msg);
    cr_assert_eq(s.block, 30000);
    double p;
    cr_assert(kw_snapshot_price(&s, KW_ASSET_BTC, 0, &p));
    cr_assert_float_eq(p, 65000.0, 1e-9);
    cr_assert(kw_snapshot_price(&s, KW_ASSET_BTC, 11, &p));
    cr_assert_float_eq(p, 65000.0 - 11 * 65.0, 1e-9, "lag 11 is 11 records back");
    double r;
    cr_assert(kw_snapshot_return(&s, KW_ASSET_BTC, 1, &r));
    cr_assert_float_eq(r, 65.0 / (65000.0 - 65.0), 1e-9);
    cr_assert(kw_snapshot_price(&s, KW_ASSET_EUR, 0, &p));
    cr_assert_float_eq(p, 1.08, 1e-12);
    /* the DEX oracle quotes in USDC: KALE in USD = KALE/USDC × USDC/USD, per lag */
    cr_assert(kw_snapshot_price(&s, KW_ASSET_KALE, 0, &p));
    cr_assert_float_eq(p, 0.002 * 0.998, 1e-15);
    cr_assert(kw_snapshot_price(&s, KW_ASSET_KALE, 3, &p));
    cr_assert_float_eq(p, 0.002 * 0.997 * 0.998 * 0.997, 1e-15);
    cr_assert(kw_snapshot_price(&s, KW_ASSET_EURC, 0, &p));
    cr_assert_float_eq(p, 1.07 * 0.998, 1e-12);
    cr_assert_not(kw_snapshot_price(&s, KW_ASSET_BRL, 0, &p), "not quoted: missing, not guessed");
    cr_assert_not(kw_snapshot_price(&s, KW_ASSET_AQUA, 0, &p));
}

Test(reflector, stale_series_are_missing)
{
    kw_market_query q = {.block = 30012, .timestamp = 1752700000 + 3600, .interval_s = 300};
    kw_market_snapshot s;
    kw_err e = {0};
    cr_assert_eq(F.snapshot(F.state, &q, &s, &e), 0, "%s", e.msg);
    double p;
    for (int a = 0; a < KW_ASSET_COUNT; a++)
        cr_assert_not(kw_snapshot_price(&s, (kw_asset)a, 0, &p), "%s", kw_asset_name((kw_asset)a));
}

Test(reflector, rpc_failures_surface_and_recover)
{
    kw_market_query q = {.block = 30000, .timestamp = 1752700000, .interval_s = 300};
    kw_market_snapshot s;
    kw_err e = {0};
    stub_fault(S, "simulateTransaction", SF_HTTP_503, 2, 0, NULL);
    cr_assert_eq(F.snapshot(F.state, &q, &s, &e), KW_ETRANSIENT);
    stub_fault(S, "simulateTransaction", SF_RPC_ERROR, 1, -32603, "busy");
    cr_assert_eq(F.snapshot(F.state, &q, &s, &e), KW_ETRANSIENT);
    cr_assert_eq(F.snapshot(F.state, &q, &s, &e), 0, "%s", e.msg);
    double p;
    cr_assert(kw_snapshot_price(&s, KW_ASSET_SOL, 0, &p));
}

Test(reflector, opened_by_the_settings)
{
    kw_config cfg;
    kw_err e = {0};
    kw_market_feed f;
    cr_assert_eq(kw_config_init(&cfg), 0);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_MARKET_FEED, "reflector", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_market_open(&cfg, &f, &e), KW_EINVAL, "mainnet has no default RPC");
    cr_assert(strstr(e.msg, "REFLECTOR_RPC_URL") && strstr(e.msg, "STELLAR_RPC_URL"), "%s", e.msg);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_STELLAR_RPC_URL, stub_url(S), KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_market_open(&cfg, &f, &e), 0, "%s", e.msg);
    cr_assert_str_eq(f.name, "reflector");
    kw_market_close(&f);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_REFLECTOR_NETWORK, "testnet", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_STELLAR_RPC_URL, "", KW_SRC_FLAG, &e), 0);
    cr_assert_eq(kw_market_open(&cfg, &f, &e), 0, "testnet has SDF's endpoint: %s", e.msg);
    kw_market_close(&f);
    kw_config_free(&cfg);
}
