/*
 * kalewx watch — follows the game live (follow.h): a status line with the
 * cycle's progress on a terminal, a line for every phase change, the DAOs'
 * votes, the weather and the settlement, and — when logged in — the
 * caller's own actions, positions and balance. Not on a terminal, each new
 * block prints the status as a line instead; --json prints every event as
 * a JSON line. Runs until Ctrl-C, which exits 0.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli/follow.h"
#include "cli/session.h"
#include "cli/term.h"

#define WAIT_MS 250

int kw_cmd_watch(kw_cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return kw_cli_fail(cli, argv[0], KW_EXIT_USAGE, "USAGE", "takes no arguments");
    kw_session s;
    int rc = kw_session_open(&s, cli, argv[0], false);
    if (rc)
        return rc;
    bool tty = isatty(STDOUT_FILENO);
    kw_follow_options o = {.session = &s, .json = cli->json, .terminal = tty, .block_lines = !tty};
    kw_follow *f;
    if ((rc = kw_follow_open(&o, &f)) != 0) {
        kw_session_close(&s);
        return rc;
    }
    if (!cli->json)
        kw_follow_print(f, "%swatching %s%s%s — Ctrl-C stops", kw_term_color(KW_COLOR_DIM, cli->color), s.client.server,
                        s.client.token[0] ? " with your events" : "", kw_term_reset(cli->color));
    for (;;) {
        int r = kw_follow_wait(f, WAIT_MS, -1);
        if (r == KW_FOLLOW_STOP)
            break;
        if (r < 0) {
            rc = KW_EXIT_REJECTED;
            break;
        }
    }
    kw_follow_close(f);
    kw_session_close(&s);
    return rc;
}
