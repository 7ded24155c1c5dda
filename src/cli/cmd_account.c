/*
 * kalewx register | login | logout — the account on a server and the
 * credentials file the other client commands use (client.h).
 *
 * Passwords are read without echo when stdin is a terminal, or as one line
 * of stdin with --password-stdin; they are never taken from the command
 * line (other users could read it in the process list) and are wiped after
 * use. The token is never printed, not even with --json.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/session.h"
#include "cli/term.h"
#include "crypto/strkey.h"

#define PASSWORD_MAX 1024

typedef struct account_args {
    const char *username;
    const char *wallet;
    bool password_stdin;
} account_args;

static int parse(kw_cli *cli, const char *cmd, int argc, char **argv, bool wallet_allowed, account_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--password-stdin") == 0)
            a->password_stdin = true;
        else if (wallet_allowed && strcmp(argv[i], "--wallet") == 0 && i + 1 < argc)
            a->wallet = argv[++i];
        else if (argv[i][0] == '-' || a->username)
            return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "USAGE", "unexpected argument %s: see `kalewx help %s`",
                               argv[i], cmd);
        else
            a->username = argv[i];
    }
    if (a->wallet) {
        uint8_t raw[32];
        kw_err err = {0};
        if (kw_strkey_decode(KW_STRKEY_ACCOUNT, a->wallet, raw, &err) != 0)
            return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "VALIDATION_ERROR", "--wallet must be a Stellar account (G…): %s",
                               err.msg);
    }
    if (!a->username && (a->password_stdin || !isatty(STDIN_FILENO)))
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "USAGE", "give the username: kalewx %s USERNAME", cmd);
    return KW_EXIT_OK;
}

/* Asks for the username on the terminal when it was not given. */
static int ask_username(kw_cli *cli, const char *cmd, account_args *a, char *buf, size_t cap)
{
    if (a->username)
        return KW_EXIT_OK;
    fputs("username: ", stderr);
    fflush(stderr);
    if (!fgets(buf, (int)cap, stdin) || !(buf[strcspn(buf, "\r\n")] = 0, *buf))
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "USAGE", "no username given");
    a->username = buf;
    return KW_EXIT_OK;
}

/* The password into pw (PASSWORD_MAX bytes); twice on a terminal when confirm. */
static int ask_password(kw_cli *cli, const char *cmd, const account_args *a, bool confirm, char *pw)
{
    if (!a->password_stdin && !isatty(STDIN_FILENO))
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "USAGE",
                           "stdin is not a terminal to ask for the password: pass it on stdin with --password-stdin");
    int n = kw_term_read_secret(STDIN_FILENO, a->password_stdin ? "" : "password: ", pw, PASSWORD_MAX);
    if (n == KW_ERANGE)
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "USAGE", "the password is longer than %d bytes", PASSWORD_MAX - 1);
    if (n <= 0)
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "USAGE", "no password given");
    if (confirm && !a->password_stdin) {
        char again[PASSWORD_MAX];
        int m = kw_term_read_secret(STDIN_FILENO, "repeat the password: ", again, sizeof again);
        bool same = m == n && memcmp(pw, again, (size_t)n) == 0;
        explicit_bzero(again, sizeof again);
        if (!same) {
            explicit_bzero(pw, PASSWORD_MAX);
            return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "USAGE", "the passwords differ; nothing was changed");
        }
    }
    return KW_EXIT_OK;
}

/* POST /auth/token and the credentials file. *expires_in from the reply. */
static int log_in(kw_session *s, const char *username, const char *password, json_int_t *expires_in)
{
    json_t *body = json_pack("{s:s,s:s}", "username", username, "password", password), *data = NULL;
    int rc = kw_session_call(s, "POST", "/api/v1/auth/token", body, &data);
    json_t *pw = json_object_get(body, "password");
    explicit_bzero((char *)json_string_value(pw), strlen(json_string_value(pw)));
    json_decref(body);
    if (rc)
        return rc;
    const char *token = json_string_value(json_object_get(data, "token"));
    *expires_in = json_integer_value(json_object_get(data, "expires_in"));
    if (!token || strlen(token) >= sizeof s->client.token) {
        json_decref(data);
        return kw_cli_fail(s->cli, s->cmd, KW_EXIT_SERVER, "BAD_REPLY", "the server sent no usable token");
    }
    snprintf(s->client.token, sizeof s->client.token, "%s", token);
    snprintf(s->client.username, sizeof s->client.username, "%s", username);
    explicit_bzero((char *)token, strlen(token));
    json_decref(data);
    kw_err err = {0};
    if (kw_client_save(&s->client, &err) != 0)
        return kw_cli_fail(s->cli, s->cmd, KW_EXIT_USAGE, "CREDENTIALS", "%s", err.msg);
    return KW_EXIT_OK;
}

static int account(kw_cli *cli, int argc, char **argv, bool create)
{
    const char *cmd = argv[0];
    account_args a;
    char name[128], pw[PASSWORD_MAX];
    int rc = parse(cli, cmd, argc, argv, create, &a);
    if (rc || (rc = ask_username(cli, cmd, &a, name, sizeof name)) != 0)
        return rc;
    if (strlen(a.username) >= sizeof ((kw_client *)0)->username)
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "VALIDATION_ERROR", "the username is too long");
    kw_session s;
    if ((rc = kw_session_open(&s, cli, cmd, false)) != 0)
        return rc;
    if ((rc = ask_password(cli, cmd, &a, create, pw)) != 0) {
        kw_session_close(&s);
        return rc;
    }
    json_t *user = NULL;
    /* The stored token is not sent: it may have expired, which is often why one logs in. */
    explicit_bzero(s.client.token, sizeof s.client.token);
    if (create) {
        json_t *body = json_pack("{s:s,s:s}", "username", a.username, "password", pw);
        if (a.wallet)
            json_object_set_new(body, "wallet", json_string(a.wallet));
        rc = kw_session_call(&s, "POST", "/api/v1/users", body, &user);
        json_t *p = json_object_get(body, "password");
        explicit_bzero((char *)json_string_value(p), strlen(json_string_value(p)));
        json_decref(body);
    }
    json_int_t expires = 0;
    if (rc == 0)
        rc = log_in(&s, a.username, pw, &expires);
    explicit_bzero(pw, sizeof pw);
    if (rc == 0) {
        if (cli->json) {
            json_t *out = user ? json_incref(user)
                               : json_pack("{s:s,s:s,s:I}", "username", a.username, "server", s.client.server,
                                           "expires_in", expires);
            kw_cli_print_json(out);
            json_decref(out);
        } else if (create) {
            printf("registered %s%s%s with custodial wallet %s\nlogged in to %s; next: `kalewx faucet 100` on a devnet, then "
                   "`kalewx play`\n",
                   kw_term_color(KW_COLOR_BOLD, cli->color), a.username, kw_term_reset(cli->color),
                   json_string_value(json_object_get(user, "custodial_address")) ?: "-", s.client.server);
        } else {
            printf("logged in to %s as %s%s%s (the token lasts %lld minutes)\n", s.client.server,
                   kw_term_color(KW_COLOR_BOLD, cli->color), a.username, kw_term_reset(cli->color),
                   (long long)expires / 60);
        }
    } else if (create && user) {
        fprintf(stderr, "kalewx %s: the account %s exists now; log in with `kalewx login %s`\n", cmd, a.username,
                a.username);
    }
    json_decref(user);
    kw_session_close(&s);
    return rc;
}

int kw_cmd_register(kw_cli *cli, int argc, char **argv)
{
    return account(cli, argc, argv, true);
}

int kw_cmd_login(kw_cli *cli, int argc, char **argv)
{
    return account(cli, argc, argv, false);
}

int kw_cmd_logout(kw_cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "takes no arguments");
    kw_err err = {0};
    if (kw_client_forget(&err) != 0)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "CREDENTIALS", "%s", err.msg);
    if (cli->json)
        puts("{\"logged_out\":true}");
    else
        puts("logged out: the stored token is deleted");
    return KW_EXIT_OK;
}
