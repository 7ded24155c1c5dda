#include "core/farm.h"

typedef unsigned __int128 u128;

/* hi:lo = a · b. */
static void mul_wide(u128 a, u128 b, u128 *hi, u128 *lo)
{
    const u128 m = UINT64_MAX;
    u128 a0 = a & m, a1 = a >> 64, b0 = b & m, b1 = b >> 64;
    u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    u128 mid = (p00 >> 64) + (p01 & m) + (p10 & m);
    *lo = (p00 & m) | (mid << 64);
    *hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

int kw_farm_mul_div_floor(__int128 x, __int128 y, __int128 d, __int128 *out)
{
    if (x < 0 || y < 0 || d <= 0)
        return KW_EINVAL;
    u128 hi, lo, ud = (u128)d;
    mul_wide((u128)x, (u128)y, &hi, &lo);
    if (hi >= ud)
        return KW_ERANGE;
    /* Restoring division of hi:lo by d; hi < d keeps the quotient in 128 bits. */
    u128 rem = hi, q = 0;
    for (int i = 127; i >= 0; i--) {
        int carry = (int)(rem >> 127);
        rem = rem << 1 | ((lo >> i) & 1);
        q <<= 1;
        if (carry || rem >= ud) {
            rem -= ud;
            q |= 1;
        }
    }
    if (q > (u128)(((u128)1 << 127) - 1))
        return KW_ERANGE;
    *out = (__int128)q;
    return 0;
}

static __int128 clamp(__int128 v, __int128 lo, __int128 hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int kw_farm_normalize(const kw_farm_ranges *r, uint32_t gap, __int128 stake, uint32_t zeros,
                      __int128 out[3])
{
    if (r->max_gap < r->min_gap || r->max_stake < r->min_stake || r->max_zeros < r->min_zeros)
        return KW_EINVAL;
    __int128 lo[3] = {r->min_gap, r->min_stake, r->min_zeros};
    __int128 hi[3] = {r->max_gap, r->max_stake, r->max_zeros};
    __int128 v[3] = {gap, stake, zeros};
    __int128 range[3], scale = 1;
    for (int i = 0; i < 3; i++) {
        range[i] = hi[i] - lo[i] < 1 ? 1 : hi[i] - lo[i];
        scale = range[i] > scale ? range[i] : scale;
    }
    for (int i = 0; i < 3; i++) {
        int rc = kw_farm_mul_div_floor(clamp(v[i], lo[i], hi[i]) - lo[i], scale, range[i], &out[i]);
        if (rc)
            return rc;
        if (out[i] < 1)
            out[i] = 1;
    }
    return 0;
}

__int128 kw_farm_emission(uint32_t index)
{
    uint32_t periods = index > KW_FARM_DECAY_GENESIS
                           ? (index - KW_FARM_DECAY_GENESIS) / KW_FARM_DECAY_PERIOD : 0;
    __int128 factor = KW_FARM_SCALE;
    /* Once the factor floors to zero it stays there. */
    for (uint32_t p = 0; p < periods && factor > 0; p++)
        factor = factor * KW_FARM_DECAY_KEEP / KW_FARM_SCALE;
    return KW_FARM_BLOCK_REWARD * factor / KW_FARM_SCALE;
}

int kw_farm_reward(__int128 score, __int128 emission, __int128 staked_total,
                   __int128 normalized_total, __int128 *out)
{
    return kw_farm_mul_div_floor(score, emission + staked_total,
                                 normalized_total < 1 ? 1 : normalized_total, out);
}
