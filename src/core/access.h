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

typedef enum kw_tier {
    KW_TIER_ANONYMOUS = 0, /* no credentials */
    KW_TIER_USER,
    KW_TIER_PREMIUM,
} kw_tier;

typedef enum kw_role {
    KW_ROLE_USER = 0,
    KW_ROLE_ADMIN,
} kw_role;

/* "anonymous", "user", "premium". */
const char *kw_tier_name(kw_tier t);
/* "user", "admin". */
const char *kw_role_name(kw_role r);

/* Parses a name; KW_EINVAL for anything else (NULL included). */
int kw_tier_parse(const char *s, kw_tier *out) KW_WUR;
int kw_role_parse(const char *s, kw_role *out) KW_WUR;

#endif
