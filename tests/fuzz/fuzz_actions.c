/* libFuzzer target: request bodies of POST /api/v1/actions. A body either
 * parses into an action within the rules of SPEC §4 or is refused with a
 * stable code and a message; nothing else may happen. */
#include <stdint.h>
#include <string.h>

#include "api/handlers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kw_action_req req;
    const char *code = NULL;
    kw_err err = {0};
    int rc = kw_action_body_parse((const char *)data, n, &req, &code, &err);
    if (rc != 0) {
        if (!code || !err.msg[0] || (rc != KW_EINVAL && rc != KW_ERANGE))
            __builtin_trap();
        return 0;
    }
    int64_t min, max;
    kw_action_limits(req.type, &min, &max);
    if (req.type < 0 || req.type >= KW_ACTION_COUNT || req.amount < min || req.amount > max)
        __builtin_trap();
    if (req.type == KW_ACTION_WAGER && req.direction != KW_OUTCOME_GOOD && req.direction != KW_OUTCOME_BAD)
        __builtin_trap();
    return 0;
}
