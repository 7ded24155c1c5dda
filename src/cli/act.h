/*
 * act — the user actions of SPEC §4 as the command line takes them:
 *
 *     plant AMOUNT | store AMOUNT | wager good|bad AMOUNT | stay
 *
 * checked here — the words, the amount's syntax and limits, and whether
 * the current phase accepts the action — before anything is sent, and
 * turned into the body of POST /api/v1/actions. The `plant`, `store`,
 * `wager` and `stay` commands and the prompts of `kalewx play` share it.
 *
 * Pure apart from allocating JSON; thread-safe.
 */
#ifndef KW_CLI_ACT_H
#define KW_CLI_ACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/cycle.h"
#include "core/err.h"

typedef struct kw_act {
    kw_action_type type;
    bool good;          /* the wager's direction */
    int64_t amount;     /* stroops; 0 for stay */
} kw_act;

/* Parses argv[0..argc): the action's word and its arguments. KW_EINVAL with
 * err->msg naming what is wrong and the expected form; err->code is
 * KW_EINVAL for a wrong word or argument count and a kw_amount_reject for a
 * bad amount. */
int kw_act_parse(int argc, char *const *argv, kw_act *out, kw_err *err) KW_WUR;

/* KW_ESTATE when the phase (its name, "planting" ...) does not take the
 * action, with err->msg saying what it does take; KW_EINVAL for an unknown
 * phase name. */
int kw_act_check_phase(const kw_act *a, const char *phase, kw_err *err) KW_WUR;

/* The request body (a new reference; NULL when out of memory). */
json_t *kw_act_body(const kw_act *a);

/* One sentence about an accepted action from the reply's data into buf:
 * "planted 5.0000000 KALE in cycle 12, block 123 (position 7)". */
void kw_act_describe(const kw_act *a, const json_t *data, char *buf, size_t cap);

#endif
