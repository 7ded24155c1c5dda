/*
 * bench custody — what custody costs: the one-time scrypt of the master
 * secret, opening a sealed wallet, and signing with one (open + Ed25519 +
 * wipe), each against the bare primitive measured in the same run: OpenSSL
 * scrypt, an AES-256-GCM decryption of the same 32 bytes with the same AAD
 * on a reused context, and libsodium's crypto_sign_detached with a ready key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "bench/bench.h"
#include "crypto/wallet.h"

static const char master[] = "benchmark master secret, 32+ characters long";

/* Calls fn(ctx) in batches until o->seconds have passed; returns calls per second. */
static double rate(const kw_bench_opts *o, int (*fn)(void *), void *ctx, int *failed)
{
    long calls = 0;
    double start = kw_bench_now(), now = start;
    while (now - start < o->seconds) {
        for (int i = 0; i < 256; i++)
            *failed |= fn(ctx) != 0;
        calls += 256;
        now = kw_bench_now();
    }
    return (double)calls / (now - start);
}

typedef struct open_ctx {
    kw_wallet_kek *kek;
    const char *address, *sealed;
} open_ctx;

static int wallet_open(void *p)
{
    open_ctx *c = p;
    uint8_t seed[KW_WALLET_SEED_LEN];
    int rc = kw_wallet_open(c->kek, c->address, c->sealed, seed, NULL);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

typedef struct gcm_ctx {
    EVP_CIPHER_CTX *ctx;
    uint8_t key[32], iv[12], ct[32], tag[16], aad[21 + KW_STRKEY_LEN];
} gcm_ctx;

static int gcm_decrypt(void *p)
{
    gcm_ctx *g = p;
    uint8_t out[32];
    int len, ok = EVP_DecryptInit_ex(g->ctx, EVP_aes_256_gcm(), NULL, g->key, g->iv) == 1 &&
                  EVP_DecryptUpdate(g->ctx, NULL, &len, g->aad, sizeof g->aad) == 1 &&
                  EVP_DecryptUpdate(g->ctx, out, &len, g->ct, sizeof g->ct) == 1 &&
                  EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, 16, g->tag) == 1;
    /* The tag is random here, so Final fails; its work is still done. */
    (void)EVP_DecryptFinal_ex(g->ctx, out + len, &len);
    sodium_memzero(out, sizeof out);
    return ok ? 0 : -1;
}

static int wallet_sign(void *p)
{
    uint8_t sig[64];
    static const uint8_t msg[32] = {1};
    return kw_wallet_sign(p, msg, sizeof msg, sig);
}

static int raw_sign(void *p)
{
    uint8_t sig[64];
    static const uint8_t msg[32] = {1};
    return crypto_sign_detached(sig, NULL, msg, sizeof msg, p);
}

static double kdf_ms(int ours, int *failed)
{
    kw_wallet_kdf d = kw_wallet_kdf_default();
    uint8_t salt[KW_WALLET_SALT_LEN] = {0}, key[32];
    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        double t = kw_bench_now();
        if (ours) {
            kw_wallet_kek *k = NULL;
            *failed |= kw_wallet_kek_new(master, sizeof master - 1, salt, NULL, &k, NULL) != 0;
            kw_wallet_kek_free(k);
        } else {
            *failed |= EVP_PBE_scrypt(master, sizeof master - 1, salt, sizeof salt, d.n, d.r, d.p, 64u << 20, key,
                                      sizeof key) != 1;
        }
        t = kw_bench_now() - t;
        best = t < best ? t : best;
    }
    return best * 1e3;
}

int kw_bench_custody(const kw_bench_opts *o, kw_bench_result *r)
{
    int failed = 0;
    kw_wallet_kek *kek = NULL;
    char address[KW_STRKEY_BUFSZ], *sealed = NULL;
    gcm_ctx g = {.ctx = EVP_CIPHER_CTX_new()};
    uint8_t pk[32], sk[64];
    if (sodium_init() < 0 || !g.ctx ||
        kw_wallet_kek_new(master, sizeof master - 1, NULL, NULL, &kek, NULL) != 0 ||
        kw_wallet_create(kek, 0, address, &sealed, NULL) != 0) {
        failed = 1;
        goto fail;
    }

    double ours_kdf = kdf_ms(1, &failed), raw_kdf = kdf_ms(0, &failed);
    kw_bench_row_add(r, "one-time KDF (scrypt N=16384 r=8 p=1)", ours_kdf, "ms", ours_kdf / raw_kdf,
                     "OpenSSL EVP_PBE_scrypt");

    randombytes_buf(&g.key, sizeof g.key + sizeof g.iv + sizeof g.ct + sizeof g.tag);
    memcpy(g.aad, "KALE-CUSTODIAL-WALLET", 21);
    memcpy(g.aad + 21, address, KW_STRKEY_LEN);
    unsigned before = kw_wallet_kek_derivations(kek);
    open_ctx oc = {kek, address, sealed};
    double opens = rate(o, wallet_open, &oc, &failed), raw_opens = rate(o, gcm_decrypt, &g, &failed);
    kw_bench_row_add(r, "wallet opens (parse + AES-256-GCM)", opens, "ops/s", opens / raw_opens,
                     "bare AES-256-GCM decrypt");

    kw_wallet_signer signer = {kek, address, sealed};
    crypto_sign_keypair(pk, sk);
    double sigs = rate(o, wallet_sign, &signer, &failed), raw_sigs = rate(o, raw_sign, sk, &failed);
    kw_bench_row_add(r, "Ed25519 signatures (open + sign + wipe)", sigs, "ops/s", sigs / raw_sigs,
                     "libsodium crypto_sign_detached");
    kw_bench_row_add(r, "KDF runs during the opens and signatures", kw_wallet_kek_derivations(kek) - before,
                     "runs", 0, NULL);
    sodium_memzero(sk, sizeof sk);
fail:
    EVP_CIPHER_CTX_free(g.ctx);
    free(sealed);
    kw_wallet_kek_free(kek);
    return failed ? -1 : 0;
}
