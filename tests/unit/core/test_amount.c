#include <criterion/criterion.h>
#include <string.h>

#include "core/amount.h"

#define MAXV (INT64_C(1000) * KW_STROOPS_PER_KALE)

static int64_t ok(const char *s)
{
    int64_t v = -1;
    kw_err e = {0};
    cr_assert_eq(kw_amount_parse(s, "amount", 1, INT64_MAX, &v, &e), 0, "%s: %s", s, e.msg);
    return v;
}

static int rejects(const char *s, int64_t min, int64_t max)
{
    int64_t v = 12345;
    kw_err e = {0};
    cr_assert_eq(kw_amount_parse(s, "amount", min, max, &v, &e), KW_EINVAL, "accepted %s", s);
    cr_assert_eq(v, 12345, "output written on rejection");
    cr_assert(strstr(e.msg, "amount") != NULL, "message names the field: %s", e.msg);
    return e.code;
}

Test(amount, accepts_plain_decimals)
{
    cr_assert_eq(ok("12.5"), 125000000);
    cr_assert_eq(ok("0.0000001"), 1);
    cr_assert_eq(ok("1"), KW_STROOPS_PER_KALE);
    cr_assert_eq(ok("1000"), 10000000000);
    cr_assert_eq(ok("0.1"), 1000000);
    cr_assert_eq(ok("007.50"), 75000000);
    cr_assert_eq(ok("922337203685.4775807"), INT64_MAX);
}

Test(amount, each_rejection_has_its_reason)
{
    cr_assert_eq(rejects("", 1, MAXV), KW_AMOUNT_EMPTY);
    cr_assert_eq(rejects("-1", 1, MAXV), KW_AMOUNT_SIGN);
    cr_assert_eq(rejects("+1", 1, MAXV), KW_AMOUNT_SIGN);
    cr_assert_eq(rejects("1e3", 1, MAXV), KW_AMOUNT_EXPONENT);
    cr_assert_eq(rejects("1E3", 1, MAXV), KW_AMOUNT_EXPONENT);
    cr_assert_eq(rejects("0.00000001", 1, MAXV), KW_AMOUNT_PRECISION);
    cr_assert_eq(rejects("0", 1, MAXV), KW_AMOUNT_ZERO);
    cr_assert_eq(rejects("0.0000000", 1, MAXV), KW_AMOUNT_ZERO);
    cr_assert_eq(rejects("1000.0000001", 1, MAXV), KW_AMOUNT_TOO_LARGE);
    cr_assert_eq(rejects("922337203685.4775808", 1, INT64_MAX), KW_AMOUNT_TOO_LARGE);
    cr_assert_eq(rejects("99999999999999999999999", 1, INT64_MAX), KW_AMOUNT_TOO_LARGE);
    cr_assert_eq(rejects("0.0999999", 1000000, MAXV), KW_AMOUNT_TOO_SMALL);
    cr_assert_eq(rejects("1.", 1, MAXV), KW_AMOUNT_SYNTAX);
    cr_assert_eq(rejects(".5", 1, MAXV), KW_AMOUNT_SYNTAX);
    cr_assert_eq(rejects("1.2.3", 1, MAXV), KW_AMOUNT_SYNTAX);
    cr_assert_eq(rejects(" 1", 1, MAXV), KW_AMOUNT_SYNTAX);
    cr_assert_eq(rejects("1 ", 1, MAXV), KW_AMOUNT_SYNTAX);
    cr_assert_eq(rejects("1,5", 1, MAXV), KW_AMOUNT_SYNTAX);
    cr_assert_eq(rejects("0x10", 1, MAXV), KW_AMOUNT_SYNTAX);
    cr_assert_eq(rejects("NaN", 1, MAXV), KW_AMOUNT_SYNTAX);
}

Test(amount, null_is_empty)
{
    int64_t v;
    kw_err e;
    cr_assert_eq(kw_amount_parse(NULL, "amount", 1, MAXV, &v, &e), KW_EINVAL);
    cr_assert_eq(e.code, KW_AMOUNT_EMPTY);
}

Test(amount, boundaries_are_inclusive)
{
    int64_t v;
    cr_assert_eq(kw_amount_parse("0.1", "a", 1000000, MAXV, &v, NULL), 0);
    cr_assert_eq(kw_amount_parse("1000", "a", 1000000, MAXV, &v, NULL), 0);
    cr_assert_eq(kw_amount_parse("1000.0000000", "a", 1000000, MAXV, &v, NULL), 0);
}

Test(amount, format_always_prints_seven_decimals)
{
    char b[KW_AMOUNT_BUFSZ];
    cr_assert_str_eq(kw_amount_format(125000000, b), "12.5000000");
    cr_assert_str_eq(kw_amount_format(1, b), "0.0000001");
    cr_assert_str_eq(kw_amount_format(0, b), "0.0000000");
    cr_assert_str_eq(kw_amount_format(-15, b), "-0.0000015");
    cr_assert_str_eq(kw_amount_format(INT64_MAX, b), "922337203685.4775807");
    cr_assert_str_eq(kw_amount_format(INT64_MIN, b), "-922337203685.4775808");
}

Test(amount, format_then_parse_round_trips)
{
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t v = (int64_t)(x >> (1 + i % 60));
        if (v == 0)
            continue;
        char b[KW_AMOUNT_BUFSZ];
        int64_t back;
        cr_assert_eq(kw_amount_parse(kw_amount_format(v, b), "a", 1, INT64_MAX, &back, NULL), 0);
        cr_assert_eq(back, v);
    }
}
