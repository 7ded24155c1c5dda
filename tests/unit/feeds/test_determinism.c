/* The whole weather pipeline of a cycle, from market seed and block entropy
 * to the settlement inputs, is a function of its seeds: the same seeds give
 * byte-identical outcomes over 1,000 cycles. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/consensus.h"
#include "core/location.h"
#include "core/prng.h"
#include "crypto/sha.h"
#include "feeds/market.h"
#include "feeds/weather.h"

#define CYCLES 1000
#define CYCLE_BLOCKS 10

/* Runs CYCLES cycles and writes every published number into a text log. */
static char *run(uint64_t market_seed, uint64_t entropy_seed, size_t *len)
{
    char *log = NULL;
    FILE *out = open_memstream(&log, len);
    kw_market_feed market;
    kw_weather_provider weather;
    cr_assert_eq(kw_market_sim_open(market_seed, &market, NULL), 0);
    cr_assert_eq(kw_weather_climate_open(&weather, NULL), 0);
    kw_dao_record records[KW_DAO_COUNT];
    for (int d = 0; d < KW_DAO_COUNT; d++)
        kw_dao_record_seed((kw_dao_id)d, 0, &records[d]);
    kw_prng chain = kw_prng_init(entropy_seed, 0);

    for (uint64_t cycle = 0; cycle < CYCLES; cycle++) {
        /* working: snapshot, votes, commitments (salts from the seeded stream) */
        uint32_t working = (uint32_t)(cycle * CYCLE_BLOCKS + 6);
        kw_market_query q = {.block = working, .timestamp = 1704067200 + 300 * (int64_t)working,
                             .interval_s = 300};
        kw_market_snapshot snap;
        cr_assert_eq(market.snapshot(market.state, &q, &snap, NULL), 0);
        kw_reveal rv[KW_DAO_COUNT];
        kw_dao_vote votes[KW_DAO_COUNT];
        kw_dao_evaluate_all(&snap, votes);
        size_t n = 0;
        for (int d = 0; d < KW_DAO_COUNT; d++) {
            fprintf(out, "%s:%s\n", kw_dao_info_of((kw_dao_id)d)->id, votes[d].reasoning);
            if (votes[d].abstain)
                continue;
            rv[n].vote = votes[d];
            kw_prng_fill(&chain, rv[n].salt, KW_SALT_LEN);
            cr_assert_eq(kw_vote_commitment(cycle, &rv[n].vote, rv[n].salt, rv[n].commitment), 0);
            char hex[65];
            kw_hex_encode(rv[n].commitment, 32, hex);
            fprintf(out, "commit %s\n", hex);
            n++;
        }
        /* revealing: verify, decide with the entropy of the revealing block */
        uint8_t entropy[32];
        kw_prng_fill(&chain, entropy, sizeof entropy);
        kw_dao_vote accepted[KW_DAO_COUNT];
        bool rejected[KW_DAO_COUNT];
        cr_assert_eq(kw_reveal_filter(cycle, rv, n, accepted, rejected), n);
        kw_consensus c;
        cr_assert_eq(kw_consensus_decide(cycle, entropy, records, accepted, n, &c, NULL), 0);
        kw_weather_query wq = {.city = kw_location_pick(entropy, cycle), .timestamp = q.timestamp + 600,
                               .cycle_id = cycle};
        memcpy(wq.entropy, entropy, 32);
        kw_weather_report wr;
        cr_assert_eq(weather.observe(weather.state, &wq, &wr, NULL), 0);
        kw_suitability s;
        cr_assert_eq(kw_suitability_score(&wr.obs, &s), 0);
        kw_final_weather f;
        cr_assert_eq(kw_final_weather_of(&c, true, s.score, &f), 0);
        fprintf(out, "cycle %llu S %d tie %d cons %s agree %.3f conf %.3f H %.3f city %s "
                     "obs %.17g/%.17g/%.17g/%.17g suit %.17g final %d %s c %u\n",
                (unsigned long long)cycle, c.score_milli, c.tie, kw_outcome_name(c.outcome), c.agreement,
                c.confidence, c.entropy_bits, kw_city_get(wq.city)->id, wr.obs.temp_c, wr.obs.humidity_pct,
                wr.obs.wind_kmh, wr.obs.precip_mm, s.score, f.final_milli, kw_outcome_name(f.outcome), f.c_ppm);
        /* settling: records learn from the final weather */
        for (int d = 0; d < KW_DAO_COUNT; d++)
            cr_assert_eq(kw_dao_record_update(&records[d], cycle, !votes[d].abstain,
                                              !votes[d].abstain && votes[d].prediction == f.outcome), 0);
    }
    for (int d = 0; d < KW_DAO_COUNT; d++)
        fprintf(out, "record %d %.17g %.17g %llu\n", d, records[d].correct, records[d].total,
                (unsigned long long)records[d].votes);
    kw_weather_close(&weather);
    kw_market_close(&market);
    fclose(out);
    return log;
}

Test(determinism, same_seeds_same_bytes_over_1000_cycles)
{
    size_t la, lb, lc, ld;
    char *a = run(1, 77, &la), *b = run(1, 77, &lb);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(a, b, la), 0, "the same seeds produced different cycles");
    char *c = run(2, 77, &lc), *d = run(1, 78, &ld);
    cr_assert(lc != la || memcmp(a, c, la) != 0, "the market seed changes nothing");
    cr_assert(ld != la || memcmp(a, d, la) != 0, "the entropy changes nothing");

    /* Both outcomes occur and every city is visited. */
    int good = 0, bad = 0, cities = 0;
    for (const char *p = a; (p = strstr(p, "final ")); p++) {
        const char *o = strchr(p + 6, ' ') + 1;
        good += strncmp(o, "GOOD", 4) == 0;
        bad += strncmp(o, "BAD", 3) == 0;
    }
    cr_assert_eq(good + bad, CYCLES);
    cr_assert(good > 50 && bad > 50, "GOOD %d BAD %d", good, bad);
    for (unsigned i = 0; i < KW_CITY_COUNT; i++) {
        char needle[48];
        snprintf(needle, sizeof needle, "city %s ", kw_city_get(i)->id);
        cities += strstr(a, needle) != NULL;
    }
    cr_assert_eq(cities, KW_CITY_COUNT);
    free(a);
    free(b);
    free(c);
    free(d);
}
