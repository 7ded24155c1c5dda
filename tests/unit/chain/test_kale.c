/* chain.h on the Stellar backend against the loopback RPC: a farming cycle
 * (status → plant → pail → work → harvest) through kw_chain_*, contract
 * errors mapped to SPEC §2 codes, funds, transfers, the network check, and
 * the scripted RPC failures a real network produces. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/soroban/kale.h"
#include "crypto/kalehash.h"
#include "crypto/strkey.h"
#include "rpc_stub.h"
#include "xdr_util.h"

typedef struct tclock { int64_t now; } tclock;
static int64_t t_mono(void *ctx) { return ((tclock *)ctx)->now; }
static int64_t t_now(void *ctx) { return 1752700000000 + ((tclock *)ctx)->now; }
static void t_sleep(void *ctx, int64_t ms) { __atomic_add_fetch(&((tclock *)ctx)->now, ms, __ATOMIC_RELAXED); }

static uint8_t farm[32], asset[32], oracle[32], fee_pub[32];
static char farm_id[KW_STRKEY_BUFSZ], fee_secret[KW_STRKEY_BUFSZ];
static stub *S;
static kw_chain CH;
static tclock C;

typedef struct farmer_key { uint8_t sk[64]; int calls; } farmer_key;
static farmer_key FK;
static kw_chain_signer farmer;

static int sign_cb(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[64])
{
    farmer_key *k = ctx;
    k->calls++;
    return crypto_sign_detached(sig, NULL, msg, n, k->sk) == 0 ? 0 : KW_ECRYPTO;
}

static kw_soroban_opts opts(void)
{
    kw_soroban_opts o = {.network = "testnet", .rpc_url = stub_url(S), .contract_id = farm_id,
                         .fee_secret = fee_secret, .deadline_ms = 20000, .poll_ms = 250,
                         .clock = {.now_ms = t_now, .mono_ms = t_mono, .sleep_ms = t_sleep, .ctx = &C}};
    return o;
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    t_raw32(T_FARM_HEX, farm);
    kw_strkey_encode(KW_STRKEY_CONTRACT, farm, farm_id);
    memset(asset, 0xa5, 32);
    memset(oracle, 0x0c, 32);
    uint8_t seed[32], sk[64];
    memset(seed, 0x22, 32);
    crypto_sign_seed_keypair(fee_pub, sk, seed);
    kw_strkey_encode(KW_STRKEY_SEED, seed, fee_secret);
    memset(seed, 0x11, 32);
    crypto_sign_seed_keypair(farmer.public_key, FK.sk, seed);
    farmer.ctx = &FK;
    farmer.sign = sign_cb;
    S = stub_start(farm, asset, oracle);
    stub_account(S, fee_pub, 777);
    stub_set_balance(S, farmer.public_key, 50 * 10000000LL);
    kw_soroban_opts o = opts();
    kw_err e = {0};
    cr_assert_eq(kw_soroban_open(&o, &CH, &e), 0, "%s", e.msg);
}

static void teardown(void)
{
    kw_chain_close(&CH);
    stub_stop(S);
    sodium_memzero(&FK, sizeof FK);
}

TestSuite(kale, .init = setup, .fini = teardown);

static void do_work(uint32_t index, uint64_t nonce, uint32_t *gap, int want)
{
    kw_chain_block b;
    kw_err e = {0};
    uint8_t h[32];
    cr_assert_eq(kw_chain_block_get(&CH, index, &b, &e), 0, "%s", e.msg);
    kw_kalehash(index, nonce, b.entropy, farmer.public_key, h);
    int rc = kw_chain_work(&CH, farmer.public_key, h, nonce, gap, &e);
    cr_assert_eq(rc, want, "work: %s", e.msg);
}

Test(kale, full_farming_cycle_through_the_chain_interface)
{
    kw_err e = {0};
    kw_chain_status st;
    cr_assert_str_eq(CH.name, "testnet");
    cr_assert_eq(CH.block_seconds, 300);
    cr_assert_eq(kw_chain_status_get(&CH, &st, &e), 0, "%s", e.msg);
    cr_assert_eq(st.ledger_seq, 1000);
    cr_assert_eq(st.ledger_close_time, 1752700000);
    cr_assert_eq(st.farm_index, 30000);
    cr_assert_not(st.paused);
    cr_assert(st.has_block);
    cr_assert_eq(st.block.index, 30000);
    cr_assert_eq(st.block.max_gap, 40);
    cr_assert(st.block.max_stake == 5000000000);
    cr_assert(st.block.normalized_total == 123456789);

    uint32_t index = 0, ledger = 0;
    cr_assert_eq(kw_chain_plant(&CH, &farmer, 20000000, &index, &ledger, &e), 0, "%s", e.msg);
    cr_assert_eq(index, 30000);
    cr_assert_eq(ledger, 1001);
    cr_assert_eq(FK.calls, 1, "the farmer signed one auth entry, nothing else");
    cr_assert_eq(stub_account_seq(S, fee_pub), 778, "the operator's account is the source");

    kw_chain_pail p;
    cr_assert_eq(kw_chain_pail_get(&CH, farmer.public_key, index, &p, &e), 0, "%s", e.msg);
    cr_assert_eq(p.sequence, 1001);
    cr_assert(p.stake == 20000000);
    cr_assert_not(p.worked);

    uint32_t gap = 0;
    do_work(index, 12345, &gap, 0);
    cr_assert_eq(gap, 1);
    cr_assert_eq(kw_chain_pail_get(&CH, farmer.public_key, index, &p, &e), 0, "%s", e.msg);
    cr_assert(p.worked);
    cr_assert_eq(p.gap, 1);

    int64_t reward = -1;
    cr_assert_eq(kw_chain_harvest(&CH, farmer.public_key, index, &reward, &e), KW_ECHAIN);
    cr_assert_eq(e.code, KW_KALE_EHARVEST_NOT_READY);
    cr_assert(strstr(e.msg, "HarvestNotReady") != NULL, "%s", e.msg);
    stub_next_block(S);
    cr_assert_eq(kw_chain_harvest(&CH, farmer.public_key, index, &reward, &e), 0, "%s", e.msg);
    cr_assert_eq(reward, 1000000 + 10000000 + 1000 * (int64_t)p.zeros);
    cr_assert_eq(kw_chain_pail_get(&CH, farmer.public_key, index, &p, &e), KW_ENOTFOUND);

    int64_t bal = 0;
    cr_assert_eq(kw_chain_balance(&CH, farmer.public_key, &bal, &e), 0, "%s", e.msg);
    cr_assert_eq(bal, 50 * 10000000LL + reward);
}

Test(kale, contract_errors_map_to_spec_codes)
{
    kw_err e = {0};
    uint32_t index = 0;
    cr_assert_eq(kw_chain_plant(&CH, &farmer, 1000000, &index, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_chain_plant(&CH, &farmer, 1000000, &index, NULL, &e), KW_ECHAIN);
    cr_assert_eq(e.code, KW_KALE_EPAIL_EXISTS, "%s", e.msg);
    do_work(index, 1, NULL, 0);
    uint8_t wrong[32] = {0};
    cr_assert_eq(kw_chain_work(&CH, farmer.public_key, wrong, 2, NULL, &e), KW_ECHAIN);
    cr_assert_eq(e.code, KW_KALE_EHASH_INVALID, "%s", e.msg);
    cr_assert_eq(kw_chain_harvest(&CH, farmer.public_key, index - 1, NULL, &e), KW_ECHAIN);
    cr_assert_eq(e.code, KW_KALE_EPAIL_MISSING, "%s", e.msg);
    stub_next_block(S);
    stub_fault(S, "sendTransaction", SF_FAIL_ONCHAIN, 1, KW_KALE_EHARVEST_NOT_READY, NULL);
    cr_assert_eq(kw_chain_harvest(&CH, farmer.public_key, index, NULL, &e), KW_ECHAIN);
    cr_assert_eq(e.code, KW_KALE_EHARVEST_NOT_READY, "a FAILED transaction's contract error: %s", e.msg);
    stub_pause(S, true);
    cr_assert_eq(kw_chain_plant(&CH, &farmer, 1000000, NULL, NULL, &e), KW_ECHAIN);
    cr_assert_eq(e.code, KW_KALE_EFARM_PAUSED, "%s", e.msg);
    kw_chain_status st;
    cr_assert_eq(kw_chain_status_get(&CH, &st, &e), 0, "%s", e.msg);
    cr_assert(st.paused);
}

Test(kale, funds_transfer_and_faucet)
{
    kw_err e = {0};
    cr_assert_eq(kw_chain_plant(&CH, &farmer, 51 * 10000000LL, NULL, NULL, &e), KW_EFUNDS, "%s", e.msg);
    cr_assert_eq(stub_get_counts(S).sends, 0, "refused before anything was sent");
    uint8_t to[32];
    memset(to, 0x55, 32);
    cr_assert_eq(kw_chain_transfer(&CH, &farmer, to, 10000000, &e), 0, "%s", e.msg);
    int64_t bal;
    cr_assert_eq(kw_chain_balance(&CH, to, &bal, &e), 0, "%s", e.msg);
    cr_assert_eq(bal, 10000000);
    cr_assert_eq(kw_chain_transfer(&CH, &farmer, to, 100 * 10000000LL, &e), KW_EFUNDS, "%s", e.msg);
    cr_assert_eq(kw_chain_transfer(&CH, &farmer, to, 0, &e), KW_EINVAL);
    cr_assert_eq(kw_chain_faucet(&CH, to, 1, &e), KW_ESTATE);
    cr_assert_eq(kw_chain_block_get(&CH, 1, &(kw_chain_block){0}, &e), KW_ENOTFOUND);
}

Test(kale, rides_out_rpc_failures)
{
    kw_err e = {0};
    uint32_t index = 0;
    stub_fault(S, "getLedgerEntries", SF_HTTP_429, 1, 0, NULL);
    stub_fault(S, "simulateTransaction", SF_HTTP_503, 2, 0, NULL);
    stub_fault(S, "sendTransaction", SF_BAD_SEQ, 1, 0, NULL);
    stub_fault(S, "getTransaction", SF_DELAY, 1, 100, NULL);
    stub_fault(S, "getTransaction", SF_RPC_ERROR, 1, -32603, "ledger backend busy");
    cr_assert_eq(kw_chain_plant(&CH, &farmer, 1000000, &index, NULL, &e), 0, "%s", e.msg);
    stub_fault(S, "simulateTransaction", SF_RPC_ERROR, 1, -32602, "invalid parameters");
    uint8_t h[32] = {0};
    cr_assert_eq(kw_chain_work(&CH, farmer.public_key, h, 1, NULL, &e), KW_EINVAL);
    stub_fault(S, "simulateTransaction", SF_SIM_ERROR, 1, 0, "HostError: Error(Budget, ExceededLimit)");
    cr_assert_eq(kw_chain_work(&CH, farmer.public_key, h, 1, NULL, &e), KW_ETRANSIENT);
    cr_assert(strstr(e.msg, "ExceededLimit") != NULL, "%s", e.msg);
    do_work(index, 5, NULL, 0);
}

Test(kale, refuses_a_server_of_another_network)
{
    kw_chain other;
    kw_err e = {0};
    kw_soroban_opts o = opts();
    o.network = "mainnet";
    cr_assert_eq(kw_soroban_open(&o, &other, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "STELLAR_RPC_URL") && strstr(e.msg, "mainnet"), "%s", e.msg);
    o = opts();
    o.contract_id = "CNOTACONTRACT";
    cr_assert_eq(kw_soroban_open(&o, &other, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "KALE_CONTRACT_ID") != NULL, "%s", e.msg);
    o = opts();
    o.network = "devnet";
    cr_assert_eq(kw_soroban_open(&o, &other, &e), KW_EINVAL);
    o = opts();
    o.network = "mainnet";
    o.rpc_url = "";
    cr_assert_eq(kw_soroban_open(&o, &other, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "STELLAR_RPC_URL") != NULL, "%s", e.msg);
}

Test(kale, settings_select_network_and_overrides)
{
    kw_config cfg;
    kw_err e = {0};
    kw_soroban_opts o;
    cr_assert_eq(kw_config_init(&cfg), 0);
    cr_assert_eq(kw_soroban_opts_from_config(&cfg, &o, &e), KW_EINVAL, "devnet is not a Stellar network");
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_KALEWX_CHAIN, "testnet", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_STELLAR_RPC_URL, stub_url(S), KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_KALE_CONTRACT_ID, farm_id, KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_soroban_opts_from_config(&cfg, &o, &e), 0, "%s", e.msg);
    kw_chain c2;
    cr_assert_eq(kw_soroban_open(&o, &c2, &e), 0, "%s", e.msg);
    kw_chain_status st;
    cr_assert_eq(kw_chain_status_get(&c2, &st, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_chain_plant(&c2, &farmer, 1, NULL, NULL, &e), KW_ESTATE, "no fee account: read-only");
    kw_chain_close(&c2);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_STELLAR_NETWORK_PASSPHRASE, "Another Network", KW_SRC_FLAG, &e), 0);
    cr_assert_eq(kw_soroban_opts_from_config(&cfg, &o, &e), 0);
    cr_assert_eq(kw_soroban_open(&o, &c2, &e), KW_EINVAL, "the override must match the server");
    kw_config_free(&cfg);
}
