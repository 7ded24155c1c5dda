/* The generic layer, migrations and repositories; run once per backend. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "store/ledger.h"
#include "store/migrate.h"
#include "store/repo_apikeys.h"
#include "store/repo_users.h"
#include "store/repo_wallets.h"

static kw_store *st;
static kw_db *db;
static kw_err err;

static void setup(void)
{
    st = kwt_open();
    memset(&err, 0, sizeof err);
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
    kw_store_release(st, db);
    kwt_close(st);
}

TestSuite(store, .init = setup, .fini = teardown);

static const kw_sql CREATE_T = {
    .sqlite = "CREATE TABLE kwt (i INTEGER, d REAL, t TEXT, b BLOB)",
    .pg = "CREATE TABLE kwt (i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA)"};
static const kw_sql INSERT_T = {.sql = "INSERT INTO kwt (i, d, t, b) VALUES ($1, $2, $3, $4)"};
static const kw_sql SELECT_T = {.sql = "SELECT i, d, t, b FROM kwt WHERE i = $1 OR ($1 IS NULL AND i IS NULL)"};
static const kw_sql COUNT_T = {.sql = "SELECT COUNT(*) FROM kwt"};
static const kw_sql SWAPPED = {.sql = "SELECT t FROM kwt WHERE t = $2 AND i = $1"};

static void make_table(void)
{
    cr_assert_eq(kw_db_exec(db, &CREATE_T, KW_NOARGS, NULL, &err), 0, "%s", err.msg);
}

static int64_t count_t(void)
{
    int64_t n = -1;
    cr_assert_eq(kw_db_query_int(db, &COUNT_T, KW_NOARGS, &n, &err), 0, "%s", err.msg);
    return n;
}

Test(store, binds_and_reads_every_type)
{
    static const uint8_t blob[] = {0, 1, 0xff, 0, 'x', '\\', 0x80};
    const char *text = "it's \"quoted\" — ünïcode; $1 ?1";
    make_table();
    int64_t changes = 0;
    cr_assert_eq(kw_db_exec(db, &INSERT_T, KW_ARGS(KW_I(INT64_MIN), KW_D(-2.5), KW_T(text), KW_B(blob, sizeof blob)),
                            &changes, &err), 0, "%s", err.msg);
    cr_assert_eq(changes, 1);
    cr_assert_eq(kw_db_exec(db, &INSERT_T, KW_ARGS(KW_I(INT64_MAX), KW_D(1e300), KW_T(""), KW_B("", 0)), NULL, &err),
                 0, "%s", err.msg);
    cr_assert_eq(kw_db_exec(db, &INSERT_T, KW_ARGS(KW_NUL, KW_NUL, KW_T(NULL), KW_NUL), NULL, &err), 0, "%s", err.msg);

    kw_rows *r;
    size_t len = 99;
    cr_assert_eq(kw_db_query(db, &SELECT_T, KW_ARGS(KW_I(INT64_MIN)), &r, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_rows_next(r, &err), 1);
    cr_assert_eq(kw_rows_int(r, 0), INT64_MIN);
    cr_assert_eq(kw_rows_double(r, 1), -2.5);
    cr_assert_str_eq(kw_rows_text(r, 2), text);
    const void *b = kw_rows_blob(r, 3, &len);
    cr_assert_eq(len, sizeof blob);
    cr_assert_arr_eq(b, blob, sizeof blob);
    cr_assert_eq(kw_rows_next(r, &err), 0);
    kw_rows_close(r);

    cr_assert_eq(kw_db_query(db, &SELECT_T, KW_ARGS(KW_I(INT64_MAX)), &r, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_rows_next(r, &err), 1);
    cr_assert_eq(kw_rows_double(r, 1), 1e300);
    cr_assert_str_eq(kw_rows_text(r, 2), "");
    cr_assert_not(kw_rows_is_null(r, 2));
    kw_rows_blob(r, 3, &len);
    cr_assert_eq(len, 0);
    kw_rows_close(r);

    cr_assert_eq(kw_db_query(db, &SELECT_T, KW_ARGS(KW_NUL), &r, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_rows_next(r, &err), 1);
    for (int c = 0; c < 4; c++)
        cr_assert(kw_rows_is_null(r, c), "column %d", c);
    cr_assert_str_eq(kw_rows_text(r, 2), "");
    kw_rows_close(r);

    /* Placeholders bind by number, not by position in the text. */
    int64_t n = 0;
    cr_assert_eq(kw_db_query(db, &SWAPPED, KW_ARGS(KW_I(INT64_MAX), KW_T("")), &r, &err), 0, "%s", err.msg);
    while (kw_rows_next(r, &err) == 1)
        n++;
    kw_rows_close(r);
    cr_assert_eq(n, 1);
}

Test(store, rollback_discards_and_commit_keeps)
{
    make_table();
    cr_assert_eq(kw_db_begin(db, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_exec(db, &INSERT_T, KW_ARGS(KW_I(1), KW_D(0), KW_T("a"), KW_NUL), NULL, &err), 0);
    kw_db_rollback(db);
    cr_assert_eq(count_t(), 0);
    cr_assert_eq(kw_db_begin(db, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_begin(db, &err), KW_ESTATE, "transactions do not nest");
    cr_assert_eq(kw_db_exec(db, &INSERT_T, KW_ARGS(KW_I(1), KW_D(0), KW_T("a"), KW_NUL), NULL, &err), 0);
    cr_assert_eq(kw_db_commit(db, &err), 0, "%s", err.msg);
    cr_assert_eq(count_t(), 1);
    cr_assert_eq(kw_db_commit(db, &err), KW_ESTATE);
}

Test(store, a_failed_transaction_only_rolls_back)
{
    int64_t uid = kwt_user(db, "alice");
    kw_user u = {0};
    snprintf(u.username, sizeof u.username, "ALICE");
    snprintf(u.password_hash, sizeof u.password_hash, "x");
    int64_t id;
    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_repo_users_create(db, &u, 5, &id, &err), KW_ECONFLICT);
    cr_assert(strstr(err.msg, "ALICE") != NULL, "%s", err.msg);
    cr_assert_eq(kw_repo_users_get(db, uid, &u, &err), KW_ESTATE, "statements after an error are refused");
    cr_assert_eq(kw_db_commit(db, &err), KW_ESTATE);
    cr_assert_not(kw_db_in_tx(db));
    cr_assert_eq(kw_repo_users_get(db, uid, &u, &err), 0, "%s", err.msg);
}

Test(store, an_open_cursor_blocks_other_statements)
{
    make_table();
    kw_rows *r;
    cr_assert_eq(kw_db_query(db, &COUNT_T, KW_NOARGS, &r, &err), 0);
    int64_t n;
    cr_assert_eq(kw_db_query_int(db, &COUNT_T, KW_NOARGS, &n, &err), KW_ESTATE);
    kw_rows_close(r);
    cr_assert_eq(kw_db_query_int(db, &COUNT_T, KW_NOARGS, &n, &err), 0, "%s", err.msg);
}

Test(store, readers_see_committed_data_only)
{
    make_table();
    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_db_exec(db, &INSERT_T, KW_ARGS(KW_I(7), KW_D(0), KW_T("a"), KW_NUL), NULL, &err), 0);
    kw_db *rd;
    int64_t n = -1;
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &rd, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_query_int(rd, &COUNT_T, KW_NOARGS, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 0);
    cr_assert_eq(kw_db_commit(db, &err), 0);
    cr_assert_eq(kw_db_query_int(rd, &COUNT_T, KW_NOARGS, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 1);
    kw_store_release(st, rd);
}

Test(store, rejects_unknown_urls)
{
    kw_store *other = NULL;
    kw_store_options o = {.url = "mysql://x", .pool_size = 1};
    cr_assert_eq(kw_store_open(&o, &other, &err), KW_EINVAL);
    cr_assert(strstr(err.msg, "DATABASE_URL") != NULL, "%s", err.msg);
    o.url = "sqlite:";
    cr_assert_eq(kw_store_open(&o, &other, &err), KW_EINVAL);
    o.url = "";
    o.pool_size = 0;
    cr_assert_eq(kw_store_open(&o, &other, &err), KW_EINVAL);
    cr_assert_null(other);
}

static const kw_sql FAKE_FUTURE = {
    .sql = "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0)"};
static const kw_sql TAMPER = {.sql = "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"};
static const kw_sql TABLES = {
    .sqlite = "SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('users', 'ledger_lines', 'user_performance_summary')",
    .pg = "SELECT COUNT(*) FROM pg_class WHERE relname IN ('users', 'ledger_lines', 'user_performance_summary') "
          "AND relnamespace = current_schema()::regnamespace"};

Test(store, migrations_apply_once_and_refuse_newer_or_edited_schemas)
{
    int applied = -1, dbv = -1, binv = -1;
    int64_t n = 0;
    kw_store_release(st, db);
    cr_assert_eq(kw_migrate(st, &applied, &err), 0, "%s", err.msg);
    cr_assert_eq(applied, 0, "already migrated by the fixture");
    cr_assert_eq(kw_migrate_status(st, &dbv, &binv, &err), 0, "%s", err.msg);
    cr_assert_eq(dbv, binv);
    cr_assert_geq(binv, 1);
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &err), 0);
    cr_assert_eq(kw_db_query_int(db, &TABLES, KW_NOARGS, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 3);

    cr_assert_eq(kw_db_exec(db, &TAMPER, KW_NOARGS, NULL, &err), 0, "%s", err.msg);
    kw_store_release(st, db);
    cr_assert_eq(kw_migrate(st, &applied, &err), KW_ESTATE);
    cr_assert(strstr(err.msg, "001_initial") != NULL, "%s", err.msg);

    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &err), 0);
    cr_assert_eq(kw_db_exec(db, &FAKE_FUTURE, KW_NOARGS, NULL, &err), 0, "%s", err.msg);
    kw_store_release(st, db);
    cr_assert_eq(kw_migrate(st, &applied, &err), KW_ESTATE);
    cr_assert(strstr(err.msg, "999") != NULL && strstr(err.msg, "newer") != NULL, "%s", err.msg);
    cr_assert_eq(applied, 0);
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &err), 0);
}

Test(store, users_are_unique_without_regard_to_case)
{
    int64_t id = kwt_user(db, "Alice");
    kw_user u;
    cr_assert_eq(kw_repo_users_get(db, id, &u, &err), 0, "%s", err.msg);
    cr_assert_str_eq(u.username, "Alice");
    cr_assert_eq(u.tier, KW_TIER_USER);
    cr_assert_not(u.admin);
    cr_assert_eq(u.created_at, 1000);
    cr_assert_eq(kw_repo_users_get_by_name(db, "aLiCe", &u, &err), 0, "%s", err.msg);
    cr_assert_eq(u.id, id);
    cr_assert_eq(kw_repo_users_get_by_name(db, "bob", &u, &err), KW_ENOTFOUND);
    cr_assert_eq(kw_repo_users_get(db, id + 100, &u, &err), KW_ENOTFOUND);

    kw_user dup = {.admin = true, .tier = KW_TIER_PREMIUM};
    snprintf(dup.username, sizeof dup.username, "ALICE");
    snprintf(dup.password_hash, sizeof dup.password_hash, "h");
    int64_t other;
    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_repo_users_create(db, &dup, 2000, &other, &err), KW_ECONFLICT);
    cr_assert_str_eq(kw_db_constraint(db), "users_username_key");
    kw_db_rollback(db);

    snprintf(dup.username, sizeof dup.username, "carol");
    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_repo_users_create(db, &dup, 2000, &other, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_commit(db, &err), 0);
    cr_assert_eq(kw_repo_users_get(db, other, &u, &err), 0);
    cr_assert(u.admin);
    cr_assert_eq(u.tier, KW_TIER_PREMIUM);

    int64_t acct;
    cr_assert_eq(kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, other, &acct, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_ledger_account(db, KW_ACCT_USER_ESCROW, other, &acct, &err), 0, "%s", err.msg);
}

#define PK1 "GBQHTQ7NTSKHVTSVM6EHUO3TU4P4BK2TAAII25V2TT2Q6OWXUJWEKALE"
#define PK2 "GBPZWD5ENV7SWWHAOFZ6YYCAY2VGKZLNDUJDWQJLA3OQPJ7W56KM7ADG"
#define PK3 "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

Test(store, wallets_insert_read_list_and_reseal)
{
    int64_t a = kwt_user(db, "alice"), b = kwt_user(db, "bob"), wa, wb;
    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_repo_wallets_insert(db, a, PK1, "{\"v\":1,\"k\":\"a\"}", 1, 10, &wa, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_repo_wallets_insert(db, b, PK2, "{\"v\":1,\"k\":\"b\"}", 1, 10, &wb, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_commit(db, &err), 0);

    kw_wallet w;
    cr_assert_eq(kw_repo_wallets_get_by_user(db, a, &w, &err), 0, "%s", err.msg);
    cr_assert_str_eq(w.public_key, PK1);
    cr_assert_str_eq(w.sealed, "{\"v\":1,\"k\":\"a\"}");
    cr_assert_eq(w.id, wa);
    kw_wallet_clear(&w);
    cr_assert_null(w.sealed);

    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_repo_wallets_insert(db, a, PK3, "{}", 1, 10, &wa, &err), KW_ECONFLICT);
    cr_assert(strstr(err.msg, "already has") != NULL, "%s", err.msg);
    kw_db_rollback(db);
    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_repo_wallets_insert(db, a + b + 7, PK1, "{}", 1, 10, &wa, &err), KW_ECONFLICT,
                 "the public key is unique too");
    kw_db_rollback(db);

    /* A rotation: list and reseal everything in one transaction. */
    kw_wallet *all;
    size_t n;
    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_repo_wallets_list(db, &all, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(all[0].user_id, a);
    cr_assert_eq(all[1].user_id, b);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(kw_repo_wallets_update_sealed(db, all[i].id, "{\"v\":2}", 2, 20, &err), 0, "%s", err.msg);
    kw_wallet_list_free(all, n);
    cr_assert_eq(kw_repo_wallets_update_sealed(db, wb + 100, "{}", 2, 20, &err), KW_ENOTFOUND);
    kw_db_rollback(db);
    cr_assert_eq(kw_repo_wallets_get_by_user(db, b, &w, &err), 0);
    cr_assert_eq(w.version, 1, "the failed rotation changed nothing");
    kw_wallet_clear(&w);

    cr_assert_eq(kw_db_begin(db, &err), 0);
    cr_assert_eq(kw_repo_wallets_update_sealed(db, wb, "{\"v\":2}", 2, 20, &err), 0);
    cr_assert_eq(kw_db_commit(db, &err), 0);
    cr_assert_eq(kw_repo_wallets_get_by_user(db, b, &w, &err), 0);
    cr_assert_eq(w.version, 2);
    cr_assert_eq(w.updated_at, 20);
    cr_assert_str_eq(w.sealed, "{\"v\":2}");
    kw_wallet_clear(&w);
    cr_assert_eq(kw_repo_wallets_get_by_user(db, b + 100, &w, &err), KW_ENOTFOUND);
}

Test(store, api_keys_are_found_by_hash_until_revoked)
{
    int64_t a = kwt_user(db, "alice"), b = kwt_user(db, "bob"), k1, k2;
    uint8_t h1[32], h2[32];
    memset(h1, 0x11, sizeof h1);
    memset(h2, 0x00, sizeof h2);
    h2[31] = 0x22;
    cr_assert_eq(kw_repo_apikeys_insert(db, a, h1, "kwx_aaaa", "laptop", 5, &k1, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_repo_apikeys_insert(db, a, h2, "kwx_bbbb", NULL, 6, &k2, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_repo_apikeys_insert(db, b, h1, "kwx_cccc", "", 7, &k2, &err), KW_ECONFLICT);
    cr_assert_str_eq(kw_db_constraint(db), "api_keys_hash_key");
    cr_assert_eq(kw_repo_apikeys_insert(db, b, h1, "abc_cccc", "", 7, &k2, &err), KW_EINVAL);
    cr_assert_str_eq(kw_db_constraint(db), "valid_key_prefix");

    kw_apikey k;
    cr_assert_eq(kw_repo_apikeys_find(db, h1, &k, &err), 0, "%s", err.msg);
    cr_assert_eq(k.id, k1);
    cr_assert_eq(k.user_id, a);
    cr_assert_str_eq(k.prefix, "kwx_aaaa");
    cr_assert_str_eq(k.name, "laptop");
    cr_assert_eq(k.last_used_at, 0);
    cr_assert_eq(kw_repo_apikeys_touch(db, k1, 50, &err), 0);

    kw_apikey *list;
    size_t n;
    cr_assert_eq(kw_repo_apikeys_list(db, a, &list, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].prefix, "kwx_bbbb", "newest first");
    cr_assert_eq(list[1].last_used_at, 50);
    free(list);

    cr_assert_eq(kw_repo_apikeys_revoke(db, b, k1, 60, &err), KW_ENOTFOUND, "not bob's key");
    cr_assert_eq(kw_repo_apikeys_revoke(db, a, k1, 60, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_repo_apikeys_revoke(db, a, k1, 61, &err), KW_ENOTFOUND, "already revoked");
    cr_assert_eq(kw_repo_apikeys_find(db, h1, &k, &err), KW_ENOTFOUND);
    cr_assert_eq(kw_repo_apikeys_list(db, a, &list, &n, &err), 0);
    cr_assert_eq(list[1].revoked_at, 60);
    free(list);
}

static const kw_sql MY_PID = {.sqlite = "SELECT 0", .pg = "SELECT pg_backend_pid()"};
static const kw_sql TERMINATE = {.sqlite = "SELECT $1", .pg = "SELECT pg_terminate_backend($1)"};

/* A server-side disconnect surfaces as KW_ETRANSIENT and the pool reconnects;
 * a SQLite file has no connection to lose, so there it only runs the calls. */
Test(store, a_lost_connection_is_transient_and_replaced)
{
    int64_t pid = 0, ok = 0, n;
    kw_db *other;
    cr_assert_eq(kw_db_query_int(db, &MY_PID, KW_NOARGS, &pid, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_store_acquire(st, KW_DB_READ, &other, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_query_int(other, &TERMINATE, KW_ARGS(KW_I(pid)), &ok, &err), 0, "%s", err.msg);
    kw_store_release(st, other);
    if (kw_store_dialect_of(st) != KW_DIALECT_PG)
        return;
    cr_assert_eq(ok, 1);
    cr_assert_eq(kw_db_query_int(db, &COUNT_T, KW_NOARGS, &n, &err), KW_ETRANSIENT, "%s", err.msg);
    kw_store_release(st, db);
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_query_int(db, &MY_PID, KW_NOARGS, &pid, &err), 0, "reconnected: %s", err.msg);
}

static const kw_sql CREATE_PARENT = {.sql = "CREATE TABLE kwp (id INTEGER PRIMARY KEY)"};
static const kw_sql CREATE_CHILD = {
    .sqlite = "CREATE TABLE kwc (id INTEGER PRIMARY KEY, p INTEGER REFERENCES kwp (id) DEFERRABLE INITIALLY DEFERRED)",
    .pg = "CREATE TABLE kwc (id BIGSERIAL PRIMARY KEY, p BIGINT REFERENCES kwp (id) DEFERRABLE INITIALLY DEFERRED)"};
static const kw_sql INSERT_CHILD = {.sql = "INSERT INTO kwc (p) VALUES ($1) RETURNING id"};
static const kw_sql COUNT_CHILD = {.sql = "SELECT COUNT(*) FROM kwc"};

/* Outside a transaction an INSERT … RETURNING commits when the statement
 * ends, after its row was returned; a commit that fails (here a deferred
 * foreign key, in production a full disk) must be the statement's result,
 * not a row id that was never written. */
Test(store, a_returning_insert_whose_commit_fails_is_an_error)
{
    int64_t id = 0, n = -1;
    cr_assert_eq(kw_db_exec(db, &CREATE_PARENT, KW_NOARGS, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_exec(db, &CREATE_CHILD, KW_NOARGS, NULL, &err), 0, "%s", err.msg);
    int rc = kw_db_query_int(db, &INSERT_CHILD, KW_ARGS(KW_I(42)), &id, &err);
    cr_assert_eq(rc, KW_EINVAL, "rc %d, id %lld: %s", rc, (long long)id, err.msg);
    cr_assert_eq(kw_db_query_int(db, &COUNT_CHILD, KW_NOARGS, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 0);
}

static const kw_sql CAP_PAGES = {.sqlite = "PRAGMA max_page_count = 1", .pg = "SELECT 1"};
static const kw_sql UNCAP_PAGES = {.sqlite = "PRAGMA max_page_count = 1000000", .pg = "SELECT 1"};

/* A full disk is a passing condition, not a failure of the request: SQLite's
 * page limit stands in for it (on PostgreSQL, SQLSTATE class 53 is mapped the
 * same way and the chaos test fills a real disk). */
Test(store, a_full_disk_is_transient)
{
    if (kw_store_dialect_of(st) != KW_DIALECT_SQLITE)
        return;
    make_table();
    static char big[1 << 16];
    cr_assert_eq(kw_db_exec(db, &CAP_PAGES, KW_NOARGS, NULL, &err), 0, "%s", err.msg);
    int rc = kw_db_exec(db, &INSERT_T, KW_ARGS(KW_I(1), KW_D(0), KW_T("x"), KW_B(big, sizeof big)), NULL, &err);
    cr_assert_eq(rc, KW_ETRANSIENT, "%d %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, "full"), "%s", err.msg);
    cr_assert_eq(kw_db_exec(db, &UNCAP_PAGES, KW_NOARGS, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_exec(db, &INSERT_T, KW_ARGS(KW_I(1), KW_D(0), KW_T("x"), KW_B(big, sizeof big)), NULL, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(count_t(), 1);
}

static const kw_sql BAD_WALLET = {
    .sql = "INSERT INTO custodial_wallets (user_id, public_key, encrypted_wallet, created_at, updated_at) "
           "VALUES ($1, 'Gshort', $2, 0, 0)"};

Test(store, error_messages_never_quote_row_values)
{
    int64_t a = kwt_user(db, "alice");
    int rc = kw_db_exec(db, &BAD_WALLET, KW_ARGS(KW_I(a), KW_T("SECRET-SEALED-BLOB")), NULL, &err);
    cr_assert_eq(rc, KW_EINVAL);
    cr_assert(strstr(err.msg, "SECRET") == NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "valid_public_key") != NULL, "%s", err.msg);
}

static const kw_sql TWO_BLOBS = {.sql = "SELECT b, b FROM kwt WHERE i = $1"};

/* store.h: a blob stays valid until the next row, even after another column's. */
Test(store, two_blobs_of_one_row_are_both_valid)
{
    make_table();
    const uint8_t one[4] = {1, 2, 3, 4};
    cr_assert_eq(kw_db_exec(db, &INSERT_T, KW_ARGS(KW_I(1), KW_D(0), KW_T("x"), KW_B(one, 4)), NULL, &err), 0, "%s", err.msg);
    kw_rows *r;
    cr_assert_eq(kw_db_query(db, &TWO_BLOBS, KW_ARGS(KW_I(1)), &r, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_rows_next(r, &err), 1);
    size_t n1, n2;
    const uint8_t *a = kw_rows_blob(r, 0, &n1), *b = kw_rows_blob(r, 1, &n2);
    cr_assert(n1 == 4 && n2 == 4 && memcmp(a, one, 4) == 0 && memcmp(b, one, 4) == 0);
    kw_rows_close(r);
}
