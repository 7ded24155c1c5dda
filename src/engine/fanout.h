/*
 * fanout — tells this replica's outbox readers that an event was committed,
 * by whichever replica committed it (SPEC §11, §14).
 *
 * On PostgreSQL every append to the outbox notifies the channel
 * KW_EVENTS_CHANNEL with the event's id, delivered when (and only if) its
 * transaction commits (events.h). The fanout LISTENs on a dedicated session
 * (store/pgsession.h) from a thread of its own and calls wake(ctx, id) for
 * every notification, in commit order. The id only wakes: readers read the
 * outbox from their own cursor, which stays the source of truth, so a lost,
 * repeated or merged notification costs nothing but a read. Whenever the
 * session is (re)established, and after idle_ms without a notification, it
 * calls wake(ctx, 0), so nothing committed while it was not listening waits
 * for the next event. A lost session is reopened with a backoff of up to
 * idle_ms (1 s when idle_ms is 0), logging once per outage.
 *
 * On SQLite there is only one process, whose own writers wake its readers:
 * the fanout starts no thread and never calls wake.
 *
 * Thread-safety: start and stop are called by one thread; wake runs on the
 * fanout's thread and must not block (signal a condition, no I/O).
 */
#ifndef KW_ENGINE_FANOUT_H
#define KW_ENGINE_FANOUT_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef void (*kw_fanout_wake_fn)(void *ctx, int64_t event_id);

typedef struct kw_fanout_options {
    kw_store_dialect dialect;
    const char *url;           /* DATABASE_URL; copied */
    int64_t idle_ms;           /* wake(ctx, 0) after this long without a notification; 0: never */
    kw_fanout_wake_fn wake;
    void *ctx;
} kw_fanout_options;

typedef struct kw_fanout kw_fanout;

/* Starts listening. The first session is opened on the fanout's thread, so
 * a database that is down delays delivery, not start-up. *out is the
 * caller's, stopped with kw_fanout_stop. KW_ENOMEM, KW_EIO (no thread). */
int kw_fanout_start(const kw_fanout_options *o, kw_fanout **out, kw_err *err) KW_WUR;

/* Notifications received so far (for metrics and tests). */
uint64_t kw_fanout_received(const kw_fanout *f);

/* Stops the thread, ends the session and frees f; NULL is ignored. */
void kw_fanout_stop(kw_fanout *f);

#endif
