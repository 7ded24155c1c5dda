#include "core/access.h"

#include <string.h>

static const char *const tiers[] = {"anonymous", "user", "premium"};
static const char *const roles[] = {"user", "admin"};

const char *kw_access_tier_name(kw_access_tier t)
{
    return (unsigned)t < sizeof tiers / sizeof tiers[0] ? tiers[t] : "?";
}

const char *kw_access_role_name(kw_access_role r)
{
    return (unsigned)r < sizeof roles / sizeof roles[0] ? roles[r] : "?";
}

static int find(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return KW_EINVAL;
}

int kw_access_tier_parse(const char *s, kw_access_tier *out)
{
    int i = find(tiers, sizeof tiers / sizeof tiers[0], s);
    if (i < 0)
        return i;
    *out = (kw_access_tier)i;
    return 0;
}

int kw_access_role_parse(const char *s, kw_access_role *out)
{
    int i = find(roles, sizeof roles / sizeof roles[0], s);
    if (i < 0)
        return i;
    *out = (kw_access_role)i;
    return 0;
}
