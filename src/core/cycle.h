/*
 * cycle — where a KALE block falls in the game: cycle, phase, progress (SPEC §3),
 * and which user actions each phase accepts (SPEC §4).
 *
 *   cycle_id       = (block − start_block) / length
 *   block_in_cycle = (block − start_block) % length
 *
 * Phases follow each other in the order planting, working, revealing, settling,
 * each at least one block long, together exactly `length` blocks.
 *
 * Pure; thread-safe.
 */
#ifndef KW_CORE_CYCLE_H
#define KW_CORE_CYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

typedef enum kw_phase {
    KW_PHASE_PLANTING = 0,
    KW_PHASE_WORKING,
    KW_PHASE_REVEALING,
    KW_PHASE_SETTLING,
    KW_PHASE_COUNT,
} kw_phase;

typedef enum kw_action_type {
    KW_ACTION_PLANT = 0,
    KW_ACTION_STORE,
    KW_ACTION_WAGER,
    KW_ACTION_STAY,
    KW_ACTION_COUNT,
} kw_action_type;

typedef struct kw_cycle_config {
    uint32_t length;       /* CYCLE_LENGTH */
    uint32_t start_block;  /* CYCLE_START_BLOCK */
    uint32_t phase_blocks[KW_PHASE_COUNT]; /* PLANTING_, WORKING_, REVEALING_, SETTLING_BLOCKS */
} kw_cycle_config;

typedef struct kw_cycle_pos {
    uint64_t cycle_id;
    uint32_t block_in_cycle;
    uint32_t start_block;       /* first block of the cycle */
    uint32_t end_block;         /* last block of the cycle (inclusive) */
    kw_phase phase;
    uint32_t phase_start;       /* block_in_cycle where the phase begins */
    uint32_t phase_blocks;      /* length of the phase in blocks */
    uint32_t blocks_remaining;  /* blocks of the cycle after this one */
    uint32_t phase_progress_permille; /* blocks of the phase already finished, ‰ */
} kw_cycle_pos;

/* The defaults of SPEC §3: 10 blocks, 6/2/1/1, starting at block 0. */
kw_cycle_config kw_cycle_config_default(void);

/* Checks that each phase is ≥ 1 block and the phases sum to the length.
 * The message names the environment variables involved. */
int kw_cycle_config_validate(const kw_cycle_config *c, kw_err *err) KW_WUR;

/* Locates block in a validated configuration. Returns KW_EINVAL if the block
 * precedes start_block or its cycle would end past UINT32_MAX. */
int kw_cycle_locate(const kw_cycle_config *c, uint32_t block, kw_cycle_pos *out) KW_WUR;

/* The first block of cycle id (its planting phase), or KW_ERANGE. */
int kw_cycle_first_block(const kw_cycle_config *c, uint64_t cycle_id, uint32_t *out) KW_WUR;

/* Whether the phase accepts an action of that type (SPEC §3 table). */
bool kw_phase_accepts(kw_phase phase, kw_action_type type);

/* "planting", "working", "revealing", "settling". */
const char *kw_phase_name(kw_phase phase);
/* "plant", "store", "wager", "stay". */
const char *kw_action_type_name(kw_action_type type);
/* Parses the names above; returns KW_EINVAL on anything else. */
int kw_phase_parse(const char *s, kw_phase *out) KW_WUR;
int kw_action_type_parse(const char *s, kw_action_type *out) KW_WUR;

#endif
