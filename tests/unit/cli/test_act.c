#include <criterion/criterion.h>
#include <string.h>

#include "cli/act.h"
#include "core/amount.h"

static int parse(const char *line, kw_act *a, kw_err *e)
{
    static char buf[256];
    char *argv[8];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 8; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    return kw_act_parse(argc, argv, a, e);
}

Test(act, parses_each_action)
{
    kw_act a;
    kw_err e;
    cr_assert_eq(parse("plant 12.5", &a, &e), 0, "%s", e.msg);
    cr_assert_eq(a.type, KW_ACTION_PLANT);
    cr_assert_eq(a.amount, 125000000);
    cr_assert_eq(parse("store 0.1", &a, &e), 0, "%s", e.msg);
    cr_assert_eq(a.type, KW_ACTION_STORE);
    cr_assert_eq(parse("wager bad 10000", &a, &e), 0, "%s", e.msg);
    cr_assert_eq(a.type, KW_ACTION_WAGER);
    cr_assert(!a.good);
    cr_assert_eq(a.amount, INT64_C(10000) * KW_STROOPS_PER_KALE);
    cr_assert_eq(parse("wager good 1", &a, &e), 0);
    cr_assert(a.good);
    cr_assert_eq(parse("stay", &a, &e), 0);
    cr_assert_eq(a.type, KW_ACTION_STAY);
    cr_assert_eq(a.amount, 0);
}

Test(act, rejects_bad_words_and_counts)
{
    kw_act a;
    kw_err e;
    cr_assert_eq(parse("harvest 1", &a, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "not an action"), "%s", e.msg);
    cr_assert_eq(parse("plant", &a, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "one amount"), "%s", e.msg);
    cr_assert_eq(parse("wager 5", &a, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "wager good|bad AMOUNT"), "%s", e.msg);
    cr_assert_eq(parse("wager sunny 5", &a, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "good or bad"), "%s", e.msg);
    cr_assert_eq(parse("stay 1", &a, &e), KW_EINVAL);
    cr_assert_eq(e.code, KW_EINVAL);
}

Test(act, rejects_bad_amounts_with_their_own_reasons)
{
    static const struct {
        const char *line;
        int reason;
    } cases[] = {
        {"plant 1e3", KW_AMOUNT_EXPONENT},    {"plant -1", KW_AMOUNT_SIGN},
        {"plant 0", KW_AMOUNT_ZERO},          {"plant 1.00000001", KW_AMOUNT_PRECISION},
        {"plant 0.05", KW_AMOUNT_TOO_SMALL},  {"plant 1000.0000001", KW_AMOUNT_TOO_LARGE},
        {"wager good 10001", KW_AMOUNT_TOO_LARGE}, {"store 12,5", KW_AMOUNT_SYNTAX},
        {"store abc", KW_AMOUNT_SYNTAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kw_act a;
        kw_err e = {0};
        cr_assert_eq(parse(cases[i].line, &a, &e), KW_EINVAL, "%s", cases[i].line);
        cr_assert_eq(e.code, cases[i].reason, "%s: %s", cases[i].line, e.msg);
    }
}

Test(act, phase_rules_are_checked_before_sending)
{
    kw_act a;
    kw_err e;
    cr_assert_eq(parse("plant 1", &a, &e), 0);
    cr_assert_eq(kw_act_check_phase(&a, "planting", &e), 0);
    cr_assert_eq(kw_act_check_phase(&a, "working", &e), KW_ESTATE);
    cr_assert(strstr(e.msg, "working phase, which takes wager or stay"), "%s", e.msg);
    cr_assert_eq(parse("wager good 1", &a, &e), 0);
    cr_assert_eq(kw_act_check_phase(&a, "working", &e), 0);
    cr_assert_eq(kw_act_check_phase(&a, "revealing", &e), KW_ESTATE);
    cr_assert_eq(kw_act_check_phase(&a, "harvesting", &e), KW_EINVAL);
}

static void body_is(const char *line, const char *json)
{
    kw_act a;
    kw_err e;
    cr_assert_eq(parse(line, &a, &e), 0);
    json_t *b = kw_act_body(&a);
    char *text = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(text, json, "%s", line);
    free(text);
    json_decref(b);
}

Test(act, request_bodies_follow_the_api)
{
    body_is("plant 12.5", "{\"agriculture_type\":\"plant\",\"amount\":\"12.5000000\",\"type\":\"agriculture\"}");
    body_is("store 1", "{\"agriculture_type\":\"store\",\"amount\":\"1.0000000\",\"type\":\"agriculture\"}");
    body_is("wager bad 2", "{\"amount\":\"2.0000000\",\"direction\":\"bad\",\"type\":\"wager\"}");
    body_is("stay", "{\"type\":\"stay\"}");
}

Test(act, describes_accepted_actions)
{
    kw_act a;
    kw_err e;
    char line[256];
    json_t *d = json_pack("{s:i,s:i,s:i,s:b}", "cycle_id", 12, "block", 123, "position_id", 7, "replayed", 0);
    cr_assert_eq(parse("plant 5", &a, &e), 0);
    kw_act_describe(&a, d, line, sizeof line);
    cr_assert_str_eq(line, "planted 5.0000000 KALE in cycle 12, block 123 (position 7)");
    json_decref(d);
    d = json_pack("{s:i,s:i,s:i,s:b}", "cycle_id", 12, "block", 124, "wager_id", 3, "replayed", 1);
    cr_assert_eq(parse("wager good 2", &a, &e), 0);
    kw_act_describe(&a, d, line, sizeof line);
    cr_assert_str_eq(line, "wagered 2.0000000 KALE on GOOD weather in cycle 12, block 124 (wager 3) — already done "
                           "earlier, nothing changed");
    json_decref(d);
    d = json_pack("{s:i,s:i}", "cycle_id", 13, "block", 131);
    cr_assert_eq(parse("stay", &a, &e), 0);
    kw_act_describe(&a, d, line, sizeof line);
    cr_assert_str_eq(line, "staying out of cycle 13, block 131");
    json_decref(d);
}
