#include "cli/term.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void kw_table_init(kw_table *t, size_t ncols, const char *const *headers)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols > KW_TABLE_MAX_COLS ? KW_TABLE_MAX_COLS : ncols;
    for (size_t i = 0; i < t->ncols; i++)
        t->headers[i] = headers[i];
}

int kw_table_add(kw_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **grown = realloc(t->cells, cap * t->ncols * sizeof *grown);
        if (!grown)
            return KW_ENOMEM;
        t->cells = grown;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        row[i] = strdup(cells[i] ? cells[i] : "");
        if (!row[i]) {
            while (i--)
                free(row[i]);
            return KW_ENOMEM;
        }
    }
    t->nrows++;
    return 0;
}

size_t kw_term_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w++;
    return w;
}

static void pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

void kw_table_print(const kw_table *t, FILE *out, bool color)
{
    size_t width[KW_TABLE_MAX_COLS];
    for (size_t c = 0; c < t->ncols; c++) {
        width[c] = kw_term_width(t->headers[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t w = kw_term_width(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = r == 0 ? t->headers[c] : t->cells[(r - 1) * t->ncols + c];
            size_t gap = width[c] - kw_term_width(cell);
            bool last = c + 1 == t->ncols;
            if (c)
                fputs("  ", out);
            if (t->right[c])
                pad(out, gap);
            fprintf(out, "%s%s%s", r == 0 ? kw_term_color(KW_COLOR_BOLD, color) : "", cell,
                    r == 0 ? kw_term_reset(color) : "");
            if (!t->right[c] && !last)
                pad(out, gap);
        }
        fputc('\n', out);
    }
}

void kw_table_free(kw_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

const char *kw_term_color(kw_color c, bool color)
{
    static const char *const seq[] = {"", "\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[33m", "\033[36m"};
    if (!color || c < 0 || (size_t)c >= sizeof seq / sizeof seq[0])
        return "";
    return seq[c];
}

const char *kw_term_reset(bool color)
{
    return color ? "\033[0m" : "";
}

char *kw_term_bar(char *buf, size_t width, unsigned permille)
{
    if (permille > 1000)
        permille = 1000;
    size_t filled = width * permille / 1000;
    buf[0] = '[';
    for (size_t i = 0; i < width; i++)
        buf[1 + i] = i < filled ? '#' : '-';
    buf[width + 1] = ']';
    buf[width + 2] = 0;
    return buf;
}

char *kw_term_duration(char *buf, long s)
{
    if (s < 0)
        s = 0;
    if (s > 99 * 3600)
        s = 99 * 3600;   /* keeps the text within 16 bytes */
    if (s >= 3600)
        snprintf(buf, 16, "%dh%02dm", (int)(s / 3600), (int)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, 16, "%dm%02ds", (int)(s / 60), (int)(s % 60));
    else
        snprintf(buf, 16, "%ds", (int)s);
    return buf;
}

int kw_term_read_secret(int fd, const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    bool tty = tcgetattr(fd, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        quiet.c_lflag |= ECHONL;
        if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
            tty = false;
    }
    fputs(prompt, stderr);
    fflush(stderr);
    size_t n = 0;
    int rc = 0;
    bool full = false;
    for (;;) {
        char c;
        ssize_t got = read(fd, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = KW_EIO;
            break;
        }
        if (got == 0) {
            if (n == 0 && !full)
                rc = KW_ENOTFOUND;
            break;
        }
        if (c == '\n')
            break;
        if (n + 1 < cap)
            buf[n++] = c;
        else
            full = true;   /* read on to the end of the line so nothing is left for the next reader */
    }
    if (tty)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (n && buf[n - 1] == '\r')
        n--;
    buf[n] = 0;
    if (rc == 0 && full)
        rc = KW_ERANGE;
    if (rc) {
        explicit_bzero(buf, cap);
        return rc;
    }
    return (int)n;
}
