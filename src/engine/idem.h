/*
 * idem — Idempotency-Key records written in the transaction of the effect
 * they stand for.
 *
 * The HTTP layer also remembers replies by key, but it can only store a reply
 * after the handler's transaction has committed; a crash (or a full disk)
 * between the two would let the client's retry run the effect a second time.
 * Operations that move money — actions, deposits, withdrawals — therefore
 * look their key up and store their result inside their own transaction:
 * either both the effect and the record are there, or neither is.
 *
 * A record is (scope, key) → SHA-256 of the request's canonical form and a
 * small JSON result; it lives 24 hours (the HTTP layer purges old ones).
 * Thread-safety: plain functions on the caller's connection.
 */
#ifndef KW_ENGINE_IDEM_H
#define KW_ENGINE_IDEM_H

#include <stdint.h>

#include "store/store.h"

#define KW_IDEM_KEY_MAX 255
#define KW_IDEM_TTL_MS (INT64_C(24) * 3600 * 1000)

typedef struct kw_idem {
    char scope[48];       /* operation and caller, e.g. "actions:12" */
    const char *key;      /* the client's Idempotency-Key (borrowed) */
    uint8_t hash[32];     /* SHA-256 of the request's canonical form */
} kw_idem;

/* Fills k for operation op of user; canon is the request in a form where two
 * requests are equal exactly when they ask for the same thing. KW_EINVAL
 * when key is empty or longer than KW_IDEM_KEY_MAX. */
int kw_idem_init(kw_idem *k, const char *op, int64_t user, const char *key, const void *canon, size_t n,
                 kw_err *err) KW_WUR;

/* 1 with *result (malloc'd JSON text, the caller frees it) when the key was
 * used for this same request; 0 when it is new; KW_ECONFLICT when it was used
 * for a different request; or a database error. An expired record is
 * removed and counts as new. */
int kw_idem_find(kw_db *db, const kw_idem *k, int64_t now_ms, char **result, kw_err *err) KW_WUR;

/* Stores result (JSON text) for k. When a concurrent twin stored it first,
 * returns KW_ETRANSIENT so that kw_store_tx runs the transaction again and
 * kw_idem_find then replays the twin's result. */
int kw_idem_put(kw_db *db, const kw_idem *k, int status, const char *result, int64_t now_ms, kw_err *err) KW_WUR;

#endif
