#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/secret.h"
#include "obs/log.h"

static char dir[64];
static int logpipe[2];
static kw_config cfg;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/kw-secret-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(pipe2(logpipe, O_NONBLOCK), 0);
    kw_log_setup(KW_LOG_DEBUG, "test", logpipe[1]);
    cr_assert_eq(kw_config_init(&cfg), 0);
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_KALEWX_DATA_DIR, data, KW_SRC_FLAG, NULL), 0);
}

static void teardown(void)
{
    kw_config_free(&cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static void set(kw_config_key k, const char *v)
{
    kw_err e = {0};
    cr_assert_eq(kw_config_set(&cfg, k, v, KW_SRC_FLAG, &e), 0, "%s", e.msg);
}

static size_t drain_log(char *buf, size_t cap)
{
    ssize_t n = read(logpipe[0], buf, cap - 1);
    buf[n > 0 ? n : 0] = 0;
    return n > 0 ? (size_t)n : 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static const char key64[] = "6b616c6577782d746573742d6d61737465722d6b65792d6f662d3634206865";

TestSuite(secret, .init = setup, .fini = teardown);

Test(secret, devnet_generates_master_key_once)
{
    kw_secret a = {0}, b = {0};
    kw_err e = {0};
    char path[128], log[8192];
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &a, &e), 0, "%s", e.msg);
    cr_assert_eq(a.origin, KW_SECRET_GENERATED);
    cr_assert_eq(a.len, 64);
    snprintf(path, sizeof path, "%s/data/master.key", dir);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(st.st_size, 65);
    drain_log(log, sizeof log);
    cr_assert(strstr(log, "generated a new devnet secret"), "%s", log);
    cr_assert(strstr(log, path), "the log names the file: %s", log);
    char text[65];
    memcpy(text, a.bytes, 64);
    text[64] = 0;
    cr_assert_null(strstr(log, text), "the log never holds the key");

    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &b, &e), 0, "%s", e.msg);
    cr_assert_eq(b.origin, KW_SECRET_FROM_DATA_DIR);
    cr_assert(b.len == a.len && memcmp(a.bytes, b.bytes, a.len) == 0, "the second start reads the same key");
    cr_assert_eq(drain_log(log, sizeof log), 0, "no log line when nothing was generated");
    kw_secret_free(&a);
    kw_secret_free(&b);
    kw_secret_free(&b);
}

Test(secret, devnet_key_is_not_generated_when_forbidden)
{
    kw_secret s = {0};
    kw_err e = {0};
    char path[128];
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, false, &s, &e), KW_ENOTFOUND);
    snprintf(path, sizeof path, "%s/data/master.key", dir);
    cr_assert(strstr(e.msg, path), "%s", e.msg);
    cr_assert_neq(access(path, F_OK), 0, "nothing was created");
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &s, &e), 0);
    kw_secret_free(&s);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, false, &s, &e), 0, "an existing file is read");
    cr_assert_eq(s.origin, KW_SECRET_FROM_DATA_DIR);
    kw_secret_free(&s);
}

Test(secret, devnet_generates_jwt_secret_separately)
{
    kw_secret m = {0}, j = {0};
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &m, NULL), 0);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_JWT, true, &j, NULL), 0);
    cr_assert_eq(j.origin, KW_SECRET_GENERATED);
    cr_assert(memcmp(m.bytes, j.bytes, 32) != 0);
    char path[128];
    snprintf(path, sizeof path, "%s/data/jwt.key", dir);
    cr_assert_eq(access(path, R_OK), 0);
    kw_secret_free(&m);
    kw_secret_free(&j);
}

Test(secret, other_chains_require_the_settings)
{
    kw_secret s = {0};
    kw_err e = {0};
    set(KW_CFG_KALEWX_CHAIN, "testnet");
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &s, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "KALEWX_MASTER_KEY or KALEWX_MASTER_KEY_FILE is required with KALEWX_CHAIN=testnet"),
              "%s", e.msg);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_JWT, true, &s, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "JWT_SECRET is required"), "%s", e.msg);
    char path[128];
    snprintf(path, sizeof path, "%s/data", dir);
    cr_assert_neq(access(path, F_OK), 0, "nothing generated outside devnet");
    set(KW_CFG_KALEWX_MASTER_KEY, key64);
    set(KW_CFG_JWT_SECRET, key64);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &s, &e), 0, "%s", e.msg);
    cr_assert_eq(s.origin, KW_SECRET_FROM_SETTING);
    cr_assert(s.len == strlen(key64) && memcmp(s.bytes, key64, s.len) == 0);
    kw_secret_free(&s);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_JWT, true, &s, &e), 0, "%s", e.msg);
    kw_secret_free(&s);
}

Test(secret, master_key_file)
{
    char path[128], log[4096];
    kw_secret s = {0};
    kw_err e = {0};
    snprintf(path, sizeof path, "%s/mk", dir);
    write_file(path, "correct horse battery staple master secret\r\n\n", 0600);
    set(KW_CFG_KALEWX_CHAIN, "mainnet");
    set(KW_CFG_KALEWX_MASTER_KEY_FILE, path);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &s, &e), 0, "%s", e.msg);
    cr_assert_eq(s.origin, KW_SECRET_FROM_FILE);
    cr_assert_eq(s.len, strlen("correct horse battery staple master secret"), "line break dropped");
    kw_secret_free(&s);
    drain_log(log, sizeof log);
    chmod(path, 0644);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &s, &e), 0, "%s", e.msg);
    drain_log(log, sizeof log);
    cr_assert(strstr(log, "group or others"), "%s", log);
    cr_assert_null(strstr(log, "horse"));
    kw_secret_free(&s);
    set(KW_CFG_KALEWX_MASTER_KEY, key64);
    cr_assert_eq(kw_secret_load(&cfg, KW_SECRET_MASTER, true, &s, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "not both"), "%s", e.msg);
}

Test(secret, bad_secrets_are_clear_errors)
{
    char path[128];
    kw_secret s = {0};
    kw_err e = {0};
    snprintf(path, sizeof path, "%s/none", dir);
    cr_assert_eq(kw_secret_read_file(path, &s, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, path), "%s", e.msg);
    cr_assert_eq(kw_secret_read_file(dir, &s, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "not a regular file"), "%s", e.msg);
    snprintf(path, sizeof path, "%s/short", dir);
    write_file(path, "too short\n", 0600);
    cr_assert_eq(kw_secret_read_file(path, &s, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "32 to 4096 characters"), "%s", e.msg);
    cr_assert_null(strstr(e.msg, "too short"), "the message never holds the secret");
    snprintf(path, sizeof path, "%s/lines", dir);
    write_file(path, "first line of the secret is long\nsecond line of the secret\n", 0600);
    cr_assert_eq(kw_secret_read_file(path, &s, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "one line"), "%s", e.msg);
    char *big = malloc(5000);
    memset(big, 'k', 4999);
    big[4999] = 0;
    snprintf(path, sizeof path, "%s/big", dir);
    write_file(path, big, 0600);
    cr_assert_eq(kw_secret_read_file(path, &s, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "larger than"), "%s", e.msg);
    cr_assert_eq(kw_secret_from_text(big, 4096, "X", &s, &e), 0);
    kw_secret_free(&s);
    cr_assert_eq(kw_secret_from_text(big, 4097, "X", &s, &e), KW_EINVAL);
    cr_assert_null(s.bytes);
    free(big);
}

Test(secret, generation_never_replaces_a_key)
{
    char path[128], buf[128];
    int created = -1;
    kw_err e = {0};
    snprintf(path, sizeof path, "%s/data/sub/master.key", dir);
    cr_assert_eq(kw_secret_generate_file(path, &created, &e), 0, "%s", e.msg);
    cr_assert_eq(created, 1);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(fgets(buf, sizeof buf, f));
    fclose(f);
    cr_assert_eq(strlen(buf), 65);
    cr_assert_eq(kw_secret_generate_file(path, &created, &e), 0);
    cr_assert_eq(created, 0);
    char again[128];
    f = fopen(path, "r");
    cr_assert_not_null(fgets(again, sizeof again, f));
    fclose(f);
    cr_assert_str_eq(buf, again);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test $(ls %s/data/sub | wc -l) -eq 1", dir);
    cr_assert_eq(system(cmd), 0, "no temporary file left behind");
}

Test(secret, install_replaces_a_key_atomically)
{
    char path[128];
    kw_secret s = {0}, back = {0};
    kw_err e = {0};
    int created;
    snprintf(path, sizeof path, "%s/data/master.key", dir);
    cr_assert_eq(kw_secret_generate_file(path, &created, &e), 0);
    cr_assert_eq(kw_secret_from_text(key64, strlen(key64), "new key", &s, &e), 0);
    cr_assert_eq(kw_secret_install_file(path, &s, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_secret_read_file(path, &back, &e), 0, "%s", e.msg);
    cr_assert(back.len == s.len && memcmp(back.bytes, s.bytes, s.len) == 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test $(ls %s/data | wc -l) -eq 1", dir);
    cr_assert_eq(system(cmd), 0, "no temporary file left behind");
    kw_secret_free(&s);
    kw_secret_free(&back);
}
