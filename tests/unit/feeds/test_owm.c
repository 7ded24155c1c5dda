/* The OpenWeatherMap provider against a stub HTTP server on 127.0.0.1 and an
 * ephemeral port, one connection per test. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/location.h"
#include "feeds/weather.h"

/* The documented shape of "current weather" with units=metric (abridged
 * only by values): https://openweathermap.org/current */
static const char tokyo_json[] =
    "{\"coord\":{\"lon\":139.6503,\"lat\":35.6762},"
    "\"weather\":[{\"id\":500,\"main\":\"Rain\",\"description\":\"light rain\",\"icon\":\"10d\"}],"
    "\"base\":\"stations\","
    "\"main\":{\"temp\":21.5,\"feels_like\":21.4,\"temp_min\":20.1,\"temp_max\":22.8,"
    "\"pressure\":1012,\"humidity\":64,\"sea_level\":1012,\"grnd_level\":1010},"
    "\"visibility\":10000,\"wind\":{\"speed\":2.5,\"deg\":200,\"gust\":4.1},"
    "\"rain\":{\"1h\":1.2},\"clouds\":{\"all\":75},\"dt\":1721001600,"
    "\"sys\":{\"type\":2,\"id\":268395,\"country\":\"JP\",\"sunrise\":1720985000,\"sunset\":1721036000},"
    "\"timezone\":32400,\"id\":1850147,\"name\":\"Tokyo\",\"cod\":200}";

typedef enum mode { OK, OK_DRY_SNOW, HTTP_500, MALFORMED, MISSING_FIELDS, HANG } mode;

typedef struct stub {
    int listen_fd;
    int port;
    mode mode;
    char request[4096];
    pthread_t thread;
} stub;

static void send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, int status, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n", status, status == 200 ? "OK" : "Internal Server Error",
                     strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

static void *serve(void *arg)
{
    stub *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    size_t len = 0;
    while (len < sizeof s->request - 1 && !strstr(s->request, "\r\n\r\n")) {
        ssize_t r = recv(fd, s->request + len, sizeof s->request - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        s->request[len] = 0;
    }
    switch (s->mode) {
    case OK:
        reply(fd, 200, tokyo_json);
        break;
    case OK_DRY_SNOW:
        reply(fd, 200, "{\"main\":{\"temp\":-2,\"humidity\":90},\"wind\":{\"speed\":0},\"snow\":{\"1h\":0.4}}");
        break;
    case HTTP_500:
        reply(fd, 500, "{\"cod\":500,\"message\":\"Internal error\"}");
        break;
    case MALFORMED:
        reply(fd, 200, "{\"main\":{\"temp\":21.5,\"humidity\":");
        break;
    case MISSING_FIELDS:
        reply(fd, 200, "{\"main\":{\"temp\":\"warm\",\"humidity\":64},\"wind\":{\"speed\":2.5}}");
        break;
    case HANG: {
        /* Say nothing until the client gives up and closes. */
        char sink[256];
        while (recv(fd, sink, sizeof sink, 0) > 0)
            ;
        break;
    }
    }
    close(fd);
    return NULL;
}

static void stub_start(stub *s, mode m)
{
    memset(s, 0, sizeof *s);
    s->mode = m;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(s->listen_fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(s->listen_fd, 4), 0);
    socklen_t al = sizeof a;
    cr_assert_eq(getsockname(s->listen_fd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
    cr_assert_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void stub_stop(stub *s)
{
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

static kw_weather_report observe_via(stub *s, const char *key, long timeout_ms)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/data/2.5/weather", s->port);
    kw_owm_options o = {.api_key = key, .url = url, .timeout_ms = timeout_ms};
    kw_weather_provider p;
    cr_assert_eq(kw_weather_owm_open(&o, &p, NULL), 0);
    cr_assert_str_eq(p.name, "owm");
    kw_weather_query q = {.city = 0, .timestamp = 1721001600, .cycle_id = 12};
    memset(q.entropy, 0x5a, sizeof q.entropy);
    kw_weather_report r;
    kw_err e;
    cr_assert_eq(p.observe(p.state, &q, &r, &e), 0);
    kw_weather_close(&p);
    return r;
}

static void expect_climate_fallback(const kw_weather_report *r, const char *why)
{
    cr_assert_str_eq(r->source, "climate");
    cr_assert(strstr(r->fallback, "OpenWeatherMap") && strstr(r->fallback, why), "%s", r->fallback);
    cr_assert_null(strstr(r->fallback, "s3cret"), "the key leaked: %s", r->fallback);
    kw_weather_query q = {.city = 0, .timestamp = 1721001600, .cycle_id = 12};
    memset(q.entropy, 0x5a, sizeof q.entropy);
    kw_weather_obs o;
    cr_assert_eq(kw_climate_model(&q, &o), 0);
    cr_assert_eq(memcmp(&o, &r->obs, sizeof o), 0);
}

Test(owm, reads_current_weather)
{
    stub s;
    stub_start(&s, OK);
    kw_weather_report r = observe_via(&s, "s3cret key&x", 5000);
    stub_stop(&s);
    cr_assert_str_eq(r.source, "owm");
    cr_assert_str_eq(r.fallback, "");
    cr_assert_float_eq(r.obs.temp_c, 21.5, 1e-9);
    cr_assert_float_eq(r.obs.humidity_pct, 64, 1e-9);
    cr_assert_float_eq(r.obs.wind_kmh, 9.0, 1e-9);    /* 2.5 m/s */
    cr_assert_float_eq(r.obs.precip_mm, 1.2, 1e-9);
    static const char line[] = "GET /data/2.5/weather?lat=35.6762&lon=139.6503&units=metric&appid=";
    cr_assert(strncmp(s.request, line, sizeof line - 1) == 0, "%s", s.request);
    cr_assert(strstr(s.request, "appid=s3cret%20key%26x "), "the key is URL-escaped: %s", s.request);
}

Test(owm, snow_counts_as_precipitation)
{
    stub s;
    stub_start(&s, OK_DRY_SNOW);
    kw_weather_report r = observe_via(&s, "s3cret", 5000);
    stub_stop(&s);
    cr_assert_str_eq(r.source, "owm");
    cr_assert_float_eq(r.obs.temp_c, -2, 1e-9);
    cr_assert_float_eq(r.obs.wind_kmh, 0, 1e-9);
    cr_assert_float_eq(r.obs.precip_mm, 0.4, 1e-9);
}

static void fallback_case(mode m, long timeout_ms, const char *why)
{
    stub s;
    stub_start(&s, m);
    kw_weather_report r = observe_via(&s, "s3cret", timeout_ms);
    stub_stop(&s);
    expect_climate_fallback(&r, why);
}

Test(owm, server_error_falls_back) { fallback_case(HTTP_500, 5000, "HTTP 500"); }
Test(owm, malformed_json_falls_back) { fallback_case(MALFORMED, 5000, "malformed JSON"); }
Test(owm, wrong_shape_falls_back) { fallback_case(MISSING_FIELDS, 5000, "lacks main.temp"); }
/* The stub never answers; 200 ms stands in for the production 10 s. */
Test(owm, timeout_falls_back) { fallback_case(HANG, 200, "Timeout"); }

Test(owm, unreachable_or_unconfigured_falls_back)
{
    /* A port that was just free and has no listener: connection refused. */
    stub s = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    s.port = ntohs(a.sin_port);
    close(fd);
    kw_weather_report r = observe_via(&s, "s3cret", 2000);
    expect_climate_fallback(&r, "request failed");

    r = observe_via(&s, "", 2000);
    expect_climate_fallback(&r, "OPENWEATHER_API_KEY is not set");
}

Test(owm, opened_from_settings)
{
    kw_config cfg;
    kw_err e;
    cr_assert_eq(kw_config_init(&cfg), 0);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_WEATHER_PROVIDER, "owm", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_OPENWEATHER_URL, "http://127.0.0.1:1/weather", KW_SRC_ENV, &e), 0);
    kw_weather_provider p;
    cr_assert_eq(kw_weather_open(&cfg, &p, &e), 0, "%s", e.msg);
    cr_assert_str_eq(p.name, "owm");
    kw_weather_query q = {.city = 3, .timestamp = 1721001600};
    kw_weather_report r;
    cr_assert_eq(p.observe(p.state, &q, &r, &e), 0);
    cr_assert_str_eq(r.source, "climate");
    cr_assert(strstr(r.fallback, "OPENWEATHER_API_KEY"), "%s", r.fallback);
    kw_weather_close(&p);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_OPENWEATHER_TIMEOUT_MS), 10000);
    kw_config_free(&cfg);
}

Test(owm, parser_reads_replies_without_a_server)
{
    kw_weather_obs o;
    char why[160] = "";
    cr_assert_eq(kw_weather_owm_parse(tokyo_json, strlen(tokyo_json), &o, why, sizeof why), 0, "%s", why);
    cr_assert_float_eq(o.temp_c, 21.5, 1e-9);
    cr_assert_float_eq(o.wind_kmh, 9.0, 1e-9);
    cr_assert_float_eq(o.precip_mm, 1.2, 1e-9);
    static const struct { const char *text, *why; } bad[] = {
        {"", "malformed JSON"},
        {"[1]", "not an object"},
        {"{\"main\":{\"temp\":20}}", "lacks main.temp"},
        {"{\"main\":{\"temp\":20,\"humidity\":60},\"wind\":{\"speed\":1},\"rain\":{\"1h\":\"x\"}}", "not a number"},
        {"{\"main\":{\"temp\":20,\"humidity\":160},\"wind\":{\"speed\":1}}", "implausible"},
        {"{\"main\":{\"temp\":1e308,\"humidity\":60},\"wind\":{\"speed\":1e308}}", "implausible"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        cr_assert_eq(kw_weather_owm_parse(bad[i].text, strlen(bad[i].text), &o, why, sizeof why), KW_EINVAL, "%s",
                     bad[i].text);
        cr_assert(strstr(why, bad[i].why), "%s: %s", bad[i].text, why);
    }
}
