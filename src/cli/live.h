/*
 * live — the game as a watcher sees it, kept current from the
 * /api/v1/cycles/current document and the event stream (SPEC §11, §12),
 * and the text shown for it:
 *
 *   - a one-line status: cycle, phase, block k/N of the cycle, a progress
 *     bar over the cycle that moves within a block too, and countdowns to
 *     the next block and to the end of the cycle, from the block timing the
 *     server reports;
 *   - one notification line for each event worth telling: a phase change,
 *     the DAOs' commitments and reveals, the weather, the settlement, and
 *     the caller's own accepted actions, positions and balance.
 *
 * Time is passed in as milliseconds of the local clock. The server's clock
 * may differ: kw_live_clock learns the offset from a reply's metadata
 * timestamp, and countdowns are computed on the server's clock.
 *
 * Pure apart from writing to the FILE it is given; not thread-safe.
 */
#ifndef KW_CLI_LIVE_H
#define KW_CLI_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

typedef struct kw_live {
    bool known;                  /* a cycle document or block event was seen */
    int64_t cycle_id;
    char phase[16];
    int64_t block, start_block, end_block;
    int64_t block_start_ms;      /* server clock; 0 when unknown */
    int64_t interval_ms;         /* block interval; 0 when unknown */
    int64_t skew_ms;             /* server clock minus local clock */
    int64_t settled_cycle;       /* the last cycle.settled seen, -1 before any */
} kw_live;

void kw_live_init(kw_live *l);

/* Takes the data of GET /api/v1/cycles/current. */
void kw_live_current(kw_live *l, const json_t *doc);

/* Learns the server's clock offset from a reply's metadata timestamp
 * (ISO-8601, see kw_live_parse_time) received at local time local_ms;
 * ignores text that is not a time. */
void kw_live_clock(kw_live *l, const char *server_time, int64_t local_ms);

/* Applies one event (its type and parsed data) and writes its notification
 * line to out, if it has one. Returns true when a line was written. */
bool kw_live_event(kw_live *l, const char *type, const json_t *data, FILE *out, bool color);

/* The status line at local time now_ms into buf (no line break). */
void kw_live_status(const kw_live *l, int64_t now_ms, bool color, char *buf, size_t cap);

/* "2026-12-04T20:00:00.000Z" (fraction optional) as Unix milliseconds;
 * -1 when s is not such a time. */
int64_t kw_live_parse_time(const char *s);

#endif
