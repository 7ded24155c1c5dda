#include "engine/actions.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/amount.h"
#include "engine/events.h"
#include "engine/idem.h"
#include "store/ledger.h"

static const kw_sql SQL_LOCK_PLANTING = {
    .sql = "UPDATE weather_cycles SET total_staked = total_staked + $2, updated_at = $3 "
           "WHERE cycle_id = $1 AND current_state = 'planting'"};
static const kw_sql SQL_LOCK_OPEN = {
    .sql = "UPDATE weather_cycles SET updated_at = $2 "
           "WHERE cycle_id = $1 AND current_state IN ('planting', 'working')"};
static const kw_sql SQL_ACTION = {
    .sql = "INSERT INTO cycle_actions (user_id, cycle_id, block_number, action_type, agriculture_type, "
           "direction, amount, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"};
static const kw_sql SQL_POSITION = {
    .sql = "INSERT INTO farm_positions (action_id, user_id, cycle_id, position_type, stake_amount, "
           "status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) RETURNING id"};
static const kw_sql SQL_WAGER = {
    .sql = "INSERT INTO weather_wagers (action_id, user_id, cycle_id, direction, amount, status, created_at) "
           "VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id"};

typedef struct submit {
    const kw_cycle_config *cc;
    const kw_action_req *req;
    kw_cycle_pos pos;
    int64_t now;
    kw_action_result *res;
    kw_idem idem;
} submit;

void kw_action_limits(kw_action_type type, int64_t *min, int64_t *max)
{
    switch (type) {
    case KW_ACTION_PLANT: *min = KW_PLANT_MIN, *max = KW_PLANT_MAX; return;
    case KW_ACTION_STORE: *min = KW_STORE_MIN, *max = KW_STORE_MAX; return;
    case KW_ACTION_WAGER: *min = KW_WAGER_MIN, *max = KW_WAGER_MAX; return;
    default: *min = *max = 0;
    }
}

static int fail(kw_action_result *res, const char *code, kw_err *err, int rc, const char *msg)
{
    res->code = code;
    return kw_err_set(err, rc, "%s", msg);
}

static const char *direction_name(kw_outcome d) { return d == KW_OUTCOME_GOOD ? "good" : "bad"; }

/* Fills res from a stored idempotent response. */
static int replay(submit *s, const char *response, kw_err *err)
{
    json_t *j = json_loads(response, 0, NULL);
    if (!j)
        return kw_err_set(err, KW_EINTERNAL, "a stored idempotent response is unreadable");
    kw_action_result *r = s->res;
    r->action_id = json_integer_value(json_object_get(j, "action_id"));
    r->position_id = json_integer_value(json_object_get(j, "position_id"));
    r->wager_id = json_integer_value(json_object_get(j, "wager_id"));
    r->cycle_id = (uint64_t)json_integer_value(json_object_get(j, "cycle_id"));
    r->block = (uint32_t)json_integer_value(json_object_get(j, "block"));
    r->replayed = true;
    json_decref(j);
    return 0;
}

/* 1 when a stored result was replayed, 0 when the request is new. */
static int idem_lookup(kw_db *db, submit *s, kw_err *err)
{
    char *stored;
    int rc = kw_idem_find(db, &s->idem, s->now, &stored, err);
    if (rc == KW_ECONFLICT)
        s->res->code = "IDEMPOTENCY_CONFLICT";
    if (rc == 1) {
        rc = replay(s, stored, err) == 0 ? 1 : KW_EINTERNAL;
        free(stored);
    }
    return rc;
}

static int escrow(kw_db *db, submit *s, kw_err *err)
{
    const kw_action_req *q = s->req;
    int64_t avail, esc;
    int rc = kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, q->user_id, &avail, err);
    if (rc || (rc = kw_ledger_account(db, KW_ACCT_USER_ESCROW, q->user_id, &esc, err)) != 0)
        return rc;
    char ref[32], need[KW_AMOUNT_BUFSZ];
    snprintf(ref, sizeof ref, "%lld", (long long)s->res->action_id);
    kw_ledger_line lines[] = {{avail, -q->amount}, {esc, q->amount}};
    kw_ledger_entry e = {.kind = "escrow", .ref = ref, .memo = kw_action_type_name(q->type),
                         .lines = lines, .nlines = 2, .at_ms = s->now};
    rc = kw_ledger_post(db, &e, NULL, err);
    if (rc == KW_EFUNDS) {
        char msg[160];
        snprintf(msg, sizeof msg, "insufficient funds: this action needs %s KALE available",
                 kw_amount_format(q->amount, need));
        return fail(s->res, "INSUFFICIENT_FUNDS", err, KW_EFUNDS, msg);
    }
    return rc;
}

static int emit(kw_db *db, submit *s, kw_err *err)
{
    const kw_action_req *q = s->req;
    kw_action_result *r = s->res;
    char amt[KW_AMOUNT_BUFSZ];
    json_t *ev = json_pack("{s:I,s:I,s:I,s:s,s:s}", "action_id", (json_int_t)r->action_id, "cycle_id",
                           (json_int_t)r->cycle_id, "block", (json_int_t)r->block, "type",
                           kw_action_type_name(q->type), "amount", kw_amount_format(q->amount, amt));
    if (q->type == KW_ACTION_WAGER)
        json_object_set_new(ev, "direction", json_string(direction_name(q->direction)));
    int rc = kw_events_append(db, KW_EV_ACTION_ACCEPTED, q->user_id, (int64_t)r->cycle_id, ev, s->now, NULL, err);
    if (rc || q->amount == 0)
        return rc;
    int64_t avail, esc;
    char a[KW_AMOUNT_BUFSZ], e[KW_AMOUNT_BUFSZ];
    if ((rc = kw_ledger_user_balances(db, q->user_id, &avail, &esc, err)) != 0)
        return rc;
    ev = json_pack("{s:s,s:s,s:s}", "available", kw_amount_format(avail, a), "escrow",
                   kw_amount_format(esc, e), "reason", "action");
    return kw_events_append(db, KW_EV_BALANCE_CHANGED, q->user_id, -1, ev, s->now, NULL, err);
}

static int record(kw_db *db, submit *s, kw_err *err)
{
    const kw_action_req *q = s->req;
    kw_action_result *r = s->res;
    int64_t cycle = (int64_t)s->pos.cycle_id, changes = 0;
    bool agri = q->type == KW_ACTION_PLANT || q->type == KW_ACTION_STORE;
    int64_t account;
    int rc = kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, q->user_id, &account, err);
    if (rc == KW_ENOTFOUND)
        return fail(r, "USER_NOT_FOUND", err, KW_ENOTFOUND, "no such user");
    if (rc)
        return rc;
    rc = agri ? kw_db_exec(db, &SQL_LOCK_PLANTING, KW_ARGS(KW_I(cycle), KW_I(q->amount), KW_I(s->now)), &changes, err)
                  : kw_db_exec(db, &SQL_LOCK_OPEN, KW_ARGS(KW_I(cycle), KW_I(s->now)), &changes, err);
    if (rc)
        return rc;
    if (changes == 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s is not accepted now: cycle %llu is past its %s phase",
                 kw_action_type_name(q->type), (unsigned long long)cycle,
                 agri ? "planting" : "planting and working");
        return fail(r, "PHASE_CLOSED", err, KW_ESTATE, msg);
    }
    const char *atype = agri ? "agriculture" : kw_action_type_name(q->type);
    rc = kw_db_query_int(db, &SQL_ACTION,
                         KW_ARGS(KW_I(q->user_id), KW_I(cycle), KW_I(s->pos.start_block + s->pos.block_in_cycle),
                                 KW_T(atype), KW_T(agri ? kw_action_type_name(q->type) : NULL),
                                 KW_T(q->type == KW_ACTION_WAGER ? direction_name(q->direction) : NULL),
                                 KW_I(q->amount), KW_I(s->now)),
                         &r->action_id, err);
    if (rc == KW_ECONFLICT)
        return fail(r, "DUPLICATE_ACTION", err, KW_ECONFLICT,
                    "you already acted in this KALE block: one action per block, try again next block");
    if (rc)
        return rc;
    if (agri) {
        rc = kw_db_query_int(db, &SQL_POSITION,
                             KW_ARGS(KW_I(r->action_id), KW_I(q->user_id), KW_I(cycle),
                                     KW_T(kw_action_type_name(q->type)), KW_I(q->amount), KW_I(s->now)),
                             &r->position_id, err);
    } else if (q->type == KW_ACTION_WAGER) {
        rc = kw_db_query_int(db, &SQL_WAGER,
                             KW_ARGS(KW_I(r->action_id), KW_I(q->user_id), KW_I(cycle),
                                     KW_T(direction_name(q->direction)), KW_I(q->amount), KW_I(s->now)),
                             &r->wager_id, err);
        if (rc == KW_ECONFLICT)
            return fail(r, "WAGER_EXISTS", err, KW_ECONFLICT, "you already placed a wager in this cycle");
    }
    if (rc)
        return rc;
    if (q->amount > 0 && (rc = escrow(db, s, err)) != 0)
        return rc;
    return emit(db, s, err);
}

static int store_idem(kw_db *db, submit *s, kw_err *err)
{
    kw_action_result *r = s->res;
    json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I}", "action_id", (json_int_t)r->action_id, "position_id",
                          (json_int_t)r->position_id, "wager_id", (json_int_t)r->wager_id, "cycle_id",
                          (json_int_t)r->cycle_id, "block", (json_int_t)r->block);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    if (!text)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int rc = kw_idem_put(db, &s->idem, 201, text, s->now, err);
    free(text);
    return rc;
}

static int submit_tx(kw_db *db, void *ctx, kw_err *err)
{
    submit *s = ctx;
    const char *code = NULL;
    memset(s->res, 0, sizeof *s->res);
    s->res->cycle_id = s->pos.cycle_id;
    s->res->block = s->pos.start_block + s->pos.block_in_cycle;
    if (s->req->idempotency_key) {
        int rc = idem_lookup(db, s, err);
        if (rc)
            return rc == 1 ? 0 : rc;
    }
    int rc = record(db, s, err);
    code = s->res->code;
    if (rc == 0 && s->req->idempotency_key)
        rc = store_idem(db, s, err);
    s->res->code = code;
    return rc;
}

int kw_action_submit(kw_store *st, const kw_cycle_config *cc, uint32_t block,
                     const kw_action_req *req, int64_t now_ms, kw_action_result *res, kw_err *err)
{
    submit s = {.cc = cc, .req = req, .now = now_ms, .res = res};
    memset(res, 0, sizeof *res);
    if (req->type < 0 || req->type >= KW_ACTION_COUNT)
        return fail(res, "INVALID_ACTION", err, KW_EINVAL, "type must be agriculture, wager or stay");
    if (req->type == KW_ACTION_WAGER && req->direction != KW_OUTCOME_GOOD && req->direction != KW_OUTCOME_BAD)
        return fail(res, "INVALID_ACTION", err, KW_EINVAL, "direction must be \"good\" or \"bad\"");
    int64_t min, max;
    kw_action_limits(req->type, &min, &max);
    if (req->type == KW_ACTION_STAY ? req->amount != 0 : (req->amount < min || req->amount > max)) {
        char lo[KW_AMOUNT_BUFSZ], hi[KW_AMOUNT_BUFSZ], msg[160];
        snprintf(msg, sizeof msg, "amount for %s must be from %s to %s KALE", kw_action_type_name(req->type),
                 kw_amount_format(min, lo), kw_amount_format(max, hi));
        return fail(res, "AMOUNT_OUT_OF_RANGE", err, KW_EINVAL, msg);
    }
    if (kw_cycle_locate(cc, block, &s.pos) != 0)
        return fail(res, "PHASE_CLOSED", err, KW_ESTATE, "no cycle is open yet");
    if (!kw_phase_accepts(s.pos.phase, req->type)) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s is not accepted in the %s phase", kw_action_type_name(req->type),
                 kw_phase_name(s.pos.phase));
        return fail(res, "PHASE_CLOSED", err, KW_ESTATE, msg);
    }
    char canon[96];
    int n = snprintf(canon, sizeof canon, "%d|%d|%lld", (int)req->type,
                     req->type == KW_ACTION_WAGER ? (int)req->direction : 0, (long long)req->amount);
    if (req->idempotency_key && kw_idem_init(&s.idem, "actions", req->user_id, req->idempotency_key, canon,
                                             (size_t)n, err) != 0) {
        res->code = "INVALID_ACTION";
        return KW_EINVAL;
    }
    return kw_store_tx(st, submit_tx, &s, err);
}
