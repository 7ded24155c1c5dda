#include "cli/render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/live.h"
#include "cli/term.h"

enum {
    RIGHT = 1,      /* right-aligned */
    CYCLE = 2,      /* a cycle number: negative means none yet */
};

typedef struct col {
    const char *header;
    const char *field;
    unsigned flags;
} col;

const char *kw_render_cell(const json_t *v, char *buf, size_t cap)
{
    if (!v) {
        snprintf(buf, cap, "-");
        return buf;
    }
    switch (json_typeof(v)) {
    case JSON_STRING: snprintf(buf, cap, "%s", json_string_value(v)); break;
    case JSON_INTEGER: snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: snprintf(buf, cap, "%.3f", json_real_value(v)); break;
    case JSON_TRUE: snprintf(buf, cap, "yes"); break;
    case JSON_FALSE: snprintf(buf, cap, "no"); break;
    default: snprintf(buf, cap, "-");
    }
    return buf;
}

/* Rows of `list` (objects) as a table; filter_cycle ≥ 0 keeps only that cycle's rows. */
static int table(FILE *out, bool color, const json_t *list, const col *cols, size_t n, int64_t filter_cycle,
                 const char *empty, size_t *shown)
{
    const char *headers[KW_TABLE_MAX_COLS];
    for (size_t c = 0; c < n; c++)
        headers[c] = cols[c].header;
    kw_table t;
    kw_table_init(&t, n, headers);
    for (size_t c = 0; c < n; c++)
        t.right[c] = cols[c].flags & RIGHT;
    size_t i;
    const json_t *row;
    int rc = 0;
    json_array_foreach(list, i, row) {
        if (filter_cycle >= 0 && json_integer_value(json_object_get(row, "cycle_id")) != filter_cycle)
            continue;
        char cells[KW_TABLE_MAX_COLS][128];
        const char *p[KW_TABLE_MAX_COLS];
        for (size_t c = 0; c < n; c++) {
            const json_t *v = json_object_get(row, cols[c].field);
            p[c] = (cols[c].flags & CYCLE) && json_integer_value(v) < 0 ? "-" : kw_render_cell(v, cells[c], sizeof cells[c]);
        }
        if ((rc = kw_table_add(&t, p)) != 0)
            break;
    }
    if (shown)
        *shown = t.nrows;
    if (rc == 0 && t.nrows)
        kw_table_print(&t, out, color);
    else if (rc == 0 && empty)
        fprintf(out, "%s\n", empty);
    kw_table_free(&t);
    return rc;
}

static const col POSITION_COLS[] = {
    {"id", "id", RIGHT},           {"cycle", "cycle_id", RIGHT},      {"type", "type", 0},
    {"stake", "stake", RIGHT},     {"status", "status", 0},      {"block", "kale_block", RIGHT},
    {"chain reward", "base_reward", RIGHT}, {"final", "final_reward", RIGHT}, {"modifier", "weather_modifier", RIGHT},
};
static const col WAGER_COLS[] = {
    {"id", "id", RIGHT},         {"cycle", "cycle_id", RIGHT}, {"on", "direction", 0},
    {"amount", "amount", RIGHT}, {"status", "status", 0}, {"payout", "payout", RIGHT},
};
#define NCOLS(a) (sizeof a / sizeof a[0])

int kw_render_balance(FILE *out, bool color, const json_t *me)
{
    char buf[128];
    const json_t *b = json_object_get(me, "balances");
    fprintf(out, "%s%s%s  (%s)\n", kw_term_color(KW_COLOR_BOLD, color),
            kw_render_cell(json_object_get(me, "username"), buf, sizeof buf), kw_term_reset(color),
            json_string_value(json_object_get(me, "custodial_address")) ?: "-");
    const char *rows[][2] = {{"available", "available"}, {"in escrow", "escrow"}};
    size_t w = 0;
    char amounts[2][64];
    for (size_t i = 0; i < 2; i++) {
        kw_render_cell(json_object_get(b, rows[i][1]), amounts[i], sizeof amounts[i]);
        if (strlen(amounts[i]) > w)
            w = strlen(amounts[i]);
    }
    for (size_t i = 0; i < 2; i++)
        fprintf(out, "%-10s %*s KALE\n", rows[i][0], (int)w, amounts[i]);
    const char *wallet = json_string_value(json_object_get(me, "wallet"));
    if (wallet && *wallet)
        fprintf(out, "withdrawals go to %s\n", wallet);
    return 0;
}

int kw_render_positions(FILE *out, bool color, const json_t *data)
{
    return table(out, color, json_object_get(data, "positions"), POSITION_COLS, NCOLS(POSITION_COLS), -1,
                 "no positions yet: `kalewx plant AMOUNT` or `kalewx store AMOUNT` during planting", NULL);
}

int kw_render_wagers(FILE *out, bool color, const json_t *data)
{
    return table(out, color, json_object_get(data, "wagers"), WAGER_COLS, NCOLS(WAGER_COLS), -1,
                 "no wagers yet: `kalewx wager good|bad AMOUNT` during planting or working", NULL);
}

int kw_render_transactions(FILE *out, bool color, const json_t *data)
{
    static const col cols[] = {
        {"id", "id", RIGHT}, {"time", "created_at", 0}, {"kind", "kind", 0},
        {"amount", "amount", RIGHT}, {"memo", "memo", 0},
    };
    return table(out, color, json_object_get(data, "transactions"), cols, NCOLS(cols), -1,
                 "no transactions yet: `kalewx faucet AMOUNT` brings devnet KALE", NULL);
}

int kw_render_actions(FILE *out, bool color, const json_t *data)
{
    static const col cols[] = {
        {"id", "id", RIGHT},           {"time", "created_at", 0}, {"cycle", "cycle_id", RIGHT},
        {"block", "block", RIGHT},     {"type", "type", 0},       {"kind", "agriculture_type", 0},
        {"on", "direction", 0},   {"amount", "amount", RIGHT},
    };
    return table(out, color, json_object_get(data, "actions"), cols, NCOLS(cols), -1, "no actions yet", NULL);
}

int kw_render_daos(FILE *out, bool color, const json_t *data)
{
    static const col cols[] = {
        {"dao", "id", 0},          {"base", "base_weight", RIGHT},  {"accuracy", "accuracy", RIGHT},
        {"correct", "correct_votes", RIGHT}, {"votes", "total_votes", RIGHT}, {"weight", "weight", RIGHT},
        {"last vote", "last_vote_cycle", RIGHT | CYCLE},
    };
    return table(out, color, json_object_get(data, "daos"), cols, NCOLS(cols), -1, "no DAOs", NULL);
}

static const char *location_name(const json_t *loc, char *buf, size_t cap)
{
    return kw_render_cell(json_is_object(loc) ? json_object_get(loc, "name") : loc, buf, cap);
}

/* A JSON object's scalar members as "key value, key value". */
static void members(FILE *out, const json_t *o)
{
    const char *key;
    const json_t *v;
    bool first = true;
    json_object_foreach((json_t *)o, key, v) {
        char buf[128];
        if (json_is_object(v) || json_is_array(v))
            continue;
        fprintf(out, "%s%s %s", first ? "" : ", ", key, kw_render_cell(v, buf, sizeof buf));
        first = false;
    }
}

int kw_render_results(FILE *out, bool color, const json_t *r)
{
    char a[128], b[128], c[128], d[128], e[128], loc[128];
    const char *outcome = json_string_value(json_object_get(r, "outcome")) ?: "-";
    kw_color oc = strcmp(outcome, "GOOD") == 0 ? KW_COLOR_GREEN : strcmp(outcome, "BAD") == 0 ? KW_COLOR_RED : KW_COLOR_BOLD;
    fprintf(out, "cycle %s: %s%s%s  final score %s (DAOs %s, weather %s)  confidence %s  %s\n",
            kw_render_cell(json_object_get(r, "cycle_id"), a, sizeof a), kw_term_color(oc, color), outcome,
            kw_term_reset(color), kw_render_cell(json_object_get(r, "final_score"), b, sizeof b),
            kw_render_cell(json_object_get(r, "dao_score"), c, sizeof c),
            kw_render_cell(json_object_get(r, "weather_score"), d, sizeof d),
            kw_render_cell(json_object_get(r, "confidence"), e, sizeof e),
            location_name(json_object_get(r, "location"), loc, sizeof loc));
    const json_t *cons = json_object_get(r, "consensus");
    if (json_is_object(cons)) {
        fputs("consensus: ", out);
        members(out, cons);
        fputc('\n', out);
    }
    const json_t *p = json_object_get(r, "positions"), *w = json_object_get(r, "wagers");
    fprintf(out, "positions: %s, staked %s KALE, rewards %s KALE\n", kw_render_cell(json_object_get(p, "count"), a, sizeof a),
            kw_render_cell(json_object_get(p, "staked"), b, sizeof b), kw_render_cell(json_object_get(p, "rewards"), c, sizeof c));
    fprintf(out, "wagers: GOOD pool %s, BAD pool %s, fee %s KALE%s\n", kw_render_cell(json_object_get(w, "good_pool"), a, sizeof a),
            kw_render_cell(json_object_get(w, "bad_pool"), b, sizeof b), kw_render_cell(json_object_get(w, "fee"), c, sizeof c),
            json_is_true(json_object_get(w, "refunded")) ? " (refunded: one side was empty)" : "");
    return 0;
}

/* A table of list's rows of one cycle under a title; nothing when it has none. */
static int section(FILE *out, bool color, const char *title, const json_t *list, const col *cols, size_t n,
                   int64_t cycle_id)
{
    if (!json_array_size(list))
        return 0;
    char *buf = NULL;
    size_t len = 0, shown = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return KW_ENOMEM;
    int rc = table(m, color, list, cols, n, cycle_id, NULL, &shown);
    fclose(m);
    if (rc == 0 && shown)
        fprintf(out, "%s\n%s", title, buf);
    free(buf);
    return rc;
}

int kw_render_mine(FILE *out, bool color, int64_t cycle_id, const json_t *positions, const json_t *wagers)
{
    int rc = section(out, color, "your positions:", json_object_get(positions, "positions"), POSITION_COLS,
                     NCOLS(POSITION_COLS), cycle_id);
    return rc ? rc
              : section(out, color, "your wagers:", json_object_get(wagers, "wagers"), WAGER_COLS, NCOLS(WAGER_COLS),
                        cycle_id);
}

void kw_render_current(FILE *out, bool color, const json_t *doc, int64_t now_ms, int64_t skew_ms)
{
    kw_live l;
    char line[256], a[64], b[64], c[64];
    kw_live_init(&l);
    kw_live_current(&l, doc);
    l.skew_ms = skew_ms;
    kw_live_status(&l, now_ms, color, line, sizeof line);
    fprintf(out, "%s\n", line);
    const json_t *cy = json_object_get(doc, "cycle"), *p = json_object_get(doc, "participants");
    fprintf(out, "KALE block %s (cycle blocks %s–%s)\n", kw_render_cell(json_object_get(cy, "current_block"), a, sizeof a),
            kw_render_cell(json_object_get(cy, "start_block"), b, sizeof b),
            kw_render_cell(json_object_get(cy, "end_block"), c, sizeof c));
    fprintf(out, "participants: %s (%s farming, %s wagering)\n", kw_render_cell(json_object_get(p, "total"), a, sizeof a),
            kw_render_cell(json_object_get(p, "farmers"), b, sizeof b),
            kw_render_cell(json_object_get(p, "wagerers"), c, sizeof c));
    const json_t *acts = json_object_get(doc, "actions_available");
    fputs("open for: ", out);
    if (json_array_size(acts) == 0)
        fputs("no actions until the next cycle", out);
    size_t i;
    const json_t *v;
    json_array_foreach(acts, i, v) fprintf(out, "%s%s", i ? ", " : "", json_string_value(v) ?: "?");
    fputc('\n', out);
    const json_t *dao = json_object_get(doc, "dao"), *sent = json_object_get(dao, "sentiment");
    fprintf(out, "DAOs: %zu committed", json_array_size(json_object_get(dao, "commitments")));
    if (json_is_object(sent))
        fprintf(out, ", revealed %s GOOD / %s BAD", kw_render_cell(json_object_get(sent, "good"), a, sizeof a),
                kw_render_cell(json_object_get(sent, "bad"), b, sizeof b));
    fputc('\n', out);
    const json_t *w = json_object_get(doc, "weather");
    if (json_is_object(w)) {
        const char *o = json_string_value(json_object_get(w, "outcome")) ?: "-";
        fprintf(out, "weather: %s%s%s, final score %s, confidence %s, %s\n",
                kw_term_color(strcmp(o, "GOOD") == 0 ? KW_COLOR_GREEN : KW_COLOR_RED, color), o, kw_term_reset(color),
                kw_render_cell(json_object_get(w, "final_score"), a, sizeof a),
                kw_render_cell(json_object_get(w, "confidence"), b, sizeof b),
                location_name(json_object_get(w, "location"), c, sizeof c));
    }
}
