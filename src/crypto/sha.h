/*
 * sha — SHA-256, HMAC-SHA256, constant-time comparison and hex, over OpenSSL.
 *
 * Thread-safe. Inputs are never retained.
 */
#ifndef KW_CRYPTO_SHA_H
#define KW_CRYPTO_SHA_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct kw_bytes {
    const void *p;
    size_t n;
} kw_bytes;

/* sha256(data). */
void kw_sha256(const void *data, size_t n, uint8_t out[32]);
/* sha256(parts[0] ‖ parts[1] ‖ …) without building the concatenation. */
void kw_sha256_parts(const kw_bytes *parts, size_t count, uint8_t out[32]);
/* HMAC-SHA256(key, data). */
void kw_hmac_sha256(const void *key, size_t klen, const void *data, size_t n, uint8_t out[32]);

/* 1 when a and b are equal, in time independent of their contents. */
int kw_ct_equal(const void *a, const void *b, size_t n);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void kw_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parses exactly 2n hex digits (either case); KW_EINVAL otherwise. */
int kw_hex_decode(const char *hex, uint8_t *out, size_t n) KW_WUR;

#endif
