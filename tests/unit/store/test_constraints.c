/* Each of the schema's rules rejects what it should, with a message naming
 * it; run once per backend. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"

static kw_store *st;
static kw_db *db;
static kw_err err;
static int64_t user;

static const kw_sql CYCLE = {
    .sql = "INSERT INTO weather_cycles (cycle_id, start_block, end_block, participant_count, created_at, updated_at) "
           "VALUES ($1, $2, $3, $4, 0, 0)"};
static const kw_sql ACTION = {
    .sql = "INSERT INTO cycle_actions (user_id, cycle_id, block_number, action_type, agriculture_type, direction, "
           "amount, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING id"};
static const kw_sql WAGER = {
    .sql = "INSERT INTO weather_wagers (action_id, user_id, cycle_id, direction, amount, created_at) "
           "VALUES ($1, $2, $3, $4, $5, 0)"};
static const kw_sql POSITION = {
    .sql = "INSERT INTO farm_positions (action_id, user_id, cycle_id, position_type, stake_amount, status, error, "
           "created_at, updated_at) VALUES ($1, $2, $3, 'plant', $4, $5, $6, 0, 0)"};
static const kw_sql STATE = {.sql = "UPDATE weather_cycles SET current_state = $1 WHERE cycle_id = $2"};
static const kw_sql OVERDRAW = {
    .sql = "UPDATE ledger_accounts SET balance = -1 WHERE user_id = $1 AND kind = 'user_available'"};
static const kw_sql NO_NAME = {
    .sql = "INSERT INTO users (username, password_hash, created_at, updated_at) VALUES ($1, NULL, 0, 0)"};

static void setup(void)
{
    st = kwt_open();
    memset(&err, 0, sizeof err);
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &err), 0, "%s", err.msg);
    user = kwt_user(db, "alice");
    cr_assert_eq(kw_db_exec(db, &CYCLE, KW_ARGS(KW_I(1), KW_I(10), KW_I(19), KW_I(0)), NULL, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
    kw_store_release(st, db);
    kwt_close(st);
}

TestSuite(constraints, .init = setup, .fini = teardown);

/* Asserts that the last statement failed with code on constraint name of table. */
static void rejected(int rc, int code, const char *name, const char *table)
{
    cr_assert_eq(rc, code, "want %s, got %d (%s)", kw_strerror(code), rc, err.msg);
    cr_assert_str_eq(kw_db_constraint(db), name, "%s", err.msg);
    cr_assert(strstr(err.msg, name) != NULL, "message names the constraint: %s", err.msg);
    cr_assert(strstr(err.msg, table) != NULL, "message names the table: %s", err.msg);
}

static int action(int64_t block, const char *type, const char *agri, const char *dir, int64_t amount, int64_t *id)
{
    int64_t ignored;
    return kw_db_query_int(db, &ACTION,
                           KW_ARGS(KW_I(user), KW_I(1), KW_I(block), KW_T(type), KW_T(agri), KW_T(dir), KW_I(amount)),
                           id ? id : &ignored, &err);
}

Test(constraints, valid_block_range)
{
    int rc = kw_db_exec(db, &CYCLE, KW_ARGS(KW_I(2), KW_I(20), KW_I(20), KW_I(0)), NULL, &err);
    rejected(rc, KW_EINVAL, "valid_block_range", "weather_cycles");
    rc = kw_db_exec(db, &CYCLE, KW_ARGS(KW_I(2), KW_I(-1), KW_I(20), KW_I(0)), NULL, &err);
    rejected(rc, KW_EINVAL, "valid_block_range", "weather_cycles");
    cr_assert_eq(kw_db_exec(db, &CYCLE, KW_ARGS(KW_I(2), KW_I(20), KW_I(29), KW_I(0)), NULL, &err), 0, "%s", err.msg);
}

Test(constraints, valid_participant_count)
{
    int rc = kw_db_exec(db, &CYCLE, KW_ARGS(KW_I(2), KW_I(20), KW_I(29), KW_I(-1)), NULL, &err);
    rejected(rc, KW_EINVAL, "valid_participant_count", "weather_cycles");
}

Test(constraints, valid_stake_amount)
{
    rejected(action(10, "agriculture", "plant", NULL, 0, NULL), KW_EINVAL, "valid_stake_amount", "cycle_actions");
    rejected(action(10, "wager", NULL, "good", -5, NULL), KW_EINVAL, "valid_stake_amount", "cycle_actions");
    rejected(action(10, "stay", NULL, NULL, 5, NULL), KW_EINVAL, "valid_stake_amount", "cycle_actions");
    cr_assert_eq(action(10, "stay", NULL, NULL, 0, NULL), 0, "%s", err.msg);
    cr_assert_eq(action(11, "agriculture", "store", NULL, 1000000, NULL), 0, "%s", err.msg);
}

Test(constraints, action_shape_and_type)
{
    rejected(action(10, "agriculture", NULL, NULL, 5, NULL), KW_EINVAL, "valid_action_shape", "cycle_actions");
    rejected(action(10, "wager", NULL, "sunny", 5, NULL), KW_EINVAL, "valid_action_shape", "cycle_actions");
    rejected(action(10, "dance", NULL, NULL, 5, NULL), KW_EINVAL, "valid_action_type", "cycle_actions");
}

Test(constraints, one_action_per_block)
{
    cr_assert_eq(action(12, "agriculture", "plant", NULL, 5, NULL), 0, "%s", err.msg);
    rejected(action(12, "wager", NULL, "bad", 5, NULL), KW_ECONFLICT, "one_action_per_block", "cycle_actions");
    cr_assert(strstr(err.msg, "duplicate") != NULL, "%s", err.msg);
    cr_assert_eq(action(13, "agriculture", "plant", NULL, 5, NULL), 0, "another block of the phase: %s", err.msg);
}

Test(constraints, one_wager_per_cycle)
{
    int64_t a1, a2;
    cr_assert_eq(action(12, "wager", NULL, "good", 5, &a1), 0, "%s", err.msg);
    cr_assert_eq(action(13, "wager", NULL, "bad", 5, &a2), 0, "%s", err.msg);
    cr_assert_eq(kw_db_exec(db, &WAGER, KW_ARGS(KW_I(a1), KW_I(user), KW_I(1), KW_T("good"), KW_I(5)), NULL, &err), 0,
                 "%s", err.msg);
    int rc = kw_db_exec(db, &WAGER, KW_ARGS(KW_I(a2), KW_I(user), KW_I(1), KW_T("bad"), KW_I(5)), NULL, &err);
    rejected(rc, KW_ECONFLICT, "one_wager_per_cycle", "weather_wagers");
}

Test(constraints, position_status_and_failure_reason)
{
    int64_t a;
    cr_assert_eq(action(12, "agriculture", "plant", NULL, 5, &a), 0, "%s", err.msg);
    int rc = kw_db_exec(db, &POSITION, KW_ARGS(KW_I(a), KW_I(user), KW_I(1), KW_I(5), KW_T("lost"), KW_NUL), NULL, &err);
    rejected(rc, KW_EINVAL, "valid_position_status", "farm_positions");
    rc = kw_db_exec(db, &POSITION, KW_ARGS(KW_I(a), KW_I(user), KW_I(1), KW_I(5), KW_T("failed"), KW_NUL), NULL, &err);
    rejected(rc, KW_EINVAL, "failed_has_error", "farm_positions");
    rc = kw_db_exec(db, &POSITION, KW_ARGS(KW_I(a), KW_I(user), KW_I(1), KW_I(0), KW_T("pending"), KW_NUL), NULL, &err);
    rejected(rc, KW_EINVAL, "valid_position_stake", "farm_positions");
    cr_assert_eq(kw_db_exec(db, &POSITION, KW_ARGS(KW_I(a), KW_I(user), KW_I(1), KW_I(5), KW_T("failed"),
                                                  KW_T("harvest failed 3 times")),
                            NULL, &err), 0, "%s", err.msg);
}

Test(constraints, cycle_state)
{
    rejected(kw_db_exec(db, &STATE, KW_ARGS(KW_T("sleeping"), KW_I(1)), NULL, &err), KW_EINVAL, "valid_cycle_state",
             "weather_cycles");
    rejected(kw_db_exec(db, &STATE, KW_ARGS(KW_T("settled"), KW_I(1)), NULL, &err), KW_EINVAL, "settled_has_outcome",
             "weather_cycles");
    cr_assert_eq(kw_db_exec(db, &STATE, KW_ARGS(KW_T("working"), KW_I(1)), NULL, &err), 0, "%s", err.msg);
}

Test(constraints, balances_never_go_negative_even_by_hand)
{
    rejected(kw_db_exec(db, &OVERDRAW, KW_ARGS(KW_I(user)), NULL, &err), KW_EINVAL, "non_negative_balance",
             "ledger_accounts");
}

Test(constraints, missing_references_and_values_are_invalid)
{
    int64_t id;
    int rc = kw_db_query_int(db, &ACTION,
                             KW_ARGS(KW_I(user + 99), KW_I(1), KW_I(10), KW_T("stay"), KW_NUL, KW_NUL, KW_I(0)), &id,
                             &err);
    cr_assert_eq(rc, KW_EINVAL, "unknown user: %s", err.msg);
    rc = kw_db_exec(db, &NO_NAME, KW_ARGS(KW_T("nohash")), NULL, &err);
    cr_assert_eq(rc, KW_EINVAL, "%s", err.msg);
    cr_assert(strstr(err.msg, "password_hash") != NULL, "names the column: %s", err.msg);
}
