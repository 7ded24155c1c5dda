/*
 * kalehash_kernel — the hash and search kernels of one kalehash path,
 * written once over an abstract vector of KW_LANES 64-bit lanes.
 *
 * Internal to src/crypto. The includer defines the keccak_round.h macros and
 *   KW_LANES           nonces per vector
 *   KW_SET1(k)         every lane = the 64-bit value k
 *   KW_LOAD(p)         vector from KW_LANES uint64_t at p
 *   KW_STORE(p, v)     KW_LANES uint64_t at p from v
 *   KW_FN(name)        a path-specific function name
 *   KW_TARGET          the function attribute enabling the instruction set
 * and includes kalehash.h and keccak_round.h first.
 */
#ifndef KW_CRYPTO_KALEHASH_KERNEL_H
#define KW_CRYPTO_KALEHASH_KERNEL_H

/* The state after rounds 0..22 for KW_LANES nonces. Lanes 10..24 of a
 * single-block 76-byte preimage are fixed by the padding, so they are
 * constants here and the compiler folds them into the first round. */
KW_TARGET static inline void KW_FN(rounds)(const kw_kalehash_job *j, const uint64_t *nonces,
                                            KW_V A[25])
{
    uint64_t l0[KW_LANES], l1[KW_LANES];
    for (int i = 0; i < KW_LANES; i++) {
        l0[i] = j->lane[0] | (uint64_t)__builtin_bswap32((uint32_t)(nonces[i] >> 32)) << 32;
        l1[i] = j->lane[1] | __builtin_bswap32((uint32_t)nonces[i]);
    }
    A[0] = KW_LOAD(l0);
    A[1] = KW_LOAD(l1);
    for (int i = 2; i < 10; i++)
        A[i] = KW_SET1(j->lane[i]);
    for (int i = 10; i < 25; i++)
        A[i] = KW_SET1(i == 16 ? UINT64_C(0x8000000000000000) : 0);
    {
        KW_V C0 = KW_XOR(A[0], KW_SET1(j->par[0])), C1 = KW_XOR(A[1], KW_SET1(j->par[1]));
        KW_V C2 = KW_SET1(j->par[2]), C3 = KW_SET1(j->par[3]), C4 = KW_SET1(j->par[4]);
        KW_KECCAK_THETA_D(C0, C1, C2, C3, C4);
        KW_KECCAK_ROUND_TAIL(A, 0);
    }
    for (int r = 1; r < 23; r++)
        KW_KECCAK_ROUND(A, r);
}

KW_TARGET static void KW_FN(hash)(const kw_kalehash_job *j, const uint64_t *nonces,
                                   uint8_t (*out)[32])
{
    KW_V A[25];
    KW_FN(rounds)(j, nonces, A);
    KW_KECCAK_ROUND(A, 23);
    uint64_t lanes[4][KW_LANES];
    for (int w = 0; w < 4; w++)
        KW_STORE(lanes[w], A[w]);
    for (int i = 0; i < KW_LANES; i++)
        for (int w = 0; w < 4; w++)
            for (int b = 0; b < 8; b++)
                out[i][8 * w + b] = (uint8_t)(lanes[w][i] >> (8 * b));
}

KW_TARGET static void KW_FN(search)(const kw_kalehash_job *j, uint64_t first, uint64_t count,
                                     kw_kalehash_best *best)
{
    uint64_t nonces[KW_LANES], head[KW_LANES];
    uint64_t n = 0;
    for (; count - n >= KW_LANES; n += KW_LANES) {
        for (int i = 0; i < KW_LANES; i++)
            nonces[i] = first + n + (uint64_t)i;
        KW_V A[25], out;
        KW_FN(rounds)(j, nonces, A);
        KW_KECCAK_LAST_ROUND_LANE0(A, out);
        KW_STORE(head, out);
        for (int i = 0; i < KW_LANES; i++)
            kw_kalehash_best_offer(best, __builtin_bswap64(head[i]), nonces[i]);
    }
    if (n < count) {
        /* The tail runs as one more full vector; lanes past the range are ignored. */
        for (int i = 0; i < KW_LANES; i++)
            nonces[i] = first + n + (n + (uint64_t)i < count ? (uint64_t)i : 0);
        KW_V A[25], out;
        KW_FN(rounds)(j, nonces, A);
        KW_KECCAK_LAST_ROUND_LANE0(A, out);
        KW_STORE(head, out);
        for (int i = 0; n + (uint64_t)i < count; i++)
            kw_kalehash_best_offer(best, __builtin_bswap64(head[i]), nonces[i]);
    }
}

#endif
