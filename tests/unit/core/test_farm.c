#include <criterion/criterion.h>

#include "core/farm.h"

#define I(x) ((__int128)(x))

/* SPEC §2 / issue: mainnet block 95825. */
Test(farm, normalisation_of_block_95825)
{
    kw_farm_ranges r = {.min_gap = 2, .max_gap = 51, .min_stake = 0, .max_stake = 99384900,
                        .min_zeros = 5, .max_zeros = 9};
    __int128 n[3];
    cr_assert_eq(kw_farm_normalize(&r, 40, 0, 7, n), 0);
    cr_assert(n[0] == 77074004 && n[1] == 1 && n[2] == 49692450);
}

Test(farm, normalisation_clamps_and_floors_at_one)
{
    kw_farm_ranges r = {.min_gap = 2, .max_gap = 51, .min_stake = 0, .max_stake = 99384900,
                        .min_zeros = 5, .max_zeros = 9};
    __int128 n[3];
    cr_assert_eq(kw_farm_normalize(&r, 500, I(1) << 100, 64, n), 0);
    cr_assert(n[0] == 99384900 && n[1] == 99384900 && n[2] == 99384900, "clamped to max = S");
    cr_assert_eq(kw_farm_normalize(&r, 0, 0, 0, n), 0);
    cr_assert(n[0] == 1 && n[1] == 1 && n[2] == 1, "clamped to min, floored at 1");
    kw_farm_ranges empty = {0};
    cr_assert_eq(kw_farm_normalize(&empty, 9, 9, 9, n), 0);
    cr_assert(n[0] == 1 && n[1] == 1 && n[2] == 1, "zero ranges count as 1");
    kw_farm_ranges bad = r;
    bad.max_zeros = 4;
    cr_assert_eq(kw_farm_normalize(&bad, 1, 1, 1, n), KW_EINVAL);
    bad = r;
    bad.min_stake = 100000000;
    cr_assert_eq(kw_farm_normalize(&bad, 1, 1, 1, n), KW_EINVAL);
    bad = r;
    bad.min_gap = 52;
    cr_assert_eq(kw_farm_normalize(&bad, 1, 1, 1, n), KW_EINVAL);
}

Test(farm, emission_decays_by_iterated_floor)
{
    cr_assert(kw_farm_emission(0) == I(25050000000));
    cr_assert(kw_farm_emission(30558) == I(25050000000));
    cr_assert(kw_farm_emission(30558 + 8639) == I(25050000000));
    cr_assert(kw_farm_emission(30558 + 8640) == I(23797500000));
    cr_assert(kw_farm_emission(30558 + 2 * 8640) == I(22607625000));
    /* Thirty periods: the factor is floored after each step. */
    __int128 f = I(1000000000000);
    for (int i = 0; i < 30; i++)
        f = f * I(950000000000) / I(1000000000000);
    cr_assert(kw_farm_emission(30558 + 30 * 8640 + 17) == I(25050000000) * f / I(1000000000000));
    cr_assert(kw_farm_emission(UINT32_MAX) == 0, "the factor reaches zero and stays there");
}

Test(farm, mul_div_floor_is_exact_beyond_128_bits)
{
    __int128 q;
    cr_assert_eq(kw_farm_mul_div_floor(I(1) << 100, I(1) << 100, I(1) << 90, &q), 0);
    cr_assert(q == I(1) << 110);
    cr_assert_eq(kw_farm_mul_div_floor((I(1) << 100) + 7, (I(1) << 100) + 3, (I(1) << 100) + 1, &q), 0);
    /* (2^100 + 7)(2^100 + 3) = (2^100 + 1)(2^100 + 9) + 12 */
    cr_assert(q == (I(1) << 100) + 9);
    cr_assert_eq(kw_farm_mul_div_floor(I(1) << 120, I(1) << 120, 3, &q), KW_ERANGE);
    cr_assert_eq(kw_farm_mul_div_floor(I(1) << 64, I(1) << 63, 1, &q), KW_ERANGE);
    cr_assert_eq(kw_farm_mul_div_floor(-1, 1, 1, &q), KW_EINVAL);
    cr_assert_eq(kw_farm_mul_div_floor(1, 1, 0, &q), KW_EINVAL);
    uint64_t s = 7;
    for (int i = 0; i < 100000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        __int128 x = (__int128)(s >> 1), y = (__int128)(s >> 40) + 1, d = (__int128)(s >> 20) + 1;
        cr_assert_eq(kw_farm_mul_div_floor(x, y, d, &q), 0);
        cr_assert(q == x * y / d);
    }
}

Test(farm, reward_divides_by_at_least_one)
{
    __int128 r;
    cr_assert_eq(kw_farm_reward(3, 100, 20, 0, &r), 0);
    cr_assert(r == 360);
    cr_assert_eq(kw_farm_reward(3, 100, 20, 7, &r), 0);
    cr_assert(r == 51);
}
