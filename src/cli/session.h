/*
 * session — what every client command does around its requests (SPEC §12):
 * pick the server (KALEWX_SERVER, --server), load the stored credentials,
 * send a request and, when it fails, tell the person what happened and what
 * to do, returning the exit code the failure maps to:
 *
 *     0  ok
 *     1  usage: a bad command line (caught before anything is sent)
 *     2  server or network: not reachable, 5xx, not ready
 *     3  rejected: the server understood and refused (rules, login)
 *
 * Failures go to stderr as "kalewx CMD: message"; with --json a JSON object
 * {"success":false,"error","code"} also goes to stdout so scripts reading
 * stdout see it. Successful --json output is the envelope's data.
 *
 * A stored token that the server refuses (it expired) does not stop the
 * commands that need no login: the session says so once, forgets the token
 * for this run and asks again without it.
 *
 * Ownership: a kw_session holds the token; kw_session_close wipes it.
 * Not thread-safe; one session per command.
 */
#ifndef KW_CLI_SESSION_H
#define KW_CLI_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cli/client.h"
#include "cli/commands.h"

typedef struct kw_session {
    kw_cli *cli;
    const char *cmd;      /* the command's name, for messages */
    kw_client client;
    bool need_login;      /* the command acts for the user: a refused token is final */
    /* The last reply's metadata timestamp (ISO-8601, "" when it had none)
     * and the local clock in ms when the request went out and the reply came
     * back: enough to estimate the server's clock offset. */
    char server_time[40];
    int64_t sent_ms, received_ms;
} kw_session;

/* Prepares s for cmd: the server from the settings, then the credentials
 * file. need_login refuses (exit 3, saying how to log in) when no token is
 * stored for that server. Returns an exit code; on failure s is closed. */
int kw_session_open(kw_session *s, kw_cli *cli, const char *cmd, bool need_login) KW_WUR;
void kw_session_close(kw_session *s);

/* Drops a token the server refused, for a command that needs no login,
 * saying so on stderr; false (nothing changed) when the command needs the
 * login or sent no token. */
bool kw_session_drop_token(kw_session *s);

/* Sends one request. On 2xx returns 0 and, when data is not NULL, stores
 * the envelope's data there (a new reference the caller releases; JSON null
 * when the reply had none). Otherwise reports the failure and returns its
 * exit code. */
int kw_session_call(kw_session *s, const char *method, const char *path, const json_t *body, json_t **data) KW_WUR;

/* Reports a failure of cmd as described above and returns exit. code is the
 * machine-readable reason for --json ("USAGE", "PHASE_CLOSED", ...). */
int kw_cli_fail(const kw_cli *cli, const char *cmd, int exit, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Parses an amount argument of cmd within [min, max] stroops; a usage
 * failure (exit 1, reported) names the rule broken. Returns an exit code. */
int kw_cli_amount(const kw_cli *cli, const char *cmd, const char *text, int64_t min, int64_t max, int64_t *out) KW_WUR;

/* Prints v as one line of JSON on stdout (--json output). */
void kw_cli_print_json(const json_t *v);

#endif
