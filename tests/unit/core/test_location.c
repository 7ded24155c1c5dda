#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/location.h"
#include "core/prng.h"
#include "crypto/sha.h"

Test(location, table)
{
    static const double pop[KW_CITY_COUNT] = {37.4, 9.3, 8.4, 5.3, 20.4, 11.0, 5.9, 22.4, 20.9, 21.8};
    uint32_t sum = 0;
    for (unsigned i = 0; i < KW_CITY_COUNT; i++) {
        const kw_city *c = kw_city_get(i);
        cr_assert_eq(c->weight, (uint32_t)lround(pop[i] * 100), "%s", c->id);
        cr_assert_eq(c->hemisphere == KW_HEMISPHERE_SOUTH, c->lat < 0, "%s", c->id);
        cr_assert(fabs(c->lat) <= 90 && fabs(c->lon) <= 180);
        unsigned back;
        cr_assert_eq(kw_city_parse(c->id, &back), 0);
        cr_assert_eq(back, i);
        sum += c->weight;
    }
    cr_assert_eq(sum, KW_LOCATION_TOTAL_WEIGHT);
    cr_assert_str_eq(kw_city_get(0)->id, "tokyo");
    cr_assert_str_eq(kw_city_get(7)->name, "S\u00e3o Paulo");
    cr_assert_null(kw_city_get(KW_CITY_COUNT));
    unsigned x;
    cr_assert_eq(kw_city_parse("atlantis", &x), KW_ENOTFOUND);
}

Test(location, cumulative_walk_edges)
{
    /* Tokyo [0, 3740), London [3740, 4670), …, Mexico City [14100, 16280). */
    cr_assert_eq(kw_location_city_of(0), 0);
    cr_assert_eq(kw_location_city_of(3739), 0);
    cr_assert_eq(kw_location_city_of(3740), 1);
    cr_assert_eq(kw_location_city_of(4669), 1);
    cr_assert_eq(kw_location_city_of(4670), 2);
    cr_assert_eq(kw_location_city_of(5510), 3);
    cr_assert_eq(kw_location_city_of(6040), 4);
    cr_assert_eq(kw_location_city_of(8080), 5);
    cr_assert_eq(kw_location_city_of(9180), 6);
    cr_assert_eq(kw_location_city_of(9770), 7);
    cr_assert_eq(kw_location_city_of(12010), 8);
    cr_assert_eq(kw_location_city_of(14099), 8);
    cr_assert_eq(kw_location_city_of(14100), 9);
    cr_assert_eq(kw_location_city_of(16279), 9);
    cr_assert_eq(kw_location_city_of(16280), 0);
}

Test(location, draw_is_the_documented_hash)
{
    uint8_t ent[32];
    for (int i = 0; i < 32; i++)
        ent[i] = (uint8_t)(0xA0 + i);
    uint64_t cycle = 0x0000000100000002ull;
    uint8_t buf[15 + 32 + 8], h[32];
    memcpy(buf, "kalewx/location", 15);
    memcpy(buf + 15, ent, 32);
    for (int i = 0; i < 8; i++)
        buf[47 + i] = (uint8_t)(cycle >> (56 - 8 * i));
    kw_sha256(buf, sizeof buf, h);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | h[i];
    cr_assert_eq(kw_location_draw(ent, cycle), (uint32_t)(v % 16280));
    cr_assert_eq(kw_location_pick(ent, cycle), kw_location_city_of((uint32_t)(v % 16280)));
}

/* The reference system always picked Tokyo; here 100,000 cycles over random
 * entropies land on each city within one percentage point of its weight. */
Test(location, follows_population_weights)
{
    enum { DRAWS = 100000 };
    unsigned count[KW_CITY_COUNT] = {0};
    kw_prng g = kw_prng_init(2024, 5);
    for (int n = 0; n < DRAWS; n++) {
        uint8_t ent[32];
        kw_prng_fill(&g, ent, sizeof ent);
        count[kw_location_pick(ent, (uint64_t)n)]++;
    }
    for (unsigned i = 0; i < KW_CITY_COUNT; i++) {
        double share = (double)count[i] / DRAWS;
        double want = (double)kw_city_get(i)->weight / KW_LOCATION_TOTAL_WEIGHT;
        cr_assert(fabs(share - want) < 0.01, "%s: %.4f, want %.4f", kw_city_get(i)->id, share, want);
        /* far tighter in fact: 5 standard deviations */
        cr_assert(fabs(share - want) < 5 * sqrt(want * (1 - want) / DRAWS), "%s", kw_city_get(i)->id);
    }
}

Test(location, same_entropy_other_cycle_moves)
{
    uint8_t ent[32] = {0};
    unsigned distinct = 0, seen[KW_CITY_COUNT] = {0};
    for (uint64_t c = 0; c < 200; c++)
        seen[kw_location_pick(ent, c)]++;
    for (unsigned i = 0; i < KW_CITY_COUNT; i++)
        distinct += seen[i] > 0;
    cr_assert_eq(distinct, KW_CITY_COUNT);
}
