#include "cli/act.h"

#include <stdio.h>
#include <string.h>

#include "core/amount.h"
#include "engine/actions.h"

#define ACT_USAGE "plant AMOUNT, store AMOUNT, wager good|bad AMOUNT or stay"

int kw_act_parse(int argc, char *const *argv, kw_act *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    if (argc < 1 || kw_action_type_parse(argv[0], &out->type) != 0)
        return kw_err_set(err, KW_EINVAL, "\"%s\" is not an action: use " ACT_USAGE, argc < 1 ? "" : argv[0]);
    const char *name = kw_action_type_name(out->type);
    int want = out->type == KW_ACTION_STAY ? 1 : out->type == KW_ACTION_WAGER ? 3 : 2;
    if (argc != want)
        return kw_err_set(err, KW_EINVAL, "%s takes %s", name,
                          out->type == KW_ACTION_STAY    ? "no arguments"
                          : out->type == KW_ACTION_WAGER ? "a direction and an amount: wager good|bad AMOUNT"
                                                         : "one amount in KALE, like 12.5");
    if (out->type == KW_ACTION_STAY)
        return 0;
    if (out->type == KW_ACTION_WAGER) {
        if (strcmp(argv[1], "good") != 0 && strcmp(argv[1], "bad") != 0)
            return kw_err_set(err, KW_EINVAL, "a wager is on good or bad weather, not \"%s\": wager good|bad AMOUNT",
                              argv[1]);
        out->good = argv[1][0] == 'g';
    }
    int64_t min, max;
    kw_action_limits(out->type, &min, &max);
    return kw_amount_parse(argv[argc - 1], "amount", min, max, &out->amount, err);
}

/* What a phase takes, for messages. */
static const char *allowed(kw_phase phase)
{
    switch (phase) {
    case KW_PHASE_PLANTING: return "plant, store, wager or stay";
    case KW_PHASE_WORKING: return "wager or stay";
    case KW_PHASE_REVEALING: return "nothing (the DAOs reveal and the weather is observed)";
    default: return "nothing (rewards are being settled)";
    }
}

int kw_act_check_phase(const kw_act *a, const char *phase, kw_err *err)
{
    kw_phase p;
    if (kw_phase_parse(phase, &p) != 0)
        return kw_err_set(err, KW_EINVAL, "the server reports an unknown phase \"%s\"", phase);
    if (!kw_phase_accepts(p, a->type))
        return kw_err_set(err, KW_ESTATE, "%s is not accepted in the %s phase, which takes %s",
                          kw_action_type_name(a->type), phase, allowed(p));
    return 0;
}

json_t *kw_act_body(const kw_act *a)
{
    char amount[KW_AMOUNT_BUFSZ];
    kw_amount_format(a->amount, amount);
    switch (a->type) {
    case KW_ACTION_PLANT:
    case KW_ACTION_STORE:
        return json_pack("{s:s,s:s,s:s}", "type", "agriculture", "agriculture_type", kw_action_type_name(a->type),
                         "amount", amount);
    case KW_ACTION_WAGER:
        return json_pack("{s:s,s:s,s:s}", "type", "wager", "direction", a->good ? "good" : "bad", "amount", amount);
    default:
        return json_pack("{s:s}", "type", "stay");
    }
}

void kw_act_describe(const kw_act *a, const json_t *data, char *buf, size_t cap)
{
    static const char *const done[] = {"planted", "stored", "wagered", "staying out of"};
    char amount[KW_AMOUNT_BUFSZ], what[96] = "", ref[48] = "";
    kw_amount_format(a->amount, amount);
    json_int_t cycle = json_integer_value(json_object_get(data, "cycle_id"));
    json_int_t block = json_integer_value(json_object_get(data, "block"));
    json_int_t pos = json_integer_value(json_object_get(data, "position_id"));
    json_int_t wager = json_integer_value(json_object_get(data, "wager_id"));
    if (a->type == KW_ACTION_WAGER)
        snprintf(what, sizeof what, " %s KALE on %s weather in", amount, a->good ? "GOOD" : "BAD");
    else if (a->type != KW_ACTION_STAY)
        snprintf(what, sizeof what, " %s KALE in", amount);
    if (pos)
        snprintf(ref, sizeof ref, " (position %lld)", (long long)pos);
    else if (wager)
        snprintf(ref, sizeof ref, " (wager %lld)", (long long)wager);
    snprintf(buf, cap, "%s%s cycle %lld, block %lld%s%s", done[a->type], what, (long long)cycle, (long long)block, ref,
             json_is_true(json_object_get(data, "replayed")) ? " — already done earlier, nothing changed" : "");
}
