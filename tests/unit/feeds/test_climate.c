#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/location.h"
#include "core/prng.h"
#include "feeds/weather.h"

#define JAN_15_2024 1705276800    /* 00:00 UTC */
#define JUL_15_2024 1721001600
#define DAY 86400

static kw_weather_query query(unsigned city, int64_t t, uint64_t salt)
{
    kw_weather_query q = {.city = city, .timestamp = t, .cycle_id = salt};
    kw_prng g = kw_prng_init(salt, city);
    kw_prng_fill(&g, q.entropy, sizeof q.entropy);
    return q;
}

static kw_weather_obs model(const kw_weather_query *q)
{
    kw_weather_obs o;
    cr_assert_eq(kw_climate_model(q, &o), 0);
    return o;
}

/* Mean temperature over 30 days around t, all hours. */
static double mean_temp(unsigned city, int64_t mid)
{
    double sum = 0;
    int n = 0;
    for (int64_t t = mid - 15 * DAY; t < mid + 15 * DAY; t += 3600, n++) {
        kw_weather_query q = query(city, t, (uint64_t)t);
        sum += model(&q).temp_c;
    }
    return sum / n;
}

Test(climate, deterministic_from_city_time_and_entropy)
{
    kw_weather_query q = query(0, JAN_15_2024, 1);
    kw_weather_obs a = model(&q), b = model(&q);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    int changed = 0;
    for (int i = 0; i < 32; i++) {
        kw_weather_query q2 = q;
        q2.entropy[i] ^= 1;
        kw_weather_obs c = model(&q2);
        changed += memcmp(&a, &c, sizeof a) != 0;
    }
    cr_assert_eq(changed, 32);
    kw_weather_query other = q;
    other.city = 1;
    kw_weather_obs c = model(&other);
    cr_assert_neq(memcmp(&a, &c, sizeof a), 0);
    other = q;
    other.city = KW_CITY_COUNT;
    cr_assert_eq(kw_climate_model(&other, &c), KW_EINVAL);
}

Test(climate, seasons_follow_the_hemisphere)
{
    static const char *const north[] = {"tokyo", "london", "new-york", "paris", "cairo"};
    for (size_t i = 0; i < sizeof north / sizeof north[0]; i++) {
        unsigned c;
        cr_assert_eq(kw_city_parse(north[i], &c), 0);
        double jan = mean_temp(c, JAN_15_2024), jul = mean_temp(c, JUL_15_2024);
        cr_assert(jul > jan + 8, "%s: January %.1f, July %.1f", north[i], jan, jul);
    }
    unsigned syd, sp, sg;
    cr_assert_eq(kw_city_parse("sydney", &syd), 0);
    cr_assert_eq(kw_city_parse("sao-paulo", &sp), 0);
    cr_assert_eq(kw_city_parse("singapore", &sg), 0);
    cr_assert(mean_temp(syd, JAN_15_2024) > mean_temp(syd, JUL_15_2024) + 5);
    cr_assert(mean_temp(sp, JAN_15_2024) > mean_temp(sp, JUL_15_2024) + 4);
    cr_assert(fabs(mean_temp(sg, JAN_15_2024) - mean_temp(sg, JUL_15_2024)) < 3);
}

Test(climate, afternoons_are_warmer_than_nights)
{
    unsigned london;
    cr_assert_eq(kw_city_parse("london", &london), 0);
    double day = 0, night = 0;
    for (int d = 0; d < 60; d++) {
        int64_t midnight = JUL_15_2024 + (int64_t)d * DAY;
        kw_weather_query q = query(london, midnight + 15 * 3600, (uint64_t)d);
        day += model(&q).temp_c;
        q = query(london, midnight + 4 * 3600, (uint64_t)d);
        night += model(&q).temp_c;
    }
    cr_assert(day > night + 3 * 60, "day %.1f night %.1f", day / 60, night / 60);
}

Test(climate, plausible_ranges_per_city)
{
    static const struct { const char *id; double t_lo, t_hi, rain_lo, rain_hi; } want[] = {
        {"tokyo", -5, 39, 0.05, 0.25}, {"london", -10, 38, 0.08, 0.25}, {"new-york", -18, 40, 0.05, 0.2},
        {"sydney", 2, 45, 0.05, 0.2}, {"mumbai", 12, 40, 0.1, 0.35}, {"paris", -12, 41, 0.05, 0.25},
        {"singapore", 21, 36, 0.1, 0.3}, {"sao-paulo", 0, 37, 0.05, 0.25}, {"cairo", 1, 48, 0.0, 0.03},
        {"mexico-city", -2, 34, 0.05, 0.25},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        unsigned c;
        cr_assert_eq(kw_city_parse(want[i].id, &c), 0);
        int rainy = 0, n = 0;
        for (int64_t t = JAN_15_2024; t < JAN_15_2024 + 365 * DAY; t += 5 * 3600 + 17, n++) {
            kw_weather_query q = query(c, t, (uint64_t)n);
            kw_weather_obs o = model(&q);
            cr_assert(o.temp_c >= want[i].t_lo && o.temp_c <= want[i].t_hi, "%s %.1f", want[i].id, o.temp_c);
            cr_assert(o.humidity_pct >= 8 && o.humidity_pct <= 100);
            cr_assert(o.wind_kmh >= 0 && o.wind_kmh <= 90);
            cr_assert(o.precip_mm >= 0 && o.precip_mm <= 60);
            kw_suitability s;
            cr_assert_eq(kw_suitability_score(&o, &s), 0);
            rainy += o.precip_mm > 0;
        }
        double share = (double)rainy / n;
        cr_assert(share >= want[i].rain_lo && share <= want[i].rain_hi, "%s rains %.3f of hours", want[i].id,
                  share);
    }
}

Test(climate, provider_reports_its_source)
{
    kw_weather_provider p;
    cr_assert_eq(kw_weather_climate_open(&p, NULL), 0);
    kw_weather_query q = query(4, JUL_15_2024, 9);
    kw_weather_report r;
    cr_assert_eq(p.observe(p.state, &q, &r, NULL), 0);
    cr_assert_str_eq(r.source, "climate");
    cr_assert_str_eq(r.fallback, "");
    kw_weather_obs o = model(&q);
    cr_assert_eq(memcmp(&o, &r.obs, sizeof o), 0);
    kw_weather_close(&p);

    kw_config cfg;
    cr_assert_eq(kw_config_init(&cfg), 0);
    cr_assert_eq(kw_weather_open(&cfg, &p, NULL), 0);
    cr_assert_str_eq(p.name, "climate");
    kw_weather_close(&p);
    kw_weather_close(&p);
    kw_config_free(&cfg);
}
