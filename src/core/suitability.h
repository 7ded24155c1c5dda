/*
 * suitability — how good a weather observation is for growing kale, 0–100
 * (SPEC §7):
 *
 *   score = 0.40·temp + 0.25·humidity + 0.20·wind + 0.15·precipitation
 *
 * Each component is 100 inside its optimal range (edges included) and
 * max(0, 100 − distance / tolerance · 100) outside, where distance is how far
 * the value lies from the nearer edge:
 *
 *   temperature    18–24 °C     tolerance 5
 *   humidity       60–70 %      tolerance 10
 *   wind           5–15 km/h    tolerance 5
 *   precipitation  0.5–5 mm     tolerance 2
 *
 * Doubles: an agronomic score, not money; the consensus rounds it to 3
 * decimals before it weighs in (consensus.h).
 *
 * Pure; thread-safe.
 */
#ifndef KW_CORE_SUITABILITY_H
#define KW_CORE_SUITABILITY_H

#include "core/err.h"

/* One observation, in the units above; precipitation is over the last hour. */
typedef struct kw_weather_obs {
    double temp_c;
    double humidity_pct;
    double wind_kmh;
    double precip_mm;
} kw_weather_obs;

typedef struct kw_suitability {
    double temp, humidity, wind, precip;   /* components, 0–100 */
    double score;                          /* weighted sum, 0–100 */
} kw_suitability;

/* KW_EINVAL when a value is not finite, humidity is outside 0–100, or wind
 * or precipitation is negative. */
int kw_suitability_score(const kw_weather_obs *o, kw_suitability *out) KW_WUR;

#endif
