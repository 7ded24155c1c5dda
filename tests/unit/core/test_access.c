#include <criterion/criterion.h>

#include "core/access.h"

Test(access, names_round_trip)
{
    for (kw_access_tier t = KW_ACCESS_ANONYMOUS; t <= KW_ACCESS_PREMIUM; t++) {
        kw_access_tier back;
        cr_assert_eq(kw_access_tier_parse(kw_access_tier_name(t), &back), 0);
        cr_assert_eq(back, t);
    }
    for (kw_access_role r = KW_ACCESS_ROLE_USER; r <= KW_ACCESS_ADMIN; r++) {
        kw_access_role back;
        cr_assert_eq(kw_access_role_parse(kw_access_role_name(r), &back), 0);
        cr_assert_eq(back, r);
    }
    cr_assert_str_eq(kw_access_tier_name(KW_ACCESS_PREMIUM), "premium");
    cr_assert_str_eq(kw_access_role_name(KW_ACCESS_ADMIN), "admin");
}

Test(access, unknown_names_rejected)
{
    kw_access_tier t = KW_ACCESS_USER;
    kw_access_role r = KW_ACCESS_ROLE_USER;
    cr_assert_eq(kw_access_tier_parse("Premium", &t), KW_EINVAL);
    cr_assert_eq(kw_access_tier_parse("", &t), KW_EINVAL);
    cr_assert_eq(kw_access_tier_parse(NULL, &t), KW_EINVAL);
    cr_assert_eq(kw_access_role_parse("root", &r), KW_EINVAL);
    cr_assert_eq(t, KW_ACCESS_USER);
    cr_assert_eq(r, KW_ACCESS_ROLE_USER);
    cr_assert_str_eq(kw_access_tier_name((kw_access_tier)9), "?");
}
