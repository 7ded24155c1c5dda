/*
 * follow — keeps a command attached to the server's event stream for
 * `kalewx watch` and `kalewx play`:
 *
 *   - reads GET /api/v1/cycles/current, then follows GET /api/v1/stream
 *     (with the stored token, so the caller's own events come too), feeding
 *     every event to a kw_live and printing its notification line;
 *   - on a terminal keeps a one-line status at the bottom, redrawn at each
 *     wait, with notifications printed above it; or, while the caller asks
 *     for input, its prompt in that place, redrawn only after a
 *     notification (so what the person types is not overwritten);
 *   - when the connection breaks, says so once and reconnects by itself
 *     with Last-Event-ID (backing off from 0.5 s to 8 s), re-reading the
 *     cycle document first, so nothing is missed or shown twice;
 *   - watches one more descriptor (the keyboard) and Ctrl-C, so the
 *     command stays responsive while it waits.
 *
 * With json set, every event is printed as one JSON line
 * {"id","event","data"} instead, and no status line is drawn.
 *
 * Ctrl-C: kw_follow_open installs a SIGINT handler that only records the
 * request; kw_follow_wait returns KW_FOLLOW_STOP within one wait.
 *
 * Not thread-safe; one follower per process.
 */
#ifndef KW_CLI_FOLLOW_H
#define KW_CLI_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cli/live.h"
#include "cli/session.h"

typedef struct kw_follow_options {
    kw_session *session;
    bool json;            /* events as JSON lines */
    bool terminal;        /* stdout is a terminal: keep the status line or prompt in place */
    bool block_lines;     /* not on a terminal: print the status as a line on each new block */
    /* Called after the live state took the event and its line was printed;
     * a return above KW_FOLLOW_STOP ends kw_follow_wait with that value.
     * May be NULL. */
    int (*on_event)(void *ctx, const char *type, const json_t *data);
    void *ctx;
} kw_follow_options;

typedef struct kw_follow kw_follow;

enum kw_follow_result {
    KW_FOLLOW_TICK = 0,   /* the wait ended: redraw, check state */
    KW_FOLLOW_INPUT,      /* the extra descriptor is readable */
    KW_FOLLOW_STOP,       /* Ctrl-C */
    KW_FOLLOW_CALLER,     /* the first value on_event may return */
};

/* Reads the cycle document and opens the stream. A server that cannot be
 * reached now is a failure (reported; returns the exit code 2 or 3), not a
 * reason to wait. Returns an exit code; *out is set on 0. */
int kw_follow_open(const kw_follow_options *o, kw_follow **out) KW_WUR;

/* Waits up to timeout_ms for events (printing them), input on fd (−1: none)
 * or Ctrl-C, reconnecting as needed. Returns a kw_follow_result, the
 * non-zero value of on_event, or a negative KW_E* for a failure that
 * reconnecting cannot fix (the server refused the stream: KW_EAUTH), after
 * reporting it. */
int kw_follow_wait(kw_follow *f, int timeout_ms, int fd) KW_WUR;

/* The live state (read-only use by the caller). */
const kw_live *kw_follow_live(const kw_follow *f);

/* Shows prompt (copied) where the status line was, or the live status
 * again when prompt is NULL. Not on a terminal, a prompt is printed once as
 * a line. Call it again after each line of input: the typed line moved the
 * cursor down. */
void kw_follow_prompt(kw_follow *f, const char *prompt);

/* Prints a line of the caller's above the status line. */
void kw_follow_print(kw_follow *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Re-reads the cycle document (after an action, say); false when the
 * server did not answer. */
bool kw_follow_refresh(kw_follow *f);

/* The local clock in milliseconds, as kw_live expects it. */
int64_t kw_follow_now_ms(void);

/* Erases the status line, restores SIGINT and frees f. */
void kw_follow_close(kw_follow *f);

#endif
