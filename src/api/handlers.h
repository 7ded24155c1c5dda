/*
 * handlers — the endpoint files of the API, one per area
 * (src/api/handlers_NAME.c). Each exports a function that adds its routes
 * to the router and is called once: kw_handlers_system from the table in
 * api.c (it needs only the kw_api), the others from the table in app.c with
 * the kw_app as their routes' ctx. They return 0 or the kw_router_add error.
 * docs/api.md describes every route; src/api/openapi.json is its
 * machine-readable twin, checked against the router by the tests.
 */
#ifndef KW_API_HANDLERS_H
#define KW_API_HANDLERS_H

#include "api/api.h"
#include "api/app.h"
#include "engine/actions.h"
#include "engine/farming.h"

/* GET /health, /ready, /metrics, /api/v1/openapi.json. */
int kw_handlers_system(kw_router *r, kw_api *api, kw_err *err) KW_WUR;

/* /api/v1/cycles... and /api/v1/weather/statistics. */
int kw_handlers_cycles(kw_router *r, kw_app *app, kw_err *err) KW_WUR;
/* /api/v1/daos... */
int kw_handlers_daos(kw_router *r, kw_app *app, kw_err *err) KW_WUR;
/* /api/v1/users, /api/v1/auth/... */
int kw_handlers_users(kw_router *r, kw_app *app, kw_err *err) KW_WUR;
/* /api/v1/me... */
int kw_handlers_me(kw_router *r, kw_app *app, kw_err *err) KW_WUR;
/* POST /api/v1/actions. */
int kw_handlers_actions(kw_router *r, kw_app *app, kw_err *err) KW_WUR;
/* /api/v1/webhooks... */
int kw_handlers_webhooks(kw_router *r, kw_app *app, kw_err *err) KW_WUR;
/* /api/v1/admin/... */
int kw_handlers_admin(kw_router *r, kw_app *app, kw_err *err) KW_WUR;
/* /api/v1/devnet/... */
int kw_handlers_devnet(kw_router *r, kw_app *app, kw_err *err) KW_WUR;

/* The 202 reply of a queued deposit or withdrawal: {id, status:"pending",
 * [to,] amount}, the same for a replayed Idempotency-Key; rc is the request's
 * result (KW_ECONFLICT → 409 IDEMPOTENCY_CONFLICT, KW_EFUNDS → 422
 * INSUFFICIENT_FUNDS). Wakes the engine for a new request. */
int kw_handlers_transfer_queued(kw_app *app, kw_http_res *res, int rc, const kw_transfer_req *q,
                                const kw_transfer_res *t) KW_WUR;

/* The body of POST /api/v1/actions (pure, for the handler and the fuzzer):
 * fills req's type, direction and amount, or returns KW_EINVAL with the
 * message in err and the stable code (MALFORMED_JSON, UNKNOWN_FIELD,
 * VALIDATION_ERROR, INVALID_AMOUNT) in *code, or KW_ERANGE with
 * AMOUNT_OUT_OF_RANGE (an amount outside the type's limits, → 422). */
int kw_action_body_parse(const char *body, size_t len, kw_action_req *req, const char **code, kw_err *err) KW_WUR;

#endif
