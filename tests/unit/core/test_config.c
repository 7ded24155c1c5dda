#include <criterion/criterion.h>
#include <string.h>

#include "core/config.h"

static kw_config cfg;

static void setup(void) { cr_assert_eq(kw_config_init(&cfg), 0); }
static void teardown(void) { kw_config_free(&cfg); }

TestSuite(config, .init = setup, .fini = teardown);

Test(config, defaults)
{
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_PORT), 3000);
    cr_assert_str_eq(kw_config_str(&cfg, KW_CFG_BIND), "127.0.0.1");
    cr_assert_str_eq(kw_config_str(&cfg, KW_CFG_KALEWX_DATA_DIR), "./data");
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_DEVNET_BLOCK_SECONDS), 20);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_DEVNET_LEDGER_MS), 1000);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_DEVNET_RESERVE), INT64_C(1000000) * 10000000);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_WAGER_FEE_BPS), 100);
    cr_assert_not(kw_config_is_set(&cfg, KW_CFG_PORT));
    cr_assert_eq(kw_config_validate(&cfg, NULL), 0);
}

Test(config, precedence_is_flag_env_file_default_whatever_the_order)
{
    char *envp[] = {"PORT=4000", "UNRELATED=1", NULL};
    char a0[] = "kalewx", a1[] = "--port", a2[] = "5000", a3[] = "serve";
    char *argv[] = {a0, a1, a2, a3, NULL};
    int argc = 4;
    kw_err e;
    cr_assert_eq(kw_config_load_args(&cfg, &argc, argv, &e), 0);
    cr_assert_eq(kw_config_load_env(&cfg, envp, &e), 0);
    cr_assert_eq(kw_config_load_text(&cfg, "PORT=6000\nBIND=0.0.0.0\n", "f", &e), 0);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_PORT), 5000);
    cr_assert_str_eq(kw_config_str(&cfg, KW_CFG_BIND), "0.0.0.0");
    cr_assert_eq(argc, 2);
    cr_assert_str_eq(argv[1], "serve");
    cr_assert_null(argv[2]);

    kw_config c2;
    cr_assert_eq(kw_config_init(&c2), 0);
    cr_assert_eq(kw_config_load_text(&c2, "PORT=6000", "f", &e), 0);
    cr_assert_eq(kw_config_load_env(&c2, envp, &e), 0);
    cr_assert_eq(kw_config_int(&c2, KW_CFG_PORT), 4000);
    kw_config_free(&c2);
}

Test(config, file_syntax)
{
    kw_err e;
    const char *text = "# comment\n\n  export CYCLE_LENGTH = 12 \nPLANTING_BLOCKS=\"8\"\r\n"
                       "KALEWX_DATA_DIR='/tmp/a b'\nLOG_LEVEL=debug";
    cr_assert_eq(kw_config_load_text(&cfg, text, "kalewx.env", &e), 0, "%s", e.msg);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_CYCLE_LENGTH), 12);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_PLANTING_BLOCKS), 8);
    cr_assert_str_eq(kw_config_str(&cfg, KW_CFG_KALEWX_DATA_DIR), "/tmp/a b");
    cr_assert_str_eq(kw_config_str(&cfg, KW_CFG_LOG_LEVEL), "debug");
    cr_assert_eq(kw_config_validate(&cfg, &e), 0, "%s", e.msg);
}

Test(config, unknown_keys_in_a_file_are_errors_with_line)
{
    kw_err e;
    cr_assert_eq(kw_config_load_text(&cfg, "PORT=1\n\nPROT=2\n", "my.env", &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "my.env:3") && strstr(e.msg, "PROT"), "%s", e.msg);
    cr_assert_eq(kw_config_load_text(&cfg, "JUSTAWORD\n", "my.env", &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "my.env:1"), "%s", e.msg);
}

Test(config, bad_values_name_the_setting)
{
    kw_err e;
    struct { const char *k, *v; } bad[] = {
        {"PORT", "0"}, {"PORT", "65536"}, {"PORT", "80a"}, {"PORT", ""}, {"PORT", "1e3"},
        {"KALEWX_CHAIN", "moon"}, {"KALEWX_CHAIN", ""}, {"TRUST_PROXY", "maybe"},
        {"DEVNET_FAULT_RATE", "1.5"}, {"DEVNET_FAULT_RATE", "-0.1"}, {"DEVNET_FAULT_RATE", "0.1234567"},
        {"DEVNET_RESERVE", "-5"}, {"DEVNET_RESERVE", "1.00000001"}, {"CYCLE_LENGTH", "3"},
        {"DB_POOL_SIZE", "99999999999999999999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kw_config_key k;
        cr_assert_eq(kw_config_lookup(bad[i].k, &k), 0);
        cr_assert_eq(kw_config_set(&cfg, k, bad[i].v, KW_SRC_ENV, &e), KW_EINVAL, "%s=%s", bad[i].k, bad[i].v);
        cr_assert(strstr(e.msg, bad[i].k), "%s", e.msg);
    }
}

Test(config, typed_values)
{
    kw_err e;
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_DEVNET_FAULT_RATE, "0.2", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_DEVNET_FAULT_RATE), 200000);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_DEVNET_FAULT_RATE, "1", KW_SRC_FLAG, &e), 0);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_DEVNET_FAULT_RATE), 1000000);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_TRUST_PROXY, "yes", KW_SRC_ENV, &e), 0);
    cr_assert(kw_config_bool(&cfg, KW_CFG_TRUST_PROXY));
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_KALEWX_CHAIN, "mainnet", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_KALEWX_CHAIN), 2);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_DEVNET_RESERVE, "2.5", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_DEVNET_RESERVE), 25000000);
}

Test(config, phase_sum_checked_across_settings)
{
    kw_err e;
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_PLANTING_BLOCKS, "7", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_validate(&cfg, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "CYCLE_LENGTH"), "%s", e.msg);
    cr_assert_eq(kw_config_set(&cfg, KW_CFG_CYCLE_LENGTH, "11", KW_SRC_ENV, &e), 0);
    cr_assert_eq(kw_config_validate(&cfg, &e), 0);
}

Test(config, flags)
{
    char a0[] = "kalewx", a1[] = "--cycle-length=12", a2[] = "--planting-blocks", a3[] = "8",
         a4[] = "--json", a5[] = "--port";
    char *argv[] = {a0, a1, a2, a3, a4, NULL};
    int argc = 5;
    kw_err e;
    cr_assert_eq(kw_config_load_args(&cfg, &argc, argv, &e), 0, "%s", e.msg);
    cr_assert_eq(argc, 2);
    cr_assert_str_eq(argv[1], "--json");
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_CYCLE_LENGTH), 12);
    cr_assert_eq(kw_config_int(&cfg, KW_CFG_PLANTING_BLOCKS), 8);
    char *argv2[] = {a0, a5, NULL};
    argc = 2;
    cr_assert_eq(kw_config_load_args(&cfg, &argc, argv2, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "--port"), "%s", e.msg);
}

Test(config, describe_every_setting)
{
    for (int i = 0; i < KW_CFG_COUNT; i++) {
        const kw_config_info *in = kw_config_describe((kw_config_key)i);
        cr_assert(in && in->name && in->help && in->flag && in->flag[0] == '-');
        kw_config_key back;
        cr_assert_eq(kw_config_lookup(in->name, &back), 0);
        cr_assert_eq(back, i);
    }
    cr_assert_str_eq(kw_config_describe(KW_CFG_DEVNET_BLOCK_SECONDS)->flag, "--devnet-block-seconds");
    cr_assert(kw_config_describe(KW_CFG_JWT_SECRET)->secret);
    cr_assert(kw_config_describe(KW_CFG_KALEWX_MASTER_KEY)->secret);
}
