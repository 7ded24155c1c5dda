/*
 * amount — KALE amounts as integer stroops, and their decimal text form.
 *
 * 1 KALE = 10,000,000 stroops (7 decimals, as on chain). Text accepted from
 * users is a plain decimal: digits, optionally a point and 1–7 more digits
 * ("12.5", "0.0000001"). Signs, exponents, spaces, empty text, zero and more
 * than 7 decimals are each rejected with their own message. Formatting always
 * prints 7 decimals ("12.5000000").
 *
 * Pure; thread-safe.
 */
#ifndef KW_CORE_AMOUNT_H
#define KW_CORE_AMOUNT_H

#include <stdint.h>

#include "core/err.h"

#define KW_STROOPS_PER_KALE INT64_C(10000000)
#define KW_AMOUNT_DECIMALS 7
/* Longest formatted amount: sign, 12 integer digits, point, 7 decimals, NUL. */
#define KW_AMOUNT_BUFSZ 32

/* Why a text amount was rejected (also stored in kw_err.code by the parsers). */
enum kw_amount_reject {
    KW_AMOUNT_EMPTY = 1,
    KW_AMOUNT_SIGN,
    KW_AMOUNT_EXPONENT,
    KW_AMOUNT_SYNTAX,
    KW_AMOUNT_PRECISION,
    KW_AMOUNT_ZERO,
    KW_AMOUNT_TOO_SMALL,
    KW_AMOUNT_TOO_LARGE,
};

/* Parses s (NUL-terminated) into *out stroops. field names the input in
 * messages ("amount"). Accepts [min, max] stroops; min must be ≥ 1, so zero is
 * always rejected. Returns 0, or KW_EINVAL with err->code set to a
 * kw_amount_reject value and err->msg naming the field and the limit. */
int kw_amount_parse(const char *s, const char *field, int64_t min, int64_t max,
                    int64_t *out, kw_err *err) KW_WUR;

/* Writes v as "[-]I.FFFFFFF" into buf (KW_AMOUNT_BUFSZ bytes). Returns buf. */
char *kw_amount_format(int64_t v, char buf[KW_AMOUNT_BUFSZ]);

#endif
