#include "core/amount.h"

#include <stdio.h>

int kw_amount_parse(const char *s, const char *field, int64_t min, int64_t max,
                    int64_t *out, kw_err *err)
{
    char lo[KW_AMOUNT_BUFSZ], hi[KW_AMOUNT_BUFSZ];

    if (!s || !*s)
        return kw_err_set(err, KW_AMOUNT_EMPTY, "%s is empty: give an amount in KALE such as \"12.5\"",
                          field), KW_EINVAL;
    if (*s == '-' || *s == '+')
        return kw_err_set(err, KW_AMOUNT_SIGN, "%s must not carry a sign: give a positive amount such as \"12.5\"",
                          field), KW_EINVAL;

    /* Accumulate whole stroops; a limit below INT64_MAX/10 keeps every step exact. */
    uint64_t v = 0;
    int int_digits = 0, frac_digits = 0, seen_point = 0, too_big = 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c >= '0' && c <= '9') {
            if (seen_point) {
                if (++frac_digits > KW_AMOUNT_DECIMALS)
                    return kw_err_set(err, KW_AMOUNT_PRECISION,
                                      "%s has more than 7 decimals: the smallest unit is 0.0000001 KALE",
                                      field), KW_EINVAL;
            } else {
                int_digits++;
            }
            if (v > UINT64_MAX / 10 / 2)
                too_big = 1;
            else
                v = v * 10 + (uint64_t)(c - '0');
        } else if (c == '.' && !seen_point) {
            seen_point = 1;
        } else if (c == 'e' || c == 'E') {
            return kw_err_set(err, KW_AMOUNT_EXPONENT,
                              "%s must be a plain decimal without an exponent, such as \"1500\"",
                              field), KW_EINVAL;
        } else {
            return kw_err_set(err, KW_AMOUNT_SYNTAX,
                              "%s is not a decimal number: use digits and at most one point, such as \"12.5\"",
                              field), KW_EINVAL;
        }
    }
    if (int_digits == 0 || (seen_point && frac_digits == 0))
        return kw_err_set(err, KW_AMOUNT_SYNTAX,
                          "%s is not a decimal number: write digits on both sides of the point, such as \"0.5\"",
                          field), KW_EINVAL;

    for (int i = frac_digits; i < KW_AMOUNT_DECIMALS && !too_big; i++) {
        if (v > UINT64_MAX / 10 / 2)
            too_big = 1;
        else
            v *= 10;
    }
    if (!too_big && v == 0)
        return kw_err_set(err, KW_AMOUNT_ZERO, "%s must be greater than zero", field), KW_EINVAL;
    if (too_big || v > (uint64_t)max)
        return kw_err_set(err, KW_AMOUNT_TOO_LARGE, "%s is above the maximum of %s KALE", field,
                          kw_amount_format(max, hi)), KW_EINVAL;
    if (v < (uint64_t)min)
        return kw_err_set(err, KW_AMOUNT_TOO_SMALL, "%s is below the minimum of %s KALE", field,
                          kw_amount_format(min, lo)), KW_EINVAL;
    *out = (int64_t)v;
    return 0;
}

char *kw_amount_format(int64_t v, char buf[KW_AMOUNT_BUFSZ])
{
    /* Work in unsigned so INT64_MIN has a magnitude. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(buf, KW_AMOUNT_BUFSZ, "%s%llu.%07llu", v < 0 ? "-" : "",
             (unsigned long long)(mag / (uint64_t)KW_STROOPS_PER_KALE),
             (unsigned long long)(mag % (uint64_t)KW_STROOPS_PER_KALE));
    return buf;
}
