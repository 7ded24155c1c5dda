#include "chain/soroban/reflector.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain/soroban/kale.h"
#include "chain/soroban/tx.h"
#include "chain/soroban/xdr.h"
#include "crypto/sha.h"
#include "crypto/strkey.h"
#include "obs/log.h"

enum { CEX, FX, DEX, ORACLES };

/* Where each asset is quoted. Issuers are per network; NULL = not known there. */
static const struct asset_source {
    kw_asset asset;
    int oracle;
    const char *symbol;             /* Other(symbol) on cex/fx */
    const char *code;               /* Stellar(SAC of code:issuer) on dex */
    const char *issuer_mainnet, *issuer_testnet;
} sources[] = {
    {KW_ASSET_BTC, CEX, "BTC", NULL, NULL, NULL},
    {KW_ASSET_ETH, CEX, "ETH", NULL, NULL, NULL},
    {KW_ASSET_XLM, CEX, "XLM", NULL, NULL, NULL},
    {KW_ASSET_SOL, CEX, "SOL", NULL, NULL, NULL},
    {KW_ASSET_USDT, CEX, "USDT", NULL, NULL, NULL},
    {KW_ASSET_USDC, CEX, "USDC", NULL, NULL, NULL},
    {KW_ASSET_EUR, FX, "EUR", NULL, NULL, NULL},
    {KW_ASSET_GBP, FX, "GBP", NULL, NULL, NULL},
    {KW_ASSET_CAD, FX, "CAD", NULL, NULL, NULL},
    {KW_ASSET_BRL, FX, "BRL", NULL, NULL, NULL},
    {KW_ASSET_KALE, DEX, NULL, "KALE", "GBDVX4VELCDSQ54KQJYTNHXAHFLBCA77ZY2USQBM4CSHTTV7DME7KALE", NULL},
    {KW_ASSET_AQUA, DEX, NULL, "AQUA", "GBNZILSTVQZ4R7IKQDGHYGY2QXL5QOFJYQMXPKWRRM5PAV7Y4M67AQUA", NULL},
    {KW_ASSET_EURC, DEX, NULL, "EURC", "GDHU6WRG4IEQXM5NZ4BMPKOXHW76MZM4Y2IEMFDVXBSDP6SJY4ITNPP2",
     "GB3Q6QDZYTHWT7E5PVS3W7FUT5GVAFC5KSZFFLPU25GO7VTC3NM2ZTVO"},
};
#define NSOURCES (sizeof sources / sizeof sources[0])

/* USDC, the DEX oracle's quote asset, as a Stellar asset. */
static const char usdc_mainnet[] = "GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN";
static const char usdc_testnet[] = "GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5";

typedef struct oracle {
    uint8_t id[32];
    bool loaded;
    double scale;                   /* 10^decimals */
    int64_t resolution_s;
    int base_asset;                 /* -1 = USD, else the kw_asset it quotes in; -2 = unknown */
} oracle;

typedef struct refl {
    kw_rpc *rpc;
    kw_txer *tx;
    uint8_t network_id[32];
    oracle o[ORACLES];
    bool has_sac[NSOURCES];
    uint8_t sac[NSOURCES][32];
    uint8_t usdc_sac[32];
} refl;

static int sac_of(const uint8_t network_id[32], const char *code, const char *issuer, uint8_t out[32])
{
    kw_tl_asset a = {.type = 1};
    memcpy(a.code, code, strlen(code) > 4 ? 4 : strlen(code));
    if (kw_strkey_decode(KW_STRKEY_ACCOUNT, issuer, a.issuer, NULL))
        return KW_EINVAL;
    return kw_xdr_sac_contract_id(network_id, &a, out);
}

static int call(refl *r, const uint8_t contract[32], const char *fn, const kw_scval *args, uint32_t n,
                kw_xdr_arena *a, kw_scval *out, kw_err *err)
{
    kw_invoke_args inv = {.args = args, .nargs = n};
    inv.contract.type = KW_SCADDR_CONTRACT;
    memcpy(inv.contract.key, contract, 32);
    snprintf(inv.function, sizeof inv.function, "%s", fn);
    return kw_txer_read(r->tx, &inv, a, out, NULL, err);
}

static int bad_answer(kw_err *err, const char *fn)
{
    return kw_err_set(err, KW_EINVAL, "the Reflector oracle's %s answer has an unexpected shape", fn);
}

/* decimals, resolution and base of one oracle, read once. */
static int load(refl *r, oracle *o, kw_xdr_arena *a, kw_err *err)
{
    kw_scval dec, res, base;
    int rc;
    if (o->loaded)
        return 0;
    if ((rc = call(r, o->id, "decimals", NULL, 0, a, &dec, err)) ||
        (rc = call(r, o->id, "resolution", NULL, 0, a, &res, err)) ||
        (rc = call(r, o->id, "base", NULL, 0, a, &base, err)))
        return rc;
    if (dec.type != KW_SCV_U32 || dec.v.u32 > 30)
        return bad_answer(err, "decimals");
    if (res.type != KW_SCV_U32 || res.v.u32 == 0)
        return bad_answer(err, "resolution");
    if (base.type != KW_SCV_VEC || base.v.vec.n != 2)
        return bad_answer(err, "base");
    o->scale = pow(10.0, dec.v.u32);
    /* Resolutions are minutes long: a value above a day must be milliseconds. */
    o->resolution_s = res.v.u32 > 86400 ? res.v.u32 / 1000 : res.v.u32;
    const kw_scval *tag = &base.v.vec.items[0], *val = &base.v.vec.items[1];
    o->base_asset = -2;
    if (kw_scval_is_symbol(tag, "Other") && kw_scval_is_symbol(val, "USD"))
        o->base_asset = -1;
    else if (kw_scval_is_symbol(tag, "Stellar") && val->type == KW_SCV_ADDRESS &&
             memcmp(val->v.address.key, r->usdc_sac, 32) == 0)
        o->base_asset = KW_ASSET_USDC;
    o->loaded = true;
    return 0;
}

static kw_scval asset_arg(refl *r, size_t i, kw_scval items[2])
{
    const struct asset_source *s = &sources[i];
    if (s->symbol) {
        items[0] = kw_scval_symbol("Other");
        items[1] = kw_scval_symbol(s->symbol);
    } else {
        items[0] = kw_scval_symbol("Stellar");
        items[1] = kw_scval_contract(r->sac[i]);
    }
    return kw_scval_vec(items, 2);
}

/* prices(asset, 12) into series[lag]; missing points stay 0. */
static int read_series(refl *r, size_t i, const kw_market_query *q, kw_xdr_arena *a, double series[KW_SNAPSHOT_LEN],
                       kw_err *err)
{
    oracle *o = &r->o[sources[i].oracle];
    kw_scval items[2], args[2], v;
    args[0] = asset_arg(r, i, items);
    args[1] = kw_scval_u32(KW_SNAPSHOT_LEN);
    int rc = call(r, o->id, "prices", args, 2, a, &v, err);
    if (rc == KW_ECHAIN) {
        KW_LOG(KW_LOG_WARN, "reflector refused an asset", KW_LS("asset", kw_asset_name(sources[i].asset)),
               KW_LS("reason", err ? err->msg : ""));
        return 0;
    }
    if (rc)
        return rc;
    if (v.type == KW_SCV_VOID)
        return 0;
    if (v.type != KW_SCV_VEC || v.v.vec.n > 100)
        return bad_answer(err, "prices");
    int64_t t0 = -1;
    for (uint32_t k = 0; k < v.v.vec.n; k++) {
        const kw_scval *pd = &v.v.vec.items[k];
        const kw_scval *p = pd->type == KW_SCV_MAP ? kw_scmap_find(pd->v.map.entries, pd->v.map.n, "price") : NULL;
        const kw_scval *t = pd->type == KW_SCV_MAP ? kw_scmap_find(pd->v.map.entries, pd->v.map.n, "timestamp") : NULL;
        if (!p || !t || p->type != KW_SCV_I128 || t->type != KW_SCV_U64 || t->v.u64 > INT64_MAX)
            return bad_answer(err, "prices");
        int64_t ts = (int64_t)t->v.u64;
        if (ts > 100000000000LL)
            ts /= 1000; /* milliseconds */
        if (t0 < 0) {
            t0 = ts;
            if (q->timestamp - t0 > 2 * (int64_t)q->interval_s)
                return 0; /* stale: the oracle has stopped for this asset */
        }
        int64_t lag = (t0 - ts + o->resolution_s / 2) / o->resolution_s;
        if (p->v.i128 <= 0 || lag < 0 || lag >= KW_SNAPSHOT_LEN || series[lag] > 0)
            continue;
        series[lag] = (double)p->v.i128 / o->scale;
    }
    return 0;
}

static int reflector_snapshot(void *state, const kw_market_query *q, kw_market_snapshot *out, kw_err *err)
{
    refl *r = state;
    double series[KW_ASSET_COUNT][KW_SNAPSHOT_LEN];
    memset(series, 0, sizeof series);
    kw_xdr_arena *a = kw_xdr_arena_new(4u << 20);
    if (!a)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int rc = 0;
    for (int i = 0; i < ORACLES && rc == 0; i++)
        rc = load(r, &r->o[i], a, err);
    for (size_t i = 0; i < NSOURCES && rc == 0; i++)
        if (sources[i].symbol || r->has_sac[i])
            rc = read_series(r, i, q, a, series[sources[i].asset], err);
    kw_xdr_arena_free(a);
    if (rc)
        return rc;
    kw_snapshot_clear(out, q->block, q->timestamp);
    for (size_t i = 0; i < NSOURCES; i++) {
        kw_asset as = sources[i].asset;
        int base = r->o[sources[i].oracle].base_asset;
        for (int k = 0; k < KW_SNAPSHOT_LEN; k++) {
            double f = base == -1 ? 1.0 : base >= 0 ? series[base][k] : 0.0;
            double p = series[as][k] * f;
            out->price[as][k] = isfinite(p) && p > 0 ? p : 0.0;
        }
    }
    return 0;
}

static void reflector_close(void *state)
{
    refl *r = state;
    if (!r)
        return;
    kw_txer_free(r->tx);
    kw_rpc_free(r->rpc);
    free(r);
}

int kw_reflector_opts_from_config(const kw_config *cfg, kw_reflector_opts *o, kw_err *err)
{
    (void)err;
    memset(o, 0, sizeof *o);
    o->network = kw_config_str(cfg, KW_CFG_REFLECTOR_NETWORK);
    o->rpc_url = kw_config_str(cfg, KW_CFG_REFLECTOR_RPC_URL);
    if (!*o->rpc_url)
        o->rpc_url = kw_config_str(cfg, KW_CFG_STELLAR_RPC_URL);
    return 0;
}

static const char *pick(const char *v, const char *def)
{
    return v && *v ? v : def;
}

int kw_market_reflector_open(const kw_reflector_opts *o, kw_market_feed *out, kw_err *err)
{
    bool mainnet;
    const char *pass, *url;
    memset(out, 0, sizeof *out);
    if (kw_stellar_network(o->network, o->passphrase, o->rpc_url, &mainnet, &pass, &url))
        return kw_err_set(err, KW_EINVAL, "REFLECTOR_NETWORK must be mainnet or testnet");
    if (!url)
        return kw_err_set(err, KW_EINVAL, "MARKET_FEED=reflector on mainnet needs REFLECTOR_RPC_URL or STELLAR_RPC_URL");
    const char *ids[ORACLES] = {
        pick(o->cex, mainnet ? KW_REFLECTOR_MAINNET_CEX : KW_REFLECTOR_TESTNET_CEX),
        pick(o->fx, mainnet ? KW_REFLECTOR_MAINNET_FX : KW_REFLECTOR_TESTNET_FX),
        pick(o->dex, mainnet ? KW_REFLECTOR_MAINNET_DEX : KW_REFLECTOR_TESTNET_DEX),
    };
    refl *r = calloc(1, sizeof *r);
    if (!r)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int rc = 0;
    for (int i = 0; i < ORACLES && rc == 0; i++)
        if (kw_strkey_decode(KW_STRKEY_CONTRACT, ids[i], r->o[i].id, NULL))
            rc = kw_err_set(err, KW_EINVAL, "a Reflector oracle id is not a C... contract address");
    kw_sha256(pass, strlen(pass), r->network_id);
    for (size_t i = 0; i < NSOURCES && rc == 0; i++) {
        const char *issuer = mainnet ? sources[i].issuer_mainnet : sources[i].issuer_testnet;
        if (sources[i].code && issuer) {
            rc = sac_of(r->network_id, sources[i].code, issuer, r->sac[i]);
            r->has_sac[i] = rc == 0;
        }
    }
    if (rc == 0)
        rc = sac_of(r->network_id, "USDC", mainnet ? usdc_mainnet : usdc_testnet, r->usdc_sac);
    kw_rpc_opts ro = {.url = url, .attempts = o->rpc_attempts, .timeout_ms = o->rpc_timeout_ms, .clock = o->clock};
    if (rc == 0)
        rc = kw_rpc_new(&ro, &r->rpc, err);
    kw_txer_opts to = {.rpc = r->rpc, .passphrase = pass, .clock = o->clock};
    if (rc == 0)
        rc = kw_txer_new(&to, &r->tx, err);
    if (rc) {
        reflector_close(r);
        return rc;
    }
    *out = (kw_market_feed){.name = "reflector", .state = r, .snapshot = reflector_snapshot, .close = reflector_close};
    return 0;
}
