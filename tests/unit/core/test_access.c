#include <criterion/criterion.h>

#include "core/access.h"

Test(access, names_round_trip)
{
    for (kw_tier t = KW_TIER_ANONYMOUS; t <= KW_TIER_PREMIUM; t++) {
        kw_tier back;
        cr_assert_eq(kw_tier_parse(kw_tier_name(t), &back), 0);
        cr_assert_eq(back, t);
    }
    for (kw_role r = KW_ROLE_USER; r <= KW_ROLE_ADMIN; r++) {
        kw_role back;
        cr_assert_eq(kw_role_parse(kw_role_name(r), &back), 0);
        cr_assert_eq(back, r);
    }
    cr_assert_str_eq(kw_tier_name(KW_TIER_PREMIUM), "premium");
    cr_assert_str_eq(kw_role_name(KW_ROLE_ADMIN), "admin");
}

Test(access, unknown_names_rejected)
{
    kw_tier t = KW_TIER_USER;
    kw_role r = KW_ROLE_USER;
    cr_assert_eq(kw_tier_parse("Premium", &t), KW_EINVAL);
    cr_assert_eq(kw_tier_parse("", &t), KW_EINVAL);
    cr_assert_eq(kw_tier_parse(NULL, &t), KW_EINVAL);
    cr_assert_eq(kw_role_parse("root", &r), KW_EINVAL);
    cr_assert_eq(t, KW_TIER_USER);
    cr_assert_eq(r, KW_ROLE_USER);
    cr_assert_str_eq(kw_tier_name((kw_tier)9), "?");
}
