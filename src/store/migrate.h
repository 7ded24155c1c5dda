/*
 * migrate — the schema migrations embedded in the binary and the runner that
 * applies them (`kalewx migrate`, and `serve` at start).
 *
 * Migrations live in src/store/migrations/{sqlite,pg}/NNN_name.sql; the build
 * turns them into C strings (migrations/embed.py), so a binary always knows
 * the exact schema it was built for. Each version exists in both dialects
 * under the same name. Applied versions are recorded in schema_migrations with
 * a SHA-256 of their text.
 *
 * Each migration runs in its own transaction together with its
 * schema_migrations row, so a crash leaves the database at a whole version.
 * On PostgreSQL an advisory lock makes concurrent starters apply each
 * migration once.
 *
 * Thread-safety: as store.h; do not run two migrations of one store at once.
 */
#ifndef KW_STORE_MIGRATE_H
#define KW_STORE_MIGRATE_H

#include <stddef.h>

#include "store/store.h"

typedef struct kw_migration {
    int version;
    const char *name;
    const char *sql;
} kw_migration;

/* The migrations of a dialect in version order (1..count); static data. */
const kw_migration *kw_migrations(kw_store_dialect d, size_t *count);

/* The highest version recorded in the database (0 for an empty database)
 * and the highest this binary knows. */
int kw_migrate_status(kw_store *st, int *db_version, int *binary_version, kw_err *err) KW_WUR;

/* Applies every pending migration; *applied (may be NULL) receives how many.
 * KW_ESTATE, changing nothing, when the database is newer than the binary
 * or an applied migration's text differs from the embedded one. */
int kw_migrate(kw_store *st, int *applied, kw_err *err) KW_WUR;

#endif
