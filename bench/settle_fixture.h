/*
 * settle_fixture — a large cycle waiting in settling, for the engine
 * benchmark and the settlement test.
 *
 * kw_settle_fixture_seed creates n users in a migrated, empty store, each
 * with one position and one wager in cycle 1, which is resolved (GOOD,
 * confidence 0.64) and waits in settling: three in four positions plant (one
 * in a hundred of those failed after the stake reached the chain, the others
 * harvested with a reward), the rest store; wagers alternate good and bad.
 * Escrow holds what settlement takes from it (stake + reward of a harvested
 * plant, a store's stake, the wager), the reserve holds a million KALE, both
 * funded through the journal from chain_in, so the books balance before and
 * after. The 15 DAOs are seeded. Set-based SQL: seconds for 100,000 users.
 *
 * kw_settle_fixture_arrays reads back the arrays that settlement builds
 * (pos and w with room for n each) and its parameters, for kw_settle_cycle.
 */
#ifndef KW_BENCH_SETTLE_FIXTURE_H
#define KW_BENCH_SETTLE_FIXTURE_H

#include <stdint.h>

#include "core/settle.h"
#include "store/store.h"

#define KW_SETTLE_FIXTURE_FEE_BPS 100

int kw_settle_fixture_seed(kw_store *st, int64_t n, kw_err *err) KW_WUR;
int kw_settle_fixture_arrays(kw_store *st, int64_t n, kw_settle_position *pos, kw_settle_wager *w,
                             kw_settle_params *p, kw_err *err) KW_WUR;

#endif
