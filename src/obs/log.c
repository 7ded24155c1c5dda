#include "obs/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static kw_log_level min_level = KW_LOG_INFO;
static int out_fd = 2;
static char environment[32] = "development";
static char hostname[128];
static __thread char correlation[64];

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void kw_log_setup(kw_log_level min, const char *env, int fd)
{
    min_level = min;
    out_fd = fd;
    if (env)
        snprintf(environment, sizeof environment, "%s", env);
    if (gethostname(hostname, sizeof hostname - 1) != 0)
        snprintf(hostname, sizeof hostname, "unknown");
}

int kw_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void kw_log_set_correlation(const char *id)
{
    snprintf(correlation, sizeof correlation, "%s", id ? id : "");
}

/* Appends to buf at *len without passing cap - 2 (room for '}' and '\n'). */
static void put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n > cap - 2)
        n = *len < cap - 2 ? cap - 2 - *len : 0;
    memcpy(buf + *len, s, n);
    *len += n;
}

static void put_str(char *buf, size_t cap, size_t *len, const char *s)
{
    put(buf, cap, len, "\"", 1);
    /* Each string is capped (at a UTF-8 boundary) so a line always fits in 4 KiB. */
    const unsigned char *start = (const unsigned char *)(s ? s : "");
    for (const unsigned char *p = start; *p; p++) {
        if (p - start >= 1000 && (*p & 0xC0) != 0x80)
            break;
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(buf, cap, len, esc, 2);
        } else if (*p < 0x20) {
            int n = snprintf(esc, sizeof esc, "\\u%04x", *p);
            put(buf, cap, len, esc, (size_t)n);
        } else {
            put(buf, cap, len, (const char *)p, 1);
        }
    }
    put(buf, cap, len, "\"", 1);
}

static void put_key(char *buf, size_t cap, size_t *len, const char *k)
{
    put(buf, cap, len, ",", 1);
    put_str(buf, cap, len, k);
    put(buf, cap, len, ":", 1);
}

size_t kw_log_format(char *buf, size_t cap, int64_t unix_ms, kw_log_level level, const char *msg,
                     const kw_log_field *fields, size_t n)
{
    char ts[40], num[32];
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t tl = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + tl, sizeof ts - tl, ".%03dZ", (int)(unix_ms % 1000));

    size_t len = 0;
    put(buf, cap, &len, "{\"timestamp\":", 13);
    put_str(buf, cap, &len, ts);
    put_key(buf, cap, &len, "level");
    put_str(buf, cap, &len, level_names[level]);
    put_key(buf, cap, &len, "message");
    put_str(buf, cap, &len, msg);
    put_key(buf, cap, &len, "service");
    put_str(buf, cap, &len, "kalewx");
    put_key(buf, cap, &len, "version");
    put_str(buf, cap, &len, KW_VERSION);
    put_key(buf, cap, &len, "environment");
    put_str(buf, cap, &len, environment);
    put_key(buf, cap, &len, "correlationId");
    put_str(buf, cap, &len, correlation);
    put_key(buf, cap, &len, "pid");
    int nl = snprintf(num, sizeof num, "%d", (int)getpid());
    put(buf, cap, &len, num, (size_t)nl);
    put_key(buf, cap, &len, "hostname");
    put_str(buf, cap, &len, hostname);
    for (size_t i = 0; i < n; i++) {
        if (!fields[i].key)
            continue;
        put_key(buf, cap, &len, fields[i].key);
        switch (fields[i].type) {
        case KW_LF_STR:
            put_str(buf, cap, &len, fields[i].s);
            break;
        case KW_LF_INT:
            nl = snprintf(num, sizeof num, "%lld", (long long)fields[i].i);
            put(buf, cap, &len, num, (size_t)nl);
            break;
        case KW_LF_BOOL:
            put(buf, cap, &len, fields[i].i ? "true" : "false", fields[i].i ? 4 : 5);
            break;
        }
    }
    if (len >= cap - 2 && n > 0) {
        /* The context did not fit: a cut line would not be JSON, so drop it. */
        static const kw_log_field cut[] = {{.key = "contextTruncated", .type = KW_LF_BOOL, .i = 1}};
        return kw_log_format(buf, cap, unix_ms, level, msg, cut, 1);
    }
    buf[len++] = '}';
    buf[len++] = '\n';
    return len;
}

void kw_log_fields(kw_log_level level, const char *msg, const kw_log_field *fields, size_t n)
{
    if (level < min_level || level > KW_LOG_ERROR)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char buf[4096];
    size_t len = kw_log_format(buf, sizeof buf, (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, level,
                               msg, fields, n);
    ssize_t w = write(out_fd, buf, len);
    (void)w; /* nothing sensible to do when stderr is gone */
}
