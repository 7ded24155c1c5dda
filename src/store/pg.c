/*
 * The PostgreSQL backend of store.h: libpq, a pool of pool_size connections,
 * every statement prepared once per connection (named "s<N>") and run with
 * bound parameters. Values travel as text except blobs (binary), so the
 * server infers each parameter's type from the statement.
 */
#include <ctype.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define PG_BYTEA_OID 17
#define PG_MAX_PARAMS 64

typedef struct pg_rows {
    kw_rows base;
    PGresult *res;
    int row, nrows;
    /* Decoded bytea values of the current row, one per column, so every blob
     * stays valid until the next row as store.h promises; freed on next/close. */
    unsigned char **blobs;
    int nblobs;
} pg_rows;

typedef struct pg_conn {
    kw_db base;
    PGconn *h;
    kw_stmt_cache cache;
    unsigned next_name;
    pg_rows rows;
    bool lent;
} pg_conn;

typedef struct pg_state {
    char *url;
    int size;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    pg_conn **conns;
} pg_state;

static const kw_store_ops pg_ops;

static const kw_sql PG_BEGIN = {.sql = "BEGIN"};
static const kw_sql PG_COMMIT = {.sql = "COMMIT"};
static const kw_sql PG_ROLLBACK = {.sql = "ROLLBACK"};

/* ---- errors ------------------------------------------------------------ */

static int classify(const char *state)
{
    if (!state)
        return KW_ETRANSIENT; /* no SQLSTATE: the connection itself failed */
    if (strcmp(state, "23505") == 0)
        return KW_ECONFLICT;
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
        return KW_EINVAL; /* integrity constraint or malformed value */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
        strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 || strncmp(state, "53", 2) == 0)
        return KW_ETRANSIENT; /* serialization, lost connection, shutdown, disk full, too many connections */
    return KW_EIO;
}

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n')
            *s = ' ';
}

static int pg_fail(pg_conn *c, PGresult *res, kw_err *err)
{
    char msg[512];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /* Only the primary message: DETAIL can quote a failing row, secrets included. */
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(msg, sizeof msg, "%s", primary ? primary : PQerrorMessage(c->h));
    one_line(msg);
    int code = classify(state);
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *table = res ? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : NULL;
    if (state && strcmp(state, "23502") == 0)
        constraint = NULL; /* NOT NULL has no name; the message names the column */
    int rc = kw_db_fail(&c->base, err, code, constraint, table, msg);
    if (res)
        PQclear(res);
    return rc;
}

/* ---- statements ---------------------------------------------------------- */

/* Statement names are "s<N>"; the cache holds N + 1 (so none is NULL). */
static int prepared(pg_conn *c, const kw_sql *sql, char name[16], kw_err *err)
{
    uintptr_t id = (uintptr_t)kw_stmt_cache_get(&c->cache, sql);
    if (id) {
        snprintf(name, 16, "s%u", (unsigned)(id - 1));
        return 0;
    }
    id = ++c->next_name;
    snprintf(name, 16, "s%u", (unsigned)(id - 1));
    PGresult *res = PQprepare(c->h, name, kw_sql_text(sql, KW_DIALECT_PG), 0, NULL);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        return pg_fail(c, res, err);
    PQclear(res);
    if (kw_stmt_cache_put(&c->cache, sql, (void *)id) != 0)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    return 0;
}

static int pg_query(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams, kw_rows **out,
                    int64_t *changes, kw_err *err)
{
    pg_conn *c = (pg_conn *)db;
    char name[16];
    char num[PG_MAX_PARAMS][32];
    const char *values[PG_MAX_PARAMS];
    int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
    if (nparams > PG_MAX_PARAMS)
        return kw_db_fail(db, err, KW_EINTERNAL, NULL, NULL, "too many statement parameters");
    int rc = prepared(c, sql, name, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < nparams; i++) {
        lengths[i] = 0;
        formats[i] = 0;
        switch (params[i].type) {
        case KW_PARAM_INT:
            snprintf(num[i], sizeof num[i], "%lld", (long long)params[i].i);
            values[i] = num[i];
            break;
        case KW_PARAM_DOUBLE:
            snprintf(num[i], sizeof num[i], "%.17g", params[i].d);
            values[i] = num[i];
            break;
        case KW_PARAM_TEXT:
            values[i] = params[i].p;
            break;
        case KW_PARAM_BLOB:
            values[i] = params[i].n ? params[i].p : "";
            lengths[i] = (int)params[i].n;
            formats[i] = 1;
            break;
        default:
            values[i] = NULL;
            break;
        }
    }
    PGresult *res = PQexecPrepared(c->h, name, (int)nparams, values, lengths, formats, 0);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        return pg_fail(c, res, err);
    if (out) {
        c->rows.res = res;
        c->rows.row = -1;
        c->rows.nrows = PQntuples(res);
        *out = &c->rows.base;
        return 0;
    }
    const char *tuples = PQcmdTuples(res);
    *changes = *tuples ? strtoll(tuples, NULL, 10) : 0;
    PQclear(res);
    return 0;
}

static void free_blobs(pg_rows *pr)
{
    for (int i = 0; i < pr->nblobs; i++) {
        free(pr->blobs[i]);
        pr->blobs[i] = NULL;
    }
}

static int pg_next(kw_rows *r, kw_err *err)
{
    (void)err;
    pg_rows *pr = (pg_rows *)r;
    free_blobs(pr);
    if (pr->row + 1 >= pr->nrows)
        return 0;
    pr->row++;
    return 1;
}

static bool pg_is_null(kw_rows *r, int col)
{
    pg_rows *pr = (pg_rows *)r;
    return PQgetisnull(pr->res, pr->row, col);
}

static const char *pg_text(kw_rows *r, int col)
{
    pg_rows *pr = (pg_rows *)r;
    return PQgetisnull(pr->res, pr->row, col) ? NULL : PQgetvalue(pr->res, pr->row, col);
}

static int64_t pg_int(kw_rows *r, int col)
{
    const char *s = pg_text(r, col);
    if (!s)
        return 0;
    if (*s == 't')  /* BOOLEAN */
        return 1;
    return strtoll(s, NULL, 10);
}

static double pg_double(kw_rows *r, int col)
{
    const char *s = pg_text(r, col);
    return s ? strtod(s, NULL) : 0.0;
}

static int hexval(int ch)
{
    return isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
}

static const void *pg_blob(kw_rows *r, int col, size_t *len)
{
    pg_rows *pr = (pg_rows *)r;
    const char *s = pg_text(r, col);
    *len = 0;
    if (!s)
        return NULL;
    if (PQftype(pr->res, col) != PG_BYTEA_OID || strncmp(s, "\\x", 2) != 0) {
        *len = (size_t)PQgetlength(pr->res, pr->row, col);
        return s;
    }
    if (!pr->blobs) {
        int nf = PQnfields(pr->res);
        if (!(pr->blobs = calloc((size_t)(nf ? nf : 1), sizeof *pr->blobs)))
            return NULL;
        pr->nblobs = nf;
    }
    size_t n = (strlen(s) - 2) / 2;
    free(pr->blobs[col]);
    unsigned char *b = pr->blobs[col] = malloc(n ? n : 1);
    if (!b)
        return NULL;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(hexval((unsigned char)s[2 + 2 * i]) << 4 | hexval((unsigned char)s[3 + 2 * i]));
    *len = n;
    return b;
}

static void pg_rows_close(kw_rows *r)
{
    pg_rows *pr = (pg_rows *)r;
    PQclear(pr->res);
    pr->res = NULL;
    free_blobs(pr);
    free(pr->blobs);
    pr->blobs = NULL;
    pr->nblobs = 0;
}

static int run(pg_conn *c, const kw_sql *sql, kw_err *err)
{
    int64_t changes;
    return pg_query(&c->base, sql, NULL, 0, NULL, &changes, err);
}

static int pg_begin(kw_db *db, kw_err *err)
{
    return run((pg_conn *)db, &PG_BEGIN, err);
}

/* COMMIT of a transaction the server already aborted answers "ROLLBACK"
 * without an error; that must not look like success. */
static int pg_commit(kw_db *db, kw_err *err)
{
    pg_conn *c = (pg_conn *)db;
    char name[16];
    int rc = prepared(c, &PG_COMMIT, name, err);
    if (rc)
        return rc;
    PGresult *res = PQexecPrepared(c->h, name, 0, NULL, NULL, NULL, 0);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        return pg_fail(c, res, err);
    bool committed = strcmp(PQcmdStatus(res), "COMMIT") == 0;
    PQclear(res);
    if (!committed)
        return kw_db_fail(db, err, KW_ETRANSIENT, NULL, NULL, "the server rolled the transaction back");
    return 0;
}

static void pg_rollback(kw_db *db)
{
    pg_conn *c = (pg_conn *)db;
    if (PQtransactionStatus(c->h) != PQTRANS_IDLE)
        (void)run(c, &PG_ROLLBACK, NULL);
}

static int pg_script(kw_db *db, const char *sql, kw_err *err)
{
    pg_conn *c = (pg_conn *)db;
    PGresult *res = PQexec(c->h, sql);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        return pg_fail(c, res, err);
    PQclear(res);
    return 0;
}

/* ---- connections --------------------------------------------------------- */

static void quiet(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static void conn_close(pg_conn *c)
{
    if (!c)
        return;
    PQfinish(c->h);
    kw_stmt_cache_free(&c->cache, NULL);
    free(c);
}

static int conn_open(pg_state *s, pg_conn **out, kw_err *err)
{
    pg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    c->base.ops = &pg_ops;
    c->rows.base.db = &c->base;
    c->h = PQconnectdb(s->url);
    if (!c->h || PQstatus(c->h) != CONNECTION_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", c->h ? PQerrorMessage(c->h) : "out of memory");
        one_line(msg);
        conn_close(c);
        return kw_err_set(err, KW_ETRANSIENT, "cannot connect to PostgreSQL: %s", msg);
    }
    PQsetNoticeProcessor(c->h, quiet, NULL);
    *out = c;
    return 0;
}

static int pg_acquire(kw_store *st, kw_db_mode mode, kw_db **out, kw_err *err)
{
    (void)mode;
    pg_state *s = st->state;
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        for (int i = 0; i < s->size; i++) {
            pg_conn *c = s->conns[i];
            if (c && c->lent)
                continue;
            if (!c && (rc = conn_open(s, &s->conns[i], err)) != 0)
                goto done;
            c = s->conns[i];
            if (PQstatus(c->h) != CONNECTION_OK) {
                PQreset(c->h);
                kw_stmt_cache_clear(&c->cache, NULL); /* a new session has no prepared statements */
                if (PQstatus(c->h) != CONNECTION_OK) {
                    rc = kw_err_set(err, KW_ETRANSIENT, "lost the PostgreSQL connection and could not reconnect");
                    goto done;
                }
            }
            c->lent = true;
            c->base.store = st;
            *out = &c->base;
            goto done;
        }
        pthread_cond_wait(&s->freed, &s->lock);
    }
done:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void pg_release(kw_store *st, kw_db *db)
{
    pg_state *s = st->state;
    pthread_mutex_lock(&s->lock);
    ((pg_conn *)db)->lent = false;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

static void pg_close(kw_store *st)
{
    pg_state *s = st->state;
    for (int i = 0; i < s->size; i++)
        conn_close(s->conns[i]);
    free(s->conns);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->freed);
    if (s->url)
        explicit_bzero(s->url, strlen(s->url));
    free(s->url);
    free(s);
    free(st);
}

int kw_store_pg_open(const char *url, const kw_store_options *o, kw_store **out, kw_err *err)
{
    kw_store *st = calloc(1, sizeof *st);
    pg_state *s = calloc(1, sizeof *s);
    if (!st || !s) {
        free(st);
        free(s);
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    st->ops = &pg_ops;
    st->state = s;
    s->size = o->pool_size;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    s->url = strdup(url);
    s->conns = calloc((size_t)s->size, sizeof *s->conns);
    int rc;
    if (!s->url || !s->conns) {
        rc = kw_err_set(err, KW_ENOMEM, "out of memory");
        goto fail;
    }
    /* Connect once now so a wrong URL stops start-up, not the first request. */
    if ((rc = conn_open(s, &s->conns[0], err)) != 0)
        goto fail;
    *out = st;
    return 0;
fail:
    pg_close(st);
    return rc;
}

static const kw_store_ops pg_ops = {
    .name = "postgresql",
    .dialect = KW_DIALECT_PG,
    .acquire = pg_acquire,
    .release = pg_release,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .query = pg_query,
    .script = pg_script,
    .next = pg_next,
    .is_null = pg_is_null,
    .col_int = pg_int,
    .col_double = pg_double,
    .col_text = pg_text,
    .col_blob = pg_blob,
    .rows_close = pg_rows_close,
};
