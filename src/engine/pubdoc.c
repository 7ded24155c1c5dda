#include "engine/pubdoc.h"

#include <sched.h>
#include <stdlib.h>

void kw_pubdoc_init(kw_pubdoc *s)
{
    for (int i = 0; i < 2; i++) {
        atomic_init(&s->slot[i].readers, 0);
        s->slot[i].buf = NULL;
        s->slot[i].len = 0;
    }
    atomic_init(&s->current, 0);
    atomic_init(&s->version, 0);
}

void kw_pubdoc_destroy(kw_pubdoc *s)
{
    for (int i = 0; i < 2; i++) {
        free(s->slot[i].buf);
        s->slot[i].buf = NULL;
    }
}

void kw_pubdoc_publish_take(kw_pubdoc *s, char *buf, size_t len)
{
    int next = 1 - atomic_load(&s->current);
    kw_pubdoc_slot *sl = &s->slot[next];
    /* A reader may still hold the previous-but-one document for its copy. */
    while (atomic_load(&sl->readers) != 0)
        sched_yield();
    free(sl->buf);
    sl->buf = buf;
    sl->len = len;
    atomic_store(&s->current, next);
    atomic_fetch_add(&s->version, 1);
}

int kw_pubdoc_acquire(kw_pubdoc *s, const char **buf, size_t *len)
{
    for (;;) {
        int cur = atomic_load(&s->current);
        atomic_fetch_add(&s->slot[cur].readers, 1);
        if (atomic_load(&s->current) == cur) {
            *buf = s->slot[cur].buf ? s->slot[cur].buf : "";
            *len = s->slot[cur].len;
            return cur;
        }
        atomic_fetch_sub(&s->slot[cur].readers, 1);
    }
}

void kw_pubdoc_release(kw_pubdoc *s, int slot)
{
    atomic_fetch_sub(&s->slot[slot].readers, 1);
}
