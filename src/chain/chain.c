#include "chain/chain.h"

const char *kw_kale_error_name(int code)
{
    static const char *const names[] = {
        [KW_KALE_EHOMESTEAD_EXISTS] = "HomesteadExists",
        [KW_KALE_EHOMESTEAD_MISSING] = "HomesteadMissing",
        [KW_KALE_EFARM_BLOCK_MISSING] = "FarmBlockMissing",
        [KW_KALE_EFARM_PAUSED] = "FarmPaused",
        [KW_KALE_EFARM_NOT_PAUSED] = "FarmNotPaused",
        [KW_KALE_EPLANT_AMOUNT_TOO_LOW] = "PlantAmountTooLow",
        [KW_KALE_EZERO_COUNT_TOO_LOW] = "ZeroCountTooLow",
        [KW_KALE_EPAIL_EXISTS] = "PailExists",
        [KW_KALE_EPAIL_MISSING] = "PailMissing",
        [KW_KALE_EWORK_MISSING] = "WorkMissing",
        [KW_KALE_EBLOCK_MISSING] = "BlockMissing",
        [KW_KALE_EBLOCK_INVALID] = "BlockInvalid",
        [KW_KALE_EHASH_INVALID] = "HashInvalid",
        [KW_KALE_EHARVEST_NOT_READY] = "HarvestNotReady",
        [KW_KALE_EGAP_COUNT_TOO_LOW] = "GapCountTooLow",
    };
    if (code < 1 || code >= (int)(sizeof names / sizeof names[0]))
        return "Unknown";
    return names[code];
}

int kw_chain_reject(kw_err *err, int code)
{
    if (err) {
        kw_err_set(err, KW_ECHAIN, "the farm contract refused the call: %s (error %d)",
                   kw_kale_error_name(code), code);
        err->code = code;
    }
    return KW_ECHAIN;
}
