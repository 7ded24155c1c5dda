#include "core/prng.h"

#include <math.h>
#include <string.h>

uint64_t kw_prng_next(kw_prng *g)
{
    uint64_t z = (g->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

kw_prng kw_prng_init(uint64_t a, uint64_t b)
{
    kw_prng g = {.s = a};
    g.s = kw_prng_next(&g) ^ (b * 0xD1B54A32D192ED03ull);
    kw_prng_next(&g);
    return g;
}

void kw_prng_fill(kw_prng *g, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        uint64_t r = kw_prng_next(g);
        size_t k = n < 8 ? n : 8;
        memcpy(p, &r, k);
        p += k;
        n -= k;
    }
}

double kw_prng_uniform(kw_prng *g)
{
    return (double)((kw_prng_next(g) >> 11) + 1) * 0x1.0p-53;
}

double kw_prng_normal(kw_prng *g)
{
    if (g->has_spare) {
        g->has_spare = false;
        return g->spare;
    }
    double r = sqrt(-2.0 * log(kw_prng_uniform(g))), t = 2.0 * M_PI * kw_prng_uniform(g);
    g->spare = r * sin(t);
    g->has_spare = true;
    return r * cos(t);
}
