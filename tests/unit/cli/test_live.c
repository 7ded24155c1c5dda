#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cli/live.h"

#define T0 INT64_C(1796414400000) /* 2026-12-04T20:00:00Z */

static json_t *doc(int64_t current, const char *phase)
{
    return json_pack("{s:{s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:f,s:s,s:I,s:I}}", "cycle", "id", (json_int_t)12,
                     "start_block", (json_int_t)120, "end_block", (json_int_t)129, "current_block", (json_int_t)current, "phase", phase, "block_in_cycle",
                     (json_int_t)(current - 120), "blocks_remaining", (json_int_t)(129 - current), "phase_progress",
                     0.5, "state", phase, "block_start_ms", (json_int_t)T0, "block_interval_ms", (json_int_t)10000);
}

/* Feeds one event and returns what it printed (caller frees). */
static char *event(kw_live *l, const char *type, const char *data, bool *printed)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_t *d = json_loads(data, 0, NULL);
    cr_assert_not_null(d, "%s", data);
    bool p = kw_live_event(l, type, d, f, false);
    fclose(f);
    json_decref(d);
    if (printed)
        *printed = p;
    return buf;
}

Test(live, parses_api_times)
{
    cr_assert_eq(kw_live_parse_time("2026-12-04T20:00:00.000Z"), T0);
    cr_assert_eq(kw_live_parse_time("2026-12-04T20:00:00Z"), T0);
    cr_assert_eq(kw_live_parse_time("2026-12-04T20:00:01.5Z"), T0 + 1500);
    cr_assert_eq(kw_live_parse_time("2026-12-04T20:00:00.123456Z"), T0 + 123);
    cr_assert_eq(kw_live_parse_time("2026-12-04T20:00:00+01:00"), -1);
    cr_assert_eq(kw_live_parse_time("2026-12-04T20:00:00."), -1);
    cr_assert_eq(kw_live_parse_time("yesterday"), -1);
    cr_assert_eq(kw_live_parse_time(NULL), -1);
}

Test(live, status_line_counts_down_from_the_block_timing)
{
    kw_live l;
    kw_live_init(&l);
    char line[256];
    kw_live_status(&l, T0, false, line, sizeof line);
    cr_assert(strstr(line, "waiting"), "%s", line);
    json_t *d = doc(122, "planting");
    kw_live_current(&l, d);
    json_decref(d);
    kw_live_status(&l, T0 + 2500, false, line, sizeof line);
    /* block 3 of 10, a quarter into it: 22.5 % of the cycle; 7.5 s to the next block, 77.5 s to the end */
    cr_assert_str_eq(line, "cycle 12  planting   block 3/10 [###-------------]  next block 8s  ends 1m18s");
    kw_live_status(&l, T0 + 60000, false, line, sizeof line);
    cr_assert(strstr(line, "next block 0s"), "an overdue block counts as due, not negative: %s", line);
    kw_live_status(&l, T0 + 2500, true, line, sizeof line);
    cr_assert(strstr(line, "\033[32mplanting"), "the phase is coloured: %s", line);
}

Test(live, countdowns_use_the_server_clock)
{
    kw_live l;
    kw_live_init(&l);
    json_t *d = doc(122, "planting");
    kw_live_current(&l, d);
    json_decref(d);
    /* The local clock is 5 s behind the server's. */
    kw_live_clock(&l, "2026-12-04T20:00:05.000Z", T0);
    cr_assert_eq(l.skew_ms, 5000);
    char line[256];
    kw_live_status(&l, T0 - 2500, false, line, sizeof line);
    cr_assert(strstr(line, "next block 8s"), "%s", line);
    kw_live_clock(&l, "not a time", T0);
    cr_assert_eq(l.skew_ms, 5000, "garbage leaves the offset alone");
}

Test(live, blocks_move_the_status_and_phases_are_announced)
{
    kw_live l;
    kw_live_init(&l);
    json_t *d = doc(125, "planting");
    kw_live_current(&l, d);
    json_decref(d);
    bool printed;
    char *out = event(&l, "block.changed",
                      "{\"block\":126,\"cycle_id\":12,\"phase\":\"working\",\"block_in_cycle\":6,\"timestamp\":1796414410}",
                      &printed);
    cr_assert(!printed);
    cr_assert_str_eq(out, "");
    free(out);
    cr_assert_eq(l.block, 126);
    cr_assert_str_eq(l.phase, "working");
    cr_assert_eq(l.block_start_ms, T0 + 10000);
    out = event(&l, "phase.changed", "{\"cycle_id\":12,\"phase\":\"working\",\"block\":126}", &printed);
    cr_assert(printed);
    cr_assert_str_eq(out, "» cycle 12: working (block 126) — wager or stay; the DAOs commit their votes\n");
    free(out);
    /* A replayed older block after a reconnect does not move the state back. */
    free(event(&l, "block.changed", "{\"block\":124,\"cycle_id\":12,\"phase\":\"planting\",\"block_in_cycle\":4,\"timestamp\":1}",
               NULL));
    cr_assert_eq(l.block, 126);
    /* The next cycle keeps the cycle length. */
    free(event(&l, "block.changed", "{\"block\":130,\"cycle_id\":13,\"phase\":\"planting\",\"block_in_cycle\":0,\"timestamp\":1796414450}",
               NULL));
    cr_assert_eq(l.cycle_id, 13);
    cr_assert_eq(l.start_block, 130);
    cr_assert_eq(l.end_block, 139);
    char line[256];
    kw_live_status(&l, T0 + 50000, false, line, sizeof line);
    cr_assert(strstr(line, "cycle 13  planting   block 1/10 [----------------]"), "%s", line);
}

Test(live, weather_settlement_and_private_events)
{
    kw_live l;
    kw_live_init(&l);
    char *out = event(&l, "weather.resolved",
                      "{\"cycle_id\":12,\"outcome\":\"GOOD\",\"final_score\":63.2,\"dao_score\":58.1,\"weather_score\":71.0,"
                      "\"confidence\":0.264,\"location\":{\"id\":\"tokyo\",\"name\":\"Tokyo\"}}",
                      NULL);
    cr_assert_str_eq(out, "* cycle 12 weather: GOOD (final score 63.2: DAOs 58.1, weather 71.0; confidence 0.26) in Tokyo\n");
    free(out);
    out = event(&l, "weather.resolved",
                "{\"cycle_id\":13,\"outcome\":\"BAD\",\"final_score\":40.0,\"dao_score\":40.0,\"weather_score\":null,"
                "\"confidence\":0.2,\"location\":{\"name\":\"Cairo\"}}",
                NULL);
    cr_assert(strstr(out, "no observation"), "%s", out);
    free(out);
    out = event(&l, "cycle.settled",
                "{\"cycle_id\":12,\"outcome\":\"GOOD\",\"positions\":3,\"wagers\":2,\"bonuses_paid\":\"1.2000000\","
                "\"wagers_refunded\":false}",
                NULL);
    cr_assert_str_eq(out, "* cycle 12 settled: GOOD — 3 positions, 2 wagers, bonuses paid 1.2000000 KALE\n");
    cr_assert_eq(l.settled_cycle, 12);
    free(out);
    out = event(&l, "dao.committed", "{\"cycle_id\":12,\"commitments\":[{},{},{}],\"abstained\":[\"x\"]}", NULL);
    cr_assert_str_eq(out, "  cycle 12: 3 DAOs committed their votes, 1 abstained\n");
    free(out);
    out = event(&l, "dao.revealed",
                "{\"cycle_id\":12,\"votes\":[{\"prediction\":\"GOOD\",\"valid\":true},{\"prediction\":\"BAD\",\"valid\":true},"
                "{\"prediction\":\"GOOD\",\"valid\":false},{\"prediction\":\"GOOD\",\"valid\":true}]}",
                NULL);
    cr_assert_str_eq(out, "  cycle 12: the DAOs revealed 2 GOOD and 1 BAD\n");
    free(out);
    out = event(&l, "action.accepted",
                "{\"action_id\":1,\"cycle_id\":12,\"block\":121,\"type\":\"wager\",\"amount\":\"2.0000000\",\"direction\":\"good\"}",
                NULL);
    cr_assert_str_eq(out, "  you: wager good 2.0000000 KALE accepted in cycle 12, block 121\n");
    free(out);
    out = event(&l, "position.updated",
                "{\"position_id\":7,\"cycle_id\":12,\"status\":\"settled\",\"final_reward\":\"7.8000000\","
                "\"weather_modifier_ppm\":1560000}",
                NULL);
    cr_assert_str_eq(out, "  you: position 7 settled: 7.8000000 KALE (x1.560)\n");
    free(out);
    out = event(&l, "balance.changed", "{\"available\":\"95.0000000\",\"escrow\":\"5.0000000\",\"reason\":\"action\"}", NULL);
    cr_assert_str_eq(out, "  you: balance 95.0000000 KALE available, 5.0000000 in escrow (action)\n");
    free(out);
    bool printed = true;
    out = event(&l, "something.new", "{}", &printed);
    cr_assert(!printed, "events from a newer server are ignored");
    free(out);
}
