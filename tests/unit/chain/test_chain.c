#include <criterion/criterion.h>
#include <string.h>

#include "chain/chain.h"

Test(chain, contract_error_names_and_codes)
{
    static const char *const names[] = {
        "HomesteadExists", "HomesteadMissing", "FarmBlockMissing", "FarmPaused", "FarmNotPaused",
        "PlantAmountTooLow", "ZeroCountTooLow", "PailExists", "PailMissing", "WorkMissing",
        "BlockMissing", "BlockInvalid", "HashInvalid", "HarvestNotReady", "GapCountTooLow",
    };
    for (int code = 1; code <= 15; code++)
        cr_assert_str_eq(kw_kale_error_name(code), names[code - 1]);
    cr_assert_str_eq(kw_kale_error_name(0), "Unknown");
    cr_assert_str_eq(kw_kale_error_name(16), "Unknown");
    cr_assert_eq(KW_KALE_EGAP_COUNT_TOO_LOW, 15);
    cr_assert_eq(KW_KALE_EPAIL_EXISTS, 8);
}

Test(chain, reject_fills_the_contract_code)
{
    kw_err e = {0};
    cr_assert_eq(kw_chain_reject(&e, KW_KALE_EHASH_INVALID), KW_ECHAIN);
    cr_assert_eq(e.code, 13);
    cr_assert(strstr(e.msg, "HashInvalid"));
    cr_assert_eq(kw_chain_reject(NULL, 1), KW_ECHAIN);
}

Test(chain, closing_a_zeroed_chain_is_harmless)
{
    kw_chain c = {0};
    kw_chain_close(&c);
    cr_assert_null(c.ops);
}
