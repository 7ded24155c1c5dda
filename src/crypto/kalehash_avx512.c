/* The AVX-512 kalehash path: 8 nonces per permutation in 512-bit registers,
 * with native 64-bit rotates (vprolq) and three-input logic (vpternlogq) for
 * theta's parities and chi. Compiled with AVX-512F enabled per function;
 * kalehash.c offers it only when the CPU reports AVX-512F. */
#include "crypto/kalehash.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define KW_V __m512i
#define KW_XOR(a, b) _mm512_xor_si512((a), (b))
#define KW_XOR3(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0x96)
#define KW_XOR5(a, b, c, d, e) KW_XOR3(KW_XOR3(a, b, c), d, e)
#define KW_ROL(a, n) _mm512_rol_epi64((a), (n))
#define KW_CHI(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0xd2)
#define KW_XORK(a, k) KW_XOR((a), _mm512_set1_epi64((long long)(k)))
#define KW_LANES 8
#define KW_SET1(k) _mm512_set1_epi64((long long)(k))
#define KW_LOAD(p) _mm512_loadu_si512((const void *)(p))
#define KW_STORE(p, v) _mm512_storeu_si512((void *)(p), (v))
#define KW_FN(name) avx512_##name
#define KW_TARGET __attribute__((target("avx512f")))
#include "crypto/keccak_round.h"
#include "crypto/kalehash_kernel.h"

const kw_kalehash_path kw_kalehash_avx512_path = {"avx512", KW_LANES, avx512_hash, avx512_search};
#endif
