#include <criterion/criterion.h>
#include <string.h>

#include "crypto/sha.h"
#include "crypto/strkey.h"

/* ../shared/reference/stellar-vectors.txt, "keys / strkey" */
static void raw_of(const char *hex, uint8_t raw[32]) { cr_assert_eq(kw_hex_decode(hex, raw, 32), 0); }

Test(strkey, crc16_check_values)
{
    cr_assert_eq(kw_crc16_xmodem((const uint8_t *)"123456789", 9), 0x31c3);
    uint8_t buf[33] = {KW_STRKEY_ACCOUNT};
    raw_of("79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664", buf + 1);
    cr_assert_eq(kw_crc16_xmodem(buf, 33), 0x3e4e);
}

Test(strkey, reference_vectors_encode_and_decode)
{
    struct { kw_strkey_type t; const char *hex, *text; } v[] = {
        {KW_STRKEY_SEED, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
         "SAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPSBF5K"},
        {KW_STRKEY_ACCOUNT, "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
         "GB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGITR6"},
        {KW_STRKEY_CONTRACT, "c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa0655",
         "CDEM64A7GCWRDU7OQ5645UGXOSVS3KIVTCKCS2EHXBBZUY6JVIDFKVFD"},
        {KW_STRKEY_ACCOUNT, "0000000000000000000000000000000000000000000000000000000000000000",
         "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF"},
        {KW_STRKEY_CONTRACT, "0000000000000000000000000000000000000000000000000000000000000000",
         "CAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSC4"},
        {KW_STRKEY_SEED, "0000000000000000000000000000000000000000000000000000000000000000",
         "SAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSU2"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t raw[32], back[32];
        char text[KW_STRKEY_BUFSZ];
        raw_of(v[i].hex, raw);
        kw_strkey_encode(v[i].t, raw, text);
        cr_assert_str_eq(text, v[i].text);
        cr_assert_eq(kw_strkey_decode(v[i].t, v[i].text, back, NULL), 0);
        cr_assert(memcmp(raw, back, 32) == 0);
    }
}

Test(strkey, sep23_valid)
{
    uint8_t g[32], c[32];
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ", g, NULL), 0);
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_CONTRACT, "CA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUWDA", c, NULL), 0);
    cr_assert(memcmp(g, c, 32) == 0, "both SEP-23 vectors carry the same key");
}

Test(strkey, sep23_invalid_rejected)
{
    const char *bad[] = {
        "GAAAAAAAACGC6",                                             /* 5-byte key */
        "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZA", /* length 1 mod 8 */
        "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUACUSI",/* decodes to 36 bytes */
        "G47QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVP2I",  /* bad version byte */
        "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ====", /* padding */
        "ga7qynf7sowq3glr2bgmzehxavirza4kvwltjjfc7mgxua74p7ujvsgz",  /* lower case */
        "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGY",  /* checksum */
        "CA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUWDA",  /* C where G expected */
        "", 
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t raw[32];
        kw_err e = {0};
        cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, bad[i], raw, &e), KW_EINVAL, "%s", bad[i]);
        cr_assert(strlen(e.msg) > 10);
    }
    uint8_t raw[32];
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, NULL, raw, NULL), KW_EINVAL);
}

Test(strkey, every_single_character_change_is_caught)
{
    const char *g = "GB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGITR6";
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for (int i = 1; i < KW_STRKEY_LEN; i++) {
        for (int a = 0; a < 32; a++) {
            char t[KW_STRKEY_BUFSZ];
            memcpy(t, g, sizeof t);
            if (t[i] == alphabet[a])
                continue;
            t[i] = alphabet[a];
            uint8_t raw[32];
            cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, t, raw, NULL), KW_EINVAL, "%s", t);
        }
    }
}
