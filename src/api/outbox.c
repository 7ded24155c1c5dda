#include "api/outbox.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "api/worker.h"
#include "obs/log.h"

#define PUMP_BATCH 256

int kw_outbox_read(kw_db *db, kw_outbox_cursor *c, int64_t now_ms, int64_t hole_wait_ms, kw_event *out, int max,
                   int *n, kw_err *err)
{
    int got = 0;
    *n = 0;
    int rc = kw_events_after(db, c->last, out, max, &got, err);
    if (rc)
        return rc;
    int take = 0;
    int64_t expect = c->last + 1;
    while (take < got) {
        if (out[take].id == expect) {
            take++, expect++;
            continue;
        }
        /* A hole. After events taken it is the next call's business; right
         * after the cursor it is waited for, then skipped. */
        if (take > 0)
            break;
        if (c->hole_since_ms == 0)
            c->hole_since_ms = now_ms;
        if (now_ms - c->hole_since_ms < hole_wait_ms)
            break;
        KW_LOG(KW_LOG_WARN, "outbox ids skipped (a transaction rolled back, or took too long to commit)",
               KW_LI("from", expect), KW_LI("to", out[take].id - 1));
        expect = out[take].id;
    }
    for (int i = take; i < got; i++)
        kw_event_clear(&out[i]);
    if (take > 0) {
        c->last = out[take - 1].id;
        c->hole_since_ms = 0;
    }
    *n = take;
    return 0;
}

struct kw_outbox_pump {
    kw_outbox_pump_options o;
    kw_outbox_cursor cursor;
    _Atomic int64_t published;
    kw_worker *worker;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One read pass; returns the wait before the next. */
static int64_t pass(void *ctx)
{
    kw_outbox_pump *p = ctx;
    kw_event *evs = calloc(PUMP_BATCH, sizeof *evs);
    kw_db *db;
    kw_err err = {0};
    int n = 0;
    if (!evs)
        return p->o.poll_ms;
    int rc = kw_store_acquire(p->o.store, KW_DB_READ, &db, &err);
    if (rc == 0) {
        rc = kw_outbox_read(db, &p->cursor, wall_ms(), p->o.hole_wait_ms, evs, PUMP_BATCH, &n, &err);
        kw_store_release(p->o.store, db);
    }
    if (rc)
        KW_LOG(KW_LOG_WARN, "cannot read the outbox; retrying", KW_LS("error", err.msg));
    for (int i = 0; i < n; i++) {
        if (p->o.sink(p->o.ctx, &evs[i]) != 0)
            KW_LOG(KW_LOG_WARN, "an outbox event was not delivered to live streams", KW_LI("event", evs[i].id));
        atomic_store(&p->published, evs[i].id);
        kw_event_clear(&evs[i]);
    }
    free(evs);
    if (p->o.every_pass)
        p->o.every_pass(p->o.ctx);
    if (n == PUMP_BATCH)
        return 0;
    /* Come back sooner while a hole is being waited for. */
    return p->cursor.hole_since_ms && p->o.hole_wait_ms < p->o.poll_ms ? p->o.hole_wait_ms / 4 + 1 : p->o.poll_ms;
}

int kw_outbox_pump_start(const kw_outbox_pump_options *o, kw_outbox_pump **out, kw_err *err)
{
    kw_outbox_pump *p = calloc(1, sizeof *p);
    if (!p)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    p->o = *o;
    p->cursor.last = o->start_id;
    atomic_init(&p->published, o->start_id);
    if (kw_worker_start("outbox", pass, p, &p->worker) != 0) {
        free(p);
        return kw_err_set(err, KW_EIO, "cannot start the outbox thread");
    }
    *out = p;
    return 0;
}

void kw_outbox_pump_wake(kw_outbox_pump *p) { kw_worker_wake(p->worker); }

int64_t kw_outbox_pump_published(kw_outbox_pump *p) { return atomic_load(&p->published); }

void kw_outbox_pump_stop(kw_outbox_pump *p)
{
    if (!p)
        return;
    kw_worker_stop(p->worker);
    free(p);
}
