/*
 * leader — which process runs the engine when several `kalewx serve`
 * replicas share one PostgreSQL (SPEC §14).
 *
 * Every replica serves the API; exactly one ticks the engine: the one that
 * holds a session-level advisory lock (KW_PG_LOCK_ENGINE) on a dedicated
 * session (store/pgsession.h), never a pool connection. The engine thread
 * calls kw_leader_poll once per monitor interval: a standby tries the lock
 * (pg_try_advisory_lock, never waiting), the leader checks that its session
 * is still alive. The lock is never released while the process runs: it
 * goes when the session ends, and PostgreSQL ends the session of a dead
 * process at once (its kernel closes the socket) or, for a dead host, after
 * KW_PGSESSION_DEAD_S seconds of keepalive probes. So a standby leads at
 * most one monitor interval (plus the time of its own tick) after the
 * leader's session is gone. A leader whose session fails stops leading at
 * that poll and competes again at the next one, like any standby.
 *
 * The same object, opened on another key and taken with kw_leader_wait,
 * serialises start-up work across replicas (KW_PG_LOCK_STARTUP).
 *
 * On SQLite there is a single process: it always leads, and poll/wait do
 * nothing.
 *
 * With `report`, the process-wide metrics get a gauge kalewx_leader (1 while
 * this process leads, 0 otherwise) and transitions are logged.
 *
 * Thread-safety: kw_leader_leading is thread-safe; the other functions are
 * called by one thread (the engine thread, or start-up).
 */
#ifndef KW_ENGINE_LEADER_H
#define KW_ENGINE_LEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef struct kw_leader kw_leader;

typedef struct kw_leader_options {
    kw_store_dialect dialect;
    const char *url;       /* DATABASE_URL (PostgreSQL only); copied */
    int64_t key;           /* the advisory lock, a KW_PG_LOCK_* */
    const char *role;      /* "engine", "start-up": for logs and pg_stat_activity; kept, not copied */
    bool report;           /* gauge kalewx_leader and transition logs */
} kw_leader_options;

/* Prepares the election; connects nothing yet (the first poll does). On
 * success *out is the caller's, freed with kw_leader_close. KW_ENOMEM. */
int kw_leader_open(const kw_leader_options *o, kw_leader **out, kw_err *err) KW_WUR;

/* Takes the lock if free, or checks the session that holds it. Returns
 * whether this process leads now. Failures (no database) count as not
 * leading and are logged once per change. */
bool kw_leader_poll(kw_leader *l);

/* Waits until this process holds the lock (for start-up serialisation).
 * KW_ETRANSIENT when the database cannot be reached. */
int kw_leader_wait(kw_leader *l, kw_err *err) KW_WUR;

/* Whether this process led at its last poll or wait. */
bool kw_leader_leading(const kw_leader *l);

/* Releases the lock (by ending the session) and frees l; NULL is ignored. */
void kw_leader_close(kw_leader *l);

#endif
