/*
 * client — how the command line talks to a kalewx server: JSON over HTTP
 * with libcurl, the credentials file, and what an answer means for the exit
 * code. Client commands use the same public API as any other client.
 *
 * Credentials live in $XDG_CONFIG_HOME/kalewx/credentials (default
 * ~/.config/kalewx/credentials), mode 0600, as JSON {server, username,
 * token}. A file that group or others can read is refused with a message
 * saying how to fix it, never silently used.
 *
 * An event stream (GET /api/v1/stream) is read without blocking the caller
 * for long: kw_client_stream_poll waits at most a given time for bytes on
 * the connection or on one more descriptor (a terminal), hands what arrived
 * to a kw_stream_parser and returns, so a command can redraw its status
 * line, read the keyboard and notice Ctrl-C between calls. It sends
 * Last-Event-ID from the parser, so reopening after a failure resumes.
 *
 * Thread-safety: one kw_client per thread.
 */
#ifndef KW_CLI_CLIENT_H
#define KW_CLI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cli/stream.h"
#include "core/err.h"

typedef struct kw_client {
    char server[512];     /* base URL without a trailing slash */
    char token[2048];     /* bearer token, "" when logged out */
    char username[64];
    long timeout_ms;
} kw_client;

typedef struct kw_reply {
    long status;          /* HTTP status, 0 when the server was not reached */
    json_t *body;         /* parsed JSON reply (owned), or NULL */
    char error[512];      /* what went wrong, for a person */
    char code[48];        /* the envelope's error code ("PHASE_CLOSED"), or "" */
} kw_reply;

/* The credentials file path into buf; KW_ERANGE when it does not fit. */
int kw_client_credentials_path(char *buf, size_t cap) KW_WUR;
/* Loads server/token/username from the credentials file if present (a
 * missing file is not an error). KW_EAUTH when the file's mode is too open,
 * KW_EINVAL when it is not valid JSON. */
int kw_client_load(kw_client *c, kw_err *err) KW_WUR;
/* Writes the credentials file (creating its directory 0700, the file 0600). */
int kw_client_save(const kw_client *c, kw_err *err) KW_WUR;
/* Removes the credentials file; a missing one is fine. */
int kw_client_forget(kw_err *err) KW_WUR;

/* Sends method path with an optional JSON body (not consumed) and fills r.
 * Returns 0 when an HTTP answer arrived (whatever its status), KW_EIO when
 * the server could not be reached (r->error says where and what to do). */
int kw_client_request(kw_client *c, const char *method, const char *path, const json_t *body, kw_reply *r) KW_WUR;
void kw_reply_free(kw_reply *r);

/* The exit code an answer maps to: 0 for 2xx, 2 for no answer or 5xx,
 * 3 for any other 4xx (refused by the rules or by authentication). */
int kw_reply_exit_code(const kw_reply *r);

typedef struct kw_client_stream kw_client_stream;

/* Starts GET path as an event stream feeding p (borrowed; it must outlive the
 * stream), with Last-Event-ID p->last_id when it has one. Nothing is read
 * yet; the connection is made by the first poll. */
int kw_client_stream_open(kw_client *c, const char *path, kw_stream_parser *p, kw_client_stream **out,
                          kw_err *err) KW_WUR;
/* Waits up to timeout_ms for bytes of the stream or for fd to be readable
 * (fd < 0: no descriptor) and feeds the bytes to the parser. Returns 0 while
 * the stream is open, with *fd_ready telling whether fd can be read;
 * KW_EIO when the connection failed or ended (err says why: the caller
 * reconnects); KW_EAUTH when the server refused the stream (401/403); or the
 * non-zero value of the parser or its event callback. */
int kw_client_stream_poll(kw_client_stream *s, int timeout_ms, int fd, bool *fd_ready, kw_err *err) KW_WUR;
/* True once the server answered 200 and the events are flowing. */
bool kw_client_stream_connected(const kw_client_stream *s);
void kw_client_stream_close(kw_client_stream *s);

#endif
