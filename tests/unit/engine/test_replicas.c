/*
 * The pieces replicas share a database with (SPEC §14), on both backends:
 * outbox appends that commit in id order, the LISTEN/NOTIFY fan-out, and
 * the leader election. On SQLite there is one process: it always leads and
 * the fan-out stays silent. Whole processes (SIGKILL of a leader, SSE on
 * another replica) are tested in tests/integration/replicas.sh.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../store/fixture.h"
#include "engine/events.h"
#include "engine/fanout.h"
#include "engine/leader.h"
#include "store/pgsession.h"

static kw_store *st;

static void setup(void) { st = kwt_open(); }
static void teardown(void) { kwt_close(st); }

TestSuite(replicas, .init = setup, .fini = teardown, .timeout = 120);

static bool on_pg(void) { return kw_store_dialect_of(st) == KW_DIALECT_PG; }

/* ---- appends commit in id order ---------------------------------------------------- */

#define WRITERS 3
#define PER_WRITER 60

typedef struct append_ctx {
    unsigned seed;
    bool roll_back;
    int64_t id;
} append_ctx;

/* Appends one event and keeps the transaction open a little longer, so
 * that without the ordering lock a later id would often commit first. */
static int append_tx(kw_db *db, void *ctx, kw_err *err)
{
    append_ctx *a = ctx;
    int rc = kw_events_append(db, KW_EV_BLOCK_CHANGED, 0, 1, json_pack("{s:i}", "n", (int)a->seed), 1000, &a->id, err);
    usleep((useconds_t)(rand_r(&a->seed) % 1500));
    if (rc == 0 && a->roll_back)
        return kw_err_set(err, KW_ESTATE, "rolled back on purpose");
    return rc;
}

static void *writer(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < PER_WRITER; i++) {
        append_ctx a = {.seed = seed + (unsigned)i * 7919u};
        kw_err err = {0};
        cr_assert_eq(kw_store_tx(st, append_tx, &a, &err), 0, "%s", err.msg);
    }
    return NULL;
}

static atomic_bool writers_done;

/* A reader on a store of its own (as another replica), following the outbox
 * by cursor the way an event stream does. */
static void *reader(void *arg)
{
    int *seen = arg;
    kw_store *other = kwt_reopen();
    int64_t cursor = 0;
    for (bool last = false;;) {
        bool done = atomic_load(&writers_done);
        kw_db *db;
        kw_err err = {0};
        kw_event ev[64];
        int n;
        cr_assert_eq(kw_store_acquire(other, KW_DB_READ, &db, &err), 0, "%s", err.msg);
        cr_assert_eq(kw_events_after(db, cursor, ev, 64, &n, &err), 0, "%s", err.msg);
        kw_store_release(other, db);
        for (int i = 0; i < n; i++) {
            cr_assert_gt(ev[i].id, cursor);
            cursor = ev[i].id;
            (*seen)++;
            kw_event_clear(&ev[i]);
        }
        if (last && n == 0)
            break;
        last = done;
    }
    kw_store_close(other);
    return NULL;
}

Test(replicas, a_reader_following_the_outbox_misses_no_event)
{
    int seen = 0;
    pthread_t r, w[WRITERS];
    atomic_store(&writers_done, false);
    cr_assert_eq(pthread_create(&r, NULL, reader, &seen), 0);
    for (uintptr_t i = 0; i < WRITERS; i++)
        cr_assert_eq(pthread_create(&w[i], NULL, writer, (void *)(i + 1)), 0);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    atomic_store(&writers_done, true);
    pthread_join(r, NULL);
    cr_assert_eq(seen, WRITERS * PER_WRITER,
                 "the reader saw %d of %d events: an id committed after a larger one was skipped", seen,
                 WRITERS * PER_WRITER);
}

/* ---- fan-out ------------------------------------------------------------------------- */

typedef struct woken {
    pthread_mutex_t mu;
    int64_t ids[256];
    int n, zeros;
} woken;

static void on_wake(void *ctx, int64_t id)
{
    woken *w = ctx;
    pthread_mutex_lock(&w->mu);
    if (id == 0)
        w->zeros++;
    else if (w->n < 256)
        w->ids[w->n++] = id;
    pthread_mutex_unlock(&w->mu);
}

static int woken_count(woken *w, bool zeros)
{
    pthread_mutex_lock(&w->mu);
    int n = zeros ? w->zeros : w->n;
    pthread_mutex_unlock(&w->mu);
    return n;
}

/* Waits (up to 10 s) until cond holds; returns it. */
#define EVENTUALLY(cond)                                                                     \
    ({                                                                                       \
        bool ok_ = false;                                                                    \
        for (int i_ = 0; i_ < 1000 && !(ok_ = (cond)); i_++)                                \
            usleep(10000);                                                                   \
        ok_;                                                                                 \
    })

static int64_t append_one(bool roll_back)
{
    append_ctx a = {.seed = 1, .roll_back = roll_back};
    kw_err err = {0};
    int rc = kw_store_tx(st, append_tx, &a, &err);
    cr_assert_eq(rc, roll_back ? KW_ESTATE : 0, "%s", err.msg);
    return roll_back ? 0 : a.id;
}

/* Ends the one session that `where` selects from pg_stat_activity joined
 * with pg_locks, as a lost connection would. */
static void terminate(const char *where, const char *param)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(pg_terminate_backend(a.pid)) FROM pg_stat_activity a "
             "LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted WHERE %s", where);
    PGconn *c = PQconnectdb(kwt_url());
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    const char *params[] = {param};
    PGresult *r = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    cr_assert_eq(strcmp(PQgetvalue(r, 0, 0), "1"), 0, "sessions where %s: %s", where, PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
}

Test(replicas, fanout_wakes_for_every_committed_event_in_order)
{
    woken w = {.mu = PTHREAD_MUTEX_INITIALIZER};
    kw_fanout *f;
    kw_err err = {0};
    kw_fanout_options o = {kw_store_dialect_of(st), kwt_url(), 0, on_wake, &w};
    cr_assert_eq(kw_fanout_start(&o, &f, &err), 0, "%s", err.msg);
    if (!on_pg()) {
        /* One process: its own writers wake its readers; nothing to listen to. */
        append_one(false);
        kw_fanout_stop(f);
        cr_assert_eq(woken_count(&w, false) + woken_count(&w, true), 0);
        return;
    }
    /* Listening: announced by one wake(0). */
    cr_assert(EVENTUALLY(woken_count(&w, true) == 1));
    int64_t want[40];
    int n = 0;
    for (int i = 0; i < 20; i++) {
        want[n++] = append_one(false);
        if (i % 5 == 0)
            append_one(true);
    }
    cr_assert(EVENTUALLY(woken_count(&w, false) == n), "woken for %d of %d", woken_count(&w, false), n);
    /* A lost session is reopened and announced, and delivery goes on. */
    terminate("a.application_name = $1", "kalewx-listener");
    cr_assert(EVENTUALLY(woken_count(&w, true) == 2), "no wake after reconnecting");
    for (int i = 0; i < 5; i++)
        want[n++] = append_one(false);
    cr_assert(EVENTUALLY(woken_count(&w, false) == n), "woken for %d of %d", woken_count(&w, false), n);
    cr_assert_eq(kw_fanout_received(f), (uint64_t)n);
    kw_fanout_stop(f);
    for (int i = 0; i < n; i++)
        cr_assert_eq(w.ids[i], want[i], "wake %d: id %lld, want %lld (rolled-back events never notify)", i,
                     (long long)w.ids[i], (long long)want[i]);
}

/* ---- the leader ------------------------------------------------------------------------- */

static kw_leader *candidate(void)
{
    kw_leader *l;
    kw_err err = {0};
    kw_leader_options o = {kw_store_dialect_of(st), kwt_url(), KW_PG_LOCK_ENGINE, "engine", false};
    cr_assert_eq(kw_leader_open(&o, &l, &err), 0, "%s", err.msg);
    return l;
}

Test(replicas, exactly_one_leads_and_a_standby_takes_over)
{
    kw_leader *a = candidate(), *b = candidate(), *c = candidate();
    bool la = kw_leader_poll(a), lb = kw_leader_poll(b), lc = kw_leader_poll(c);
    if (!on_pg()) {
        cr_assert(la && lb && lc, "the single SQLite process always leads");
        kw_leader_close(a), kw_leader_close(b), kw_leader_close(c);
        return;
    }
    cr_assert(la && !lb && !lc, "the first to poll leads, the others stand by");
    for (int i = 0; i < 3; i++)
        cr_assert(kw_leader_poll(a) && !kw_leader_poll(b) && !kw_leader_poll(c), "leadership is stable");
    cr_assert(kw_leader_leading(a) && !kw_leader_leading(b));
    /* The leader goes away: the next standby to poll once the server has
     * ended the session (asynchronously, just after the close) leads. */
    kw_leader_close(a);
    cr_assert(EVENTUALLY(kw_leader_poll(b)), "no standby took over");
    cr_assert_not(kw_leader_poll(c));
    /* The leader's session is cut under it: it notices at its next poll and
     * stands down; a standby leads from its next poll; the old leader comes
     * back as a standby. */
    terminate("(CAST(l.classid AS BIGINT) << 32 | CAST(l.objid AS BIGINT)) = CAST($1 AS BIGINT)",
              KW_PG_LOCK_SQL(KW_PG_LOCK_ENGINE));
    cr_assert(EVENTUALLY(kw_leader_poll(c)), "no standby took over");
    cr_assert_not(kw_leader_poll(b), "the cut leader stood down");
    cr_assert_not(kw_leader_leading(b));
    cr_assert_not(kw_leader_poll(b), "and stays a standby");
    kw_leader_close(b), kw_leader_close(c);
}

Test(replicas, start_up_waits_for_the_other_replica)
{
    kw_leader *a, *b;
    kw_err err = {0};
    kw_leader_options o = {kw_store_dialect_of(st), kwt_url(), KW_PG_LOCK_STARTUP, "start-up", false};
    cr_assert_eq(kw_leader_open(&o, &a, &err), 0);
    cr_assert_eq(kw_leader_open(&o, &b, &err), 0);
    cr_assert_eq(kw_leader_wait(a, &err), 0, "%s", err.msg);
    if (on_pg())
        cr_assert_not(kw_leader_poll(b), "held by the first");
    kw_leader_close(a);
    cr_assert_eq(kw_leader_wait(b, &err), 0, "%s", err.msg);
    kw_leader_close(b);
}
