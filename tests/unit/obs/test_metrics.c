#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/metrics.h"

static kw_metrics *reg;

static void setup(void) { cr_assert_eq(kw_metrics_new(&reg), 0); }
static void teardown(void) { kw_metrics_free(reg); }

static char *render(void)
{
    char *out = NULL;
    size_t len = 0;
    cr_assert_eq(kw_metrics_render(reg, &out, &len), 0);
    cr_assert_eq(strlen(out), len);
    return out;
}

static kw_metrics_family *add(const kw_metrics_def *def)
{
    kw_metrics_family *f = NULL;
    kw_err e = {0};
    cr_assert_eq(kw_metrics_register(reg, def, &f, &e), 0, "%s", e.msg);
    return f;
}

TestSuite(metrics, .init = setup, .fini = teardown);

Test(metrics, counter_text_format)
{
    kw_metrics_family *f = add(&(kw_metrics_def){"kale_user_actions_total", "User actions",
                                                  KW_METRICS_COUNTER, "action_type,status", 0, NULL, 0});
    kw_metrics_inc(KW_METRICS_SERIES(f, "wager", "accepted"), 2);
    kw_metrics_inc(KW_METRICS_SERIES(f, "wager", "accepted"), 3);
    kw_metrics_inc(KW_METRICS_SERIES(f, "stay", "rejected"), 1);
    kw_metrics_inc(KW_METRICS_SERIES(f, "stay", "rejected"), -5);
    char *out = render();
    cr_assert_str_eq(out, "# HELP kale_user_actions_total User actions\n"
                          "# TYPE kale_user_actions_total counter\n"
                          "kale_user_actions_total{action_type=\"wager\",status=\"accepted\"} 5\n"
                          "kale_user_actions_total{action_type=\"stay\",status=\"rejected\"} 1\n");
    free(out);
}

Test(metrics, unlabelled_families_render_zero_at_once)
{
    add(&(kw_metrics_def){"a_total", "A", KW_METRICS_COUNTER, NULL, 0, NULL, 0});
    add(&(kw_metrics_def){"b", "B", KW_METRICS_GAUGE, "", 0, NULL, 0});
    add(&(kw_metrics_def){"c", "C", KW_METRICS_COUNTER, "kind", 0, NULL, 0});
    char *out = render();
    cr_assert_str_eq(out, "# HELP a_total A\n# TYPE a_total counter\na_total 0\n"
                          "# HELP b B\n# TYPE b gauge\nb 0\n"
                          "# HELP c C\n# TYPE c counter\n");
    free(out);
}

Test(metrics, amounts_print_as_exact_kale)
{
    kw_metrics_family *f = add(&(kw_metrics_def){"kale_rewards_distributed_kale", "KALE",
                                                  KW_METRICS_COUNTER, "type", 7, NULL, 0});
    kw_metrics_inc(KW_METRICS_SERIES(f, "plant"), 125000000);
    kw_metrics_inc(KW_METRICS_SERIES(f, "store"), 1);
    kw_metrics_inc(KW_METRICS_SERIES(f, "wager"), INT64_C(9223372036854775807));
    char *out = render();
    cr_assert(strstr(out, "kale_rewards_distributed_kale{type=\"plant\"} 12.5000000\n"), "%s", out);
    cr_assert(strstr(out, "kale_rewards_distributed_kale{type=\"store\"} 0.0000001\n"), "%s", out);
    cr_assert(strstr(out, "kale_rewards_distributed_kale{type=\"wager\"} 922337203685.4775807\n"), "%s", out);
    free(out);
}

Test(metrics, gauges_set_add_and_format_doubles)
{
    kw_metrics_family *f = add(&(kw_metrics_def){"g", "G", KW_METRICS_GAUGE, "k", 0, NULL, 0});
    kw_metrics_set(KW_METRICS_SERIES(f, "a"), 0.1);
    kw_metrics_add(KW_METRICS_SERIES(f, "a"), 0.2);
    kw_metrics_set(KW_METRICS_SERIES(f, "b"), 1e21);
    kw_metrics_set(KW_METRICS_SERIES(f, "c"), -3);
    kw_metrics_set(KW_METRICS_SERIES(f, "d"), 1.0 / 0.0);
    cr_assert_float_eq(kw_metrics_gauge_value(KW_METRICS_SERIES(f, "c")), -3, 0);
    char *out = render();
    /* 0.1 + 0.2 needs 17 digits to read back exactly. */
    cr_assert(strstr(out, "g{k=\"a\"} 0.30000000000000004\n"), "%s", out);
    cr_assert(strstr(out, "g{k=\"b\"} 1e+21\n"), "%s", out);
    cr_assert(strstr(out, "g{k=\"c\"} -3\n"), "%s", out);
    cr_assert(strstr(out, "g{k=\"d\"} +Inf\n"), "%s", out);
    free(out);
}

Test(metrics, histogram_buckets_are_cumulative)
{
    static const double b[] = {0.005, 0.1, 1};
    kw_metrics_family *f = add(&(kw_metrics_def){"kale_api_request_duration_seconds", "Latency",
                                                  KW_METRICS_HISTOGRAM, "route", 0, b, 3});
    kw_metrics_series *s = KW_METRICS_SERIES(f, "/health");
    kw_metrics_observe(s, 0.001);
    kw_metrics_observe(s, 0.005); /* on a bound: counted in that bucket (le) */
    kw_metrics_observe(s, 0.5);
    kw_metrics_observe(s, 7);
    char *out = render();
    cr_assert_str_eq(out,
                     "# HELP kale_api_request_duration_seconds Latency\n"
                     "# TYPE kale_api_request_duration_seconds histogram\n"
                     "kale_api_request_duration_seconds_bucket{route=\"/health\",le=\"0.005\"} 2\n"
                     "kale_api_request_duration_seconds_bucket{route=\"/health\",le=\"0.1\"} 2\n"
                     "kale_api_request_duration_seconds_bucket{route=\"/health\",le=\"1\"} 3\n"
                     "kale_api_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 4\n"
                     "kale_api_request_duration_seconds_sum{route=\"/health\"} 7.506\n"
                     "kale_api_request_duration_seconds_count{route=\"/health\"} 4\n");
    free(out);
}

Test(metrics, unlabelled_histogram_has_only_le)
{
    static const double b[] = {1};
    add(&(kw_metrics_def){"h", "H", KW_METRICS_HISTOGRAM, NULL, 0, b, 1});
    char *out = render();
    cr_assert(strstr(out, "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n"), "%s", out);
    free(out);
}

Test(metrics, label_values_and_help_are_escaped)
{
    kw_metrics_family *f = add(&(kw_metrics_def){"e_total", "line\\one\nline two \"q\"", KW_METRICS_COUNTER,
                                                  "v", 0, NULL, 0});
    kw_metrics_inc(KW_METRICS_SERIES(f, "a\"b\\c\nd"), 1);
    kw_metrics_inc(KW_METRICS_SERIES(f, NULL), 1);
    char *out = render();
    cr_assert(strstr(out, "# HELP e_total line\\\\one\\nline two \"q\"\n"), "%s", out);
    cr_assert(strstr(out, "e_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"), "%s", out);
    cr_assert(strstr(out, "e_total{v=\"\"} 1\n"), "%s", out);
    free(out);
}

Test(metrics, bad_definitions_are_refused)
{
    static const double down[] = {1, 0.5};
    static const double one[] = {1};
    const kw_metrics_def bad[] = {
        {"9lives", "", KW_METRICS_COUNTER, NULL, 0, NULL, 0},
        {"has-dash", "", KW_METRICS_COUNTER, NULL, 0, NULL, 0},
        {"ok", "", KW_METRICS_COUNTER, "a,a", 0, NULL, 0},
        {"ok", "", KW_METRICS_COUNTER, "__x", 0, NULL, 0},
        {"ok", "", KW_METRICS_COUNTER, "a,", 0, NULL, 0},
        {"ok", "", KW_METRICS_COUNTER, "a,b,c,d,e", 0, NULL, 0},
        {"ok", "", KW_METRICS_HISTOGRAM, "le", 0, one, 1},
        {"ok", "", KW_METRICS_HISTOGRAM, NULL, 0, down, 2},
        {"ok", "", KW_METRICS_HISTOGRAM, NULL, 0, NULL, 0},
        {"ok", "", KW_METRICS_COUNTER, NULL, 10, NULL, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kw_err e = {0};
        cr_assert_eq(kw_metrics_register(reg, &bad[i], NULL, &e), KW_EINVAL, "case %zu accepted", i);
        cr_assert(e.msg[0], "case %zu has no message", i);
    }
    add(&(kw_metrics_def){"ok", "", KW_METRICS_COUNTER, NULL, 0, NULL, 0});
    kw_err e = {0};
    cr_assert_eq(kw_metrics_register(reg, &(kw_metrics_def){"ok", "", KW_METRICS_GAUGE, NULL, 0, NULL, 0}, NULL, &e),
                 KW_EINVAL);
    cr_assert(strstr(e.msg, "already registered"));
}

Test(metrics, series_cap_returns_null_and_updates_ignore_it)
{
    kw_metrics_family *f = add(&(kw_metrics_def){"cap_total", "", KW_METRICS_COUNTER, "i", 0, NULL, 0});
    char v[16];
    for (int i = 0; i < KW_METRICS_MAX_SERIES; i++) {
        snprintf(v, sizeof v, "%d", i);
        cr_assert_not_null(KW_METRICS_SERIES(f, v));
    }
    cr_assert_null(KW_METRICS_SERIES(f, "one-too-many"));
    kw_metrics_inc(NULL, 1);
    kw_metrics_set(NULL, 1);
    kw_metrics_add(NULL, 1);
    kw_metrics_observe(NULL, 1);
    cr_assert_null(kw_metrics_series_get(NULL, NULL));
    cr_assert_not_null(KW_METRICS_SERIES(f, "0"), "existing series stay reachable");
}

static void *hammer(void *arg)
{
    kw_metrics_family **f = arg;
    static const char *const routes[] = {"/a", "/b", "/c", "/d"};
    for (int i = 0; i < 20000; i++) {
        kw_metrics_inc(KW_METRICS_SERIES(f[0], routes[i % 4]), 1);
        kw_metrics_observe(KW_METRICS_SERIES(f[1], routes[i % 4]), 0.25);
        kw_metrics_add(KW_METRICS_SERIES(f[2]), 1);
    }
    return NULL;
}

Test(metrics, concurrent_updates_lose_nothing)
{
    static const double b[] = {0.5};
    kw_metrics_family *f[3] = {
        add(&(kw_metrics_def){"n_total", "", KW_METRICS_COUNTER, "r", 0, NULL, 0}),
        add(&(kw_metrics_def){"d", "", KW_METRICS_HISTOGRAM, "r", 0, b, 1}),
        add(&(kw_metrics_def){"g", "", KW_METRICS_GAUGE, NULL, 0, NULL, 0}),
    };
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, f);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++) {
        const char *r = (const char *[]){"/a", "/b", "/c", "/d"}[i];
        cr_assert_eq(kw_metrics_counter_value(KW_METRICS_SERIES(f[0], r)), 20000);
    }
    cr_assert_float_eq(kw_metrics_gauge_value(KW_METRICS_SERIES(f[2])), 80000, 0);
    char *out = render();
    cr_assert(strstr(out, "d_count{r=\"/a\"} 20000\n"), "%s", out);
    cr_assert(strstr(out, "d_sum{r=\"/a\"} 5000\n"), "%s", out);
    free(out);
}

Test(metrics, standard_families_are_registered)
{
    kw_metrics_std std;
    kw_err e = {0};
    cr_assert_eq(kw_metrics_register_std(reg, &std, &e), 0, "%s", e.msg);
    kw_metrics_observe(KW_METRICS_SERIES(std.api_request_duration, "GET", "/health", "200"), 0.002);
    kw_metrics_set(KW_METRICS_SERIES(std.work_hash_rate), 1.5e6);
    char *out = render();
    static const char *const names[] = {
        "# TYPE kale_cycles_processed_total counter\n",
        "# TYPE kale_user_actions_total counter\n",
        "# TYPE kale_rewards_distributed_kale counter\n",
        "# TYPE kale_api_request_duration_seconds histogram\n",
        "# TYPE kale_dao_consensus_duration_seconds histogram\n",
        "# TYPE kale_block_processing_duration_seconds histogram\n",
        "# TYPE kale_errors_total counter\n",
        "# TYPE kale_db_connections_active gauge\n",
        "# TYPE kale_memory_usage_bytes gauge\n",
        "# TYPE kale_work_hash_rate gauge\n",
        "kale_work_hash_rate 1500000\n",
        "# TYPE kalewx_leader gauge\n",
        "kalewx_leader 0\n",
        "# TYPE kalewx_ratelimit_shared gauge\n",
        "kale_api_request_duration_seconds_count{method=\"GET\",route=\"/health\",status_code=\"200\"} 1\n",
        "kale_memory_usage_bytes{type=\"rss\"} ",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_assert(strstr(out, names[i]), "missing %s in\n%s", names[i], out);
    free(out);
    cr_assert_eq(kw_metrics_register_std(reg, &std, &e), KW_EINVAL, "registering twice is refused");
}

Test(metrics, global_registry_is_shared)
{
    cr_assert_not_null(kw_metrics_global());
    cr_assert_eq(kw_metrics_global(), kw_metrics_global());
    cr_assert_not_null(kw_metrics_std_global()->errors);
    kw_metrics_inc(KW_METRICS_SERIES(kw_metrics_std_global()->errors, "timeout", "chain"), 1);
    char *out = NULL;
    size_t len;
    cr_assert_eq(kw_metrics_render(kw_metrics_global(), &out, &len), 0);
    cr_assert(strstr(out, "kale_errors_total{type=\"timeout\",component=\"chain\"} 1\n"));
    free(out);
}
