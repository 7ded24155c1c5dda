#include <criterion/criterion.h>

#include "obs/clock.h"

Test(clock, manual_clock_moves_only_when_told)
{
    kw_manual_clock m;
    kw_manual_clock_init(&m, 1000);
    const kw_clock *c = &m.clock;
    cr_assert_eq(kw_clock_now_ms(c), 1000);
    kw_clock_sleep_ms(c, 250);
    kw_clock_sleep_ms(c, -5);
    cr_assert_eq(kw_clock_now_ms(c), 1250);
    cr_assert_eq(kw_clock_mono_ms(c), 1250);
    cr_assert_eq(m.slept, 250);
    kw_manual_clock_advance(&m, 50);
    cr_assert_eq(kw_clock_now_ms(c), 1300);
    cr_assert_eq(m.slept, 250);
}

Test(clock, system_clock_is_sane)
{
    const kw_clock *c = kw_clock_system();
    int64_t a = kw_clock_mono_ms(c);
    kw_clock_sleep_ms(c, 1);
    cr_assert_geq(kw_clock_mono_ms(c), a + 1);
    cr_assert_gt(kw_clock_now_ms(c), INT64_C(1700000000000));
}
