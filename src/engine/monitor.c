#include "engine/monitor.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "engine/events.h"
#include "engine/settlement.h"
#include "obs/log.h"

static const kw_sql SQL_MAX_CYCLE = {.sql = "SELECT COALESCE(MAX(cycle_id), -1) FROM weather_cycles"};
static const kw_sql SQL_NEW_CYCLE = {
    .sql = "INSERT INTO weather_cycles (cycle_id, start_block, end_block, current_state, created_at, updated_at) "
           "VALUES ($1, $2, $3, 'planting', $4, $4) ON CONFLICT (cycle_id) DO NOTHING"};
static const kw_sql SQL_OPEN_CYCLES = {
    .sql = "SELECT cycle_id, current_state FROM weather_cycles WHERE current_state <> 'settled' ORDER BY cycle_id"};
static const kw_sql SQL_TO_SETTLING = {
    .sql = "UPDATE weather_cycles SET current_state = 'settling', updated_at = $2 "
           "WHERE cycle_id = $1 AND current_state = 'revealing'"};

static int64_t now(kw_monitor *m) { return m->now_ms(m->clock_ctx); }

typedef struct block_ctx {
    kw_monitor *m;
    const kw_chain_status *s;
    kw_cycle_pos pos;
    int64_t first_new, last_new;
} block_ctx;

/* Announces the block and records the cycles that start up to it. */
static int block_tx(kw_db *db, void *ctx, kw_err *err)
{
    block_ctx *c = ctx;
    int64_t at = now(c->m);
    json_t *ev = json_pack("{s:I,s:I,s:s,s:I,s:I}", "block", (json_int_t)c->s->farm_index, "cycle_id",
                           (json_int_t)c->pos.cycle_id, "phase", kw_phase_name(c->pos.phase), "block_in_cycle",
                           (json_int_t)c->pos.block_in_cycle, "timestamp", (json_int_t)c->s->block.timestamp);
    int rc = kw_events_append(db, KW_EV_BLOCK_CHANGED, 0, (int64_t)c->pos.cycle_id, ev, at, NULL, err);
    for (int64_t id = c->first_new; id <= c->last_new && rc == 0; id++) {
        uint32_t first;
        int64_t n;
        if ((rc = kw_cycle_first_block(&c->m->cycle, (uint64_t)id, &first)) != 0)
            return kw_err_set(err, rc, "cycle %lld is out of the block range", (long long)id);
        rc = kw_db_exec(db, &SQL_NEW_CYCLE,
                        KW_ARGS(KW_I(id), KW_I(first), KW_I(first + c->m->cycle.length - 1), KW_I(at)), &n, err);
        if (rc || n == 0)
            continue;
        json_t *st = json_pack("{s:I,s:I,s:I}", "cycle_id", (json_int_t)id, "start_block", (json_int_t)first,
                               "end_block", (json_int_t)(first + c->m->cycle.length - 1));
        if ((rc = kw_events_append(db, KW_EV_CYCLE_STARTED, 0, id, st, at, NULL, err)) != 0)
            break;
        json_t *ph = json_pack("{s:I,s:s,s:I}", "cycle_id", (json_int_t)id, "phase", "planting", "block",
                               (json_int_t)first);
        rc = kw_events_append(db, KW_EV_PHASE_CHANGED, 0, id, ph, at, NULL, err);
    }
    return rc;
}

typedef struct settling_ctx {
    kw_monitor *m;
    uint64_t cycle;
    uint32_t block;
} settling_ctx;

static int settling_tx(kw_db *db, void *ctx, kw_err *err)
{
    settling_ctx *c = ctx;
    int64_t n, at = now(c->m);
    int rc = kw_db_exec(db, &SQL_TO_SETTLING, KW_ARGS(KW_I(c->cycle), KW_I(at)), &n, err);
    if (rc || n == 0)
        return rc;
    json_t *ev = json_pack("{s:I,s:s,s:I}", "cycle_id", (json_int_t)c->cycle, "phase", "settling", "block",
                           (json_int_t)c->block);
    return kw_events_append(db, KW_EV_PHASE_CHANGED, 0, (int64_t)c->cycle, ev, at, NULL, err);
}

static int state_rank(const char *s)
{
    static const char *const order[] = {"planting", "working", "revealing", "settling", "settled"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return -1;
}

/* Runs the handlers that take one cycle from `state` to `target` (ranks).
 * Returns 1 when the cycle must wait (harvests outstanding). */
static int advance(kw_monitor *m, const kw_chain_status *s, uint64_t cycle, int state, int target, kw_err *err)
{
    int rc = 0;
    for (; state < target && rc == 0; state++) {
        switch (state) {
        case 0:
            rc = kw_resolver_commit(m->resolver, cycle, s->farm_index, (int64_t)s->block.timestamp, err);
            break;
        case 1:
            rc = kw_resolver_reveal(m->resolver, cycle, err);
            break;
        case 2:
            rc = kw_store_tx(m->store, settling_tx, &(settling_ctx){m, cycle, s->farm_index}, err);
            break;
        case 3: {
            kw_settlement_report rep;
            rc = kw_settlement_run(m->store, cycle, m->wager_fee_bps, now(m), &rep, err);
            if (rc == KW_ESTATE) {
                m->settle_waits++;
                return 1;
            }
            if (rc == 0 && rep.settled_now) {
                m->cycles_settled++;
                KW_LOG(KW_LOG_INFO, "cycle settled", KW_LI("cycle", cycle), KW_LI("positions", rep.positions),
                       KW_LI("wagers", rep.wagers), KW_LI("reserve_after", rep.totals.reserve_after));
            }
            break;
        }
        }
        if (rc == 0 && state < 3)
            KW_LOG(KW_LOG_INFO, "cycle phase", KW_LI("cycle", cycle), KW_LI("block", s->farm_index),
                   KW_LS("phase", state == 0 ? "working" : state == 1 ? "revealing" : "settling"));
    }
    return rc;
}

int kw_monitor_tick(kw_monitor *m, const kw_chain_status *s, kw_err *err)
{
    if (!s->has_block)
        return 0;
    block_ctx bc = {.m = m, .s = s};
    if (kw_cycle_locate(&m->cycle, s->farm_index, &bc.pos) != 0)
        return 0; /* before CYCLE_START_BLOCK: nothing to play yet */
    int rc;
    if (!m->have_block || s->farm_index != m->last_block) {
        kw_db *db;
        int64_t max_id;
        if ((rc = kw_store_acquire(m->store, KW_DB_READ, &db, err)) != 0)
            return rc;
        rc = kw_db_query_int(db, &SQL_MAX_CYCLE, KW_NOARGS, &max_id, err);
        kw_store_release(m->store, db);
        if (rc)
            return rc;
        /* A fresh service starts with the current cycle; after downtime every
         * missed cycle is recorded and then played through in order. */
        bc.first_new = max_id < 0 ? (int64_t)bc.pos.cycle_id : max_id + 1;
        bc.last_new = (int64_t)bc.pos.cycle_id;
        if ((rc = kw_store_tx(m->store, block_tx, &bc, err)) != 0)
            return rc;
        m->last_block = s->farm_index;
        m->have_block = true;
    }

    uint64_t ids[64];
    char states[64][16];
    int n = 0;
    kw_db *db;
    kw_rows *rows;
    if ((rc = kw_store_acquire(m->store, KW_DB_READ, &db, err)) != 0)
        return rc;
    if ((rc = kw_db_query(db, &SQL_OPEN_CYCLES, KW_NOARGS, &rows, err)) == 0) {
        while (n < 64 && (rc = kw_rows_next(rows, err)) == 1) {
            ids[n] = (uint64_t)kw_rows_int(rows, 0);
            snprintf(states[n], sizeof states[n], "%s", kw_rows_text(rows, 1));
            n++;
        }
        kw_rows_close(rows);
    }
    kw_store_release(m->store, db);
    if (rc < 0)
        return rc;
    bool waiting = false;
    for (int i = 0; i < n; i++) {
        int target = ids[i] < bc.pos.cycle_id ? 4 : (int)bc.pos.phase;
        if (waiting && target > 3)
            target = 3; /* cycles settle in order: none before the one still waiting */
        rc = advance(m, s, ids[i], state_rank(states[i]), target, err);
        if (rc < 0)
            return rc;
        waiting |= rc == 1;
    }
    return 0;
}
