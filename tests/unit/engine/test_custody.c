#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/custody.h"
#include "seed_wallets.h"
#include "store/repo_wallets.h"
#include "unit/store/fixture.h"

static const kw_wallet_kdf cheap = {.n = 1024, .r = 8, .p = 1};
static char dir[64], data[96];
static kw_store *st;
static kw_config cfg;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/kw-custody-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(data, sizeof data, "%s/data", dir);
    st = kwt_open();
    cr_assert_eq(kw_config_init(&cfg), 0);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_KALEWX_DATA_DIR, data, KW_SRC_FLAG, NULL), 0);
}

static void teardown(void)
{
    kwt_close(st);
    kw_config_free(&cfg);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* n users with wallets sealed under master. */
static void seed(const char *master, int first, int n)
{
    kw_wallet_kek *k;
    kw_err e = {0};
    cr_assert_eq(kw_wallet_kek_new(master, strlen(master), NULL, &cheap, &k, &e), 0);
    cr_assert_eq(kwt_seed_wallets(st, k, first, n, &e), 0, "%s", e.msg);
    kw_wallet_kek_free(k);
}

/* Seeds n wallets under master and starts custody with master configured. */
static kw_wallet_kek *started(const char *master, int n)
{
    kw_wallet_kek *k = NULL;
    kw_err e = {0};
    seed(master, 0, n);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_KALEWX_MASTER_KEY, master, KW_SRC_FLAG, NULL), 0);
    cr_assert_eq(kw_custody_open(&cfg, st, &cheap, &k, &e), 0, "%s", e.msg);
    return k;
}

TestSuite(custody, .init = setup, .fini = teardown);

static kw_secret secret_of(const char *text)
{
    kw_secret s = {0};
    cr_assert_eq(kw_secret_from_text(text, strlen(text), "key", &s, NULL), 0);
    return s;
}

/* How many wallets open with master (under the first wallet's salt). */
static size_t openable(const char *master)
{
    kw_db *db;
    kw_wallet *list;
    size_t n, ok = 0;
    kw_err e = {0};
    uint8_t salt[32], seed_out[32];
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_repo_wallets_list(db, &list, &n, &e), 0);
    kw_store_release(st, db);
    cr_assert(n > 0);
    cr_assert_eq(kw_wallet_sealed_salt(list[0].sealed, salt, &e), 0);
    kw_wallet_kek *k;
    cr_assert_eq(kw_wallet_kek_new(master, strlen(master), salt, &cheap, &k, &e), 0);
    for (size_t i = 0; i < n; i++)
        ok += kw_wallet_open(k, list[i].public_key, list[i].sealed, seed_out, NULL) == 0;
    kw_wallet_kek_free(k);
    kw_wallet_list_free(list, n);
    return ok;
}

static const char old_key[] = "the old master key, thirty-two bytes or more";
static const char new_key[] = "the new master key, thirty-two bytes or more";

Test(custody, open_on_empty_database_generates_the_devnet_key)
{
    kw_wallet_kek *k = NULL;
    kw_err e = {0};
    char path[128];
    cr_assert_eq(kw_custody_open(&cfg, st, &cheap, &k, &e), 0, "%s", e.msg);
    snprintf(path, sizeof path, "%s/master.key", data);
    cr_assert_eq(access(path, R_OK), 0);
    kw_wallet_kek_free(k);
}

Test(custody, open_proves_the_key_on_the_first_wallet)
{
    kw_wallet_kek *k = started(old_key, 3);
    kw_err e = {0};
    uint8_t salt[32], theirs[32];
    kw_wallet_kek_salt(k, salt);
    kw_db *db;
    kw_wallet w = {0};
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_repo_wallets_get_by_user(db, 1, &w, &e), 0, "%s", e.msg);
    kw_store_release(st, db);
    cr_assert_eq(kw_wallet_sealed_salt(w.sealed, theirs, &e), 0);
    cr_assert(memcmp(salt, theirs, 32) == 0, "new wallets get the installation's salt");
    cr_assert_eq(kw_wallet_kek_derivations(k), 1);
    kw_wallet_clear(&w);
    kw_wallet_kek_free(k);
}

Test(custody, wrong_master_key_stops_start_and_changes_nothing)
{
    kw_wallet_kek *k = (kw_wallet_kek *)1;
    kw_err e = {0};
    seed(old_key, 0, 2);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_KALEWX_MASTER_KEY, new_key, KW_SRC_FLAG, NULL), 0);
    cr_assert_eq(kw_custody_open(&cfg, st, &cheap, &k, &e), KW_ECRYPTO);
    cr_assert_null(k);
    cr_assert(strstr(e.msg, "the master key does not open custodial wallet 1 (G"), "%s", e.msg);
    cr_assert_eq(openable(old_key), 2);
}

Test(custody, missing_devnet_key_with_wallets_is_not_regenerated)
{
    kw_wallet_kek *k = NULL;
    kw_err e = {0};
    seed(old_key, 0, 1);
    cr_assert_eq(kw_custody_open(&cfg, st, &cheap, &k, &e), KW_ENOTFOUND);
    cr_assert(strstr(e.msg, "master key file is missing"), "%s", e.msg);
    char path[128];
    snprintf(path, sizeof path, "%s/master.key", data);
    cr_assert_neq(access(path, F_OK), 0, "no key was generated");
}

Test(custody, signer_signs_for_a_user)
{
    kw_wallet_kek *k = started(old_key, 2);
    kw_err e = {0};
    kw_custody_signer s;
    cr_assert_eq(kw_custody_signer_load(st, k, 2, &s, &e), 0, "%s", e.msg);
    uint8_t sig[64], pk[32];
    cr_assert_eq(kw_wallet_sign(&s.signer, (const uint8_t *)"tx", 2, sig), 0);
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, s.address, pk, NULL), 0);
    cr_assert_eq(crypto_sign_verify_detached(sig, (const uint8_t *)"tx", 2, pk), 0);
    kw_custody_signer_free(&s);
    cr_assert_eq(kw_custody_signer_load(st, k, 99, &s, &e), KW_ENOTFOUND);
    kw_wallet_kek_free(k);
}

Test(custody, rotation_moves_every_wallet_to_the_new_key)
{
    kw_secret o = secret_of(old_key), n = secret_of(new_key);
    kw_custody_rotation r;
    kw_err e = {0};
    seed(old_key, 0, 25);
    cr_assert_eq(kw_custody_rotate(st, &o, &n, &cheap, 5, &r, &e), 0, "%s", e.msg);
    cr_assert_eq(r.wallets, 25);
    cr_assert_not(r.already);
    cr_assert_eq(openable(new_key), 25);
    cr_assert_eq(openable(old_key), 0);
    /* Again with the old key configured: nothing to do, nothing changed. */
    cr_assert_eq(kw_custody_rotate(st, &o, &n, &cheap, 6, &r, &e), 0, "%s", e.msg);
    cr_assert(r.already);
    cr_assert_eq(r.wallets, 0);
    cr_assert_eq(openable(new_key), 25);
    kw_secret_free(&o);
    kw_secret_free(&n);
}

Test(custody, rotation_refusals_change_nothing)
{
    kw_secret o = secret_of(old_key), n = secret_of(new_key),
              stranger = secret_of("a key that never sealed anything here");
    kw_custody_rotation r;
    kw_err e = {0};
    seed(old_key, 0, 5);
    cr_assert_eq(kw_custody_rotate(st, &o, &o, &cheap, 5, &r, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "is the current one"), "%s", e.msg);
    cr_assert_eq(kw_custody_rotate(st, &stranger, &n, &cheap, 5, &r, &e), KW_ECRYPTO);
    cr_assert(strstr(e.msg, "neither the current nor the new master key"), "%s", e.msg);
    cr_assert_eq(openable(old_key), 5);
    /* One wallet under another key (a replica left running with it): the
     * whole rotation rolls back and names that wallet. */
    seed("a key that never sealed anything here", 100, 1);
    cr_assert_eq(kw_custody_rotate(st, &o, &n, &cheap, 5, &r, &e), KW_ECRYPTO);
    cr_assert(strstr(e.msg, "custodial wallet 6 (G"), "%s", e.msg);
    cr_assert(strstr(e.msg, "nothing was changed"), "%s", e.msg);
    cr_assert_eq(openable(old_key), 5);
    cr_assert_eq(openable(new_key), 0);
    kw_secret_free(&o);
    kw_secret_free(&n);
    kw_secret_free(&stranger);
}

Test(custody, rotation_of_an_empty_database)
{
    kw_secret o = secret_of(old_key), n = secret_of(new_key);
    kw_custody_rotation r;
    kw_err e = {0};
    cr_assert_eq(kw_custody_rotate(st, &o, &n, &cheap, 5, &r, &e), 0, "%s", e.msg);
    cr_assert_eq(r.wallets, 0);
    kw_secret_free(&o);
    kw_secret_free(&n);
}
