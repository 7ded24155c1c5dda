/* libFuzzer target: the client's Server-Sent Events parser. The same bytes
 * fed at once, one at a time and in chunks cut where the input says must
 * produce the same events, the same last id and the same heartbeat count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

typedef struct evlog {
    char *p;
    size_t n;
} log_t;

static void put(log_t *l, const char *s)
{
    size_t k = strlen(s) + 1;
    char *g = realloc(l->p, l->n + k);
    if (!g)
        abort();
    memcpy(g + l->n, s, k);
    l->p = g;
    l->n += k;
}

static int on_event(void *ctx, const kw_stream_event *ev)
{
    if (!ev->id || !ev->type || !ev->data || !ev->type[0])
        abort();
    put(ctx, ev->id);
    put(ctx, ev->type);
    put(ctx, ev->data);
    return 0;
}

/* Feeds data in pieces of at most step bytes (0: all at once; -1: cut after
 * every byte equal to the first one). */
static void run(const uint8_t *data, size_t n, long step, log_t *l, kw_stream_parser *p)
{
    kw_stream_init(p, on_event, l);
    size_t i = 0;
    while (i < n) {
        size_t k = n - i;
        if (step > 0 && (size_t)step < k)
            k = (size_t)step;
        if (step < 0) {
            const uint8_t *cut = memchr(data + i + 1, data[0], n - i - 1);
            k = cut ? (size_t)(cut - (data + i)) : n - i;
        }
        if (kw_stream_feed(p, (const char *)data + i, k) != 0)
            abort();
        i += k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const long steps[] = {0, 1, -1};
    log_t logs[3] = {{0}};
    kw_stream_parser p[3];
    for (int s = 0; s < 3; s++)
        run(data, n, steps[s], &logs[s], &p[s]);
    for (int s = 1; s < 3; s++) {
        if (logs[s].n != logs[0].n || (logs[0].n && memcmp(logs[s].p, logs[0].p, logs[0].n) != 0))
            abort();
        if (strcmp(p[s].last_id, p[0].last_id) != 0 || p[s].comments != p[0].comments)
            abort();
    }
    for (int s = 0; s < 3; s++) {
        kw_stream_free(&p[s]);
        free(logs[s].p);
    }
    return 0;
}
