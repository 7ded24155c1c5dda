/*
 * strkey — Stellar StrKey text for 32-byte keys (SEP-23): G… account public
 * keys, S… Ed25519 secret seeds, C… contract ids.
 *
 * A StrKey is base32 (RFC 4648, no padding) of version byte ‖ 32 bytes ‖
 * CRC16-XModem (little-endian) of the first 33 bytes: always 56 characters.
 * Decoding is strict: wrong length, padding, lower case, a bad checksum or a
 * version byte other than the one expected are all rejected.
 *
 * Pure; thread-safe. Callers holding an S… seed must wipe their buffers.
 */
#ifndef KW_CRYPTO_STRKEY_H
#define KW_CRYPTO_STRKEY_H

#include <stdint.h>

#include "core/err.h"

#define KW_STRKEY_LEN 56
#define KW_STRKEY_BUFSZ 57

typedef enum kw_strkey_type {
    KW_STRKEY_ACCOUNT = 6 << 3,   /* 'G' */
    KW_STRKEY_SEED = 18 << 3,     /* 'S' */
    KW_STRKEY_CONTRACT = 2 << 3,  /* 'C' */
} kw_strkey_type;

/* CRC16-XModem (poly 0x1021, init 0). */
uint16_t kw_crc16_xmodem(const uint8_t *p, size_t n);

/* Encodes raw as a StrKey of the given type into out (57 bytes with NUL). */
void kw_strkey_encode(kw_strkey_type type, const uint8_t raw[32], char out[KW_STRKEY_BUFSZ]);

/* Decodes s, which must be a valid StrKey of the given type, into raw.
 * Returns KW_EINVAL with a message saying what is wrong. */
int kw_strkey_decode(kw_strkey_type type, const char *s, uint8_t raw[32], kw_err *err) KW_WUR;

#endif
