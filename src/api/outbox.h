/*
 * outbox — reading the events outbox (engine/events.h) in order, for the
 * live event streams and the webhook dispatcher (SPEC §11).
 *
 * Holes. Event ids come from a sequence. On PostgreSQL a transaction that
 * took id 10 may commit after one that took id 11, so a reader that moved
 * past 11 as soon as it saw it would never deliver 10. A reader therefore
 * takes events only up to the first hole in the ids after its cursor, and
 * waits for the hole to fill for up to hole_wait_ms before it gives up on it
 * (a transaction that rolled back leaves a hole for good). On SQLite the
 * single writer hands out ids in commit order and no hole appears.
 *
 * The pump is one thread that reads new events after a cursor (starting at
 * the outbox's newest id when the API starts) and hands each, in id order,
 * to a sink (the API's hub). It reads when woken (after an engine tick or an
 * accepted action) and every poll_ms otherwise, so events committed by
 * another process are picked up too. kw_outbox_pump_published is the id up
 * to which everything has been handed over: replays for resuming streams
 * stop there, so that a resumed stream never skips an event still inside a
 * hole.
 *
 * Thread-safety: kw_outbox_read as the kw_db passed in; the pump's wake and
 * published are thread-safe; start/stop are not.
 */
#ifndef KW_API_OUTBOX_H
#define KW_API_OUTBOX_H

#include <stdint.h>

#include "core/err.h"
#include "engine/events.h"
#include "store/store.h"

typedef struct kw_outbox_cursor {
    int64_t last;            /* every event with id ≤ last is consumed */
    int64_t hole_since_ms;   /* when the hole after last was first seen; 0: none */
} kw_outbox_cursor;

/* Reads up to max events after c->last that may be consumed now (see
 * above) into out, and advances c past them. The caller clears each with
 * kw_event_clear. */
int kw_outbox_read(kw_db *db, kw_outbox_cursor *c, int64_t now_ms, int64_t hole_wait_ms, kw_event *out, int max,
                   int *n, kw_err *err) KW_WUR;

/* The sink gets each event once, in id order; a non-zero return is logged
 * and the event is not offered again. */
typedef int (*kw_outbox_sink)(void *ctx, const kw_event *ev);

typedef struct kw_outbox_pump_options {
    kw_store *store;
    int64_t start_id;        /* events after this id are pumped */
    int64_t poll_ms;         /* OUTBOX_POLL_MS */
    int64_t hole_wait_ms;
    kw_outbox_sink sink;
    void (*every_pass)(void *ctx);   /* optional: runs after each read pass (housekeeping) */
    void *ctx;
} kw_outbox_pump_options;

typedef struct kw_outbox_pump kw_outbox_pump;

int kw_outbox_pump_start(const kw_outbox_pump_options *o, kw_outbox_pump **out, kw_err *err) KW_WUR;
/* Makes the pump read now. */
void kw_outbox_pump_wake(kw_outbox_pump *p);
/* Every event with an id up to this one has been handed to the sink. */
int64_t kw_outbox_pump_published(kw_outbox_pump *p);
/* Stops the thread (after the pass in progress) and frees the pump. */
void kw_outbox_pump_stop(kw_outbox_pump *p);

#endif
