/*
 * store — the one storage interface of kalewx: SQLite or PostgreSQL behind the
 * same functions (SPEC §14).
 *
 * A kw_store is a pool of connections to one database. Code borrows one
 * connection (a kw_db) for a unit of work, runs prepared statements on it,
 * usually inside a transaction, and gives it back:
 *
 *     kw_db *db;
 *     if ((rc = kw_store_acquire(st, KW_DB_WRITE, &db, err)) != 0) return rc;
 *     if ((rc = kw_db_begin(db, err)) != 0) goto fail;
 *     rc = kw_db_exec(db, &SQL_TOUCH, KW_ARGS(KW_I(id), KW_T(name)), NULL, err);
 *     ...
 *     rc = kw_db_commit(db, err);
 *   fail:
 *     if (rc) kw_db_rollback(db);
 *     kw_store_release(st, db);
 *
 * SQL is written once, in PostgreSQL's placeholder style ($1, $2, …), in a
 * static kw_sql. When the dialects disagree, the kw_sql carries one text per
 * dialect instead. A kw_sql is prepared once per connection and then reused
 * (its address is the cache key, so it must have static storage duration).
 * Values are always bound, never spliced into the text. PostgreSQL infers
 * each parameter's type from where it is used, so a parameter used twice in
 * different roles, or only in an expression, wants CAST($1 AS BIGINT) (valid
 * in both dialects).
 *
 * Parameter and column types are int64, double, text, blob and NULL. Booleans
 * are int64 0/1 (PostgreSQL BOOLEAN columns accept them and read back as 0/1).
 * Timestamps are int64 Unix milliseconds supplied by the caller, so clocks can
 * be injected and both dialects store the same thing.
 *
 * Errors: every function returns 0 or a negative KW_E* code and fills err.
 *   - a UNIQUE or PRIMARY KEY violation → KW_ECONFLICT,
 *   - a CHECK, NOT NULL or FOREIGN KEY violation → KW_EINVAL,
 *   - a busy database, a serialisation failure, a lost connection → KW_ETRANSIENT,
 *   - anything else from the database → KW_EIO.
 * A constraint error's message names the constraint and its table, and
 * kw_db_constraint() returns the name, so callers can map a specific
 * constraint to their own error. After ANY error inside a transaction the
 * caller must roll back: PostgreSQL refuses further statements in it, and
 * SQLite is made to behave the same for portability of callers.
 *
 * Backends: the URL chooses one (kw_store_open). "" or "sqlite:PATH" →
 * SQLite in WAL mode with a busy timeout; one writer connection serialised by
 * a mutex (KW_DB_WRITE waits for it) and up to pool_size reader connections
 * (KW_DB_READ). "postgres://…" or "postgresql://…" → libpq with pool_size
 * connections shared by readers and writers.
 *
 * Thread-safety: kw_store_* functions are thread-safe. A kw_db and its
 * kw_rows belong to the thread that acquired it until it is released. One
 * thread must not hold two KW_DB_WRITE handles of a SQLite store at once
 * (it would wait for itself).
 */
#ifndef KW_STORE_STORE_H
#define KW_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

typedef enum kw_store_dialect {
    KW_DIALECT_SQLITE = 0,
    KW_DIALECT_PG = 1,
} kw_store_dialect;

typedef enum kw_db_mode {
    KW_DB_READ = 0,   /* may only read; runs concurrently with the writer */
    KW_DB_WRITE = 1,  /* may write; on SQLite one at a time */
} kw_db_mode;

/* One statement. `sql` is used by both dialects unless the dialect's own text
 * is set. Placeholders are $1..$N in every text. */
typedef struct kw_sql {
    const char *sql;
    const char *sqlite;
    const char *pg;
} kw_sql;

typedef enum kw_param_type {
    KW_PARAM_NULL = 0,
    KW_PARAM_INT,
    KW_PARAM_DOUBLE,
    KW_PARAM_TEXT,
    KW_PARAM_BLOB,
} kw_param_type;

/* A bound value. Text and blob pointers are only read during the call. */
typedef struct kw_param {
    kw_param_type type;
    int64_t i;
    double d;
    const void *p;
    size_t n;
} kw_param;

#define KW_NUL ((kw_param){.type = KW_PARAM_NULL})
#define KW_I(v) ((kw_param){.type = KW_PARAM_INT, .i = (int64_t)(v)})
#define KW_D(v) ((kw_param){.type = KW_PARAM_DOUBLE, .d = (double)(v)})
/* NUL-terminated text; a NULL pointer binds SQL NULL. */
static inline kw_param kw_param_text(const char *s)
{
    return (kw_param){.type = s ? KW_PARAM_TEXT : KW_PARAM_NULL, .p = s};
}
#define KW_T(s) kw_param_text(s)
#define KW_B(ptr, len) ((kw_param){.type = KW_PARAM_BLOB, .p = (ptr), .n = (len)})
/* KW_ARGS(KW_I(1), KW_T("x")) expands to `params, count` for the calls below. */
#define KW_ARGS(...) (const kw_param[]){__VA_ARGS__}, \
    (sizeof((const kw_param[]){__VA_ARGS__}) / sizeof(kw_param))
#define KW_NOARGS NULL, 0

typedef struct kw_store kw_store;
typedef struct kw_db kw_db;
typedef struct kw_rows kw_rows;
typedef struct kw_store_ops kw_store_ops;

/* ---- the pool -------------------------------------------------------- */

typedef struct kw_store_options {
    const char *url;       /* DATABASE_URL; "" means SQLite at data_dir/kalewx.db */
    const char *data_dir;  /* KALEWX_DATA_DIR, created if missing (SQLite only) */
    int pool_size;         /* DB_POOL_SIZE, ≥ 1 */
    int busy_timeout_ms;   /* SQLite busy timeout; 0 → 5000 */
} kw_store_options;

/* The options that the settings DATABASE_URL, KALEWX_DATA_DIR and
 * DB_POOL_SIZE describe; the strings stay owned by cfg. */
kw_store_options kw_store_options_from(const kw_config *cfg);

/* Opens a store and checks that the database answers. Migrations are not
 * applied here (see migrate.h). On success *out is owned by the caller and
 * released with kw_store_close. KW_EINVAL for a URL of no known scheme,
 * KW_EIO when the database cannot be opened. */
int kw_store_open(const kw_store_options *o, kw_store **out, kw_err *err) KW_WUR;
/* Closes every connection. All kw_db handles must have been released. */
void kw_store_close(kw_store *st);

kw_store_dialect kw_store_dialect_of(const kw_store *st);
/* "sqlite" or "postgresql". */
const char *kw_store_backend_name(const kw_store *st);

/* Borrows a connection. KW_DB_WRITE on SQLite waits for the single writer.
 * On PostgreSQL it waits while all pool_size connections are lent out. */
int kw_store_acquire(kw_store *st, kw_db_mode mode, kw_db **out, kw_err *err) KW_WUR;
/* Gives the connection back; rolls back a transaction left open. */
void kw_store_release(kw_store *st, kw_db *db);
/* Connections lent out right now (for the kale_db_connections_active gauge). */
int kw_store_active(kw_store *st);

/* Runs fn(db, ctx, err) in a write transaction and commits it, retrying the
 * whole function up to 3 times on KW_ETRANSIENT (lost race, busy, dropped
 * connection). fn must not commit or roll back itself; returning non-zero
 * rolls back and is returned. */
int kw_store_tx(kw_store *st, int (*fn)(kw_db *db, void *ctx, kw_err *err), void *ctx,
                kw_err *err) KW_WUR;

/* ---- one connection --------------------------------------------------- */

kw_store_dialect kw_db_dialect(const kw_db *db);

/* BEGIN (SQLite: BEGIN IMMEDIATE on the writer). Transactions do not nest. */
int kw_db_begin(kw_db *db, kw_err *err) KW_WUR;
int kw_db_commit(kw_db *db, kw_err *err) KW_WUR;
/* Rolls back if a transaction is open; never fails from the caller's view. */
void kw_db_rollback(kw_db *db);
/* Marks the open transaction failed, so that only a rollback is accepted:
 * for operations of several statements that fail after writing some. */
void kw_db_abort_tx(kw_db *db);
bool kw_db_in_tx(const kw_db *db);

/* Runs a statement that returns no rows you need. *changes (may be NULL)
 * receives the number of rows inserted, updated or deleted. */
int kw_db_exec(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams,
               int64_t *changes, kw_err *err) KW_WUR;

/* Runs a statement and returns a cursor over its rows. Close it with
 * kw_rows_close before the next statement on this connection: a statement
 * run while a cursor is open fails with KW_ESTATE. */
int kw_db_query(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams,
                kw_rows **out, kw_err *err) KW_WUR;

/* The first column of the first row as int64; KW_ENOTFOUND when there is no
 * row, and *out = 0 when the value is NULL. For COUNT, RETURNING id, …. */
int kw_db_query_int(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams,
                    int64_t *out, kw_err *err) KW_WUR;

/* Name of the constraint the last statement on this connection violated,
 * or "" when the last error was not a constraint violation. */
const char *kw_db_constraint(const kw_db *db);

/* 1 when a row is ready, 0 at the end, negative KW_E* on error. */
int kw_rows_next(kw_rows *r, kw_err *err) KW_WUR;
bool kw_rows_is_null(kw_rows *r, int col);
int64_t kw_rows_int(kw_rows *r, int col);
double kw_rows_double(kw_rows *r, int col);
/* Text and blobs stay valid until the next kw_rows_next or kw_rows_close.
 * kw_rows_text returns "" for NULL. */
const char *kw_rows_text(kw_rows *r, int col);
const void *kw_rows_blob(kw_rows *r, int col, size_t *len);
void kw_rows_close(kw_rows *r);

/* Copies a text column into buf (cap bytes). KW_ERANGE when it does not fit. */
int kw_rows_text_copy(kw_rows *r, int col, char *buf, size_t cap) KW_WUR;

/* ---- for backends ----------------------------------------------------- */

/* What a backend implements. The public functions above check arguments and
 * track transaction state, then call these. */
struct kw_store_ops {
    const char *name;
    kw_store_dialect dialect;
    int (*acquire)(kw_store *st, kw_db_mode mode, kw_db **out, kw_err *err);
    void (*release)(kw_store *st, kw_db *db);
    void (*close)(kw_store *st);
    int (*begin)(kw_db *db, kw_err *err);
    int (*commit)(kw_db *db, kw_err *err);
    void (*rollback)(kw_db *db);
    int (*query)(kw_db *db, const kw_sql *sql, const kw_param *params, size_t nparams,
                 kw_rows **out, int64_t *changes, kw_err *err);
    /* Runs a multi-statement script without parameters (migrations only). */
    int (*script)(kw_db *db, const char *sql, kw_err *err);
    int (*next)(kw_rows *r, kw_err *err);
    bool (*is_null)(kw_rows *r, int col);
    int64_t (*col_int)(kw_rows *r, int col);
    double (*col_double)(kw_rows *r, int col);
    const char *(*col_text)(kw_rows *r, int col);
    const void *(*col_blob)(kw_rows *r, int col, size_t *len);
    void (*rows_close)(kw_rows *r);
};

struct kw_store {
    const kw_store_ops *ops;
    void *state;
    _Atomic int active;      /* connections lent out (kw_store_active) */
};

/* A backend's connection struct begins with this. */
struct kw_db {
    const kw_store_ops *ops;
    kw_store *store;
    kw_db_mode mode;
    bool in_tx;
    bool tx_failed;          /* an error happened inside the open transaction */
    kw_rows *cursor;         /* the open kw_rows of this connection, or NULL */
    char constraint[64];
};

/* A backend's cursor struct begins with this. */
struct kw_rows {
    kw_db *db;
};

/* Backends report errors through this so the mapping and the messages are the
 * same on both: code is the KW_E* class, constraint may be NULL. */
int kw_db_fail(kw_db *db, kw_err *err, int code, const char *constraint, const char *table,
               const char *detail);

/* A connection's prepared statements, keyed by the address of their kw_sql. */
typedef struct kw_stmt_cache {
    struct kw_stmt_slot { const kw_sql *key; void *stmt; } *slots;
    size_t cap, used;
} kw_stmt_cache;

/* The statement cached for key, or NULL. */
void *kw_stmt_cache_get(const kw_stmt_cache *c, const kw_sql *key);
/* Caches stmt for key (not yet cached). KW_ENOMEM on allocation failure. */
int kw_stmt_cache_put(kw_stmt_cache *c, const kw_sql *key, void *stmt) KW_WUR;
/* Empties the cache, calling drop (may be NULL) on each statement. */
void kw_stmt_cache_clear(kw_stmt_cache *c, void (*drop)(void *stmt));
void kw_stmt_cache_free(kw_stmt_cache *c, void (*drop)(void *stmt));

/* The text of sql for a dialect. */
const char *kw_sql_text(const kw_sql *sql, kw_store_dialect d);

int kw_store_sqlite_open(const char *path, const kw_store_options *o, kw_store **out,
                         kw_err *err) KW_WUR;
int kw_store_pg_open(const char *url, const kw_store_options *o, kw_store **out,
                     kw_err *err) KW_WUR;

/* Runs a migration script on db (inside the caller's transaction). */
int kw_db_script(kw_db *db, const char *sql, kw_err *err) KW_WUR;

#endif
