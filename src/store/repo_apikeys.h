/*
 * repo_apikeys — api_keys: a user's API keys, stored only as the SHA-256 of
 * the key (the key itself is shown once and never stored), with a short
 * prefix ("kwx_ab12cd") for people to recognise it by.
 *
 * Thread-safety: as the kw_db passed in.
 */
#ifndef KW_STORE_REPO_APIKEYS_H
#define KW_STORE_REPO_APIKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct kw_apikey {
    int64_t id;
    int64_t user_id;
    char prefix[17];
    char name[65];
    int64_t created_at;     /* Unix ms */
    int64_t last_used_at;   /* 0 when never used */
    int64_t revoked_at;     /* 0 while active */
} kw_apikey;

/* KW_ECONFLICT for a hash already stored; KW_EINVAL for a prefix that does
 * not start with "kwx_" or is longer than 16, or a name over 64 bytes. */
int kw_repo_apikeys_insert(kw_db *db, int64_t user_id, const uint8_t hash[32], const char *prefix,
                           const char *name, int64_t now_ms, int64_t *id, kw_err *err) KW_WUR;

/* The ACTIVE key with this hash; KW_ENOTFOUND when none is (revoked keys are
 * not found). The lookup is by an index on the hash, so its time does not
 * depend on how much of a guessed key matches. */
int kw_repo_apikeys_find(kw_db *db, const uint8_t hash[32], kw_apikey *out, kw_err *err) KW_WUR;

/* Records a use of key id at now_ms. */
int kw_repo_apikeys_touch(kw_db *db, int64_t id, int64_t now_ms, kw_err *err) KW_WUR;

/* The user's keys, revoked ones included, newest first. Free *out with free(). */
int kw_repo_apikeys_list(kw_db *db, int64_t user_id, kw_apikey **out, size_t *n, kw_err *err) KW_WUR;

/* Revokes the user's active key id. KW_ENOTFOUND if the user has no such active key. */
int kw_repo_apikeys_revoke(kw_db *db, int64_t user_id, int64_t id, int64_t now_ms, kw_err *err) KW_WUR;

#endif
