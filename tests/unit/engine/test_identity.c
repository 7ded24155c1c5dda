#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/sha.h"
#include "engine/identity.h"
#include "obs/log.h"
#include "store/repo_wallets.h"
#include "unit/store/fixture.h"

#define NOW INT64_C(1767225600000)

static const kw_wallet_kdf cheap = {.n = 1024, .r = 8, .p = 1};
static const uint8_t token_key[] = "identity test token key, 32+ bytes long";
static char dir[64];
static kw_store *st;
static kw_wallet_kek *kek;
static kw_identity id;

static void setup(void)
{
    kw_err e = {0};
    snprintf(dir, sizeof dir, "/tmp/kw-identity-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    st = kwt_open();
    cr_assert_eq(kw_wallet_kek_new("identity master key", 19, NULL, &cheap, &kek, &e), 0);
    id = (kw_identity){.store = st, .kek = kek, .token_key = token_key, .token_key_len = sizeof token_key - 1};
}

static void teardown(void)
{
    kwt_close(st);
    kw_wallet_kek_free(kek);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(identity, .init = setup, .fini = teardown);

static kw_identity_user reg(const char *name, const char *pw)
{
    kw_identity_user u;
    kw_err e = {0};
    cr_assert_eq(kw_identity_register(&id, name, pw, NULL, NOW, &u, &e), 0, "%s", e.msg);
    return u;
}

Test(identity, register_creates_user_and_custodial_wallet)
{
    kw_identity_user u = reg("alice_01", "correct horse battery");
    cr_assert(u.id > 0);
    cr_assert_str_eq(u.username, "alice_01");
    cr_assert_eq(u.tier, KW_ACCESS_USER);
    cr_assert_eq(u.role, KW_ACCESS_ROLE_USER);
    cr_assert_eq(u.wallet[0], 'G');
    kw_db *db;
    kw_wallet w = {0};
    kw_err e = {0};
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_repo_wallets_get_by_user(db, u.id, &w, &e), 0, "%s", e.msg);
    kw_store_release(st, db);
    cr_assert_str_eq(w.public_key, u.wallet);
    uint8_t seed[32];
    cr_assert_eq(kw_wallet_open(kek, w.public_key, w.sealed, seed, &e), 0, "%s", e.msg);
    kw_wallet_clear(&w);
}

Test(identity, register_rules)
{
    kw_identity_user u;
    kw_err e = {0};
    struct { const char *name, *pw, *ext, *needle; } bad[] = {
        {"ab", "correct horse battery", NULL, "3 to 32 characters"},
        {"abcdefghijklmnopqrstuvwxyz0123456", "correct horse battery", NULL, "3 to 32 characters"},
        {"Alice", "correct horse battery", NULL, "a-z, 0-9 and _"},
        {"al ice", "correct horse battery", NULL, "a-z, 0-9 and _"},
        {"al-ice", "correct horse battery", NULL, "a-z, 0-9 and _"},
        {NULL, "correct horse battery", NULL, "username"},
        {"alice", "short", NULL, "password must be 10 to 256 characters"},
        {"alice", "correct horse battery", "GNOTAKEY", "external wallet: not a account address"},
        {"alice", "correct horse battery", "SAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSBF5K", "external wallet"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(kw_identity_register(&id, bad[i].name, bad[i].pw, bad[i].ext, NOW, &u, &e), KW_EINVAL, "case %zu",
                     i);
        cr_assert(strstr(e.msg, bad[i].needle), "case %zu: %s", i, e.msg);
    }
    cr_assert_eq(kw_identity_register(&id, "abc", "correct horse battery",
                                      "GB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGITR6", NOW, &u, &e),
                 0, "%s", e.msg);
    cr_assert_str_eq(u.external_wallet, "GB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGITR6");
    char token[KW_JWT_BUFSZ];
    kw_identity_user back;
    cr_assert_eq(kw_identity_login(&id, "abc", "correct horse battery", NOW, token, &back, &e), 0, "%s", e.msg);
    cr_assert_str_eq(back.external_wallet, u.external_wallet, "stored with the user");
    cr_assert_eq(kw_identity_register(&id, "abc", "another good password", NULL, NOW, &u, &e), KW_ECONFLICT);
    cr_assert(strstr(e.msg, "taken"), "%s", e.msg);
    /* The refused duplicate left no wallet behind. */
    kw_db *db;
    kw_wallet *list;
    size_t n;
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_repo_wallets_list(db, &list, &n, &e), 0);
    kw_store_release(st, db);
    cr_assert_eq(n, 1);
    kw_wallet_list_free(list, n);
}

Test(identity, login_issues_a_token_that_authenticates)
{
    kw_identity_user u = reg("bob", "correct horse battery"), back;
    char token[KW_JWT_BUFSZ];
    kw_err e = {0};
    cr_assert_eq(kw_identity_login(&id, "bob", "correct horse battery", NOW, token, &back, &e), 0, "%s", e.msg);
    cr_assert_eq(back.id, u.id);
    cr_assert_str_eq(back.wallet, u.wallet);
    cr_assert_str_eq(back.external_wallet, "");
    kw_identity_principal p;
    cr_assert_eq(kw_identity_authenticate_token(&id, token, NOW + 1000, &p, &e), 0, "%s", e.msg);
    cr_assert_eq(p.user_id, u.id);
    cr_assert_eq(p.tier, KW_ACCESS_USER);
    cr_assert_eq(kw_identity_authenticate_token(&id, token, NOW + 3700 * 1000, &p, &e), KW_EAUTH);
    cr_assert_eq(e.code, KW_JWT_EXPIRED);
}

Test(identity, wrong_password_and_unknown_user_look_the_same)
{
    reg("carol", "correct horse battery");
    char token[KW_JWT_BUFSZ];
    kw_identity_user u;
    kw_err wrong = {0}, unknown = {0}, invalid = {0};
    cr_assert_eq(kw_identity_login(&id, "carol", "wrong horse battery", NOW, token, &u, &wrong), KW_EAUTH);
    cr_assert_eq(kw_identity_login(&id, "nobody", "correct horse battery", NOW, token, &u, &unknown), KW_EAUTH);
    cr_assert_eq(kw_identity_login(&id, "Not A Name!", "x", NOW, token, &u, &invalid), KW_EAUTH);
    cr_assert_str_eq(wrong.msg, "wrong username or password");
    cr_assert_str_eq(unknown.msg, wrong.msg);
    cr_assert_str_eq(invalid.msg, wrong.msg);
    cr_assert_eq(wrong.code, unknown.code);
}

Test(identity, api_keys_create_lookup_list_revoke)
{
    kw_identity_user u = reg("dave", "correct horse battery"), v = reg("erin", "correct horse battery");
    char key[KW_APIKEY_BUFSZ], key2[KW_APIKEY_BUFSZ];
    kw_apikey meta, meta2;
    kw_err e = {0};
    cr_assert_eq(kw_identity_apikey_create(&id, u.id, "ci", NOW, key, &meta, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_identity_apikey_create(&id, u.id, "", NOW + 1, key2, &meta2, &e), 0, "%s", e.msg);
    cr_assert_eq(strncmp(meta.prefix, key, 12), 0);
    cr_assert_eq(strlen(meta.prefix), 12);

    kw_identity_principal p;
    cr_assert_eq(kw_identity_authenticate_apikey(&id, key, NOW + 5, &p, &e), 0, "%s", e.msg);
    cr_assert_eq(p.user_id, u.id);
    cr_assert_eq(p.tier, KW_ACCESS_USER);

    /* Lookup is by hash: the store never saw the key text. */
    uint8_t h[32];
    kw_apikey found;
    kw_db *db;
    kw_apikey_hash(key, h);
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_repo_apikeys_find(db, h, &found, &e), 0, "%s", e.msg);
    kw_store_release(st, db);
    cr_assert_eq(found.id, meta.id);

    kw_apikey *list;
    size_t n;
    cr_assert_eq(kw_identity_apikey_list(&id, u.id, &list, &n, &e), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[1].name, "ci");
    free(list);

    cr_assert_eq(kw_identity_apikey_revoke(&id, v.id, meta.id, NOW, &e), KW_ENOTFOUND, "not erin's key");
    cr_assert_eq(kw_identity_apikey_revoke(&id, u.id, meta.id, NOW + 10, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_identity_authenticate_apikey(&id, key, NOW + 20, &p, &e), KW_EAUTH);
    cr_assert_eq(kw_identity_authenticate_apikey(&id, key2, NOW + 20, &p, &e), 0, "the other key still works");
    key2[30] = key2[30] == 'a' ? 'b' : 'a';
    cr_assert_eq(kw_identity_authenticate_apikey(&id, key2, NOW + 20, &p, &e), KW_EAUTH);
    cr_assert_eq(kw_identity_authenticate_apikey(&id, "kwx_short", NOW, &p, &e), KW_EAUTH);
    char long_name[80];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    cr_assert_eq(kw_identity_apikey_create(&id, u.id, long_name, NOW, key, &meta, &e), KW_EINVAL);
}

Test(identity, nothing_secret_is_logged)
{
    char logpath[96], log[65536];
    snprintf(logpath, sizeof logpath, "%s/log", dir);
    int fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert(fd >= 0);
    kw_log_setup(KW_LOG_DEBUG, "test", fd);
    const char *pw = "a password that must never be logged";
    kw_identity_user u = reg("frank", pw);
    char token[KW_JWT_BUFSZ], key[KW_APIKEY_BUFSZ];
    kw_apikey meta;
    kw_identity_principal p;
    kw_err e = {0};
    cr_assert_eq(kw_identity_login(&id, "frank", pw, NOW, token, &u, &e), 0);
    cr_assert_eq(kw_identity_login(&id, "frank", "a wrong password entirely", NOW, token + 0, &u, &e), KW_EAUTH);
    cr_assert_eq(kw_identity_login(&id, "frank", pw, NOW, token, &u, &e), 0);
    cr_assert_eq(kw_identity_authenticate_token(&id, token, NOW + 99999999, &p, &e), KW_EAUTH);
    cr_assert_eq(kw_identity_apikey_create(&id, u.id, "k", NOW, key, &meta, &e), 0);
    cr_assert_eq(kw_identity_authenticate_apikey(&id, key, NOW, &p, &e), 0);
    ssize_t n = pread(fd, log, sizeof log - 1, 0);
    log[n > 0 ? n : 0] = 0;
    cr_assert_null(strstr(log, pw));
    cr_assert_null(strstr(log, "a wrong password entirely"));
    cr_assert_null(strstr(log, token));
    cr_assert_null(strstr(log, strrchr(token, '.') + 1));
    cr_assert_null(strstr(log, key));
    cr_assert_null(strstr(log, key + 4));
    cr_assert_null(strstr(log, (const char *)token_key));
    close(fd);
}
