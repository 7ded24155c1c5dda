#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feeds/market.h"

typedef struct series {
    int64_t *ts;
    double *px;
    size_t n, cap;
} series;

struct kw_price_history {
    series s[KW_ASSET_COUNT];
    int64_t *times;            /* distinct, ascending */
    size_t ntimes, tcap;
};

#define MAX_FIELD 64

void kw_price_history_free(kw_price_history *h)
{
    if (!h)
        return;
    for (int a = 0; a < KW_ASSET_COUNT; a++) {
        free(h->s[a].ts);
        free(h->s[a].px);
    }
    free(h->times);
    free(h);
}

static int push(series *s, int64_t ts, double px)
{
    if (s->n == s->cap) {
        size_t n = s->cap ? s->cap * 2 : 256;
        int64_t *t = realloc(s->ts, n * sizeof *t);
        if (!t)
            return -1;
        s->ts = t;
        double *p = realloc(s->px, n * sizeof *p);
        if (!p)
            return -1;
        s->px = p;
        s->cap = n;
    }
    s->ts[s->n] = ts;
    s->px[s->n++] = px;
    return 0;
}

static int digits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Unix seconds, or YYYY-MM-DDTHH:MM:SSZ checked field by field. */
static int parse_time(const char *s, size_t n, int64_t *out)
{
    if (n >= 1 && n <= 12 && digits(s, n, out) == 0)
        return 0;
    int64_t y, mo, d, h, mi, se;
    if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != 'Z' || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return -1;
    struct tm tm = {.tm_year = (int)y - 1900, .tm_mon = (int)mo - 1, .tm_mday = (int)d,
                    .tm_hour = (int)h, .tm_min = (int)mi, .tm_sec = (int)se};
    time_t t = timegm(&tm);
    struct tm back;
    if (y < 1970 || !gmtime_r(&t, &back) || back.tm_year != (int)y - 1900 || back.tm_mon != (int)mo - 1 ||
        back.tm_mday != (int)d || back.tm_hour != (int)h || back.tm_min != (int)mi || back.tm_sec != (int)se)
        return -1;
    *out = (int64_t)t;
    return 0;
}

/* A plain positive decimal: digits, optionally a point and more digits. */
static int parse_price(const char *s, size_t n, double *out)
{
    char buf[MAX_FIELD];
    size_t i = 0, int_digits = 0, frac_digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, int_digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, frac_digits++;
        if (!frac_digits)
            return -1;
    }
    if (i != n || !int_digits || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    *out = strtod(buf, NULL);
    return *out > 0 ? 0 : -1;
}

static int add_time(kw_price_history *h, int64_t t)
{
    if (h->ntimes && h->times[h->ntimes - 1] == t)
        return 0;
    if (h->ntimes == h->tcap) {
        size_t n = h->tcap ? h->tcap * 2 : 256;
        int64_t *t2 = realloc(h->times, n * sizeof *t2);
        if (!t2)
            return -1;
        h->times = t2;
        h->tcap = n;
    }
    h->times[h->ntimes++] = t;
    return 0;
}

static int parse_row(kw_price_history *h, const char *line, size_t len, int64_t *last, const char *origin,
                     size_t lineno, kw_err *err)
{
    const char *c1 = memchr(line, ',', len);
    const char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - line)) : NULL;
    if (!c2 || memchr(c2 + 1, ',', len - (size_t)(c2 + 1 - line)))
        return kw_err_set(err, KW_EINVAL, "%s:%zu: expected timestamp,asset,price", origin, lineno);
    size_t tn = (size_t)(c1 - line), an = (size_t)(c2 - c1 - 1), pn = len - (size_t)(c2 + 1 - line);
    int64_t t;
    kw_asset a;
    double px;
    if (parse_time(line, tn, &t) != 0)
        return kw_err_set(err, KW_EINVAL, "%s:%zu: timestamp \"%.*s\" is neither unix seconds nor "
                          "YYYY-MM-DDTHH:MM:SSZ", origin, lineno, (int)(tn < MAX_FIELD ? tn : MAX_FIELD), line);
    if (kw_asset_parse(c1 + 1, an, &a) != 0)
        return kw_err_set(err, KW_EINVAL, "%s:%zu: unknown asset \"%.*s\"", origin, lineno,
                          (int)(an < MAX_FIELD ? an : MAX_FIELD), c1 + 1);
    if (parse_price(c2 + 1, pn, &px) != 0)
        return kw_err_set(err, KW_EINVAL, "%s:%zu: price \"%.*s\" is not a plain positive decimal", origin,
                          lineno, (int)(pn < MAX_FIELD ? pn : MAX_FIELD), c2 + 1);
    if (t < *last)
        return kw_err_set(err, KW_EINVAL, "%s:%zu: timestamp %lld goes back in time (previous row %lld)",
                          origin, lineno, (long long)t, (long long)*last);
    series *s = &h->s[a];
    if (s->n && s->ts[s->n - 1] == t)
        return kw_err_set(err, KW_EINVAL, "%s:%zu: second %s price for timestamp %lld", origin, lineno,
                          kw_asset_name(a), (long long)t);
    if (push(s, t, px) || add_time(h, t))
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    *last = t;
    return 0;
}

int kw_price_history_parse(const char *text, size_t len, const char *origin, kw_price_history **out,
                           kw_err *err)
{
    static const char header[] = "timestamp,asset,price";
    *out = NULL;
    kw_price_history *h = calloc(1, sizeof *h);
    if (!h)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int64_t last = INT64_MIN;
    size_t lineno = 0, pos = 0;
    int rc = 0;
    while (pos < len) {
        lineno++;
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n && line[n - 1] == '\r')
            n--;
        if (lineno == 1 && n == sizeof header - 1 && memcmp(line, header, n) == 0)
            continue;
        if (n == 0) {
            rc = kw_err_set(err, KW_EINVAL, "%s:%zu: empty line", origin, lineno);
            goto fail;
        }
        if (memchr(line, 0, n)) {
            rc = kw_err_set(err, KW_EINVAL, "%s:%zu: NUL byte", origin, lineno);
            goto fail;
        }
        rc = parse_row(h, line, n, &last, origin, lineno, err);
        if (rc)
            goto fail;
    }
    if (h->ntimes == 0) {
        rc = kw_err_set(err, KW_EINVAL, "%s: no prices", origin);
        goto fail;
    }
    *out = h;
    return 0;
fail:
    kw_price_history_free(h);
    return rc;
}

int kw_price_history_load(const char *path, kw_price_history **out, kw_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "re");
    if (!f)
        return kw_err_set(err, KW_EIO, "cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (cap - len < 65536) {
            char *more = realloc(buf, cap * 2 + 65536);
            if (!more) {
                rc = kw_err_set(err, KW_ENOMEM, "out of memory reading %s", path);
                goto fail;
            }
            buf = more;
            cap = cap * 2 + 65536;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = kw_err_set(err, KW_EIO, "cannot read %s", path);
        goto fail;
    }
    rc = kw_price_history_parse(buf, len, path, out, err);
fail:
    free(buf);
    fclose(f);
    return rc;
}

size_t kw_price_history_times(const kw_price_history *h, const int64_t **times)
{
    *times = h->times;
    return h->ntimes;
}

int64_t kw_price_history_interval(const kw_price_history *h)
{
    int64_t best = 0;
    for (size_t i = 1; i < h->ntimes; i++) {
        int64_t gap = h->times[i] - h->times[i - 1];
        if (!best || gap < best)
            best = gap;
    }
    return best;
}

/* Index of the last row at or before t, or −1. */
static ptrdiff_t at_or_before(const series *s, int64_t t)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ts[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

void kw_price_history_snapshot(const kw_price_history *h, int64_t t, int64_t interval,
                               kw_market_snapshot *out)
{
    kw_snapshot_clear(out, 0, t);
    if (interval <= 0)
        return;
    for (int a = 0; a < KW_ASSET_COUNT; a++) {
        const series *s = &h->s[a];
        for (unsigned k = 0; k < KW_SNAPSHOT_LEN; k++) {
            int64_t target = t - (int64_t)k * interval;
            ptrdiff_t i = at_or_before(s, target);
            if (i >= 0 && s->ts[i] > target - interval)
                out->price[a][k] = s->px[i];
        }
    }
}

static int csv_snapshot(void *state, const kw_market_query *q, kw_market_snapshot *out, kw_err *err)
{
    (void)err;
    kw_price_history_snapshot(state, q->timestamp, q->interval_s, out);
    out->block = q->block;
    return 0;
}

static void csv_close(void *state)
{
    kw_price_history_free(state);
}

int kw_market_csv_open_take(kw_price_history *h, kw_market_feed *out, kw_err *err)
{
    if (!h)
        return kw_err_set(err, KW_EINVAL, "no price history");
    *out = (kw_market_feed){.name = "csv", .state = h, .snapshot = csv_snapshot, .close = csv_close};
    return 0;
}
