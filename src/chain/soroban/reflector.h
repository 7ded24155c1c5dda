/*
 * reflector — the market feed (feeds/market.h) that reads prices from the
 * Reflector oracle contracts on Stellar (SEP-40) by read-only simulation: no
 * transaction is sent and no secret is needed.
 *
 * Three oracles cover the 13 assets of SPEC §6:
 *   cex  external CEX/DEX rates, Other(symbol):  BTC ETH XLM SOL USDT USDC
 *   fx   foreign exchange, Other(symbol):        EUR GBP CAD BRL
 *   dex  the Stellar DEX, Stellar(SAC address):  KALE AQUA EURC
 * The SAC addresses are derived from each asset's code and issuer on the
 * configured network (kw_xdr_sac_contract_id); where an issuer is not known
 * for that network (KALE and AQUA on testnet) the asset stays missing and the
 * DAOs that need it abstain.
 *
 * Each oracle's decimals(), resolution() and base() are read once. Prices
 * are i128 scaled by 10^decimals in the oracle's base asset; a base of
 * Other(USD) is taken as is, a base that is a Stellar asset (the DEX oracle
 * quotes in USDC) is converted point by point with that asset's USD series.
 *
 * A snapshot calls prices(asset, 12) per asset: record k (newest first) goes
 * to lag round((t0 − t_k) / resolution), where t0 is the newest record's
 * time; when t0 is more than two block intervals older than the query's
 * timestamp, the whole series is stale and left missing. An asset the oracle
 * does not quote (None) is missing too; a malformed answer is an error.
 *
 * Thread-safety: one feed is used by one thread at a time (market.h).
 */
#ifndef KW_CHAIN_SOROBAN_REFLECTOR_H
#define KW_CHAIN_SOROBAN_REFLECTOR_H

#include "chain/soroban/rpc.h"
#include "core/config.h"
#include "feeds/market.h"

#define KW_REFLECTOR_MAINNET_CEX "CAFJZQWSED6YAWZU3GWRTOCNPPCGBN32L7QV43XX5LZLFTK6JLN34DLN"
#define KW_REFLECTOR_MAINNET_FX "CBKGPWGKSKZF52CFHMTRR23TBWTPMRDIYZ4O2P5VS65BMHYH4DXMCJZC"
#define KW_REFLECTOR_MAINNET_DEX "CALI2BYU2JE6WVRUFYTS6MSBNEHGJ35P4AVCZYF3B6QOE3QKOB2PLE6M"
#define KW_REFLECTOR_TESTNET_CEX "CCYOZJCOPG34LLQQ7N24YXBM7LL62R7ONMZ3G6WZAAYPB5OYKOMJRN63"
#define KW_REFLECTOR_TESTNET_FX "CCSSOHTBL3LEWUCBBEB5NJFC2OKFRC74OWEIJIZLRJBGAAU4VMU5NV4W"
#define KW_REFLECTOR_TESTNET_DEX "CAVLP5DH2GJPZMVO7IJY4CVOD5MWEFTJFVPD2YY2FQXOQHRGHK4D6HLP"

typedef struct kw_reflector_opts {
    const char *network;        /* "mainnet" or "testnet" */
    const char *rpc_url;        /* "" = SDF's testnet endpoint on testnet; required on mainnet */
    const char *passphrase;     /* "" = the network's */
    const char *cex, *fx, *dex; /* C… oracle ids; "" = the network's */
    int rpc_attempts;           /* 0 = rpc.h's default */
    int64_t rpc_timeout_ms;     /* 0 = rpc.h's default */
    kw_rpc_clock clock;
} kw_reflector_opts;

/* REFLECTOR_NETWORK and REFLECTOR_RPC_URL (falling back to STELLAR_RPC_URL). */
int kw_reflector_opts_from_config(const kw_config *cfg, kw_reflector_opts *o, kw_err *err) KW_WUR;

/* Opens the feed ("reflector"). Nothing is read until the first snapshot.
 * KW_EINVAL names the setting at fault. */
int kw_market_reflector_open(const kw_reflector_opts *o, kw_market_feed *out, kw_err *err) KW_WUR;

#endif
