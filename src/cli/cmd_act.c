/*
 * kalewx plant | store | wager | stay | faucet | withdraw — the client
 * commands that change something. Every argument is checked here before
 * anything is sent (act.h for the game's actions), so a typo costs no
 * request and gets a message saying what was expected.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "cli/act.h"
#include "cli/follow.h"
#include "cli/session.h"
#include "core/amount.h"
#include "crypto/strkey.h"
#include "engine/actions.h"

/* Withdrawals are limited by the balance; this only keeps the text sane. */
#define WITHDRAW_MAX (INT64_C(100000000000) * KW_STROOPS_PER_KALE)
#define FAUCET_WAIT_MS 60000

int kw_cmd_action(kw_cli *cli, int argc, char **argv)
{
    kw_act a;
    kw_err err = {0};
    if (kw_act_parse(argc, argv, &a, &err) != 0)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, err.code == KW_EINVAL ? "USAGE" : "INVALID_AMOUNT", "%s",
                           err.msg);
    kw_session s;
    int rc = kw_session_open(&s, cli, argv[0], true);
    if (rc)
        return rc;
    json_t *body = kw_act_body(&a), *data = NULL;
    if ((rc = kw_session_call(&s, "POST", "/api/v1/actions", body, &data)) == 0) {
        if (cli->json) {
            kw_cli_print_json(data);
        } else {
            char line[256];
            kw_act_describe(&a, data, line, sizeof line);
            puts(line);
        }
    }
    json_decref(body);
    json_decref(data);
    kw_session_close(&s);
    return rc;
}

/* The available balance in stroops from GET /me; reported failures return their exit code. */
static int available(kw_session *s, int64_t *out)
{
    json_t *me = NULL;
    int rc = kw_session_call(s, "GET", "/api/v1/me", NULL, &me);
    if (rc)
        return rc;
    kw_err err = {0};
    const char *text = json_string_value(json_object_get(json_object_get(me, "balances"), "available"));
    if (!text || strcmp(text, "0.0000000") == 0)
        *out = 0;
    else if (kw_amount_parse(text, "available", 1, INT64_MAX, out, &err) != 0)
        rc = kw_cli_fail(s->cli, s->cmd, KW_EXIT_SERVER, "BAD_REPLY", "the server reports a balance of \"%s\"", text);
    json_decref(me);
    return rc;
}

/* Polls the balance until the faucet's transfer is in or FAUCET_WAIT_MS pass. */
static int wait_for_deposit(kw_session *s, int64_t before, int64_t amount)
{
    int64_t deadline = kw_follow_now_ms() + FAUCET_WAIT_MS, now;
    for (;;) {
        int rc = available(s, &now);
        if (rc)
            return rc;
        if (now >= before + amount)
            return KW_EXIT_OK;
        if (kw_follow_now_ms() >= deadline)
            return kw_cli_fail(s->cli, s->cmd, KW_EXIT_SERVER, "TIMEOUT",
                               "the transfer has not arrived after %d s: is the server's engine running?",
                               FAUCET_WAIT_MS / 1000);
        poll(NULL, 0, 250);
    }
}

int kw_cmd_faucet(kw_cli *cli, int argc, char **argv)
{
    bool wait = false;
    const char *amount_text = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--wait") == 0)
            wait = true;
        else if (!amount_text && argv[i][0] != '-')
            amount_text = argv[i];
        else
            return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "unexpected argument %s: kalewx faucet AMOUNT [--wait]",
                               argv[i]);
    }
    if (!amount_text)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "how much? kalewx faucet AMOUNT (up to 10000 KALE)");
    int64_t amount, before = 0;
    int rc = kw_cli_amount(cli, argv[0], amount_text, 1, KW_FAUCET_MAX, &amount);
    if (rc)
        return rc;
    kw_session s;
    if ((rc = kw_session_open(&s, cli, argv[0], true)) != 0)
        return rc;
    char text[KW_AMOUNT_BUFSZ];
    json_t *body = json_pack("{s:s}", "amount", kw_amount_format(amount, text)), *data = NULL;
    if ((!wait || (rc = available(&s, &before)) == 0) &&
        (rc = kw_session_call(&s, "POST", "/api/v1/devnet/faucet", body, &data)) == 0 && wait)
        rc = wait_for_deposit(&s, before, amount);
    if (rc == 0) {
        if (cli->json)
            kw_cli_print_json(data);
        else if (wait)
            printf("%s KALE arrived from the devnet faucet\n", text);
        else
            printf("%s KALE on the way from the devnet faucet (transfer %lld); `kalewx balance` shows it once it "
                   "arrives, or use --wait\n",
                   text, (long long)json_integer_value(json_object_get(data, "id")));
    }
    json_decref(body);
    json_decref(data);
    kw_session_close(&s);
    return rc;
}

int kw_cmd_withdraw(kw_cli *cli, int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE",
                           "kalewx withdraw AMOUNT [G…] (without G…, to the wallet given at registration)");
    int64_t amount;
    int rc = kw_cli_amount(cli, argv[0], argv[1], 1, WITHDRAW_MAX, &amount);
    if (rc)
        return rc;
    if (argc == 3) {
        uint8_t raw[32];
        kw_err err = {0};
        if (kw_strkey_decode(KW_STRKEY_ACCOUNT, argv[2], raw, &err) != 0)
            return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "VALIDATION_ERROR",
                               "the destination must be a Stellar account (G…): %s", err.msg);
    }
    kw_session s;
    if ((rc = kw_session_open(&s, cli, argv[0], true)) != 0)
        return rc;
    char text[KW_AMOUNT_BUFSZ];
    json_t *body = json_pack("{s:s}", "amount", kw_amount_format(amount, text)), *data = NULL;
    if (argc == 3)
        json_object_set_new(body, "to", json_string(argv[2]));
    if ((rc = kw_session_call(&s, "POST", "/api/v1/me/withdrawals", body, &data)) == 0) {
        if (cli->json)
            kw_cli_print_json(data);
        else
            printf("withdrawal of %s KALE to %s queued (%s, transfer %lld)\n", text,
                   argc == 3 ? argv[2] : "your registered wallet",
                   json_string_value(json_object_get(data, "status")) ?: "pending",
                   (long long)json_integer_value(json_object_get(data, "id")));
    }
    json_decref(body);
    json_decref(data);
    kw_session_close(&s);
    return rc;
}
