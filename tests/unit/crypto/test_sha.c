#include <criterion/criterion.h>
#include <string.h>

#include "crypto/sha.h"

static void hex_is(const uint8_t *d, size_t n, const char *want)
{
    char hex[129];
    kw_hex_encode(d, n, hex);
    cr_assert_str_eq(hex, want);
}

Test(sha, sha256_vectors)
{
    uint8_t h[32];
    kw_sha256("", 0, h);
    hex_is(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    kw_sha256("abc", 3, h);
    hex_is(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* network ids of ../shared/reference/stellar-vectors.txt */
    const char *pass = "Test SDF Network ; September 2015";
    kw_sha256(pass, strlen(pass), h);
    hex_is(h, 32, "cee0302d59844d32bdca915c8203dd44b33fbb7edc19051ea37abedf28ecd472");
}

Test(sha, parts_equal_concatenation)
{
    uint8_t a[32], b[32];
    kw_bytes parts[] = {{"ab", 2}, {"", 0}, {"c", 1}};
    kw_sha256_parts(parts, 3, a);
    kw_sha256("abc", 3, b);
    cr_assert(kw_ct_equal(a, b, 32));
}

Test(sha, hmac_rfc4231_case2)
{
    uint8_t m[32];
    const char *data = "what do ya want for nothing?";
    kw_hmac_sha256("Jefe", 4, data, strlen(data), m);
    hex_is(m, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Test(sha, ct_equal_and_hex)
{
    cr_assert(kw_ct_equal("abcd", "abcd", 4));
    cr_assert_not(kw_ct_equal("abcd", "abce", 4));
    uint8_t out[3];
    cr_assert_eq(kw_hex_decode("00fFa1", out, 3), 0);
    cr_assert(out[0] == 0 && out[1] == 0xff && out[2] == 0xa1);
    cr_assert_eq(kw_hex_decode("00ff", out, 3), KW_EINVAL);
    cr_assert_eq(kw_hex_decode("00fg01", out, 3), KW_EINVAL);
}
