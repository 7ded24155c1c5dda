#include "store/migrate.h"

#include <string.h>
#include <time.h>

#include "crypto/sha.h"
#include "obs/log.h"

static const kw_sql CREATE_TABLE = {
    .sql = "CREATE TABLE IF NOT EXISTS schema_migrations ("
           " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
           " applied_at BIGINT NOT NULL)"};
static const kw_sql MAX_VERSION = {.sql = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
static const kw_sql LIST = {.sql = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"};
static const kw_sql RECORD = {
    .sql = "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)"};
/* Serialises concurrent migrators across processes; SQLite's BEGIN IMMEDIATE already does. */
static const kw_sql LOCK = {.sqlite = "SELECT 1", .pg = "SELECT pg_advisory_xact_lock(7316402291)"};

static void checksum(const char *sql, char hex[65])
{
    uint8_t h[32];
    kw_sha256(sql, strlen(sql), h);
    kw_hex_encode(h, sizeof h, hex);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the database's version and checks it against the binary's, inside
 * the caller's transaction. */
static int check(kw_db *db, const kw_migration *all, size_t count, int *version, kw_err *err)
{
    int rc;
    int64_t v = 0;
    if ((rc = kw_db_exec(db, &CREATE_TABLE, KW_NOARGS, NULL, err)) != 0 ||
        (rc = kw_db_query_int(db, &MAX_VERSION, KW_NOARGS, &v, err)) != 0)
        return rc;
    if (v > (int64_t)count)
        return kw_err_set(err, KW_ESTATE,
                          "the database schema is at version %lld but this kalewx knows only up to %zu; "
                          "run a newer kalewx",
                          (long long)v, count);
    kw_rows *r;
    if ((rc = kw_db_query(db, &LIST, KW_NOARGS, &r, err)) != 0)
        return rc;
    while ((rc = kw_rows_next(r, err)) == 1) {
        int64_t ver = kw_rows_int(r, 0);
        char want[65];
        if (ver < 1 || ver > (int64_t)count) {
            rc = kw_err_set(err, KW_ESTATE, "schema_migrations holds unknown version %lld", (long long)ver);
            break;
        }
        checksum(all[ver - 1].sql, want);
        if (strcmp(kw_rows_text(r, 2), want) != 0) {
            rc = kw_err_set(err, KW_ESTATE,
                            "migration %03lld_%s differs from the one applied to this database; "
                            "a released migration must never change",
                            (long long)ver, all[ver - 1].name);
            break;
        }
    }
    kw_rows_close(r);
    if (rc < 0)
        return rc;
    *version = (int)v;
    return 0;
}

int kw_migrate_status(kw_store *st, int *db_version, int *binary_version, kw_err *err)
{
    size_t count;
    const kw_migration *all = kw_migrations(kw_store_dialect_of(st), &count);
    kw_db *db;
    int rc = kw_store_acquire(st, KW_DB_WRITE, &db, err);
    if (rc)
        return rc;
    *binary_version = (int)count;
    if ((rc = kw_db_begin(db, err)) == 0 && (rc = check(db, all, count, db_version, err)) == 0)
        rc = kw_db_commit(db, err);
    kw_store_release(st, db);
    return rc;
}

int kw_migrate(kw_store *st, int *applied, kw_err *err)
{
    size_t count;
    const kw_migration *all = kw_migrations(kw_store_dialect_of(st), &count);
    int done = 0, rc = 0;
    kw_db *db;
    if ((rc = kw_store_acquire(st, KW_DB_WRITE, &db, err)) != 0)
        return rc;
    for (;;) {
        int version = 0;
        if ((rc = kw_db_begin(db, err)) != 0 ||
            (rc = kw_db_exec(db, &LOCK, KW_NOARGS, NULL, err)) != 0 ||
            (rc = check(db, all, count, &version, err)) != 0)
            break;
        if ((size_t)version == count) {
            rc = kw_db_commit(db, err);
            break;
        }
        const kw_migration *m = &all[version];
        char sum[65];
        checksum(m->sql, sum);
        if ((rc = kw_db_script(db, m->sql, err)) != 0 ||
            (rc = kw_db_exec(db, &RECORD, KW_ARGS(KW_I(m->version), KW_T(m->name), KW_T(sum), KW_I(now_ms())),
                             NULL, err)) != 0 ||
            (rc = kw_db_commit(db, err)) != 0) {
            KW_LOG(KW_LOG_ERROR, "migration failed", KW_LI("version", m->version), KW_LS("name", m->name),
                   KW_LS("error", err ? err->msg : ""));
            break;
        }
        KW_LOG(KW_LOG_INFO, "migration applied", KW_LI("version", m->version), KW_LS("name", m->name),
               KW_LS("backend", kw_store_backend_name(st)));
        done++;
    }
    kw_db_rollback(db);
    kw_store_release(st, db);
    if (applied)
        *applied = done;
    return rc;
}
