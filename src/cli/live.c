#include "cli/live.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/term.h"

#define BAR_WIDTH 16

void kw_live_init(kw_live *l)
{
    memset(l, 0, sizeof *l);
    l->settled_cycle = -1;
}

static int64_t num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : json_is_real(v) ? (int64_t)json_real_value(v) : 0;
}

static const char *str(const json_t *o, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : fallback;
}

void kw_live_current(kw_live *l, const json_t *doc)
{
    const json_t *c = json_object_get(doc, "cycle");
    if (!json_is_object(c))
        return;
    l->known = true;
    l->cycle_id = num(c, "id");
    l->block = num(c, "current_block");
    l->start_block = num(c, "start_block");
    l->end_block = num(c, "end_block");
    snprintf(l->phase, sizeof l->phase, "%s", str(c, "phase", "?"));
    l->block_start_ms = num(c, "block_start_ms");
    l->interval_ms = num(c, "block_interval_ms");
}

int64_t kw_live_parse_time(const char *s)
{
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return -1;
    int64_t ms = 0;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*rest - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            ms *= 10;
    }
    if (strcmp(rest, "Z") != 0)
        return -1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

void kw_live_clock(kw_live *l, const char *server_time, int64_t local_ms)
{
    int64_t t = kw_live_parse_time(server_time);
    if (t >= 0)
        l->skew_ms = t - local_ms;
}

static kw_color phase_color(const char *phase)
{
    if (strcmp(phase, "planting") == 0)
        return KW_COLOR_GREEN;
    if (strcmp(phase, "working") == 0)
        return KW_COLOR_YELLOW;
    return KW_COLOR_CYAN;
}

static const char *phase_story(const char *phase)
{
    if (strcmp(phase, "planting") == 0)
        return "plant, store, wager or stay";
    if (strcmp(phase, "working") == 0)
        return "wager or stay; the DAOs commit their votes";
    if (strcmp(phase, "revealing") == 0)
        return "the DAOs reveal their votes and the weather is observed";
    return "rewards are being settled";
}

static const char *outcome_color(const char *outcome, bool color)
{
    return kw_term_color(strcmp(outcome, "GOOD") == 0 ? KW_COLOR_GREEN : KW_COLOR_RED, color);
}

/* The block.changed event: a new block, maybe of a new cycle. */
static void on_block(kw_live *l, const json_t *d)
{
    int64_t len = l->known ? l->end_block - l->start_block + 1 : 0;
    if (num(d, "block") < l->block)
        return; /* replayed after a reconnect: the state is already newer */
    l->block = num(d, "block");
    l->cycle_id = num(d, "cycle_id");
    snprintf(l->phase, sizeof l->phase, "%s", str(d, "phase", l->phase));
    l->start_block = l->block - num(d, "block_in_cycle");
    if (len > 0)
        l->end_block = l->start_block + len - 1;
    int64_t ts = num(d, "timestamp");
    if (ts > 0)
        l->block_start_ms = ts * 1000;
    l->known = len > 0;
}

static void votes(const json_t *list, int *good, int *bad)
{
    size_t i;
    const json_t *v;
    *good = *bad = 0;
    json_array_foreach(list, i, v) {
        if (json_is_false(json_object_get(v, "valid")))
            continue;
        const char *p = str(v, "prediction", "");
        if (strcmp(p, "GOOD") == 0)
            ++*good;
        else if (strcmp(p, "BAD") == 0)
            ++*bad;
    }
}

bool kw_live_event(kw_live *l, const char *type, const json_t *d, FILE *out, bool color)
{
    const char *bold = kw_term_color(KW_COLOR_BOLD, color), *reset = kw_term_reset(color);
    long long cycle = (long long)num(d, "cycle_id");
    if (strcmp(type, "block.changed") == 0) {
        on_block(l, d);
        return false;
    }
    if (strcmp(type, "phase.changed") == 0) {
        const char *phase = str(d, "phase", "?");
        fprintf(out, "%s» cycle %lld: %s%s%s (block %lld) — %s\n", bold, cycle, kw_term_color(phase_color(phase), color),
                phase, reset, (long long)num(d, "block"), phase_story(phase));
        return true;
    }
    if (strcmp(type, "cycle.started") == 0) {
        if (cycle >= l->cycle_id) {
            l->cycle_id = cycle;
            l->start_block = num(d, "start_block");
            l->end_block = num(d, "end_block");
            l->known = true;
        }
        return false;
    }
    if (strcmp(type, "dao.committed") == 0) {
        size_t n = json_array_size(json_object_get(d, "commitments"));
        size_t ab = json_array_size(json_object_get(d, "abstained"));
        fprintf(out, "  cycle %lld: %zu DAOs committed their votes%s", cycle, n, ab ? "" : "\n");
        if (ab)
            fprintf(out, ", %zu abstained\n", ab);
        return true;
    }
    if (strcmp(type, "dao.revealed") == 0) {
        int good, bad;
        votes(json_object_get(d, "votes"), &good, &bad);
        fprintf(out, "  cycle %lld: the DAOs revealed %d GOOD and %d BAD\n", cycle, good, bad);
        return true;
    }
    if (strcmp(type, "weather.resolved") == 0) {
        const char *outcome = str(d, "outcome", "?");
        const json_t *ws = json_object_get(d, "weather_score");
        char weather[48] = "no observation";
        if (json_is_number(ws))
            snprintf(weather, sizeof weather, "weather %.1f", json_number_value(ws));
        fprintf(out, "%s* cycle %lld weather: %s%s%s (final score %.1f: DAOs %.1f, %s; confidence %.2f) in %s\n",
                bold, cycle, outcome_color(outcome, color), outcome, reset,
                json_number_value(json_object_get(d, "final_score")), json_number_value(json_object_get(d, "dao_score")),
                weather, json_number_value(json_object_get(d, "confidence")),
                str(json_object_get(d, "location"), "name", "?"));
        return true;
    }
    if (strcmp(type, "cycle.settled") == 0) {
        const char *outcome = str(d, "outcome", "?");
        if (cycle > l->settled_cycle)
            l->settled_cycle = cycle;
        long long np = (long long)num(d, "positions"), nw = (long long)num(d, "wagers");
        fprintf(out, "%s* cycle %lld settled: %s%s%s — %lld position%s, %lld wager%s%s, bonuses paid %s KALE\n", bold,
                cycle, outcome_color(outcome, color), outcome, reset, np, np == 1 ? "" : "s", nw, nw == 1 ? "" : "s",
                json_is_true(json_object_get(d, "wagers_refunded")) ? " (refunded: one side was empty)" : "",
                str(d, "bonuses_paid", "0"));
        return true;
    }
    if (strcmp(type, "action.accepted") == 0) {
        const char *t = str(d, "type", "?"), *dir = str(d, "direction", NULL);
        fprintf(out, "  you: %s%s%s %s KALE accepted in cycle %lld, block %lld\n", t, dir ? " " : "", dir ? dir : "",
                str(d, "amount", "0"), cycle, (long long)num(d, "block"));
        return true;
    }
    if (strcmp(type, "position.updated") == 0) {
        const char *status = str(d, "status", "?");
        fprintf(out, "  you: position %lld %s", (long long)num(d, "position_id"), status);
        if (strcmp(status, "settled") == 0)
            fprintf(out, ": %s%s KALE%s (x%.3f)", kw_term_color(KW_COLOR_BOLD, color), str(d, "final_reward", "?"),
                    reset, (double)num(d, "weather_modifier_ppm") / 1e6);
        fputc('\n', out);
        return true;
    }
    if (strcmp(type, "balance.changed") == 0) {
        fprintf(out, "  you: balance %s KALE available, %s in escrow (%s)\n", str(d, "available", "?"),
                str(d, "escrow", "?"), str(d, "reason", "change"));
        return true;
    }
    return false;
}

void kw_live_status(const kw_live *l, int64_t now_ms, bool color, char *buf, size_t cap)
{
    if (!l->known) {
        snprintf(buf, cap, "waiting for the first block…");
        return;
    }
    int64_t len = l->end_block - l->start_block + 1, k = l->block - l->start_block;
    if (len < 1)
        len = 1;
    int64_t into = 0, next_ms = -1;
    if (l->interval_ms > 0 && l->block_start_ms > 0) {
        int64_t elapsed = now_ms + l->skew_ms - l->block_start_ms;
        into = elapsed < 0 ? 0 : elapsed >= l->interval_ms ? 999 : elapsed * 1000 / l->interval_ms;
        next_ms = l->interval_ms - elapsed;
        if (next_ms < 0)
            next_ms = 0;
    }
    unsigned permille = (unsigned)((k * 1000 + into) / len);
    char bar[BAR_WIDTH + 3], timing[96] = "";
    kw_term_bar(bar, BAR_WIDTH, permille);
    if (next_ms >= 0) {
        char nb[16], ce[16];
        kw_term_duration(nb, (long)((next_ms + 999) / 1000));
        kw_term_duration(ce, (long)((next_ms + (l->end_block - l->block) * l->interval_ms + 999) / 1000));
        snprintf(timing, sizeof timing, "  next block %s  ends %s", nb, ce);
    }
    snprintf(buf, cap, "cycle %lld  %s%-9s%s  block %lld/%lld %s%s", (long long)l->cycle_id,
             kw_term_color(phase_color(l->phase), color), l->phase, kw_term_reset(color), (long long)(k + 1),
             (long long)len, bar, timing);
}
