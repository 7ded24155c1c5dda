/*
 * custody_tool — the test side of the master-key rotation crash test.
 *
 *   custody_tool keygen FILE              write a new random key file
 *   custody_tool seed DATA_DIR KEY N      N users with wallets sealed under KEY
 *   custody_tool check DATA_DIR KEY_A KEY_B
 *       prints "A B NEITHER BOTH": how many wallets open with only KEY_A,
 *       only KEY_B, with neither and with both
 *
 * It works on the SQLite database under DATA_DIR through the same store and
 * wallet code as the service, with the production scrypt cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/secret.h"
#include "crypto/wallet.h"
#include "store/migrate.h"
#include "store/repo_wallets.h"
#include "store/store.h"
#include "unit/engine/seed_wallets.h"

static void die(const char *what, const kw_err *e)
{
    fprintf(stderr, "custody_tool: %s: %s\n", what, e ? e->msg : "");
    exit(2);
}

static kw_store *open_store(const char *dir)
{
    kw_store *st = NULL;
    kw_err e = {0};
    kw_store_options o = {.url = "", .data_dir = dir, .pool_size = 2};
    if (kw_store_open(&o, &st, &e) != 0 || kw_migrate(st, NULL, &e) != 0)
        die("open", &e);
    return st;
}

static kw_secret read_key(const char *path)
{
    kw_secret s = {0};
    kw_err e = {0};
    if (kw_secret_read_file(path, &s, &e) != 0)
        die("key", &e);
    return s;
}

static void seed(const char *dir, const char *keyfile, long n)
{
    kw_err e = {0};
    kw_store *st = open_store(dir);
    kw_secret key = read_key(keyfile);
    kw_wallet_kek *kek = NULL;
    if (kw_wallet_kek_new(key.bytes, key.len, NULL, NULL, &kek, &e) != 0 || kwt_seed_wallets(st, kek, 0, n, &e) != 0)
        die("seed", &e);
    kw_wallet_kek_free(kek);
    kw_secret_free(&key);
    kw_store_close(st);
}

static kw_wallet_kek *kek_for(const char *keyfile, const kw_wallet *first)
{
    kw_secret key = read_key(keyfile);
    kw_wallet_kek *k = NULL;
    uint8_t salt[KW_WALLET_SALT_LEN];
    kw_err e = {0};
    if (kw_wallet_sealed_salt(first->sealed, salt, &e) != 0 ||
        kw_wallet_kek_new(key.bytes, key.len, salt, NULL, &k, &e) != 0)
        die("kek", &e);
    kw_secret_free(&key);
    return k;
}

static void check(const char *dir, const char *key_a, const char *key_b)
{
    kw_err e = {0};
    kw_store *st = open_store(dir);
    kw_db *db;
    kw_wallet *list = NULL;
    size_t n = 0;
    if (kw_store_acquire(st, KW_DB_READ, &db, &e) != 0 || kw_repo_wallets_list(db, &list, &n, &e) != 0)
        die("list", &e);
    kw_store_release(st, db);
    if (n == 0)
        die("check", &(kw_err){.msg = "no wallets"});
    kw_wallet_kek *a = kek_for(key_a, &list[0]), *b = kek_for(key_b, &list[0]);
    long only_a = 0, only_b = 0, neither = 0, both = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t seed_a[32], seed_b[32];
        int ok_a = kw_wallet_open(a, list[i].public_key, list[i].sealed, seed_a, NULL) == 0;
        int ok_b = kw_wallet_open(b, list[i].public_key, list[i].sealed, seed_b, NULL) == 0;
        only_a += ok_a && !ok_b;
        only_b += ok_b && !ok_a;
        neither += !ok_a && !ok_b;
        both += ok_a && ok_b;
        sodium_memzero(seed_a, sizeof seed_a);
        sodium_memzero(seed_b, sizeof seed_b);
    }
    printf("%ld %ld %ld %ld\n", only_a, only_b, neither, both);
    kw_wallet_list_free(list, n);
    kw_wallet_kek_free(a);
    kw_wallet_kek_free(b);
    kw_store_close(st);
}

int main(int argc, char **argv)
{
    kw_err e = {0};
    int created;
    if (argc == 3 && strcmp(argv[1], "keygen") == 0) {
        if (kw_secret_generate_file(argv[2], &created, &e) != 0 || !created)
            die("keygen", &e);
    } else if (argc == 5 && strcmp(argv[1], "seed") == 0) {
        seed(argv[2], argv[3], atol(argv[4]));
    } else if (argc == 5 && strcmp(argv[1], "check") == 0) {
        check(argv[2], argv[3], argv[4]);
    } else {
        fprintf(stderr, "usage: custody_tool keygen FILE | seed DIR KEY N | check DIR KEY_A KEY_B\n");
        return 1;
    }
    return 0;
}
