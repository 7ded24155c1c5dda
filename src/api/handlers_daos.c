/* GET /api/v1/daos and /api/v1/daos/{id}: the 15 DAOs, their records and
 * the weight each would have in the current cycle's consensus. */
#include <string.h>

#include "api/handlers.h"
#include "api/query.h"
#include "core/consensus.h"

#define RECENT_VOTES 20

static const kw_sql SQL_DAOS = {
    .sql = "SELECT id, decayed_correct, decayed_total, total_votes, COALESCE(last_settled_cycle, -1), "
           "COALESCE(last_vote_cycle, -1), correct_votes, accuracy, last_vote_cycle FROM daos ORDER BY id"};
static const kw_sql SQL_RECENT = {
    .sql = "SELECT cycle_id, CASE WHEN revealed = TRUE THEN prediction END, "
           "CASE WHEN revealed = TRUE THEN confidence_ppm END, valid, correct FROM dao_votes "
           "WHERE dao_id = $1 ORDER BY cycle_id DESC LIMIT $2"};
static const kw_col RECENT_COLS[] = {
    {"cycle_id", KW_COL_INT, false}, {"prediction", KW_COL_TEXT, false}, {"confidence", KW_COL_PPM, false},
    {"valid", KW_COL_BOOL, false},   {"correct", KW_COL_BOOL, false},
};

/* The cycle whose consensus the weights are for: the current one. */
static uint64_t current_cycle(kw_engine *e)
{
    uint32_t block;
    kw_cycle_pos pos;
    if (kw_engine_block(e, &block) && kw_cycle_locate(&e->cycle, block, &pos) == 0)
        return pos.cycle_id;
    return 0;
}

static json_t *dao_json(kw_rows *r, uint64_t cycle)
{
    kw_dao_id id;
    if (kw_dao_parse(kw_rows_text(r, 0), &id) != 0)
        return NULL;
    const kw_dao_info *info = kw_dao_info_of(id);
    kw_dao_record rec = {.correct = kw_rows_double(r, 1), .total = kw_rows_double(r, 2),
                         .votes = (uint64_t)kw_rows_int(r, 3), .last_cycle = kw_rows_int(r, 4),
                         .last_vote_cycle = kw_rows_int(r, 5)};
    kw_dao_weight w;
    kw_dao_weight_of(id, &rec, cycle, &w);
    return json_pack("{s:s,s:f,s:f,s:I,s:I,s:f,s:f,s:f,s:o,s:s,s:{s:i,s:i}}", "id", info->id, "base_weight",
                     info->base_weight, "accuracy", kw_round3(w.accuracy), "total_votes",
                     (json_int_t)rec.votes, "correct_votes", (json_int_t)kw_rows_int(r, 6), "volume",
                     kw_round3(w.volume), "recency", kw_round3(w.recency), "weight", kw_round3(w.weight),
                     "last_vote_cycle", kw_rows_is_null(r, 8) ? json_null() : json_integer(kw_rows_int(r, 8)),
                     "rule", info->rule, "seed", "correct", (int)info->seed_correct, "total", (int)info->seed_total);
}

/* Every DAO, or (want != NULL) only that one (KW_ENOTFOUND if unknown). */
static int load(const kw_http_req *req, kw_db *db, const char *want, json_t **out, kw_err *err)
{
    uint64_t cycle = current_cycle(((kw_app *)req->ctx)->engine);
    kw_rows *r;
    int rc = kw_db_query(db, &SQL_DAOS, KW_NOARGS, &r, err);
    if (rc)
        return rc;
    json_t *list = json_array();
    while ((rc = kw_rows_next(r, err)) == 1) {
        if (want && strcmp(want, kw_rows_text(r, 0)) != 0)
            continue;
        json_t *d = dao_json(r, cycle);
        if (d)
            json_array_append_new(list, d);
    }
    kw_rows_close(r);
    if (rc < 0) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return 0;
}

static int list_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    json_t *list;
    int rc = load(req, db, NULL, &list, err);
    if (rc == 0)
        *data = json_pack("{s:I,s:o}", "cycle_id", (json_int_t)current_cycle(((kw_app *)req->ctx)->engine),
                          "daos", list);
    return rc;
}

static int list(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, list_q); }

static int one_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    const char *id = kw_http_param(req, "id");
    kw_dao_id dao;
    json_t *list, *recent;
    if (kw_dao_parse(id, &dao) != 0)
        return kw_err_set(err, KW_ENOTFOUND, "no DAO named \"%.64s\"; GET /api/v1/daos lists them", id);
    int rc = load(req, db, id, &list, err);
    if (rc)
        return rc;
    json_t *d = json_incref(json_array_get(list, 0));
    json_decref(list);
    if (!d)
        return kw_err_set(err, KW_ENOTFOUND, "DAO %s has no record yet", id);
    if ((rc = kw_query_rows(db, &SQL_RECENT, KW_ARGS(KW_T(id), KW_I(RECENT_VOTES)), RECENT_COLS,
                            sizeof RECENT_COLS / sizeof RECENT_COLS[0], &recent, err)) != 0) {
        json_decref(d);
        return rc;
    }
    json_object_set_new(d, "recent_votes", recent);
    *data = d;
    return 0;
}

static int one(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, one_q); }

int kw_handlers_daos(kw_router *r, kw_app *app, kw_err *err)
{
    const kw_route routes[] = {
        {"GET", "/api/v1/daos", list, KW_ROUTE_PUBLIC, 0, app, "the 15 DAOs with records and current weights"},
        {"GET", "/api/v1/daos/{id}", one, KW_ROUTE_PUBLIC, 0, app, "one DAO and its recent votes"},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}
