/*
 * pty_run — runs a command on a pseudo-terminal and plays a script against
 * it, the way a person at a terminal would: wait for some text, type, press
 * Ctrl-C. For the terminal tests of `kalewx watch` and `kalewx play`.
 *
 *   pty_run [-t SECONDS] [-o TRANSCRIPT] STEP... -- COMMAND [ARG...]
 *
 * Steps, in order (TEXT understands \r \n \e \\ and \xHH; other escapes are
 * kept, for regular expressions):
 *   expect:TEXT     wait until the output after the previous match holds TEXT
 *   expect_re:RE    the same with a POSIX extended regular expression
 *   send:TEXT       type TEXT (\r is Enter, \x03 is Ctrl-C)
 *   exit:N          wait for the command to end with exit status N
 *   absent:TEXT     the whole output so far must not hold TEXT
 *
 * Each wait gives up after SECONDS (default 60), prints the step and the
 * end of the output, and exits 1; a mismatch exits 1 too. Exits 0 when
 * every step passed. The terminal is 120 columns wide.
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *out;
static size_t out_len, out_cap, mark;
static int master = -1;
static pid_t child;
static int child_status = -1;
static FILE *transcript;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void unescape(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    while (*s && n + 1 < cap) {
        if (*s != '\\' || !s[1]) {
            buf[n++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case 'r': buf[n++] = '\r'; s++; break;
        case 'n': buf[n++] = '\n'; s++; break;
        case 'e': buf[n++] = 033; s++; break;
        case 'x': {
            char hex[3] = {s[1], s[1] ? s[2] : 0, 0};
            buf[n++] = (char)strtol(hex, NULL, 16);
            s += 1 + strlen(hex);
            break;
        }
        case '\\': buf[n++] = '\\'; s++; break;
        default: /* kept as written: a regular expression's own escape */
            buf[n++] = '\\';
            if (n + 1 < cap)
                buf[n++] = *s++;
        }
    }
    buf[n] = 0;
}

/* Reads what the command wrote within timeout_ms; false once the terminal is closed. */
static bool pump(int timeout_ms)
{
    if (master < 0)
        return false;
    struct pollfd p = {.fd = master, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
        return true;
    char buf[4096];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) {
        close(master);
        master = -1;
        return false;
    }
    if (out_len + (size_t)n + 1 > out_cap) {
        out_cap = (out_len + (size_t)n + 1) * 2;
        out = realloc(out, out_cap);
        if (!out)
            abort();
    }
    memcpy(out + out_len, buf, (size_t)n);
    out_len += (size_t)n;
    out[out_len] = 0;
    if (transcript) {
        fwrite(buf, 1, (size_t)n, transcript);
        fflush(transcript);
    }
    return true;
}

static void show_tail(const char *step)
{
    fprintf(stderr, "pty_run: step failed: %s\n--- last output (escaped) ---\n", step);
    size_t from = out_len > 3000 ? out_len - 3000 : 0;
    for (size_t i = from; i < out_len; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c == '\n' || (c >= 0x20 && c != 0x7f) || c >= 0x80)
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "\n---\n");
}

static bool found(const char *text, const regex_t *re, size_t *end)
{
    if (!out_len)
        return false;
    if (re) {
        regmatch_t m;
        if (regexec(re, out + mark, 1, &m, 0) != 0)
            return false;
        *end = mark + (size_t)m.rm_eo;
        return true;
    }
    const char *hit = strstr(out + mark, text);
    if (!hit)
        return false;
    *end = (size_t)(hit - out) + strlen(text);
    return true;
}

static bool expect(const char *text, bool is_re, int timeout_s)
{
    regex_t re;
    if (is_re && regcomp(&re, text, REG_EXTENDED) != 0) {
        fprintf(stderr, "pty_run: bad regular expression %s\n", text);
        return false;
    }
    int64_t deadline = now_ms() + timeout_s * 1000LL;
    bool ok = false;
    size_t end = 0;
    for (;;) {
        if (found(text, is_re ? &re : NULL, &end)) {
            mark = end;
            ok = true;
            break;
        }
        if (now_ms() >= deadline || !pump(100))
            break;
    }
    if (!ok)
        ok = found(text, is_re ? &re : NULL, &end) && (mark = end, true);
    if (is_re)
        regfree(&re);
    return ok;
}

static bool wait_exit(int want, int timeout_s)
{
    int64_t deadline = now_ms() + timeout_s * 1000LL;
    while (child_status < 0) {
        pump(100);
        int st;
        if (waitpid(child, &st, WNOHANG) == child)
            child_status = st;
        else if (now_ms() >= deadline)
            return false;
    }
    while (pump(0) && master >= 0) {
    }
    if (!WIFEXITED(child_status)) {
        fprintf(stderr, "pty_run: the command ended by signal %d\n", WIFSIGNALED(child_status) ? WTERMSIG(child_status) : -1);
        return false;
    }
    if (WEXITSTATUS(child_status) != want) {
        fprintf(stderr, "pty_run: the command exited %d, not %d\n", WEXITSTATUS(child_status), want);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    int timeout_s = 60, first_step = 1;
    for (; first_step + 1 < argc && argv[first_step][0] == '-' && strcmp(argv[first_step], "--") != 0; first_step += 2) {
        if (strcmp(argv[first_step], "-t") == 0)
            timeout_s = atoi(argv[first_step + 1]);
        else if (strcmp(argv[first_step], "-o") == 0)
            transcript = fopen(argv[first_step + 1], "w");
    }
    int sep = first_step;
    while (sep < argc && strcmp(argv[sep], "--") != 0)
        sep++;
    if (sep + 1 >= argc) {
        fprintf(stderr, "usage: pty_run [-t SECONDS] [-o FILE] STEP... -- COMMAND [ARG...]\n");
        return 2;
    }
    struct winsize ws = {.ws_row = 40, .ws_col = 120};
    child = forkpty(&master, NULL, NULL, &ws);
    if (child < 0) {
        perror("pty_run: forkpty");
        return 2;
    }
    if (child == 0) {
        execvp(argv[sep + 1], argv + sep + 1);
        perror("pty_run: exec");
        _exit(127);
    }
    int rc = 0;
    for (int i = first_step; i < sep && rc == 0; i++) {
        const char *step = argv[i];
        char text[1024];
        bool ok;
        if (strncmp(step, "expect:", 7) == 0) {
            unescape(step + 7, text, sizeof text);
            ok = expect(text, false, timeout_s);
        } else if (strncmp(step, "expect_re:", 10) == 0) {
            unescape(step + 10, text, sizeof text);
            ok = expect(text, true, timeout_s);
        } else if (strncmp(step, "send:", 5) == 0) {
            unescape(step + 5, text, sizeof text);
            ok = master >= 0 && write(master, text, strlen(text)) == (ssize_t)strlen(text);
        } else if (strncmp(step, "exit:", 5) == 0) {
            ok = wait_exit(atoi(step + 5), timeout_s);
        } else if (strncmp(step, "absent:", 7) == 0) {
            unescape(step + 7, text, sizeof text);
            pump(0);
            ok = !out || !strstr(out, text);
        } else {
            fprintf(stderr, "pty_run: unknown step %s\n", step);
            ok = false;
        }
        if (!ok) {
            show_tail(step);
            rc = 1;
        }
    }
    if (child_status < 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    if (transcript)
        fclose(transcript);
    free(out);
    return rc;
}
