/*
 * webhooks and the outbox reader on a real database (both backends), with a
 * manual clock and a sender in the test: fan-out to the right webhooks once
 * per (webhook, event), signatures, retries with backoff until success, the
 * 24-hour give-up, a restart that delivers what was committed meanwhile, and
 * holes in the outbox ids.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "../store/fixture.h"
#include "api/outbox.h"
#include "api/webhooks.h"
#include "crypto/sha.h"
#include "engine/events.h"
#include "obs/log.h"

#define T0 INT64_C(1800000000000)

/* ---- pure parts ---- */

Test(webhooks, signature_is_hmac_of_time_dot_body)
{
    char sig[KW_WEBHOOK_SIGNATURE_MAX];
    const char body[] = "{\"id\":1}";
    kw_webhook_signature("whsec_test", 1700000000, body, strlen(body), sig);
    /* Python: hmac.new(b'whsec_test', b'1700000000.{"id":1}', sha256).hexdigest() */
    cr_assert_str_eq(sig, "t=1700000000,v1=2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8");
}

Test(webhooks, backoff_doubles_up_to_an_hour)
{
    cr_assert_eq(kw_webhook_backoff_ms(1000, 1), 1000);
    cr_assert_eq(kw_webhook_backoff_ms(1000, 2), 2000);
    cr_assert_eq(kw_webhook_backoff_ms(1000, 4), 8000);
    cr_assert_eq(kw_webhook_backoff_ms(1000, 12), 2048000);
    cr_assert_eq(kw_webhook_backoff_ms(1000, 13), 3600000);
    cr_assert_eq(kw_webhook_backoff_ms(1000, 1000000), 3600000);
}

Test(webhooks, urls_and_secrets)
{
    kw_err e;
    cr_assert_eq(kw_webhook_check_url("https://example.com/hook", true, &e), 0);
    cr_assert_eq(kw_webhook_check_url("http://127.0.0.1:8080/x?y=1", false, &e), 0);
    const char *bad[] = {"ftp://example.com", "http://", "https://user:pw@example.com/", "http://exa mple.com",
                         "example.com/hook", "javascript:alert(1)", "http://:80/", "http://ex\x01.com"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(kw_webhook_check_url(bad[i], false, &e), KW_EINVAL, "%s accepted", bad[i]);
    cr_assert_eq(kw_webhook_check_url("http://example.com/", true, &e), KW_EINVAL, "production wants https");
    char s1[KW_WEBHOOK_SECRET_LEN + 1], s2[KW_WEBHOOK_SECRET_LEN + 1];
    cr_assert_eq(kw_webhook_secret_new(s1, &e), 0);
    cr_assert_eq(kw_webhook_secret_new(s2, &e), 0);
    cr_assert_eq(strlen(s1), KW_WEBHOOK_SECRET_LEN);
    cr_assert(strncmp(s1, "whsec_", 6) == 0 && strcmp(s1, s2) != 0);
    cr_assert(kw_webhook_event_known("cycle.settled") && !kw_webhook_event_known("cycle.exploded"));
}

/* ---- delivery on a database ---- */

typedef struct received {
    char url[128];
    int64_t event_id;
    char type[64];
    int64_t at;
} received;

static struct sender_state {
    kw_manual_clock clock;
    int fail_first;          /* answer 500 to the first N posts */
    bool always_fail;
    int posts;
    received got[64];
    int ngot;                /* successful posts */
    const char *secret;
} S;

static const char *header(const char *const *h, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strncmp(h[i], name, len) == 0 && h[i][len] == ':')
            return h[i] + len + 2;
    return NULL;
}

static int fake_post(void *ctx, const char *url, const char *const *headers, size_t nheaders, const char *body,
                     size_t len, int64_t timeout_ms, long *status, kw_err *err)
{
    (void)ctx, (void)timeout_ms, (void)err;
    S.posts++;
    /* The receiver's check: HMAC of "t.body" with the secret, t within 5 minutes. */
    const char *sig = header(headers, nheaders, "X-Kalewx-Signature");
    cr_assert(sig, "no signature header");
    long long t;
    char v1[65];
    cr_assert_eq(sscanf(sig, "t=%lld,v1=%64s", &t, v1), 2, "signature \"%s\"", sig);
    cr_assert(llabs(t * 1000 - S.clock.now) < 300000, "signature time %lld vs clock %lld", t, (long long)S.clock.now);
    char msg[4096];
    int n = snprintf(msg, sizeof msg, "%lld.%.*s", t, (int)len, body);
    uint8_t mac[32];
    unsigned mlen = 32;
    HMAC(EVP_sha256(), S.secret, (int)strlen(S.secret), (const uint8_t *)msg, (size_t)n, mac, &mlen);
    char hex[65];
    kw_hex_encode(mac, 32, hex);
    hex[64] = 0;
    cr_assert_str_eq(v1, hex, "the signature does not verify");
    json_t *j = json_loadb(body, len, 0, NULL);
    cr_assert(j && json_is_object(json_object_get(j, "data")), "body %.*s", (int)len, body);
    cr_assert_eq(json_integer_value(json_object_get(j, "id")), atoll(header(headers, nheaders, "X-Kalewx-Event-Id")));
    if (S.always_fail || S.posts <= S.fail_first) {
        json_decref(j);
        *status = 500;
        return 0;
    }
    received *r = &S.got[S.ngot++];
    snprintf(r->url, sizeof r->url, "%s", url);
    r->event_id = json_integer_value(json_object_get(j, "id"));
    snprintf(r->type, sizeof r->type, "%s", json_string_value(json_object_get(j, "type")));
    r->at = S.clock.now;
    json_decref(j);
    *status = 204;
    return 0;
}

static kw_store *st;

static void setup(void)
{
    kw_log_setup(KW_LOG_ERROR, "test", 2);
    memset(&S, 0, sizeof S);
    kw_manual_clock_init(&S.clock, T0);
    S.secret = "whsec_0123456789";
    st = kwt_open();
}

static void teardown(void) { kwt_close(st); }

static const kw_sql SQL_HOOK = {
    .sql = "INSERT INTO webhooks (user_id, url, secret, event_types, active, created_at, updated_at) "
           "VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING id"};
static const kw_sql SQL_DELIVERY = {
    .sql = "SELECT status, attempts, next_attempt_at, COALESCE(response_status, 0) FROM webhook_deliveries "
           "WHERE webhook_id = $1 AND event_id = $2"};
static const kw_sql SQL_DELIVERIES = {.sql = "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = $1"};

static int64_t hook(int64_t user, const char *url, const char *types, int64_t at)
{
    kw_db *db;
    kw_err e = {0};
    int64_t id;
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &e), 0);
    cr_assert_eq(kw_db_query_int(db, &SQL_HOOK, KW_ARGS(KW_I(user), KW_T(url), KW_T(S.secret), KW_T(types), KW_I(at)),
                                 &id, &e),
                 0, "%s", e.msg);
    kw_store_release(st, db);
    return id;
}

static int64_t event(const char *type, int64_t owner, int64_t at)
{
    kw_db *db;
    kw_err e = {0};
    int64_t id;
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &e), 0);
    cr_assert_eq(kw_db_begin(db, &e), 0);
    cr_assert_eq(kw_events_append(db, type, owner, 7, json_pack("{s:s}", "k", type), at, &id, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_db_commit(db, &e), 0);
    kw_store_release(st, db);
    return id;
}

static int64_t count(const kw_sql *sql, int64_t a)
{
    kw_db *db;
    kw_err e = {0};
    int64_t n;
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_db_query_int(db, sql, KW_ARGS(KW_I(a)), &n, &e), 0, "%s", e.msg);
    kw_store_release(st, db);
    return n;
}

typedef struct delivery {
    char status[16];
    int64_t attempts, next, response;
} delivery;

static delivery state_of(int64_t webhook, int64_t ev)
{
    kw_db *db;
    kw_rows *r;
    kw_err e = {0};
    delivery d = {0};
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_db_query(db, &SQL_DELIVERY, KW_ARGS(KW_I(webhook), KW_I(ev)), &r, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_rows_next(r, &e), 1, "no delivery of event %lld to webhook %lld", (long long)ev, (long long)webhook);
    snprintf(d.status, sizeof d.status, "%s", kw_rows_text(r, 0));
    d.attempts = kw_rows_int(r, 1);
    d.next = kw_rows_int(r, 2);
    d.response = kw_rows_int(r, 3);
    kw_rows_close(r);
    kw_store_release(st, db);
    return d;
}

static kw_webhooks *dispatcher(void)
{
    kw_webhooks *w;
    kw_err e = {0};
    kw_webhooks_options o = {.store = st, .clock = &S.clock.clock, .retry_base_ms = 1000, .timeout_ms = 1000,
                             .hole_wait_ms = 5000, .sender = {fake_post, NULL}};
    cr_assert_eq(kw_webhooks_new(&o, &w, &e), 0, "%s", e.msg);
    return w;
}

static void run(kw_webhooks *w, int *attempted)
{
    kw_err e = {0};
    int64_t next;
    cr_assert_eq(kw_webhooks_enqueue(w, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_webhooks_deliver(w, 32, attempted, &next, &e), 0, "%s", e.msg);
}

/* A user "alice" and a dispatcher whose cursor is at the outbox's end. */
static kw_webhooks *start(int64_t *alice)
{
    kw_db *db;
    kw_err e = {0};
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &e), 0);
    *alice = kwt_user(db, "alice");
    kw_store_release(st, db);
    kw_webhooks *w = dispatcher();
    int n;
    run(w, &n);
    return w;
}

Test(webhooks, fan_out_once_per_webhook_and_event, .init = setup, .fini = teardown)
{
    kw_db *db;
    kw_err e = {0};
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &e), 0);
    int64_t alice = kwt_user(db, "alice"), bob = kwt_user(db, "bob");
    kw_store_release(st, db);
    kw_webhooks *w = dispatcher();
    int n;
    run(w, &n); /* the cursor starts at the outbox's end */
    int64_t all = hook(alice, "http://a/all", "*", T0);
    int64_t settled = hook(alice, "http://a/settled", ",cycle.settled,", T0);
    int64_t bobs = hook(bob, "http://b/all", "*", T0);
    int64_t e1 = event("block.changed", 0, T0 + 1);
    int64_t e2 = event("balance.changed", alice, T0 + 2);
    int64_t e3 = event("cycle.settled", 0, T0 + 3);
    run(w, &n);
    cr_assert_eq(n, 6, "all: 3 events; settled: 1; bob's: the 2 public ones");
    run(w, &n);
    cr_assert_eq(n, 0, "nothing twice");
    cr_assert_eq(count(&SQL_DELIVERIES, all), 3);
    cr_assert_eq(count(&SQL_DELIVERIES, settled), 1);
    cr_assert_eq(count(&SQL_DELIVERIES, bobs), 2);
    cr_assert_str_eq(state_of(all, e1).status, "delivered");
    cr_assert_str_eq(state_of(all, e2).status, "delivered");
    cr_assert_str_eq(state_of(settled, e3).status, "delivered");
    cr_assert_eq(state_of(bobs, e3).response, 204);
    cr_assert_eq(S.ngot, 6);
    kw_webhooks_free(w);
}

Test(webhooks, failing_three_times_then_delivered_once, .init = setup, .fini = teardown)
{
    int64_t alice;
    kw_webhooks *w = start(&alice);
    int n;
    int64_t h = hook(alice, "http://a/flaky", "*", T0);
    int64_t ev = event("cycle.settled", 0, T0);
    S.fail_first = 3;
    int64_t delays[] = {1000, 2000, 4000};
    for (int i = 0; i < 3; i++) {
        run(w, &n);
        cr_assert_eq(n, 1, "attempt %d", i + 1);
        delivery d = state_of(h, ev);
        cr_assert_str_eq(d.status, "pending");
        cr_assert_eq(d.attempts, i + 1);
        cr_assert_eq(d.response, 500);
        cr_assert_eq(d.next, S.clock.now + delays[i], "backoff after attempt %d", i + 1);
        /* Not due yet: nothing is sent early. */
        kw_manual_clock_advance(&S.clock, delays[i] - 1);
        run(w, &n);
        cr_assert_eq(n, 0);
        kw_manual_clock_advance(&S.clock, 1);
    }
    run(w, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(state_of(h, ev).status, "delivered");
    cr_assert_eq(state_of(h, ev).attempts, 4);
    cr_assert_eq(S.ngot, 1, "the receiver got the event once");
    cr_assert_eq(S.got[0].event_id, ev);
    kw_manual_clock_advance(&S.clock, 10 * 3600 * 1000);
    run(w, &n);
    cr_assert_eq(n, 0);
    cr_assert_eq(S.posts, 4);
    kw_webhooks_free(w);
}

Test(webhooks, retried_for_24_hours_then_failed, .init = setup, .fini = teardown)
{
    int64_t alice;
    kw_webhooks *w = start(&alice);
    int n;
    int64_t h = hook(alice, "http://a/down", "*", T0);
    int64_t ev = event("phase.changed", 0, T0);
    S.always_fail = true;
    int attempts = 0;
    for (int guard = 0; guard < 100; guard++) {
        run(w, &n);
        attempts += n;
        delivery d = state_of(h, ev);
        if (strcmp(d.status, "failed") == 0)
            break;
        cr_assert(S.clock.now - T0 < 25 * 3600 * 1000, "still pending after 25 hours");
        kw_manual_clock_advance(&S.clock, d.next - S.clock.now);
    }
    cr_assert_str_eq(state_of(h, ev).status, "failed");
    cr_assert(S.clock.now - T0 <= 24 * 3600 * 1000, "the last attempt was within 24 hours");
    cr_assert(S.clock.now - T0 > 23 * 3600 * 1000, "it kept trying for about a day (%lld ms)",
              (long long)(S.clock.now - T0));
    cr_assert(attempts > 12 && attempts < 40, "%d attempts", attempts);
    kw_webhooks_free(w);
}

Test(webhooks, a_restart_delivers_what_was_committed_meanwhile, .init = setup, .fini = teardown)
{
    int64_t alice;
    kw_webhooks *w = start(&alice);
    int n;
    int64_t h = hook(alice, "http://a/all", "*", T0);
    int64_t e1 = event("block.changed", 0, T0 + 1);
    run(w, &n);
    kw_webhooks_free(w);
    /* Down: events keep being committed by the engine. */
    int64_t e2 = event("block.changed", 0, T0 + 2);
    int64_t e3 = event("cycle.settled", 0, T0 + 3);
    w = dispatcher();
    run(w, &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(state_of(h, e2).status, "delivered");
    cr_assert_str_eq(state_of(h, e3).status, "delivered");
    cr_assert_eq(count(&SQL_DELIVERIES, h), 3);
    cr_assert_eq(S.got[0].event_id, e1);
    kw_webhooks_free(w);
}

/* Events with chosen ids (holes), as a sequence can leave them. */
static const kw_sql SQL_EVENT_AT = {
    .sqlite = "INSERT INTO events (id, type, payload, created_at) VALUES ($1, 'block.changed', '{}', 0)",
    .pg = "INSERT INTO events (id, type, payload, created_at) OVERRIDING SYSTEM VALUE "
          "VALUES ($1, 'block.changed', '{}', 0)"};

static void event_at(int64_t id)
{
    kw_db *db;
    kw_err e = {0};
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &e), 0);
    cr_assert_eq(kw_db_exec(db, &SQL_EVENT_AT, KW_ARGS(KW_I(id)), NULL, &e), 0, "%s", e.msg);
    kw_store_release(st, db);
}

static int read_ids(kw_outbox_cursor *c, int64_t now, int64_t *ids)
{
    kw_db *db;
    kw_err e = {0};
    kw_event evs[16];
    int n;
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &db, &e), 0);
    cr_assert_eq(kw_outbox_read(db, c, now, 5000, evs, 16, &n, &e), 0, "%s", e.msg);
    kw_store_release(st, db);
    for (int i = 0; i < n; i++) {
        ids[i] = evs[i].id;
        kw_event_clear(&evs[i]);
    }
    return n;
}

Test(outbox, waits_for_a_hole_then_skips_it, .init = setup, .fini = teardown)
{
    kw_outbox_cursor c = {0};
    int64_t ids[16];
    event_at(1);
    event_at(2);
    event_at(4);
    cr_assert_eq(read_ids(&c, 1000, ids), 2);
    cr_assert(ids[0] == 1 && ids[1] == 2);
    cr_assert_eq(read_ids(&c, 1000, ids), 0, "4 waits for 3");
    cr_assert_eq(read_ids(&c, 5999, ids), 0, "still waiting");
    event_at(3);
    cr_assert_eq(read_ids(&c, 6000, ids), 2, "3 came: both, in order");
    cr_assert(ids[0] == 3 && ids[1] == 4);
    event_at(6);
    event_at(7);
    cr_assert_eq(read_ids(&c, 10000, ids), 0);
    cr_assert_eq(read_ids(&c, 15000, ids), 2, "after 5 s the hole at 5 is given up");
    cr_assert(ids[0] == 6 && ids[1] == 7);
    cr_assert_eq(c.last, 7);
}
