#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "obs/log.h"

static json_t *parse_line(const char *buf, size_t len)
{
    cr_assert(len > 2 && buf[len - 1] == '\n');
    json_error_t je;
    json_t *j = json_loadb(buf, len - 1, 0, &je);
    cr_assert_not_null(j, "not JSON: %s (%.*s)", je.text, (int)len, buf);
    return j;
}

Test(log, line_has_every_standard_field)
{
    char buf[4096];
    kw_log_setup(KW_LOG_DEBUG, "test", 2);
    kw_log_set_correlation("req-42");
    kw_log_field f[] = {KW_LS(NULL, NULL), KW_LI("cycle", 7), KW_LS("phase", "work\"ing\n"), KW_LB("ok", 1)};
    size_t len = kw_log_format(buf, sizeof buf, 1764806400123, KW_LOG_WARN, "cycle \"x\"", f, 4);
    json_t *j = parse_line(buf, len);
    cr_assert_str_eq(json_string_value(json_object_get(j, "timestamp")), "2025-12-04T00:00:00.123Z");
    cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "warn");
    cr_assert_str_eq(json_string_value(json_object_get(j, "message")), "cycle \"x\"");
    cr_assert_str_eq(json_string_value(json_object_get(j, "service")), "kalewx");
    cr_assert_str_eq(json_string_value(json_object_get(j, "version")), KW_VERSION);
    cr_assert_str_eq(json_string_value(json_object_get(j, "environment")), "test");
    cr_assert_str_eq(json_string_value(json_object_get(j, "correlationId")), "req-42");
    cr_assert_eq(json_integer_value(json_object_get(j, "pid")), getpid());
    cr_assert(json_is_string(json_object_get(j, "hostname")));
    cr_assert_eq(json_integer_value(json_object_get(j, "cycle")), 7);
    cr_assert_str_eq(json_string_value(json_object_get(j, "phase")), "work\"ing\n");
    cr_assert(json_is_true(json_object_get(j, "ok")));
    json_decref(j);
}

Test(log, oversized_context_still_makes_json)
{
    char big[3000], buf[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    kw_log_field f[] = {KW_LS(NULL, NULL), KW_LS("a", big), KW_LS("b", big), KW_LS("c", big), KW_LS("d", big),
                        KW_LS("e", big)};
    size_t len = kw_log_format(buf, sizeof buf, 0, KW_LOG_INFO, big, f, 6);
    json_t *j = parse_line(buf, len);
    cr_assert(json_is_true(json_object_get(j, "contextTruncated")));
    cr_assert_eq(strlen(json_string_value(json_object_get(j, "message"))), 1000);
    json_decref(j);
}

Test(log, levels_filter_and_write_whole_lines)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    kw_log_setup(KW_LOG_WARN, "test", fds[1]);
    KW_LOG(KW_LOG_INFO, "hidden");
    KW_LOG(KW_LOG_ERROR, "shown", KW_LI("n", 1));
    KW_LOG(KW_LOG_WARN, "plain");
    close(fds[1]);
    char buf[8192];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    cr_assert(n > 0);
    buf[n] = 0;
    cr_assert_null(strstr(buf, "hidden"));
    char *second = strchr(buf, '\n') + 1;
    json_t *a = parse_line(buf, (size_t)(second - buf));
    cr_assert_str_eq(json_string_value(json_object_get(a, "message")), "shown");
    json_t *b = parse_line(second, strlen(second));
    cr_assert_str_eq(json_string_value(json_object_get(b, "message")), "plain");
    json_decref(a);
    json_decref(b);
    cr_assert_eq(kw_log_level_parse("error"), KW_LOG_ERROR);
    cr_assert_eq(kw_log_level_parse("loud"), -1);
}
