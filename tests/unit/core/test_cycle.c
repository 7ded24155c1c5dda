#include <criterion/criterion.h>
#include <string.h>

#include "core/cycle.h"

Test(cycle, default_is_valid_and_six_two_one_one)
{
    kw_cycle_config c = kw_cycle_config_default();
    cr_assert_eq(kw_cycle_config_validate(&c, NULL), 0);
    cr_assert_eq(c.length, 10);
    cr_assert_eq(c.phase_blocks[0], 6);
    cr_assert_eq(c.phase_blocks[3], 1);
}

Test(cycle, validation_names_the_settings)
{
    kw_cycle_config c = kw_cycle_config_default();
    kw_err e;
    /* The original 7/2/1/1 over 10 blocks never reached settling. */
    c.phase_blocks[0] = 7;
    cr_assert_eq(kw_cycle_config_validate(&c, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "CYCLE_LENGTH") && strstr(e.msg, "PLANTING_BLOCKS"), "%s", e.msg);
    c = kw_cycle_config_default();
    c.phase_blocks[2] = 0;
    c.phase_blocks[0] = 7;
    cr_assert_eq(kw_cycle_config_validate(&c, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "REVEALING_BLOCKS"), "%s", e.msg);
    c = kw_cycle_config_default();
    c.length = 0;
    cr_assert_eq(kw_cycle_config_validate(&c, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "CYCLE_LENGTH"), "%s", e.msg);
}

Test(cycle, every_block_of_the_default_cycle)
{
    kw_cycle_config c = kw_cycle_config_default();
    c.start_block = 1000;
    static const kw_phase want[10] = {0, 0, 0, 0, 0, 0, 1, 1, 2, 3};
    static const unsigned progress[10] = {0, 166, 333, 500, 666, 833, 0, 500, 0, 0};
    for (uint32_t b = 1000; b < 1030; b++) {
        kw_cycle_pos p;
        cr_assert_eq(kw_cycle_locate(&c, b, &p), 0);
        uint32_t in = (b - 1000) % 10;
        cr_assert_eq(p.cycle_id, (b - 1000) / 10);
        cr_assert_eq(p.block_in_cycle, in);
        cr_assert_eq(p.phase, want[in], "block %u", b);
        cr_assert_eq(p.start_block, b - in);
        cr_assert_eq(p.end_block, b - in + 9);
        cr_assert_eq(p.blocks_remaining, 9 - in);
        cr_assert_eq(p.phase_progress_permille, progress[in], "block %u", b);
    }
}

Test(cycle, before_start_and_overflow_are_rejected)
{
    kw_cycle_config c = kw_cycle_config_default();
    kw_cycle_pos p;
    c.start_block = 5;
    cr_assert_eq(kw_cycle_locate(&c, 4, &p), KW_EINVAL);
    cr_assert_eq(kw_cycle_locate(&c, 5, &p), 0);
    c.start_block = 0;
    cr_assert_eq(kw_cycle_locate(&c, UINT32_MAX, &p), KW_EINVAL);
    cr_assert_eq(kw_cycle_locate(&c, UINT32_MAX - 6, &p), 0); /* last full cycle */
    uint32_t first;
    cr_assert_eq(kw_cycle_first_block(&c, 3, &first), 0);
    cr_assert_eq(first, 30);
    cr_assert_eq(kw_cycle_first_block(&c, UINT64_MAX, &first), KW_ERANGE);
}

Test(cycle, odd_layouts)
{
    kw_cycle_config c = {.length = 4, .start_block = 0, .phase_blocks = {1, 1, 1, 1}};
    cr_assert_eq(kw_cycle_config_validate(&c, NULL), 0);
    for (uint32_t b = 0; b < 8; b++) {
        kw_cycle_pos p;
        cr_assert_eq(kw_cycle_locate(&c, b, &p), 0);
        cr_assert_eq(p.phase, (kw_phase)(b % 4));
        cr_assert_eq(p.phase_blocks, 1);
    }
}

Test(cycle, actions_per_phase)
{
    cr_assert(kw_phase_accepts(KW_PHASE_PLANTING, KW_ACTION_PLANT));
    cr_assert(kw_phase_accepts(KW_PHASE_PLANTING, KW_ACTION_STORE));
    cr_assert(kw_phase_accepts(KW_PHASE_PLANTING, KW_ACTION_WAGER));
    cr_assert(kw_phase_accepts(KW_PHASE_PLANTING, KW_ACTION_STAY));
    cr_assert_not(kw_phase_accepts(KW_PHASE_WORKING, KW_ACTION_PLANT));
    cr_assert_not(kw_phase_accepts(KW_PHASE_WORKING, KW_ACTION_STORE));
    cr_assert(kw_phase_accepts(KW_PHASE_WORKING, KW_ACTION_WAGER));
    cr_assert(kw_phase_accepts(KW_PHASE_WORKING, KW_ACTION_STAY));
    for (int a = 0; a < KW_ACTION_COUNT; a++) {
        cr_assert_not(kw_phase_accepts(KW_PHASE_REVEALING, (kw_action_type)a));
        cr_assert_not(kw_phase_accepts(KW_PHASE_SETTLING, (kw_action_type)a));
    }
}

Test(cycle, names_round_trip)
{
    for (int p = 0; p < KW_PHASE_COUNT; p++) {
        kw_phase back;
        cr_assert_eq(kw_phase_parse(kw_phase_name((kw_phase)p), &back), 0);
        cr_assert_eq(back, p);
    }
    for (int a = 0; a < KW_ACTION_COUNT; a++) {
        kw_action_type back;
        cr_assert_eq(kw_action_type_parse(kw_action_type_name((kw_action_type)a), &back), 0);
        cr_assert_eq(back, a);
    }
    kw_phase p;
    cr_assert_eq(kw_phase_parse("Planting", &p), KW_EINVAL);
    cr_assert_eq(kw_phase_parse(NULL, &p), KW_EINVAL);
}
