/*
 * keccak_round — one Keccak-f[1600] round written once over an abstract
 * 64-bit lane type, so the scalar permutation and the SIMD nonce-search
 * kernels (kalehash_avx2.c, kalehash_avx512.c) share the same text.
 *
 * Internal to src/crypto. The includer defines, before including:
 *   KW_V               the lane type (uint64_t, __m256i, __m512i)
 *   KW_XOR(a, b)       a ^ b
 *   KW_XOR5(a,b,c,d,e) a ^ b ^ c ^ d ^ e
 *   KW_ROL(a, n)       rotate each 64-bit lane left by the constant n (1..63)
 *   KW_CHI(a, b, c)    a ^ (~b & c)
 *   KW_XORK(a, k)      a ^ the 64-bit constant k in every lane
 * When KW_V is not defined, the plain uint64_t scalar definitions are used.
 * The state is an array of 25 lanes, lane (x, y) at index x + 5y.
 */
#ifndef KW_CRYPTO_KECCAK_ROUND_H
#define KW_CRYPTO_KECCAK_ROUND_H

#include <stdint.h>

#ifndef KW_V
#define KW_V uint64_t
#define KW_XOR(a, b) ((a) ^ (b))
#define KW_XOR5(a, b, c, d, e) ((a) ^ (b) ^ (c) ^ (d) ^ (e))
#define KW_ROL(a, n) (((a) << (n)) | ((a) >> (64 - (n))))
#define KW_CHI(a, b, c) ((a) ^ (~(b) & (c)))
#define KW_XORK(a, k) ((a) ^ (k))
#endif

static const uint64_t kw_keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* theta's D[x] = C[x-1] ^ rol(C[x+1], 1), from the five column parities. */
#define KW_KECCAK_THETA_D(C0, C1, C2, C3, C4)                                   \
    KW_V D0 = KW_XOR(C4, KW_ROL(C1, 1)), D1 = KW_XOR(C0, KW_ROL(C2, 1));      \
    KW_V D2 = KW_XOR(C1, KW_ROL(C3, 1)), D3 = KW_XOR(C2, KW_ROL(C4, 1));      \
    KW_V D4 = KW_XOR(C3, KW_ROL(C0, 1))

/* rho and pi after theta: B[y + 5((2x + 3y) mod 5)] = rol(A[x + 5y] ^ D[x], r[x][y]),
 * written out by destination so each line is one lane. */
#define KW_KECCAK_RHO_PI(A, B)                                                          \
    B[0] = KW_XOR(A[0], D0);                    B[1] = KW_ROL(KW_XOR(A[6], D1), 44);   \
    B[2] = KW_ROL(KW_XOR(A[12], D2), 43);       B[3] = KW_ROL(KW_XOR(A[18], D3), 21);  \
    B[4] = KW_ROL(KW_XOR(A[24], D4), 14);       B[5] = KW_ROL(KW_XOR(A[3], D3), 28);   \
    B[6] = KW_ROL(KW_XOR(A[9], D4), 20);        B[7] = KW_ROL(KW_XOR(A[10], D0), 3);   \
    B[8] = KW_ROL(KW_XOR(A[16], D1), 45);       B[9] = KW_ROL(KW_XOR(A[22], D2), 61);  \
    B[10] = KW_ROL(KW_XOR(A[1], D1), 1);        B[11] = KW_ROL(KW_XOR(A[7], D2), 6);   \
    B[12] = KW_ROL(KW_XOR(A[13], D3), 25);      B[13] = KW_ROL(KW_XOR(A[19], D4), 8);  \
    B[14] = KW_ROL(KW_XOR(A[20], D0), 18);      B[15] = KW_ROL(KW_XOR(A[4], D4), 27);  \
    B[16] = KW_ROL(KW_XOR(A[5], D0), 36);       B[17] = KW_ROL(KW_XOR(A[11], D1), 10); \
    B[18] = KW_ROL(KW_XOR(A[17], D2), 15);      B[19] = KW_ROL(KW_XOR(A[23], D3), 56); \
    B[20] = KW_ROL(KW_XOR(A[2], D2), 62);       B[21] = KW_ROL(KW_XOR(A[8], D3), 55);  \
    B[22] = KW_ROL(KW_XOR(A[14], D4), 39);      B[23] = KW_ROL(KW_XOR(A[15], D0), 41); \
    B[24] = KW_ROL(KW_XOR(A[21], D1), 2)

/* chi on the plane starting at lane y5 of B into A. */
#define KW_KECCAK_CHI_PLANE(A, B, y5)                                  \
    A[y5 + 0] = KW_CHI(B[y5 + 0], B[y5 + 1], B[y5 + 2]);               \
    A[y5 + 1] = KW_CHI(B[y5 + 1], B[y5 + 2], B[y5 + 3]);               \
    A[y5 + 2] = KW_CHI(B[y5 + 2], B[y5 + 3], B[y5 + 4]);               \
    A[y5 + 3] = KW_CHI(B[y5 + 3], B[y5 + 4], B[y5 + 0]);               \
    A[y5 + 4] = KW_CHI(B[y5 + 4], B[y5 + 0], B[y5 + 1])

/* Round r after theta's D lanes are known. */
#define KW_KECCAK_ROUND_TAIL(A, r)                                     \
    do {                                                               \
        KW_V B[25];                                                    \
        KW_KECCAK_RHO_PI(A, B);                                        \
        KW_KECCAK_CHI_PLANE(A, B, 0);                                  \
        KW_KECCAK_CHI_PLANE(A, B, 5);                                  \
        KW_KECCAK_CHI_PLANE(A, B, 10);                                 \
        KW_KECCAK_CHI_PLANE(A, B, 15);                                 \
        KW_KECCAK_CHI_PLANE(A, B, 20);                                 \
        A[0] = KW_XORK(A[0], kw_keccak_rc[r]);                         \
    } while (0)

/* Column parity C[x] of the state. */
#define KW_KECCAK_COL(A, x) KW_XOR5(A[x], A[x + 5], A[x + 10], A[x + 15], A[x + 20])

/* One full round r. */
#define KW_KECCAK_ROUND(A, r)                                                          \
    do {                                                                               \
        KW_V C0 = KW_KECCAK_COL(A, 0), C1 = KW_KECCAK_COL(A, 1), C2 = KW_KECCAK_COL(A, 2); \
        KW_V C3 = KW_KECCAK_COL(A, 3), C4 = KW_KECCAK_COL(A, 4);                       \
        KW_KECCAK_THETA_D(C0, C1, C2, C3, C4);                                         \
        KW_KECCAK_ROUND_TAIL(A, r);                                                    \
    } while (0)

/* The last round computing only output lane 0 (the first 8 bytes of the
 * digest), which is all a nonce search compares. */
#define KW_KECCAK_LAST_ROUND_LANE0(A, out)                                             \
    do {                                                                               \
        KW_V C0 = KW_KECCAK_COL(A, 0), C1 = KW_KECCAK_COL(A, 1), C2 = KW_KECCAK_COL(A, 2); \
        KW_V C3 = KW_KECCAK_COL(A, 3), C4 = KW_KECCAK_COL(A, 4);                       \
        KW_V D0 = KW_XOR(C4, KW_ROL(C1, 1)), D1 = KW_XOR(C0, KW_ROL(C2, 1));           \
        KW_V D2 = KW_XOR(C1, KW_ROL(C3, 1));                                           \
        KW_V B0 = KW_XOR(A[0], D0), B1 = KW_ROL(KW_XOR(A[6], D1), 44);                 \
        KW_V B2 = KW_ROL(KW_XOR(A[12], D2), 43);                                       \
        (out) = KW_XORK(KW_CHI(B0, B1, B2), kw_keccak_rc[23]);                         \
    } while (0)

#endif
