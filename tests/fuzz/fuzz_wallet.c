/* libFuzzer target: sealed custodial wallets (EncryptedWallet JSON). The
 * input is an address line and the sealed text; it goes through
 * kw_wallet_sealed_salt and kw_wallet_open with a fixed master key (the seed
 * corpus holds wallets sealed with it, so decryption is reached). An opened
 * seed must belong to the address, and re-sealing must open to it again. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/wallet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

/* A cheap scrypt keeps executions fast; blobs record it ("scrypt:N=16,r=1,p=1"). */
static const kw_wallet_kdf kdf = {.n = 16, .r = 1, .p = 1};
static const char master[] = "kalewx fuzz master key";
static kw_wallet_kek *kek;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (!kek) {
        uint8_t salt[KW_WALLET_SALT_LEN];
        memset(salt, 0x5a, sizeof salt);
        if (kw_wallet_kek_new(master, sizeof master - 1, salt, &kdf, &kek, NULL) != 0)
            abort();
    }
    char *text = malloc(n + 1);
    if (!text)
        return 0;
    memcpy(text, data, n);
    text[n] = 0;
    char *nl = strchr(text, '\n');
    const char *address = text, *sealed = nl ? nl + 1 : "";
    if (nl)
        *nl = 0;
    uint8_t salt[KW_WALLET_SALT_LEN], seed[KW_WALLET_SEED_LEN], again[KW_WALLET_SEED_LEN];
    kw_err e = {0};
    if (kw_wallet_sealed_salt(sealed, salt, &e) != 0 && !e.msg[0])
        abort();
    int rc = kw_wallet_open(kek, address, sealed, seed, &e);
    if (rc == 0) {
        uint8_t pk[32], sk[64];
        char addr[KW_STRKEY_BUFSZ];
        crypto_sign_seed_keypair(pk, sk, seed);
        kw_strkey_encode(KW_STRKEY_ACCOUNT, pk, addr);
        if (strcmp(addr, address) != 0)
            abort();
        char *resealed = NULL;
        if (kw_wallet_reseal(kek, kek, address, sealed, &resealed, &e) != 0 ||
            kw_wallet_open(kek, address, resealed, again, &e) != 0 || memcmp(seed, again, sizeof seed) != 0)
            abort();
        free(resealed);
        sodium_memzero(sk, sizeof sk);
    } else if ((rc != KW_EINVAL && rc != KW_ECRYPTO && rc != KW_ELIMIT) || !e.msg[0]) {
        abort();
    }
    sodium_memzero(seed, sizeof seed);
    free(text);
    return 0;
}
