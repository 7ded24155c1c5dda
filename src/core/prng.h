/*
 * prng — a small deterministic generator (splitmix64) for simulations and
 * models whose output must be reproducible from a seed: the market
 * simulator, the climate model, tests. Never for secrets or salts (those come
 * from libsodium's randombytes).
 *
 * Pure; a kw_prng is used by one thread at a time.
 */
#ifndef KW_CORE_PRNG_H
#define KW_CORE_PRNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kw_prng {
    uint64_t s;
    bool has_spare;
    double spare;
} kw_prng;

/* A generator whose stream depends on both words (e.g. seed and block). */
kw_prng kw_prng_init(uint64_t a, uint64_t b);
uint64_t kw_prng_next(kw_prng *g);
/* Fills n bytes with the stream. */
void kw_prng_fill(kw_prng *g, void *buf, size_t n);
/* Uniform in (0, 1], 53 bits. */
double kw_prng_uniform(kw_prng *g);
/* Standard normal (Box–Muller, pairs cached). */
double kw_prng_normal(kw_prng *g);

#endif
