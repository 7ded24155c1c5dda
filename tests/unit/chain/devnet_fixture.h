/* Test fixture for the devnet: a hand-driven clock, Ed25519 signers, a
 * devnet in a fresh temporary directory, and helpers that mine a valid work. */
#ifndef KW_TEST_DEVNET_FIXTURE_H
#define KW_TEST_DEVNET_FIXTURE_H

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/devnet.h"
#include "crypto/kalehash.h"

#define T0_MS INT64_C(1700000000000)   /* genesis of every test devnet */
#define LEDGER_MS 1000
#define BLOCK_S 20

typedef struct fake_clock {
    int64_t now;
} fake_clock;

static int64_t fake_now(void *ctx) { return ((fake_clock *)ctx)->now; }
static void fake_sleep(void *ctx, int64_t ms) { ((fake_clock *)ctx)->now += ms; }

typedef struct signer {
    uint8_t pk[32], sk[64];
    bool refuse;
    kw_chain_signer s;
} signer;

static int sign_cb(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[64])
{
    signer *g = ctx;
    if (g->refuse)
        return KW_EAUTH;
    crypto_sign_detached(sig, NULL, msg, n, g->sk);
    return 0;
}

static void signer_init(signer *g, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    cr_assert(sodium_init() >= 0);
    crypto_sign_seed_keypair(g->pk, g->sk, seed);
    g->refuse = false;
    memcpy(g->s.public_key, g->pk, 32);
    g->s.ctx = g;
    g->s.sign = sign_cb;
}

typedef struct net {
    char dir[64], path[96];
    fake_clock clock;
    signer admin;
    kw_devnet_opts o;
    kw_chain c;
} net;

static void net_opts(net *n, uint32_t crowd, kw_devnet_timer timer)
{
    snprintf(n->dir, sizeof n->dir, "/tmp/kwdevnet-XXXXXX");
    cr_assert(mkdtemp(n->dir));
    snprintf(n->path, sizeof n->path, "%s/devnet.sqlite", n->dir);
    n->clock.now = T0_MS;
    signer_init(&n->admin, 0xad);
    n->o = (kw_devnet_opts){.path = n->path, .block_seconds = BLOCK_S, .ledger_ms = LEDGER_MS,
                            .crowd = crowd, .seed = 7, .timer = timer,
                            .clock = {fake_now, fake_sleep, &n->clock}};
    memcpy(n->o.homesteader, n->admin.pk, 32);
}

static void net_open(net *n)
{
    kw_err e = {0};
    cr_assert_eq(kw_devnet_open(&n->o, &n->c, &e), 0, "%s", e.msg);
}

static void net_start(net *n, uint32_t crowd, kw_devnet_timer timer)
{
    net_opts(n, crowd, timer);
    net_open(n);
}

static void net_stop(net *n)
{
    kw_chain_close(&n->c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", n->dir);
    cr_assert_eq(system(cmd), 0);
}

static void advance_ledgers(net *n, int ledgers) { n->clock.now += (int64_t)ledgers * LEDGER_MS; }

static bool block_eq(const kw_chain_block *a, const kw_chain_block *b)
{
    return a->index == b->index && a->timestamp == b->timestamp && a->min_gap == b->min_gap &&
           a->max_gap == b->max_gap && a->min_stake == b->min_stake && a->max_stake == b->max_stake &&
           a->min_zeros == b->min_zeros && a->max_zeros == b->max_zeros &&
           memcmp(a->entropy, b->entropy, 32) == 0 && a->staked_total == b->staked_total &&
           a->normalized_total == b->normalized_total;
}

static kw_chain_status status(net *n)
{
    kw_chain_status st;
    kw_err e = {0};
    cr_assert_eq(kw_chain_status_get(&n->c, &st, &e), 0, "%s", e.msg);
    return st;
}

static void fund(net *n, const signer *g, int64_t amount)
{
    kw_err e = {0};
    cr_assert_eq(kw_chain_faucet(&n->c, g->pk, amount, &e), 0, "%s", e.msg);
}

static int64_t balance(net *n, const uint8_t pk[32])
{
    int64_t b = -1;
    cr_assert_eq(kw_chain_balance(&n->c, pk, &b, NULL), 0);
    return b;
}

static uint32_t plant(net *n, signer *g, int64_t amount)
{
    uint32_t index = 0;
    kw_err e = {0};
    cr_assert_eq(kw_chain_plant(&n->c, &g->s, amount, &index, NULL, &e), 0, "%s", e.msg);
    return index;
}

/* The first nonce from 0 whose hash for the current block has ≥ min_zeros zeros. */
static uint64_t mine(net *n, const uint8_t farmer[32], unsigned min_zeros, uint8_t hash[32])
{
    kw_chain_status st = status(n);
    cr_assert(st.has_block);
    for (uint64_t nonce = 0;; nonce++) {
        kw_kalehash(st.farm_index, nonce, st.block.entropy, farmer, hash);
        if (kw_kalehash_zeros(hash) >= min_zeros)
            return nonce;
    }
}

static uint32_t work(net *n, const signer *g, unsigned min_zeros)
{
    uint8_t hash[32];
    uint64_t nonce = mine(n, g->pk, min_zeros, hash);
    uint32_t gap = 0;
    kw_err e = {0};
    cr_assert_eq(kw_chain_work(&n->c, g->pk, hash, nonce, &gap, &e), 0, "%s", e.msg);
    return gap;
}

/* Asserts that the expression, which may use `&e`, is a contract rejection
 * with the given SPEC §2 code. */
#define assert_rejects(kale_code, ...)                                                   \
    do {                                                                                 \
        kw_err e = {0};                                                                  \
        int rc_ = (__VA_ARGS__);                                                         \
        cr_assert_eq(rc_, KW_ECHAIN, "expected %s, got %d: %s",                          \
                     kw_kale_error_name(kale_code), rc_, e.msg);                         \
        cr_assert_eq(e.code, kale_code, "expected %s, got %s", kw_kale_error_name(kale_code), \
                     kw_kale_error_name(e.code));                                        \
        cr_assert(strstr(e.msg, kw_kale_error_name(kale_code)));                         \
    } while (0)

#endif
