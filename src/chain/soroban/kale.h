/*
 * kale — chain.h for the real Stellar networks: the KALE farm contract
 * (kalepail/KALE-sc) on testnet or mainnet through Stellar RPC.
 *
 * Reads
 *   status: getLatestLedger, then the contract instance entry (FarmIndex,
 *   FarmPaused and HomesteadAsset live in its storage map), then the
 *   temporary entry Block(FarmIndex). block and pail read the temporary
 *   entries Block(index) and Pail(farmer, index) directly; an entry that is
 *   absent (never created, evicted, harvested) is KW_ENOTFOUND. balance
 *   simulates the KALE token's balance(address); an account without a KALE
 *   trustline (or no account at all) has balance 0.
 *
 * Writes (tx.h): plant, work and harvest are InvokeHostFunction transactions
 *   sourced and paid by the operator (fee account, or channels under fee
 *   bumps). plant and transfer need the farmer's authorisation: the farmer's
 *   signer signs the Soroban auth entry, and only when the tree the RPC asks
 *   for is exactly the call made, with at most the token burn (plant) of the
 *   same farmer and amount beneath it. plant checks the balance first
 *   (KW_EFUNDS). After a plant the pail is read back to learn its block.
 *
 * Errors: Error(Contract, #N) of the farm becomes kw_chain_reject (KW_ECHAIN,
 *   err->code = N, SPEC §2 names); the token's BalanceError (#10) during a
 *   plant or transfer is KW_EFUNDS; a refused authorisation is KW_EAUTH; any
 *   other rejection by the network or host (fees, budget, archived state) is
 *   KW_ETRANSIENT, since retrying later is all the engine can do about it.
 *   faucet is KW_ESTATE.
 *
 * Networks: KALEWX_CHAIN=testnet|mainnet selects the passphrase and the farm
 *   contract of SPEC §2; STELLAR_NETWORK_PASSPHRASE and KALE_CONTRACT_ID
 *   override them, STELLAR_RPC_URL names the server (testnet defaults to
 *   SDF's public endpoint; mainnet has no default). Opening asks the server
 *   for its passphrase and refuses a server of another network.
 *
 * Thread-safety: as chain.h — every operation may run concurrently.
 */
#ifndef KW_CHAIN_SOROBAN_KALE_H
#define KW_CHAIN_SOROBAN_KALE_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/chain.h"
#include "chain/soroban/rpc.h"
#include "core/config.h"

#define KW_KALE_MAINNET_CONTRACT "CDL74RF5BLYR2YBLCCI7F5FB6TPSCLKEJUBSD2RSVWZ4YHF3VMFAIGWA"
#define KW_KALE_TESTNET_CONTRACT "CDSWUUXGPWDZG76ISK6SUCVPZJMD5YUV66J2FXFXFGDX25XKZJIEITAO"
#define KW_STELLAR_MAINNET_PASSPHRASE "Public Global Stellar Network ; September 2015"
#define KW_STELLAR_TESTNET_PASSPHRASE "Test SDF Network ; September 2015"
#define KW_STELLAR_TESTNET_RPC "https://soroban-testnet.stellar.org"

/* A Stellar network by name ("testnet" or "mainnet") with the caller's
 * overrides applied: *passphrase is passphrase unless empty, else the
 * network's; *rpc_url is rpc_url unless empty, else the network's public
 * endpoint (none on mainnet: NULL). *mainnet says which. KW_EINVAL for any
 * other name. Pure. */
int kw_stellar_network(const char *name, const char *passphrase, const char *rpc_url, bool *mainnet,
                       const char **passphrase_out, const char **rpc_url_out) KW_WUR;

typedef struct kw_soroban_opts {
    const char *network;            /* "testnet" or "mainnet" */
    const char *rpc_url;            /* "" = the network's default (testnet only) */
    const char *passphrase;         /* "" = the network's */
    const char *contract_id;        /* C…; "" = the network's farm */
    const char *fee_secret;         /* S…; "" = read-only */
    const char *channel_secrets;    /* "S…,S…" or "" */
    int64_t deadline_ms;            /* per transaction; 0 = 60 s */
    int64_t poll_ms;                /* 0 = 1 s */
    int rpc_attempts;               /* 0 = rpc.h's default */
    int64_t rpc_timeout_ms;         /* 0 = rpc.h's default */
    kw_rpc_clock clock;
} kw_soroban_opts;

/* The options named by the settings (strings point into cfg). KW_EINVAL
 * names the setting when KALEWX_CHAIN is not testnet or mainnet. */
int kw_soroban_opts_from_config(const kw_config *cfg, kw_soroban_opts *o, kw_err *err) KW_WUR;

/* Resolves the network, checks it against the server and fills *out.
 * KW_EINVAL names the setting at fault; KW_ETRANSIENT when the server cannot
 * be reached to confirm its network. */
int kw_soroban_open(const kw_soroban_opts *o, kw_chain *out, kw_err *err) KW_WUR;

#endif
