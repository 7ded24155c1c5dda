/* Transactions through the loopback RPC: plant → work → harvest with the
 * operator paying and the farmer signing only the auth entry, sequence
 * recovery after txBadSeq, contract errors from simulation and from FAILED
 * transactions, TRY_AGAIN_LATER, deadlines, authorisation policy, and
 * parallel submission through fee-bumped channel accounts. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "chain/soroban/tx.h"
#include "crypto/kalehash.h"
#include "crypto/strkey.h"
#include "rpc_stub.h"
#include "xdr_util.h"

typedef struct tclock { int64_t now; } tclock;
static int64_t t_mono(void *ctx) { return ((tclock *)ctx)->now; }
static int64_t t_now(void *ctx) { return 1752700000000 + ((tclock *)ctx)->now; }
static void t_sleep(void *ctx, int64_t ms) { __atomic_add_fetch(&((tclock *)ctx)->now, ms, __ATOMIC_RELAXED); }

static uint8_t farm[32], asset[32], oracle[32];
static uint8_t fee_pub[32], farmer_seed[32];
static char fee_secret[KW_STRKEY_BUFSZ];
static kw_seed_signer farmer;
static stub *S;
static kw_rpc *R;
static kw_txer *T;
static tclock C;

static void keypair(uint8_t tag, uint8_t seed[32], uint8_t pub[32], char secret[KW_STRKEY_BUFSZ])
{
    uint8_t sk[64];
    memset(seed, tag, 32);
    crypto_sign_seed_keypair(pub, sk, seed);
    sodium_memzero(sk, sizeof sk);
    if (secret)
        kw_strkey_encode(KW_STRKEY_SEED, seed, secret);
}

static void open_txer(const char *channels)
{
    kw_rpc_clock clk = {.now_ms = t_now, .mono_ms = t_mono, .sleep_ms = t_sleep, .ctx = &C};
    kw_rpc_opts ro = {.url = stub_url(S), .timeout_ms = 5000, .seed = 3, .clock = clk};
    kw_err e = {0};
    cr_assert_eq(kw_rpc_new(&ro, &R, &e), 0, "%s", e.msg);
    kw_txer_opts o = {.rpc = R, .passphrase = "Test SDF Network ; September 2015", .fee_secret = fee_secret,
                      .channel_secrets = channels, .deadline_ms = 30000, .poll_ms = 500, .clock = clk};
    cr_assert_eq(kw_txer_new(&o, &T, &e), 0, "%s", e.msg);
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    t_raw32(T_FARM_HEX, farm);
    memset(asset, 0xa5, 32);
    memset(oracle, 0x0c, 32);
    uint8_t pub[32];
    keypair(0x11, farmer_seed, pub, NULL);
    kw_seed_signer_init(&farmer, farmer_seed);
    uint8_t seed[32];
    keypair(0x22, seed, fee_pub, fee_secret);
    S = stub_start(farm, asset, oracle);
    stub_account(S, fee_pub, 5000);
    stub_set_balance(S, farmer.signer.pub, 100 * 10000000LL);
    C.now = 0;
    open_txer(NULL);
}

static void teardown(void)
{
    kw_txer_free(T);
    kw_rpc_free(R);
    stub_stop(S);
    kw_seed_signer_wipe(&farmer);
}

TestSuite(tx, .init = setup, .fini = teardown);

/* The policy kale uses, reduced: plant(farmer, amount) on the farm with at
 * most a burn(farmer, amount) beneath it. */
typedef struct expect { const kw_invoke_args *call; } expect;

static bool approve_plant(void *ctx, const kw_auth_invocation *root)
{
    const expect *x = ctx;
    kw_xdr_writer a, b;
    kw_xdr_writer_init(&a, 0);
    kw_xdr_writer_init(&b, 0);
    (void)kw_xdr_put_invoke_args(&a, &root->fn);
    (void)kw_xdr_put_invoke_args(&b, x->call);
    bool same = a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
    kw_xdr_writer_free(&a);
    kw_xdr_writer_free(&b);
    if (!same || root->nsubs > 1)
        return false;
    return root->nsubs == 0 || strcmp(root->subs[0].fn.function, "burn") == 0;
}

static kw_scval args_buf[3];

static kw_invoke_args call_of(const char *fn, uint32_t nargs)
{
    kw_invoke_args a = {.args = args_buf, .nargs = nargs};
    a.contract.type = KW_SCADDR_CONTRACT;
    memcpy(a.contract.key, farm, 32);
    snprintf(a.function, sizeof a.function, "%s", fn);
    return a;
}

static int plant(int64_t amount, kw_xdr_arena *a, kw_tx_outcome *out, kw_err *e)
{
    args_buf[0] = kw_scval_account(farmer.signer.pub);
    args_buf[1] = kw_scval_i128(amount);
    kw_invoke_args inv = call_of("plant", 2);
    expect x = {&inv};
    kw_tx_call c = {.invoke = inv, .signer = &farmer.signer, .approve = approve_plant, .approve_ctx = &x};
    return kw_txer_invoke(T, &c, a, out, e);
}

static uint8_t work_hash[32];

static int work(kw_xdr_arena *a, kw_tx_outcome *out, kw_err *e)
{
    uint8_t entropy[32];
    stub_entropy(S, stub_farm_index(S), entropy);
    kw_kalehash(stub_farm_index(S), 77, entropy, farmer.signer.pub, work_hash);
    args_buf[0] = kw_scval_account(farmer.signer.pub);
    args_buf[1] = kw_scval_bytes(work_hash, 32);
    args_buf[2] = kw_scval_u64(77);
    kw_tx_call c = {.invoke = call_of("work", 3)};
    return kw_txer_invoke(T, &c, a, out, e);
}

static int harvest(uint32_t index, kw_xdr_arena *a, kw_tx_outcome *out, kw_err *e)
{
    args_buf[0] = kw_scval_account(farmer.signer.pub);
    args_buf[1] = kw_scval_u32(index);
    kw_tx_call c = {.invoke = call_of("harvest", 2)};
    return kw_txer_invoke(T, &c, a, out, e);
}

Test(tx, plant_work_harvest_with_operator_paying)
{
    kw_xdr_arena *a = kw_xdr_arena_new(8 << 20);
    kw_tx_outcome out;
    kw_err e = {0};
    uint32_t index = stub_farm_index(S);
    cr_assert_eq(plant(10000000, a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(strlen(out.hash), 64);
    cr_assert_eq(out.fee_charged, 100 + 53000, "inclusion + the enforcing simulation's resource fee");
    cr_assert_eq(stub_account_seq(S, fee_pub), 5001, "the fee account is the source");
    cr_assert_eq(stub_balance(S, farmer.signer.pub), 99 * 10000000LL, "the stake was burned");
    cr_assert_eq(stub_get_counts(S).simulates, 2, "recording run, then enforcing run with the signature");

    cr_assert_eq(work(a, &out, &e), 0, "%s", e.msg);
    cr_assert(out.has_return);
    cr_assert_eq(out.return_value.type, KW_SCV_U32);
    cr_assert_eq(out.return_value.v.u32, 1, "gap from the result meta");

    cr_assert_eq(harvest(index, a, &out, &e), KW_ECHAIN, "not ready while the block is current");
    cr_assert_eq(e.code, 14, "HarvestNotReady: %s", e.msg);
    stub_next_block(S);
    cr_assert_eq(harvest(index, a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(out.return_value.type, KW_SCV_I128);
    /* the stub pays 1,000,000 + stake/2 + 1,000 per zero nibble */
    int64_t reward = 1000000 + 5000000 + 1000 * (int64_t)kw_kalehash_zeros(work_hash);
    cr_assert(out.return_value.v.i128 == reward);
    cr_assert_eq(stub_balance(S, farmer.signer.pub), 99 * 10000000LL + 10000000 + reward);
    cr_assert_eq(stub_account_seq(S, fee_pub), 5003);
    kw_xdr_arena_free(a);
}

Test(tx, bad_seq_is_refetched_and_rebuilt)
{
    kw_xdr_arena *a = kw_xdr_arena_new(8 << 20);
    kw_tx_outcome out;
    kw_err e = {0};
    stub_fault(S, "sendTransaction", SF_BAD_SEQ, 1, 0, NULL);
    cr_assert_eq(plant(1000000, a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(stub_get_counts(S).sends, 2);
    cr_assert_eq(stub_account_seq(S, fee_pub), 5002, "one used behind our back, one by us");
    kw_xdr_arena_free(a);
}

Test(tx, contract_errors_from_simulation_and_from_failed_transactions)
{
    kw_xdr_arena *a = kw_xdr_arena_new(8 << 20);
    kw_tx_outcome out;
    kw_err e = {0};
    stub_fault(S, "simulateTransaction", SF_SIM_ERROR, 1, 0,
               "host invocation failed\n\nCaused by:\n    HostError: Error(Contract, #8)\n");
    cr_assert_eq(plant(1000000, a, &out, &e), KW_ECHAIN);
    cr_assert_eq(e.code, 8, "%s", e.msg);
    stub_fault(S, "simulateTransaction", SF_SIM_ERROR, 1, 0, "HostError: Error(Storage, MissingValue)\nlog");
    cr_assert_eq(plant(1000000, a, &out, &e), KW_ECHAIN);
    cr_assert_eq(e.code, KW_ECHAIN, "not a contract code");
    cr_assert(strstr(e.msg, "MissingValue") && !strstr(e.msg, "log"), "%s", e.msg);
    cr_assert_eq(stub_get_counts(S).sends, 0, "nothing was sent");

    cr_assert_eq(plant(1000000, a, &out, &e), 0, "%s", e.msg);
    stub_next_block(S);
    stub_fault(S, "sendTransaction", SF_FAIL_ONCHAIN, 1, 14, NULL);
    cr_assert_eq(plant(1000000, a, &out, &e), KW_ECHAIN);
    cr_assert_eq(e.code, 14, "%s", e.msg);
    cr_assert(strstr(e.msg, "on chain") != NULL, "%s", e.msg);
    cr_assert_eq(stub_account_seq(S, fee_pub), 5002, "a FAILED transaction still uses its sequence number");
    cr_assert_eq(plant(1000000, a, &out, &e), 0, "the cached sequence number is right: %s", e.msg);
    kw_xdr_arena_free(a);
}

Test(tx, try_again_later_and_rpc_faults_are_ridden_out)
{
    kw_xdr_arena *a = kw_xdr_arena_new(8 << 20);
    kw_tx_outcome out;
    kw_err e = {0};
    stub_fault(S, "sendTransaction", SF_TRY_AGAIN, 2, 0, NULL);
    stub_fault(S, "simulateTransaction", SF_HTTP_503, 1, 0, NULL);
    stub_fault(S, "getTransaction", SF_HTTP_429, 1, 0, NULL);
    stub_fault(S, "getLedgerEntries", SF_RPC_ERROR, 1, -32603, "busy");
    cr_assert_eq(plant(1000000, a, &out, &e), KW_ETRANSIENT, "the -32603 on the sequence fetch surfaces");
    cr_assert_eq(plant(1000000, a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(stub_get_counts(S).sends, 3);
    kw_xdr_arena_free(a);
}

Test(tx, deadline_without_final_status_is_transient_and_names_the_hash)
{
    kw_xdr_arena *a = kw_xdr_arena_new(8 << 20);
    kw_tx_outcome out;
    kw_err e = {0};
    stub_fault(S, "getTransaction", SF_NEVER_FINAL, 1, 0, NULL);
    cr_assert_eq(plant(1000000, a, &out, &e), KW_ETRANSIENT);
    cr_assert(strstr(e.msg, out.hash) != NULL, "%s", e.msg);
    cr_assert_geq(C.now, 29000, "polled until the deadline");
    stub_next_block(S);
    cr_assert_eq(plant(1000000, a, &out, &e), 0, "sequence refetched after the unknown outcome: %s", e.msg);
    kw_xdr_arena_free(a);
}

Test(tx, authorisation_policy_refuses_foreign_requests)
{
    kw_xdr_arena *a = kw_xdr_arena_new(8 << 20);
    kw_tx_outcome out;
    kw_err e = {0};
    stub_fault(S, "simulateTransaction", SF_EVIL_AUTH, 1, 0, NULL);
    cr_assert_eq(plant(1000000, a, &out, &e), KW_EAUTH);
    cr_assert_eq(stub_get_counts(S).sends, 0);

    /* no signer: an address authorisation cannot be given */
    args_buf[0] = kw_scval_account(farmer.signer.pub);
    args_buf[1] = kw_scval_i128(5);
    kw_tx_call c = {.invoke = call_of("plant", 2)};
    cr_assert_eq(kw_txer_invoke(T, &c, a, &out, &e), KW_EAUTH);
    kw_xdr_arena_free(a);
}

Test(tx, read_only_calls_need_no_secret)
{
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    kw_err e = {0};
    kw_scval v;
    uint32_t latest;
    kw_invoke_args inv = {.args = args_buf, .nargs = 1};
    inv.contract.type = KW_SCADDR_CONTRACT;
    memcpy(inv.contract.key, asset, 32);
    strcpy(inv.function, "balance");
    args_buf[0] = kw_scval_account(farmer.signer.pub);
    cr_assert_eq(kw_txer_read(T, &inv, a, &v, &latest, &e), 0, "%s", e.msg);
    cr_assert(v.type == KW_SCV_I128 && v.v.i128 == 100 * 10000000LL);
    cr_assert_eq(stub_get_counts(S).sends, 0);
    kw_xdr_arena_free(a);
}

Test(tx, secrets_are_checked_and_never_echoed)
{
    kw_err e = {0};
    kw_txer *t2;
    kw_txer_opts o = {.rpc = R, .passphrase = "x", .fee_secret = "SNOTASECRETATALL"};
    cr_assert_eq(kw_txer_new(&o, &t2, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "KALEWX_FEE_ACCOUNT_SECRET") && !strstr(e.msg, "SNOTA"), "%s", e.msg);
    char bad[KW_STRKEY_BUFSZ];
    snprintf(bad, sizeof bad, "%s", fee_secret);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    o.fee_secret = fee_secret;
    o.channel_secrets = bad;
    cr_assert_eq(kw_txer_new(&o, &t2, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "CHANNEL_ACCOUNTS") && !strstr(e.msg, bad), "%s", e.msg);
    o.fee_secret = NULL;
    cr_assert_eq(kw_txer_new(&o, &t2, &e), KW_EINVAL, "channels need a fee account");
    o.channel_secrets = NULL;
    cr_assert_eq(kw_txer_new(&o, &t2, &e), 0);
    cr_assert_eq(kw_txer_sources(t2), 0);
    kw_tx_outcome out;
    kw_tx_call c = {.invoke = call_of("work", 0)};
    cr_assert_eq(kw_txer_invoke(t2, &c, NULL, &out, &e), KW_ESTATE);
    kw_txer_free(t2);
}

/* ---- channel accounts -------------------------------------------------------- */

typedef struct worker {
    kw_seed_signer signer;
    int rc;
    int64_t fee;
    kw_err e;
} worker;

static void *plant_thread(void *arg)
{
    worker *w = arg;
    kw_tx_outcome out;
    kw_xdr_arena *a = kw_xdr_arena_new(8 << 20);
    kw_scval args[2] = {kw_scval_account(w->signer.signer.pub), kw_scval_i128(1000000)};
    kw_invoke_args inv = {.args = args, .nargs = 2};
    inv.contract.type = KW_SCADDR_CONTRACT;
    memcpy(inv.contract.key, farm, 32);
    strcpy(inv.function, "plant");
    expect x = {&inv};
    kw_tx_call c = {.invoke = inv, .signer = &w->signer.signer, .approve = approve_plant, .approve_ctx = &x};
    w->rc = kw_txer_invoke(T, &c, a, &out, &w->e);
    w->fee = out.fee_charged;
    kw_xdr_arena_free(a);
    return NULL;
}

Test(tx, channel_accounts_submit_in_parallel_under_fee_bumps)
{
    kw_txer_free(T);
    kw_rpc_free(R);
    char list[4 * KW_STRKEY_BUFSZ] = "";
    uint8_t ch_pub[3][32];
    for (int i = 0; i < 3; i++) {
        uint8_t seed[32];
        char sec[KW_STRKEY_BUFSZ];
        keypair((uint8_t)(0x40 + i), seed, ch_pub[i], sec);
        stub_account(S, ch_pub[i], 100 * (i + 1));
        strcat(list, i ? " , " : "");
        strcat(list, sec);
    }
    open_txer(list);
    cr_assert_eq(kw_txer_sources(T), 3);
    enum { N = 6 };
    worker w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        uint8_t seed[32];
        memset(seed, 0x60 + i, 32);
        kw_seed_signer_init(&w[i].signer, seed);
        stub_set_balance(S, w[i].signer.signer.pub, 10000000);
        pthread_create(&th[i], NULL, plant_thread, &w[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(w[i].rc, 0, "farmer %d: %s", i, w[i].e.msg);
        cr_assert_eq(w[i].fee, 53000 + 100 + 100, "the fee bump pays one more inclusion fee");
        kw_seed_signer_wipe(&w[i].signer);
    }
    stub_counts c = stub_get_counts(S);
    cr_assert_eq(c.fee_bumps, N, "every channel transaction is fee-bumped by the fee account");
    cr_assert_eq(stub_account_seq(S, fee_pub), 5000, "the fee account's sequence is untouched");
    int64_t used = 0;
    for (int i = 0; i < 3; i++)
        used += stub_account_seq(S, ch_pub[i]) - 100 * (i + 1);
    cr_assert_eq(used, N);
}

Test(tx, events_of_the_farm_by_topic_and_cursor)
{
    kw_xdr_arena *a = kw_xdr_arena_new(8 << 20);
    kw_tx_outcome out;
    kw_err e = {0};
    cr_assert_eq(plant(1000000, a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(work(a, &out, &e), 0, "%s", e.msg);
    kw_rpc_events ev;
    cr_assert_eq(kw_rpc_get_events(R, farm, "plant", 1000, NULL, 10, a, &ev, &e), 0, "%s", e.msg);
    cr_assert_eq(ev.n, 1);
    cr_assert(kw_scval_is_symbol(&ev.events[0].topics[0], "plant"));
    cr_assert_eq(memcmp(ev.events[0].topics[1].v.address.key, farmer.signer.pub, 32), 0);
    cr_assert_eq(memcmp(ev.events[0].contract, farm, 32), 0);
    cr_assert_eq(ev.events[0].ledger, 1001);
    cr_assert_eq(kw_rpc_get_events(R, farm, NULL, 1000, NULL, 10, a, &ev, &e), 0, "%s", e.msg);
    cr_assert_eq(ev.n, 2, "plant and work");
    cr_assert_eq(ev.events[1].value.type, KW_SCV_U32);
    cr_assert_eq(kw_rpc_get_events(R, farm, NULL, 0, ev.cursor, 10, a, &ev, &e), 0, "%s", e.msg);
    cr_assert_eq(ev.n, 0, "nothing after the cursor");
    cr_assert_eq(kw_rpc_get_events(R, farm, "not a symbol!", 1000, NULL, 10, a, &ev, &e), KW_EINVAL);
    cr_assert_eq(kw_rpc_get_events(R, farm, NULL, 1000, NULL, 0, a, &ev, &e), KW_EINVAL);
    kw_xdr_arena_free(a);
}
