/*
 * repo_users — the users table.
 *
 * Usernames are unique without regard to case; the stored spelling is kept.
 * Creating a user also opens its two ledger accounts, in the caller's
 * transaction. Validation of what a username or password may be belongs to
 * the caller; the schema only bounds the length (3–32).
 *
 * Thread-safety: as the kw_db passed in.
 */
#ifndef KW_STORE_REPO_USERS_H
#define KW_STORE_REPO_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef enum kw_user_tier {
    KW_TIER_USER = 0,
    KW_TIER_PREMIUM = 1,
} kw_user_tier;

typedef struct kw_user {
    int64_t id;
    char username[33];
    char password_hash[256];  /* an Argon2id encoded hash, never a password */
    kw_user_tier tier;
    bool admin;
    char external_wallet[57]; /* the user's own G… account for withdrawals; "" when none */
    int64_t created_at;       /* Unix ms */
    int64_t updated_at;
} kw_user;

/* Inserts u (id and timestamps are ignored) at time now_ms and opens its
 * ledger accounts; *id receives the new id. KW_ECONFLICT when the username
 * is taken, KW_EINVAL when the schema rejects a field. */
int kw_repo_users_create(kw_db *db, const kw_user *u, int64_t now_ms, int64_t *id, kw_err *err) KW_WUR;

/* KW_ENOTFOUND when there is no such user. */
int kw_repo_users_get(kw_db *db, int64_t id, kw_user *out, kw_err *err) KW_WUR;
int kw_repo_users_get_by_name(kw_db *db, const char *username, kw_user *out, kw_err *err) KW_WUR;

/* Sets a user's tier and admin flag. KW_ENOTFOUND when there is no such user. */
int kw_repo_users_set_access(kw_db *db, int64_t id, kw_user_tier tier, bool admin, int64_t now_ms,
                             kw_err *err) KW_WUR;

const char *kw_user_tier_name(kw_user_tier t);

#endif
