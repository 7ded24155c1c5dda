/*
 * kalewx play — the game, interactively. It follows the live cycle
 * (follow.h) and shows the prompts of the current phase: during planting
 * plant / store / wager / stay, during working wager / stay; during
 * revealing and settling it waits with the live status. Every answer is
 * checked before it is sent (act.h). When a cycle the player acted in
 * settles, it shows the cycle's result and the player's positions and
 * wagers in it, then goes on with the next cycle. `q`, end of input or
 * Ctrl-C quit (exit 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/act.h"
#include "cli/follow.h"
#include "cli/render.h"
#include "cli/session.h"
#include "cli/term.h"

#define WAIT_MS 250
#define MAX_PENDING 16

enum { PLAY_EVENT = KW_FOLLOW_CALLER };

typedef struct play {
    kw_cli *cli;
    kw_session *s;
    kw_follow *f;
    int64_t pending[MAX_PENDING];   /* cycles acted in whose result is still to come */
    size_t npending;
    int64_t report;                 /* a settled cycle to report now, or -1 */
    char shown[48];                 /* the cycle and phase the prompt was made for */
    char prompt[64];                /* "" while waiting */
    char in[512];
    size_t inlen;
    bool quit;
} play;

static void remember(play *p, int64_t cycle)
{
    for (size_t i = 0; i < p->npending; i++)
        if (p->pending[i] == cycle)
            return;
    if (p->npending == MAX_PENDING)
        memmove(p->pending, p->pending + 1, --p->npending * sizeof *p->pending);
    p->pending[p->npending++] = cycle;
}

static bool take(play *p, int64_t cycle)
{
    for (size_t i = 0; i < p->npending; i++)
        if (p->pending[i] == cycle) {
            p->pending[i] = p->pending[--p->npending];
            return true;
        }
    return false;
}

static int on_event(void *ctx, const char *type, const json_t *data)
{
    play *p = ctx;
    if (strcmp(type, "cycle.settled") == 0 && take(p, json_integer_value(json_object_get(data, "cycle_id")))) {
        p->report = json_integer_value(json_object_get(data, "cycle_id"));
        return PLAY_EVENT;
    }
    return strcmp(type, "block.changed") == 0 || strcmp(type, "phase.changed") == 0 ? PLAY_EVENT : 0;
}

/* Prints what a memstream collected through the follower (above its status line). */
static void print_block(play *p, char *text, size_t len)
{
    while (len && text[len - 1] == '\n')
        text[--len] = 0;
    if (len)
        kw_follow_print(p->f, "%s", text);
    free(text);
}

static void show_result(play *p, int64_t cycle)
{
    char path[96];
    json_t *res = NULL, *pos = NULL, *wag = NULL, *me = NULL;
    snprintf(path, sizeof path, "/api/v1/cycles/%lld/results", (long long)cycle);
    if (kw_session_call(p->s, "GET", path, NULL, &res) != 0 ||
        kw_session_call(p->s, "GET", "/api/v1/me/positions", NULL, &pos) != 0 ||
        kw_session_call(p->s, "GET", "/api/v1/me/wagers", NULL, &wag) != 0 ||
        kw_session_call(p->s, "GET", "/api/v1/me", NULL, &me) != 0)
        goto done;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        goto done;
    bool c = p->cli->color;
    fprintf(m, "%s── result of cycle %lld ──%s\n", kw_term_color(KW_COLOR_BOLD, c), (long long)cycle, kw_term_reset(c));
    int rc = kw_render_results(m, c, res);
    if (rc == 0)
        rc = kw_render_mine(m, c, cycle, pos, wag);
    const json_t *b = json_object_get(me, "balances");
    fprintf(m, "balance: %s KALE available, %s in escrow\n", json_string_value(json_object_get(b, "available")) ?: "-",
            json_string_value(json_object_get(b, "escrow")) ?: "-");
    fclose(m);
    print_block(p, text, rc == 0 ? len : 0);
done:
    json_decref(res);
    json_decref(pos);
    json_decref(wag);
    json_decref(me);
}

/* The prompt of the current phase, shown again when the cycle or phase moves on. */
static void update_prompt(play *p)
{
    const kw_live *l = kw_follow_live(p->f);
    char key[48];
    snprintf(key, sizeof key, "%lld:%s", (long long)l->cycle_id, l->phase);
    if (strcmp(key, p->shown) == 0)
        return;
    snprintf(p->shown, sizeof p->shown, "%s", key);
    bool c = p->cli->color;
    const char *bold = kw_term_color(KW_COLOR_BOLD, c), *reset = kw_term_reset(c);
    long long block = (long long)(l->block - l->start_block + 1), len = (long long)(l->end_block - l->start_block + 1);
    if (strcmp(l->phase, "planting") == 0) {
        kw_follow_print(p->f, "%scycle %lld is planting%s (block %lld/%lld): plant AMOUNT | store AMOUNT | "
                              "wager good|bad AMOUNT | stay | q",
                        bold, (long long)l->cycle_id, reset, block, len);
    } else if (strcmp(l->phase, "working") == 0) {
        kw_follow_print(p->f, "%scycle %lld is working%s (block %lld/%lld): wager good|bad AMOUNT | stay | q", bold,
                        (long long)l->cycle_id, reset, block, len);
    } else {
        kw_follow_print(p->f, "%scycle %lld is %s%s: no actions now, the result comes at settlement (q quits)", bold,
                        (long long)l->cycle_id, l->phase, reset);
        p->prompt[0] = 0;
        kw_follow_prompt(p->f, NULL);
        return;
    }
    snprintf(p->prompt, sizeof p->prompt, "%s> ", l->phase);
    kw_follow_prompt(p->f, p->prompt);
}

static void act(play *p, int argc, char **argv)
{
    kw_act a;
    kw_err err = {0};
    const kw_live *l = kw_follow_live(p->f);
    if (kw_act_parse(argc, argv, &a, &err) != 0 || kw_act_check_phase(&a, l->phase, &err) != 0) {
        kw_follow_print(p->f, "  %s%s%s", kw_term_color(KW_COLOR_RED, p->cli->color), err.msg,
                        kw_term_reset(p->cli->color));
        return;
    }
    json_t *body = kw_act_body(&a), *data = NULL;
    if (kw_session_call(p->s, "POST", "/api/v1/actions", body, &data) == 0) {
        char line[256];
        kw_act_describe(&a, data, line, sizeof line);
        kw_follow_print(p->f, "  %s%s%s", kw_term_color(KW_COLOR_GREEN, p->cli->color), line,
                        kw_term_reset(p->cli->color));
        remember(p, json_integer_value(json_object_get(data, "cycle_id")));
    }
    json_decref(body);
    json_decref(data);
}

static void handle_line(play *p, char *line)
{
    char *argv[8];
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(line, " \t\r", &save); t && argc < 8; t = strtok_r(NULL, " \t\r", &save))
        argv[argc++] = t;
    if (argc == 0) {
        kw_follow_prompt(p->f, p->prompt[0] ? p->prompt : NULL);
        return;
    }
    if (strcmp(argv[0], "q") == 0 || strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "exit") == 0) {
        p->quit = true;
        return;
    }
    if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "?") == 0)
        kw_follow_print(p->f, "  plant AMOUNT | store AMOUNT (planting) · wager good|bad AMOUNT | stay (planting, "
                              "working) · q quits; amounts are KALE like 12.5");
    else
        act(p, argc, argv);
    kw_follow_prompt(p->f, p->prompt[0] ? p->prompt : NULL);
}

/* Reads what the keyboard has; complete lines are handled. */
static void read_input(play *p)
{
    ssize_t n = read(STDIN_FILENO, p->in + p->inlen, sizeof p->in - 1 - p->inlen);
    if (n <= 0) {
        p->quit = true; /* end of input */
        return;
    }
    p->inlen += (size_t)n;
    p->in[p->inlen] = 0;
    char *nl;
    while (!p->quit && (nl = memchr(p->in, '\n', p->inlen))) {
        *nl = 0;
        size_t used = (size_t)(nl - p->in) + 1;
        char line[sizeof p->in];
        memcpy(line, p->in, used);
        memmove(p->in, p->in + used, p->inlen - used);
        p->inlen -= used;
        handle_line(p, line);
    }
    if (p->inlen == sizeof p->in - 1) {
        kw_follow_print(p->f, "  that line is too long");
        p->inlen = 0;
    }
}

/* The cycles of actions taken before play started whose results are still to come. */
static void pending_from_history(play *p)
{
    json_t *data = NULL;
    if (kw_session_call(p->s, "GET", "/api/v1/me/actions", NULL, &data) != 0)
        return;
    size_t i;
    const json_t *a;
    int64_t now = kw_follow_live(p->f)->cycle_id;
    json_array_foreach(json_object_get(data, "actions"), i, a) {
        int64_t c = json_integer_value(json_object_get(a, "cycle_id"));
        if (c >= now - 1 && c > kw_follow_live(p->f)->settled_cycle)
            remember(p, c);
    }
    json_decref(data);
}

static void intro(play *p)
{
    json_t *me = NULL;
    if (kw_session_call(p->s, "GET", "/api/v1/me", NULL, &me) != 0)
        return;
    const char *avail = json_string_value(json_object_get(json_object_get(me, "balances"), "available")) ?: "0";
    bool c = p->cli->color;
    kw_follow_print(p->f, "%skalewx play%s — %s on %s, %s KALE available. q quits, help explains.",
                    kw_term_color(KW_COLOR_BOLD, c), kw_term_reset(c),
                    json_string_value(json_object_get(me, "username")) ?: "you", p->s->client.server, avail);
    if (strcmp(avail, "0.0000000") == 0)
        kw_follow_print(p->f, "no KALE yet: on a devnet, `kalewx faucet 100 --wait` brings some");
    json_decref(me);
}

int kw_cmd_play(kw_cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "takes no arguments");
    if (cli->json)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE",
                           "play is interactive: for scripts use the single commands or `kalewx watch --json`");
    kw_session s;
    int rc = kw_session_open(&s, cli, argv[0], true);
    if (rc)
        return rc;
    play p = {.cli = cli, .s = &s, .report = -1};
    kw_follow_options o = {.session = &s, .terminal = isatty(STDOUT_FILENO), .on_event = on_event, .ctx = &p};
    if ((rc = kw_follow_open(&o, &p.f)) != 0) {
        kw_session_close(&s);
        return rc;
    }
    intro(&p);
    pending_from_history(&p);
    while (!p.quit) {
        update_prompt(&p);
        int r = kw_follow_wait(p.f, WAIT_MS, STDIN_FILENO);
        if (r == KW_FOLLOW_STOP)
            break;
        if (r < 0) {
            rc = KW_EXIT_REJECTED;
            break;
        }
        if (r == KW_FOLLOW_INPUT)
            read_input(&p);
        if (p.report >= 0) {
            show_result(&p, p.report);
            p.report = -1;
            kw_follow_prompt(p.f, p.prompt[0] ? p.prompt : NULL);
        }
    }
    kw_follow_close(p.f);
    if (!cli->json)
        puts("bye");
    kw_session_close(&s);
    return rc;
}
