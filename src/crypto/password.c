#include "crypto/password.h"

#include <stdint.h>
#include <string.h>

#include <argon2.h>
#include <sodium.h>

#define T_COST 2
#define M_COST_KIB 19456
#define PARALLELISM 1
#define SALT_LEN 16
#define HASH_LEN 32

/* Counts code points of strictly valid UTF-8 (no overlongs, surrogates or
 * values above U+10FFFF); -1 when invalid or when it holds a control character. */
static long utf8_chars(const unsigned char *s, size_t n)
{
    long chars = 0;
    for (size_t i = 0; i < n; chars++) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return -1;
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07, min = 0x10000;
        else return -1;
        if (i + len > n)
            return -1;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return -1;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
            return -1;
        i += len;
    }
    return chars;
}

int kw_password_check(const char *pw, kw_err *err)
{
    size_t n = pw ? strnlen(pw, KW_PASSWORD_MAX_BYTES + 1) : 0;
    if (n > KW_PASSWORD_MAX_BYTES)
        return kw_err_set(err, KW_EINVAL, "password must be at most %d characters", KW_PASSWORD_MAX_CHARS);
    long chars = utf8_chars((const unsigned char *)(pw ? pw : ""), n);
    if (chars < 0)
        return kw_err_set(err, KW_EINVAL, "password must be valid UTF-8 text without control characters");
    if (chars < KW_PASSWORD_MIN_CHARS || chars > KW_PASSWORD_MAX_CHARS)
        return kw_err_set(err, KW_EINVAL, "password must be %d to %d characters", KW_PASSWORD_MIN_CHARS,
                          KW_PASSWORD_MAX_CHARS);
    return 0;
}

int kw_password_hash(const char *pw, char out[KW_PASSWORD_HASH_MAX], kw_err *err)
{
    uint8_t salt[SALT_LEN];
    int rc = kw_password_check(pw, err);
    if (rc)
        return rc;
    if (sodium_init() < 0)
        return kw_err_set(err, KW_ECRYPTO, "libsodium failed to initialise");
    randombytes_buf(salt, sizeof salt);
    int a = argon2id_hash_encoded(T_COST, M_COST_KIB, PARALLELISM, pw, strlen(pw), salt, sizeof salt, HASH_LEN, out,
                                  KW_PASSWORD_HASH_MAX);
    if (a != ARGON2_OK)
        return kw_err_set(err, a == ARGON2_MEMORY_ALLOCATION_ERROR ? KW_ENOMEM : KW_ECRYPTO,
                          "password hashing failed: %s", argon2_error_message(a));
    return 0;
}

int kw_password_verify(const char *encoded, const char *pw)
{
    static const char prefix[] = "$argon2id$v=19$";
    if (!encoded || strncmp(encoded, prefix, sizeof prefix - 1) != 0 ||
        strnlen(encoded, KW_PASSWORD_HASH_MAX) >= KW_PASSWORD_HASH_MAX)
        return KW_EINVAL;
    if (kw_password_check(pw, NULL) != 0)
        return kw_password_verify_absent(pw);
    int a = argon2id_verify(encoded, pw, strlen(pw));
    if (a == ARGON2_OK)
        return 0;
    return a == ARGON2_VERIFY_MISMATCH ? KW_EAUTH : KW_EINVAL;
}

int kw_password_verify_absent(const char *pw)
{
    /* A hash of a random password at the current cost: the work of a real
     * verification, with an answer that is always "no". */
    static const char dummy[] =
        "$argon2id$v=19$m=19456,t=2,p=1$qVU79YxFl9fS/aVfqISDqg$+ZSwG0G5tncZt0uEuUIyqN4OpzP+ZUQTVD+t2PIh1oc";
    size_t n = pw ? strnlen(pw, KW_PASSWORD_MAX_BYTES) : 0;
    int a = argon2id_verify(dummy, pw ? pw : "", n);
    /* Anything but a verdict means the dummy was not hashed: a bug, not a login failure. */
    return a == ARGON2_OK || a == ARGON2_VERIFY_MISMATCH ? KW_EAUTH : KW_EINTERNAL;
}
