#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/location.h"
#include "feeds/weather.h"
#include "obs/log.h"

#define MAX_BODY (64 * 1024)

typedef struct owm {
    char *key;      /* wiped on close */
    char *url;
    long timeout_ms;
} owm;

typedef struct body {
    char buf[MAX_BODY];
    size_t len;
    int overflow;
} body;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    body *b = arg;
    size_t len = size * n;
    if (len > MAX_BODY - b->len) {
        b->overflow = 1;
        return 0;
    }
    memcpy(b->buf + b->len, p, len);
    b->len += len;
    return len;
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* The request URL; it holds the key, so the caller wipes it. */
static char *request_url(const owm *o, CURL *curl, const kw_city *c)
{
    char *key = curl_easy_escape(curl, o->key, 0);
    if (!key)
        return NULL;
    char *url = NULL;
    int n = asprintf(&url, "%s%clat=%.4f&lon=%.4f&units=metric&appid=%s", o->url,
                     strchr(o->url, '?') ? '&' : '?', c->lat, c->lon, key);
    explicit_bzero(key, strlen(key));
    curl_free(key);
    return n < 0 ? NULL : url;
}

static int number_at(json_t *root, const char *obj, const char *field, double *out)
{
    json_t *v = json_object_get(json_object_get(root, obj), field);
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

int kw_weather_owm_parse(const char *text, size_t len, kw_weather_obs *out, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root) {
        snprintf(why, whylen, "malformed JSON (%.100s)", jerr.text);
        return KW_EINVAL;
    }
    int rc = KW_EINVAL;
    double temp, humidity, wind_ms, rain = 0, snow = 0;
    if (!json_is_object(root))
        snprintf(why, whylen, "JSON is not an object");
    else if (number_at(root, "main", "temp", &temp) || number_at(root, "main", "humidity", &humidity) ||
             number_at(root, "wind", "speed", &wind_ms))
        snprintf(why, whylen, "response lacks main.temp, main.humidity or wind.speed");
    else if ((json_object_get(root, "rain") && json_object_get(json_object_get(root, "rain"), "1h") &&
              number_at(root, "rain", "1h", &rain)) ||
             (json_object_get(root, "snow") && json_object_get(json_object_get(root, "snow"), "1h") &&
              number_at(root, "snow", "1h", &snow)))
        snprintf(why, whylen, "rain.1h or snow.1h is not a number");
    else {
        kw_weather_obs o = {.temp_c = temp, .humidity_pct = humidity, .wind_kmh = wind_ms * 3.6,
                            .precip_mm = rain + snow};
        kw_suitability s;
        if (temp < -90 || temp > 60 || kw_suitability_score(&o, &s) != 0) {
            snprintf(why, whylen, "implausible values (temp %.1f, humidity %.1f, wind %.1f m/s, precipitation %.1f)",
                     temp, humidity, wind_ms, rain + snow);
        } else {
            *out = o;
            rc = 0;
        }
    }
    json_decref(root);
    return rc;
}

/* One request; fills why on failure. */
static int fetch(const owm *o, const kw_city *c, kw_weather_obs *out, char *why, size_t whylen)
{
    if (!*o->key) {
        snprintf(why, whylen, "OPENWEATHER_API_KEY is not set");
        return KW_EINVAL;
    }
    CURL *curl = curl_easy_init();
    body *b = calloc(1, sizeof *b);
    char *url = curl ? request_url(o, curl, c) : NULL;
    int rc = KW_EIO;
    if (!curl || !b || !url) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "kalewx/" KW_VERSION);
    CURLcode cc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (b->overflow)
        snprintf(why, whylen, "response larger than %d bytes", MAX_BODY);
    else if (cc != CURLE_OK)
        snprintf(why, whylen, "request failed: %s", curl_easy_strerror(cc));
    else if (status != 200)
        snprintf(why, whylen, "HTTP %ld", status);
    else
        rc = kw_weather_owm_parse(b->buf, b->len, out, why, whylen);
fail:
    wipe_free(url);
    free(b);
    if (curl)
        curl_easy_cleanup(curl);
    return rc;
}

static int owm_observe(void *state, const kw_weather_query *q, kw_weather_report *out, kw_err *err)
{
    const owm *o = state;
    const kw_city *c = kw_city_get(q->city);
    memset(out, 0, sizeof *out);
    if (!c)
        return kw_err_set(err, KW_EINVAL, "no city number %u", q->city);
    char why[160];
    if (fetch(o, c, &out->obs, why, sizeof why) == 0) {
        strcpy(out->source, "owm");
        return 0;
    }
    snprintf(out->fallback, sizeof out->fallback, "OpenWeatherMap: %s", why);
    KW_LOG(KW_LOG_WARN, "weather observation fell back to the climate model", KW_LS("city", c->id),
           KW_LS("reason", out->fallback));
    strcpy(out->source, "climate");
    if (kw_climate_model(q, &out->obs) != 0)
        return kw_err_set(err, KW_EINTERNAL, "climate model rejected city %u", q->city);
    return 0;
}

static void owm_close(void *state)
{
    owm *o = state;
    wipe_free(o->key);
    free(o->url);
    free(o);
    curl_global_cleanup();
}

int kw_weather_owm_open(const kw_owm_options *opt, kw_weather_provider *out, kw_err *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return kw_err_set(err, KW_EIO, "libcurl failed to initialise");
    owm *o = calloc(1, sizeof *o);
    if (!o || !(o->key = strdup(opt->api_key ? opt->api_key : "")) || !(o->url = strdup(opt->url))) {
        if (o) {
            wipe_free(o->key);
            free(o);
        }
        curl_global_cleanup();
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    o->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 10000;
    *out = (kw_weather_provider){.name = "owm", .state = o, .observe = owm_observe, .close = owm_close};
    return 0;
}
