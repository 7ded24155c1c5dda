/* libFuzzer target: OpenWeatherMap current-weather replies
 * (kw_weather_owm_parse). An accepted reply must give an observation that the
 * suitability score accepts; a refused one must say why. */
#include <stdint.h>
#include <stdlib.h>

#include "feeds/weather.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kw_weather_obs o;
    kw_suitability s;
    char why[160] = "";
    if (kw_weather_owm_parse((const char *)data, n, &o, why, sizeof why) == 0) {
        if (kw_suitability_score(&o, &s) != 0 || s.score < 0 || s.score > 100)
            abort();
    } else if (!why[0]) {
        abort();
    }
    return 0;
}
