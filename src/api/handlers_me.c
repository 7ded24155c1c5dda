/* GET /api/v1/me and its lists (actions, positions, wagers, transactions,
 * performance), POST /api/v1/me/withdrawals. Lists are newest first and
 * page with `limit` and `before` (query.h). */
#include <stdio.h>
#include <string.h>

#include "api/body.h"
#include "api/handlers.h"
#include "api/query.h"
#include "core/amount.h"
#include "engine/farming.h"
#include "store/ledger.h"
#include "store/performance.h"

/* Withdrawals: at least 1 KALE (a transfer costs more than dust is worth),
 * at most what the ledger can hold. */
#define WITHDRAW_MIN KW_STROOPS_PER_KALE
#define WITHDRAW_MAX (INT64_C(100000000) * KW_STROOPS_PER_KALE)

static const kw_sql SQL_ACTIONS = {
    .sql = "SELECT id, cycle_id, block_number, action_type, agriculture_type, direction, amount, created_at "
           "FROM cycle_actions WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"};
static const kw_col ACTION_COLS[] = {
    {"id", KW_COL_INT, false},    {"cycle_id", KW_COL_INT, false},          {"block", KW_COL_INT, false},
    {"type", KW_COL_TEXT, false}, {"agriculture_type", KW_COL_TEXT, false}, {"direction", KW_COL_TEXT, false},
    {"amount", KW_COL_AMOUNT, false}, {"created_at", KW_COL_TIME, false},
};
static const kw_sql SQL_POSITIONS = {
    .sql = "SELECT id, cycle_id, position_type, stake_amount, status, kale_block, base_reward, final_reward, "
           "weather_modifier_ppm, error, created_at, settled_at FROM farm_positions "
           "WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"};
static const kw_col POSITION_COLS[] = {
    {"id", KW_COL_INT, false},           {"cycle_id", KW_COL_INT, false},
    {"type", KW_COL_TEXT, false},        {"stake", KW_COL_AMOUNT, false},
    {"status", KW_COL_TEXT, false},      {"kale_block", KW_COL_INT, false},
    {"base_reward", KW_COL_AMOUNT, false}, {"final_reward", KW_COL_AMOUNT, false},
    {"weather_modifier", KW_COL_PPM, false}, {"error", KW_COL_TEXT, false},
    {"created_at", KW_COL_TIME, false},  {"settled_at", KW_COL_TIME, false},
};
static const kw_sql SQL_WAGERS = {
    .sql = "SELECT id, cycle_id, direction, amount, status, payout, created_at, settled_at FROM weather_wagers "
           "WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"};
static const kw_col WAGER_COLS[] = {
    {"id", KW_COL_INT, false},        {"cycle_id", KW_COL_INT, false}, {"direction", KW_COL_TEXT, false},
    {"amount", KW_COL_AMOUNT, false}, {"status", KW_COL_TEXT, false},  {"payout", KW_COL_AMOUNT, false},
    {"created_at", KW_COL_TIME, false}, {"settled_at", KW_COL_TIME, false},
};
/* Each journal entry touching the user, with what it did to each of the
 * user's two balances. */
static const kw_sql SQL_TRANSACTIONS = {
    .sql = "SELECT e.id, e.kind, "
           "COALESCE(SUM(CASE WHEN a.kind = 'user_available' THEN l.amount ELSE 0 END), 0), "
           "COALESCE(SUM(CASE WHEN a.kind = 'user_escrow' THEN l.amount ELSE 0 END), 0), e.ref, e.memo, e.created_at "
           "FROM ledger_entries e JOIN ledger_lines l ON l.entry_id = e.id "
           "JOIN ledger_accounts a ON a.id = l.account_id "
           "WHERE a.user_id = $1 AND e.id < $2 GROUP BY e.id, e.kind, e.ref, e.memo, e.created_at "
           "ORDER BY e.id DESC LIMIT $3"};
static const kw_col TRANSACTION_COLS[] = {
    {"id", KW_COL_INT, false},         {"kind", KW_COL_TEXT, false}, {"amount", KW_COL_AMOUNT, false},
    {"escrow", KW_COL_AMOUNT, false},  {"ref", KW_COL_TEXT, false},  {"memo", KW_COL_TEXT, false},
    {"created_at", KW_COL_TIME, false},
};

static kw_app *app_of(const kw_http_req *req) { return req->ctx; }

static int me_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    kw_identity_user u;
    int64_t avail, escrow;
    int rc = kw_identity_get_on(db, req->principal.user_id, &u, err);
    if (rc || (rc = kw_ledger_user_balances(db, u.id, &avail, &escrow, err)) != 0)
        return rc;
    *data = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:{s:o,s:o}}", "id", (json_int_t)u.id, "username", u.username,
                      "tier", kw_access_tier_name(u.tier), "role", kw_access_role_name(u.role), "custodial_address",
                      u.wallet, "wallet", u.external_wallet[0] ? json_string(u.external_wallet) : json_null(),
                      "created_at", kw_json_time(u.created_at), "balances", "available", kw_json_amount(avail),
                      "escrow", kw_json_amount(escrow));
    return 0;
}

static int me(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, me_q); }

/* One of the caller's lists, paged. */
static int page_of(const kw_http_req *req, kw_db *db, const kw_sql *sql, const kw_col *cols, size_t ncols,
                   const char *key, json_t **data, kw_err *err)
{
    int64_t limit, before;
    json_t *rows;
    int rc = kw_query_page(req, &limit, &before, err);
    if (rc || (rc = kw_query_rows(db, sql, KW_ARGS(KW_I(req->principal.user_id), KW_I(before), KW_I(limit)), cols,
                                  ncols, &rows, err)) != 0)
        return rc;
    *data = json_pack("{s:o}", key, rows);
    return 0;
}

#define LIST(name, sql, cols, key)                                                                      \
    static int name##_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)                  \
    {                                                                                                   \
        return page_of(req, db, &sql, cols, sizeof cols / sizeof cols[0], key, data, err);              \
    }                                                                                                   \
    static int name(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, name##_q); }

LIST(actions, SQL_ACTIONS, ACTION_COLS, "actions")
LIST(positions, SQL_POSITIONS, POSITION_COLS, "positions")
LIST(wagers, SQL_WAGERS, WAGER_COLS, "wagers")
LIST(transactions, SQL_TRANSACTIONS, TRANSACTION_COLS, "transactions")

static int performance_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    kw_performance p = {.user_id = req->principal.user_id};
    int rc = kw_performance_get(db, req->principal.user_id, &p, err);
    if (rc && rc != KW_ENOTFOUND)
        return rc;
    /* Nothing settled yet: zeros, not an error. */
    *data = json_pack("{s:I,s:I,s:I,s:o,s:o,s:f,s:I,s:I,s:f,s:f,s:o,s:o}", "user_id", (json_int_t)p.user_id,
                      "cycles_participated", (json_int_t)p.cycles_participated, "total_positions",
                      (json_int_t)p.total_positions, "total_staked", kw_json_amount(p.total_staked), "total_rewards",
                      kw_json_amount(p.total_rewards), "avg_weather_modifier", p.avg_weather_modifier,
                      "winning_positions", (json_int_t)p.winning_positions, "losing_positions",
                      (json_int_t)p.losing_positions, "roi_ratio", p.roi_ratio, "weather_consistency",
                      p.weather_consistency, "first_activity",
                      p.first_activity ? kw_json_time(p.first_activity) : json_null(), "last_activity",
                      p.last_activity ? kw_json_time(p.last_activity) : json_null());
    return 0;
}

static int performance(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, performance_q); }

static int withdraw(const kw_http_req *req, kw_http_res *res)
{
    kw_app *app = app_of(req);
    int64_t amount;
    const char *to = NULL;
    const kw_field fields[] = {
        KW_FIELD_AMOUNT("amount", true, WITHDRAW_MIN, WITHDRAW_MAX, &amount),
        KW_FIELD_STRING("to", false, 1, 64, &to),
    };
    json_t *root;
    int rc = kw_body_read(req->body, req->body_len, fields, 2, &root, &res->err);
    if (rc)
        return rc;
    kw_identity_user u;
    char dest[KW_STRKEY_BUFSZ] = "";
    if (to)
        snprintf(dest, sizeof dest, "%s", to);
    json_decref(root);
    if (atomic_load(&app->paused))
        return kw_http_error(res, 503, "SERVICE_PAUSED", "withdrawals are paused by an operator; try again later");
    if (!*dest) {
        if ((rc = kw_identity_get(&app->identity, req->principal.user_id, &u, &res->err)) != 0)
            return rc;
        if (!u.external_wallet[0])
            return kw_http_error(res, 400, "VALIDATION_ERROR",
                                 "field \"to\" is required: no wallet was registered for withdrawals");
        snprintf(dest, sizeof dest, "%s", u.external_wallet);
    }
    uint8_t raw[32];
    kw_err kerr = {0};
    if (kw_strkey_decode(KW_STRKEY_ACCOUNT, dest, raw, &kerr) != 0)
        return kw_http_error(res, 400, "VALIDATION_ERROR", "field \"to\": %s", kerr.msg);
    kw_transfer_req q = {.user_id = req->principal.user_id, .caller_id = req->principal.user_id, .amount = amount,
                         .to = dest, .idempotency_key = kw_http_header(req, "Idempotency-Key"),
                         .now_ms = kw_clock_now_ms(app->engine->clock)};
    kw_transfer_res t;
    return kw_handlers_transfer_queued(app, res, kw_farming_request_withdrawal(app->engine->store, &q, &t, &res->err),
                                       &q, &t);
}

int kw_handlers_transfer_queued(kw_app *app, kw_http_res *res, int rc, const kw_transfer_req *q,
                                const kw_transfer_res *t)
{
    char need[KW_AMOUNT_BUFSZ];
    if (rc == KW_EFUNDS)
        return kw_http_error(res, 422, "INSUFFICIENT_FUNDS", "insufficient funds: the withdrawal needs %s KALE available",
                             kw_amount_format(q->amount, need));
    if (rc == KW_ECONFLICT)
        return kw_http_error(res, 409, "IDEMPOTENCY_CONFLICT",
                             "this Idempotency-Key was used for a different request; use a new key");
    if (rc)
        return rc;
    if (!t->replayed)
        kw_engine_wake(app->engine);
    json_t *data = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)t->tx_id, "status", "pending", "amount",
                             kw_json_amount(q->amount));
    if (data && q->to)
        json_object_set_new(data, "to", json_string(q->to));
    return kw_http_json(res, 202, data);
}

int kw_handlers_me(kw_router *r, kw_app *app, kw_err *err)
{
    const kw_route routes[] = {
        {"GET", "/api/v1/me", me, KW_ROUTE_USER, 0, app, "the caller, with balances"},
        {"GET", "/api/v1/me/actions", actions, KW_ROUTE_USER, 0, app, "the caller's actions"},
        {"GET", "/api/v1/me/positions", positions, KW_ROUTE_USER, 0, app, "the caller's farm positions"},
        {"GET", "/api/v1/me/wagers", wagers, KW_ROUTE_USER, 0, app, "the caller's wagers"},
        {"GET", "/api/v1/me/transactions", transactions, KW_ROUTE_USER, 0, app,
         "journal entries touching the caller's balances"},
        {"GET", "/api/v1/me/performance", performance, KW_ROUTE_USER, 0, app, "the caller's results so far"},
        {"POST", "/api/v1/me/withdrawals", withdraw, KW_ROUTE_USER, 0, app,
         "send KALE to a Stellar account (queued)"},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}
