/*
 * pubdoc — an immutable document that one writer replaces and many readers
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
#ifndef KW_ENGINE_PUBDOC_H
#define KW_ENGINE_PUBDOC_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct kw_pubdoc_slot {
    atomic_int readers;
    char *buf;
    size_t len;
} kw_pubdoc_slot;

typedef struct kw_pubdoc {
    kw_pubdoc_slot slot[2];
    atomic_int current;
    atomic_ulong version;   /* increments on every publish */
} kw_pubdoc;

/* Starts with an empty document (len 0). */
void kw_pubdoc_init(kw_pubdoc *s);
/* Frees both documents; no reader may be active. */
void kw_pubdoc_destroy(kw_pubdoc *s);

/* Replaces the document with buf (malloc'd; ownership is taken). */
void kw_pubdoc_publish_take(kw_pubdoc *s, char *buf, size_t len);

/* Pins the current document: *buf and *len stay valid until kw_pubdoc_release
 * with the returned slot index. */
int kw_pubdoc_acquire(kw_pubdoc *s, const char **buf, size_t *len);
void kw_pubdoc_release(kw_pubdoc *s, int slot);

#endif
