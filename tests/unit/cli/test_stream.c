#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/stream.h"

typedef struct seen {
    int n;
    char id[8][32], type[8][32], data[8][64];
} seen;

static int collect(void *ctx, const kw_stream_event *ev)
{
    seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->id[s->n], 32, "%s", ev->id);
        snprintf(s->type[s->n], 32, "%s", ev->type);
        snprintf(s->data[s->n], 64, "%s", ev->data);
    }
    s->n++;
    return 0;
}

static const char stream[] = ": hello\n\n"
                             "id: 1\nevent: block.changed\ndata: {\"block\":7}\n\n"
                             "id: 2\r\nevent: phase.changed\r\ndata: a\r\ndata: b\r\n\r\n"
                             "data:no-space\rid:3\r\r"
                             "retry: 100\nunknown: x\ndata\n\n";

Test(stream, whole_buffer)
{
    seen s = {0};
    kw_stream_parser p;
    kw_stream_init(&p, collect, &s);
    cr_assert_eq(kw_stream_feed(&p, stream, strlen(stream)), 0);
    cr_assert_eq(s.n, 4);
    cr_assert_str_eq(s.id[0], "1");
    cr_assert_str_eq(s.type[0], "block.changed");
    cr_assert_str_eq(s.data[0], "{\"block\":7}");
    cr_assert_str_eq(s.type[1], "phase.changed");
    cr_assert_str_eq(s.data[1], "a\nb");
    cr_assert_str_eq(s.data[2], "no-space");
    cr_assert_str_eq(s.id[2], "3");
    cr_assert_str_eq(s.type[2], "message");
    cr_assert_str_eq(s.data[3], "");
    cr_assert_str_eq(p.last_id, "3");
    cr_assert_eq(p.comments, 1);
    kw_stream_free(&p);
}

Test(stream, byte_by_byte_gives_the_same_events)
{
    seen a = {0}, b = {0};
    kw_stream_parser p, q;
    kw_stream_init(&p, collect, &a);
    kw_stream_init(&q, collect, &b);
    cr_assert_eq(kw_stream_feed(&p, stream, strlen(stream)), 0);
    for (size_t i = 0; i < strlen(stream); i++)
        cr_assert_eq(kw_stream_feed(&q, stream + i, 1), 0);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    kw_stream_free(&p);
    kw_stream_free(&q);
}

Test(stream, oversized_line_is_an_error)
{
    seen s = {0};
    kw_stream_parser p;
    kw_stream_init(&p, collect, &s);
    char *big = malloc(1 << 16);
    memset(big, 'x', 1 << 16);
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++)
        rc = kw_stream_feed(&p, big, 1 << 16);
    cr_assert_eq(rc, KW_ELIMIT);
    free(big);
    kw_stream_free(&p);
}

static int stop_at_first(void *ctx, const kw_stream_event *ev)
{
    (void)ev;
    (*(int *)ctx)++;
    return 42;
}

Test(stream, callback_can_stop)
{
    int calls = 0;
    kw_stream_parser p;
    kw_stream_init(&p, stop_at_first, &calls);
    cr_assert_eq(kw_stream_feed(&p, stream, strlen(stream)), 42);
    cr_assert_eq(calls, 1);
    kw_stream_free(&p);
}

Test(stream, random_bytes_never_crash)
{
    seen s = {0};
    uint64_t x = 99;
    for (int round = 0; round < 2000; round++) {
        kw_stream_parser p;
        kw_stream_init(&p, collect, &s);
        char buf[512];
        for (size_t i = 0; i < sizeof buf; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            static const char alphabet[] = "data:idevent \r\n:\0x";
            buf[i] = alphabet[x % (sizeof alphabet)];
        }
        int rc = kw_stream_feed(&p, buf, sizeof buf);
        cr_assert(rc == 0);
        kw_stream_free(&p);
    }
}

Test(stream, reset_drops_a_broken_event_and_keeps_the_resume_point)
{
    seen s = {0};
    kw_stream_parser p;
    kw_stream_init(&p, collect, &s);
    const char first[] = "id: 4\nevent: block.changed\ndata: {}\n\nid: 5\nevent: phase.ch";
    cr_assert_eq(kw_stream_feed(&p, first, strlen(first)), 0);
    cr_assert_eq(s.n, 1);
    kw_stream_reset(&p);
    cr_assert_str_eq(p.last_id, "4");
    /* The resumed stream: a fresh event without an id line keeps id 4, not the broken event's 5. */
    const char second[] = "event: tick\ndata: x\n\n";
    cr_assert_eq(kw_stream_feed(&p, second, strlen(second)), 0);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.type[1], "tick");
    cr_assert_str_eq(s.data[1], "x");
    cr_assert_str_eq(s.id[1], "4");
    kw_stream_free(&p);
}
