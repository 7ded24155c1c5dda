/*
 * hub — the in-process fan-out of events to live subscribers (SPEC §11).
 *
 * Events come from the outbox, in id order: each has a strictly increasing
 * int64 id, a type (block.changed, phase.changed, ...), a JSON payload and
 * an owner (a user id for private events such as balance.changed, 0 for
 * public ones). The hub keeps the last `capacity` events in a ring, each
 * already in its Server-Sent Events wire form, and lets any number of
 * subscribers read them with their own cursor:
 *
 *   - a subscriber sees public events and its own private ones, in id order,
 *     each once;
 *   - a subscriber resuming after id N (Last-Event-ID) reads from the ring
 *     when the ring still holds everything after N, and otherwise asks the
 *     application's replay hook (the outbox) for the events after N, in
 *     batches, before continuing from the ring; without a hook it is told
 *     of the gap (KW_HUB_GAP) and continues with what the ring holds;
 *   - a subscriber that falls behind the ring (a slow reader) is caught up
 *     the same way.
 *
 * Readers never block and hold no thread: when kw_hub_next has nothing, it
 * calls the subscriber's sleep() (under the hub lock) and the next publish,
 * heartbeat or close calls its wake() (also under the hub lock, exactly once
 * per sleep). That is how an HTTP connection is suspended and resumed
 * without a race between "nothing to read" and "an event just arrived".
 *
 * Ownership: the hub copies every published event. A message returned by
 * kw_hub_next is referenced until kw_hub_msg_release. kw_hub_free needs
 * every subscriber gone. Thread-safety: everything is thread-safe, but one
 * subscriber must be read by one thread at a time. sleep()/wake() run with
 * the hub locked and must not call back into the hub.
 */
#ifndef KW_API_HUB_H
#define KW_API_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define KW_HUB_TYPE_MAX 64
#define KW_HUB_REPLAY_BATCH 256

typedef struct kw_hub_event {
    int64_t id;          /* > 0 and greater than every earlier id */
    const char *type;    /* [a-z0-9._-], 1..KW_HUB_TYPE_MAX characters */
    int64_t owner;       /* user id of a private event; 0 for public */
    const char *data;    /* the payload, JSON text (no NUL) */
    size_t len;
} kw_hub_event;

/* Called by the replay hook for each event after after_id, in id order. */
typedef int (*kw_hub_emit_fn)(void *sink, const kw_hub_event *ev);
/* The application's replay hook: emits up to `limit` events with id >
 * after_id in order (public and private; the hub filters), returns 0 or a
 * KW_E* code. Runs on the reading thread, without the hub lock. */
typedef int (*kw_hub_replay_fn)(void *ctx, int64_t after_id, size_t limit, kw_hub_emit_fn emit, void *sink);

typedef struct kw_hub_options {
    size_t capacity;               /* events kept in the ring (≥ 1) */
    int64_t start_id;              /* newest event id that existed before the hub
                                      (the outbox's last id at start): resumes from
                                      before it are replayed, and ids must exceed it */
    kw_hub_replay_fn replay;       /* may be NULL */
    void *replay_ctx;
} kw_hub_options;

typedef struct kw_hub kw_hub;
typedef struct kw_hub_sub kw_hub_sub;
typedef struct kw_hub_msg kw_hub_msg;

int kw_hub_new(const kw_hub_options *o, kw_hub **out) KW_WUR;
void kw_hub_free(kw_hub *h);

/* Copies ev into the ring and wakes the sleeping subscribers that may see
 * it (the others skip it without waking). KW_EINVAL (message says why) for an id not above the last one, a bad
 * type or a NUL in data; KW_ENOMEM. */
int kw_hub_publish(kw_hub *h, const kw_hub_event *ev, kw_err *err) KW_WUR;
/* The id of the last published event (0 before any). */
int64_t kw_hub_last_id(kw_hub *h);

typedef struct kw_hub_waker {
    void (*sleep)(void *ctx);
    void (*wake)(void *ctx);
    void *ctx;
} kw_hub_waker;

/* A subscriber for user_id (0: anonymous, public events only). last_id < 0
 * starts with the next published event; last_id ≥ 0 resumes after it. */
int kw_hub_subscribe(kw_hub *h, int64_t user_id, int64_t last_id, const kw_hub_waker *w, kw_hub_sub **out) KW_WUR;
void kw_hub_unsubscribe(kw_hub_sub *s);

typedef enum kw_hub_kind {
    KW_HUB_NONE = 0,     /* nothing now (sleep() was called when may_sleep) */
    KW_HUB_EVENT,        /* item.msg is the next event */
    KW_HUB_HEARTBEAT,    /* time for a keep-alive */
    KW_HUB_GAP,          /* events after item.gap_after are not available (no replay hook) */
    KW_HUB_CLOSED,       /* the hub is closing: end the stream */
    KW_HUB_FAILED,       /* the replay hook failed: end the stream so the client resumes later */
} kw_hub_kind;

typedef struct kw_hub_item {
    kw_hub_kind kind;
    kw_hub_msg *msg;
    int64_t gap_after;
} kw_hub_item;

/* The next thing for this subscriber. */
void kw_hub_next(kw_hub_sub *s, bool may_sleep, kw_hub_item *out);

/* A message's id and its Server-Sent Events frame ("id: …\nevent: …\ndata: …\n\n"). */
int64_t kw_hub_msg_id(const kw_hub_msg *m);
const char *kw_hub_msg_frame(const kw_hub_msg *m, size_t *len);
void kw_hub_msg_release(kw_hub_msg *m);

/* Every subscriber gets KW_HUB_HEARTBEAT next (sleeping ones are woken). */
void kw_hub_heartbeat(kw_hub *h);
/* Every subscriber, present and future, gets KW_HUB_CLOSED next. */
void kw_hub_close(kw_hub *h);
size_t kw_hub_subscribers(kw_hub *h);

#endif
