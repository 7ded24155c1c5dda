#include "crypto/strkey.h"

#include <string.h>

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint16_t kw_crc16_xmodem(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

void kw_strkey_encode(kw_strkey_type type, const uint8_t raw[32], char out[KW_STRKEY_BUFSZ])
{
    uint8_t buf[35];
    buf[0] = (uint8_t)type;
    memcpy(buf + 1, raw, 32);
    uint16_t crc = kw_crc16_xmodem(buf, 33);
    buf[33] = (uint8_t)(crc & 0xff);
    buf[34] = (uint8_t)(crc >> 8);
    /* 35 bytes = 280 bits = exactly 56 base32 digits: no padding, no spare bits. */
    uint32_t acc = 0;
    int bits = 0, o = 0;
    for (int i = 0; i < 35; i++) {
        acc = acc << 8 | buf[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32[(acc >> bits) & 31];
        }
    }
    out[o] = 0;
    explicit_bzero(buf, sizeof buf);
}

static const char *type_name(kw_strkey_type t)
{
    switch (t) {
    case KW_STRKEY_ACCOUNT: return "account address (G...)";
    case KW_STRKEY_SEED: return "secret seed (S...)";
    case KW_STRKEY_CONTRACT: return "contract id (C...)";
    }
    return "key";
}

int kw_strkey_decode(kw_strkey_type type, const char *s, uint8_t raw[32], kw_err *err)
{
    uint8_t buf[35];
    size_t n = s ? strlen(s) : 0;
    if (n != KW_STRKEY_LEN)
        return kw_err_set(err, KW_EINVAL, "not a %s: expected 56 characters, got %zu", type_name(type), n);
    uint32_t acc = 0;
    int bits = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *d = memchr(b32, s[i], 32);
        if (!d || !s[i])
            return kw_err_set(err, KW_EINVAL, "not a %s: character %zu is not base32 (A-Z, 2-7)",
                              type_name(type), i + 1);
        acc = acc << 5 | (uint32_t)(d - b32);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
        }
    }
    int rc = 0;
    uint16_t crc = kw_crc16_xmodem(buf, 33);
    if (buf[0] != (uint8_t)type)
        rc = kw_err_set(err, KW_EINVAL, "not a %s: wrong version byte", type_name(type));
    else if (buf[33] != (crc & 0xff) || buf[34] != (crc >> 8))
        rc = kw_err_set(err, KW_EINVAL, "not a %s: checksum mismatch (a character is mistyped)",
                        type_name(type));
    else
        memcpy(raw, buf + 1, 32);
    explicit_bzero(buf, sizeof buf);
    return rc;
}
