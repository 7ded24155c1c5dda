/*
 * commands — the table of `kalewx` subcommands.
 *
 * Each command is `int cmd(kw_cli *cli, int argc, char **argv)`: argv[0] is the
 * command name, setting flags have already been consumed into cli->cfg. It
 * returns a process exit code (KW_EXIT_*). To add a command, write cmd_NAME.c
 * and add one row to the table in main.c.
 */
#ifndef KW_CLI_COMMANDS_H
#define KW_CLI_COMMANDS_H

#include <stdbool.h>

#include "core/config.h"

enum kw_exit {
    KW_EXIT_OK = 0,
    KW_EXIT_USAGE = 1,     /* bad command line */
    KW_EXIT_SERVER = 2,    /* server, network, database or chain unreachable */
    KW_EXIT_REJECTED = 3,  /* the request was understood and refused by the rules */
};

typedef struct kw_cli {
    kw_config cfg;
    bool json;       /* --json */
    bool color;      /* colour allowed (a terminal, no NO_COLOR, no --no-color) */
} kw_cli;

typedef int (*kw_cmd_fn)(kw_cli *cli, int argc, char **argv);

typedef struct kw_command {
    const char *name;
    kw_cmd_fn fn;
    const char *args;     /* e.g. "AMOUNT" */
    const char *summary;  /* one line */
    const char *help;     /* the body of `kalewx help NAME` */
} kw_command;

/* True when argv holds -h or --help. */
bool kw_cli_wants_help(int argc, char **argv);
/* Prints `kalewx help NAME` to stdout. */
void kw_cli_print_command_help(const kw_command *c);
/* Finds a command by name, or NULL. */
const kw_command *kw_cli_find(const char *name);

int kw_cmd_backtest(kw_cli *cli, int argc, char **argv);
int kw_cmd_admin(kw_cli *cli, int argc, char **argv);
int kw_cmd_bench(kw_cli *cli, int argc, char **argv);
int kw_cmd_config(kw_cli *cli, int argc, char **argv);
int kw_cmd_serve(kw_cli *cli, int argc, char **argv);
int kw_cmd_migrate(kw_cli *cli, int argc, char **argv);
/* Client commands: they talk to a server over HTTP (session.h). */
int kw_cmd_register(kw_cli *cli, int argc, char **argv);
int kw_cmd_login(kw_cli *cli, int argc, char **argv);
int kw_cmd_logout(kw_cli *cli, int argc, char **argv);
int kw_cmd_status(kw_cli *cli, int argc, char **argv);
int kw_cmd_balance(kw_cli *cli, int argc, char **argv);
int kw_cmd_positions(kw_cli *cli, int argc, char **argv);
int kw_cmd_wagers(kw_cli *cli, int argc, char **argv);
int kw_cmd_history(kw_cli *cli, int argc, char **argv);
int kw_cmd_results(kw_cli *cli, int argc, char **argv);
int kw_cmd_daos(kw_cli *cli, int argc, char **argv);
/* plant, store, wager and stay: argv[0] names the action. */
int kw_cmd_action(kw_cli *cli, int argc, char **argv);
int kw_cmd_faucet(kw_cli *cli, int argc, char **argv);
int kw_cmd_withdraw(kw_cli *cli, int argc, char **argv);
int kw_cmd_watch(kw_cli *cli, int argc, char **argv);
int kw_cmd_play(kw_cli *cli, int argc, char **argv);

#endif
