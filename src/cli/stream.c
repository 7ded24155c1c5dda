#include "cli/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE (1u << 20)

void kw_stream_init(kw_stream_parser *p, kw_stream_fn on_event, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->on_event = on_event;
    p->ctx = ctx;
}

void kw_stream_free(kw_stream_parser *p)
{
    free(p->line);
    free(p->data);
    p->line = p->data = NULL;
}

void kw_stream_reset(kw_stream_parser *p)
{
    p->line_len = p->data_len = 0;
    /* An id line of the broken event does not count: the resume is after last_id. */
    snprintf(p->id, sizeof p->id, "%s", p->last_id);
    p->type[0] = 0;
    p->saw_cr = 0;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *g = realloc(*buf, c);
        if (!g)
            return KW_ENOMEM;
        *buf = g;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
    return 0;
}

static int dispatch(kw_stream_parser *p)
{
    int rc = 0;
    if (p->data_len) {
        /* The trailing LF added after every data line is not part of the data. */
        p->data[--p->data_len] = 0;
        snprintf(p->last_id, sizeof p->last_id, "%s", p->id);
        kw_stream_event ev = {p->id, p->type[0] ? p->type : "message", p->data};
        rc = p->on_event(p->ctx, &ev);
    }
    p->data_len = 0;
    p->type[0] = 0;
    return rc;
}

static int process_line(kw_stream_parser *p)
{
    const char *l = p->line ? p->line : "";
    size_t n = p->line_len;
    if (n == 0)
        return dispatch(p);
    if (l[0] == ':') {
        p->comments++;
        return 0;
    }
    const char *colon = memchr(l, ':', n);
    size_t flen = colon ? (size_t)(colon - l) : n;
    const char *v = colon ? colon + 1 : l + n;
    if (colon && *v == ' ')
        v++;
    size_t vlen = (size_t)(l + n - v);
    if (flen == 4 && memcmp(l, "data", 4) == 0) {
        int rc = append(&p->data, &p->data_len, &p->data_cap, v, vlen);
        return rc ? rc : append(&p->data, &p->data_len, &p->data_cap, "\n", 1);
    }
    if (flen == 5 && memcmp(l, "event", 5) == 0)
        snprintf(p->type, sizeof p->type, "%.*s", (int)vlen, v);
    else if (flen == 2 && memcmp(l, "id", 2) == 0 && !memchr(v, 0, vlen))
        snprintf(p->id, sizeof p->id, "%.*s", (int)vlen, v);
    return 0;
}

int kw_stream_feed(kw_stream_parser *p, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '\n' && p->saw_cr) {
            p->saw_cr = 0;
            continue;
        }
        p->saw_cr = c == '\r';
        if (c == '\n' || c == '\r') {
            int rc = process_line(p);
            p->line_len = 0;
            if (rc)
                return rc;
            continue;
        }
        if (p->line_len >= MAX_LINE)
            return KW_ELIMIT;
        int rc = append(&p->line, &p->line_len, &p->line_cap, &c, 1);
        if (rc)
            return rc;
    }
    return 0;
}
