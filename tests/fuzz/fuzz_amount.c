/* libFuzzer target: decimal KALE amounts (kw_amount_parse). The first byte
 * picks the accepted range; whatever parses must format back to a text that
 * parses to the same stroops, and every rejection must carry its reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/amount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static const int64_t ranges[][2] = {
    {1, INT64_MAX},
    {KW_STROOPS_PER_KALE / 10, 10000 * KW_STROOPS_PER_KALE},
    {1, 1},
    {INT64_MAX, INT64_MAX},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    const int64_t *range = ranges[data[0] % (sizeof ranges / sizeof ranges[0])];
    char *s = malloc(n);
    if (!s)
        return 0;
    memcpy(s, data + 1, n - 1);
    s[n - 1] = 0;
    int64_t v = 0, again = 0;
    kw_err e = {0};
    if (kw_amount_parse(s, "amount", range[0], range[1], &v, &e) == 0) {
        char buf[KW_AMOUNT_BUFSZ];
        if (v < range[0] || v > range[1])
            abort();
        if (kw_amount_parse(kw_amount_format(v, buf), "amount", range[0], range[1], &again, NULL) != 0 || again != v)
            abort();
    } else if (e.code < KW_AMOUNT_EMPTY || e.code > KW_AMOUNT_TOO_LARGE || !e.msg[0]) {
        abort();
    }
    free(s);
    return 0;
}
