/*
 * stream — an incremental parser for Server-Sent Events as the client reads
 * them from /api/v1/stream: bytes go in as they arrive, whole events come out.
 *
 * Follows the SSE format: lines end in LF, CRLF or CR; "field: value"
 * (one optional space after the colon); `data` lines are joined with LF; a
 * blank line dispatches; lines starting with ':' are comments (heartbeats);
 * unknown fields are ignored. The last `id` seen is remembered for
 * Last-Event-ID on reconnect. Lines longer than 1 MiB are an error (a broken
 * or hostile server), never a crash.
 *
 * Not thread-safe; one parser per connection.
 */
#ifndef KW_CLI_STREAM_H
#define KW_CLI_STREAM_H

#include <stddef.h>

#include "core/err.h"

typedef struct kw_stream_event {
    const char *id;     /* "" when the event had none */
    const char *type;   /* "message" when the event had none */
    const char *data;
} kw_stream_event;

typedef int (*kw_stream_fn)(void *ctx, const kw_stream_event *ev);

typedef struct kw_stream_parser {
    kw_stream_fn on_event;
    void *ctx;
    char *line;  size_t line_len, line_cap;
    char *data;  size_t data_len, data_cap;
    char id[128], type[64];
    char last_id[128];
    int saw_cr;          /* the previous byte was CR: a following LF is part of it */
    unsigned comments;   /* heartbeats seen */
} kw_stream_parser;

void kw_stream_init(kw_stream_parser *p, kw_stream_fn on_event, void *ctx);
void kw_stream_free(kw_stream_parser *p);
/* Forgets a partly received event (the connection it came from broke)
 * while keeping last_id, the callback and the buffers, so the parser can
 * read the resumed stream. */
void kw_stream_reset(kw_stream_parser *p);
/* Feeds n bytes. Returns 0, KW_ENOMEM, KW_ELIMIT for an oversized line, or
 * the first non-zero value returned by on_event (which stops parsing). */
int kw_stream_feed(kw_stream_parser *p, const char *buf, size_t n) KW_WUR;

#endif
