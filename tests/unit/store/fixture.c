#include "fixture.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/migrate.h"
#include "store/repo_users.h"

static char url[4096];
static char base[2048];
static char where[256];   /* the temp dir (SQLite) or the schema (PostgreSQL) */

static bool is_pg(void)
{
    const char *u = getenv("DATABASE_URL");
    return u && (strncmp(u, "postgres://", 11) == 0 || strncmp(u, "postgresql://", 13) == 0);
}

static void quiet(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static void admin(const char *sql)
{
    PGconn *c = PQconnectdb(base);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

kw_store *kwt_reopen(void)
{
    kw_store *st = NULL;
    kw_err err = {0};
    kw_store_options o = {.url = url, .pool_size = 4};
    cr_assert_eq(kw_store_open(&o, &st, &err), 0, "open %s: %s", url, err.msg);
    return st;
}

const char *kwt_url(void) { return url; }

kw_store *kwt_open(void)
{
    static unsigned serial;
    if (is_pg()) {
        snprintf(base, sizeof base, "%s", getenv("DATABASE_URL"));
        snprintf(where, sizeof where, "kwt_%d_%u", (int)getpid(), serial++);
        char sql[512];
        snprintf(sql, sizeof sql, "CREATE SCHEMA %s", where);
        admin(sql);
        snprintf(url, sizeof url, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?', where);
    } else {
        snprintf(where, sizeof where, "/tmp/kwt_store_XXXXXX");
        cr_assert_not_null(mkdtemp(where));
        snprintf(url, sizeof url, "sqlite:%s/kalewx.db", where);
    }
    kw_store *st = kwt_reopen();
    kw_err err = {0};
    cr_assert_eq(kw_migrate(st, NULL, &err), 0, "migrate: %s", err.msg);
    return st;
}

void kwt_close(kw_store *st)
{
    kw_store_close(st);
    if (is_pg()) {
        char sql[512];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", where);
        admin(sql);
        return;
    }
    static const char *const files[] = {"kalewx.db", "kalewx.db-wal", "kalewx.db-shm"};
    char path[512];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", where, files[i]);
        unlink(path);
    }
    rmdir(where);
}

int64_t kwt_user(kw_db *db, const char *name)
{
    kw_err err = {0};
    int64_t id = 0;
    kw_user u = {.tier = KW_TIER_USER};
    snprintf(u.username, sizeof u.username, "%s", name);
    snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
    cr_assert_eq(kw_db_begin(db, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_repo_users_create(db, &u, 1000, &id, &err), 0, "%s", err.msg);
    cr_assert_eq(kw_db_commit(db, &err), 0, "%s", err.msg);
    return id;
}
