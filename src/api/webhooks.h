/*
 * webhooks — delivery of outbox events to users' HTTP endpoints (SPEC §10, §11).
 *
 * A webhook belongs to a user and names the event types it wants (or all).
 * It receives the public events and its owner's private ones, from the
 * moment it was registered.
 *
 * Fan-out (kw_webhooks_enqueue) reads the outbox after a cursor kept in the
 * database (service_state "webhooks.cursor"), so events committed while the
 * service was down are delivered after a restart, and writes one
 * webhook_deliveries row per (webhook, event) — the unique index makes a
 * repeated pass harmless — in the same transaction that advances the cursor.
 *
 * Delivery (kw_webhooks_deliver) claims due rows (so several replicas never
 * send one delivery at the same time), POSTs
 *
 *     {"id": <event id>, "type": "cycle.settled", "created_at": "…", "data": {…}}
 *
 * with the headers X-Kalewx-Event, X-Kalewx-Event-Id, X-Kalewx-Delivery and
 *
 *     X-Kalewx-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * and records the outcome. A 2xx reply is delivered; anything else (another
 * status, a network error, a timeout) is retried after retry_base_ms · 2^(n−1)
 * (at most an hour) until 24 hours after the event reached the webhook, and
 * then the delivery is failed. Receivers deduplicate by X-Kalewx-Event-Id:
 * a reply lost on the way back means the event is sent again.
 *
 * Time is the injected clock's; the sender is injected too (libcurl when
 * NULL), so tests drive retries without waiting. kw_webhooks_start runs
 * enqueue and deliver on a thread of its own.
 *
 * Thread-safety: wake is thread-safe; enqueue and deliver may run on several
 * threads or processes (the database arbitrates); start/stop/free are not.
 */
#ifndef KW_API_WEBHOOKS_H
#define KW_API_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "obs/clock.h"
#include "store/store.h"

#define KW_WEBHOOK_URL_MAX 2048
#define KW_WEBHOOK_SECRET_LEN 70           /* "whsec_" + 64 hex digits */
#define KW_WEBHOOK_WINDOW_MS (INT64_C(24) * 3600 * 1000)
#define KW_WEBHOOK_DELAY_MAX_MS (INT64_C(3600) * 1000)
#define KW_WEBHOOK_SIGNATURE_MAX 96

/* Posts body to url with the given "Name: value" headers within timeout_ms.
 * Returns 0 when a reply arrived (any status, in *status), or a negative
 * KW_E* with a message for a failure to connect, send or receive. */
typedef struct kw_webhook_sender {
    int (*post)(void *ctx, const char *url, const char *const *headers, size_t nheaders, const char *body,
                size_t len, int64_t timeout_ms, long *status, kw_err *err);
    void *ctx;
} kw_webhook_sender;

typedef struct kw_webhooks_options {
    kw_store *store;
    const kw_clock *clock;         /* NULL: the system clock */
    int64_t retry_base_ms;         /* WEBHOOK_RETRY_BASE_MS */
    int64_t timeout_ms;            /* WEBHOOK_TIMEOUT_MS */
    int64_t poll_ms;               /* the thread's longest sleep (OUTBOX_POLL_MS) */
    int64_t hole_wait_ms;          /* see outbox.h */
    kw_webhook_sender sender;      /* .post NULL: libcurl */
} kw_webhooks_options;

typedef struct kw_webhooks kw_webhooks;

int kw_webhooks_new(const kw_webhooks_options *o, kw_webhooks **out, kw_err *err) KW_WUR;
void kw_webhooks_free(kw_webhooks *w);

/* Fans the outbox's new events out into deliveries; *events counts the
 * events read (may be NULL). */
int kw_webhooks_enqueue(kw_webhooks *w, int *events, kw_err *err) KW_WUR;
/* Sends up to max due deliveries; *attempted (may be NULL) counts them.
 * *next_due_ms (may be NULL) gets the time of the next pending delivery,
 * or INT64_MAX. */
int kw_webhooks_deliver(kw_webhooks *w, int max, int *attempted, int64_t *next_due_ms, kw_err *err) KW_WUR;

/* Runs enqueue and deliver on a thread until kw_webhooks_stop. */
int kw_webhooks_start(kw_webhooks *w, kw_err *err) KW_WUR;
/* New events may be waiting. */
void kw_webhooks_wake(kw_webhooks *w);
void kw_webhooks_stop(kw_webhooks *w);

/* The delay before attempt n+1 after n failed attempts (n ≥ 1). */
int64_t kw_webhook_backoff_ms(int64_t base_ms, int64_t attempts);

/* "t=<t>,v1=<hex>" into out (KW_WEBHOOK_SIGNATURE_MAX bytes). */
void kw_webhook_signature(const char *secret, int64_t t, const char *body, size_t len,
                          char out[KW_WEBHOOK_SIGNATURE_MAX]);

/* A new secret ("whsec_" + 64 hex digits) into out (KW_WEBHOOK_SECRET_LEN + 1 bytes). */
int kw_webhook_secret_new(char out[KW_WEBHOOK_SECRET_LEN + 1], kw_err *err) KW_WUR;

/* KW_EINVAL naming the problem unless url is an absolute http(s) URL of at
 * most KW_WEBHOOK_URL_MAX printable ASCII characters with a host; with
 * https_only (production) plain http is refused too. */
int kw_webhook_check_url(const char *url, bool https_only, kw_err *err) KW_WUR;

/* Whether type is one of the event types of SPEC §11. */
bool kw_webhook_event_known(const char *type);

#endif
