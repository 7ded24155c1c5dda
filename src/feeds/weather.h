/*
 * weather — the observation that a cycle's final weather blends in (SPEC §7).
 *
 * A provider is a struct of function pointers plus an opaque state; the
 * engine knows only this interface. Two providers live here:
 *
 *   climate  (default) an embedded model: a pure function of city, time and
 *            the cycle's entropy. Seasons follow the hemisphere (southern
 *            cities are warm in January), the day follows local solar time,
 *            each city has its own normals (mean, seasonal swing, daily
 *            range, humidity, wind, wet season) and its values are clamped to
 *            a plausible range for that city.
 *   owm      OpenWeatherMap current weather over HTTPS (OPENWEATHER_API_KEY,
 *            OPENWEATHER_URL, OPENWEATHER_TIMEOUT_MS, 10 s by default). On any
 *            failure — no key, network error, timeout, HTTP status other than
 *            200, malformed or implausible JSON — it answers with the climate
 *            model instead and says why in the report (and logs a warning).
 *            The key is never logged or put into an error message.
 *
 * For a valid city, observe never fails with these two providers: a cycle
 * always gets a weather observation, and the report says where it came from.
 *
 * Thread-safety: a provider is used by one thread at a time; kw_climate_model
 * is pure and thread-safe. Open the owm provider before starting threads
 * (it initialises libcurl).
 */
#ifndef KW_FEEDS_WEATHER_H
#define KW_FEEDS_WEATHER_H

#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/suitability.h"

typedef struct kw_weather_query {
    unsigned city;           /* index of kw_city_get */
    int64_t timestamp;       /* unix seconds the observation is for */
    uint64_t cycle_id;
    uint8_t entropy[32];     /* entropy of the block where revealing starts */
} kw_weather_query;

typedef struct kw_weather_report {
    kw_weather_obs obs;
    char source[16];         /* who produced obs: "climate" or "owm" */
    char fallback[192];      /* why the configured provider was not used; "" when it was */
} kw_weather_report;

typedef struct kw_weather_provider {
    const char *name;        /* "climate", "owm" */
    void *state;
    int (*observe)(void *state, const kw_weather_query *q, kw_weather_report *out, kw_err *err);
    void (*close)(void *state);
} kw_weather_provider;

/* The climate model itself. KW_EINVAL for an unknown city. */
int kw_climate_model(const kw_weather_query *q, kw_weather_obs *out) KW_WUR;

int kw_weather_climate_open(kw_weather_provider *out, kw_err *err) KW_WUR;

typedef struct kw_owm_options {
    const char *api_key;     /* copied; the copy is wiped on close */
    const char *url;         /* endpoint, e.g. https://api.openweathermap.org/data/2.5/weather */
    long timeout_ms;         /* whole request, connection included */
} kw_owm_options;

/* GET url?lat=…&lon=…&units=metric&appid=KEY and read main.temp (°C),
 * main.humidity (%), wind.speed (m/s, × 3.6 → km/h) and rain.1h + snow.1h
 * (mm, absent = 0). KW_ENOMEM or KW_EIO (libcurl unusable). */
int kw_weather_owm_open(const kw_owm_options *o, kw_weather_provider *out, kw_err *err) KW_WUR;

/* Reads one OpenWeatherMap current-weather reply (the fields above) into
 * *out. KW_EINVAL with the reason in why (never the reply itself) when it is
 * not JSON, lacks a field or holds implausible values. Pure; thread-safe. */
int kw_weather_owm_parse(const char *text, size_t len, kw_weather_obs *out, char *why, size_t whylen) KW_WUR;

/* The provider named by WEATHER_PROVIDER with its settings. */
int kw_weather_open(const kw_config *cfg, kw_weather_provider *out, kw_err *err) KW_WUR;

/* Calls the provider's close and clears *p; NULL-safe, idempotent. */
void kw_weather_close(kw_weather_provider *p);

#endif
