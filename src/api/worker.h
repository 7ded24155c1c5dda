/*
 * worker — a background thread that runs one function over and over: at
 * once when woken, otherwise after the wait the function asked for. The
 * outbox pump and the webhook dispatcher are workers.
 *
 *     static int64_t pass(void *ctx) { ...; return more ? 0 : 1000; }
 *     kw_worker *w;
 *     if (kw_worker_start("outbox", pass, ctx, &w) != 0) ...
 *     kw_worker_wake(w);     // from any thread
 *     kw_worker_stop(w);     // waits for the pass in progress
 *
 * A wake during a pass makes the next pass start right after it, so no
 * wake-up is lost. The name is the log correlation id of the thread.
 *
 * Thread-safety: wake is thread-safe; start and stop are not.
 */
#ifndef KW_API_WORKER_H
#define KW_API_WORKER_H

#include <stdint.h>

#include "core/err.h"

/* Runs one pass; returns how many ms to wait before the next (≤ 0: none). */
typedef int64_t (*kw_worker_fn)(void *ctx);

typedef struct kw_worker kw_worker;

/* KW_ENOMEM or KW_EIO when the thread cannot start. name must be static. */
int kw_worker_start(const char *name, kw_worker_fn fn, void *ctx, kw_worker **out) KW_WUR;
void kw_worker_wake(kw_worker *w);
/* Stops after the pass in progress and frees; NULL is ignored. */
void kw_worker_stop(kw_worker *w);

#endif
