#include "cli/follow.h"

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/term.h"

#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 8000

struct kw_follow {
    kw_follow_options o;
    kw_live live;
    kw_stream_parser parser;
    kw_client_stream *stream;     /* NULL while waiting to reconnect */
    char prompt[256];             /* shown instead of the status while non-empty */
    bool drawn;                   /* the status or prompt is on the current line */
    bool lost;                    /* the connection broke and is not back yet */
    int64_t retry_at_ms, backoff_ms;
    int event_rc;                 /* first non-zero on_event result of this wait */
    struct sigaction old_int;
};

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int64_t kw_follow_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void erase_status(kw_follow *f)
{
    if (f->drawn && f->o.terminal)
        fputs(KW_TERM_CLEAR_LINE, stdout);
    f->drawn = false;
}

/* The live status, cut to the terminal's width: a wrapped line could not be erased with \r. */
static void status_text(kw_follow *f, char *line, size_t cap)
{
    char plain[320];
    struct winsize ws;
    size_t cols = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col : 80;
    int64_t now = kw_follow_now_ms();
    kw_live_status(&f->live, now, false, plain, sizeof plain);
    if (kw_term_width(plain) < cols) {
        kw_live_status(&f->live, now, f->o.session->cli->color, line, cap);
        return;
    }
    size_t keep = 0, w = 0;
    while (plain[keep] && w < cols - 1)
        if (((unsigned char)plain[++keep] & 0xC0) != 0x80)
            w++;
    plain[keep] = 0;
    snprintf(line, cap, "%s", plain);
}

/* Puts the prompt (once) or the live status (every time) on the current line. */
static void draw(kw_follow *f)
{
    if (!f->o.terminal || f->o.json || (f->prompt[0] && f->drawn))
        return;
    char line[320];
    if (f->prompt[0])
        snprintf(line, sizeof line, "%s", f->prompt);
    else
        status_text(f, line, sizeof line);
    fprintf(stdout, KW_TERM_CLEAR_LINE "%s", line);
    fflush(stdout);
    f->drawn = true;
}

void kw_follow_print(kw_follow *f, const char *fmt, ...)
{
    erase_status(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

void kw_follow_prompt(kw_follow *f, const char *prompt)
{
    snprintf(f->prompt, sizeof f->prompt, "%s", prompt ? prompt : "");
    f->drawn = false;
    if (prompt && !f->o.terminal) {
        puts(prompt);
        fflush(stdout);
    }
}

const kw_live *kw_follow_live(const kw_follow *f)
{
    return &f->live;
}

static int on_stream_event(void *ctx, const kw_stream_event *ev)
{
    kw_follow *f = ctx;
    json_t *data = json_loads(ev->data, JSON_DECODE_ANY, NULL);
    if (f->o.json) {
        json_t *line = json_pack("{s:s,s:s,s:O?}", "id", ev->id, "event", ev->type, "data", data);
        kw_cli_print_json(line);
        json_decref(line);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        kw_live_event(&f->live, ev->type, data, m, f->o.session->cli->color);
        fclose(m);
    }
    if (!f->o.json && len) {
        erase_status(f);
        fwrite(text, 1, len, stdout);
    }
    if (!f->o.json && !f->o.terminal && f->o.block_lines && strcmp(ev->type, "block.changed") == 0) {
        char line[320];
        kw_live_status(&f->live, kw_follow_now_ms(), f->o.session->cli->color, line, sizeof line);
        puts(line);
    }
    fflush(stdout);
    free(text);
    if (f->o.on_event) {
        int rc = f->o.on_event(f->o.ctx, ev->type, data);
        if (rc && !f->event_rc)
            f->event_rc = rc;
    }
    json_decref(data);
    return 0;
}

bool kw_follow_refresh(kw_follow *f)
{
    kw_reply r;
    int rc = kw_client_request(&f->o.session->client, "GET", "/api/v1/cycles/current", NULL, &r);
    if (rc == 0 && r.status == 401 && kw_session_drop_token(f->o.session)) {
        kw_reply_free(&r);
        rc = kw_client_request(&f->o.session->client, "GET", "/api/v1/cycles/current", NULL, &r);
    }
    if (rc != 0 || r.status != 200) {
        kw_reply_free(&r);
        return false;
    }
    kw_live_current(&f->live, json_object_get(r.body, "data"));
    kw_live_clock(&f->live, json_string_value(json_object_get(json_object_get(r.body, "metadata"), "timestamp")),
                  kw_follow_now_ms());
    kw_reply_free(&r);
    return true;
}

int kw_follow_open(const kw_follow_options *o, kw_follow **out)
{
    kw_follow *f = calloc(1, sizeof *f);
    if (!f)
        return kw_cli_fail(o->session->cli, o->session->cmd, KW_EXIT_SERVER, "NO_MEMORY", "out of memory");
    f->o = *o;
    kw_live_init(&f->live);
    kw_stream_init(&f->parser, on_stream_event, f);
    if (!kw_follow_refresh(f)) {
        /* Asked again through the session, which says why and what to do. */
        json_t *doc = NULL;
        int rc = kw_session_call(o->session, "GET", "/api/v1/cycles/current", NULL, &doc);
        if (rc) {
            kw_stream_free(&f->parser);
            free(f);
            return rc;
        }
        kw_live_current(&f->live, doc);
        json_decref(doc);
    }
    kw_err err = {0};
    if (kw_client_stream_open(&o->session->client, "/api/v1/stream", &f->parser, &f->stream, &err) != 0) {
        kw_stream_free(&f->parser);
        free(f);
        return kw_cli_fail(o->session->cli, o->session->cmd, KW_EXIT_SERVER, "UNREACHABLE", "%s", err.msg);
    }
    stop_requested = 0;
    struct sigaction sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &f->old_int);
    *out = f;
    return KW_EXIT_OK;
}

static void connection_lost(kw_follow *f, const char *why)
{
    kw_client_stream_close(f->stream);
    f->stream = NULL;
    kw_stream_reset(&f->parser);
    if (!f->lost) {
        erase_status(f);
        fprintf(stderr, "kalewx %s: %s; reconnecting…\n", f->o.session->cmd, why);
        f->lost = true;
        f->backoff_ms = BACKOFF_FIRST_MS;
    } else if ((f->backoff_ms *= 2) > BACKOFF_MAX_MS) {
        f->backoff_ms = BACKOFF_MAX_MS;
    }
    f->retry_at_ms = kw_follow_now_ms() + f->backoff_ms;
}

static void reconnect(kw_follow *f)
{
    kw_err err = {0};
    if (!kw_follow_refresh(f)) {
        connection_lost(f, "server not reachable");
        return;
    }
    if (kw_client_stream_open(&f->o.session->client, "/api/v1/stream", &f->parser, &f->stream, &err) != 0)
        connection_lost(f, err.msg);
}

/* Waits for fd alone (no stream open) up to timeout_ms. */
static int wait_fd(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (timeout_ms < 0)
        timeout_ms = 0;
    return poll(fd >= 0 ? &p : NULL, fd >= 0 ? 1 : 0, timeout_ms) > 0 && (p.revents & (POLLIN | POLLHUP));
}

int kw_follow_wait(kw_follow *f, int timeout_ms, int fd)
{
    if (stop_requested)
        return KW_FOLLOW_STOP;
    draw(f);
    f->event_rc = 0;
    if (!f->stream && kw_follow_now_ms() >= f->retry_at_ms)
        reconnect(f);
    if (!f->stream) {
        int64_t left = f->retry_at_ms - kw_follow_now_ms();
        bool ready = wait_fd(fd, (int)(left < timeout_ms ? left : timeout_ms));
        return stop_requested ? KW_FOLLOW_STOP : ready ? KW_FOLLOW_INPUT : KW_FOLLOW_TICK;
    }
    bool ready = false;
    kw_err err = {0};
    int rc = kw_client_stream_poll(f->stream, timeout_ms, fd, &ready, &err);
    if (rc == 0 && f->lost && kw_client_stream_connected(f->stream)) {
        f->lost = false;
        erase_status(f);
        fprintf(stderr, "kalewx %s: reconnected\n", f->o.session->cmd);
    }
    if (rc == KW_EAUTH) {
        erase_status(f);
        if (kw_session_drop_token(f->o.session)) {
            kw_client_stream_close(f->stream);
            f->stream = NULL;
            kw_stream_reset(&f->parser);
            f->retry_at_ms = 0;
            return KW_FOLLOW_TICK;
        }
        kw_cli_fail(f->o.session->cli, f->o.session->cmd, KW_EXIT_REJECTED, "UNAUTHORIZED", "%s", err.msg);
        return KW_EAUTH;
    }
    if (rc)
        connection_lost(f, err.msg[0] ? err.msg : "the event stream failed");
    draw(f);
    if (stop_requested)
        return KW_FOLLOW_STOP;
    if (f->event_rc)
        return f->event_rc;
    return ready ? KW_FOLLOW_INPUT : KW_FOLLOW_TICK;
}

void kw_follow_close(kw_follow *f)
{
    if (!f)
        return;
    erase_status(f);
    fflush(stdout);
    /* After a Ctrl-C the command is on its way out: a second SIGINT — or the
     * same one delivered twice, as timeout(1) does to its process group —
     * must not cut the clean exit short. */
    if (stop_requested)
        signal(SIGINT, SIG_IGN);
    else
        sigaction(SIGINT, &f->old_int, NULL);
    kw_client_stream_close(f->stream);
    kw_stream_free(&f->parser);
    free(f);
}
