/* POST /api/v1/devnet/faucet: test KALE minted to the caller's custodial
 * wallet by the next engine tick (devnet only; 404 elsewhere). */
#include "api/body.h"
#include "api/handlers.h"
#include "api/query.h"
#include "core/amount.h"
#include "engine/actions.h"
#include "engine/farming.h"

static int faucet(const kw_http_req *req, kw_http_res *res)
{
    kw_app *app = req->ctx;
    if (!app->devnet)
        return kw_http_error(res, 404, "NOT_FOUND", "the faucet exists only on the devnet (KALEWX_CHAIN=devnet)");
    int64_t amount;
    const kw_field fields[] = {KW_FIELD_AMOUNT("amount", true, 1, KW_FAUCET_MAX, &amount)};
    json_t *root;
    int rc = kw_body_read(req->body, req->body_len, fields, 1, &root, &res->err);
    if (rc)
        return rc;
    json_decref(root);
    kw_transfer_res t;
    kw_transfer_req q = {.user_id = req->principal.user_id, .caller_id = req->principal.user_id, .amount = amount,
                         .idempotency_key = kw_http_header(req, "Idempotency-Key"),
                         .now_ms = kw_clock_now_ms(app->engine->clock)};
    return kw_handlers_transfer_queued(app, res, kw_farming_request_deposit(app->engine->store, &q, &t, &res->err), &q,
                                       &t);
}

int kw_handlers_devnet(kw_router *r, kw_app *app, kw_err *err)
{
    return kw_router_add(r,
                         &(kw_route){"POST", "/api/v1/devnet/faucet", faucet, KW_ROUTE_USER, 0, app,
                                     "devnet test KALE for the caller (queued)"},
                         err);
}
