/*
 * apikey — API keys for programs (SPEC §9): "kwx_" followed by the lower-case
 * base32 (RFC 4648 alphabet, no padding) of 32 random bytes, 56 characters.
 *
 * A key is shown to its owner once; the service keeps only SHA-256 of the
 * whole key text and a short display prefix. A presented key is checked for
 * shape, hashed and looked up by that hash; kw_apikey_matches compares a
 * hash in constant time where a stored hash is at hand.
 *
 * Thread-safe. Callers wipe key buffers when done.
 */
#ifndef KW_CRYPTO_APIKEY_H
#define KW_CRYPTO_APIKEY_H

#include <stdint.h>

#include "core/err.h"

#define KW_APIKEY_PREFIX "kwx_"
#define KW_APIKEY_LEN 56
#define KW_APIKEY_BUFSZ 57
/* What listings show: "kwx_" and the next 8 characters (40 of 256 bits). */
#define KW_APIKEY_SHOWN 12

/* Generates a new key and its storage hash. */
int kw_apikey_generate(char key[KW_APIKEY_BUFSZ], uint8_t hash[32], kw_err *err) KW_WUR;

/* KW_EINVAL unless key has exactly the shape of a generated key. */
int kw_apikey_check(const char *key, kw_err *err) KW_WUR;

/* SHA-256 of the key text: the only form that is stored. */
void kw_apikey_hash(const char *key, uint8_t hash[32]);

/* 1 when key is well formed and hashes to stored, in constant time. */
int kw_apikey_matches(const char *key, const uint8_t stored[32]);

/* The first KW_APIKEY_SHOWN characters, NUL-terminated. */
void kw_apikey_shown(const char *key, char out[KW_APIKEY_SHOWN + 1]);

#endif
