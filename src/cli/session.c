#include "cli/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/amount.h"

int kw_cli_fail(const kw_cli *cli, const char *cmd, int exit, const char *code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "kalewx %s: %s\n", cmd, msg);
    if (cli->json) {
        json_t *j = json_pack("{s:b,s:s,s:s}", "success", 0, "code", code, "error", msg);
        kw_cli_print_json(j);
        json_decref(j);
    }
    return exit;
}

void kw_cli_print_json(const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text)
        puts(text);
    free(text);
    fflush(stdout);
}

int kw_cli_amount(const kw_cli *cli, const char *cmd, const char *text, int64_t min, int64_t max, int64_t *out)
{
    kw_err err = {0};
    if (kw_amount_parse(text, "amount", min, max, out, &err) != 0)
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "INVALID_AMOUNT", "%s", err.msg);
    return KW_EXIT_OK;
}

int kw_session_open(kw_session *s, kw_cli *cli, const char *cmd, bool need_login)
{
    memset(s, 0, sizeof *s);
    s->cli = cli;
    s->cmd = cmd;
    s->need_login = need_login;
    const char *server = kw_config_str(&cli->cfg, KW_CFG_KALEWX_SERVER);
    size_t n = strlen(server);
    while (n && server[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof s->client.server || (strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0))
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "USAGE", "the server must be an http:// or https:// URL, not \"%s\"",
                           server);
    memcpy(s->client.server, server, n);
    s->client.server[n] = 0;
    kw_err err = {0};
    if (kw_client_load(&s->client, &err) != 0) {
        kw_session_close(s);
        return kw_cli_fail(cli, cmd, KW_EXIT_USAGE, "CREDENTIALS", "%s", err.msg);
    }
    if (need_login && !s->client.token[0]) {
        kw_session_close(s);
        return kw_cli_fail(cli, cmd, KW_EXIT_REJECTED, "UNAUTHORIZED",
                           "not logged in to %s: log in with `kalewx login` (or create an account with `kalewx register`)",
                           server);
    }
    return KW_EXIT_OK;
}

void kw_session_close(kw_session *s)
{
    explicit_bzero(s->client.token, sizeof s->client.token);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool kw_session_drop_token(kw_session *s)
{
    if (s->need_login || !s->client.token[0])
        return false;
    explicit_bzero(s->client.token, sizeof s->client.token);
    fprintf(stderr, "kalewx %s: your login has expired (`kalewx login` renews it); going on without it\n", s->cmd);
    return true;
}

int kw_session_call(kw_session *s, const char *method, const char *path, const json_t *body, json_t **data)
{
    kw_reply r;
    if (data)
        *data = NULL;
    s->sent_ms = now_ms();
    int sent = kw_client_request(&s->client, method, path, body, &r);
    if (sent == 0 && r.status == 401 && kw_session_drop_token(s)) {
        kw_reply_free(&r);
        sent = kw_client_request(&s->client, method, path, body, &r);
    }
    s->received_ms = now_ms();
    snprintf(s->server_time, sizeof s->server_time, "%s",
             json_string_value(json_object_get(json_object_get(r.body, "metadata"), "timestamp")) ?: "");
    if (sent != 0)
        return kw_cli_fail(s->cli, s->cmd, KW_EXIT_SERVER, "UNREACHABLE", "%s", r.error);
    int exit = kw_reply_exit_code(&r);
    if (exit != KW_EXIT_OK) {
        if (!r.body && r.status >= 400)
            snprintf(r.error, sizeof r.error, "the server answered HTTP %ld without an explanation", r.status);
        exit = kw_cli_fail(s->cli, s->cmd, exit, r.code[0] ? r.code : "HTTP_ERROR", "%s", r.error);
    } else if (data) {
        json_t *d = json_object_get(r.body, "data");
        *data = d ? json_incref(d) : json_null();
    }
    kw_reply_free(&r);
    return exit;
}
