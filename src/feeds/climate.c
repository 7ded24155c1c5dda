#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/location.h"
#include "core/prng.h"
#include "crypto/sha.h"
#include "feeds/weather.h"

/* Normals per city, in the order of the location table. Rain chances are per
 * observation hour in local summer and winter; humidity swings with the
 * season by hum_amp (negative: damper in winter). */
typedef struct normals {
    double t_mean, t_amp, t_day;    /* °C: annual mean, seasonal and daily half-swings */
    double t_lo, t_hi;              /* plausible range */
    double hum_mean, hum_amp;       /* % */
    double wind;                    /* typical km/h */
    double rain_summer, rain_winter;
    double rain_mm;                 /* mean of a rainy hour */
} normals;

static const normals cities[KW_CITY_COUNT] = {
    /* Tokyo */ {16.0, 10.5, 3.5, -5, 39, 65, 10, 12, 0.18, 0.06, 2.0},
    /* London */ {11.5, 7.0, 3.5, -10, 38, 76, -7, 15, 0.12, 0.17, 1.0},
    /* New York */ {13.0, 12.0, 4.0, -18, 40, 63, 5, 16, 0.10, 0.10, 2.0},
    /* Sydney */ {18.5, 4.5, 4.0, 2, 45, 68, 5, 17, 0.12, 0.09, 2.0},
    /* Mumbai */ {27.5, 2.0, 3.0, 12, 40, 75, 13, 11, 0.45, 0.01, 4.0},
    /* Paris */ {12.5, 8.0, 4.5, -12, 41, 75, -8, 13, 0.11, 0.14, 1.0},
    /* Singapore */ {27.5, 0.8, 3.0, 21, 36, 82, 3, 9, 0.20, 0.20, 3.0},
    /* São Paulo */ {20.0, 3.5, 5.0, 0, 37, 77, 6, 10, 0.20, 0.06, 3.0},
    /* Cairo */ {22.5, 7.0, 6.0, 1, 48, 55, -8, 13, 0.005, 0.02, 1.0},
    /* Mexico City */ {17.0, 3.0, 7.0, -2, 34, 55, 12, 9, 0.25, 0.03, 2.5},
};

#define TROPICAL_YEAR_DAYS 365.2425
#define WARMEST_DAY_NORTH 200.0   /* ≈ 19 July */

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static kw_prng noise_for(const kw_weather_query *q, const kw_city *c)
{
    static const char tag[] = "kalewx/climate";
    uint8_t cycle[8], ts[8], h[32];
    uint64_t cid = q->cycle_id, t = (uint64_t)q->timestamp;
    for (int i = 7; i >= 0; i--, cid >>= 8, t >>= 8) {
        cycle[i] = (uint8_t)cid;
        ts[i] = (uint8_t)t;
    }
    const kw_bytes parts[] = {{tag, sizeof tag - 1}, {q->entropy, 32}, {cycle, 8},
                              {c->id, strlen(c->id)}, {ts, 8}};
    kw_sha256_parts(parts, 5, h);
    uint64_t a = 0, b = 0;
    for (int i = 0; i < 8; i++) {
        a = a << 8 | h[i];
        b = b << 8 | h[8 + i];
    }
    return kw_prng_init(a, b);
}

int kw_climate_model(const kw_weather_query *q, kw_weather_obs *out)
{
    const kw_city *c = kw_city_get(q->city);
    if (!c)
        return KW_EINVAL;
    const normals *n = &cities[q->city];
    double days = (double)q->timestamp / 86400.0;
    double doy = fmod(days, TROPICAL_YEAR_DAYS);
    if (doy < 0)
        doy += TROPICAL_YEAR_DAYS;
    double warmest = WARMEST_DAY_NORTH + (c->hemisphere == KW_HEMISPHERE_SOUTH ? TROPICAL_YEAR_DAYS / 2 : 0);
    double season = cos(2 * M_PI * (doy - warmest) / TROPICAL_YEAR_DAYS);   /* +1 mid-summer */
    double solar_hour = fmod(fmod(days, 1.0) * 24.0 + c->lon / 15.0 + 48.0, 24.0);
    double daytime = cos(2 * M_PI * (solar_hour - 15.0) / 24.0);           /* +1 at 15:00 */

    kw_prng g = noise_for(q, c);
    double temp = n->t_mean + n->t_amp * season + n->t_day * daytime + 2.0 * kw_prng_normal(&g);
    double humidity = n->hum_mean + n->hum_amp * season - 8.0 * daytime + 6.0 * kw_prng_normal(&g);
    double wind = n->wind * exp(0.45 * kw_prng_normal(&g) - 0.1);
    double p_rain = n->rain_winter + (n->rain_summer - n->rain_winter) * (season + 1) / 2;
    double precip = 0;
    if (kw_prng_uniform(&g) < p_rain) {
        precip = -n->rain_mm * log(kw_prng_uniform(&g));
        humidity += 12.0;
    }
    out->temp_c = clamp(temp, n->t_lo, n->t_hi);
    out->humidity_pct = clamp(humidity, 8, 100);
    out->wind_kmh = clamp(wind, 0, 90);
    out->precip_mm = clamp(precip, 0, 60);
    return 0;
}

static int climate_observe(void *state, const kw_weather_query *q, kw_weather_report *out, kw_err *err)
{
    (void)state;
    memset(out, 0, sizeof *out);
    if (kw_climate_model(q, &out->obs) != 0)
        return kw_err_set(err, KW_EINVAL, "no city number %u", q->city);
    strcpy(out->source, "climate");
    return 0;
}

static void climate_close(void *state)
{
    (void)state;
}

int kw_weather_climate_open(kw_weather_provider *out, kw_err *err)
{
    (void)err;
    *out = (kw_weather_provider){.name = "climate", .observe = climate_observe, .close = climate_close};
    return 0;
}
