/*
 * The SQLite backend of store.h: WAL, one writer connection behind a mutex,
 * up to pool_size reader connections, statements prepared once per
 * connection and cached by the address of their kw_sql.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"

typedef struct sq_rows {
    kw_rows base;
    sqlite3_stmt *stmt;
} sq_rows;

typedef struct sq_conn {
    kw_db base;
    sqlite3 *h;
    kw_stmt_cache cache;
    sq_rows rows;
    bool lent;
} sq_conn;

typedef struct sq_state {
    char *path;
    int busy_ms;
    int nreaders;
    pthread_mutex_t wlock;     /* held by whoever has the writer */
    pthread_mutex_t rlock;     /* guards readers[] */
    pthread_cond_t rfree;
    sq_conn *writer;
    sq_conn **readers;
} sq_state;

static const kw_store_ops sq_ops;

static const kw_sql SQ_BEGIN_W = {.sql = "BEGIN IMMEDIATE"};
static const kw_sql SQ_BEGIN_R = {.sql = "BEGIN"};
static const kw_sql SQ_COMMIT = {.sql = "COMMIT"};
static const kw_sql SQ_ROLLBACK = {.sql = "ROLLBACK"};

/* ---- errors ------------------------------------------------------------ */

/* SQLite names columns, not unique indexes, in its message
 * ("UNIQUE constraint failed: t.a, t.b"), so the index is found in the
 * catalogue: the unique index of t over exactly those columns. */
static void unique_index_name(sqlite3 *h, const char *msg, char *table, size_t tcap, char *name,
                              size_t ncap)
{
    const char *p = strstr(msg, "failed: ");
    table[0] = name[0] = 0;
    if (!p)
        return;
    p += 8;
    if (strncmp(p, "index '", 7) == 0) {
        const char *q = strchr(p + 7, '\'');
        if (q)
            snprintf(name, ncap, "%.*s", (int)(q - p - 7), p + 7);
        return;
    }
    const char *dot = strchr(p, '.');
    if (!dot)
        return;
    snprintf(table, tcap, "%.*s", (int)(dot - p), p);
    /* "t.a, t.b" → "a,b" */
    char want[512] = "";
    size_t w = 0;
    for (const char *s = p; *s && w < sizeof want - 1;) {
        const char *d = strchr(s, '.');
        if (!d)
            break;
        s = d + 1;
        while (*s && *s != ',' && w < sizeof want - 2)
            want[w++] = *s++;
        want[w++] = ',';
        while (*s == ',' || *s == ' ')
            s++;
    }
    want[w] = 0;

    sqlite3_stmt *il = NULL, *ii = NULL;
    if (sqlite3_prepare_v2(h, "SELECT name FROM pragma_index_list(?1) WHERE \"unique\"", -1, &il, NULL) != SQLITE_OK)
        goto done;
    if (sqlite3_prepare_v2(h, "SELECT group_concat(name, ',') || ',' FROM "
                              "(SELECT name FROM pragma_index_info(?1) ORDER BY seqno)",
                           -1, &ii, NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_text(il, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(il) == SQLITE_ROW) {
        const char *idx = (const char *)sqlite3_column_text(il, 0);
        sqlite3_reset(ii);
        sqlite3_bind_text(ii, 1, idx, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ii) == SQLITE_ROW && sqlite3_column_text(ii, 0) &&
            strcmp((const char *)sqlite3_column_text(ii, 0), want) == 0) {
            if (strncmp(idx, "sqlite_autoindex_", 17) == 0)
                snprintf(name, ncap, "%s_pkey", table);
            else
                snprintf(name, ncap, "%s", idx);
            break;
        }
    }
    if (!name[0])
        snprintf(name, ncap, "%s_pkey", table);
done:
    sqlite3_finalize(il);
    sqlite3_finalize(ii);
}

/* The table that declares CONSTRAINT name (SQLite's message omits it). */
static void check_table(sqlite3 *h, const char *name, char *table, size_t cap)
{
    sqlite3_stmt *s = NULL;
    table[0] = 0;
    if (sqlite3_prepare_v2(h, "SELECT name FROM sqlite_schema WHERE type = 'table' "
                              "AND sql LIKE '%CONSTRAINT ' || ?1 || ' %'",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        snprintf(table, cap, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
}

static int sq_fail(sq_conn *c, int src, kw_err *err)
{
    char msg[512], table[128], name[128];
    snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(c->h));
    switch (src) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        unique_index_name(c->h, msg, table, sizeof table, name, sizeof name);
        return kw_db_fail(&c->base, err, KW_ECONFLICT, name, table, msg);
    case SQLITE_CONSTRAINT_CHECK: {
        const char *p = strstr(msg, "failed: ");
        snprintf(name, sizeof name, "%s", p ? p + 8 : "");
        check_table(c->h, name, table, sizeof table);
        return kw_db_fail(&c->base, err, KW_EINVAL, name, table, msg);
    }
    default:
        break;
    }
    switch (src & 0xff) {
    case SQLITE_CONSTRAINT:
        return kw_db_fail(&c->base, err, KW_EINVAL, NULL, NULL, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL: /* the disk filled up: nothing was written; retry once there is room */
        return kw_db_fail(&c->base, err, KW_ETRANSIENT, NULL, NULL, msg);
    case SQLITE_NOMEM:
        return kw_db_fail(&c->base, err, KW_ENOMEM, NULL, NULL, msg);
    default:
        return kw_db_fail(&c->base, err, KW_EIO, NULL, NULL, msg);
    }
}

/* ---- statements ---------------------------------------------------------- */

/* $N → ?N outside literals, identifiers and comments; the same length. */
static char *translate(const char *sql)
{
    size_t n = strlen(sql);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    memcpy(out, sql, n + 1);
    for (size_t i = 0; i < n; i++) {
        char ch = out[i];
        if (ch == '\'' || ch == '"') {
            for (i++; i < n && out[i] != ch; i++)
                ;
        } else if (ch == '-' && out[i + 1] == '-') {
            while (i < n && out[i] != '\n')
                i++;
        } else if (ch == '$' && out[i + 1] >= '1' && out[i + 1] <= '9') {
            out[i] = '?';
        }
    }
    return out;
}

static int stmt_for(sq_conn *c, const kw_sql *sql, sqlite3_stmt **out, kw_err *err)
{
    if ((*out = kw_stmt_cache_get(&c->cache, sql)) != NULL)
        return 0;
    char *text = translate(kw_sql_text(sql, KW_DIALECT_SQLITE));
    if (!text)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->h, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    free(text);
    if (rc != SQLITE_OK)
        return sq_fail(c, sqlite3_extended_errcode(c->h), err);
    if (kw_stmt_cache_put(&c->cache, sql, st) != 0) {
        sqlite3_finalize(st);
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    *out = st;
    return 0;
}

static int bind(sq_conn *c, sqlite3_stmt *st, const kw_param *p, size_t n, kw_err *err)
{
    if ((int)n != sqlite3_bind_parameter_count(st))
        return kw_db_fail(&c->base, err, KW_EINTERNAL, NULL, NULL,
                          "statement parameter count does not match the values bound");
    for (size_t i = 0; i < n; i++) {
        int k = (int)i + 1, rc;
        switch (p[i].type) {
        case KW_PARAM_INT: rc = sqlite3_bind_int64(st, k, p[i].i); break;
        case KW_PARAM_DOUBLE: rc = sqlite3_bind_double(st, k, p[i].d); break;
        case KW_PARAM_TEXT: rc = sqlite3_bind_text(st, k, p[i].p, -1, SQLITE_STATIC); break;
        case KW_PARAM_BLOB:
            rc = sqlite3_bind_blob64(st, k, p[i].n ? p[i].p : "", p[i].n, SQLITE_STATIC);
            break;
        default: rc = sqlite3_bind_null(st, k); break;
        }
        if (rc != SQLITE_OK)
            return sq_fail(c, rc, err);
    }
    return 0;
}

static int sq_query(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams,
                    kw_rows **out, int64_t *changes, kw_err *err)
{
    sq_conn *c = (sq_conn *)db;
    sqlite3_stmt *st = NULL;
    int rc = stmt_for(c, sql, &st, err);
    if (rc)
        return rc;
    if ((rc = bind(c, st, params, nparams, err)) != 0) {
        sqlite3_clear_bindings(st);
        return rc;
    }
    if (out) {
        c->rows.stmt = st;
        *out = &c->rows.base;
        return 0;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (s != SQLITE_DONE) {
        rc = sq_fail(c, sqlite3_extended_errcode(c->h), err);
    } else {
        *changes = sqlite3_changes64(c->h);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int sq_next(kw_rows *r, kw_err *err)
{
    sq_rows *sr = (sq_rows *)r;
    int s = sqlite3_step(sr->stmt);
    if (s == SQLITE_ROW)
        return 1;
    if (s == SQLITE_DONE)
        return 0;
    sq_conn *c = (sq_conn *)r->db;
    return sq_fail(c, sqlite3_extended_errcode(c->h), err);
}

static bool sq_is_null(kw_rows *r, int col)
{
    return sqlite3_column_type(((sq_rows *)r)->stmt, col) == SQLITE_NULL;
}

static int64_t sq_int(kw_rows *r, int col)
{
    return sqlite3_column_int64(((sq_rows *)r)->stmt, col);
}

static double sq_double(kw_rows *r, int col)
{
    return sqlite3_column_double(((sq_rows *)r)->stmt, col);
}

static const char *sq_text(kw_rows *r, int col)
{
    return (const char *)sqlite3_column_text(((sq_rows *)r)->stmt, col);
}

static const void *sq_blob(kw_rows *r, int col, size_t *len)
{
    sqlite3_stmt *st = ((sq_rows *)r)->stmt;
    const void *p = sqlite3_column_blob(st, col);
    *len = (size_t)sqlite3_column_bytes(st, col);
    return p;
}

static void sq_rows_close(kw_rows *r)
{
    sq_rows *sr = (sq_rows *)r;
    sqlite3_reset(sr->stmt);
    sqlite3_clear_bindings(sr->stmt);
    sr->stmt = NULL;
}

static int run(sq_conn *c, const kw_sql *sql, kw_err *err)
{
    int64_t changes;
    return sq_query(&c->base, sql, NULL, 0, NULL, &changes, err);
}

static int sq_begin(kw_db *db, kw_err *err)
{
    return run((sq_conn *)db, db->mode == KW_DB_WRITE ? &SQ_BEGIN_W : &SQ_BEGIN_R, err);
}

static int sq_commit(kw_db *db, kw_err *err)
{
    return run((sq_conn *)db, &SQ_COMMIT, err);
}

static void sq_rollback(kw_db *db)
{
    sq_conn *c = (sq_conn *)db;
    if (!sqlite3_get_autocommit(c->h))
        (void)run(c, &SQ_ROLLBACK, NULL);
}

static int sq_script(kw_db *db, const char *sql, kw_err *err)
{
    sq_conn *c = (sq_conn *)db;
    if (sqlite3_exec(c->h, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(c, sqlite3_extended_errcode(c->h), err);
    return 0;
}

/* ---- connections --------------------------------------------------------- */

static void finalize(void *stmt)
{
    sqlite3_finalize(stmt);
}

static void conn_close(sq_conn *c)
{
    if (!c)
        return;
    kw_stmt_cache_free(&c->cache, finalize);
    sqlite3_close_v2(c->h);
    free(c);
}

static int pragma(sqlite3 *h, const char *sql, const char *want, kw_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && want &&
            strcasecmp((const char *)sqlite3_column_text(st, 0), want) != 0)
            rc = SQLITE_ERROR;
        else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return kw_err_set(err, rc == SQLITE_BUSY ? KW_ETRANSIENT : KW_EIO,
                          "SQLite setup \"%s\" failed: %s", sql, sqlite3_errmsg(h));
    return 0;
}

static int conn_open(sq_state *s, bool writer, sq_conn **out, kw_err *err)
{
    sq_conn *c = calloc(1, sizeof *c);
    if (!c)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    c->base.ops = &sq_ops;
    c->rows.base.db = &c->base;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(s->path, &c->h, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = kw_err_set(err, KW_EIO, "cannot open SQLite database %s: %s", s->path,
                        c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(c->h, 1);
    sqlite3_busy_timeout(c->h, s->busy_ms);
    /* FULL: a committed ledger entry must survive a power loss, not only a crash. */
    if ((rc = pragma(c->h, "PRAGMA foreign_keys = ON", NULL, err)) != 0 ||
        (rc = pragma(c->h, "PRAGMA synchronous = FULL", NULL, err)) != 0)
        goto fail;
    if (writer) {
        if ((rc = pragma(c->h, "PRAGMA journal_mode = WAL", "wal", err)) != 0)
            goto fail;
    } else if ((rc = pragma(c->h, "PRAGMA query_only = ON", NULL, err)) != 0) {
        goto fail;
    }
    *out = c;
    return 0;
fail:
    conn_close(c);
    return rc;
}

static int mkdirs(const char *path, kw_err *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return kw_err_set(err, KW_EIO, "cannot create directory %s: %s", dir, strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return kw_err_set(err, KW_EIO, "cannot create directory %s: %s", dir, strerror(errno));
    return 0;
}

static int sq_acquire(kw_store *st, kw_db_mode mode, kw_db **out, kw_err *err)
{
    sq_state *s = st->state;
    if (mode == KW_DB_WRITE) {
        pthread_mutex_lock(&s->wlock);
        s->writer->base.store = st;
        *out = &s->writer->base;
        return 0;
    }
    int rc = 0;
    pthread_mutex_lock(&s->rlock);
    for (;;) {
        for (int i = 0; i < s->nreaders; i++) {
            if (!s->readers[i]) {
                if ((rc = conn_open(s, false, &s->readers[i], err)) != 0)
                    goto done;
            }
            if (!s->readers[i]->lent) {
                s->readers[i]->lent = true;
                s->readers[i]->base.store = st;
                *out = &s->readers[i]->base;
                goto done;
            }
        }
        pthread_cond_wait(&s->rfree, &s->rlock);
    }
done:
    pthread_mutex_unlock(&s->rlock);
    return rc;
}

static void sq_release(kw_store *st, kw_db *db)
{
    sq_state *s = st->state;
    sq_conn *c = (sq_conn *)db;
    if (c == s->writer) {
        pthread_mutex_unlock(&s->wlock);
        return;
    }
    pthread_mutex_lock(&s->rlock);
    c->lent = false;
    pthread_cond_signal(&s->rfree);
    pthread_mutex_unlock(&s->rlock);
}

static void sq_close(kw_store *st)
{
    sq_state *s = st->state;
    for (int i = 0; i < s->nreaders; i++)
        conn_close(s->readers[i]);
    conn_close(s->writer);
    free(s->readers);
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->rlock);
    pthread_cond_destroy(&s->rfree);
    free(s->path);
    free(s);
    free(st);
}

int kw_store_sqlite_open(const char *path, const kw_store_options *o, kw_store **out, kw_err *err)
{
    int rc;
    kw_store *st = calloc(1, sizeof *st);
    sq_state *s = calloc(1, sizeof *s);
    if (!st || !s) {
        free(st);
        free(s);
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    st->ops = &sq_ops;
    st->state = s;
    s->busy_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000;
    s->nreaders = o->pool_size;
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_cond_init(&s->rfree, NULL);
    s->path = strdup(path);
    s->readers = calloc((size_t)s->nreaders, sizeof *s->readers);
    if (!s->path || !s->readers) {
        rc = kw_err_set(err, KW_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = mkdirs(path, err)) != 0 || (rc = conn_open(s, true, &s->writer, err)) != 0)
        goto fail;
    *out = st;
    return 0;
fail:
    sq_close(st);
    return rc;
}

static const kw_store_ops sq_ops = {
    .name = "sqlite",
    .dialect = KW_DIALECT_SQLITE,
    .acquire = sq_acquire,
    .release = sq_release,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .query = sq_query,
    .script = sq_script,
    .next = sq_next,
    .is_null = sq_is_null,
    .col_int = sq_int,
    .col_double = sq_double,
    .col_text = sq_text,
    .col_blob = sq_blob,
    .rows_close = sq_rows_close,
};
