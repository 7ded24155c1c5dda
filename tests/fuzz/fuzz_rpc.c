/* libFuzzer target: the JSON-RPC response parser and the integer readers
 * that accept numbers as strings. */
#include <stdint.h>

#include "chain/soroban/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    json_t *res = NULL;
    if (kw_rpc_parse_response((const char *)data, n, 1, "fuzz", &res, NULL) == 0) {
        const char *key;
        json_t *val;
        uint64_t u;
        int64_t i;
        json_object_foreach(res, key, val) {
            if (kw_json_u64(res, key, &u) == 0 && kw_json_i64(res, key, &i) == 0 && i >= 0 && (uint64_t)i != u)
                __builtin_trap();
        }
        json_decref(res);
    }
    return 0;
}
