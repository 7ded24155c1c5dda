/* GET /api/v1/cycles/current, /cycles, /cycles/{id}, /cycles/{id}/votes,
 * /cycles/{id}/results and /weather/statistics. */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/query.h"

#define CYCLE_COLUMNS                                                                                             \
    "c.cycle_id, c.start_block, c.end_block, c.current_state, c.weather_outcome, c.final_score_ppm, "             \
    "c.confidence_ppm, c.location, c.settled_at"
#define CYCLE_COLS                                                                                                \
    {"id", KW_COL_INT, false}, {"start_block", KW_COL_INT, false}, {"end_block", KW_COL_INT, false},              \
        {"state", KW_COL_TEXT, false}, {"outcome", KW_COL_TEXT, false}, {"final_score", KW_COL_PPM, false},       \
        {"confidence", KW_COL_PPM, false}, {"location", KW_COL_TEXT, false}, {"settled_at", KW_COL_TIME, false}

static const kw_sql SQL_LIST = {
    .sql = "SELECT " CYCLE_COLUMNS " FROM weather_cycles c WHERE c.cycle_id < $1 ORDER BY c.cycle_id DESC LIMIT $2"};
static const kw_col LIST_COLS[] = {CYCLE_COLS};

static const kw_sql SQL_ONE = {
    .sql = "SELECT " CYCLE_COLUMNS ", (SELECT COUNT(DISTINCT a.user_id) FROM cycle_actions a "
           "WHERE a.cycle_id = c.cycle_id), c.total_staked, c.plant_modifier_ppm, c.store_modifier_ppm, "
           "c.weather_observation FROM weather_cycles c WHERE c.cycle_id = $1"};
static const kw_col ONE_COLS[] = {
    CYCLE_COLS,
    {"participants", KW_COL_INT, false},
    {"total_staked", KW_COL_AMOUNT, false},
    {"plant_modifier", KW_COL_PPM, false},
    {"store_modifier", KW_COL_PPM, false},
    {"observation", KW_COL_JSON, false},
};

static const kw_sql SQL_EXISTS = {.sql = "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id = $1"};

/* A prediction is the secret its commitment hides until it is revealed. */
static const kw_sql SQL_VOTES = {
    .sql = "SELECT dao_id, commitment, revealed, "
           "CASE WHEN revealed = TRUE THEN prediction END, CASE WHEN revealed = TRUE THEN confidence_ppm END, "
           "CASE WHEN revealed = TRUE THEN reasoning END, CASE WHEN revealed = TRUE THEN salt END, valid, correct "
           "FROM dao_votes WHERE cycle_id = $1 ORDER BY dao_id"};
static const kw_col VOTE_COLS[] = {
    {"dao", KW_COL_TEXT, false},        {"commitment", KW_COL_HEX, false}, {"revealed", KW_COL_BOOL, false},
    {"prediction", KW_COL_TEXT, true},  {"confidence", KW_COL_PPM, true},  {"reasoning", KW_COL_TEXT, true},
    {"salt", KW_COL_HEX, true},         {"valid", KW_COL_BOOL, true},      {"correct", KW_COL_BOOL, true},
};

static const kw_sql SQL_RESULT = {
    .sql = "SELECT cycle_id, current_state, weather_outcome, final_score_ppm, confidence_ppm, settled_at, "
           "plant_modifier_ppm, store_modifier_ppm FROM weather_cycles WHERE cycle_id = $1"};
static const kw_col RESULT_COLS[] = {
    {"cycle_id", KW_COL_INT, false},      {"state", KW_COL_TEXT, false},     {"outcome", KW_COL_TEXT, false},
    {"final_score", KW_COL_PPM, false},   {"confidence", KW_COL_PPM, false}, {"settled_at", KW_COL_TIME, false},
    {"plant_modifier", KW_COL_PPM, false}, {"store_modifier", KW_COL_PPM, false},
};
static const kw_sql SQL_RESOLVED = {
    .sql = "SELECT payload FROM events WHERE type = 'weather.resolved' AND cycle_id = $1 ORDER BY id LIMIT 1"};
static const kw_sql SQL_POSITIONS = {
    .sql = "SELECT COUNT(*), COALESCE(SUM(stake_amount), 0), COALESCE(SUM(final_reward), 0) "
           "FROM farm_positions WHERE cycle_id = $1"};
static const kw_col POSITION_COLS[] = {
    {"count", KW_COL_INT, false}, {"staked", KW_COL_AMOUNT, false}, {"rewards", KW_COL_AMOUNT, false}};
static const kw_sql SQL_WAGERS = {
    .sql = "SELECT COALESCE(SUM(CASE WHEN direction = 'good' THEN amount ELSE 0 END), 0), "
           "COALESCE(SUM(CASE WHEN direction = 'bad' THEN amount ELSE 0 END), 0), COUNT(*), "
           "COALESCE(SUM(payout), 0), COALESCE(SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END), 0), "
           "COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0) FROM weather_wagers WHERE cycle_id = $1"};

static const kw_sql SQL_STATS = {
    .sql = "SELECT COUNT(*), COALESCE(SUM(CASE WHEN weather_outcome = 'GOOD' THEN 1 ELSE 0 END), 0), "
           "COALESCE(SUM(CASE WHEN weather_outcome = 'BAD' THEN 1 ELSE 0 END), 0), AVG(final_score_ppm) "
           "FROM weather_cycles WHERE weather_outcome IS NOT NULL"};
static const kw_sql SQL_BY_CITY = {
    .sqlite = "SELECT location, COUNT(*), AVG(json_extract(weather_observation, '$.suitability')) "
              "FROM weather_cycles WHERE weather_outcome IS NOT NULL AND location IS NOT NULL "
              "GROUP BY location ORDER BY location",
    .pg = "SELECT location, COUNT(*), AVG(CAST(weather_observation ->> 'suitability' AS DOUBLE PRECISION)) "
          "FROM weather_cycles WHERE weather_outcome IS NOT NULL AND location IS NOT NULL "
          "GROUP BY location ORDER BY location"};

static kw_app *app_of(const kw_http_req *req) { return req->ctx; }

static int current(const kw_http_req *req, kw_http_res *res)
{
    kw_pubdoc *doc = &app_of(req)->engine->current;
    const char *buf;
    size_t len;
    int slot = kw_pubdoc_acquire(doc, &buf, &len);
    int rc = len ? kw_http_json_raw(res, 200, buf, len)
                 : kw_http_error(res, 503, "NOT_READY", "the engine has not read the chain yet; retry in a moment");
    kw_pubdoc_release(doc, slot);
    return rc;
}

static int list_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    int64_t limit, before;
    json_t *rows;
    int rc = kw_query_page(req, &limit, &before, err);
    if (rc || (rc = kw_query_rows(db, &SQL_LIST, KW_ARGS(KW_I(before), KW_I(limit)), LIST_COLS,
                                  sizeof LIST_COLS / sizeof LIST_COLS[0], &rows, err)) != 0)
        return rc;
    *data = json_pack("{s:o}", "cycles", rows);
    return 0;
}

static int list(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, list_q); }

static int cycle_id(const kw_http_req *req, int64_t *id, kw_err *err)
{
    return kw_http_param_int(req, "id", 0, INT64_MAX, id, err);
}

static int exists(kw_db *db, int64_t id, kw_err *err)
{
    int64_t n = 0;
    int rc = kw_db_query_int(db, &SQL_EXISTS, KW_ARGS(KW_I(id)), &n, err);
    if (rc == 0 && n == 0)
        rc = kw_err_set(err, KW_ENOTFOUND, "no cycle %lld", (long long)id);
    return rc;
}

static int one_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    int64_t id;
    int rc = cycle_id(req, &id, err);
    if (rc)
        return rc;
    char what[64];
    snprintf(what, sizeof what, "no cycle %lld", (long long)id);
    return kw_query_one(db, &SQL_ONE, KW_ARGS(KW_I(id)), ONE_COLS, sizeof ONE_COLS / sizeof ONE_COLS[0], what,
                        data, err);
}

static int one(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, one_q); }

static int votes_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    int64_t id;
    json_t *rows;
    int rc = cycle_id(req, &id, err);
    if (rc || (rc = exists(db, id, err)) ||
        (rc = kw_query_rows(db, &SQL_VOTES, KW_ARGS(KW_I(id)), VOTE_COLS, sizeof VOTE_COLS / sizeof VOTE_COLS[0],
                            &rows, err)))
        return rc;
    *data = json_pack("{s:I,s:o}", "cycle_id", (json_int_t)id, "votes", rows);
    return 0;
}

static int votes(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, votes_q); }

/* The wager totals; fee is what the losing side left to the reserve (fee
 * and rounding dust), known once settled. */
static int wager_totals(kw_db *db, int64_t id, bool settled, json_t **out, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, &SQL_WAGERS, KW_ARGS(KW_I(id)), &r, err);
    if (rc)
        return rc;
    if ((rc = kw_rows_next(r, err)) == 1) {
        int64_t good = kw_rows_int(r, 0), bad = kw_rows_int(r, 1), count = kw_rows_int(r, 2);
        int64_t paid = kw_rows_int(r, 3), refunded = kw_rows_int(r, 4), open = kw_rows_int(r, 5);
        bool done = settled && open == 0;
        *out = json_pack("{s:I,s:o,s:o,s:o,s:b}", "count", (json_int_t)count, "good_pool", kw_json_amount(good),
                         "bad_pool", kw_json_amount(bad), "fee",
                         done ? kw_json_amount(refunded ? 0 : good + bad - paid) : json_null(), "refunded",
                         refunded > 0);
        rc = 0;
    }
    kw_rows_close(r);
    return rc;
}

static int results_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    int64_t id;
    json_t *row = NULL, *positions = NULL, *wagers = NULL, *resolved = NULL;
    char what[64];
    int rc = cycle_id(req, &id, err);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "no cycle %lld", (long long)id);
    if ((rc = kw_query_one(db, &SQL_RESULT, KW_ARGS(KW_I(id)), RESULT_COLS,
                                 sizeof RESULT_COLS / sizeof RESULT_COLS[0], what, &row, err)))
        return rc;
    if (json_is_null(json_object_get(row, "outcome"))) {
        rc = kw_err_set(err, KW_ENOTFOUND, "cycle %lld has no results yet (it is %s)", (long long)id,
                        json_string_value(json_object_get(row, "state")));
        goto done;
    }
    kw_rows *r;
    if ((rc = kw_db_query(db, &SQL_RESOLVED, KW_ARGS(KW_I(id)), &r, err)) != 0)
        goto done;
    if ((rc = kw_rows_next(r, err)) == 1)
        resolved = json_loads(kw_rows_text(r, 0), 0, NULL);
    kw_rows_close(r);
    if (rc < 0)
        goto done;
    bool settled = strcmp(json_string_value(json_object_get(row, "state")), "settled") == 0;
    if ((rc = kw_query_one(db, &SQL_POSITIONS, KW_ARGS(KW_I(id)), POSITION_COLS,
                           sizeof POSITION_COLS / sizeof POSITION_COLS[0], "no positions", &positions, err)) ||
        (rc = wager_totals(db, id, settled, &wagers, err)))
        goto done;
    static const char *const from_event[] = {"dao_score", "weather_score", "location", "consensus", "observation",
                                             "entropy"};
    for (size_t i = 0; i < sizeof from_event / sizeof from_event[0]; i++) {
        json_t *v = resolved ? json_object_get(resolved, from_event[i]) : NULL;
        json_object_set(row, from_event[i], v ? v : json_null());
    }
    json_object_set_new(row, "positions", positions);
    json_object_set_new(row, "wagers", wagers);
    positions = wagers = NULL;
    *data = row;
    row = NULL;
done:
    json_decref(row);
    json_decref(positions);
    json_decref(wagers);
    json_decref(resolved);
    return rc;
}

static int results(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, results_q); }

static int statistics_q(const kw_http_req *req, kw_db *db, json_t **data, kw_err *err)
{
    (void)req;
    kw_rows *r;
    json_t *out = NULL, *cities = json_object();
    int rc = kw_db_query(db, &SQL_STATS, KW_NOARGS, &r, err);
    if (rc == 0) {
        if ((rc = kw_rows_next(r, err)) == 1) {
            out = json_pack("{s:I,s:I,s:I,s:o}", "cycles", (json_int_t)kw_rows_int(r, 0), "good",
                            (json_int_t)kw_rows_int(r, 1), "bad", (json_int_t)kw_rows_int(r, 2),
                            "average_final_score",
                            kw_rows_is_null(r, 3) ? json_null() : json_real(kw_rows_double(r, 3) / 1e6));
            rc = 0;
        }
        kw_rows_close(r);
    }
    if (rc == 0 && (rc = kw_db_query(db, &SQL_BY_CITY, KW_NOARGS, &r, err)) == 0) {
        while ((rc = kw_rows_next(r, err)) == 1)
            json_object_set_new(cities, kw_rows_text(r, 0),
                                json_pack("{s:I,s:o}", "count", (json_int_t)kw_rows_int(r, 1), "average_suitability",
                                          kw_rows_is_null(r, 2) ? json_null() : json_real(kw_rows_double(r, 2))));
        kw_rows_close(r);
    }
    if (rc < 0 || !out) {
        json_decref(out);
        json_decref(cities);
        return rc < 0 ? rc : kw_err_set(err, KW_EINTERNAL, "the statistics query returned nothing");
    }
    json_object_set_new(out, "by_city", cities);
    *data = out;
    return 0;
}

static int statistics(const kw_http_req *req, kw_http_res *res) { return kw_app_read(req, res, 200, statistics_q); }

int kw_handlers_cycles(kw_router *r, kw_app *app, kw_err *err)
{
    const kw_route routes[] = {
        {"GET", "/api/v1/cycles/current", current, KW_ROUTE_PUBLIC, 0, app,
         "the current cycle, phase and DAO commitments (from memory)"},
        {"GET", "/api/v1/cycles", list, KW_ROUTE_PUBLIC, 0, app, "cycles, newest first"},
        {"GET", "/api/v1/cycles/{id}", one, KW_ROUTE_PUBLIC, 0, app, "one cycle"},
        {"GET", "/api/v1/cycles/{id}/votes", votes, KW_ROUTE_PUBLIC, 0, app,
         "a cycle's DAO commitments and, once revealed, votes"},
        {"GET", "/api/v1/cycles/{id}/results", results, KW_ROUTE_PUBLIC, 0, app,
         "a cycle's final weather, consensus and totals"},
        {"GET", "/api/v1/weather/statistics", statistics, KW_ROUTE_PUBLIC, 0, app,
         "final weather over all resolved cycles, by city"},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}
