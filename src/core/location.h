/*
 * location — which city's weather a cycle observes (SPEC §7).
 *
 *   h = sha256("kalewx/location" ‖ entropy[32] ‖ cycle_id u64 BE)
 *   u = (first 8 bytes of h, big-endian) mod 16280
 *
 * and the city is the first whose cumulative weight exceeds u, walking the
 * table in its fixed order with the weights of SPEC §7 × 100 (Tokyo 3740,
 * London 930, …; they sum to 16280). `entropy` is the entropy of the KALE
 * block where revealing starts, so nobody knows the city while actions are
 * open. The reduction mod 16280 of a 64-bit value is biased by at most
 * 16280 / 2^64, far below anything measurable.
 *
 * Pure (sha256 of crypto/sha.h, the documented exception); thread-safe. The
 * table is static and never freed.
 */
#ifndef KW_CORE_LOCATION_H
#define KW_CORE_LOCATION_H

#include <stdint.h>

#include "core/err.h"

#define KW_CITY_COUNT 10
#define KW_LOCATION_TOTAL_WEIGHT 16280u

typedef enum kw_hemisphere {
    KW_HEMISPHERE_NORTH = 0,
    KW_HEMISPHERE_SOUTH,
} kw_hemisphere;

typedef struct kw_city {
    const char *id;          /* "tokyo", "sao-paulo", … (stable, for APIs and storage) */
    const char *name;        /* "Tokyo", "São Paulo" (UTF-8) */
    uint32_t weight;         /* population weight × 100 */
    double lat, lon;         /* degrees, north and east positive */
    kw_hemisphere hemisphere;
} kw_city;

/* The i-th city of the table (i < KW_CITY_COUNT), else NULL. */
const kw_city *kw_city_get(unsigned i);
/* Finds a city by id; KW_ENOTFOUND otherwise. */
int kw_city_parse(const char *id, unsigned *out) KW_WUR;

/* u of the formula above, in [0, 16280). */
uint32_t kw_location_draw(const uint8_t entropy[32], uint64_t cycle_id);
/* The index of the city of u (u ≥ 16280 is reduced mod 16280 first). */
unsigned kw_location_city_of(uint32_t u);
/* kw_location_city_of(kw_location_draw(entropy, cycle_id)). */
unsigned kw_location_pick(const uint8_t entropy[32], uint64_t cycle_id);

#endif
