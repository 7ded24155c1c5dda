/* Helpers shared by the soroban backend's tests: hex/base64 to bytes, and
 * encoding a value to hex for byte-exact comparison with reference vectors. */
#ifndef KW_TEST_XDR_UTIL_H
#define KW_TEST_XDR_UTIL_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chain/soroban/xdr.h"
#include "crypto/sha.h"

/* Decodes hex of any even length into a malloc'd buffer. */
static inline uint8_t *t_unhex(const char *hex, size_t *n)
{
    size_t len = strlen(hex);
    cr_assert_eq(len % 2, 0, "odd hex length");
    uint8_t *p = malloc(len / 2 + 1);
    cr_assert_eq(kw_hex_decode(hex, p, len / 2), 0, "bad hex %s", hex);
    *n = len / 2;
    return p;
}

static inline uint8_t *t_unb64(const char *b64, size_t *n)
{
    uint8_t *p = NULL;
    cr_assert_eq(kw_base64_decode(b64, strlen(b64), &p, n), 0, "bad base64 %s", b64);
    return p;
}

static inline void t_raw32(const char *hex, uint8_t out[32])
{
    cr_assert_eq(kw_hex_decode(hex, out, 32), 0);
}

/* Asserts that the writer's bytes equal hex, then frees the writer. */
static inline void t_expect_hex(kw_xdr_writer *w, const char *hex, const char *what)
{
    cr_assert_eq(kw_xdr_writer_error(w), 0, "%s: writer error %d", what, w->err);
    char *got = malloc(w->n * 2 + 1);
    kw_hex_encode(w->p, w->n, got);
    cr_assert_str_eq(got, hex, "%s", what);
    free(got);
    kw_xdr_writer_free(w);
}

static inline void t_expect_b64(kw_xdr_writer *w, const char *b64, const char *what)
{
    char *got = NULL;
    cr_assert_eq(kw_xdr_writer_base64(w, &got), 0, "%s", what);
    cr_assert_str_eq(got, b64, "%s", what);
    free(got);
    kw_xdr_writer_free(w);
}

static inline void t_scval_hex(const kw_scval *v, const char *hex, const char *what)
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_scval(&w, v);
    t_expect_hex(&w, hex, what);
}

/* The reference test key (stellar-vectors.txt "keys / strkey"). */
#define T_SEED_HEX "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
#define T_PUB_HEX "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664"
#define T_FARM_HEX "c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa0655"
#define T_KALE_HEX "d7fe44bd0af11d602b1091f2f4a1f4df212d444d0321ea32adb3cc1cbbab0a04"

#endif
