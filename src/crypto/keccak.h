/*
 * keccak — the Keccak-f[1600] permutation and Keccak-256, the hash of the
 * KALE proof of work (SPEC §2).
 *
 * Keccak-256 is the original submission's padding (0x01 … 0x80), as used by
 * Ethereum and by Soroban's `keccak256`; it is NOT FIPS 202 SHA3-256, which
 * pads with 0x06 and so yields different digests over the same permutation.
 * Rate 136 bytes, capacity 512 bits, 24 rounds, lanes little-endian.
 *
 * This is the scalar reference; the SIMD nonce-search kernels in kalehash
 * are tested against it. Pure; thread-safe.
 */
#ifndef KW_CRYPTO_KECCAK_H
#define KW_CRYPTO_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define KW_KECCAK256_RATE 136

/* Applies Keccak-f[1600] to the state in place (lane (x, y) at x + 5y). */
void kw_keccak_f1600(uint64_t state[25]);

/* keccak256(data[0..n)). */
void kw_keccak256(const void *data, size_t n, uint8_t out[32]);

/* The 256-bit sponge with the given domain padding byte: 0x01 is Keccak-256,
 * 0x06 is FIPS 202 SHA3-256 (which the tests compare with OpenSSL). */
void kw_keccak_sponge256(const void *data, size_t n, uint8_t pad, uint8_t out[32]);

#endif
