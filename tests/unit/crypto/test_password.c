#include <criterion/criterion.h>
#include <string.h>

#include "crypto/password.h"

Test(password, hash_and_verify)
{
    char h[KW_PASSWORD_HASH_MAX];
    kw_err e = {0};
    cr_assert_eq(kw_password_hash("correct horse battery", h, &e), 0, "%s", e.msg);
    cr_assert_eq(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0, "%s", h);
    cr_assert_eq(kw_password_verify(h, "correct horse battery"), 0);
    cr_assert_eq(kw_password_verify(h, "correct horse batterz"), KW_EAUTH);
    cr_assert_eq(kw_password_verify(h, "Correct horse battery"), KW_EAUTH);
    cr_assert_eq(kw_password_verify(h, "correct horse battery "), KW_EAUTH);
    cr_assert_eq(kw_password_verify(h, ""), KW_EAUTH);
    cr_assert_eq(kw_password_verify(h, NULL), KW_EAUTH);
    char h2[KW_PASSWORD_HASH_MAX];
    cr_assert_eq(kw_password_hash("correct horse battery", h2, &e), 0);
    cr_assert_str_neq(h, h2, "a fresh salt per hash");
}

Test(password, unicode_counts_characters)
{
    char h[KW_PASSWORD_HASH_MAX];
    /* Ten characters, twenty bytes. */
    const char *pw = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    cr_assert_eq(kw_password_hash(pw, h, NULL), 0);
    cr_assert_eq(kw_password_verify(h, pw), 0);
}

Test(password, policy)
{
    kw_err e = {0};
    cr_assert_eq(kw_password_check("123456789", &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "10 to 256 characters"), "%s", e.msg);
    cr_assert_eq(kw_password_check("1234567890", &e), 0);
    cr_assert_eq(kw_password_check(NULL, &e), KW_EINVAL);
    cr_assert_eq(kw_password_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &e), KW_EINVAL, "five characters");
    cr_assert_eq(kw_password_check("abcdefghij\xff", &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "UTF-8"), "%s", e.msg);
    cr_assert_eq(kw_password_check("abcdefghij\xc0\x80", &e), KW_EINVAL, "overlong NUL");
    cr_assert_eq(kw_password_check("abcdefghij\xed\xa0\x80", &e), KW_EINVAL, "surrogate");
    cr_assert_eq(kw_password_check("abcdefghij\xc3", &e), KW_EINVAL, "cut sequence");
    cr_assert_eq(kw_password_check("abcde\nfghij", &e), KW_EINVAL, "control character");
    char big[KW_PASSWORD_MAX_BYTES + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cr_assert_eq(kw_password_check(big, &e), KW_EINVAL);
    big[KW_PASSWORD_MAX_CHARS] = 0;
    cr_assert_eq(kw_password_check(big, &e), 0);
    big[KW_PASSWORD_MAX_CHARS] = 'x';
    big[KW_PASSWORD_MAX_CHARS + 1] = 0;
    cr_assert_eq(kw_password_check(big, &e), KW_EINVAL);
    char h[KW_PASSWORD_HASH_MAX];
    cr_assert_eq(kw_password_hash("short", h, &e), KW_EINVAL);
}

Test(password, stored_hash_must_be_argon2id)
{
    cr_assert_eq(kw_password_verify(NULL, "correct horse battery"), KW_EINVAL);
    cr_assert_eq(kw_password_verify("", "correct horse battery"), KW_EINVAL);
    cr_assert_eq(kw_password_verify("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "correct horse battery"),
                 KW_EINVAL);
    cr_assert_eq(kw_password_verify("$argon2id$v=19$m=19456,t=2,p=1$!!$!!", "correct horse battery"), KW_EINVAL);
    cr_assert_eq(kw_password_verify("plain text password", "plain text password"), KW_EINVAL);
}

Test(password, absent_user_costs_a_real_verification)
{
    /* KW_EAUTH (not KW_EINTERNAL) means the dummy hash decoded and was computed. */
    cr_assert_eq(kw_password_verify_absent("correct horse battery"), KW_EAUTH);
    cr_assert_eq(kw_password_verify_absent(NULL), KW_EAUTH);
    cr_assert_eq(kw_password_verify_absent("x"), KW_EAUTH);
}
