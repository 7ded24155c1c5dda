#include "core/location.h"

#include <string.h>

#include "crypto/sha.h"

static const kw_city cities[KW_CITY_COUNT] = {
    {"tokyo", "Tokyo", 3740, 35.6762, 139.6503, KW_HEMISPHERE_NORTH},
    {"london", "London", 930, 51.5074, -0.1278, KW_HEMISPHERE_NORTH},
    {"new-york", "New York", 840, 40.7128, -74.0060, KW_HEMISPHERE_NORTH},
    {"sydney", "Sydney", 530, -33.8688, 151.2093, KW_HEMISPHERE_SOUTH},
    {"mumbai", "Mumbai", 2040, 19.0760, 72.8777, KW_HEMISPHERE_NORTH},
    {"paris", "Paris", 1100, 48.8566, 2.3522, KW_HEMISPHERE_NORTH},
    {"singapore", "Singapore", 590, 1.3521, 103.8198, KW_HEMISPHERE_NORTH},
    {"sao-paulo", "S\u00e3o Paulo", 2240, -23.5505, -46.6333, KW_HEMISPHERE_SOUTH},
    {"cairo", "Cairo", 2090, 30.0444, 31.2357, KW_HEMISPHERE_NORTH},
    {"mexico-city", "Mexico City", 2180, 19.4326, -99.1332, KW_HEMISPHERE_NORTH},
};

const kw_city *kw_city_get(unsigned i)
{
    return i < KW_CITY_COUNT ? &cities[i] : NULL;
}

int kw_city_parse(const char *id, unsigned *out)
{
    for (unsigned i = 0; i < KW_CITY_COUNT; i++)
        if (strcmp(cities[i].id, id) == 0) {
            *out = i;
            return 0;
        }
    return KW_ENOTFOUND;
}

uint32_t kw_location_draw(const uint8_t entropy[32], uint64_t cycle_id)
{
    static const char tag[] = "kalewx/location";
    uint8_t cycle[8], h[32];
    for (int i = 7; i >= 0; i--, cycle_id >>= 8)
        cycle[i] = (uint8_t)cycle_id;
    const kw_bytes parts[] = {{tag, sizeof tag - 1}, {entropy, 32}, {cycle, 8}};
    kw_sha256_parts(parts, 3, h);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | h[i];
    return (uint32_t)(v % KW_LOCATION_TOTAL_WEIGHT);
}

unsigned kw_location_city_of(uint32_t u)
{
    u %= KW_LOCATION_TOTAL_WEIGHT;
    uint32_t cum = 0;
    for (unsigned i = 0; i < KW_CITY_COUNT; i++) {
        cum += cities[i].weight;
        if (u < cum)
            return i;
    }
    return KW_CITY_COUNT - 1;
}

unsigned kw_location_pick(const uint8_t entropy[32], uint64_t cycle_id)
{
    return kw_location_city_of(kw_location_draw(entropy, cycle_id));
}
