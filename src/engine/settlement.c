#include "engine/settlement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/amount.h"
#include "engine/events.h"
#include "engine/resolver.h"
#include "obs/metrics.h"
#include "store/ledger.h"
#include "store/performance.h"

static const kw_sql SQL_CYCLE = {
    .sql = "SELECT current_state, COALESCE(weather_outcome, ''), COALESCE(confidence_ppm, 0) "
           "FROM weather_cycles WHERE cycle_id = $1"};
static const kw_sql SQL_UNFINISHED = {
    .sql = "SELECT COUNT(*) FROM farm_positions WHERE cycle_id = $1 AND position_type = 'plant' "
           "AND status IN ('pending', 'planted', 'worked')"};
static const kw_sql SQL_POSITIONS = {
    .sql = "SELECT id, user_id, position_type, stake_amount, COALESCE(base_reward, 0), status, "
           "CASE WHEN kale_block IS NULL THEN 0 ELSE 1 END "
           "FROM farm_positions WHERE cycle_id = $1 AND status <> 'settled' ORDER BY id"};
static const kw_sql SQL_WAGERS = {
    .sql = "SELECT id, user_id, direction, amount FROM weather_wagers "
           "WHERE cycle_id = $1 AND status = 'open' ORDER BY id"};
static const kw_sql SQL_POSITION_DONE = {
    .sql = "UPDATE farm_positions SET status = 'settled', final_reward = $2, weather_modifier_ppm = $3, "
           "settled_at = $4, updated_at = $4 WHERE id = $1"};
static const kw_sql SQL_WAGER_DONE = {
    .sql = "UPDATE weather_wagers SET status = $2, payout = $3, settled_at = $4 WHERE id = $1"};
static const kw_sql SQL_CYCLE_DONE = {
    .sql = "UPDATE weather_cycles SET current_state = 'settled', plant_modifier_ppm = $2, "
           "store_modifier_ppm = $3, settled_at = $4, updated_at = $4 "
           "WHERE cycle_id = $1 AND current_state = 'settling'"};

typedef struct row {
    int64_t id, user_id;
} row;

typedef struct run {
    uint64_t cycle;
    uint32_t fee_bps;
    int64_t now;
    kw_settlement_report *rep;
    /* loaded */
    row *prow, *wrow;
    kw_settle_position *pos;
    kw_settle_wager *wag;
    size_t np, nw, pcap, wcap;
    int64_t reserve_acct;
} run;

/* Makes room for one more element in two parallel arrays sharing *cap. */
static int grow2(void **a, size_t asize, void **b, size_t bsize, size_t *cap, size_t n)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *ga = realloc(*a, c * asize);
    if (ga)
        *a = ga;
    void *gb = ga ? realloc(*b, c * bsize) : NULL;
    if (!gb)
        return KW_ENOMEM;
    *b = gb;
    *cap = c;
    return 0;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static int load(kw_db *db, run *r, kw_err *err)
{
    kw_rows *rows;
    int rc = kw_db_query(db, &SQL_POSITIONS, KW_ARGS(KW_I(r->cycle)), &rows, err);
    if (rc)
        return rc;
    while ((rc = kw_rows_next(rows, err)) == 1) {
        if (grow2((void **)&r->prow, sizeof *r->prow, (void **)&r->pos, sizeof *r->pos, &r->pcap, r->np)) {
            rc = kw_err_set(err, KW_ENOMEM, "out of memory loading positions");
            break;
        }
        r->prow[r->np] = (row){kw_rows_int(rows, 0), kw_rows_int(rows, 1)};
        bool store = strcmp(kw_rows_text(rows, 2), "store") == 0;
        r->pos[r->np] = (kw_settle_position){
            .kind = store ? KW_POSITION_STORE : KW_POSITION_PLANT,
            .stake = kw_rows_int(rows, 3),
            .base_reward = store ? 0 : kw_rows_int(rows, 4),
            /* A position that failed before its plant landed still has its
             * stake in escrow; only one whose stake reached the chain lost it. */
            .harvest_failed = strcmp(kw_rows_text(rows, 5), "failed") == 0 && kw_rows_int(rows, 6),
        };
        r->np++;
    }
    kw_rows_close(rows);
    if (rc < 0)
        return rc;
    if ((rc = kw_db_query(db, &SQL_WAGERS, KW_ARGS(KW_I(r->cycle)), &rows, err)) != 0)
        return rc;
    while ((rc = kw_rows_next(rows, err)) == 1) {
        if (grow2((void **)&r->wrow, sizeof *r->wrow, (void **)&r->wag, sizeof *r->wag, &r->wcap, r->nw)) {
            rc = kw_err_set(err, KW_ENOMEM, "out of memory loading wagers");
            break;
        }
        r->wrow[r->nw] = (row){kw_rows_int(rows, 0), kw_rows_int(rows, 1)};
        r->wag[r->nw] = (kw_settle_wager){
            .direction = strcmp(kw_rows_text(rows, 2), "good") == 0 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD,
            .stake = kw_rows_int(rows, 3),
        };
        r->nw++;
    }
    kw_rows_close(rows);
    return rc < 0 ? rc : 0;
}

/* The results go to the ledger in batches: one entry carries up to
 * BATCH_ITEMS positions (or wagers), each as its escrow and available lines,
 * plus one net line of the reserve. Every entry moves the reserve, and on
 * PostgreSQL a row updated again and again inside one transaction gets slower
 * with each update (each new version is reached through all the earlier
 * ones), so one reserve update per position made a large cycle quadratic. */
#define BATCH_ITEMS ((KW_LEDGER_MAX_LINES - 1) / 2)

typedef struct batch {
    const char *kind;     /* "settle_position" or "settle_wager" */
    kw_ledger_line lines[KW_LEDGER_MAX_LINES];
    size_t n, items;
    int64_t reserve;      /* the reserve's net change */
    int64_t first_id;     /* the first item's id names the entry */
} batch;

static int flush(kw_db *db, run *r, batch *b, kw_err *err)
{
    int rc = 0;
    if (b->reserve)
        b->lines[b->n++] = (kw_ledger_line){r->reserve_acct, b->reserve};
    if (b->n >= 2) {
        char ref[48], memo[48];
        snprintf(ref, sizeof ref, "%llu:%lld", (unsigned long long)r->cycle, (long long)b->first_id);
        snprintf(memo, sizeof memo, "%zu %s settled", b->items,
                 strcmp(b->kind, "settle_wager") == 0 ? "wagers" : "positions");
        kw_ledger_entry e = {.kind = b->kind, .ref = ref, .memo = memo, .lines = b->lines, .nlines = b->n,
                             .at_ms = r->now};
        rc = kw_ledger_post(db, &e, NULL, err);
    }
    b->n = b->items = 0;
    b->reserve = 0;
    return rc;
}

/* Adds escrow −from_escrow and available +to_user of one item to the batch,
 * and the difference to its reserve line; an item that moves nothing is left out. */
static int add(kw_db *db, run *r, batch *b, int64_t user, int64_t ref_id, int64_t from_escrow, int64_t to_user,
               kw_err *err)
{
    int64_t avail, esc;
    int rc = 0;
    if (!from_escrow && !to_user)
        return 0;
    if (b->items == BATCH_ITEMS && (rc = flush(db, r, b, err)) != 0)
        return rc;
    if ((rc = kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, user, &avail, err)) != 0 ||
        (rc = kw_ledger_account(db, KW_ACCT_USER_ESCROW, user, &esc, err)) != 0)
        return rc;
    if (b->items++ == 0)
        b->first_id = ref_id;
    if (from_escrow)
        b->lines[b->n++] = (kw_ledger_line){esc, -from_escrow};
    if (to_user)
        b->lines[b->n++] = (kw_ledger_line){avail, to_user};
    b->reserve += from_escrow - to_user;
    return 0;
}

static int make_whole(kw_db *db, run *r, size_t i, kw_err *err)
{
    int64_t esc, amount = r->pos[i].make_whole;
    if (amount == 0)
        return 0;
    int rc = kw_ledger_account(db, KW_ACCT_USER_ESCROW, r->prow[i].user_id, &esc, err);
    if (rc)
        return rc;
    char ref[48];
    snprintf(ref, sizeof ref, "%llu:%lld", (unsigned long long)r->cycle, (long long)r->prow[i].id);
    kw_ledger_line lines[] = {{r->reserve_acct, -amount}, {esc, amount}};
    kw_ledger_entry e = {.kind = "make_whole", .ref = ref, .memo = "harvest failed: stake replaced",
                         .lines = lines, .nlines = 2, .at_ms = r->now};
    return kw_ledger_post(db, &e, NULL, err);
}

static int64_t brought(const kw_settle_position *p)
{
    return p->harvest_failed ? p->make_whole : p->stake + p->base_reward;
}

/* pass 0: entries that pay into the reserve; pass 1: those that draw on it. */
static int post_results(kw_db *db, run *r, kw_err *err)
{
    int rc = 0;
    batch *b = malloc(sizeof *b);
    if (!b)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        *b = (batch){.kind = "settle_position"};
        for (size_t i = 0; i < r->np && rc == 0; i++) {
            int64_t brought_in = brought(&r->pos[i]);
            if ((r->pos[i].final_reward > brought_in) == (pass == 1))
                rc = add(db, r, b, r->prow[i].user_id, r->prow[i].id, brought_in, r->pos[i].final_reward, err);
        }
        rc = rc ? rc : flush(db, r, b, err);
        *b = (batch){.kind = "settle_wager"};
        for (size_t i = 0; i < r->nw && rc == 0; i++)
            if ((r->wag[i].payout > r->wag[i].stake) == (pass == 1))
                rc = add(db, r, b, r->wrow[i].user_id, r->wrow[i].id, r->wag[i].stake, r->wag[i].payout, err);
        rc = rc ? rc : flush(db, r, b, err);
    }
    free(b);
    return rc;
}

static int write_rows(kw_db *db, run *r, kw_settle_params *p, kw_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < r->np && rc == 0; i++)
        rc = kw_db_exec(db, &SQL_POSITION_DONE,
                        KW_ARGS(KW_I(r->prow[i].id), KW_I(r->pos[i].final_reward), KW_I(r->pos[i].modifier_ppm),
                                KW_I(r->now)),
                        NULL, err);
    for (size_t i = 0; i < r->nw && rc == 0; i++) {
        const char *status = r->rep->totals.wagers_refunded ? "refunded"
                             : r->wag[i].direction == p->outcome ? "won" : "lost";
        rc = kw_db_exec(db, &SQL_WAGER_DONE,
                        KW_ARGS(KW_I(r->wrow[i].id), KW_T(status), KW_I(r->wag[i].payout), KW_I(r->now)), NULL, err);
    }
    return rc;
}

/* One position.updated per position and one balance.changed per user. */
static int emit(kw_db *db, run *r, kw_err *err)
{
    char a[KW_AMOUNT_BUFSZ], b[KW_AMOUNT_BUFSZ];
    int rc = 0;
    for (size_t i = 0; i < r->np && rc == 0; i++) {
        json_t *ev = json_pack("{s:I,s:I,s:s,s:s,s:I}", "position_id", (json_int_t)r->prow[i].id, "cycle_id",
                               (json_int_t)r->cycle, "status", "settled", "final_reward",
                               kw_amount_format(r->pos[i].final_reward, a), "weather_modifier_ppm",
                               (json_int_t)r->pos[i].modifier_ppm);
        rc = kw_events_append(db, KW_EV_POSITION_UPDATED, r->prow[i].user_id, (int64_t)r->cycle, ev, r->now, NULL, err);
    }
    /* Each user once, in id order. */
    size_t n = r->np + r->nw;
    int64_t *users = malloc((n ? n : 1) * sizeof *users);
    if (!users)
        return rc ? rc : kw_err_set(err, KW_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->np; i++)
        users[i] = r->prow[i].user_id;
    for (size_t i = 0; i < r->nw; i++)
        users[r->np + i] = r->wrow[i].user_id;
    qsort(users, n, sizeof *users, cmp_i64);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i && users[i] == users[i - 1])
            continue;
        int64_t avail, esc;
        if ((rc = kw_ledger_user_balances(db, users[i], &avail, &esc, err)) != 0)
            break;
        json_t *ev = json_pack("{s:s,s:s,s:s,s:I}", "available", kw_amount_format(avail, a), "escrow",
                               kw_amount_format(esc, b), "reason", "settlement", "cycle_id", (json_int_t)r->cycle);
        rc = kw_events_append(db, KW_EV_BALANCE_CHANGED, users[i], (int64_t)r->cycle, ev, r->now, NULL, err);
    }
    free(users);
    return rc;
}

static void reset(run *r)
{
    r->np = r->nw = 0;
    memset(r->rep, 0, sizeof *r->rep);
}

static int settle_tx(kw_db *db, void *ctx, kw_err *err)
{
    run *r = ctx;
    reset(r);
    kw_rows *rows;
    int rc = kw_db_query(db, &SQL_CYCLE, KW_ARGS(KW_I(r->cycle)), &rows, err);
    if (rc)
        return rc;
    char state[16] = "", outcome[8] = "";
    int64_t conf = 0;
    if ((rc = kw_rows_next(rows, err)) == 1) {
        snprintf(state, sizeof state, "%s", kw_rows_text(rows, 0));
        snprintf(outcome, sizeof outcome, "%s", kw_rows_text(rows, 1));
        conf = kw_rows_int(rows, 2);
    }
    kw_rows_close(rows);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return kw_err_set(err, KW_ENOTFOUND, "cycle %llu does not exist", (unsigned long long)r->cycle);
    if (strcmp(state, "settled") == 0)
        return 0;
    if (strcmp(state, "settling") != 0 || !*outcome)
        return kw_err_set(err, KW_ESTATE, "cycle %llu is %s, not ready to settle", (unsigned long long)r->cycle, state);
    int64_t unfinished;
    if ((rc = kw_db_query_int(db, &SQL_UNFINISHED, KW_ARGS(KW_I(r->cycle)), &unfinished, err)) != 0)
        return rc;
    if (unfinished)
        return kw_err_set(err, KW_ESTATE, "cycle %llu waits for %lld harvests", (unsigned long long)r->cycle,
                          (long long)unfinished);

    kw_settle_params p = {.outcome = strcmp(outcome, "GOOD") == 0 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD,
                          .confidence_ppm = (uint32_t)conf, .wager_fee_bps = r->fee_bps};
    if ((rc = kw_ledger_account(db, KW_ACCT_WEATHER_RESERVE, 0, &r->reserve_acct, err)) != 0 ||
        (rc = kw_ledger_balance(db, r->reserve_acct, &p.reserve, err)) != 0 || (rc = load(db, r, err)) != 0)
        return rc;
    if ((rc = kw_settle_cycle(&p, r->pos, r->np, r->wag, r->nw, &r->rep->totals, err)) != 0)
        return rc;
    for (size_t i = 0; i < r->np && rc == 0; i++)
        rc = make_whole(db, r, i, err);
    if (rc || (rc = post_results(db, r, err)) != 0 || (rc = write_rows(db, r, &p, err)) != 0)
        return rc;
    int64_t changes;
    rc = kw_db_exec(db, &SQL_CYCLE_DONE,
                    KW_ARGS(KW_I(r->cycle), KW_I(r->rep->totals.plant_modifier_ppm),
                            KW_I(r->rep->totals.store_modifier_ppm), KW_I(r->now)),
                    &changes, err);
    if (rc)
        return rc;
    if (changes != 1)
        return kw_err_set(err, KW_ETRANSIENT, "cycle %llu changed state during settlement", (unsigned long long)r->cycle);
    if ((rc = emit(db, r, err)) || (rc = kw_resolver_record(db, r->cycle, outcome, r->now, err)) ||
        (rc = kw_performance_refresh(db, err)))
        return rc;
    const kw_settle_totals *t = &r->rep->totals;
    char paid[KW_AMOUNT_BUFSZ], res[KW_AMOUNT_BUFSZ];
    json_t *ev = json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:s,s:s,s:b}", "cycle_id", (json_int_t)r->cycle, "outcome",
                           outcome, "confidence_ppm", (json_int_t)conf, "plant_modifier_ppm",
                           (json_int_t)t->plant_modifier_ppm, "positions", (json_int_t)r->np, "wagers",
                           (json_int_t)r->nw, "bonuses_paid", kw_amount_format(t->bonuses_paid, paid),
                           "reserve_after", kw_amount_format(t->reserve_after, res), "wagers_refunded",
                           t->wagers_refunded);
    if ((rc = kw_events_append(db, KW_EV_CYCLE_SETTLED, 0, (int64_t)r->cycle, ev, r->now, NULL, err)) != 0)
        return rc;
    r->rep->settled_now = true;
    snprintf(r->rep->outcome, sizeof r->rep->outcome, "%s", outcome);
    r->rep->wager_payouts = 0;
    for (size_t i = 0; i < r->nw; i++)
        r->rep->wager_payouts += r->wag[i].payout;
    r->rep->positions = (int64_t)r->np;
    r->rep->wagers = (int64_t)r->nw;
    return 0;
}

int kw_settlement_run(kw_store *st, uint64_t cycle_id, uint32_t wager_fee_bps, int64_t now_ms,
                      kw_settlement_report *rep, kw_err *err)
{
    run r = {.cycle = cycle_id, .fee_bps = wager_fee_bps, .now = now_ms, .rep = rep};
    memset(rep, 0, sizeof *rep);
    int rc = kw_store_tx(st, settle_tx, &r, err);
    if (rc == 0 && rep->settled_now) {
        /* Counted after the commit: a retried transaction must not count twice. */
        const kw_metrics_std *m = kw_metrics_std_global();
        kw_metrics_inc(KW_METRICS_SERIES(m->cycles_processed, rep->outcome), 1);
        kw_metrics_inc(KW_METRICS_SERIES(m->rewards_distributed, "bonus"), rep->totals.bonuses_paid);
        kw_metrics_inc(KW_METRICS_SERIES(m->rewards_distributed, "make_whole"), rep->totals.make_whole_paid);
        kw_metrics_inc(KW_METRICS_SERIES(m->rewards_distributed, "wager_payout"), rep->wager_payouts);
    }
    free(r.prow);
    free(r.wrow);
    free(r.pos);
    free(r.wag);
    return rc;
}
