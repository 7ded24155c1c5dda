/* POST /api/v1/actions: plant, store, wager or stay (SPEC §4), through
 * engine/actions.h. */
#include <stdio.h>
#include <string.h>

#include "api/body.h"
#include "api/handlers.h"
#include "api/query.h"
#include "core/amount.h"
#include "obs/metrics.h"

/* Stable codes of engine/actions.h and the status each answers. */
static const struct {
    const char *code;
    int status;
} statuses[] = {
    {"INVALID_ACTION", 400},     {"AMOUNT_OUT_OF_RANGE", 422}, {"PHASE_CLOSED", 422},
    {"INSUFFICIENT_FUNDS", 422}, {"DUPLICATE_ACTION", 409},    {"WAGER_EXISTS", 409},
    {"IDEMPOTENCY_CONFLICT", 409}, {"USER_NOT_FOUND", 404},
};

static int status_of(const char *code)
{
    for (size_t i = 0; code && i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(statuses[i].code, code) == 0)
            return statuses[i].status;
    return 0;
}

/* Why a field does not belong to the action type. */
static int not_for(const char *field, const char *type, const char **code, kw_err *err)
{
    *code = "VALIDATION_ERROR";
    return kw_err_set(err, KW_EINVAL, "field \"%s\" is not used by a %s action", field, type);
}

int kw_action_body_parse(const char *body, size_t len, kw_action_req *req, const char **code, kw_err *err)
{
    int type = -1, agri = -1, dir = -1;
    bool has_agri = false, has_dir = false, has_amount = false;
    kw_field fields[] = {
        KW_FIELD_ENUM("type", true, "agriculture|wager|stay", &type),
        KW_FIELD_ENUM("agriculture_type", false, "plant|store", &agri),
        KW_FIELD_ENUM("direction", false, "good|bad", &dir),
        KW_FIELD_CONST("amount"),
    };
    fields[1].present = &has_agri;
    fields[2].present = &has_dir;
    fields[3].present = &has_amount;
    json_t *root;
    int rc = kw_body_read(body, len, fields, sizeof fields / sizeof fields[0], &root, err);
    if (rc) {
        *code = err->code == KW_BODY_MALFORMED ? "MALFORMED_JSON"
                : err->code == KW_BODY_UNKNOWN ? "UNKNOWN_FIELD"
                                               : "VALIDATION_ERROR";
        return rc;
    }
    const json_t *amount_v = json_object_get(root, "amount");
    const char *amount = json_string_value(amount_v);
    memset(req, 0, sizeof *req);
    static const char *const names[] = {"agriculture", "wager", "stay"};
    const char *tname = names[type];
    if (type == 0) {
        if (!has_agri) {
            *code = "VALIDATION_ERROR";
            rc = kw_err_set(err, KW_EINVAL, "field \"agriculture_type\" is required for an agriculture action");
        } else if (has_dir) {
            rc = not_for("direction", tname, code, err);
        }
        req->type = agri == 0 ? KW_ACTION_PLANT : KW_ACTION_STORE;
    } else if (type == 1) {
        if (!has_dir) {
            *code = "VALIDATION_ERROR";
            rc = kw_err_set(err, KW_EINVAL, "field \"direction\" is required for a wager");
        } else if (has_agri) {
            rc = not_for("agriculture_type", tname, code, err);
        }
        req->type = KW_ACTION_WAGER;
        req->direction = dir == 0 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
    } else {
        req->type = KW_ACTION_STAY;
        if (has_agri || has_dir || has_amount)
            rc = not_for(has_agri ? "agriculture_type" : has_dir ? "direction" : "amount", tname, code, err);
    }
    if (rc == 0 && type != 2) {
        int64_t min, max;
        kw_action_limits(req->type, &min, &max);
        kw_err aerr = {0};
        if (!has_amount) {
            *code = "VALIDATION_ERROR";
            rc = kw_err_set(err, KW_EINVAL, "field \"amount\" is required for a %s action", tname);
        } else if (!amount) {
            *code = "INVALID_AMOUNT";
            rc = kw_err_set(err, KW_EINVAL, "field \"amount\" must be a string of KALE such as \"12.5\", not %s",
                            json_is_number(amount_v) ? "a JSON number" : "another JSON type");
        } else if (kw_amount_parse(amount, "amount", min, max, &req->amount, &aerr) != 0) {
            bool range = aerr.code == KW_AMOUNT_TOO_SMALL || aerr.code == KW_AMOUNT_TOO_LARGE;
            *code = range ? "AMOUNT_OUT_OF_RANGE" : "INVALID_AMOUNT";
            rc = kw_err_set(err, range ? KW_ERANGE : KW_EINVAL, "%s", aerr.msg);
        }
    }
    json_decref(root);
    return rc;
}

static void count(const char *type, const char *status)
{
    kw_metrics_inc(KW_METRICS_SERIES(kw_metrics_std_global()->user_actions, type, status), 1);
}

static int submit(const kw_http_req *req, kw_http_res *res)
{
    kw_app *app = req->ctx;
    kw_action_req a;
    const char *code = NULL;
    int rc = kw_action_body_parse(req->body, req->body_len, &a, &code, &res->err);
    if (rc) {
        count("invalid", "rejected");
        return kw_http_error(res, rc == KW_ERANGE ? 422 : 400, code, "%s", res->err.msg);
    }
    const char *tname = kw_action_type_name(a.type);
    if (atomic_load(&app->paused)) {
        count(tname, "rejected");
        return kw_http_error(res, 503, "SERVICE_PAUSED", "actions are paused by an operator; try again later");
    }
    uint32_t block;
    if (!kw_engine_block(app->engine, &block)) {
        count(tname, "rejected");
        return kw_http_error(res, 503, "NOT_READY", "the chain has not reported a block yet; retry in a moment");
    }
    a.user_id = req->principal.user_id;
    a.idempotency_key = kw_http_header(req, "Idempotency-Key");
    kw_action_result out;
    rc = kw_action_submit(app->engine->store, &app->engine->cycle, block, &a,
                          kw_clock_now_ms(app->engine->clock), &out, &res->err);
    if (rc) {
        count(tname, "rejected");
        int status = status_of(out.code);
        if (status)
            return kw_http_error(res, status, out.code, "%s", res->err.msg);
        return rc;
    }
    count(tname, out.replayed ? "replayed" : "accepted");
    if (!out.replayed)
        kw_app_wake(app);
    bool agri = a.type == KW_ACTION_PLANT || a.type == KW_ACTION_STORE;
    json_t *data = json_pack("{s:I,s:I,s:I,s:s,s:b}", "action_id", (json_int_t)out.action_id, "cycle_id",
                             (json_int_t)out.cycle_id, "block", (json_int_t)out.block, "type",
                             agri ? "agriculture" : tname, "replayed", out.replayed);
    if (agri)
        json_object_set_new(data, "agriculture_type", json_string(tname));
    if (a.type == KW_ACTION_WAGER)
        json_object_set_new(data, "direction", json_string(a.direction == KW_OUTCOME_GOOD ? "good" : "bad"));
    if (a.type != KW_ACTION_STAY)
        json_object_set_new(data, "amount", kw_json_amount(a.amount));
    if (out.position_id)
        json_object_set_new(data, "position_id", json_integer(out.position_id));
    if (out.wager_id)
        json_object_set_new(data, "wager_id", json_integer(out.wager_id));
    return kw_http_json(res, 201, data);
}

int kw_handlers_actions(kw_router *r, kw_app *app, kw_err *err)
{
    return kw_router_add(r,
                         &(kw_route){"POST", "/api/v1/actions", submit, KW_ROUTE_USER, 0, app,
                                     "plant, store, wager or stay in the current cycle"},
                         err);
}
