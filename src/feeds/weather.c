#include "feeds/weather.h"

#include <string.h>

int kw_weather_open(const kw_config *cfg, kw_weather_provider *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(kw_config_str(cfg, KW_CFG_WEATHER_PROVIDER), "owm") == 0) {
        kw_owm_options o = {
            .api_key = kw_config_str(cfg, KW_CFG_OPENWEATHER_API_KEY),
            .url = kw_config_str(cfg, KW_CFG_OPENWEATHER_URL),
            .timeout_ms = (long)kw_config_int(cfg, KW_CFG_OPENWEATHER_TIMEOUT_MS),
        };
        return kw_weather_owm_open(&o, out, err);
    }
    return kw_weather_climate_open(out, err);
}

void kw_weather_close(kw_weather_provider *p)
{
    if (p && p->close)
        p->close(p->state);
    if (p)
        memset(p, 0, sizeof *p);
}
