#include "rpc_stub.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/soroban/xdr.h"
#include "crypto/kalehash.h"
#include "crypto/sha.h"
#include "crypto/strkey.h"

#define PASSPHRASE "Test SDF Network ; September 2015"

typedef struct account { uint8_t pub[32]; int64_t seq; bool has_seq; int64_t balance; } account;
typedef struct pail { uint8_t farmer[32]; uint32_t index, sequence, gap, zeros; int64_t stake; bool worked, live; } pail;
typedef struct txrec {
    char hash[65];
    bool failed, never_final, fee_bump;
    uint8_t inner_hash[32];
    int64_t contract_error;
    uint8_t ret[256];
    size_t nret;
    uint32_t ledger;
    int polls;
    int64_t fee;
} txrec;
typedef struct fault { char method[32]; stub_fault_kind k; int count, arg; char text[256]; } fault;
typedef struct price { char sym[16]; uint8_t contract[32]; bool by_contract; __int128 price; } price;
typedef struct event { uint32_t ledger; char fn[33]; uint8_t farmer[32]; uint8_t val[128]; size_t nval; } event;

struct stub {
    struct MHD_Daemon *d;
    char url[64];
    pthread_mutex_t mu;
    uint8_t farm[32], asset[32], oracle[32], network_id[32];
    bool has_oracle2;
    uint8_t oracle2[32], oracle2_base[32];
    uint32_t ledger, farm_index;
    bool paused;
    int64_t close_time, block_ts;
    uint8_t entropy[64][32];
    account accts[64];
    int naccts;
    pail pails[512];
    int npails;
    txrec txs[512];
    int ntxs;
    fault faults[32];
    int nfaults;
    price prices[32];
    int nprices;
    event events[512];
    int nevents;
    int64_t nonce;
    stub_counts counts;
    int in_flight;
};

/* ---- state helpers (called with mu held) ---------------------------------- */

static account *find_acct(stub *s, const uint8_t pub[32], bool create)
{
    for (int i = 0; i < s->naccts; i++)
        if (memcmp(s->accts[i].pub, pub, 32) == 0)
            return &s->accts[i];
    if (!create || s->naccts == 64)
        return NULL;
    account *a = &s->accts[s->naccts++];
    memset(a, 0, sizeof *a);
    memcpy(a->pub, pub, 32);
    return a;
}

static pail *find_pail(stub *s, const uint8_t farmer[32], uint32_t index)
{
    for (int i = 0; i < s->npails; i++)
        if (s->pails[i].live && s->pails[i].index == index && memcmp(s->pails[i].farmer, farmer, 32) == 0)
            return &s->pails[i];
    return NULL;
}

static bool take_fault(stub *s, const char *method, stub_fault_kind k, fault *out)
{
    for (int i = 0; i < s->nfaults; i++) {
        fault *f = &s->faults[i];
        if (f->count > 0 && f->k == k && strcmp(f->method, method) == 0) {
            f->count--;
            if (out)
                *out = *f;
            return true;
        }
    }
    return false;
}

/* ---- encoding helpers ------------------------------------------------------ */

static char *b64_of(kw_xdr_writer *w)
{
    char *out = NULL;
    if (kw_xdr_writer_base64(w, &out))
        abort();
    kw_xdr_writer_free(w);
    return out;
}

static json_t *jb64(kw_xdr_writer *w)
{
    char *b = b64_of(w);
    json_t *j = json_string(b);
    free(b);
    return j;
}

static json_t *scval_json(const kw_scval *v)
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_scval(&w, v);
    return jb64(&w);
}

static kw_scval *arr(kw_xdr_arena *a, size_t n)
{
    return kw_xdr_arena_alloc(a, n * sizeof(kw_scval));
}

static kw_scval block_map(stub *s, kw_xdr_arena *a, uint32_t index)
{
    kw_scmap_entry *e = kw_xdr_arena_alloc(a, 10 * sizeof *e);
    const char *names[] = {"entropy", "max_gap", "max_stake", "max_zeros", "min_gap", "min_stake",
                           "min_zeros", "normalized_total", "staked_total", "timestamp"};
    kw_scval vals[] = {kw_scval_bytes(s->entropy[index % 64], 32), kw_scval_u32(40), kw_scval_i128(5000000000),
                       kw_scval_u32(9), kw_scval_u32(1), kw_scval_i128(0), kw_scval_u32(0),
                       kw_scval_i128(123456789), kw_scval_i128(777), kw_scval_u64((uint64_t)s->block_ts)};
    for (int i = 0; i < 10; i++)
        e[i] = (kw_scmap_entry){kw_scval_symbol(names[i]), vals[i]};
    return kw_scval_map(e, 10);
}

static kw_scval key_vec(kw_xdr_arena *a, const char *name, const kw_scval *more, uint32_t n)
{
    kw_scval *items = arr(a, n + 1);
    items[0] = kw_scval_symbol(name);
    for (uint32_t i = 0; i < n; i++)
        items[i + 1] = more[i];
    return kw_scval_vec(items, n + 1);
}

static bool is_key(const kw_scval *k, const char *name, uint32_t nargs)
{
    return k->type == KW_SCV_VEC && k->v.vec.n == nargs + 1 && kw_scval_is_symbol(&k->v.vec.items[0], name);
}

/* ---- contract execution ----------------------------------------------------- */

typedef struct exec_result {
    int64_t contract_error;
    char error[128];
    kw_scval result;
    bool needs_auth;
    uint8_t auth_addr[32];
    kw_auth_invocation root;
} exec_result;

static void fail_contract(exec_result *r, int64_t code)
{
    r->contract_error = code;
}

static bool arg_account(const kw_invoke_args *inv, uint32_t i, uint8_t out[32])
{
    if (i >= inv->nargs || inv->args[i].type != KW_SCV_ADDRESS || inv->args[i].v.address.type != KW_SCADDR_ACCOUNT)
        return false;
    memcpy(out, inv->args[i].v.address.key, 32);
    return true;
}

static const price *find_price(stub *s, const kw_scval *asset)
{
    if (asset->type != KW_SCV_VEC || asset->v.vec.n != 2)
        return NULL;
    const kw_scval *tag = &asset->v.vec.items[0], *val = &asset->v.vec.items[1];
    for (int i = 0; i < s->nprices; i++) {
        const price *p = &s->prices[i];
        if (!p->by_contract && kw_scval_is_symbol(tag, "Other") && kw_scval_is_symbol(val, p->sym))
            return p;
        if (p->by_contract && kw_scval_is_symbol(tag, "Stellar") && val->type == KW_SCV_ADDRESS &&
            memcmp(val->v.address.key, p->contract, 32) == 0)
            return p;
    }
    return NULL;
}

static kw_scval price_data(kw_xdr_arena *a, __int128 p, uint64_t ts)
{
    kw_scmap_entry *e = kw_xdr_arena_alloc(a, 2 * sizeof *e);
    e[0] = (kw_scmap_entry){kw_scval_symbol("price"), kw_scval_i128(p)};
    e[1] = (kw_scmap_entry){kw_scval_symbol("timestamp"), kw_scval_u64(ts)};
    return kw_scval_map(e, 2);
}

static void exec_oracle(stub *s, const kw_invoke_args *inv, bool second, kw_xdr_arena *a, exec_result *r)
{
    uint64_t now = (uint64_t)s->close_time / 300 * 300;
    if (strcmp(inv->function, "base") == 0) {
        kw_scval *b = arr(a, 2);
        b[0] = kw_scval_symbol(second ? "Stellar" : "Other");
        b[1] = second ? kw_scval_contract(s->oracle2_base) : kw_scval_symbol("USD");
        r->result = kw_scval_vec(b, 2);
    } else if (strcmp(inv->function, "decimals") == 0) {
        r->result = kw_scval_u32(14);
    } else if (strcmp(inv->function, "resolution") == 0) {
        r->result = kw_scval_u32(300);
    } else if (strcmp(inv->function, "lastprice") == 0 && inv->nargs == 1) {
        const price *p = find_price(s, &inv->args[0]);
        r->result = p ? price_data(a, p->price, now) : kw_scval_void();
    } else if (strcmp(inv->function, "prices") == 0 && inv->nargs == 2 && inv->args[1].type == KW_SCV_U32) {
        const price *p = find_price(s, &inv->args[0]);
        uint32_t n = inv->args[1].v.u32 > 100 ? 100 : inv->args[1].v.u32;
        if (!p) {
            r->result = kw_scval_void();
            return;
        }
        kw_scval *items = arr(a, n ? n : 1);
        for (uint32_t k = 0; k < n; k++)
            items[k] = price_data(a, p->price - (__int128)k * (p->price / 1000), now - 300 * k);
        r->result = kw_scval_vec(items, n);
    } else {
        snprintf(r->error, sizeof r->error, "HostError: Error(WasmVm, InvalidAction) unknown function");
    }
}

static void exec_asset(stub *s, const kw_invoke_args *inv, bool apply, kw_xdr_arena *a, exec_result *r)
{
    uint8_t who[32], to[32];
    (void)a;
    if (strcmp(inv->function, "balance") == 0 && arg_account(inv, 0, who)) {
        account *ac = find_acct(s, who, false);
        r->result = kw_scval_i128(ac ? ac->balance : 0);
    } else if (strcmp(inv->function, "transfer") == 0 && arg_account(inv, 0, who) && arg_account(inv, 1, to) &&
               inv->nargs == 3 && inv->args[2].type == KW_SCV_I128) {
        int64_t amount = (int64_t)inv->args[2].v.i128;
        account *from = find_acct(s, who, true);
        r->needs_auth = true;
        memcpy(r->auth_addr, who, 32);
        r->root.fn = *inv;
        r->result = kw_scval_void();
        if (from->balance < amount) {
            fail_contract(r, 10);
        } else if (apply) {
            from->balance -= amount;
            find_acct(s, to, true)->balance += amount;
        }
    } else {
        snprintf(r->error, sizeof r->error, "HostError: Error(WasmVm, InvalidAction) unknown function");
    }
}

static void exec_farm(stub *s, const kw_invoke_args *inv, bool apply, uint32_t ledger, bool evil, kw_xdr_arena *a,
                      exec_result *r)
{
    uint8_t farmer[32];
    if (!arg_account(inv, 0, farmer)) {
        snprintf(r->error, sizeof r->error, "HostError: Error(Value, UnexpectedType)");
        return;
    }
    r->result = kw_scval_void();
    if (strcmp(inv->function, "plant") == 0 && inv->nargs == 2 && inv->args[1].type == KW_SCV_I128) {
        int64_t amount = (int64_t)inv->args[1].v.i128;
        r->needs_auth = true;
        memcpy(r->auth_addr, farmer, 32);
        r->root.fn = *inv;
        kw_auth_invocation *subs = kw_xdr_arena_alloc(a, 2 * sizeof *subs);
        kw_scval *burn_args = arr(a, 2);
        burn_args[0] = inv->args[0];
        burn_args[1] = inv->args[1];
        uint32_t nsubs = 0;
        if (amount > 0) {
            subs[nsubs].fn.contract.type = KW_SCADDR_CONTRACT;
            memcpy(subs[nsubs].fn.contract.key, s->asset, 32);
            strcpy(subs[nsubs].fn.function, "burn");
            subs[nsubs].fn.args = burn_args;
            subs[nsubs].fn.nargs = 2;
            nsubs++;
        }
        if (evil) {
            kw_scval *t = arr(a, 3);
            uint8_t thief[32];
            memset(thief, 0xee, 32);
            t[0] = inv->args[0];
            t[1] = kw_scval_account(thief);
            t[2] = inv->args[1];
            subs[nsubs].fn.contract.type = KW_SCADDR_CONTRACT;
            memcpy(subs[nsubs].fn.contract.key, s->asset, 32);
            strcpy(subs[nsubs].fn.function, "transfer");
            subs[nsubs].fn.args = t;
            subs[nsubs].fn.nargs = 3;
            nsubs++;
        }
        r->root.subs = subs;
        r->root.nsubs = nsubs;
        account *ac = find_acct(s, farmer, true);
        if (amount < 0)
            return fail_contract(r, 6);
        if (find_pail(s, farmer, s->farm_index))
            return fail_contract(r, 8);
        if (ac->balance < amount)
            return fail_contract(r, 10); /* the token's BalanceError */
        if (apply) {
            ac->balance -= amount;
            pail *p = &s->pails[s->npails++ % 512];
            *p = (pail){.index = s->farm_index, .sequence = ledger, .stake = amount, .live = true};
            memcpy(p->farmer, farmer, 32);
        }
    } else if (strcmp(inv->function, "work") == 0 && inv->nargs == 3 && inv->args[1].type == KW_SCV_BYTES &&
               inv->args[1].v.bytes.n == 32 && inv->args[2].type == KW_SCV_U64) {
        pail *p = find_pail(s, farmer, s->farm_index);
        if (!p)
            return fail_contract(r, 9);
        if (ledger <= p->sequence)
            return fail_contract(r, 15);
        uint8_t want[32];
        kw_kalehash(s->farm_index, inv->args[2].v.u64, s->entropy[s->farm_index % 64], farmer, want);
        if (memcmp(want, inv->args[1].v.bytes.p, 32) != 0)
            return fail_contract(r, 13);
        uint32_t zeros = kw_kalehash_zeros(want), gap = ledger - p->sequence;
        if (p->worked && zeros <= p->zeros)
            return fail_contract(r, 7);
        r->result = kw_scval_u32(gap);
        if (apply) {
            p->worked = true;
            p->gap = gap;
            p->zeros = zeros;
            memcpy(s->entropy[(s->farm_index + 1) % 64], inv->args[1].v.bytes.p, 32);
        }
    } else if (strcmp(inv->function, "harvest") == 0 && inv->nargs == 2 && inv->args[1].type == KW_SCV_U32) {
        uint32_t index = inv->args[1].v.u32;
        pail *p = find_pail(s, farmer, index);
        if (index + 64 < s->farm_index)
            return fail_contract(r, 11);
        if (!p)
            return fail_contract(r, 9);
        if (index >= s->farm_index)
            return fail_contract(r, 14);
        if (!p->worked)
            return fail_contract(r, 10);
        int64_t reward = 1000000 + p->stake / 2 + (int64_t)p->zeros * 1000;
        r->result = kw_scval_i128(reward);
        if (apply) {
            find_acct(s, farmer, true)->balance += reward + p->stake;
            p->live = false;
        }
    } else {
        snprintf(r->error, sizeof r->error, "HostError: Error(WasmVm, InvalidAction) unknown function");
    }
}

static void exec(stub *s, const kw_invoke_args *inv, bool apply, uint32_t ledger, bool evil, kw_xdr_arena *a,
                 exec_result *r)
{
    memset(r, 0, sizeof *r);
    r->contract_error = -1;
    const uint8_t *c = inv->contract.key;
    if (inv->contract.type == KW_SCADDR_CONTRACT && memcmp(c, s->farm, 32) == 0) {
        if (s->paused)
            return fail_contract(r, 4);
        exec_farm(s, inv, apply, ledger, evil, a, r);
    } else if (inv->contract.type == KW_SCADDR_CONTRACT && memcmp(c, s->asset, 32) == 0) {
        exec_asset(s, inv, apply, a, r);
    } else if (inv->contract.type == KW_SCADDR_CONTRACT && memcmp(c, s->oracle, 32) == 0) {
        exec_oracle(s, inv, false, a, r);
    } else if (inv->contract.type == KW_SCADDR_CONTRACT && s->has_oracle2 && memcmp(c, s->oracle2, 32) == 0) {
        exec_oracle(s, inv, true, a, r);
    } else {
        snprintf(r->error, sizeof r->error, "HostError: Error(Storage, MissingValue) no such contract");
    }
}

/* Verifies an address authorisation the way the host does: the signature over
 * sha256(HashIdPreimage) by the address's key, and the tree the contract asked for. */
static bool auth_ok(stub *s, const kw_auth_entry *e, const exec_result *r)
{
    if (e->cred_type != KW_CRED_ADDRESS || memcmp(e->address.key, r->auth_addr, 32) != 0)
        return false;
    if (e->sig_expiration_ledger <= s->ledger)
        return false;
    const kw_scval *sig = &e->signature;
    if (sig->type != KW_SCV_VEC || sig->v.vec.n != 1 || sig->v.vec.items[0].type != KW_SCV_MAP)
        return false;
    const kw_scval *m = &sig->v.vec.items[0];
    const kw_scval *pk = kw_scmap_find(m->v.map.entries, m->v.map.n, "public_key");
    const kw_scval *sg = kw_scmap_find(m->v.map.entries, m->v.map.n, "signature");
    if (!pk || !sg || pk->type != KW_SCV_BYTES || pk->v.bytes.n != 32 || sg->type != KW_SCV_BYTES ||
        sg->v.bytes.n != 64 || memcmp(pk->v.bytes.p, r->auth_addr, 32) != 0)
        return false;
    kw_xdr_writer w, want;
    uint8_t payload[32];
    kw_xdr_writer_init(&w, 0);
    kw_xdr_writer_init(&want, 0);
    (void)kw_xdr_put_auth_preimage(&w, s->network_id, e->nonce, e->sig_expiration_ledger, &e->root);
    kw_sha256(w.p, w.n, payload);
    (void)kw_xdr_put_auth_invocation(&w, &e->root);
    (void)kw_xdr_put_auth_invocation(&want, &r->root);
    size_t tree = want.n;
    bool same_tree = w.n >= tree && memcmp(w.p + w.n - tree, want.p, tree) == 0;
    kw_xdr_writer_free(&w);
    kw_xdr_writer_free(&want);
    return same_tree && crypto_sign_verify_detached(sg->v.bytes.p, payload, 32, pk->v.bytes.p) == 0;
}

static kw_ledger_key instance_key(const uint8_t c[32])
{
    return kw_ledger_key_contract_data(c, kw_scval_instance_key(), KW_DURABILITY_PERSISTENT);
}

static json_t *tx_data_json(stub *s, const kw_invoke_args *inv, int64_t fee)
{
    kw_ledger_key ro = instance_key(inv->contract.key);
    kw_soroban_data d = {.ro = &ro, .nro = 1, .instructions = 1000000, .disk_read_bytes = 1000,
                         .write_bytes = 200, .resource_fee = fee};
    (void)s;
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_soroban_data(&w, &d);
    return jb64(&w);
}

static json_t *rpc_error(int code, const char *msg)
{
    return json_pack("{s:i,s:s}", "code", code, "message", msg);
}

/* Decodes a base64 envelope; NULL on failure. */
static kw_envelope *decode_env(const char *b64, kw_xdr_arena *a)
{
    size_t n;
    uint8_t *p = NULL;
    if (!b64 || kw_base64_decode(b64, strlen(b64), &p, &n))
        return NULL;
    kw_envelope *env = kw_xdr_arena_alloc(a, sizeof *env);
    kw_xdr_reader r;
    kw_xdr_reader_init(&r, p, n, a, NULL);
    bool ok = env && kw_xdr_get_envelope(&r, env) == 0 && kw_xdr_reader_done(&r) == 0 && env->tx.nops == 1;
    free(p);
    return ok ? env : NULL;
}

static json_t *m_simulate(stub *s, json_t *params, json_t **error, kw_xdr_arena *a)
{
    fault f;
    s->counts.simulates++;
    kw_envelope *env = decode_env(json_string_value(json_object_get(params, "transaction")), a);
    if (!env) {
        *error = rpc_error(-32602, "invalid parameters: could not decode transaction");
        return NULL;
    }
    json_t *res = json_pack("{s:i}", "latestLedger", s->ledger);
    if (take_fault(s, "simulateTransaction", SF_SIM_ERROR, &f)) {
        json_object_set_new(res, "error", json_string(f.text));
        return res;
    }
    const kw_operation *op = &env->tx.ops[0];
    exec_result r;
    bool evil = take_fault(s, "simulateTransaction", SF_EVIL_AUTH, NULL);
    exec(s, &op->invoke, false, s->ledger + 1, evil, a, &r);
    if (r.error[0] || r.contract_error >= 0) {
        char msg[512];
        if (r.contract_error >= 0)
            snprintf(msg, sizeof msg,
                     "host invocation failed\n\nCaused by:\n    HostError: Error(Contract, #%lld)\n    \n    Event log "
                     "(newest first):\n       0: [Diagnostic Event] topics:[error, Error(Contract, #%lld)]\n",
                     (long long)r.contract_error, (long long)r.contract_error);
        else
            snprintf(msg, sizeof msg, "host invocation failed\n\nCaused by:\n    %s\n", r.error);
        json_object_set_new(res, "error", json_string(msg));
        return res;
    }
    int64_t fee = 50000;
    json_t *auth = json_array();
    if (r.needs_auth && op->nauth == 0) {
        kw_auth_entry e = {.cred_type = KW_CRED_ADDRESS, .nonce = ++s->nonce, .root = r.root};
        e.address.type = KW_SCADDR_ACCOUNT;
        memcpy(e.address.key, r.auth_addr, 32);
        e.signature = kw_scval_void();
        kw_xdr_writer w;
        kw_xdr_writer_init(&w, 0);
        (void)kw_xdr_put_auth_entry(&w, &e);
        json_array_append_new(auth, jb64(&w));
    } else if (r.needs_auth) {
        /* enforcing simulation with signed entries: costs more, must verify */
        for (uint32_t i = 0; i < op->nauth; i++) {
            if (!auth_ok(s, &op->auth[i], &r)) {
                json_decref(auth);
                json_object_set_new(res, "error", json_string("HostError: Error(Auth, InvalidAction)"));
                return res;
            }
        }
        fee += 3000 * op->nauth;
    }
    json_object_set_new(res, "minResourceFee", json_sprintf("%lld", (long long)fee));
    json_object_set_new(res, "transactionData", tx_data_json(s, &op->invoke, fee));
    json_object_set_new(res, "results", json_pack("[{s:o,s:o}]", "xdr", scval_json(&r.result), "auth", auth));
    json_object_set_new(res, "cost", json_pack("{s:s,s:s}", "cpuInsns", "1635562", "memBytes", "1295756"));
    return res;
}

static json_t *send_error(stub *s, int32_t code, const char *hash)
{
    kw_tx_result tr = {.fee_charged = 100, .code = code};
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_tx_result(&w, &tr);
    return json_pack("{s:s,s:s,s:i,s:s,s:o}", "status", "ERROR", "hash", hash, "latestLedger", s->ledger,
                     "latestLedgerCloseTime", "1700159337", "errorResultXdr", jb64(&w));
}

static bool sig_ok(const kw_decorated_sig *sigs, uint32_t n, const uint8_t pub[32], const uint8_t h[32])
{
    for (uint32_t i = 0; i < n; i++)
        if (sigs[i].nsig == 64 && memcmp(sigs[i].hint, pub + 28, 4) == 0 &&
            crypto_sign_verify_detached(sigs[i].sig, h, 32, pub) == 0)
            return true;
    return false;
}

static json_t *m_send(stub *s, json_t *params, json_t **error, kw_xdr_arena *a)
{
    fault f;
    s->counts.sends++;
    kw_envelope *env = decode_env(json_string_value(json_object_get(params, "transaction")), a);
    if (!env || !env->tx.has_soroban) {
        *error = rpc_error(-32602, "invalid parameters: could not decode transaction");
        return NULL;
    }
    uint8_t h[32];
    char hex[65];
    if (kw_xdr_tx_hash(s->network_id, &env->tx, h))
        abort();
    bool inner_ok = sig_ok(env->sigs, env->nsigs, env->tx.source.key, h);
    uint8_t inner_hash[32];
    memcpy(inner_hash, h, 32);
    if (env->fee_bump) {
        s->counts.fee_bumps++;
        if (kw_xdr_fee_bump_hash(s->network_id, env, h))
            abort();
        inner_ok = inner_ok && sig_ok(env->bump_sigs, env->nbump_sigs, env->fee_source.key, h) &&
                   env->bump_fee >= (int64_t)env->tx.fee + 100;
    }
    kw_hex_encode(h, 32, hex);
    if (take_fault(s, "sendTransaction", SF_TRY_AGAIN, NULL))
        return json_pack("{s:s,s:s,s:i,s:s}", "status", "TRY_AGAIN_LATER", "hash", hex, "latestLedger", s->ledger,
                         "latestLedgerCloseTime", "1700159337");
    account *src = find_acct(s, env->tx.source.key, false);
    if (!src || !src->has_seq)
        return send_error(s, -8, hex); /* txNO_ACCOUNT */
    if (take_fault(s, "sendTransaction", SF_BAD_SEQ, NULL))
        src->seq++;
    if (env->tx.seq_num != src->seq + 1)
        return send_error(s, KW_TX_BAD_SEQ, hex);
    if (!inner_ok)
        return send_error(s, -6, hex); /* txBAD_AUTH */
    if ((int64_t)env->tx.fee < 100 + env->tx.soroban.resource_fee)
        return send_error(s, KW_TX_INSUFFICIENT_FEE, hex);
    src->seq = env->tx.seq_num;
    s->ledger++;
    s->close_time += 5;

    const kw_operation *op = &env->tx.ops[0];
    exec_result r;
    txrec *t = &s->txs[s->ntxs++ % 512];
    memset(t, 0, sizeof *t);
    memcpy(t->hash, hex, 65);
    t->ledger = s->ledger;
    t->polls = 1;
    t->contract_error = -1;
    t->fee = env->fee_bump ? env->bump_fee : env->tx.fee;
    t->fee_bump = env->fee_bump;
    memcpy(t->inner_hash, inner_hash, 32);
    t->never_final = take_fault(s, "getTransaction", SF_NEVER_FINAL, NULL);
    exec(s, &op->invoke, false, s->ledger, false, a, &r);
    bool authorised = !r.needs_auth || (op->nauth == 1 && auth_ok(s, &op->auth[0], &r));
    if (take_fault(s, "sendTransaction", SF_FAIL_ONCHAIN, &f)) {
        t->failed = true;
        t->contract_error = f.arg;
    } else if (r.error[0] || r.contract_error >= 0 || !authorised) {
        t->failed = true;
        t->contract_error = r.contract_error;
    } else {
        exec(s, &op->invoke, true, s->ledger, false, a, &r);
        kw_xdr_writer w;
        kw_xdr_writer_init(&w, 256);
        (void)kw_xdr_put_scval(&w, &r.result);
        memcpy(t->ret, w.p, w.n);
        t->nret = w.n;
        kw_xdr_writer_free(&w);
        uint8_t farmer[32];
        if (arg_account(&op->invoke, 0, farmer) && s->nevents < 512) {
            event *e = &s->events[s->nevents++];
            e->ledger = s->ledger;
            snprintf(e->fn, sizeof e->fn, "%s", op->invoke.function);
            memcpy(e->farmer, farmer, 32);
            memcpy(e->val, t->ret, t->nret);
            e->nval = t->nret;
        }
    }
    return json_pack("{s:s,s:s,s:i,s:s}", "status", "PENDING", "hash", hex, "latestLedger", s->ledger,
                     "latestLedgerCloseTime", "1700159337");
}

/* TransactionMeta v4 holding a fee-source account change and the return value. */
static json_t *meta_json(stub *s, const txrec *t, kw_xdr_arena *a)
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    kw_xdr_put_i32(&w, 4);
    kw_xdr_put_u32(&w, 0);
    kw_xdr_put_u32(&w, 2);
    for (int i = 0; i < 2; i++) { /* STATE then UPDATED */
        kw_xdr_ledger_entry e = {.type = KW_LEDGER_ACCOUNT, .balance = 1000, .seq_num = 7};
        kw_xdr_put_u32(&w, i == 0 ? 3 : 1);
        kw_xdr_put_u32(&w, t->ledger);
        (void)kw_xdr_put_ledger_entry_data(&w, &e);
        kw_xdr_put_u32(&w, 0);
    }
    kw_xdr_put_u32(&w, 1);
    kw_xdr_put_u32(&w, 0);
    kw_xdr_put_u32(&w, 0);
    kw_xdr_put_u32(&w, 0);
    kw_xdr_put_u32(&w, 0);
    kw_xdr_put_bool(&w, true);
    kw_xdr_put_i32(&w, 0);
    kw_xdr_put_bool(&w, !t->failed);
    if (!t->failed)
        kw_xdr_put_fixed(&w, t->ret, t->nret);
    kw_xdr_put_u32(&w, 0);
    kw_xdr_put_u32(&w, 0);
    (void)s;
    (void)a;
    return jb64(&w);
}

static json_t *m_get_tx(stub *s, json_t *params, json_t **error, kw_xdr_arena *a)
{
    const char *h = json_string_value(json_object_get(params, "hash"));
    if (!h || strlen(h) != 64) {
        *error = rpc_error(-32602, "invalid parameters: hash");
        return NULL;
    }
    json_t *res = json_pack("{s:i,s:s,s:i,s:s,s:s}", "latestLedger", s->ledger, "latestLedgerCloseTime",
                            "1752722132", "oldestLedger", 1, "oldestLedgerCloseTime", "1752115873", "txHash", h);
    txrec *t = NULL;
    for (int i = 0; i < s->ntxs && i < 512; i++)
        if (strcmp(s->txs[i].hash, h) == 0)
            t = &s->txs[i];
    if (!t || t->never_final || t->polls-- > 0) {
        json_object_set_new(res, "status", json_string("NOT_FOUND"));
        return res;
    }
    kw_op_result op = {.op_type = KW_OP_INVOKE_HOST_FUNCTION, .ihf_code = t->failed ? -2 : 0};
    kw_tx_result tr = {.fee_charged = t->fee, .code = t->failed ? KW_TX_FAILED : KW_TX_SUCCESS, .ops = &op, .nops = 1};
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    if (t->fee_bump) {
        /* TransactionResult of a fee bump: the inner pair, then the outer ext */
        kw_xdr_put_i64(&w, t->fee);
        kw_xdr_put_i32(&w, t->failed ? KW_TX_FEE_BUMP_INNER_FAILED : KW_TX_FEE_BUMP_INNER_SUCCESS);
        kw_xdr_put_fixed(&w, t->inner_hash, 32);
        tr.fee_charged = 0;
        (void)kw_xdr_put_tx_result(&w, &tr);
        kw_xdr_put_u32(&w, 0);
    } else {
        (void)kw_xdr_put_tx_result(&w, &tr);
    }
    json_object_set_new(res, "status", json_string(t->failed ? "FAILED" : "SUCCESS"));
    json_object_set_new(res, "ledger", json_integer(t->ledger));
    json_object_set_new(res, "createdAt", json_string("1752722100"));
    json_object_set_new(res, "applicationOrder", json_integer(1));
    json_object_set_new(res, "feeBump", json_boolean(t->fee_bump));
    json_object_set_new(res, "resultXdr", jb64(&w));
    json_object_set_new(res, "resultMetaXdr", meta_json(s, t, a));
    if (t->failed && t->contract_error >= 0) {
        kw_scval topics[] = {kw_scval_symbol("error"),
                             {.type = KW_SCV_ERROR, .v.error = {KW_SCE_CONTRACT, (uint32_t)t->contract_error}}};
        kw_contract_event ev = {.has_contract = true, .type = 2, .topics = topics, .ntopics = 2,
                                .data = kw_scval_string("contract call failed")};
        memcpy(ev.contract, s->farm, 32);
        kw_xdr_writer_init(&w, 0);
        (void)kw_xdr_put_diagnostic_event(&w, false, &ev);
        json_object_set_new(res, "diagnosticEventsXdr", json_pack("[o]", jb64(&w)));
    }
    return res;
}

static json_t *entry_json(const char *key_b64, const kw_xdr_ledger_entry *e, uint32_t live_until)
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_ledger_entry_data(&w, e);
    return json_pack("{s:s,s:o,s:i,s:i}", "key", key_b64, "xdr", jb64(&w), "lastModifiedLedgerSeq", 900,
                     "liveUntilLedgerSeq", live_until);
}

static kw_scval instance_val(stub *s, kw_xdr_arena *a)
{
    kw_scmap_entry *e = kw_xdr_arena_alloc(a, 5 * sizeof *e);
    e[0] = (kw_scmap_entry){key_vec(a, "FarmBlock", NULL, 0), block_map(s, a, s->farm_index)};
    e[1] = (kw_scmap_entry){key_vec(a, "FarmIndex", NULL, 0), kw_scval_u32(s->farm_index)};
    e[2] = (kw_scmap_entry){key_vec(a, "FarmPaused", NULL, 0), kw_scval_bool(s->paused)};
    e[3] = (kw_scmap_entry){key_vec(a, "HomesteadAsset", NULL, 0), kw_scval_contract(s->asset)};
    e[4] = (kw_scmap_entry){key_vec(a, "Homesteader", NULL, 0), kw_scval_account(s->asset)};
    kw_scval v = {.type = KW_SCV_CONTRACT_INSTANCE};
    v.v.instance.has_storage = true;
    v.v.instance.entries = e;
    v.v.instance.n = 5;
    memset(v.v.instance.wasm_hash, 0x42, 32);
    return v;
}

static kw_scval pail_val(kw_xdr_arena *a, const pail *p)
{
    kw_scmap_entry *e = kw_xdr_arena_alloc(a, 4 * sizeof *e);
    e[0] = (kw_scmap_entry){kw_scval_symbol("gap"), p->worked ? kw_scval_u32(p->gap) : kw_scval_void()};
    e[1] = (kw_scmap_entry){kw_scval_symbol("sequence"), kw_scval_u32(p->sequence)};
    e[2] = (kw_scmap_entry){kw_scval_symbol("stake"), kw_scval_i128(p->stake)};
    e[3] = (kw_scmap_entry){kw_scval_symbol("zeros"), p->worked ? kw_scval_u32(p->zeros) : kw_scval_void()};
    return kw_scval_map(e, 4);
}

static json_t *m_entries(stub *s, json_t *params, json_t **error, kw_xdr_arena *a)
{
    json_t *keys = json_object_get(params, "keys"), *out = json_array();
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        size_t n;
        uint8_t *p = NULL;
        const char *b64 = json_string_value(k);
        kw_ledger_key key;
        kw_xdr_reader r;
        if (!b64 || kw_base64_decode(b64, strlen(b64), &p, &n)) {
            json_decref(out);
            *error = rpc_error(-32602, "invalid parameters: key");
            return NULL;
        }
        kw_xdr_reader_init(&r, p, n, a, NULL);
        int rc = kw_xdr_get_ledger_key(&r, &key);
        free(p);
        if (rc) {
            json_decref(out);
            *error = rpc_error(-32602, "invalid parameters: key");
            return NULL;
        }
        kw_xdr_ledger_entry e = {.type = key.type};
        if (key.type == KW_LEDGER_ACCOUNT) {
            account *ac = find_acct(s, key.account, false);
            if (!ac || !ac->has_seq)
                continue;
            memcpy(e.account, ac->pub, 32);
            e.balance = 100000000000;
            e.seq_num = ac->seq;
            json_array_append_new(out, entry_json(b64, &e, 0));
            continue;
        }
        if (key.type != KW_LEDGER_CONTRACT_DATA || memcmp(key.contract.key, s->farm, 32) != 0)
            continue;
        e.contract = key.contract;
        e.key = key.key;
        e.durability = key.durability;
        uint8_t farmer[32];
        if (key.key.type == KW_SCV_LEDGER_KEY_CONTRACT_INSTANCE) {
            e.val = instance_val(s, a);
        } else if (is_key(&key.key, "Block", 1) && key.key.v.vec.items[1].type == KW_SCV_U32) {
            uint32_t idx = key.key.v.vec.items[1].v.u32;
            if (idx > s->farm_index || idx + 64 < s->farm_index)
                continue;
            e.val = block_map(s, a, idx);
        } else if (is_key(&key.key, "Pail", 2) && key.key.v.vec.items[1].type == KW_SCV_ADDRESS &&
                   key.key.v.vec.items[2].type == KW_SCV_U32) {
            memcpy(farmer, key.key.v.vec.items[1].v.address.key, 32);
            pail *pl = find_pail(s, farmer, key.key.v.vec.items[2].v.u32);
            if (!pl)
                continue;
            e.val = pail_val(a, pl);
        } else {
            continue;
        }
        json_array_append_new(out, entry_json(b64, &e, s->ledger + 1000));
    }
    return json_pack("{s:o,s:i}", "entries", out, "latestLedger", s->ledger);
}

static json_t *m_events(stub *s, json_t *params, json_t **error, kw_xdr_arena *a)
{
    json_t *filter = json_array_get(json_object_get(params, "filters"), 0);
    const char *cid = json_string_value(json_array_get(json_object_get(filter, "contractIds"), 0));
    const char *t0 = json_string_value(json_array_get(json_array_get(json_object_get(filter, "topics"), 0), 0));
    uint32_t start = (uint32_t)json_integer_value(json_object_get(params, "startLedger"));
    json_int_t limit = json_integer_value(json_object_get(json_object_get(params, "pagination"), "limit"));
    const char *cursor = json_string_value(json_object_get(json_object_get(params, "pagination"), "cursor"));
    uint8_t c[32];
    (void)a;
    if (!cid || kw_strkey_decode(KW_STRKEY_CONTRACT, cid, c, NULL) || (!start && !cursor)) {
        *error = rpc_error(-32602, "invalid parameters: startLedger or cursor is required");
        return NULL;
    }
    int from = cursor ? atoi(cursor) : 0;
    json_t *out = json_array();
    int last = from;
    for (int i = from; i < s->nevents && (json_int_t)json_array_size(out) < limit; i++) {
        event *e = &s->events[i];
        last = i + 1;
        if (e->ledger < start || memcmp(c, s->farm, 32) != 0)
            continue;
        kw_scval sym = kw_scval_symbol(e->fn), who = kw_scval_account(e->farmer);
        json_t *js = scval_json(&sym);
        if (t0 && strcmp(t0, json_string_value(js)) != 0) {
            json_decref(js);
            continue;
        }
        kw_xdr_writer w;
        kw_xdr_writer_init(&w, 0);
        (void)kw_xdr_put_fixed(&w, e->val, e->nval);
        char id[64], tx[65];
        snprintf(id, sizeof id, "%019d-%010d", e->ledger, i);
        memset(tx, 'a', 64);
        tx[64] = 0;
        json_array_append_new(out, json_pack("{s:s,s:i,s:s,s:s,s:s,s:[o,o],s:o,s:s}", "type", "contract", "ledger",
                                             e->ledger, "ledgerClosedAt", "2026-07-21T18:01:10Z", "contractId", cid,
                                             "id", id, "topic", js, scval_json(&who), "value", jb64(&w), "txHash",
                                             tx));
    }
    char cur[16];
    snprintf(cur, sizeof cur, "%d", last);
    return json_pack("{s:o,s:i,s:i,s:s,s:s,s:s}", "events", out, "latestLedger", s->ledger, "oldestLedger", 1,
                     "latestLedgerCloseTime", "1784671886", "oldestLedgerCloseTime", "1784066056", "cursor", cur);
}

static json_t *dispatch(stub *s, const char *method, json_t *params, json_t **error, kw_xdr_arena *a)
{
    if (strcmp(method, "getHealth") == 0)
        return json_pack("{s:s,s:i,s:s,s:i,s:s,s:i}", "status", "healthy", "latestLedger", s->ledger,
                         "latestLedgerCloseTime", "1784671485", "oldestLedger", 1, "oldestLedgerCloseTime",
                         "1784065656", "ledgerRetentionWindow", 120960);
    if (strcmp(method, "getNetwork") == 0)
        return json_pack("{s:s,s:s,s:i}", "friendbotUrl", "https://friendbot-testnet.stellar.org/", "passphrase",
                         PASSPHRASE, "protocolVersion", 23);
    if (strcmp(method, "getLatestLedger") == 0) {
        char ct[32];
        snprintf(ct, sizeof ct, "%lld", (long long)s->close_time);
        return json_pack("{s:s,s:i,s:i,s:s}", "id", "0a00a9cf845f7af7cff09c66f8ae6480e9971e6e2c7fa4afd8d6266ee13c987b",
                         "protocolVersion", 23, "sequence", s->ledger, "closeTime", ct);
    }
    if (strcmp(method, "getLedgerEntries") == 0)
        return m_entries(s, params, error, a);
    if (strcmp(method, "simulateTransaction") == 0)
        return m_simulate(s, params, error, a);
    if (strcmp(method, "sendTransaction") == 0)
        return m_send(s, params, error, a);
    if (strcmp(method, "getTransaction") == 0)
        return m_get_tx(s, params, error, a);
    if (strcmp(method, "getEvents") == 0)
        return m_events(s, params, error, a);
    *error = rpc_error(-32601, "method not found");
    return NULL;
}

/* ---- HTTP -------------------------------------------------------------------------- */

typedef struct upload { char *p; size_t n; } upload;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body, const char *retry_after)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after)
        MHD_add_response_header(r, "Retry-After", retry_after);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **con_cls)
{
    stub *s = cls;
    (void)url;
    (void)version;
    upload *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload));
        return MHD_YES;
    }
    if (*size) {
        char *p = realloc(u->p, u->n + *size + 1);
        memcpy(p + u->n, data, *size);
        u->p = p;
        u->n += *size;
        u->p[u->n] = 0;
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0)
        return reply(c, 405, "{}", NULL);
    json_t *req = json_loadb(u->p ? u->p : "", u->n, 0, NULL);
    const char *m = json_string_value(json_object_get(req, "method"));
    json_t *id = json_object_get(req, "id");
    fault f;
    int delay = 0;
    pthread_mutex_lock(&s->mu);
    s->counts.requests++;
    if (++s->in_flight > s->counts.max_in_flight)
        s->counts.max_in_flight = s->in_flight;
    if (!m) {
        s->in_flight--;
        pthread_mutex_unlock(&s->mu);
        json_decref(req);
        return reply(c, 400, "{}", NULL);
    }
    if (take_fault(s, m, SF_DELAY, &f))
        delay = f.arg;
    pthread_mutex_unlock(&s->mu);
    if (delay)
        usleep((useconds_t)delay * 1000);
    pthread_mutex_lock(&s->mu);
    enum MHD_Result rc;
    json_t *error = NULL, *result = NULL;
    if (take_fault(s, m, SF_HTTP_429, NULL)) {
        rc = reply(c, 429, "{\"error\":\"rate limited\"}", "1");
    } else if (take_fault(s, m, SF_HTTP_503, NULL)) {
        rc = reply(c, 503, "service unavailable", NULL);
    } else if (take_fault(s, m, SF_GARBAGE, NULL)) {
        rc = reply(c, 200, "<html>gateway</html>", NULL);
    } else {
        if (take_fault(s, m, SF_RPC_ERROR, &f))
            error = rpc_error(f.arg, f.text);
        else {
            kw_xdr_arena *a = kw_xdr_arena_new(8u << 20);
            result = dispatch(s, m, json_object_get(req, "params"), &error, a);
            kw_xdr_arena_free(a);
        }
        json_t *resp = json_pack("{s:s,s:O}", "jsonrpc", "2.0", "id", id ? id : json_null());
        json_object_set_new(resp, error ? "error" : "result", error ? error : result);
        char *body = json_dumps(resp, JSON_COMPACT);
        json_decref(resp);
        rc = reply(c, 200, body, NULL);
        free(body);
    }
    s->in_flight--;
    pthread_mutex_unlock(&s->mu);
    json_decref(req);
    return rc;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode tc)
{
    (void)cls;
    (void)c;
    (void)tc;
    upload *u = *con_cls;
    if (u) {
        free(u->p);
        free(u);
    }
    *con_cls = NULL;
}

stub *stub_start(const uint8_t farm[32], const uint8_t asset[32], const uint8_t oracle[32])
{
    stub *s = calloc(1, sizeof *s);
    if (!s || sodium_init() < 0)
        abort();
    memcpy(s->farm, farm, 32);
    memcpy(s->asset, asset, 32);
    memcpy(s->oracle, oracle, 32);
    kw_sha256(PASSPHRASE, strlen(PASSPHRASE), s->network_id);
    s->ledger = 1000;
    s->close_time = 1752700000;
    s->block_ts = s->close_time;
    s->farm_index = 30000;
    for (int i = 0; i < 64; i++)
        memset(s->entropy[i], i + 1, 32);
    pthread_mutex_init(&s->mu, NULL);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle,
                            s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, completed,
                            NULL, MHD_OPTION_END);
    if (!s->d)
        abort();
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u/", (unsigned)info->port);
    return s;
}

void stub_stop(stub *s)
{
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

const char *stub_url(stub *s)
{
    return s->url;
}

void stub_fault(stub *s, const char *method, stub_fault_kind k, int count, int arg, const char *text)
{
    pthread_mutex_lock(&s->mu);
    fault *f = &s->faults[s->nfaults++ % 32];
    memset(f, 0, sizeof *f);
    snprintf(f->method, sizeof f->method, "%s", method);
    f->k = k;
    f->count = count;
    f->arg = arg;
    snprintf(f->text, sizeof f->text, "%s", text ? text : "");
    pthread_mutex_unlock(&s->mu);
}

void stub_account(stub *s, const uint8_t pub[32], int64_t seq)
{
    pthread_mutex_lock(&s->mu);
    account *a = find_acct(s, pub, true);
    a->seq = seq;
    a->has_seq = true;
    pthread_mutex_unlock(&s->mu);
}

int64_t stub_account_seq(stub *s, const uint8_t pub[32])
{
    pthread_mutex_lock(&s->mu);
    account *a = find_acct(s, pub, false);
    int64_t v = a ? a->seq : -1;
    pthread_mutex_unlock(&s->mu);
    return v;
}

void stub_set_balance(stub *s, const uint8_t who[32], int64_t amount)
{
    pthread_mutex_lock(&s->mu);
    find_acct(s, who, true)->balance = amount;
    pthread_mutex_unlock(&s->mu);
}

int64_t stub_balance(stub *s, const uint8_t who[32])
{
    pthread_mutex_lock(&s->mu);
    account *a = find_acct(s, who, false);
    int64_t v = a ? a->balance : 0;
    pthread_mutex_unlock(&s->mu);
    return v;
}

void stub_next_block(stub *s)
{
    pthread_mutex_lock(&s->mu);
    s->farm_index++;
    s->close_time += 300;
    s->block_ts = s->close_time;
    pthread_mutex_unlock(&s->mu);
}

void stub_next_ledger(stub *s)
{
    pthread_mutex_lock(&s->mu);
    s->ledger++;
    s->close_time += 5;
    pthread_mutex_unlock(&s->mu);
}

void stub_pause(stub *s, bool paused)
{
    pthread_mutex_lock(&s->mu);
    s->paused = paused;
    pthread_mutex_unlock(&s->mu);
}

void stub_entropy(stub *s, uint32_t index, uint8_t out[32])
{
    pthread_mutex_lock(&s->mu);
    memcpy(out, s->entropy[index % 64], 32);
    pthread_mutex_unlock(&s->mu);
}

uint32_t stub_farm_index(stub *s)
{
    pthread_mutex_lock(&s->mu);
    uint32_t v = s->farm_index;
    pthread_mutex_unlock(&s->mu);
    return v;
}

void stub_price(stub *s, const char *sym, const uint8_t contract[32], __int128 p)
{
    pthread_mutex_lock(&s->mu);
    price *pr = &s->prices[s->nprices++ % 32];
    memset(pr, 0, sizeof *pr);
    if (sym)
        snprintf(pr->sym, sizeof pr->sym, "%s", sym);
    else {
        pr->by_contract = true;
        memcpy(pr->contract, contract, 32);
    }
    pr->price = p;
    pthread_mutex_unlock(&s->mu);
}

void stub_oracle2(stub *s, const uint8_t id[32], const uint8_t base_sac[32])
{
    pthread_mutex_lock(&s->mu);
    s->has_oracle2 = true;
    memcpy(s->oracle2, id, 32);
    memcpy(s->oracle2_base, base_sac, 32);
    pthread_mutex_unlock(&s->mu);
}

stub_counts stub_get_counts(stub *s)
{
    pthread_mutex_lock(&s->mu);
    stub_counts c = s->counts;
    pthread_mutex_unlock(&s->mu);
    return c;
}
