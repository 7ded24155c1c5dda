/* The AVX2 kalehash path: 4 nonces per permutation in 256-bit registers.
 * Compiled with AVX2 enabled per function, so the build needs no -mavx2 and
 * kalehash.c offers the path only when the CPU reports AVX2. */
#include "crypto/kalehash.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define KW_V __m256i
#define KW_XOR(a, b) _mm256_xor_si256((a), (b))
#define KW_XOR5(a, b, c, d, e) KW_XOR(KW_XOR(KW_XOR(a, b), KW_XOR(c, d)), e)
#define KW_ROL(a, n) _mm256_or_si256(_mm256_slli_epi64((a), (n)), _mm256_srli_epi64((a), 64 - (n)))
#define KW_CHI(a, b, c) _mm256_xor_si256((a), _mm256_andnot_si256((b), (c)))
#define KW_XORK(a, k) KW_XOR((a), _mm256_set1_epi64x((long long)(k)))
#define KW_LANES 4
#define KW_SET1(k) _mm256_set1_epi64x((long long)(k))
#define KW_LOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define KW_STORE(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))
#define KW_FN(name) avx2_##name
#define KW_TARGET __attribute__((target("avx2")))
#include "crypto/keccak_round.h"
#include "crypto/kalehash_kernel.h"

const kw_kalehash_path kw_kalehash_avx2_path = {"avx2", KW_LANES, avx2_hash, avx2_search};
#endif
