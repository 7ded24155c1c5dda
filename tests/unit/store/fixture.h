/*
 * fixture — a fresh, migrated database for each store test, on the backend
 * DATABASE_URL names: SQLite in a temporary directory when it is empty, or a
 * private schema on the PostgreSQL server it points at (tests/pg_env.sh
 * starts a throwaway one). The same tests thereby run on both backends.
 */
#ifndef KW_TESTS_STORE_FIXTURE_H
#define KW_TESTS_STORE_FIXTURE_H

#include <stdint.h>

#include "store/store.h"

/* Opens (and migrates) a new database; aborts the test on failure. */
kw_store *kwt_open(void);
/* Opens another store on the database kwt_open last created (for a second process). */
kw_store *kwt_reopen(void);
/* The URL of the database kwt_open last created (for sessions of its own). */
const char *kwt_url(void);
/* Closes st and deletes its database. */
void kwt_close(kw_store *st);

/* Creates a user named name on db, in its own transaction; returns its id. */
int64_t kwt_user(kw_db *db, const char *name);

#endif
