/*
 * pgsession — dedicated PostgreSQL sessions outside the store's pool, for
 * state that belongs to a session rather than to a statement: the engine's
 * leader lock (engine/leader.h) and the event listener (engine/fanout.h).
 * A pool connection cannot carry such state: it is lent to any thread and
 * silently reconnected.
 *
 * A session is connected with keepalives on both ends, so that a peer that
 * vanishes without closing its socket (a host that lost power, a network
 * partition) is noticed in about KW_PGSESSION_DEAD_S seconds:
 *   - client side: libpq's keepalives and tcp_user_timeout, so a call on a
 *     dead server fails instead of hanging;
 *   - server side: the session's tcp_keepalives_* settings, so the server
 *     ends the backend of a dead client and releases its advisory locks.
 * A process that dies on a live host (SIGKILL, crash) needs none of this:
 * its kernel closes the socket and the server ends the backend at once. On
 * a Unix socket keepalives do not apply, and are not needed: both ends are
 * on one host. Parameters given in DATABASE_URL override these defaults.
 *
 * Advisory lock keys (bigint) used by kalewx on PostgreSQL; each names one
 * thing to serialise across every process on the same database.
 *
 * Thread-safety: a PGconn belongs to one thread at a time.
 */
#ifndef KW_STORE_PGSESSION_H
#define KW_STORE_PGSESSION_H

#include <libpq-fe.h>

#include "core/err.h"

/* Plain literals, so that SQL texts can spell them with KW_PG_LOCK_SQL. */
#define KW_PG_LOCK_MIGRATE 7316402291 /* schema migrations (store/migrate.c) */
#define KW_PG_LOCK_STARTUP 7316402292 /* start-up writes: treasury, DAOs, devnet reserve */
#define KW_PG_LOCK_ENGINE 7316402293  /* the engine's leader, held for the session */
#define KW_PG_LOCK_EVENTS 7316402294  /* outbox appends, in id order (engine/events.c) */
#define KW_PG_LOCK_SQL_(key) #key
#define KW_PG_LOCK_SQL(key) KW_PG_LOCK_SQL_(key)

/* Seconds after which a silent peer is considered dead (idle + probes). */
#define KW_PGSESSION_DEAD_S 10

/* Opens a session to url (a postgres:// URL or key=value string) named
 * "kalewx-<role>" in pg_stat_activity. On success *out is the caller's, to
 * be closed with PQfinish. KW_ETRANSIENT with libpq's reason otherwise. */
int kw_pgsession_connect(const char *url, const char *role, PGconn **out, kw_err *err) KW_WUR;

/* Runs one statement with nparams text parameters ($1..) and copies the
 * first column of its first row into buf (cap bytes; cap 0 discards it; ""
 * when there is no row). KW_ETRANSIENT when the session is lost, KW_EIO for
 * any other failure. */
int kw_pgsession_query(PGconn *c, const char *sql, int nparams, const char *const *params, char *buf,
                       size_t cap, kw_err *err) KW_WUR;

#endif
