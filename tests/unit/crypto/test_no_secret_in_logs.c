/* Runs every custody flow with the log captured, then greps the log and every
 * error message for each secret that passed through: none may appear. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/apikey.h"
#include "crypto/jwt.h"
#include "crypto/password.h"
#include "crypto/secret.h"
#include "crypto/sha.h"
#include "crypto/wallet.h"
#include "obs/log.h"

#define MAX_SECRETS 32
static char *secrets[MAX_SECRETS];
static int nsecrets;
static char messages[8192];

static void secret_text(const char *s, size_t n)
{
    cr_assert(nsecrets < MAX_SECRETS);
    secrets[nsecrets++] = strndup(s, n);
}

static void secret_bytes(const uint8_t *p, size_t n)
{
    char hex[2 * 64 + 1], b64[128];
    kw_hex_encode(p, n, hex);
    secret_text(hex, 2 * n);
    sodium_bin2base64(b64, sizeof b64, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    secret_text(b64, strlen(b64));
}

static void note(const kw_err *e)
{
    strncat(messages, e->msg, sizeof messages - strlen(messages) - 2);
    strcat(messages, "\n");
}

Test(no_secret_in_logs, custody_flows)
{
    char dir[] = "/tmp/kw-logs-XXXXXX", data[64], logpath[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(logpath, sizeof logpath, "%s/log", dir);
    int fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert(fd >= 0);
    kw_log_setup(KW_LOG_DEBUG, "test", fd);

    kw_config cfg;
    kw_err e = {0};
    cr_assert_eq(kw_config_init(&cfg), 0);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_KALEWX_DATA_DIR, data, KW_SRC_FLAG, NULL), 0);
    kw_secret master = {0}, jwt = {0};
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &master, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_JWT, true, &jwt, &e), 0, "%s", e.msg);
    secret_text((const char *)master.bytes, master.len);
    secret_text((const char *)jwt.bytes, jwt.len);

    /* Wallets: create, open, sign, and the failures. */
    kw_wallet_kek *kek = NULL, *wrong = NULL;
    kw_wallet_kdf cheap = {.n = 1024, .r = 8, .p = 1};
    cr_assert_eq(kw_wallet_kek_new(master.bytes, master.len, NULL, &cheap, &kek, &e), 0);
    uint8_t salt[32];
    kw_wallet_kek_salt(kek, salt);
    cr_assert_eq(kw_wallet_kek_new("a wrong master key of enough length", 35, salt, &cheap, &wrong, &e), 0);
    char address[KW_STRKEY_BUFSZ], seed_text[KW_STRKEY_BUFSZ];
    char *sealed = NULL;
    uint8_t seed[32], sig[64];
    cr_assert_eq(kw_wallet_create(kek, 0, address, &sealed, &e), 0);
    cr_assert_eq(kw_wallet_open(kek, address, sealed, seed, &e), 0);
    secret_bytes(seed, 32);
    kw_strkey_encode(KW_STRKEY_SEED, seed, seed_text);
    secret_text(seed_text, KW_STRKEY_LEN);
    cr_assert_eq(kw_wallet_open(wrong, address, sealed, seed, &e), KW_ECRYPTO);
    note(&e);
    cr_assert_eq(kw_wallet_open(kek, address, "{\"version\":1", seed, &e), KW_EINVAL);
    note(&e);
    kw_wallet_signer signer = {.kek = kek, .address = address, .sealed = sealed};
    cr_assert_eq(kw_wallet_sign(&signer, (const uint8_t *)"m", 1, sig), 0);

    /* Passwords. */
    const char *password = "a password nobody may log";
    secret_text(password, strlen(password));
    char hash[KW_PASSWORD_HASH_MAX];
    cr_assert_eq(kw_password_hash(password, hash, &e), 0);
    cr_assert_eq(kw_password_verify(hash, "a wrong password!"), KW_EAUTH);
    cr_assert_eq(kw_password_hash("shortpw", hash, &e), KW_EINVAL);
    note(&e);

    /* Tokens. */
    char token[KW_JWT_BUFSZ];
    kw_jwt_claims claims;
    cr_assert_eq(kw_jwt_issue(jwt.bytes, jwt.len, "1", KW_ACCESS_USER, KW_ACCESS_ROLE_USER, 1000, token, &e), 0);
    secret_text(token, strlen(token));
    secret_text(strrchr(token, '.') + 1, strlen(strrchr(token, '.') + 1));
    cr_assert_eq(kw_jwt_verify(jwt.bytes, jwt.len, token, 999999, &claims, &e), KW_EAUTH);
    note(&e);
    token[strlen(token) - 2] ^= 1;
    cr_assert_eq(kw_jwt_verify(jwt.bytes, jwt.len, token, 1000, &claims, &e), KW_EAUTH);
    note(&e);

    /* API keys. */
    char key[KW_APIKEY_BUFSZ];
    uint8_t khash[32];
    cr_assert_eq(kw_apikey_generate(key, khash, &e), 0);
    secret_text(key, strlen(key));
    secret_text(key + 4, strlen(key) - 4);
    key[20] = 'A';
    cr_assert_eq(kw_apikey_check(key, &e), KW_EINVAL);
    note(&e);

    char log[65536];
    ssize_t n = pread(fd, log, sizeof log - 1, 0);
    cr_assert(n > 0, "the flows logged something (the generated-key lines)");
    log[n] = 0;
    cr_assert(strstr(log, "generated a new devnet secret"));
    for (int i = 0; i < nsecrets; i++) {
        cr_assert_null(strstr(log, secrets[i]), "secret %d found in the log", i);
        cr_assert_null(strstr(messages, secrets[i]), "secret %d found in an error message", i);
        free(secrets[i]);
    }
    free(sealed);
    kw_wallet_kek_free(kek);
    kw_wallet_kek_free(wrong);
    kw_secret_free(&master);
    kw_secret_free(&jwt);
    kw_config_free(&cfg);
    close(fd);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
