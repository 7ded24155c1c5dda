#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/hub.h"

/* A subscriber whose sleep/wake just count, like a suspended connection. */
typedef struct waiter {
    int sleeps, wakes;
    bool asleep;
} waiter;

static void on_sleep(void *ctx)
{
    waiter *w = ctx;
    cr_assert_not(w->asleep, "slept twice");
    w->asleep = true;
    w->sleeps++;
}

static void on_wake(void *ctx)
{
    waiter *w = ctx;
    cr_assert(w->asleep, "woken while awake");
    w->asleep = false;
    w->wakes++;
}

static kw_hub *hub;

static kw_hub *make(size_t cap, int64_t start, kw_hub_replay_fn replay, void *ctx)
{
    kw_hub *h;
    kw_hub_options o = {cap, start, replay, ctx};
    cr_assert_eq(kw_hub_new(&o, &h), 0);
    return h;
}

static void publish(kw_hub *h, int64_t id, const char *type, int64_t owner, const char *data)
{
    kw_err e = {0};
    cr_assert_eq(kw_hub_publish(h, &(kw_hub_event){id, type, owner, data, strlen(data)}, &e), 0, "%s", e.msg);
}

static kw_hub_sub *sub(kw_hub *h, int64_t user, int64_t last, waiter *w)
{
    kw_hub_sub *s;
    cr_assert_eq(kw_hub_subscribe(h, user, last, &(kw_hub_waker){on_sleep, on_wake, w}, &s), 0);
    return s;
}

/* Reads events until the subscriber would sleep; returns their ids. */
static size_t drain(kw_hub_sub *s, int64_t *ids, size_t max, kw_hub_kind *last_kind)
{
    size_t n = 0;
    for (;;) {
        kw_hub_item it;
        kw_hub_next(s, true, &it);
        *last_kind = it.kind;
        if (it.kind != KW_HUB_EVENT)
            return n;
        cr_assert(n < max);
        ids[n++] = kw_hub_msg_id(it.msg);
        kw_hub_msg_release(it.msg);
    }
}

Test(hub, frames_are_server_sent_events)
{
    hub = make(8, 0, NULL, NULL);
    waiter w = {0};
    kw_hub_sub *s = sub(hub, 0, -1, &w);
    publish(hub, 7, "phase.changed", 0, "{\"phase\":\"working\"}");
    publish(hub, 9, "cycle.started", 0, "line1\nline2\r\nline3\rend");
    kw_hub_item it;
    kw_hub_next(s, true, &it);
    cr_assert_eq(it.kind, KW_HUB_EVENT);
    size_t len;
    const char *f = kw_hub_msg_frame(it.msg, &len);
    cr_assert_str_eq(f, "id: 7\nevent: phase.changed\ndata: {\"phase\":\"working\"}\n\n");
    cr_assert_eq(len, strlen(f));
    kw_hub_msg_release(it.msg);
    kw_hub_next(s, true, &it);
    f = kw_hub_msg_frame(it.msg, &len);
    cr_assert_str_eq(f, "id: 9\nevent: cycle.started\ndata: line1\ndata: line2\ndata: line3\ndata: end\n\n");
    kw_hub_msg_release(it.msg);
    kw_hub_unsubscribe(s);
    kw_hub_free(hub);
}

Test(hub, bad_events_are_refused)
{
    hub = make(8, 5, NULL, NULL);
    kw_err e;
    cr_assert_eq(kw_hub_publish(hub, &(kw_hub_event){5, "a", 0, "{}", 2}, &e), KW_EINVAL, "not above start_id");
    cr_assert_eq(kw_hub_publish(hub, &(kw_hub_event){6, "Bad Type", 0, "{}", 2}, &e), KW_EINVAL);
    cr_assert_eq(kw_hub_publish(hub, &(kw_hub_event){6, "", 0, "{}", 2}, &e), KW_EINVAL);
    cr_assert_eq(kw_hub_publish(hub, &(kw_hub_event){6, "a", 0, "{\0}", 3}, &e), KW_EINVAL);
    publish(hub, 6, "a", 0, "{}");
    cr_assert_eq(kw_hub_publish(hub, &(kw_hub_event){6, "a", 0, "{}", 2}, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "not above"));
    cr_assert_eq(kw_hub_last_id(hub), 6);
    kw_hub_free(hub);
}

Test(hub, sleep_and_wake_pair_up)
{
    hub = make(16, 0, NULL, NULL);
    waiter w = {0};
    kw_hub_sub *s = sub(hub, 0, -1, &w);
    int64_t ids[16];
    kw_hub_kind k;
    cr_assert_eq(drain(s, ids, 16, &k), 0);
    cr_assert_eq(k, KW_HUB_NONE);
    cr_assert(w.asleep);
    publish(hub, 1, "a", 0, "1");
    cr_assert_not(w.asleep, "a publish wakes the sleeper");
    publish(hub, 2, "a", 0, "2");
    cr_assert_eq(w.wakes, 1, "only a sleeper is woken");
    cr_assert_eq(drain(s, ids, 16, &k), 2);
    cr_assert_eq(ids[0], 1);
    cr_assert_eq(ids[1], 2);
    /* Not allowed to sleep: nothing happens. */
    kw_hub_item it;
    kw_hub_next(s, false, &it);
    cr_assert_eq(it.kind, KW_HUB_NONE);
    cr_assert_eq(w.sleeps, 2);
    kw_hub_heartbeat(hub);
    cr_assert_not(w.asleep);
    kw_hub_next(s, true, &it);
    cr_assert_eq(it.kind, KW_HUB_HEARTBEAT);
    kw_hub_next(s, true, &it);
    cr_assert_eq(it.kind, KW_HUB_NONE);
    kw_hub_close(hub);
    cr_assert_not(w.asleep);
    kw_hub_next(s, true, &it);
    cr_assert_eq(it.kind, KW_HUB_CLOSED);
    kw_hub_sub *late = sub(hub, 0, -1, &(waiter){0});
    kw_hub_next(late, true, &it);
    cr_assert_eq(it.kind, KW_HUB_CLOSED, "subscribers after close end at once");
    cr_assert_eq(kw_hub_subscribers(hub), 2);
    kw_hub_unsubscribe(late);
    kw_hub_unsubscribe(s);
    cr_assert_eq(kw_hub_subscribers(hub), 0);
    kw_hub_free(hub);
}

Test(hub, private_events_reach_only_their_owner)
{
    hub = make(64, 0, NULL, NULL);
    waiter wa = {0}, wb = {0}, wn = {0};
    kw_hub_sub *a = sub(hub, 42, -1, &wa), *b = sub(hub, 43, -1, &wb), *anon = sub(hub, 0, -1, &wn);
    int64_t ids[64];
    kw_hub_kind k;
    drain(a, ids, 64, &k);
    drain(b, ids, 64, &k);
    drain(anon, ids, 64, &k);
    publish(hub, 1, "balance.changed", 42, "{}");
    cr_assert_not(wa.asleep);
    cr_assert(wb.asleep && wn.asleep, "others are not woken for a private event");
    publish(hub, 2, "block.changed", 0, "{}");
    publish(hub, 3, "action.accepted", 43, "{}");
    cr_assert_eq(drain(a, ids, 64, &k), 2);
    cr_assert(ids[0] == 1 && ids[1] == 2);
    cr_assert_eq(drain(b, ids, 64, &k), 2);
    cr_assert(ids[0] == 2 && ids[1] == 3);
    cr_assert_eq(drain(anon, ids, 64, &k), 1);
    cr_assert_eq(ids[0], 2);
    kw_hub_unsubscribe(a);
    kw_hub_unsubscribe(b);
    kw_hub_unsubscribe(anon);
    kw_hub_free(hub);
}

Test(hub, a_sleeper_is_not_overrun_by_events_it_cannot_see)
{
    hub = make(4, 0, NULL, NULL);
    waiter w = {0};
    kw_hub_sub *s = sub(hub, 0, -1, &w);
    int64_t ids[8];
    kw_hub_kind k;
    drain(s, ids, 8, &k);
    for (int i = 1; i <= 20; i++)
        publish(hub, i, "balance.changed", 99, "{}");
    publish(hub, 21, "block.changed", 0, "{}");
    cr_assert_eq(drain(s, ids, 8, &k), 1);
    cr_assert_eq(ids[0], 21);
    cr_assert_eq(k, KW_HUB_NONE, "no gap is reported");
    kw_hub_unsubscribe(s);
    kw_hub_free(hub);
}

Test(hub, resume_from_the_ring)
{
    hub = make(8, 0, NULL, NULL);
    for (int i = 1; i <= 6; i++)
        publish(hub, i * 10, "a", 0, "{}");
    waiter w = {0};
    kw_hub_sub *s = sub(hub, 0, 30, &w);
    int64_t ids[8];
    kw_hub_kind k;
    cr_assert_eq(drain(s, ids, 8, &k), 3);
    cr_assert(ids[0] == 40 && ids[1] == 50 && ids[2] == 60);
    kw_hub_unsubscribe(s);
    w = (waiter){0};
    s = sub(hub, 0, 35, &w);
    cr_assert_eq(drain(s, ids, 8, &k), 3, "an id between events resumes after it");
    kw_hub_unsubscribe(s);
    w = (waiter){0};
    s = sub(hub, 0, 60, &w);
    cr_assert_eq(drain(s, ids, 8, &k), 0);
    kw_hub_unsubscribe(s);
    kw_hub_free(hub);
}

Test(hub, resume_too_old_without_replay_reports_the_gap)
{
    hub = make(4, 0, NULL, NULL);
    for (int i = 1; i <= 10; i++)
        publish(hub, i, "a", 0, "{}");
    waiter w = {0};
    kw_hub_sub *s = sub(hub, 0, 2, &w);
    kw_hub_item it;
    kw_hub_next(s, true, &it);
    cr_assert_eq(it.kind, KW_HUB_GAP);
    cr_assert_eq(it.gap_after, 2);
    int64_t ids[8];
    kw_hub_kind k;
    cr_assert_eq(drain(s, ids, 8, &k), 4);
    cr_assert(ids[0] == 7 && ids[3] == 10);
    kw_hub_unsubscribe(s);
    kw_hub_free(hub);
}

/* An outbox: events 1..N, some private, answered in batches. */
typedef struct outbox {
    int64_t last;
    int calls;
    bool fail;
} outbox;

static int replay(void *ctx, int64_t after, size_t limit, kw_hub_emit_fn emit, void *sink)
{
    outbox *o = ctx;
    o->calls++;
    if (o->fail)
        return KW_ETRANSIENT;
    char data[32];
    size_t n = 0;
    for (int64_t id = after + 1; id <= o->last && n < limit; id++, n++) {
        snprintf(data, sizeof data, "{\"n\":%lld}", (long long)id);
        int rc = emit(sink, &(kw_hub_event){id, "block.changed", id % 5 == 0 ? 7 : 0, data, strlen(data)});
        if (rc)
            return rc;
    }
    return 0;
}

Test(hub, resume_older_than_the_ring_replays_the_outbox)
{
    outbox ob = {0};
    hub = make(16, 0, replay, &ob);
    for (int64_t i = 1; i <= 1000; i++)
        publish(hub, i, "block.changed", i % 5 == 0 ? 7 : 0, "{}");
    ob.last = 1000;
    waiter w = {0};
    kw_hub_sub *s = sub(hub, 0, 3, &w);
    static int64_t ids[1000];
    kw_hub_kind k;
    size_t n = drain(s, ids, 1000, &k);
    cr_assert_eq(k, KW_HUB_NONE);
    /* 4..1000 without the multiples of 5 (private to user 7). */
    size_t want = 0;
    for (int64_t id = 4; id <= 1000; id++)
        if (id % 5) {
            cr_assert_eq(ids[want], id, "position %zu", want);
            want++;
        }
    cr_assert_eq(n, want);
    cr_assert_eq(ob.calls, 4, "batches of %d", KW_HUB_REPLAY_BATCH);
    publish(hub, 1001, "block.changed", 0, "{}");
    cr_assert_eq(drain(s, ids, 1000, &k), 1);
    cr_assert_eq(ids[0], 1001);
    kw_hub_unsubscribe(s);

    /* The owner gets its private events too. */
    w = (waiter){0};
    s = sub(hub, 7, 990, &w);
    n = drain(s, ids, 1000, &k);
    cr_assert_eq(n, 11);
    cr_assert_eq(ids[0], 991);
    cr_assert_eq(ids[4], 995);
    kw_hub_unsubscribe(s);

    /* Events from before the hub started are replayed too. */
    kw_hub *h2 = make(16, 1000, replay, &ob);
    w = (waiter){0};
    s = sub(h2, 0, 990, &w);
    cr_assert_eq(drain(s, ids, 1000, &k), 8);
    kw_hub_unsubscribe(s);
    kw_hub_free(h2);

    ob.fail = true;
    w = (waiter){0};
    s = sub(hub, 0, 3, &w);
    kw_hub_item it;
    kw_hub_next(s, true, &it);
    cr_assert_eq(it.kind, KW_HUB_FAILED, "a failed replay ends the stream so the client can retry");
    kw_hub_unsubscribe(s);
    kw_hub_free(hub);
}

Test(hub, a_slow_reader_is_caught_up_by_replay)
{
    outbox ob = {0};
    hub = make(8, 0, replay, &ob);
    waiter w = {0};
    kw_hub_sub *s = sub(hub, 0, -1, &w);
    for (int64_t i = 1; i <= 50; i++)
        publish(hub, i, "block.changed", i % 5 == 0 ? 7 : 0, "{}");
    ob.last = 50;
    int64_t ids[64];
    kw_hub_kind k;
    cr_assert_eq(drain(s, ids, 64, &k), 40);
    for (int i = 0; i < 40; i++)
        cr_assert_eq(ids[i], i + 1 + i / 4, "position %d", i);
    kw_hub_unsubscribe(s);
    kw_hub_free(hub);
}

typedef struct reader_arg {
    kw_hub_sub *s;
    int64_t count;
    bool ordered;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    int64_t last = 0;
    a->ordered = true;
    for (;;) {
        kw_hub_item it;
        kw_hub_next(a->s, false, &it);
        if (it.kind == KW_HUB_CLOSED)
            break;
        if (it.kind == KW_HUB_EVENT) {
            int64_t id = kw_hub_msg_id(it.msg);
            a->ordered = a->ordered && id == last + 1;
            last = id;
            a->count++;
            kw_hub_msg_release(it.msg);
        }
    }
    return NULL;
}

static void nop(void *ctx) { (void)ctx; }

Test(hub, concurrent_publish_and_read)
{
    hub = make(100000, 0, NULL, NULL);
    reader_arg a[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (reader_arg){0};
        cr_assert_eq(kw_hub_subscribe(hub, 0, 0, &(kw_hub_waker){nop, nop, NULL}, &a[i].s), 0);
        pthread_create(&t[i], NULL, reader, &a[i]);
    }
    for (int64_t i = 1; i <= 20000; i++)
        publish(hub, i, "a", 0, "{}");
    while (1) {
        bool done = true;
        for (int i = 0; i < 4; i++)
            done = done && __atomic_load_n(&a[i].count, __ATOMIC_RELAXED) == 20000;
        if (done)
            break;
        sched_yield();
    }
    kw_hub_close(hub);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert(a[i].ordered);
        kw_hub_unsubscribe(a[i].s);
    }
    kw_hub_free(hub);
}

/* An outbox that grows while it is read: the publisher is faster than the
 * reader and the ring moves on in between. */
static outbox racing;
static kw_hub *racing_hub;

static int racing_replay(void *ctx, int64_t after, size_t limit, kw_hub_emit_fn emit, void *sink)
{
    int64_t end = racing.last;
    if (racing.calls++ == 0)
        for (int i = 0; i < 10; i++) {
            racing.last++;
            publish(racing_hub, racing.last, "block.changed", 0, "{}");
        }
    (void)ctx;
    char data[] = "{}";
    size_t n = 0;
    for (int64_t id = after + 1; id <= end && n < limit; id++, n++) {
        int rc = emit(sink, &(kw_hub_event){id, "block.changed", 0, data, 2});
        if (rc)
            return rc;
    }
    return 0;
}

Test(hub, a_replay_overtaken_by_the_ring_reads_on)
{
    racing = (outbox){0};
    racing_hub = hub = make(4, 0, racing_replay, NULL);
    for (int64_t i = 1; i <= 10; i++)
        publish(hub, i, "block.changed", 0, "{}");
    racing.last = 10;
    waiter w = {0};
    kw_hub_sub *s = sub(hub, 0, 0, &w);
    int64_t ids[32];
    kw_hub_kind k;
    size_t n = drain(s, ids, 32, &k);
    cr_assert_eq(n, 20, "got %zu events", n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ids[i], (int64_t)i + 1);
    cr_assert_eq(k, KW_HUB_NONE);
    kw_hub_unsubscribe(s);
    kw_hub_free(hub);
}
