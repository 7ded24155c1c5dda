#include <criterion/criterion.h>
#include <math.h>

#include "core/suitability.h"

static kw_suitability score(double t, double h, double w, double p)
{
    kw_weather_obs o = {t, h, w, p};
    kw_suitability s;
    cr_assert_eq(kw_suitability_score(&o, &s), 0);
    return s;
}

Test(suitability, each_component_at_and_past_its_edges)
{
    static const struct { double v, want; } temp[] = {
        {18, 100}, {24, 100}, {21, 100}, {17.999, 99.98}, {24.001, 99.98}, {15.5, 50}, {26.5, 50},
        {13, 0}, {29, 0}, {-10, 0}, {45, 0}, {16, 60},
    };
    for (size_t i = 0; i < sizeof temp / sizeof temp[0]; i++)
        cr_assert_float_eq(score(temp[i].v, 65, 10, 2).temp, temp[i].want, 1e-9, "temp %g", temp[i].v);
    static const struct { double v, want; } hum[] = {
        {60, 100}, {70, 100}, {59, 90}, {71, 90}, {55, 50}, {75, 50}, {50, 0}, {80, 0}, {0, 0}, {100, 0},
    };
    for (size_t i = 0; i < sizeof hum / sizeof hum[0]; i++)
        cr_assert_float_eq(score(21, hum[i].v, 10, 2).humidity, hum[i].want, 1e-9, "humidity %g", hum[i].v);
    static const struct { double v, want; } wind[] = {
        {5, 100}, {15, 100}, {4, 80}, {16, 80}, {2.5, 50}, {17.5, 50}, {0, 0}, {20, 0}, {60, 0},
    };
    for (size_t i = 0; i < sizeof wind / sizeof wind[0]; i++)
        cr_assert_float_eq(score(21, 65, wind[i].v, 2).wind, wind[i].want, 1e-9, "wind %g", wind[i].v);
    static const struct { double v, want; } rain[] = {
        {0.5, 100}, {5, 100}, {0, 75}, {0.25, 87.5}, {6, 50}, {7, 0}, {5.5, 75}, {30, 0},
    };
    for (size_t i = 0; i < sizeof rain / sizeof rain[0]; i++)
        cr_assert_float_eq(score(21, 65, 10, rain[i].v).precip, rain[i].want, 1e-9, "precip %g", rain[i].v);
}

Test(suitability, weighted_total)
{
    static const struct { double t, h, w, p, want; } rows[] = {
        {21, 65, 10, 2, 100},            /* ideal */
        {18, 60, 5, 0.5, 100},           /* every lower edge */
        {24, 70, 15, 5, 100},            /* every upper edge */
        {13, 50, 0, 7, 0},               /* every component just at zero */
        {15.5, 65, 10, 2, 80},           /* temp 50 → 0.4·50 + 60 */
        {21, 55, 10, 2, 87.5},           /* humidity 50 */
        {21, 65, 20, 2, 80},             /* wind 0 */
        {21, 65, 10, 0, 96.25},          /* dry hour: precipitation 75 */
        {30, 90, 40, 0, 11.25},          /* hot, sticky, windy, dry: only rain scores */
        {16, 59, 4, 6, 0.4 * 60 + 0.25 * 90 + 0.2 * 80 + 0.15 * 50},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        kw_suitability s = score(rows[i].t, rows[i].h, rows[i].w, rows[i].p);
        cr_assert_float_eq(s.score, rows[i].want, 1e-9, "row %zu: %f", i, s.score);
    }
}

Test(suitability, rejects_nonsense)
{
    kw_suitability s;
    kw_weather_obs bad[] = {
        {NAN, 65, 10, 1}, {21, INFINITY, 10, 1}, {21, 101, 10, 1}, {21, -1, 10, 1},
        {21, 65, -0.1, 1}, {21, 65, 10, -0.5}, {21, 65, 10, NAN},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(kw_suitability_score(&bad[i], &s), KW_EINVAL, "row %zu", i);
}
