#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/log.h"

kw_store_options kw_store_options_from(const kw_config *cfg)
{
    return (kw_store_options){
        .url = kw_config_str(cfg, KW_CFG_DATABASE_URL),
        .data_dir = kw_config_str(cfg, KW_CFG_KALEWX_DATA_DIR),
        .pool_size = (int)kw_config_int(cfg, KW_CFG_DB_POOL_SIZE),
    };
}

int kw_store_open(const kw_store_options *o, kw_store **out, kw_err *err)
{
    const char *url = o->url ? o->url : "";
    *out = NULL;
    if (o->pool_size < 1)
        return kw_err_set(err, KW_EINVAL, "DB_POOL_SIZE must be at least 1");
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return kw_store_pg_open(url, o, out, err);
    if (strncmp(url, "sqlite:", 7) == 0) {
        if (!url[7])
            return kw_err_set(err, KW_EINVAL, "DATABASE_URL sqlite: needs a path, e.g. sqlite:./data/kalewx.db");
        return kw_store_sqlite_open(url + 7, o, out, err);
    }
    if (*url)
        return kw_err_set(err, KW_EINVAL,
                          "DATABASE_URL must be empty, sqlite:PATH, postgres://... or postgresql://...");
    const char *dir = o->data_dir && *o->data_dir ? o->data_dir : ".";
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/kalewx.db", dir) >= sizeof path)
        return kw_err_set(err, KW_EINVAL, "KALEWX_DATA_DIR is too long");
    return kw_store_sqlite_open(path, o, out, err);
}

void kw_store_close(kw_store *st)
{
    if (st)
        st->ops->close(st);
}

kw_store_dialect kw_store_dialect_of(const kw_store *st)
{
    return st->ops->dialect;
}

const char *kw_store_backend_name(const kw_store *st)
{
    return st->ops->name;
}

int kw_store_acquire(kw_store *st, kw_db_mode mode, kw_db **out, kw_err *err)
{
    int rc = st->ops->acquire(st, mode, out, err);
    if (rc == 0) {
        atomic_fetch_add_explicit(&st->active, 1, memory_order_relaxed);
        (*out)->mode = mode;
        (*out)->in_tx = false;
        (*out)->tx_failed = false;
        (*out)->cursor = NULL;
        (*out)->constraint[0] = 0;
    }
    return rc;
}

void kw_store_release(kw_store *st, kw_db *db)
{
    if (!db)
        return;
    kw_db_rollback(db);
    st->ops->release(st, db);
    atomic_fetch_sub_explicit(&st->active, 1, memory_order_relaxed);
}

int kw_store_active(kw_store *st) { return atomic_load_explicit(&st->active, memory_order_relaxed); }

int kw_store_tx(kw_store *st, int (*fn)(kw_db *db, void *ctx, kw_err *err), void *ctx, kw_err *err)
{
    int rc = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        kw_db *db;
        if ((rc = kw_store_acquire(st, KW_DB_WRITE, &db, err)) != 0) {
            if (rc == KW_ETRANSIENT)
                continue;
            return rc;
        }
        if ((rc = kw_db_begin(db, err)) == 0 && (rc = fn(db, ctx, err)) == 0)
            rc = kw_db_commit(db, err);
        kw_store_release(st, db);
        if (rc != KW_ETRANSIENT)
            return rc;
        KW_LOG(KW_LOG_WARN, "transaction retried", KW_LI("attempt", attempt + 1),
               KW_LS("reason", err ? err->msg : ""));
    }
    return rc;
}

kw_store_dialect kw_db_dialect(const kw_db *db)
{
    return db->ops->dialect;
}

bool kw_db_in_tx(const kw_db *db)
{
    return db->in_tx;
}

const char *kw_db_constraint(const kw_db *db)
{
    return db->constraint;
}

const char *kw_sql_text(const kw_sql *sql, kw_store_dialect d)
{
    const char *own = d == KW_DIALECT_PG ? sql->pg : sql->sqlite;
    return own ? own : sql->sql;
}

int kw_db_fail(kw_db *db, kw_err *err, int code, const char *constraint, const char *table,
               const char *detail)
{
    db->constraint[0] = 0;
    if (db->in_tx)
        db->tx_failed = true;
    if (constraint && *constraint) {
        snprintf(db->constraint, sizeof db->constraint, "%s", constraint);
        const char *what = code == KW_ECONFLICT ? "duplicate: unique constraint"
                                                : "rejected by constraint";
        return kw_err_set(err, code, "%s %s on table %s", what, constraint,
                          table && *table ? table : "(unknown)");
    }
    return kw_err_set(err, code, "database: %s", detail && *detail ? detail : kw_strerror(code));
}

/* A failed transaction accepts nothing but rollback, on both backends. */
static int usable(kw_db *db, kw_err *err)
{
    if (db->cursor)
        return kw_err_set(err, KW_ESTATE, "a cursor is still open on this connection");
    if (db->in_tx && db->tx_failed)
        return kw_err_set(err, KW_ESTATE, "the transaction failed earlier and must be rolled back");
    return 0;
}

int kw_db_begin(kw_db *db, kw_err *err)
{
    if (db->cursor)
        return kw_err_set(err, KW_ESTATE, "a cursor is still open on this connection");
    if (db->in_tx)
        return kw_err_set(err, KW_ESTATE, "a transaction is already open on this connection");
    int rc = db->ops->begin(db, err);
    if (rc == 0) {
        db->in_tx = true;
        db->tx_failed = false;
    }
    return rc;
}

int kw_db_commit(kw_db *db, kw_err *err)
{
    if (!db->in_tx)
        return kw_err_set(err, KW_ESTATE, "commit without a transaction");
    int rc = usable(db, err);
    if (rc == 0)
        rc = db->ops->commit(db, err);
    if (rc != 0) {
        db->ops->rollback(db);
    }
    db->in_tx = false;
    db->tx_failed = false;
    return rc;
}

void kw_db_rollback(kw_db *db)
{
    kw_rows_close(db->cursor);
    if (!db->in_tx)
        return;
    db->ops->rollback(db);
    db->in_tx = false;
    db->tx_failed = false;
}

void kw_db_abort_tx(kw_db *db)
{
    if (db->in_tx)
        db->tx_failed = true;
}

int kw_db_exec(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams,
               int64_t *changes, kw_err *err)
{
    int64_t dummy;
    int rc = usable(db, err);
    if (rc)
        return rc;
    db->constraint[0] = 0;
    return db->ops->query(db, sql, params, nparams, NULL, changes ? changes : &dummy, err);
}

int kw_db_query(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams,
                kw_rows **out, kw_err *err)
{
    int64_t dummy;
    int rc = usable(db, err);
    if (rc)
        return rc;
    db->constraint[0] = 0;
    rc = db->ops->query(db, sql, params, nparams, out, &dummy, err);
    if (rc == 0)
        db->cursor = *out;
    return rc;
}

int kw_db_query_int(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams,
                    int64_t *out, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, sql, params, nparams, &r, err);
    if (rc)
        return rc;
    rc = kw_rows_next(r, err);
    if (rc == 1) {
        *out = kw_rows_is_null(r, 0) ? 0 : kw_rows_int(r, 0);
        /* Run the statement to its end: outside a transaction SQLite commits
         * an INSERT … RETURNING only then, and that commit can still fail (a
         * full disk, a deferred constraint). Stopping at the first row would
         * report a row that was never written. */
        while ((rc = kw_rows_next(r, err)) == 1)
            ;
    } else if (rc == 0) {
        rc = kw_err_set(err, KW_ENOTFOUND, "no row");
    }
    kw_rows_close(r);
    return rc;
}

int kw_db_script(kw_db *db, const char *sql, kw_err *err)
{
    int rc = usable(db, err);
    if (rc)
        return rc;
    return db->ops->script(db, sql, err);
}

int kw_rows_next(kw_rows *r, kw_err *err)
{
    return r->db->ops->next(r, err);
}

bool kw_rows_is_null(kw_rows *r, int col)
{
    return r->db->ops->is_null(r, col);
}

int64_t kw_rows_int(kw_rows *r, int col)
{
    return r->db->ops->col_int(r, col);
}

double kw_rows_double(kw_rows *r, int col)
{
    return r->db->ops->col_double(r, col);
}

const char *kw_rows_text(kw_rows *r, int col)
{
    const char *s = r->db->ops->col_text(r, col);
    return s ? s : "";
}

const void *kw_rows_blob(kw_rows *r, int col, size_t *len)
{
    return r->db->ops->col_blob(r, col, len);
}

void kw_rows_close(kw_rows *r)
{
    if (!r)
        return;
    r->db->cursor = NULL;
    r->db->ops->rows_close(r);
}

int kw_rows_text_copy(kw_rows *r, int col, char *buf, size_t cap)
{
    const char *s = kw_rows_text(r, col);
    size_t n = strlen(s);
    if (n >= cap)
        return kw_err_set(NULL, KW_ERANGE, "column too long");
    memcpy(buf, s, n + 1);
    return 0;
}

static size_t slot_of(const kw_stmt_cache *c, const kw_sql *key)
{
    size_t j = ((uintptr_t)key >> 4) & (c->cap - 1);
    while (c->slots[j].key && c->slots[j].key != key)
        j = (j + 1) & (c->cap - 1);
    return j;
}

void *kw_stmt_cache_get(const kw_stmt_cache *c, const kw_sql *key)
{
    return c->cap ? c->slots[slot_of(c, key)].stmt : NULL;
}

int kw_stmt_cache_put(kw_stmt_cache *c, const kw_sql *key, void *stmt)
{
    if ((c->used + 1) * 2 > c->cap) {
        kw_stmt_cache grown = {.cap = c->cap ? c->cap * 2 : 64};
        if (!(grown.slots = calloc(grown.cap, sizeof *grown.slots)))
            return KW_ENOMEM;
        for (size_t i = 0; i < c->cap; i++)
            if (c->slots[i].key)
                grown.slots[slot_of(&grown, c->slots[i].key)] = c->slots[i];
        grown.used = c->used;
        free(c->slots);
        *c = grown;
    }
    size_t j = slot_of(c, key);
    c->slots[j].key = key;
    c->slots[j].stmt = stmt;
    c->used++;
    return 0;
}

void kw_stmt_cache_clear(kw_stmt_cache *c, void (*drop)(void *stmt))
{
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i].key && drop)
            drop(c->slots[i].stmt);
        c->slots[i].key = NULL;
        c->slots[i].stmt = NULL;
    }
    c->used = 0;
}

void kw_stmt_cache_free(kw_stmt_cache *c, void (*drop)(void *stmt))
{
    kw_stmt_cache_clear(c, drop);
    free(c->slots);
    c->slots = NULL;
    c->cap = 0;
}
