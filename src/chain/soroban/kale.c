#include "chain/soroban/kale.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/soroban/tx.h"
#include "chain/soroban/xdr.h"
#include "crypto/strkey.h"

#define ARENA_CAP (8u << 20)
#define TOKEN_BALANCE_ERROR 10
#define TOKEN_ACCOUNT_MISSING 6
#define TOKEN_TRUSTLINE_MISSING 13

typedef struct kale {
    kw_rpc *rpc;
    kw_txer *tx;
    uint8_t farm[32];
    pthread_mutex_t mu;
    bool has_asset;
    uint8_t asset[32];              /* HomesteadAsset: the KALE token contract */
} kale;

/* ---- decoding the contract's values ------------------------------------------ */

static int malformed(kw_err *err, const char *what)
{
    return kw_err_set(err, KW_EINVAL, "the farm contract's %s has an unexpected shape", what);
}

static const kw_scval *field(const kw_scval *map, const char *name)
{
    return map->type == KW_SCV_MAP ? kw_scmap_find(map->v.map.entries, map->v.map.n, name) : NULL;
}

static bool get_u32(const kw_scval *map, const char *name, uint32_t *out)
{
    const kw_scval *v = field(map, name);
    if (!v || v->type != KW_SCV_U32)
        return false;
    *out = v->v.u32;
    return true;
}

static bool get_i128(const kw_scval *map, const char *name, __int128 *out)
{
    const kw_scval *v = field(map, name);
    if (!v || v->type != KW_SCV_I128)
        return false;
    *out = v->v.i128;
    return true;
}

/* An Option<u32>: void is None. */
static bool get_opt_u32(const kw_scval *map, const char *name, bool *some, uint32_t *out)
{
    const kw_scval *v = field(map, name);
    if (!v || (v->type != KW_SCV_U32 && v->type != KW_SCV_VOID))
        return false;
    *some = v->type == KW_SCV_U32;
    *out = *some ? v->v.u32 : 0;
    return true;
}

static int parse_block(const kw_scval *m, uint32_t index, kw_chain_block *b, kw_err *err)
{
    memset(b, 0, sizeof *b);
    b->index = index;
    const kw_scval *ts = field(m, "timestamp"), *ent = field(m, "entropy");
    if (!ts || ts->type != KW_SCV_U64 || !ent || ent->type != KW_SCV_BYTES || ent->v.bytes.n != 32 ||
        !get_u32(m, "min_gap", &b->min_gap) || !get_u32(m, "max_gap", &b->max_gap) ||
        !get_i128(m, "min_stake", &b->min_stake) || !get_i128(m, "max_stake", &b->max_stake) ||
        !get_u32(m, "min_zeros", &b->min_zeros) || !get_u32(m, "max_zeros", &b->max_zeros) ||
        !get_i128(m, "staked_total", &b->staked_total) || !get_i128(m, "normalized_total", &b->normalized_total))
        return malformed(err, "Block entry");
    b->timestamp = ts->v.u64;
    memcpy(b->entropy, ent->v.bytes.p, 32);
    return 0;
}

static int parse_pail(const kw_scval *m, kw_chain_pail *p, kw_err *err)
{
    bool has_gap, has_zeros;
    memset(p, 0, sizeof *p);
    if (!get_u32(m, "sequence", &p->sequence) || !get_i128(m, "stake", &p->stake) ||
        !get_opt_u32(m, "gap", &has_gap, &p->gap) || !get_opt_u32(m, "zeros", &has_zeros, &p->zeros))
        return malformed(err, "Pail entry");
    p->worked = has_gap && has_zeros;
    return 0;
}

/* ---- ledger keys -------------------------------------------------------------- */

static kw_ledger_key instance_key(const kale *k)
{
    return kw_ledger_key_contract_data(k->farm, kw_scval_instance_key(), KW_DURABILITY_PERSISTENT);
}

/* Storage::Block(index) and Storage::Pail(farmer, index): enum variants are
 * vectors [symbol name, fields…]; items must outlive the key. */
static kw_ledger_key block_key(const kale *k, uint32_t index, kw_scval items[2])
{
    items[0] = kw_scval_symbol("Block");
    items[1] = kw_scval_u32(index);
    return kw_ledger_key_contract_data(k->farm, kw_scval_vec(items, 2), KW_DURABILITY_TEMPORARY);
}

static kw_ledger_key pail_key(const kale *k, const uint8_t farmer[32], uint32_t index, kw_scval items[3])
{
    items[0] = kw_scval_symbol("Pail");
    items[1] = kw_scval_account(farmer);
    items[2] = kw_scval_u32(index);
    return kw_ledger_key_contract_data(k->farm, kw_scval_vec(items, 3), KW_DURABILITY_TEMPORARY);
}

static kw_xdr_arena *new_arena(kw_err *err)
{
    kw_xdr_arena *a = kw_xdr_arena_new(ARENA_CAP);
    if (!a)
        kw_err_set(err, KW_ENOMEM, "out of memory");
    return a;
}

typedef struct instance {
    uint32_t farm_index;
    bool paused;
    bool has_asset;
    uint8_t asset[32];
} instance;

static int read_instance(kale *k, kw_xdr_arena *a, instance *out, kw_err *err)
{
    kw_ledger_key key = instance_key(k);
    kw_rpc_entry e;
    memset(out, 0, sizeof *out);
    int rc = kw_rpc_get_ledger_entries(k->rpc, &key, 1, a, &e, NULL, err);
    if (rc)
        return rc;
    if (!e.found)
        return kw_err_set(err, KW_ENOTFOUND, "the farm contract does not exist on this network (KALE_CONTRACT_ID)");
    const kw_scval *v = &e.entry.val;
    if (e.entry.type != KW_LEDGER_CONTRACT_DATA || v->type != KW_SCV_CONTRACT_INSTANCE)
        return malformed(err, "instance entry");
    const kw_scmap_entry *st = v->v.instance.entries;
    uint32_t n = v->v.instance.has_storage ? v->v.instance.n : 0;
    /* Absent keys have the contract's defaults: index 0, not paused. */
    const kw_scval *idx = kw_scmap_find(st, n, "FarmIndex"), *paused = kw_scmap_find(st, n, "FarmPaused"),
                   *asset = kw_scmap_find(st, n, "HomesteadAsset");
    if ((idx && idx->type != KW_SCV_U32) || (paused && paused->type != KW_SCV_BOOL) ||
        (asset && (asset->type != KW_SCV_ADDRESS || asset->v.address.type != KW_SCADDR_CONTRACT)))
        return malformed(err, "instance storage");
    out->farm_index = idx ? idx->v.u32 : 0;
    out->paused = paused && paused->v.b;
    if (asset) {
        out->has_asset = true;
        memcpy(out->asset, asset->v.address.key, 32);
        pthread_mutex_lock(&k->mu);
        memcpy(k->asset, out->asset, 32);
        k->has_asset = true;
        pthread_mutex_unlock(&k->mu);
    }
    return 0;
}

/* The token contract, read once from the instance. */
static int token(kale *k, uint8_t out[32], kw_err *err)
{
    pthread_mutex_lock(&k->mu);
    bool have = k->has_asset;
    memcpy(out, k->asset, 32);
    pthread_mutex_unlock(&k->mu);
    if (have)
        return 0;
    kw_xdr_arena *a = new_arena(err);
    instance in;
    int rc = a ? read_instance(k, a, &in, err) : KW_ENOMEM;
    kw_xdr_arena_free(a);
    if (rc == 0 && !in.has_asset)
        rc = kw_chain_reject(err, KW_KALE_EHOMESTEAD_MISSING);
    if (rc == 0)
        memcpy(out, in.asset, 32);
    return rc;
}

/* Reads one temporary entry; KW_ENOTFOUND when absent. */
static int read_temp(kale *k, const kw_ledger_key *key, kw_xdr_arena *a, kw_scval *val, const char *what,
                     kw_err *err)
{
    kw_rpc_entry e;
    int rc = kw_rpc_get_ledger_entries(k->rpc, key, 1, a, &e, NULL, err);
    if (rc)
        return rc;
    if (!e.found)
        return kw_err_set(err, KW_ENOTFOUND, "%s not found on chain", what);
    if (e.entry.type != KW_LEDGER_CONTRACT_DATA)
        return malformed(err, what);
    *val = e.entry.val;
    return 0;
}

/* ---- errors -------------------------------------------------------------------- */

/* Maps a kw_txer failure of a farm call onto chain.h's convention. */
static int farm_error(int rc, kw_err *err, bool token_involved)
{
    if (rc != KW_ECHAIN)
        return rc;
    int code = err ? err->code : KW_ECHAIN;
    if (code == TOKEN_BALANCE_ERROR && token_involved)
        return kw_err_set(err, KW_EFUNDS, "the farmer's KALE balance does not cover the stake");
    if (code >= KW_KALE_EHOMESTEAD_EXISTS && code <= KW_KALE_EGAP_COUNT_TOO_LOW)
        return kw_chain_reject(err, code);
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
    if (strstr(msg, "Error(Auth"))
        return kw_err_set(err, KW_EAUTH, "%s", msg);
    return kw_err_set(err, KW_ETRANSIENT, "%s", msg);
}

/* ---- operations ---------------------------------------------------------------- */

static int op_block(void *st, uint32_t index, kw_chain_block *out, kw_err *err)
{
    kale *k = st;
    kw_scval items[2], v;
    kw_ledger_key key = block_key(k, index, items);
    kw_xdr_arena *a = new_arena(err);
    if (!a)
        return KW_ENOMEM;
    int rc = read_temp(k, &key, a, &v, "Block", err);
    if (rc == 0)
        rc = parse_block(&v, index, out, err);
    kw_xdr_arena_free(a);
    return rc;
}

static int op_status(void *st, kw_chain_status *out, kw_err *err)
{
    kale *k = st;
    kw_rpc_ledger l;
    instance in;
    memset(out, 0, sizeof *out);
    int rc = kw_rpc_get_latest_ledger(k->rpc, &l, err);
    if (rc)
        return rc;
    kw_xdr_arena *a = new_arena(err);
    if (!a)
        return KW_ENOMEM;
    rc = read_instance(k, a, &in, err);
    kw_xdr_arena_free(a);
    if (rc)
        return rc;
    out->ledger_seq = l.sequence;
    out->ledger_close_time = l.close_time;
    out->farm_index = in.farm_index;
    out->paused = in.paused;
    rc = op_block(st, in.farm_index, &out->block, err);
    if (rc == KW_ENOTFOUND) {
        memset(&out->block, 0, sizeof out->block);
        return 0;
    }
    out->has_block = rc == 0;
    return rc;
}

static int op_pail(void *st, const uint8_t farmer[32], uint32_t index, kw_chain_pail *out, kw_err *err)
{
    kale *k = st;
    kw_scval items[3], v;
    kw_ledger_key key = pail_key(k, farmer, index, items);
    kw_xdr_arena *a = new_arena(err);
    if (!a)
        return KW_ENOMEM;
    int rc = read_temp(k, &key, a, &v, "Pail", err);
    if (rc == 0)
        rc = parse_pail(&v, out, err);
    kw_xdr_arena_free(a);
    return rc;
}

static int to_stroops(const kw_scval *v, int64_t *out, const char *what, kw_err *err)
{
    if (v->type != KW_SCV_I128)
        return malformed(err, what);
    if (v->v.i128 > INT64_MAX || v->v.i128 < INT64_MIN)
        return kw_err_set(err, KW_ERANGE, "%s does not fit 64 bits", what);
    *out = (int64_t)v->v.i128;
    return 0;
}

static int op_balance(void *st, const uint8_t address[32], int64_t *out, kw_err *err)
{
    kale *k = st;
    kw_invoke_args inv = {.nargs = 1};
    kw_scval arg = kw_scval_account(address), v;
    int rc = token(k, inv.contract.key, err);
    if (rc)
        return rc;
    inv.contract.type = KW_SCADDR_CONTRACT;
    inv.args = &arg;
    strcpy(inv.function, "balance");
    kw_xdr_arena *a = new_arena(err);
    if (!a)
        return KW_ENOMEM;
    rc = kw_txer_read(k->tx, &inv, a, &v, NULL, err);
    if (rc == KW_ECHAIN && err && (err->code == TOKEN_TRUSTLINE_MISSING || err->code == TOKEN_ACCOUNT_MISSING)) {
        *out = 0;
        rc = 0;
    } else if (rc == 0) {
        rc = to_stroops(&v, out, "the token balance", err);
    } else {
        rc = farm_error(rc, err, false);
    }
    kw_xdr_arena_free(a);
    return rc;
}

/* What a farmer may be asked to authorise: exactly the call made, and
 * beneath it nothing but the token calls listed (same arguments, no deeper). */
typedef struct policy {
    const kw_invoke_args *call;
    const uint8_t *token;
    const char *sub_fn;             /* NULL: no sub-invocation allowed */
} policy;

static bool same_args(const kw_invoke_args *a, const kw_invoke_args *b)
{
    if (a->contract.type != b->contract.type || memcmp(a->contract.key, b->contract.key, 32) != 0 ||
        strcmp(a->function, b->function) != 0 || a->nargs != b->nargs)
        return false;
    for (uint32_t i = 0; i < a->nargs; i++)
        if (!kw_scval_equal(&a->args[i], &b->args[i]))
            return false;
    return true;
}

static bool approve(void *ctx, const kw_auth_invocation *root)
{
    const policy *p = ctx;
    if (!same_args(&root->fn, p->call) || root->nsubs > 1 || (root->nsubs && !p->sub_fn))
        return false;
    if (root->nsubs == 0)
        return true;
    const kw_auth_invocation *sub = &root->subs[0];
    kw_invoke_args want = {.args = p->call->args, .nargs = p->call->nargs};
    want.contract.type = KW_SCADDR_CONTRACT;
    memcpy(want.contract.key, p->token, 32);
    snprintf(want.function, sizeof want.function, "%s", p->sub_fn);
    return sub->nsubs == 0 && same_args(&sub->fn, &want);
}

static kw_tx_signer tx_signer(const kw_chain_signer *s)
{
    kw_tx_signer t = {.sign = s->sign, .ctx = s->ctx};
    memcpy(t.pub, s->public_key, 32);
    return t;
}

static kw_invoke_args farm_call(const kale *k, const char *fn, const kw_scval *args, uint32_t n)
{
    kw_invoke_args inv = {.args = args, .nargs = n};
    inv.contract.type = KW_SCADDR_CONTRACT;
    memcpy(inv.contract.key, k->farm, 32);
    snprintf(inv.function, sizeof inv.function, "%s", fn);
    return inv;
}

static int op_plant(void *st, const kw_chain_signer *farmer, int64_t amount, uint32_t *index, uint32_t *ledger_seq,
                    kw_err *err)
{
    kale *k = st;
    uint8_t tok[32];
    int64_t have = 0;
    int rc = token(k, tok, err);
    if (rc)
        return rc;
    if (amount > 0) {
        if ((rc = op_balance(st, farmer->public_key, &have, err)))
            return rc;
        if (have < amount)
            return kw_err_set(err, KW_EFUNDS, "the farmer holds %lld stroops of KALE, the stake is %lld",
                              (long long)have, (long long)amount);
    }
    kw_scval args[2] = {kw_scval_account(farmer->public_key), kw_scval_i128(amount)};
    kw_invoke_args inv = farm_call(k, "plant", args, 2);
    policy p = {.call = &inv, .token = tok, .sub_fn = "burn"};
    kw_tx_signer signer = tx_signer(farmer);
    kw_tx_call call = {.invoke = inv, .signer = &signer, .approve = approve, .approve_ctx = &p};
    kw_tx_outcome out;
    kw_xdr_arena *a = new_arena(err);
    if (!a)
        return KW_ENOMEM;
    rc = farm_error(kw_txer_invoke(k->tx, &call, a, &out, err), err, true);
    kw_xdr_arena_free(a);
    if (rc)
        return rc;
    if (ledger_seq)
        *ledger_seq = out.ledger;
    if (!index)
        return 0;
    /* The plant may have rolled the farm over: the pail planted in out.ledger
     * says which block it went to. */
    kw_chain_status s;
    if ((rc = op_status(st, &s, err)))
        return rc;
    for (uint32_t back = 0; back < 2 && back <= s.farm_index; back++) {
        kw_chain_pail pl;
        rc = op_pail(st, farmer->public_key, s.farm_index - back, &pl, err);
        if (rc == 0 && pl.sequence == out.ledger) {
            *index = s.farm_index - back;
            return 0;
        }
        if (rc && rc != KW_ENOTFOUND)
            return rc;
    }
    return kw_err_set(err, KW_EINTERNAL, "the plant landed in ledger %u but its pail cannot be found", out.ledger);
}

static int op_work(void *st, const uint8_t farmer[32], const uint8_t hash[32], uint64_t nonce, uint32_t *gap,
                   kw_err *err)
{
    kale *k = st;
    kw_scval args[3] = {kw_scval_account(farmer), kw_scval_bytes(hash, 32), kw_scval_u64(nonce)};
    kw_tx_call call = {.invoke = farm_call(k, "work", args, 3)};
    kw_tx_outcome out;
    kw_xdr_arena *a = new_arena(err);
    if (!a)
        return KW_ENOMEM;
    int rc = farm_error(kw_txer_invoke(k->tx, &call, a, &out, err), err, false);
    if (rc == 0 && (!out.has_return || out.return_value.type != KW_SCV_U32))
        rc = malformed(err, "work result");
    if (rc == 0 && gap)
        *gap = out.return_value.v.u32;
    kw_xdr_arena_free(a);
    return rc;
}

static int op_harvest(void *st, const uint8_t farmer[32], uint32_t index, int64_t *reward, kw_err *err)
{
    kale *k = st;
    kw_scval args[2] = {kw_scval_account(farmer), kw_scval_u32(index)};
    kw_tx_call call = {.invoke = farm_call(k, "harvest", args, 2)};
    kw_tx_outcome out;
    int64_t r = 0;
    kw_xdr_arena *a = new_arena(err);
    if (!a)
        return KW_ENOMEM;
    int rc = farm_error(kw_txer_invoke(k->tx, &call, a, &out, err), err, false);
    if (rc == 0)
        rc = out.has_return ? to_stroops(&out.return_value, &r, "harvest result", err) : malformed(err, "harvest result");
    if (rc == 0 && reward)
        *reward = r;
    kw_xdr_arena_free(a);
    return rc;
}

static int op_transfer(void *st, const kw_chain_signer *from, const uint8_t to[32], int64_t amount, kw_err *err)
{
    kale *k = st;
    if (amount <= 0)
        return kw_err_set(err, KW_EINVAL, "a transfer needs a positive amount");
    kw_scval args[3] = {kw_scval_account(from->public_key), kw_scval_account(to), kw_scval_i128(amount)};
    kw_invoke_args inv = {.args = args, .nargs = 3};
    int rc = token(k, inv.contract.key, err);
    if (rc)
        return rc;
    inv.contract.type = KW_SCADDR_CONTRACT;
    strcpy(inv.function, "transfer");
    policy p = {.call = &inv};
    kw_tx_signer signer = tx_signer(from);
    kw_tx_call call = {.invoke = inv, .signer = &signer, .approve = approve, .approve_ctx = &p};
    kw_tx_outcome out;
    kw_xdr_arena *a = new_arena(err);
    if (!a)
        return KW_ENOMEM;
    rc = kw_txer_invoke(k->tx, &call, a, &out, err);
    kw_xdr_arena_free(a);
    if (rc == KW_ECHAIN && err && (err->code == TOKEN_BALANCE_ERROR || err->code == TOKEN_TRUSTLINE_MISSING))
        return kw_err_set(err, KW_EFUNDS, "the sender's KALE balance does not cover the transfer");
    if (rc == KW_ECHAIN && err && err->code >= 0)
        return kw_err_set(err, KW_ETRANSIENT, "the KALE token refused the transfer (error %d)", err->code);
    return farm_error(rc, err, true);
}

static int op_faucet(void *st, const uint8_t to[32], int64_t amount, kw_err *err)
{
    (void)st;
    (void)to;
    (void)amount;
    return kw_err_set(err, KW_ESTATE, "there is no faucet on a real network");
}

static void op_close(void *st)
{
    kale *k = st;
    if (!k)
        return;
    kw_txer_free(k->tx);
    kw_rpc_free(k->rpc);
    pthread_mutex_destroy(&k->mu);
    free(k);
}

static const kw_chain_ops ops = {
    .status = op_status,
    .block = op_block,
    .plant = op_plant,
    .work = op_work,
    .harvest = op_harvest,
    .pail = op_pail,
    .balance = op_balance,
    .transfer = op_transfer,
    .faucet = op_faucet,
    .close = op_close,
};

/* ---- opening ----------------------------------------------------------------- */

int kw_soroban_opts_from_config(const kw_config *cfg, kw_soroban_opts *o, kw_err *err)
{
    memset(o, 0, sizeof *o);
    o->network = kw_config_str(cfg, KW_CFG_KALEWX_CHAIN);
    if (strcmp(o->network, "testnet") != 0 && strcmp(o->network, "mainnet") != 0)
        return kw_err_set(err, KW_EINVAL, "KALEWX_CHAIN must be testnet or mainnet for the Stellar backend");
    o->rpc_url = kw_config_str(cfg, KW_CFG_STELLAR_RPC_URL);
    o->passphrase = kw_config_str(cfg, KW_CFG_STELLAR_NETWORK_PASSPHRASE);
    o->contract_id = kw_config_str(cfg, KW_CFG_KALE_CONTRACT_ID);
    o->fee_secret = kw_config_str(cfg, KW_CFG_KALEWX_FEE_ACCOUNT_SECRET);
    o->channel_secrets = kw_config_str(cfg, KW_CFG_CHANNEL_ACCOUNTS);
    return 0;
}

static const char *or_default(const char *v, const char *def)
{
    return v && *v ? v : def;
}

int kw_stellar_network(const char *name, const char *passphrase, const char *rpc_url, bool *mainnet,
                       const char **passphrase_out, const char **rpc_url_out)
{
    *mainnet = name && strcmp(name, "mainnet") == 0;
    if (!*mainnet && (!name || strcmp(name, "testnet") != 0))
        return KW_EINVAL;
    *passphrase_out = or_default(passphrase, *mainnet ? KW_STELLAR_MAINNET_PASSPHRASE : KW_STELLAR_TESTNET_PASSPHRASE);
    *rpc_url_out = or_default(rpc_url, *mainnet ? NULL : KW_STELLAR_TESTNET_RPC);
    return 0;
}

int kw_soroban_open(const kw_soroban_opts *o, kw_chain *out, kw_err *err)
{
    bool mainnet;
    const char *pass, *url;
    memset(out, 0, sizeof *out);
    if (kw_stellar_network(o->network, o->passphrase, o->rpc_url, &mainnet, &pass, &url))
        return kw_err_set(err, KW_EINVAL, "KALEWX_CHAIN must be testnet or mainnet for the Stellar backend");
    const char *cid = or_default(o->contract_id, mainnet ? KW_KALE_MAINNET_CONTRACT : KW_KALE_TESTNET_CONTRACT);
    if (!url)
        return kw_err_set(err, KW_EINVAL, "STELLAR_RPC_URL is required on mainnet");
    kale *k = calloc(1, sizeof *k);
    if (!k)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    pthread_mutex_init(&k->mu, NULL);
    int rc;
    if (kw_strkey_decode(KW_STRKEY_CONTRACT, cid, k->farm, NULL)) {
        rc = kw_err_set(err, KW_EINVAL, "KALE_CONTRACT_ID is not a C... contract address");
        goto fail;
    }
    kw_rpc_opts ro = {.url = url, .timeout_ms = o->rpc_timeout_ms, .attempts = o->rpc_attempts, .clock = o->clock};
    if ((rc = kw_rpc_new(&ro, &k->rpc, err)))
        goto fail;
    kw_rpc_network net;
    if ((rc = kw_rpc_get_network(k->rpc, &net, err)))
        goto fail;
    if (strcmp(net.passphrase, pass) != 0) {
        rc = kw_err_set(err, KW_EINVAL, "STELLAR_RPC_URL serves \"%.60s\", not the network \"%.60s\" of KALEWX_CHAIN=%s",
                        net.passphrase, pass, mainnet ? "mainnet" : "testnet");
        goto fail;
    }
    kw_txer_opts to = {.rpc = k->rpc, .passphrase = pass, .fee_secret = o->fee_secret,
                       .channel_secrets = o->channel_secrets, .deadline_ms = o->deadline_ms, .poll_ms = o->poll_ms,
                       .clock = o->clock};
    if ((rc = kw_txer_new(&to, &k->tx, err)))
        goto fail;
    *out = (kw_chain){.ops = &ops, .state = k, .name = mainnet ? "mainnet" : "testnet", .block_seconds = 300,
                      .ledger_ms = 5000};
    return 0;
fail:
    op_close(k);
    return rc;
}
