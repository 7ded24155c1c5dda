/*
 * events — the outbox (SPEC §11). Every event is a row of the `events` table
 * written in the same transaction as the change that caused it, so an event
 * exists exactly when its change committed, and nothing is lost across a
 * restart. Delivery (SSE, webhooks, other replicas) reads the table by id.
 *
 * On PostgreSQL appends commit in id order (a reader that has seen id N
 * never later finds a smaller one), and each append notifies the channel
 * KW_EVENTS_CHANNEL with the event's id when its transaction commits, so
 * every replica learns of it (engine/fanout.h). The order costs one lock
 * per transaction that appends, held from its first append to its commit;
 * append late in a transaction to keep that short.
 *
 * Public events have user_id 0; action.accepted, position.updated and
 * balance.changed carry their owner's id and go only to that user.
 *
 * Thread-safety: as the kw_db passed in.
 */
#ifndef KW_ENGINE_EVENTS_H
#define KW_ENGINE_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "store/store.h"

#define KW_EVENTS_CHANNEL "kalewx_events"

#define KW_EV_BLOCK_CHANGED "block.changed"
#define KW_EV_PHASE_CHANGED "phase.changed"
#define KW_EV_CYCLE_STARTED "cycle.started"
#define KW_EV_DAO_COMMITTED "dao.committed"
#define KW_EV_DAO_REVEALED "dao.revealed"
#define KW_EV_WEATHER_RESOLVED "weather.resolved"
#define KW_EV_CYCLE_SETTLED "cycle.settled"
#define KW_EV_ACTION_ACCEPTED "action.accepted"
#define KW_EV_POSITION_UPDATED "position.updated"
#define KW_EV_BALANCE_CHANGED "balance.changed"

typedef struct kw_event {
    int64_t id;
    char type[64];
    int64_t user_id;     /* 0: public */
    int64_t cycle_id;    /* -1: none */
    char *payload;       /* JSON text, owned */
    int64_t created_at;  /* unix ms */
} kw_event;

/* Appends an event inside the caller's transaction. payload is always
 * consumed (decref'd), also on error. *id (may be NULL) receives its id. */
int kw_events_append(kw_db *db, const char *type, int64_t user_id, int64_t cycle_id,
                     json_t *payload, int64_t at_ms, int64_t *id, kw_err *err) KW_WUR;

/* Reads up to max events with id > after_id in id order into out (the
 * caller frees each payload with kw_event_clear); *n receives the count. */
int kw_events_after(kw_db *db, int64_t after_id, kw_event *out, int max, int *n, kw_err *err) KW_WUR;

/* The highest event id (0 when there is none). */
int kw_events_last_id(kw_db *db, int64_t *out, kw_err *err) KW_WUR;

void kw_event_clear(kw_event *e);

#endif
