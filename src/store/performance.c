#include "store/performance.h"

#include <string.h>

/* PostgreSQL refreshes in one statement; SQLite empties the table here and
 * refills it from the view below, which yields the same rows. */
static const kw_sql REFRESH = {
    .sqlite = "DELETE FROM user_performance_summary",
    .pg = "REFRESH MATERIALIZED VIEW CONCURRENTLY user_performance_summary"};
static const kw_sql REFILL = {
    .sql = "INSERT INTO user_performance_summary SELECT * FROM user_performance_live"};
static const kw_sql GET = {
    .sql = "SELECT user_id, cycles_participated, total_positions, total_staked, total_rewards, "
           "avg_weather_modifier, winning_positions, losing_positions, roi_ratio, weather_consistency, "
           "first_activity, last_activity FROM user_performance_summary WHERE user_id = $1"};

int kw_performance_refresh(kw_db *db, kw_err *err)
{
    if (!kw_db_in_tx(db))
        return kw_err_set(err, KW_ESTATE, "the performance summary is refreshed inside a transaction");
    int rc = kw_db_exec(db, &REFRESH, KW_NOARGS, NULL, err);
    if (rc == 0 && kw_db_dialect(db) == KW_DIALECT_SQLITE)
        rc = kw_db_exec(db, &REFILL, KW_NOARGS, NULL, err);
    return rc;
}

int kw_performance_get(kw_db *db, int64_t user_id, kw_performance *out, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, &GET, KW_ARGS(KW_I(user_id)), &r, err);
    if (rc)
        return rc;
    if ((rc = kw_rows_next(r, err)) == 1) {
        memset(out, 0, sizeof *out);
        out->user_id = kw_rows_int(r, 0);
        out->cycles_participated = kw_rows_int(r, 1);
        out->total_positions = kw_rows_int(r, 2);
        out->total_staked = kw_rows_int(r, 3);
        out->total_rewards = kw_rows_int(r, 4);
        out->avg_weather_modifier = kw_rows_double(r, 5);
        out->winning_positions = kw_rows_int(r, 6);
        out->losing_positions = kw_rows_int(r, 7);
        out->roi_ratio = kw_rows_double(r, 8);
        out->weather_consistency = kw_rows_double(r, 9);
        out->first_activity = kw_rows_int(r, 10);
        out->last_activity = kw_rows_int(r, 11);
        rc = 0;
    } else if (rc == 0) {
        rc = kw_err_set(err, KW_ENOTFOUND, "no performance summary for user %lld", (long long)user_id);
    }
    kw_rows_close(r);
    return rc;
}
