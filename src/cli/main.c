/*
 * kalewx — the one executable: the server (`serve`), the operator commands
 * and the client commands. This file only dispatches: it loads the settings
 * (flags > environment > file > defaults), handles the global flags and hands
 * the rest of the command line to the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "obs/log.h"

extern char **environ;

static int cmd_help(kw_cli *cli, int argc, char **argv);
static int cmd_version(kw_cli *cli, int argc, char **argv);

static const kw_command commands[] = {
    {"help", cmd_help, "[COMMAND]", "show help for kalewx or one command",
     "Without an argument, lists every command. With one, explains that command."},
    {"version", cmd_version, "", "print the version",
     "Prints the kalewx version. With --json, prints {\"version\": ...}."},
    {"serve", kw_cmd_serve, "", "run the service: engine, devnet, API",
     "Runs everything in one process with zero configuration: the cycle engine, the\n"
     "custodial farmer, the embedded devnet and SQLite under KALEWX_DATA_DIR.\n"
     "SIGINT or SIGTERM stop it gracefully."},
    {"config", kw_cmd_config, "", "print the effective settings and where each came from",
     "Prints every setting with its value and its source (flag, env, file, default).\n"
     "Secrets are never printed, only whether they are set."},
    {"backtest", kw_cmd_backtest, "--prices FILE.csv [--interval SECONDS] | --simulate BLOCKS --out FILE.csv",
     "replay the DAOs over price history and print each DAO's hit rate",
     "Replays the 15 DAOs and their consensus block by block over a timestamp,asset,price\n"
     "file and scores every vote against the realised outcome: the sign of the mean\n"
     "BTC/ETH/XLM/SOL return over the next interval (the smallest gap between timestamps\n"
     "unless --interval is given). Prints each DAO's votes, abstentions, GOOD/BAD counts and\n"
     "hit rate, and the same for the consensus; --json for scripts.\n"
     "--simulate BLOCKS --out FILE.csv writes BLOCKS blocks of the market simulator\n"
     "(seeded by MARKET_SEED, 300 s apart from 2024-01-01) as such a file; --out - is stdout."},
    {"migrate", kw_cmd_migrate, "[--status]", "bring the database schema up to date",
     "Applies the migrations embedded in this binary that the database named by\n"
     "DATABASE_URL (default: SQLite in KALEWX_DATA_DIR) lacks, each in its own\n"
     "transaction. Refuses a database whose schema is newer than this binary.\n"
     "--status only reports the versions. Exit 1: bad DATABASE_URL; 2: database\n"
     "unreachable; 3: refused (schema newer than this binary, or an applied migration edited)."},
    {"admin", kw_cmd_admin, "SUBCOMMAND [ARGS]", "operator commands on the database (reconcile, set-access, ...)",
     "Operator commands that work on the database directly.\n"
     "  rotate-master-key --new-key-file FILE   re-seal every custodial wallet under the key in FILE,\n"
     "                                          in one transaction (see docs/operations.md)\n"
     "  reconcile                               check that every ledger entry balances and that the\n"
     "                                          custodial wallets hold on chain what kalewx owes;\n"
     "                                          exit 3 on any mismatch, --json for scripts\n"
     "  set-access USERNAME [--tier user|premium] [--role user|admin]\n"
     "                                          change a user's tier (rate limits) or role"},
    {"register", kw_cmd_register, "[USERNAME] [--wallet G…] [--password-stdin]", "create an account and log in",
     "Creates an account on the server (KALEWX_SERVER or --server) with its own custodial\n"
     "wallet, then logs in. The password is asked twice without echo on a terminal;\n"
     "scripts pass it as one line of stdin with --password-stdin. --wallet names the\n"
     "Stellar account that withdrawals go to by default."},
    {"login", kw_cmd_login, "[USERNAME] [--password-stdin]", "log in and store the token",
     "Asks the server for an access token (valid one hour) and stores it with the server's\n"
     "address in $XDG_CONFIG_HOME/kalewx/credentials (default ~/.config/kalewx), mode 0600.\n"
     "A credentials file that other users can read is refused, never used."},
    {"logout", kw_cmd_logout, "", "forget the stored token",
     "Deletes the credentials file. Works even when the file's mode is too open."},
    {"status", kw_cmd_status, "", "the current cycle: phase, block, progress, countdown",
     "Shows the current cycle: its phase, the block within the cycle with a progress bar and\n"
     "the time to the next block, the participants, the actions open now, the DAOs and, once\n"
     "known, the weather. When logged in, also your balance."},
    {"balance", kw_cmd_balance, "", "your balances", "Shows your available and escrowed KALE and your custodial wallet."},
    {"positions", kw_cmd_positions, "", "your farm and store positions",
     "Lists your positions: stake, status (pending, planted, worked, harvested, settled or\n"
     "failed), the reward the chain paid and the final reward after the weather."},
    {"wagers", kw_cmd_wagers, "", "your wagers", "Lists your wagers with their status and payout."},
    {"history", kw_cmd_history, "[--actions]", "your transactions (or actions)",
     "Lists the ledger entries that touched your balance: deposits, stakes, rewards, payouts,\n"
     "withdrawals. With --actions, lists your actions instead."},
    {"results", kw_cmd_results, "[CYCLE]", "the outcome of a settled cycle",
     "Shows a cycle's weather, scores, consensus, positions and wager pools; without CYCLE,\n"
     "the newest settled one. When logged in, also your positions and wagers in it."},
    {"daos", kw_cmd_daos, "", "the 15 forecasting DAOs and their records",
     "Lists every DAO with its base weight, accuracy, votes and current weight."},
    {"plant", kw_cmd_action, "AMOUNT", "farm AMOUNT KALE this cycle (planting phase)",
     "Stakes AMOUNT KALE (0.1 to 1000) as a farm position: the engine plants, works and\n"
     "harvests it on chain, and the weather multiplies the result. Planting phase only."},
    {"store", kw_cmd_action, "AMOUNT", "keep AMOUNT KALE in store this cycle (planting phase)",
     "Stores AMOUNT KALE (0.1 to 1000) for the cycle: a small rent in GOOD weather, a bonus\n"
     "in BAD. Planting phase only."},
    {"wager", kw_cmd_action, "good|bad AMOUNT", "bet AMOUNT KALE on the weather",
     "Wagers AMOUNT KALE (0.1 to 10000) on GOOD or BAD weather, parimutuel: winners share\n"
     "the losing side less a fee. One wager per cycle, in the planting or working phase."},
    {"stay", kw_cmd_action, "", "sit this cycle out", "Records that you sit this cycle out (planting or working phase)."},
    {"faucet", kw_cmd_faucet, "AMOUNT [--wait]", "get devnet KALE (devnet only)",
     "Asks the devnet faucet for AMOUNT KALE (up to 10000). The transfer arrives with the\n"
     "next engine tick; --wait waits (up to a minute) until it is in your balance."},
    {"withdraw", kw_cmd_withdraw, "AMOUNT [G…]", "send KALE to a Stellar account",
     "Withdraws AMOUNT KALE to the account G…, or to the wallet given at registration. The\n"
     "amount leaves your balance at once; the transfer is sent by the engine."},
    {"watch", kw_cmd_watch, "", "follow the game live",
     "Follows the server's event stream: a live status line (cycle, phase, block k/N, a\n"
     "progress bar, the countdown to the next block and to the end of the cycle), a line for\n"
     "each phase change, the DAOs' votes, the weather and the settlement, and, when logged in,\n"
     "your own actions, positions and balance. Reconnects by itself. Ctrl-C stops (exit 0).\n"
     "Not on a terminal it prints the status once per block; --json prints each event."},
    {"play", kw_cmd_play, "", "play interactively, cycle after cycle",
     "Shows the prompts of the current phase: planting takes plant AMOUNT, store AMOUNT,\n"
     "wager good|bad AMOUNT or stay; working takes wager or stay; during revealing and\n"
     "settling it waits with the live status. Answers are checked before they are sent.\n"
     "When a cycle you acted in settles, it shows the result, then the next cycle's prompt.\n"
     "q, end of input or Ctrl-C quits."},
    {"bench", kw_cmd_bench, "NAME|all [--seconds N] [--threads N] [--json-file FILE]", "run benchmarks",
     "Runs a benchmark and prints its measurements with their ratio to a reference\n"
     "measured in the same run. `kalewx bench all` runs every benchmark; --json-file\n"
     "also writes the results as JSON (what --json prints) to FILE."},
    {0},
};

const kw_command *kw_cli_find(const char *name)
{
    for (const kw_command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

bool kw_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

void kw_cli_print_command_help(const kw_command *c)
{
    printf("usage: kalewx %s %s\n\n%s.\n\n%s\n", c->name, c->args, c->summary, c->help);
}

static void print_usage(FILE *f)
{
    fprintf(f, "kalewx %s — KALE weather farming\n\n"
               "usage: kalewx [--json] [--no-color] [--server URL] [--config FILE] [--SETTING VALUE ...] COMMAND [ARGS]\n\n"
               "commands:\n", KW_VERSION);
    for (const kw_command *c = commands; c->name; c++)
        fprintf(f, "  %-12s %s\n", c->name, c->summary);
    fprintf(f, "\nEvery setting (see `kalewx config`) can be given as an environment variable,\n"
               "in the file named by --config or KALEWX_CONFIG, or as a flag: CYCLE_LENGTH=12 is\n"
               "--cycle-length 12. Client commands talk to KALEWX_SERVER (--server, default\n"
               "http://127.0.0.1:3000). Exit codes: 0 ok, 1 usage, 2 server or network, 3 refused\n"
               "by the rules or the login. `kalewx help COMMAND` explains one command.\n");
}

static int cmd_help(kw_cli *cli, int argc, char **argv)
{
    (void)cli;
    if (argc < 2) {
        print_usage(stdout);
        return KW_EXIT_OK;
    }
    const kw_command *c = kw_cli_find(argv[1]);
    if (!c) {
        fprintf(stderr, "kalewx: no command named \"%s\"; `kalewx help` lists them\n", argv[1]);
        return KW_EXIT_USAGE;
    }
    kw_cli_print_command_help(c);
    return KW_EXIT_OK;
}

static int cmd_version(kw_cli *cli, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (cli->json)
        printf("{\"version\":\"%s\"}\n", KW_VERSION);
    else
        printf("kalewx %s\n", KW_VERSION);
    return KW_EXIT_OK;
}

int kw_cmd_config(kw_cli *cli, int argc, char **argv)
{
    static const char *const src[] = {"default", "file", "env", "flag"};
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "kalewx config: takes no arguments\n");
        return KW_EXIT_USAGE;
    }
    for (int i = 0; i < KW_CFG_COUNT; i++) {
        const kw_config_info *in = kw_config_describe((kw_config_key)i);
        const char *v = kw_config_str(&cli->cfg, (kw_config_key)i);
        if (in->secret)
            v = *v ? "(set, hidden)" : "";
        printf("%-28s %-24s %-8s %s\n", in->name, v, src[cli->cfg.source[i]], in->help);
    }
    return KW_EXIT_OK;
}

/* Reads the whole settings file; NULL with errno set on failure. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    int failed = ferror(f) || !m;
    fclose(f);
    if (m)
        fclose(m);
    if (failed) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    return buf;
}

static int load_settings(kw_cli *cli, int *argc, char **argv)
{
    kw_err err = {0};
    const char *file = getenv("KALEWX_CONFIG");
    /* --config is a flag of the loader itself, not a setting. */
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc) {
            file = argv[i + 1];
            memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 1) * sizeof *argv);
            *argc -= 2;
            break;
        }
    }
    if (kw_config_init(&cli->cfg) != 0) {
        fprintf(stderr, "kalewx: out of memory\n");
        return -1;
    }
    if (file && *file) {
        char *text = read_file(file);
        if (!text) {
            fprintf(stderr, "kalewx: cannot read settings file %s: %s\n", file, strerror(errno));
            return -1;
        }
        int rc = kw_config_load_text(&cli->cfg, text, file, &err);
        explicit_bzero(text, strlen(text));
        free(text);
        if (rc) {
            fprintf(stderr, "kalewx: %s\n", err.msg);
            return -1;
        }
    }
    if (kw_config_load_env(&cli->cfg, environ, &err) != 0 ||
        kw_config_load_args(&cli->cfg, argc, argv, &err) != 0 ||
        kw_config_validate(&cli->cfg, &err) != 0) {
        fprintf(stderr, "kalewx: invalid setting: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* "--kalewx-server=URL" for "--server=URL" (lives until exit). */
static char *server_flag(const char *url)
{
    static char buf[1100];
    snprintf(buf, sizeof buf, "--kalewx-server=%s", url);
    return buf;
}

int main(int argc, char **argv)
{
    kw_cli cli = {0};
    bool no_color = getenv("NO_COLOR") && *getenv("NO_COLOR");
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            cli.json = true;
        else if (strcmp(argv[i], "--no-color") == 0)
            no_color = true;
        else if (strcmp(argv[i], "--server") == 0)
            argv[out++] = "--kalewx-server"; /* the short name of the KALEWX_SERVER setting */
        else if (strncmp(argv[i], "--server=", 9) == 0)
            argv[out++] = server_flag(argv[i] + 9);
        else
            argv[out++] = argv[i];
    }
    argc = out;
    argv[argc] = NULL;
    cli.color = !no_color && isatty(STDOUT_FILENO);

    if (load_settings(&cli, &argc, argv) != 0) {
        kw_config_free(&cli.cfg);
        return KW_EXIT_USAGE;
    }
    kw_log_setup((kw_log_level)kw_log_level_parse(kw_config_str(&cli.cfg, KW_CFG_LOG_LEVEL)),
                 kw_config_str(&cli.cfg, KW_CFG_KALEWX_ENV), STDERR_FILENO);

    int rc;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        rc = argc < 2 ? KW_EXIT_USAGE : KW_EXIT_OK;
    } else if (strcmp(argv[1], "--version") == 0) {
        rc = cmd_version(&cli, 0, NULL);
    } else {
        const kw_command *c = kw_cli_find(argv[1]);
        if (!c) {
            fprintf(stderr, "kalewx: unknown command \"%s\"; `kalewx help` lists the commands\n", argv[1]);
            rc = KW_EXIT_USAGE;
        } else if (c->fn != cmd_help && kw_cli_wants_help(argc - 1, argv + 1)) {
            kw_cli_print_command_help(c);
            rc = KW_EXIT_OK;
        } else {
            rc = c->fn(&cli, argc - 1, argv + 1);
        }
    }
    kw_config_free(&cli.cfg);
    return rc;
}
