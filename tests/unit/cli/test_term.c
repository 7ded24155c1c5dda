#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/term.h"

static char *print_to_string(const kw_table *t, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kw_table_print(t, f, color);
    fclose(f);
    return buf;
}

Test(term, table_aligns_columns_and_right_aligns_numbers)
{
    const char *h[] = {"cycle", "outcome", "reward"};
    kw_table t;
    kw_table_init(&t, 3, h);
    t.right[2] = true;
    cr_assert_eq(kw_table_add(&t, (const char *[]){"12", "GOOD", "1.5000000"}), 0);
    cr_assert_eq(kw_table_add(&t, (const char *[]){"7", "São", "10.0000000"}), 0);
    cr_assert_eq(kw_table_add(&t, (const char *[]){"8", NULL, "0.0000001"}), 0);
    char *s = print_to_string(&t, false);
    cr_assert_str_eq(s, "cycle  outcome      reward\n"
                        "12     GOOD      1.5000000\n"
                        "7      São      10.0000000\n"
                        "8                0.0000001\n");
    free(s);
    s = print_to_string(&t, true);
    cr_assert(strstr(s, "\033[1mcycle\033[0m"));
    free(s);
    kw_table_free(&t);
}

Test(term, many_rows_grow)
{
    const char *h[] = {"n"};
    kw_table t;
    kw_table_init(&t, 1, h);
    char num[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(num, sizeof num, "%d", i);
        cr_assert_eq(kw_table_add(&t, (const char *[]){num}), 0);
    }
    cr_assert_eq(t.nrows, 1000);
    cr_assert_str_eq(t.cells[999], "999");
    kw_table_free(&t);
}

Test(term, colors_only_when_allowed)
{
    cr_assert_str_eq(kw_term_color(KW_COLOR_GREEN, false), "");
    cr_assert_str_eq(kw_term_reset(false), "");
    cr_assert_str_eq(kw_term_color(KW_COLOR_GREEN, true), "\033[32m");
}

Test(term, bar_and_duration)
{
    char b[32], d[16];
    cr_assert_str_eq(kw_term_bar(b, 10, 0), "[----------]");
    cr_assert_str_eq(kw_term_bar(b, 10, 600), "[######----]");
    cr_assert_str_eq(kw_term_bar(b, 10, 999), "[#########-]");
    cr_assert_str_eq(kw_term_bar(b, 10, 5000), "[##########]");
    cr_assert_str_eq(kw_term_duration(d, 12), "12s");
    cr_assert_str_eq(kw_term_duration(d, 245), "4m05s");
    cr_assert_str_eq(kw_term_duration(d, 3720), "1h02m");
    cr_assert_str_eq(kw_term_duration(d, -3), "0s");
    cr_assert_eq(kw_term_width("São Paulo"), 9);
}

static int pipe_with(const char *text)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    return fds[0];
}

Test(term, read_secret_takes_one_line)
{
    char buf[16];
    int fd = pipe_with("hunter2\r\nnext line\n");
    cr_assert_eq(kw_term_read_secret(fd, "", buf, sizeof buf), 7);
    cr_assert_str_eq(buf, "hunter2");
    cr_assert_eq(kw_term_read_secret(fd, "", buf, sizeof buf), 9);
    cr_assert_str_eq(buf, "next line");
    cr_assert_eq(kw_term_read_secret(fd, "", buf, sizeof buf), KW_ENOTFOUND);
    close(fd);
    fd = pipe_with("no line break");
    cr_assert_eq(kw_term_read_secret(fd, "", buf, sizeof buf), 13);
    close(fd);
    fd = pipe_with("much too long for the buffer\nrest\n");
    cr_assert_eq(kw_term_read_secret(fd, "", buf, sizeof buf), KW_ERANGE);
    cr_assert_eq(buf[0], 0, "a line that does not fit is wiped");
    cr_assert_eq(kw_term_read_secret(fd, "", buf, sizeof buf), 4, "the next read starts at the next line");
    close(fd);
}
