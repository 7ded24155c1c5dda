/* Writes N randomised, signed transaction envelopes built by the C XDR
 * encoder, one JSON object per line, for oracle_check.js to verify with
 * @stellar/stellar-base: the envelope, its hash, the signer, and each
 * argument in a canonical JSON form. Usage: oracle_gen N SEED */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/soroban/xdr.h"
#include "crypto/sha.h"
#include "crypto/strkey.h"

static const char PASSPHRASE[] = "Test SDF Network ; September 2015";
static uint64_t rng;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }
static void fill(uint8_t *p, size_t n) { for (size_t i = 0; i < n; i++) p[i] = (uint8_t)next(); }

static void *take(kw_xdr_arena *a, size_t n)
{
    void *p = kw_xdr_arena_alloc(a, n);
    if (!p)
        abort();
    return p;
}

static const char *random_symbol(kw_xdr_arena *a)
{
    static const char cs[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    uint32_t n = 1 + below(20);
    char *s = take(a, n + 1);
    for (uint32_t i = 0; i < n; i++)
        s[i] = cs[below(sizeof cs - 1)];
    return s;
}

static json_t *hexj(const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    kw_hex_encode(p, n, h);
    json_t *j = json_string(h);
    free(h);
    return j;
}

static json_t *u128j(unsigned __int128 v)
{
    char buf[48], *p = buf + sizeof buf - 1;
    *p = 0;
    do {
        *--p = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    return json_string(p);
}

static json_t *i128j(__int128 v)
{
    if (v >= 0)
        return u128j((unsigned __int128)v);
    json_t *m = u128j((unsigned __int128)0 - (unsigned __int128)v);
    json_t *j = json_sprintf("-%s", json_string_value(m));
    json_decref(m);
    return j;
}

static json_t *addrj(const kw_scaddress *ad)
{
    char s[KW_STRKEY_BUFSZ];
    kw_strkey_encode(ad->type == KW_SCADDR_ACCOUNT ? KW_STRKEY_ACCOUNT : KW_STRKEY_CONTRACT, ad->key, s);
    return json_string(s);
}

/* A random SCVal and its canonical JSON ({"t": type, "v": value}). */
static kw_scval random_scval(kw_xdr_arena *a, int depth, json_t **j)
{
    kw_scval v;
    uint32_t pick = below(depth > 2 ? 14 : 16);
    static const char *names[] = {"bool", "void", "u32", "i32", "u64", "i64", "u128", "i128", "bytes",
                                  "string", "symbol", "address", "timepoint", "duration", "vec", "map"};
    json_t *val = NULL;
    switch (pick) {
    case 0: v = kw_scval_bool(next() & 1); val = json_boolean(v.v.b); break;
    case 1: v = kw_scval_void(); val = json_null(); break;
    case 2: v = kw_scval_u32((uint32_t)next()); val = json_sprintf("%u", v.v.u32); break;
    case 3: v = kw_scval_i32((int32_t)next()); val = json_sprintf("%d", v.v.i32); break;
    case 4: v = kw_scval_u64(next()); val = json_sprintf("%llu", (unsigned long long)v.v.u64); break;
    case 5: v = kw_scval_i64((int64_t)next()); val = json_sprintf("%lld", (long long)v.v.i64); break;
    case 6: v = kw_scval_u128((unsigned __int128)next() << 64 | next()); val = u128j(v.v.u128); break;
    case 7: v = kw_scval_i128((__int128)((unsigned __int128)next() << 64 | next())); val = i128j(v.v.i128); break;
    case 8: {
        uint32_t n = below(70);
        uint8_t *p = take(a, n + 1);
        fill(p, n);
        v = kw_scval_bytes(p, n);
        val = hexj(p, n);
        break;
    }
    case 9: {
        const char *s = random_symbol(a);
        v = kw_scval_string(s);
        val = json_string(s);
        break;
    }
    case 10: {
        const char *s = random_symbol(a);
        v = kw_scval_symbol(s);
        val = json_string(s);
        break;
    }
    case 11: {
        uint8_t k[32];
        fill(k, 32);
        v = next() & 1 ? kw_scval_account(k) : kw_scval_contract(k);
        val = addrj(&v.v.address);
        break;
    }
    case 12: v = (kw_scval){.type = KW_SCV_TIMEPOINT, .v.u64 = next()}; val = json_sprintf("%llu", (unsigned long long)v.v.u64); break;
    case 13: v = (kw_scval){.type = KW_SCV_DURATION, .v.u64 = next()}; val = json_sprintf("%llu", (unsigned long long)v.v.u64); break;
    case 14: {
        uint32_t n = below(4);
        kw_scval *items = take(a, (n + 1) * sizeof *items);
        val = json_array();
        for (uint32_t i = 0; i < n; i++) {
            json_t *c;
            items[i] = random_scval(a, depth + 1, &c);
            json_array_append_new(val, c);
        }
        v = kw_scval_vec(items, n);
        break;
    }
    default: {
        /* keys are distinct u32s in ascending order, as the host requires */
        uint32_t n = below(4), key = below(1000);
        kw_scmap_entry *e = take(a, (n + 1) * sizeof *e);
        val = json_array();
        for (uint32_t i = 0; i < n; i++) {
            json_t *kj, *vj;
            key += 1 + below(1000);
            e[i].key = kw_scval_u32(key);
            kj = json_pack("{s:s,s:o}", "t", "u32", "v", json_sprintf("%u", key));
            e[i].val = random_scval(a, depth + 1, &vj);
            json_array_append_new(val, json_pack("[o,o]", kj, vj));
        }
        v = kw_scval_map(e, n);
        break;
    }
    }
    *j = json_pack("{s:s,s:o}", "t", names[pick], "v", val);
    return v;
}

static kw_ledger_key random_key(kw_xdr_arena *a)
{
    kw_ledger_key k = {0};
    switch (below(5)) {
    case 0: k.type = KW_LEDGER_ACCOUNT; fill(k.account, 32); break;
    case 1:
        k.type = KW_LEDGER_TRUSTLINE;
        fill(k.account, 32);
        k.asset.type = 1;
        memcpy(k.asset.code, "KALE", 4);
        fill(k.asset.issuer, 32);
        break;
    case 2: k.type = KW_LEDGER_CONTRACT_CODE; fill(k.hash, 32); break;
    case 3: k.type = KW_LEDGER_TTL; fill(k.hash, 32); break;
    default: {
        json_t *ignored;
        uint8_t c[32];
        fill(c, 32);
        k = kw_ledger_key_contract_data(c, random_scval(a, 2, &ignored), below(2));
        json_decref(ignored);
    }
    }
    return k;
}

static void random_invocation(kw_xdr_arena *a, kw_auth_invocation *inv, int depth)
{
    inv->fn.contract.type = KW_SCADDR_CONTRACT;
    fill(inv->fn.contract.key, 32);
    snprintf(inv->fn.function, sizeof inv->fn.function, "%s", random_symbol(a));
    inv->fn.nargs = below(3);
    kw_scval *args = take(a, (inv->fn.nargs + 1) * sizeof *args);
    for (uint32_t i = 0; i < inv->fn.nargs; i++) {
        json_t *ignored;
        args[i] = random_scval(a, 2, &ignored);
        json_decref(ignored);
    }
    inv->fn.args = args;
    inv->nsubs = depth < 2 ? below(2) : 0;
    kw_auth_invocation *subs = take(a, (inv->nsubs + 1) * sizeof *subs);
    for (uint32_t i = 0; i < inv->nsubs; i++)
        random_invocation(a, &subs[i], depth + 1);
    inv->subs = subs;
}

static void sign(kw_decorated_sig *s, const uint8_t sk[64], const uint8_t pk[32], const uint8_t h[32])
{
    crypto_sign_detached(s->sig, NULL, h, 32, sk);
    s->nsig = 64;
    memcpy(s->hint, pk + 28, 4);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (sodium_init() < 0)
        return 1;
    uint8_t network[32];
    kw_sha256(PASSPHRASE, strlen(PASSPHRASE), network);
    for (int i = 0; i < n; i++) {
        kw_xdr_arena *a = kw_xdr_arena_new(8u << 20);
        kw_envelope *env = take(a, sizeof *env);
        uint8_t seed[32], pk[32], sk[64];
        fill(seed, 32);
        crypto_sign_seed_keypair(pk, sk, seed);
        kw_tx *tx = &env->tx;
        memcpy(tx->source.key, pk, 32);
        tx->fee = (uint32_t)next();
        tx->seq_num = (int64_t)(next() >> 1);
        tx->cond.type = below(3);
        if (tx->cond.type == 1) {
            tx->cond.has_time = true;
            tx->cond.min_time = below(1000);
            tx->cond.max_time = next() >> 2;
        } else if (tx->cond.type == 2) {
            tx->cond.has_time = next() & 1;
            tx->cond.max_time = tx->cond.has_time ? next() >> 2 : 0;
            tx->cond.has_ledger = next() & 1;
            tx->cond.max_ledger = tx->cond.has_ledger ? (uint32_t)next() : 0;
            tx->cond.has_min_seq = next() & 1;
            tx->cond.min_seq = tx->cond.has_min_seq ? (int64_t)(next() >> 1) : 0;
            tx->cond.min_seq_age = below(100000);
            tx->cond.min_seq_ledger_gap = below(100);
        }
        tx->memo.type = below(5);
        if (tx->memo.type == 1) {
            const char *t = random_symbol(a);
            tx->memo.ntext = (uint32_t)strlen(t);
            memcpy(tx->memo.text, t, tx->memo.ntext);
        } else if (tx->memo.type == 2) {
            tx->memo.id = next();
        } else {
            fill(tx->memo.hash, 32);
        }
        kw_operation *op = take(a, sizeof *op);
        op->invoke.contract.type = KW_SCADDR_CONTRACT;
        fill(op->invoke.contract.key, 32);
        snprintf(op->invoke.function, sizeof op->invoke.function, "%s", random_symbol(a));
        op->invoke.nargs = below(6);
        kw_scval *args = take(a, (op->invoke.nargs + 1) * sizeof *args);
        json_t *jargs = json_array();
        for (uint32_t k = 0; k < op->invoke.nargs; k++) {
            json_t *j;
            args[k] = random_scval(a, 0, &j);
            json_array_append_new(jargs, j);
        }
        op->invoke.args = args;
        op->nauth = below(3);
        kw_auth_entry *auth = take(a, (op->nauth + 1) * sizeof *auth);
        for (uint32_t k = 0; k < op->nauth; k++) {
            auth[k].cred_type = below(2);
            if (auth[k].cred_type == KW_CRED_ADDRESS) {
                auth[k].address.type = KW_SCADDR_ACCOUNT;
                fill(auth[k].address.key, 32);
                auth[k].nonce = (int64_t)next();
                auth[k].sig_expiration_ledger = (uint32_t)next();
                json_t *ignored;
                auth[k].signature = random_scval(a, 1, &ignored);
                json_decref(ignored);
            }
            random_invocation(a, &auth[k].root, 0);
        }
        op->auth = auth;
        tx->ops = op;
        tx->nops = 1;
        tx->has_soroban = next() & 1;
        if (tx->has_soroban) {
            kw_soroban_data *d = &tx->soroban;
            d->nro = below(4);
            d->nrw = below(3);
            kw_ledger_key *ro = take(a, (d->nro + 1) * sizeof *ro), *rw = take(a, (d->nrw + 1) * sizeof *rw);
            for (uint32_t k = 0; k < d->nro; k++)
                ro[k] = random_key(a);
            for (uint32_t k = 0; k < d->nrw; k++)
                rw[k] = random_key(a);
            d->ro = ro;
            d->rw = rw;
            d->instructions = (uint32_t)next();
            d->disk_read_bytes = below(1 << 20);
            d->write_bytes = below(1 << 16);
            d->resource_fee = (int64_t)(next() >> 20);
        }
        uint8_t h[32];
        if (kw_xdr_tx_hash(network, tx, h))
            return 2;
        sign(&env->sigs[0], sk, pk, h);
        env->nsigs = 1;
        uint8_t signer[32];
        memcpy(signer, pk, 32);
        if (below(5) == 0) {
            uint8_t fseed[32], fpk[32], fsk[64];
            fill(fseed, 32);
            crypto_sign_seed_keypair(fpk, fsk, fseed);
            env->fee_bump = true;
            memcpy(env->fee_source.key, fpk, 32);
            env->bump_fee = (int64_t)tx->fee + 100 + below(1000);
            if (kw_xdr_fee_bump_hash(network, env, h))
                return 2;
            sign(&env->bump_sigs[0], fsk, fpk, h);
            env->nbump_sigs = 1;
            memcpy(signer, fpk, 32);
            sodium_memzero(fsk, sizeof fsk);
        }
        sodium_memzero(sk, sizeof sk);
        kw_xdr_writer w;
        char *b64 = NULL, g[KW_STRKEY_BUFSZ];
        kw_xdr_writer_init(&w, 0);
        if (kw_xdr_put_envelope(&w, env) || kw_xdr_writer_base64(&w, &b64))
            return 3;
        kw_xdr_writer_free(&w);
        kw_strkey_encode(KW_STRKEY_ACCOUNT, signer, g);
        json_t *line = json_pack("{s:s,s:o,s:s,s:b,s:s,s:o}", "envelope", b64, "hash", hexj(h, 32), "signer", g,
                                 "feeBump", env->fee_bump, "function", op->invoke.function, "args", jargs);
        char *s = json_dumps(line, JSON_COMPACT);
        puts(s);
        free(s);
        free(b64);
        json_decref(line);
        kw_xdr_arena_free(a);
    }
    return 0;
}
