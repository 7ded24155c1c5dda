/*
 * access — who a caller is to the service: a tier (which sets rate limits)
 * and a role (which opens the admin endpoints) (SPEC §9, §10).
 *
 * Their text names are what tokens, API keys and the database carry.
 *
 * Pure; thread-safe.
 */
#ifndef KW_CORE_ACCESS_H
#define KW_CORE_ACCESS_H

#include "core/err.h"

typedef enum kw_access_tier {
    KW_ACCESS_ANONYMOUS = 0, /* no credentials */
    KW_ACCESS_USER,
    KW_ACCESS_PREMIUM,
} kw_access_tier;

typedef enum kw_access_role {
    KW_ACCESS_ROLE_USER = 0,
    KW_ACCESS_ADMIN,
} kw_access_role;

/* "anonymous", "user", "premium". */
const char *kw_access_tier_name(kw_access_tier t);
/* "user", "admin". */
const char *kw_access_role_name(kw_access_role r);

/* Parses a name; KW_EINVAL for anything else (NULL included). */
int kw_access_tier_parse(const char *s, kw_access_tier *out) KW_WUR;
int kw_access_role_parse(const char *s, kw_access_role *out) KW_WUR;

#endif
