#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/client.h"
#include "cli/commands.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/kwx-client-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    setenv("XDG_CONFIG_HOME", dir, 1);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(client, .init = setup, .fini = teardown);

Test(client, credentials_round_trip_with_mode_0600)
{
    kw_client c = {0};
    snprintf(c.server, sizeof c.server, "http://127.0.0.1:3000");
    snprintf(c.token, sizeof c.token, "tok.en.value");
    snprintf(c.username, sizeof c.username, "alice");
    kw_err e;
    cr_assert_eq(kw_client_save(&c, &e), 0, "%s", e.msg);
    char path[1024];
    cr_assert_eq(kw_client_credentials_path(path, sizeof path), 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    kw_client d = {0};
    snprintf(d.server, sizeof d.server, "http://127.0.0.1:3000");
    cr_assert_eq(kw_client_load(&d, &e), 0, "%s", e.msg);
    cr_assert_str_eq(d.token, "tok.en.value");
    cr_assert_str_eq(d.username, "alice");
    /* a token is never sent to another server */
    kw_client other = {0};
    snprintf(other.server, sizeof other.server, "http://127.0.0.1:4000");
    cr_assert_eq(kw_client_load(&other, &e), 0);
    cr_assert_str_eq(other.token, "");
    cr_assert_eq(kw_client_forget(&e), 0);
    cr_assert_neq(stat(path, &st), 0);
    cr_assert_eq(kw_client_forget(&e), 0, "forgetting twice is fine");
}

Test(client, readable_credentials_are_refused)
{
    kw_client c = {0};
    snprintf(c.server, sizeof c.server, "http://x");
    kw_err e;
    cr_assert_eq(kw_client_save(&c, &e), 0);
    char path[1024];
    cr_assert_eq(kw_client_credentials_path(path, sizeof path), 0);
    cr_assert_eq(chmod(path, 0644), 0);
    cr_assert_eq(kw_client_load(&c, &e), KW_EAUTH);
    cr_assert(strstr(e.msg, "chmod 600"), "%s", e.msg);
}

Test(client, missing_file_is_not_an_error_and_garbage_is)
{
    kw_client c = {0};
    kw_err e;
    cr_assert_eq(kw_client_load(&c, &e), 0);
    char path[1024];
    cr_assert_eq(kw_client_credentials_path(path, sizeof path), 0);
    cr_assert_eq(kw_client_save(&c, &e), 0);
    FILE *f = fopen(path, "w");
    fputs("not json", f);
    fclose(f);
    cr_assert_eq(kw_client_load(&c, &e), KW_EINVAL);
}

Test(client, unreachable_server_says_what_to_do)
{
    kw_client c = {.timeout_ms = 2000};
    snprintf(c.server, sizeof c.server, "http://127.0.0.1:1");
    kw_reply r;
    cr_assert_eq(kw_client_request(&c, "GET", "/health", NULL, &r), KW_EIO);
    cr_assert(strstr(r.error, "kalewx serve"), "%s", r.error);
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_SERVER);
    kw_reply_free(&r);
}

Test(client, exit_codes)
{
    kw_reply r = {.status = 200};
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_OK);
    r.status = 422;
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_REJECTED);
    r.status = 401;
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_REJECTED);
    r.status = 503;
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_SERVER);
}
