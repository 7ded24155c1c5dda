#include "core/cycle.h"

#include <string.h>

static const char *const phase_names[KW_PHASE_COUNT] = {
    "planting", "working", "revealing", "settling",
};
static const char *const phase_vars[KW_PHASE_COUNT] = {
    "PLANTING_BLOCKS", "WORKING_BLOCKS", "REVEALING_BLOCKS", "SETTLING_BLOCKS",
};
static const char *const action_names[KW_ACTION_COUNT] = {
    "plant", "store", "wager", "stay",
};

kw_cycle_config kw_cycle_config_default(void)
{
    return (kw_cycle_config){.length = 10, .start_block = 0, .phase_blocks = {6, 2, 1, 1}};
}

int kw_cycle_config_validate(const kw_cycle_config *c, kw_err *err)
{
    if (c->length == 0)
        return kw_err_set(err, KW_EINVAL, "CYCLE_LENGTH must be at least 4 (one block per phase), got 0");
    uint64_t sum = 0;
    for (int p = 0; p < KW_PHASE_COUNT; p++) {
        if (c->phase_blocks[p] < 1)
            return kw_err_set(err, KW_EINVAL, "%s must be at least 1, got %u", phase_vars[p],
                              c->phase_blocks[p]);
        sum += c->phase_blocks[p];
    }
    if (sum != c->length)
        return kw_err_set(err, KW_EINVAL,
                          "PLANTING_BLOCKS + WORKING_BLOCKS + REVEALING_BLOCKS + SETTLING_BLOCKS "
                          "(%u + %u + %u + %u = %llu) must equal CYCLE_LENGTH (%u)",
                          c->phase_blocks[0], c->phase_blocks[1], c->phase_blocks[2],
                          c->phase_blocks[3], (unsigned long long)sum, c->length);
    return 0;
}

int kw_cycle_locate(const kw_cycle_config *c, uint32_t block, kw_cycle_pos *out)
{
    if (block < c->start_block)
        return KW_EINVAL;
    uint32_t rel = block - c->start_block;
    uint32_t in = rel % c->length;
    uint64_t start = (uint64_t)block - in;
    if (start + c->length - 1 > UINT32_MAX)
        return KW_EINVAL;

    kw_cycle_pos pos = {
        .cycle_id = rel / c->length,
        .block_in_cycle = in,
        .start_block = (uint32_t)start,
        .end_block = (uint32_t)(start + c->length - 1),
        .blocks_remaining = c->length - 1 - in,
    };
    uint32_t phase_start = 0;
    int p = 0;
    while (in >= phase_start + c->phase_blocks[p]) {
        phase_start += c->phase_blocks[p];
        p++;
    }
    pos.phase = (kw_phase)p;
    pos.phase_start = phase_start;
    pos.phase_blocks = c->phase_blocks[p];
    pos.phase_progress_permille = (in - phase_start) * 1000u / c->phase_blocks[p];
    *out = pos;
    return 0;
}

int kw_cycle_first_block(const kw_cycle_config *c, uint64_t cycle_id, uint32_t *out)
{
    unsigned __int128 b = (unsigned __int128)cycle_id * c->length + c->start_block;
    if (b + c->length - 1 > UINT32_MAX)
        return KW_ERANGE;
    *out = (uint32_t)b;
    return 0;
}

bool kw_phase_accepts(kw_phase phase, kw_action_type type)
{
    switch (phase) {
    case KW_PHASE_PLANTING:
        return type >= 0 && type < KW_ACTION_COUNT;
    case KW_PHASE_WORKING:
        return type == KW_ACTION_WAGER || type == KW_ACTION_STAY;
    default:
        return false;
    }
}

const char *kw_phase_name(kw_phase phase)
{
    return phase >= 0 && phase < KW_PHASE_COUNT ? phase_names[phase] : "unknown";
}

const char *kw_action_type_name(kw_action_type type)
{
    return type >= 0 && type < KW_ACTION_COUNT ? action_names[type] : "unknown";
}

static int lookup(const char *s, const char *const *names, int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int kw_phase_parse(const char *s, kw_phase *out)
{
    int i = lookup(s, phase_names, KW_PHASE_COUNT);
    if (i < 0)
        return KW_EINVAL;
    *out = (kw_phase)i;
    return 0;
}

int kw_action_type_parse(const char *s, kw_action_type *out)
{
    int i = lookup(s, action_names, KW_ACTION_COUNT);
    if (i < 0)
        return KW_EINVAL;
    *out = (kw_action_type)i;
    return 0;
}
