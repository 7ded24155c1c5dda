/*
 * kalewx status | balance | positions | wagers | history | results | daos —
 * the read-only client commands: one or two GETs, printed as tables for
 * people (render.h) or as the envelope's data with --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/live.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/term.h"

typedef int (*render_fn)(FILE *out, bool color, const json_t *data);

/* GET path and print it: the common shape of the listing commands. */
static int show(kw_cli *cli, const char *cmd, bool login, const char *path, render_fn render)
{
    kw_session s;
    json_t *data = NULL;
    int rc = kw_session_open(&s, cli, cmd, login);
    if (rc)
        return rc;
    if ((rc = kw_session_call(&s, "GET", path, NULL, &data)) == 0) {
        if (cli->json)
            kw_cli_print_json(data);
        else if (render(stdout, cli->color, data) != 0)
            rc = kw_cli_fail(cli, cmd, KW_EXIT_SERVER, "NO_MEMORY", "out of memory");
    }
    json_decref(data);
    kw_session_close(&s);
    return rc;
}

static int no_args(kw_cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "unexpected argument %s: see `kalewx help %s`", argv[1],
                           argv[0]);
    return KW_EXIT_OK;
}

int kw_cmd_balance(kw_cli *cli, int argc, char **argv)
{
    int rc = no_args(cli, argc, argv);
    return rc ? rc : show(cli, argv[0], true, "/api/v1/me", kw_render_balance);
}

int kw_cmd_positions(kw_cli *cli, int argc, char **argv)
{
    int rc = no_args(cli, argc, argv);
    return rc ? rc : show(cli, argv[0], true, "/api/v1/me/positions", kw_render_positions);
}

int kw_cmd_wagers(kw_cli *cli, int argc, char **argv)
{
    int rc = no_args(cli, argc, argv);
    return rc ? rc : show(cli, argv[0], true, "/api/v1/me/wagers", kw_render_wagers);
}

int kw_cmd_daos(kw_cli *cli, int argc, char **argv)
{
    int rc = no_args(cli, argc, argv);
    return rc ? rc : show(cli, argv[0], false, "/api/v1/daos", kw_render_daos);
}

int kw_cmd_history(kw_cli *cli, int argc, char **argv)
{
    bool actions = argc == 2 && strcmp(argv[1], "--actions") == 0;
    if (argc > 1 && !actions)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "unexpected argument %s: see `kalewx help history`",
                           argv[1]);
    return actions ? show(cli, argv[0], true, "/api/v1/me/actions", kw_render_actions)
                   : show(cli, argv[0], true, "/api/v1/me/transactions", kw_render_transactions);
}

int kw_cmd_status(kw_cli *cli, int argc, char **argv)
{
    int rc = no_args(cli, argc, argv);
    if (rc)
        return rc;
    kw_session s;
    if ((rc = kw_session_open(&s, cli, argv[0], false)) != 0)
        return rc;
    json_t *doc = NULL, *me = NULL;
    if ((rc = kw_session_call(&s, "GET", "/api/v1/cycles/current", NULL, &doc)) == 0) {
        int64_t server = kw_live_parse_time(s.server_time);
        /* The reply was stamped somewhere between sending and receiving. */
        int64_t skew = server >= 0 ? server - (s.sent_ms + s.received_ms) / 2 : 0;
        if (cli->json) {
            kw_cli_print_json(doc);
        } else {
            kw_render_current(stdout, cli->color, doc, s.received_ms, skew);
            if (s.client.token[0] && kw_session_call(&s, "GET", "/api/v1/me", NULL, &me) == 0)
                printf("you: %s, %s KALE available, %s in escrow\n",
                       json_string_value(json_object_get(me, "username")) ?: "-",
                       json_string_value(json_object_get(json_object_get(me, "balances"), "available")) ?: "-",
                       json_string_value(json_object_get(json_object_get(me, "balances"), "escrow")) ?: "-");
            else if (!s.client.token[0])
                printf("not logged in: `kalewx register` or `kalewx login`\n");
        }
    }
    json_decref(doc);
    json_decref(me);
    kw_session_close(&s);
    return rc;
}

/* The newest settled cycle, from GET /cycles; -1 (reported) when none. */
static int latest_settled(kw_session *s, int64_t *id)
{
    json_t *data = NULL;
    int rc = kw_session_call(s, "GET", "/api/v1/cycles?limit=50", NULL, &data);
    if (rc)
        return rc;
    size_t i;
    const json_t *c;
    *id = -1;
    json_array_foreach(json_object_get(data, "cycles"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "state")) ?: "", "settled") == 0) {
            *id = json_integer_value(json_object_get(c, "id"));
            break;
        }
    }
    json_decref(data);
    if (*id < 0)
        return kw_cli_fail(s->cli, s->cmd, KW_EXIT_REJECTED, "NOT_FOUND",
                           "no cycle has settled yet: `kalewx watch` shows when one does");
    return KW_EXIT_OK;
}

int kw_cmd_results(kw_cli *cli, int argc, char **argv)
{
    int64_t id = -1;
    if (argc > 2)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "takes at most one cycle number");
    if (argc == 2) {
        char *end;
        long long v = strtoll(argv[1], &end, 10);
        if (argv[1][0] < '0' || argv[1][0] > '9' || *end || v < 0)
            return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "the cycle is a number like 12, not \"%s\"",
                               argv[1]);
        id = v;
    }
    kw_session s;
    int rc = kw_session_open(&s, cli, argv[0], false);
    if (rc)
        return rc;
    if (id < 0 && (rc = latest_settled(&s, &id)) != 0) {
        kw_session_close(&s);
        return rc;
    }
    char path[96];
    json_t *res = NULL, *pos = NULL, *wag = NULL;
    snprintf(path, sizeof path, "/api/v1/cycles/%lld/results", (long long)id);
    if ((rc = kw_session_call(&s, "GET", path, NULL, &res)) == 0) {
        if (cli->json) {
            kw_cli_print_json(res);
        } else if (kw_render_results(stdout, cli->color, res) != 0) {
            rc = kw_cli_fail(cli, argv[0], KW_EXIT_SERVER, "NO_MEMORY", "out of memory");
        } else if (s.client.token[0] && kw_session_call(&s, "GET", "/api/v1/me/positions", NULL, &pos) == 0 &&
                   kw_session_call(&s, "GET", "/api/v1/me/wagers", NULL, &wag) == 0 &&
                   kw_render_mine(stdout, cli->color, id, pos, wag) != 0) {
            rc = kw_cli_fail(cli, argv[0], KW_EXIT_SERVER, "NO_MEMORY", "out of memory");
        }
    }
    json_decref(res);
    json_decref(pos);
    json_decref(wag);
    kw_session_close(&s);
    return rc;
}
