#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "crypto/apikey.h"
#include "crypto/sha.h"

Test(apikey, generated_keys_have_the_documented_shape)
{
    char a[KW_APIKEY_BUFSZ], b[KW_APIKEY_BUFSZ];
    uint8_t ha[32], hb[32], h[32];
    cr_assert_eq(kw_apikey_generate(a, ha, NULL), 0);
    cr_assert_eq(kw_apikey_generate(b, hb, NULL), 0);
    cr_assert_eq(strlen(a), 56);
    cr_assert_eq(strncmp(a, "kwx_", 4), 0);
    cr_assert_str_neq(a, b);
    cr_assert_eq(kw_apikey_check(a, NULL), 0, "%s", a);
    kw_sha256(a, strlen(a), h);
    cr_assert(memcmp(h, ha, 32) == 0, "the stored hash is SHA-256 of the key text");
    cr_assert(memcmp(ha, hb, 32) != 0);
}

Test(apikey, many_keys_all_check)
{
    for (int i = 0; i < 2000; i++) {
        char k[KW_APIKEY_BUFSZ];
        uint8_t h[32];
        cr_assert_eq(kw_apikey_generate(k, h, NULL), 0);
        cr_assert_eq(kw_apikey_check(k, NULL), 0, "%s", k);
        cr_assert(kw_apikey_matches(k, h));
    }
}

Test(apikey, lookup_by_hash)
{
    /* A tiny store of hashes: a presented key is found by its hash alone. */
    char keys[5][KW_APIKEY_BUFSZ];
    uint8_t stored[5][32];
    for (int i = 0; i < 5; i++)
        cr_assert_eq(kw_apikey_generate(keys[i], stored[i], NULL), 0);
    for (int i = 0; i < 5; i++) {
        uint8_t h[32];
        kw_apikey_hash(keys[i], h);
        int found = -1;
        for (int j = 0; j < 5; j++)
            if (kw_ct_equal(h, stored[j], 32))
                found = j;
        cr_assert_eq(found, i);
        cr_assert(kw_apikey_matches(keys[i], stored[i]));
        cr_assert_not(kw_apikey_matches(keys[i], stored[(i + 1) % 5]));
    }
    char wrong[KW_APIKEY_BUFSZ];
    strcpy(wrong, keys[0]);
    wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
    cr_assert_not(kw_apikey_matches(wrong, stored[0]));
}

Test(apikey, malformed_keys_are_rejected)
{
    char k[KW_APIKEY_BUFSZ], bad[KW_APIKEY_BUFSZ + 1];
    uint8_t h[32];
    cr_assert_eq(kw_apikey_generate(k, h, NULL), 0);
    kw_err e = {0};
    cr_assert_eq(kw_apikey_check(NULL, &e), KW_EINVAL);
    cr_assert_eq(kw_apikey_check("", &e), KW_EINVAL);
    cr_assert_eq(kw_apikey_check("kwx_", &e), KW_EINVAL);
    strcpy(bad, k);
    bad[0] = 'K';
    cr_assert_eq(kw_apikey_check(bad, &e), KW_EINVAL, "prefix");
    strcpy(bad, k);
    bad[20] = 'A';
    cr_assert_eq(kw_apikey_check(bad, &e), KW_EINVAL, "upper case");
    bad[20] = '1';
    cr_assert_eq(kw_apikey_check(bad, &e), KW_EINVAL, "digit outside base32");
    strcpy(bad, k);
    bad[55] = 'b';
    cr_assert_eq(kw_apikey_check(bad, &e), KW_EINVAL, "non-canonical last digit");
    cr_assert_not(kw_apikey_matches(bad, h));
    snprintf(bad, sizeof bad, "%sa", k);
    cr_assert_eq(kw_apikey_check(bad, &e), KW_EINVAL, "too long");
    char shown[KW_APIKEY_SHOWN + 1];
    kw_apikey_shown(k, shown);
    cr_assert_eq(strlen(shown), 12);
    cr_assert_eq(strncmp(shown, k, 12), 0);
}
