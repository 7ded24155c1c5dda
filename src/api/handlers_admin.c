/* Role admin: the weather reserve (status, devnet deposit), the pause
 * switch, and the reconciliation report of engine/reconcile.h. The reserve
 * status and the report read every custodial wallet's balance on chain, so
 * they take as long as that many balance reads; they are operator tools,
 * not for polling. */
#include <stdio.h>

#include "api/body.h"
#include "api/handlers.h"
#include "api/query.h"
#include "core/amount.h"
#include "engine/farming.h"
#include "engine/reconcile.h"

#define RESERVE_DEPOSIT_MAX (INT64_C(100000000) * KW_STROOPS_PER_KALE)

static kw_app *app_of(const kw_http_req *req) { return req->ctx; }

static json_t *int128_amount(__int128 v)
{
    /* Totals of balances stay far inside int64; saturate rather than wrap if not. */
    return kw_json_amount(v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v);
}

static json_t *report_json(const kw_reconcile_report *r, const char *treasury)
{
    const kw_ledger_report *l = &r->ledger;
    return json_pack("{s:b,s:b,s:b,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:s,s:{s:I,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o}}",
                     "ok", r->ledger_ok && r->chain_ok, "ledger_ok", r->ledger_ok, "chain_ok", r->chain_ok,
                     "ledger_error", r->ledger_error, "reserve", kw_json_amount(l->reserve), "owed",
                     kw_json_amount(r->owed), "chain_total", int128_amount(r->chain_total), "withdrawals_in_flight",
                     kw_json_amount(r->withdrawals_in_flight), "difference", int128_amount(r->difference), "wallets",
                     (json_int_t)r->wallets, "treasury_address", treasury, "ledger", "entries", (json_int_t)l->entries,
                     "users_total", kw_json_amount(l->users_total), "reserve", kw_json_amount(l->reserve), "chain_in",
                     kw_json_amount(l->chain_in), "chain_out", kw_json_amount(l->chain_out), "unbalanced",
                     (json_int_t)l->unbalanced, "incomplete", (json_int_t)l->incomplete, "drifted",
                     (json_int_t)l->drifted, "negative", (json_int_t)l->negative, "net", kw_json_amount(l->net));
}

/* Runs the reconciliation; *rep is filled also when it finds a mismatch
 * (return KW_EINTERNAL). */
static int reconcile(kw_app *app, kw_reconcile_report *rep, char *treasury, kw_err *err)
{
    kw_identity_user t;
    int rc = kw_identity_get(&app->identity, app->engine->treasury_user, &t, err);
    if (rc)
        return rc;
    snprintf(treasury, KW_STRKEY_BUFSZ, "%s", t.wallet);
    return kw_reconcile(app->engine->store, &app->engine->chain, NULL, rep, err);
}

static int reserve(const kw_http_req *req, kw_http_res *res)
{
    kw_reconcile_report rep;
    char treasury[KW_STRKEY_BUFSZ];
    int rc = reconcile(app_of(req), &rep, treasury, &res->err);
    if (rc && rc != KW_EINTERNAL)
        return rc;
    return kw_http_json(res, 200, report_json(&rep, treasury));
}

static int report(const kw_http_req *req, kw_http_res *res)
{
    kw_reconcile_report rep;
    char treasury[KW_STRKEY_BUFSZ];
    int rc = reconcile(app_of(req), &rep, treasury, &res->err);
    if (rc == KW_EINTERNAL)
        return kw_http_error(res, 500, "RECONCILE_MISMATCH", "%s", res->err.msg);
    if (rc)
        return rc;
    return kw_http_json(res, 200, report_json(&rep, treasury));
}

static int deposit(const kw_http_req *req, kw_http_res *res)
{
    kw_app *app = app_of(req);
    int64_t amount;
    const kw_field fields[] = {KW_FIELD_AMOUNT("amount", true, 1, RESERVE_DEPOSIT_MAX, &amount)};
    json_t *root;
    int rc = kw_body_read(req->body, req->body_len, fields, 1, &root, &res->err);
    if (rc)
        return rc;
    json_decref(root);
    if (!app->devnet) {
        kw_identity_user t;
        if ((rc = kw_identity_get(&app->identity, app->engine->treasury_user, &t, &res->err)) != 0)
            return rc;
        return kw_http_error(res, 422, "DEVNET_ONLY",
                             "KALE cannot be minted here: fund the reserve by sending KALE to the treasury wallet %s",
                             t.wallet);
    }
    kw_transfer_req q = {.user_id = app->engine->treasury_user, .caller_id = req->principal.user_id,
                         .amount = amount, .idempotency_key = kw_http_header(req, "Idempotency-Key"),
                         .now_ms = kw_clock_now_ms(app->engine->clock)};
    kw_transfer_res t;
    return kw_handlers_transfer_queued(app, res, kw_farming_request_deposit(app->engine->store, &q, &t, &res->err), &q,
                                       &t);
}

static int set_paused(const kw_http_req *req, kw_http_res *res, bool paused)
{
    kw_app *app = app_of(req);
    if (req->body_len) {
        json_t *root;
        int rc = kw_body_read(req->body, req->body_len, NULL, 0, &root, &res->err);
        if (rc)
            return rc;
        json_decref(root);
    }
    int rc = kw_app_set_paused(app, paused, kw_clock_now_ms(app->engine->clock), &res->err);
    if (rc)
        return rc;
    return kw_http_json(res, 200, json_pack("{s:b}", "paused", paused));
}

static int pause(const kw_http_req *req, kw_http_res *res) { return set_paused(req, res, true); }
static int resume(const kw_http_req *req, kw_http_res *res) { return set_paused(req, res, false); }

int kw_handlers_admin(kw_router *r, kw_app *app, kw_err *err)
{
    const kw_route routes[] = {
        {"GET", "/api/v1/admin/reserve", reserve, KW_ROUTE_ADMIN, 0, app,
         "the weather reserve and what kalewx owes against what it holds on chain"},
        {"POST", "/api/v1/admin/reserve/deposit", deposit, KW_ROUTE_ADMIN, 0, app,
         "fund the weather reserve (devnet: minted)"},
        {"POST", "/api/v1/admin/pause", pause, KW_ROUTE_ADMIN, 0, app, "refuse actions and withdrawals"},
        {"POST", "/api/v1/admin/resume", resume, KW_ROUTE_ADMIN, 0, app, "accept actions and withdrawals again"},
        {"GET", "/api/v1/admin/reconcile", report, KW_ROUTE_ADMIN, 0, app,
         "the books proved: ledger balanced, chain = what is owed"},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}
