#include "api/sse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/server.h"
#include "api/worker.h"
#include "obs/log.h"

struct kw_sse {
    kw_hub *hub;
    int heartbeat_ms, retry_ms;
    kw_worker *beat;
    bool beaten;              /* the worker's first pass only schedules the first heartbeat */
};

/* One stream. */
typedef struct stream {
    kw_hub_sub *sub;
    void *transport;
    kw_hub_msg *msg;          /* the frame being sent */
    size_t off;               /* bytes of msg (or of text) already sent */
    char text[128];           /* a comment or the preamble being sent */
    size_t text_len;
} stream;

static int64_t heartbeat(void *ctx)
{
    kw_sse *s = ctx;
    if (s->beaten)
        kw_hub_heartbeat(s->hub);
    s->beaten = true;
    return s->heartbeat_ms;
}

int kw_sse_start(kw_hub *hub, int heartbeat_ms, int retry_ms, kw_sse **out)
{
    if (heartbeat_ms < 1 || retry_ms < 0)
        return KW_EINVAL;
    kw_sse *s = calloc(1, sizeof *s);
    if (!s)
        return KW_ENOMEM;
    s->hub = hub;
    s->heartbeat_ms = heartbeat_ms;
    s->retry_ms = retry_ms;
    int rc = kw_worker_start("sse", heartbeat, s, &s->beat);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void kw_sse_stop(kw_sse *s)
{
    if (!s)
        return;
    kw_hub_close(s->hub);
    kw_worker_stop(s->beat);
    s->beat = NULL;
}

void kw_sse_free(kw_sse *s)
{
    if (!s)
        return;
    kw_sse_stop(s);
    free(s);
}

static void stream_sleep(void *ctx) { kw_server_suspend(((stream *)ctx)->transport); }
static void stream_wake(void *ctx) { kw_server_resume(((stream *)ctx)->transport); }

static size_t copy_out(char *buf, size_t max, size_t *n, const char *src, size_t len, size_t *off)
{
    size_t k = len - *off;
    if (k > max - *n)
        k = max - *n;
    memcpy(buf + *n, src + *off, k);
    *n += k;
    *off += k;
    return k;
}

static ssize_t stream_read(void *cls, char *buf, size_t max)
{
    stream *st = cls;
    size_t n = 0;
    for (;;) {
        if (st->off < st->text_len) {
            copy_out(buf, max, &n, st->text, st->text_len, &st->off);
            if (st->off < st->text_len)
                return (ssize_t)n;
            st->text_len = st->off = 0;
        }
        if (st->msg) {
            size_t len;
            const char *frame = kw_hub_msg_frame(st->msg, &len);
            copy_out(buf, max, &n, frame, len, &st->off);
            if (st->off < len)
                return (ssize_t)n;
            kw_hub_msg_release(st->msg);
            st->msg = NULL;
            st->off = 0;
        }
        /* Sleep only with nothing in hand: a suspended connection must not
         * be holding unsent bytes. */
        kw_hub_item it;
        kw_hub_next(st->sub, n == 0, &it);
        switch (it.kind) {
        case KW_HUB_EVENT:
            st->msg = it.msg;
            break;
        case KW_HUB_HEARTBEAT:
            st->text_len = (size_t)snprintf(st->text, sizeof st->text, ": keep-alive\n\n");
            break;
        case KW_HUB_GAP:
            st->text_len = (size_t)snprintf(st->text, sizeof st->text,
                                            ": events after id %lld are no longer available\n\n",
                                            (long long)it.gap_after);
            break;
        case KW_HUB_CLOSED:
            return n ? (ssize_t)n : KW_HTTP_STREAM_END;
        case KW_HUB_FAILED:
            return n ? (ssize_t)n : KW_HTTP_STREAM_ERROR;
        case KW_HUB_NONE:
            return (ssize_t)n;
        }
    }
}

static void stream_release(void *cls)
{
    stream *st = cls;
    kw_hub_unsubscribe(st->sub);
    kw_hub_msg_release(st->msg);
    free(st);
}

/* Last-Event-ID from the header or the lastEventId query argument; -1 when absent. */
static int last_event_id(const kw_http_req *req, int64_t *out, kw_err *err)
{
    const char *v = kw_http_header(req, "Last-Event-ID");
    if (!v)
        v = kw_http_query(req, "lastEventId");
    *out = -1;
    if (!v || !*v)
        return 0;
    bool digits = true;
    for (const char *p = v; *p; p++)
        digits = digits && *p >= '0' && *p <= '9';
    errno = 0;
    long long id = digits ? strtoll(v, NULL, 10) : -1;
    if (!digits || errno || strlen(v) > 19)
        return kw_err_set(err, KW_EINVAL, "Last-Event-ID must be an event id (a whole number)");
    *out = id;
    return 0;
}

int kw_sse_handler(const kw_http_req *req, kw_http_res *res)
{
    kw_sse *s = req->ctx;
    int64_t last;
    int rc = last_event_id(req, &last, &res->err);
    if (rc)
        return rc;
    stream *st = calloc(1, sizeof *st);
    if (!st)
        return kw_err_set(&res->err, KW_ENOMEM, "out of memory");
    st->transport = req->transport;
    kw_hub_waker w = {stream_sleep, stream_wake, st};
    if ((rc = kw_hub_subscribe(s->hub, req->principal.user_id, last, &w, &st->sub)) != 0) {
        free(st);
        return kw_err_set(&res->err, rc, "could not subscribe to events");
    }
    st->text_len = (size_t)snprintf(st->text, sizeof st->text, "retry: %d\n: stream of kalewx events\n\n",
                                    s->retry_ms);
    res->status = 200;
    res->content_type = "text/event-stream; charset=utf-8";
    res->stream = (kw_http_stream){stream_read, stream_release, st};
    if ((rc = kw_http_add_header(res, "Cache-Control", "no-cache")) != 0 ||
        (rc = kw_http_add_header(res, "X-Accel-Buffering", "no")) != 0) {
        KW_LOG(KW_LOG_WARN, "could not add event-stream headers");
    }
    return 0;
}
