/*
 * term — what the command line shows people: aligned tables, colour and
 * progress bars. Colour is used only when the caller says so (a terminal, no
 * NO_COLOR, no --no-color); everything also works as plain text.
 *
 * A kw_table collects rows of strings (copied) and prints them with each
 * column as wide as its widest cell (in characters, UTF-8 aware), numbers
 * right-aligned. Not thread-safe; one table per thread.
 */
#ifndef KW_CLI_TERM_H
#define KW_CLI_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

#define KW_TABLE_MAX_COLS 12

typedef enum kw_color {
    KW_COLOR_NONE = 0,
    KW_COLOR_BOLD,
    KW_COLOR_DIM,
    KW_COLOR_GREEN,
    KW_COLOR_RED,
    KW_COLOR_YELLOW,
    KW_COLOR_CYAN,
} kw_color;

typedef struct kw_table {
    size_t ncols;
    const char *headers[KW_TABLE_MAX_COLS];
    bool right[KW_TABLE_MAX_COLS];   /* right-align this column */
    char **cells;                    /* nrows × ncols, owned */
    size_t nrows, cap;
} kw_table;

/* Starts a table with the given headers (not copied: use literals). */
void kw_table_init(kw_table *t, size_t ncols, const char *const *headers);
/* Appends a row of ncols strings (copied; NULL prints as empty). */
int kw_table_add(kw_table *t, const char *const *cells) KW_WUR;
/* Prints the table; headers in bold when color is true. */
void kw_table_print(const kw_table *t, FILE *out, bool color);
void kw_table_free(kw_table *t);

/* The escape sequence that starts a colour, or "" when color is false; and the
 * one that resets it. */
const char *kw_term_color(kw_color c, bool color);
const char *kw_term_reset(bool color);

/* Writes a bar of `width` cells filled to permille/1000 ("[#####-----]") into
 * buf (width + 3 bytes). Out-of-range permille is clamped. */
char *kw_term_bar(char *buf, size_t width, unsigned permille);

/* Formats seconds as "1h02m", "4m05s" or "12s" into buf (16 bytes). */
char *kw_term_duration(char *buf, long seconds);

/* Reads one line from fd into buf (cap bytes, NUL-terminated, line break
 * dropped) after writing prompt to stderr. When fd is a terminal its echo is
 * off while the person types, and restored afterwards even on error. Returns
 * the length; KW_ENOTFOUND at end of input with nothing read; KW_ERANGE for a
 * line that does not fit (buf is wiped); KW_EIO. The caller wipes buf. */
int kw_term_read_secret(int fd, const char *prompt, char *buf, size_t cap) KW_WUR;

/* "\r" and the sequence that clears to the end of the line: rewrites a
 * status line in place. */
#define KW_TERM_CLEAR_LINE "\r\033[K"

/* Display width of a UTF-8 string (code points; no wide-character tables). */
size_t kw_term_width(const char *s);

#endif
