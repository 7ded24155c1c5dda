#include "api/hub.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kw_hub_msg {
    _Atomic int refs;
    int64_t id, owner;
    size_t len;
    char frame[];
};

struct kw_hub_sub {
    kw_hub *hub;
    kw_hub_sub *prev, *next;
    int64_t user_id;
    int64_t cursor;          /* every event ≤ cursor is delivered, queued or not for us */
    uint64_t next_seq;       /* ring position to read next */
    kw_hub_waker w;
    bool sleeping, heartbeat_due, replaying, gap_pending;
    int64_t gap_after;
    /* Replayed events waiting to be read (touched by the reader only). */
    kw_hub_msg **queue;
    size_t qlen, qpos, qcap;
    size_t emitted;          /* events the current replay batch produced */
    int emit_rc;
};

struct kw_hub {
    pthread_mutex_t mu;
    kw_hub_msg **ring;
    size_t cap;
    uint64_t head;           /* sequence number of the next event */
    int64_t last_id;
    int64_t evicted_id;      /* newest id no longer in the ring */
    kw_hub_sub *subs;
    size_t nsubs;
    bool closed;
    kw_hub_replay_fn replay;
    void *replay_ctx;
};

int kw_hub_new(const kw_hub_options *o, kw_hub **out)
{
    if (o->capacity < 1 || o->start_id < 0)
        return KW_EINVAL;
    kw_hub *h = calloc(1, sizeof *h);
    if (!h || !(h->ring = calloc(o->capacity, sizeof *h->ring))) {
        free(h);
        return KW_ENOMEM;
    }
    pthread_mutex_init(&h->mu, NULL);
    h->cap = o->capacity;
    h->last_id = h->evicted_id = o->start_id;
    h->replay = o->replay;
    h->replay_ctx = o->replay_ctx;
    *out = h;
    return 0;
}

void kw_hub_msg_release(kw_hub_msg *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        free(m);
}

void kw_hub_free(kw_hub *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->cap; i++)
        kw_hub_msg_release(h->ring[i]);
    free(h->ring);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static bool valid_type(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > KW_HUB_TYPE_MAX)
        return false;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '.' || *t == '_' || *t == '-'))
            return false;
    return true;
}

/* Builds the SSE frame of ev: CR, LF and CRLF in the payload start new
 * `data:` lines, as the SSE format requires. */
static int msg_new(const kw_hub_event *ev, kw_hub_msg **out, kw_err *err)
{
    if (ev->id <= 0)
        return kw_err_set(err, KW_EINVAL, "event ids start at 1, got %lld", (long long)ev->id);
    if (!valid_type(ev->type))
        return kw_err_set(err, KW_EINVAL, "event type must be 1-%d characters of a-z 0-9 . _ -", KW_HUB_TYPE_MAX);
    if (ev->len && (!ev->data || memchr(ev->data, 0, ev->len)))
        return kw_err_set(err, KW_EINVAL, "event data must be text without NUL bytes");
    size_t lines = 1;
    for (size_t i = 0; i < ev->len; i++)
        if (ev->data[i] == '\n' || (ev->data[i] == '\r' && !(i + 1 < ev->len && ev->data[i + 1] == '\n')))
            lines++;
    char head[128];
    int hn = snprintf(head, sizeof head, "id: %lld\nevent: %s\n", (long long)ev->id, ev->type);
    size_t size = (size_t)hn + lines * 7 + ev->len + 2;
    kw_hub_msg *m = malloc(sizeof *m + size);
    if (!m)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    atomic_init(&m->refs, 1);
    m->id = ev->id;
    m->owner = ev->owner;
    char *p = m->frame;
    memcpy(p, head, (size_t)hn);
    p += hn;
    memcpy(p, "data: ", 6);
    p += 6;
    for (size_t i = 0; i < ev->len; i++) {
        char c = ev->data[i];
        if (c == '\r' && i + 1 < ev->len && ev->data[i + 1] == '\n')
            continue;
        if (c == '\r' || c == '\n') {
            memcpy(p, "\ndata: ", 7);
            p += 7;
        } else {
            *p++ = c;
        }
    }
    *p++ = '\n';
    *p++ = '\n';
    *p = 0;
    m->len = (size_t)(p - m->frame);
    *out = m;
    return 0;
}

static bool visible(const kw_hub_msg *m, const kw_hub_sub *s)
{
    return m->owner == 0 || (s->user_id != 0 && m->owner == s->user_id);
}

static uint64_t oldest_seq(const kw_hub *h) { return h->head > h->cap ? h->head - h->cap : 0; }

/* The first ring position holding an id above `id` (ids grow with seq). */
static uint64_t first_after(const kw_hub *h, int64_t id)
{
    uint64_t lo = oldest_seq(h), hi = h->head;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (h->ring[mid % h->cap]->id <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void wake(kw_hub_sub *s)
{
    s->sleeping = false;
    s->w.wake(s->w.ctx);
}

int kw_hub_publish(kw_hub *h, const kw_hub_event *ev, kw_err *err)
{
    kw_hub_msg *m;
    int rc = msg_new(ev, &m, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&h->mu);
    if (ev->id <= h->last_id) {
        int64_t last = h->last_id;
        pthread_mutex_unlock(&h->mu);
        free(m);
        return kw_err_set(err, KW_EINVAL, "event id %lld is not above the last one (%lld)", (long long)ev->id,
                          (long long)last);
    }
    kw_hub_msg **slot = &h->ring[h->head % h->cap];
    if (*slot) {
        h->evicted_id = (*slot)->id;
        kw_hub_msg_release(*slot);
    }
    *slot = m;
    h->head++;
    h->last_id = m->id;
    for (kw_hub_sub *s = h->subs; s; s = s->next) {
        if (!s->sleeping)
            continue;
        if (visible(m, s)) {
            wake(s);
        } else {
            /* A sleeper has read everything before; this one is not for it. */
            s->next_seq = h->head;
            s->cursor = m->id;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return 0;
}

int64_t kw_hub_last_id(kw_hub *h)
{
    pthread_mutex_lock(&h->mu);
    int64_t id = h->last_id;
    pthread_mutex_unlock(&h->mu);
    return id;
}

/* Points s at the ring right after its cursor, or asks for a replay (or
 * reports a gap) when the ring no longer holds what follows. */
static void position(kw_hub *h, kw_hub_sub *s)
{
    if (s->cursor >= h->evicted_id) {
        s->next_seq = first_after(h, s->cursor);
    } else if (h->replay) {
        s->replaying = true;
    } else {
        s->gap_pending = true;
        s->gap_after = s->cursor;
        s->next_seq = oldest_seq(h);
    }
}

int kw_hub_subscribe(kw_hub *h, int64_t user_id, int64_t last_id, const kw_hub_waker *w, kw_hub_sub **out)
{
    kw_hub_sub *s = calloc(1, sizeof *s);
    if (!s)
        return KW_ENOMEM;
    s->hub = h;
    s->user_id = user_id;
    s->w = *w;
    pthread_mutex_lock(&h->mu);
    if (last_id < 0) {
        s->cursor = h->last_id;
        s->next_seq = h->head;
    } else {
        s->cursor = last_id;
        position(h, s);
    }
    s->next = h->subs;
    if (h->subs)
        h->subs->prev = s;
    h->subs = s;
    h->nsubs++;
    pthread_mutex_unlock(&h->mu);
    *out = s;
    return 0;
}

static void drop_queue(kw_hub_sub *s)
{
    for (size_t i = s->qpos; i < s->qlen; i++)
        kw_hub_msg_release(s->queue[i]);
    s->qlen = s->qpos = 0;
}

void kw_hub_unsubscribe(kw_hub_sub *s)
{
    if (!s)
        return;
    kw_hub *h = s->hub;
    pthread_mutex_lock(&h->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        h->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    h->nsubs--;
    pthread_mutex_unlock(&h->mu);
    drop_queue(s);
    free(s->queue);
    free(s);
}

static int emit(void *sink, const kw_hub_event *ev)
{
    kw_hub_sub *s = sink;
    if (ev->id <= s->cursor)
        return 0;
    kw_hub_msg *m;
    int rc = msg_new(ev, &m, NULL);
    if (rc)
        return s->emit_rc = rc;
    s->cursor = m->id;
    s->emitted++;
    if (!visible(m, s)) {
        kw_hub_msg_release(m);
        return 0;
    }
    if (s->qlen == s->qcap) {
        size_t cap = s->qcap ? s->qcap * 2 : 64;
        kw_hub_msg **q = realloc(s->queue, cap * sizeof *q);
        if (!q) {
            kw_hub_msg_release(m);
            return s->emit_rc = KW_ENOMEM;
        }
        s->queue = q;
        s->qcap = cap;
    }
    s->queue[s->qlen++] = m;
    return 0;
}

/* One batch from the replay hook into s's queue; called without the lock. */
static int replay_batch(kw_hub *h, kw_hub_sub *s)
{
    drop_queue(s);
    s->emitted = 0;
    s->emit_rc = 0;
    int rc = h->replay(h->replay_ctx, s->cursor, KW_HUB_REPLAY_BATCH, emit, s);
    return rc ? rc : s->emit_rc;
}

void kw_hub_next(kw_hub_sub *s, bool may_sleep, kw_hub_item *out)
{
    kw_hub *h = s->hub;
    *out = (kw_hub_item){0};
    pthread_mutex_lock(&h->mu);
    for (;;) {
        if (h->closed) {
            out->kind = KW_HUB_CLOSED;
            break;
        }
        if (s->qpos < s->qlen) {
            out->kind = KW_HUB_EVENT;
            out->msg = s->queue[s->qpos++];
            break;
        }
        if (s->replaying) {
            pthread_mutex_unlock(&h->mu);
            int rc = replay_batch(h, s);
            pthread_mutex_lock(&h->mu);
            if (rc) {
                out->kind = KW_HUB_FAILED;
                break;
            }
            if (s->emitted == KW_HUB_REPLAY_BATCH)
                continue;
            if (s->cursor < h->evicted_id) {
                /* While the outbox was read, the ring moved past its end:
                 * read on. Only an outbox with nothing more has a gap. */
                if (s->emitted > 0)
                    continue;
                s->gap_pending = true;
                s->gap_after = s->cursor;
                s->cursor = h->evicted_id;
            }
            s->replaying = false;
            s->next_seq = first_after(h, s->cursor);
            continue;
        }
        if (s->gap_pending) {
            s->gap_pending = false;
            out->kind = KW_HUB_GAP;
            out->gap_after = s->gap_after;
            break;
        }
        if (s->next_seq < oldest_seq(h)) {
            /* A slow reader: the ring moved past it. */
            position(h, s);
            continue;
        }
        kw_hub_msg *m = NULL;
        while (!m && s->next_seq < h->head) {
            kw_hub_msg *c = h->ring[s->next_seq++ % h->cap];
            if (c->id > s->cursor) {
                s->cursor = c->id;
                if (visible(c, s))
                    m = c;
            }
        }
        if (m) {
            atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
            out->kind = KW_HUB_EVENT;
            out->msg = m;
            break;
        }
        if (s->heartbeat_due) {
            s->heartbeat_due = false;
            out->kind = KW_HUB_HEARTBEAT;
            break;
        }
        if (may_sleep) {
            s->sleeping = true;
            s->w.sleep(s->w.ctx);
        }
        break;
    }
    pthread_mutex_unlock(&h->mu);
}

int64_t kw_hub_msg_id(const kw_hub_msg *m) { return m->id; }

const char *kw_hub_msg_frame(const kw_hub_msg *m, size_t *len)
{
    *len = m->len;
    return m->frame;
}

void kw_hub_heartbeat(kw_hub *h)
{
    pthread_mutex_lock(&h->mu);
    for (kw_hub_sub *s = h->subs; s; s = s->next) {
        s->heartbeat_due = true;
        if (s->sleeping)
            wake(s);
    }
    pthread_mutex_unlock(&h->mu);
}

void kw_hub_close(kw_hub *h)
{
    pthread_mutex_lock(&h->mu);
    h->closed = true;
    for (kw_hub_sub *s = h->subs; s; s = s->next)
        if (s->sleeping)
            wake(s);
    pthread_mutex_unlock(&h->mu);
}

size_t kw_hub_subscribers(kw_hub *h)
{
    pthread_mutex_lock(&h->mu);
    size_t n = h->nsubs;
    pthread_mutex_unlock(&h->mu);
    return n;
}
