#include "core/suitability.h"

#include <math.h>
#include <string.h>

static double component(double v, double lo, double hi, double tolerance)
{
    double distance = v < lo ? lo - v : v > hi ? v - hi : 0;
    return fmax(0.0, 100.0 - distance / tolerance * 100.0);
}

int kw_suitability_score(const kw_weather_obs *o, kw_suitability *out)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(o->temp_c) || !isfinite(o->humidity_pct) || !isfinite(o->wind_kmh) ||
        !isfinite(o->precip_mm) || o->humidity_pct < 0 || o->humidity_pct > 100 || o->wind_kmh < 0 ||
        o->precip_mm < 0)
        return KW_EINVAL;
    out->temp = component(o->temp_c, 18, 24, 5);
    out->humidity = component(o->humidity_pct, 60, 70, 10);
    out->wind = component(o->wind_kmh, 5, 15, 5);
    out->precip = component(o->precip_mm, 0.5, 5, 2);
    out->score = 0.40 * out->temp + 0.25 * out->humidity + 0.20 * out->wind + 0.15 * out->precip;
    return 0;
}
