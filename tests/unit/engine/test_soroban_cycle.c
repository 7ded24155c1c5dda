/*
 * The farming engine plays a whole cycle through the Soroban backend against
 * the loopback Stellar RPC (tests/unit/chain/rpc_stub): users' plants are
 * planted with their custodial keys (each signing only its own auth entry,
 * the operator's fee account paying), worked, harvested once the block rolls
 * over, and the cycle is resolved and settled; the books reconcile with what
 * the RPC's token holds. Ledgers and blocks are closed by the test, time is
 * an injected clock.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "chain/soroban/kale.h"
#include "crypto/strkey.h"
#include "engine/actions.h"
#include "engine/engine.h"
#include "engine/reconcile.h"
#include "obs/log.h"
#include "../chain/rpc_stub.h"
#include "store/ledger.h"
#include "store/repo_users.h"
#include "store/repo_wallets.h"
#include "../chain/xdr_util.h"

#define K INT64_C(10000000)
#define NUSERS 3

static stub *S;
static kw_config cfg;
static kw_manual_clock clk;
static kw_engine *E;
static char dir[64];
static uint8_t wallet_key[NUSERS][32];
static int64_t user_id[NUSERS];

static void set(const char *k, const char *v)
{
    kw_config_key key;
    kw_err e;
    cr_assert_eq(kw_config_lookup(k, &key), 0, "%s", k);
    cr_assert_eq(kw_config_set(&cfg, key, v, KW_SRC_FLAG, &e), 0, "%s", e.msg);
}

typedef struct deposit {
    int64_t user, amount;
} deposit;

/* Books KALE a user sent to their custodial address (what a deposit watcher would do). */
static int deposit_tx(kw_db *db, void *ctx, kw_err *err)
{
    deposit *d = ctx;
    int64_t in, avail;
    int rc = kw_ledger_account(db, KW_ACCT_CHAIN_IN, 0, &in, err);
    if (rc || (rc = kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, d->user, &avail, err)))
        return rc;
    char ref[24];
    snprintf(ref, sizeof ref, "%lld", (long long)d->user);
    kw_ledger_line lines[] = {{in, -d->amount}, {avail, d->amount}};
    kw_ledger_entry en = {.kind = "deposit", .ref = ref, .lines = lines, .nlines = 2, .at_ms = 0};
    return kw_ledger_post(db, &en, NULL, err);
}

static void make_user(int i)
{
    kw_db *db;
    kw_err e;
    int64_t wid, now = kw_clock_now_ms(&clk.clock);
    kw_user u = {0};
    snprintf(u.username, sizeof u.username, "stellar%d", i);
    snprintf(u.password_hash, sizeof u.password_hash, "!");
    char address[KW_STRKEY_BUFSZ], *sealed;
    cr_assert_eq(kw_store_acquire(E->store, KW_DB_WRITE, &db, &e), 0);
    cr_assert_eq(kw_db_begin(db, &e), 0);
    cr_assert_eq(kw_repo_users_create(db, &u, now, &user_id[i], &e), 0, "%s", e.msg);
    cr_assert_eq(kw_wallet_create(E->kek, now, address, &sealed, &e), 0);
    cr_assert_eq(kw_repo_wallets_insert(db, user_id[i], address, sealed, KW_WALLET_VERSION, now, &wid, &e), 0);
    cr_assert_eq(kw_db_commit(db, &e), 0);
    kw_store_release(E->store, db);
    free(sealed);
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, address, wallet_key[i], &e), 0);
    stub_set_balance(S, wallet_key[i], 100 * K);
    cr_assert_eq(kw_store_tx(E->store, deposit_tx, &(deposit){user_id[i], 100 * K}, &e), 0, "%s", e.msg);
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    uint8_t farm[32], asset[32], oracle[32], fee_pub[32], seed[32], sk[64];
    char farm_id[KW_STRKEY_BUFSZ], fee_secret[KW_STRKEY_BUFSZ];
    t_raw32(T_FARM_HEX, farm);
    kw_strkey_encode(KW_STRKEY_CONTRACT, farm, farm_id);
    memset(asset, 0xa5, 32);
    memset(oracle, 0x0c, 32);
    memset(seed, 0x22, 32);
    crypto_sign_seed_keypair(fee_pub, sk, seed);
    kw_strkey_encode(KW_STRKEY_SEED, seed, fee_secret);
    S = stub_start(farm, asset, oracle);
    stub_account(S, fee_pub, 777);

    snprintf(dir, sizeof dir, "/tmp/kwx-soroban-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(kw_config_init(&cfg), 0);
    set("KALEWX_DATA_DIR", dir);
    set("DATABASE_URL", "");
    set("KALEWX_CHAIN", "testnet");
    set("STELLAR_RPC_URL", stub_url(S));
    set("KALE_CONTRACT_ID", farm_id);
    set("KALEWX_FEE_ACCOUNT_SECRET", fee_secret);
    set("KALEWX_MASTER_KEY", "a-soroban-engine-test-master-key-long-enough");
    set("CYCLE_START_BLOCK", "30000");
    set("CYCLE_LENGTH", "4");
    set("PLANTING_BLOCKS", "1");
    set("WORKING_BLOCKS", "1");
    set("REVEALING_BLOCKS", "1");
    set("SETTLING_BLOCKS", "1");
    kw_log_setup(KW_LOG_ERROR, "test", 2);
    kw_manual_clock_init(&clk, INT64_C(1752700000000) + 1000);
    kw_err e = {0};
    cr_assert_eq(kw_engine_open(&cfg, &clk.clock, &E, &e), 0, "%s", e.msg);
    E->farming.work_hashes = 2000;
    for (int i = 0; i < NUSERS; i++)
        make_user(i);
}

static void teardown(void)
{
    kw_engine_close(E);
    kw_config_free(&cfg);
    stub_stop(S);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static void tick(void)
{
    kw_err e = {0};
    int rc = kw_engine_tick(E, &e);
    cr_assert(rc == 0 || rc == KW_ETRANSIENT, "tick: %s", e.msg);
}

static const kw_sql SQL_STATE = {.sql = "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id = $1 AND current_state = 'settled'"};
static const kw_sql SQL_REWARDS = {
    .sql = "SELECT COUNT(*) FROM farm_positions WHERE status = 'settled' AND base_reward > 0 AND cycle_id = $1"};

static int64_t count(const kw_sql *q, int64_t arg)
{
    kw_db *db;
    kw_err e;
    int64_t v = -1;
    cr_assert_eq(kw_store_acquire(E->store, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_db_query_int(db, q, KW_ARGS(KW_I(arg)), &v, &e), 0, "%s", e.msg);
    kw_store_release(E->store, db);
    return v;
}

TestSuite(soroban_engine, .init = setup, .fini = teardown);

Test(soroban_engine, a_full_cycle_is_farmed_resolved_and_settled, .timeout = 120)
{
    tick();
    uint32_t block;
    cr_assert(kw_engine_block(E, &block));
    cr_assert_eq(block, 30000);
    for (int i = 0; i < NUSERS; i++) {
        kw_action_req req = {.user_id = user_id[i], .type = i == 2 ? KW_ACTION_WAGER : KW_ACTION_PLANT,
                             .direction = KW_OUTCOME_GOOD, .amount = (10 + i) * K};
        kw_action_result res;
        kw_err e = {0};
        cr_assert_eq(kw_action_submit(E->store, &E->cycle, block, &req, kw_clock_now_ms(&clk.clock), &res, &e), 0,
                     "%s", e.msg);
    }
    /* Ledgers close every 5 s and a block every 60 ledgers, until cycle 0 settles. */
    for (int ledger = 0; ledger < 60 * 8 && count(&SQL_STATE, 0) == 0; ledger++) {
        if (ledger % 60 == 59)
            stub_next_block(S);
        else
            stub_next_ledger(S);
        kw_manual_clock_advance(&clk, 5000);
        tick();
    }
    cr_assert_eq(count(&SQL_STATE, 0), 1, "cycle 0 settled");
    cr_assert_eq(count(&SQL_REWARDS, 0), 2, "both plants harvested with a reward and settled");
    for (int i = 0; i < 2; i++)
        cr_assert_gt(stub_balance(S, wallet_key[i]), 100 * K - (10 + i) * K, "the harvest paid stake + reward on chain");
    kw_reconcile_report rep;
    kw_err e = {0};
    cr_assert_eq(kw_reconcile(E->store, &E->chain, &E->retry, &rep, &e), 0, "%s", e.msg);
    cr_assert_eq(rep.wallets, NUSERS + 1, "the users' wallets and the treasury");
}
