/*
 * snapshot — an immutable document that one writer replaces and many readers
 * read without locks (the /api/v1/cycles/current reply, SPEC §10).
 *
 * Two slots and a current index. A reader pins the current slot by raising
 * its reader count and re-checking that it is still current; the writer
 * fills the other slot only once no reader has it pinned, then flips the
 * index. Readers never wait and never take a lock; the writer waits only for
 * readers of the previous-but-one document, which hold it for a copy.
 *
 * Thread-safety: any number of readers; exactly one writer thread at a time.
 */
#ifndef KW_ENGINE_SNAPSHOT_H
#define KW_ENGINE_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct kw_snapshot_slot {
    atomic_int readers;
    char *buf;
    size_t len;
} kw_snapshot_slot;

typedef struct kw_snapshot {
    kw_snapshot_slot slot[2];
    atomic_int current;
    atomic_ulong version;   /* increments on every publish */
} kw_snapshot;

/* Starts with an empty document (len 0). */
void kw_snapshot_init(kw_snapshot *s);
/* Frees both documents; no reader may be active. */
void kw_snapshot_destroy(kw_snapshot *s);

/* Replaces the document with buf (malloc'd; ownership is taken). */
void kw_snapshot_publish_take(kw_snapshot *s, char *buf, size_t len);

/* Pins the current document: *buf and *len stay valid until kw_snapshot_release
 * with the returned slot index. */
int kw_snapshot_acquire(kw_snapshot *s, const char **buf, size_t *len);
void kw_snapshot_release(kw_snapshot *s, int slot);

#endif
