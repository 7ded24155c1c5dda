#include "obs/metrics.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HOOKS 8

struct kw_metrics_series {
    const kw_metrics_family *family;
    char *values[KW_METRICS_MAX_LABELS];
    _Atomic int64_t count;    /* counter value */
    _Atomic uint64_t bits;    /* gauge value, or histogram sum, as the bits of a double */
    _Atomic uint64_t *buckets; /* histogram: nbuckets + 1 non-cumulative counts, last is +Inf */
};

struct kw_metrics_family {
    char *name, *help;
    kw_metrics_type type;
    int nlabels;
    char *labels[KW_METRICS_MAX_LABELS];
    int decimals;
    double bounds[KW_METRICS_MAX_BUCKETS];
    size_t nbuckets;
    pthread_mutex_t mu;        /* serialises series creation */
    kw_metrics_series *series[KW_METRICS_MAX_SERIES];
    _Atomic size_t nseries;    /* series[0..nseries) are published and immutable */
    kw_metrics_family *next;
};

struct kw_metrics {
    pthread_mutex_t mu;        /* guards the family list and the hooks */
    kw_metrics_family *head, *tail;
    struct {
        void (*fn)(void *ctx);
        void *ctx;
    } hooks[MAX_HOOKS];
    int nhooks;
};

int kw_metrics_new(kw_metrics **out)
{
    kw_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return KW_ENOMEM;
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return 0;
}

static void series_free(kw_metrics_series *s)
{
    for (int i = 0; i < KW_METRICS_MAX_LABELS; i++)
        free(s->values[i]);
    free((void *)s->buckets);
    free(s);
}

static void family_free(kw_metrics_family *f)
{
    size_t n = atomic_load(&f->nseries);
    for (size_t i = 0; i < n; i++)
        series_free(f->series[i]);
    for (int i = 0; i < f->nlabels; i++)
        free(f->labels[i]);
    pthread_mutex_destroy(&f->mu);
    free(f->name);
    free(f->help);
    free(f);
}

void kw_metrics_free(kw_metrics *m)
{
    if (!m)
        return;
    for (kw_metrics_family *f = m->head, *next; f; f = next) {
        next = f->next;
        family_free(f);
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static bool valid_name(const char *s, bool colon)
{
    if (!s || !*s || !(isalpha((unsigned char)*s) || *s == '_' || (colon && *s == ':')))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || (colon && *s == ':')))
            return false;
    return true;
}

/* Splits "a,b" into f->labels, checking each name. */
static int parse_labels(kw_metrics_family *f, const char *labels, kw_err *err)
{
    if (!labels || !*labels)
        return 0;
    const char *p = labels;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (f->nlabels == KW_METRICS_MAX_LABELS)
            return kw_err_set(err, KW_EINVAL, "%s: more than %d labels", f->name, KW_METRICS_MAX_LABELS);
        char *name = strndup(p, len);
        if (!name)
            return kw_err_set(err, KW_ENOMEM, "out of memory");
        f->labels[f->nlabels++] = name;
        if (!valid_name(name, false) || strncmp(name, "__", 2) == 0 ||
            (f->type == KW_METRICS_HISTOGRAM && strcmp(name, "le") == 0))
            return kw_err_set(err, KW_EINVAL, "%s: invalid label name \"%s\"", f->name, name);
        for (int i = 0; i < f->nlabels - 1; i++)
            if (strcmp(f->labels[i], name) == 0)
                return kw_err_set(err, KW_EINVAL, "%s: label \"%s\" given twice", f->name, name);
        p += len + (comma ? 1 : 0);
        if (comma && !*p)
            return kw_err_set(err, KW_EINVAL, "%s: empty label name", f->name);
    }
    return 0;
}

static int check_def(const kw_metrics_def *def, kw_err *err)
{
    if (!valid_name(def->name, true))
        return kw_err_set(err, KW_EINVAL, "invalid metric name \"%s\"", def->name ? def->name : "");
    if (def->type == KW_METRICS_COUNTER && (def->decimals < 0 || def->decimals > 9))
        return kw_err_set(err, KW_EINVAL, "%s: decimals must be 0..9", def->name);
    if (def->type != KW_METRICS_HISTOGRAM)
        return 0;
    if (!def->buckets || def->nbuckets < 1 || def->nbuckets > KW_METRICS_MAX_BUCKETS)
        return kw_err_set(err, KW_EINVAL, "%s: a histogram needs 1..%d buckets", def->name,
                          KW_METRICS_MAX_BUCKETS);
    for (size_t i = 0; i < def->nbuckets; i++)
        if (!isfinite(def->buckets[i]) || (i > 0 && def->buckets[i] <= def->buckets[i - 1]))
            return kw_err_set(err, KW_EINVAL, "%s: bucket bounds must be finite and increasing", def->name);
    return 0;
}

int kw_metrics_register(kw_metrics *m, const kw_metrics_def *def, kw_metrics_family **out,
                        kw_err *err)
{
    int rc = check_def(def, err);
    if (rc)
        return rc;
    kw_metrics_family *f = calloc(1, sizeof *f);
    if (!f)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    pthread_mutex_init(&f->mu, NULL);
    f->type = def->type;
    f->decimals = def->type == KW_METRICS_COUNTER ? def->decimals : 0;
    f->name = strdup(def->name);
    f->help = strdup(def->help ? def->help : "");
    if (!f->name || !f->help) {
        rc = kw_err_set(err, KW_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = parse_labels(f, def->labels, err)) != 0)
        goto fail;
    if (def->type == KW_METRICS_HISTOGRAM) {
        memcpy(f->bounds, def->buckets, def->nbuckets * sizeof *def->buckets);
        f->nbuckets = def->nbuckets;
    }
    pthread_mutex_lock(&m->mu);
    for (kw_metrics_family *g = m->head; g; g = g->next)
        if (strcmp(g->name, f->name) == 0) {
            pthread_mutex_unlock(&m->mu);
            rc = kw_err_set(err, KW_EINVAL, "metric %s is already registered", f->name);
            goto fail;
        }
    if (m->tail)
        m->tail->next = f;
    else
        m->head = f;
    m->tail = f;
    pthread_mutex_unlock(&m->mu);
    if (f->nlabels == 0 && !kw_metrics_series_get(f, NULL))
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    if (out)
        *out = f;
    return 0;
fail:
    family_free(f);
    return rc;
}

static bool same_values(const kw_metrics_series *s, int n, const char *const *values)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s->values[i], values[i] ? values[i] : "") != 0)
            return false;
    return true;
}

static kw_metrics_series *find(kw_metrics_family *f, size_t n, const char *const *values)
{
    for (size_t i = 0; i < n; i++)
        if (same_values(f->series[i], f->nlabels, values))
            return f->series[i];
    return NULL;
}

static kw_metrics_series *series_new(const kw_metrics_family *f, const char *const *values)
{
    kw_metrics_series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->family = f;
    for (int i = 0; i < f->nlabels; i++)
        if (!(s->values[i] = strdup(values[i] ? values[i] : "")))
            goto fail;
    if (f->type == KW_METRICS_HISTOGRAM && !(s->buckets = calloc(f->nbuckets + 1, sizeof *s->buckets)))
        goto fail;
    return s;
fail:
    series_free(s);
    return NULL;
}

kw_metrics_series *kw_metrics_series_get(kw_metrics_family *f, const char *const *values)
{
    if (!f)
        return NULL;
    kw_metrics_series *s = find(f, atomic_load_explicit(&f->nseries, memory_order_acquire), values);
    if (s)
        return s;
    pthread_mutex_lock(&f->mu);
    size_t n = atomic_load_explicit(&f->nseries, memory_order_relaxed);
    s = find(f, n, values);
    if (!s && n < KW_METRICS_MAX_SERIES && (s = series_new(f, values)) != NULL) {
        f->series[n] = s;
        atomic_store_explicit(&f->nseries, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&f->mu);
    return s;
}

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static void add_double(_Atomic uint64_t *bits, double delta)
{
    uint64_t old = atomic_load_explicit(bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(bits, &old, to_bits(from_bits(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void kw_metrics_inc(kw_metrics_series *s, int64_t n)
{
    if (s && n > 0)
        atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
}

void kw_metrics_set(kw_metrics_series *s, double v)
{
    if (s)
        atomic_store_explicit(&s->bits, to_bits(v), memory_order_relaxed);
}

void kw_metrics_add(kw_metrics_series *s, double delta)
{
    if (s)
        add_double(&s->bits, delta);
}

void kw_metrics_observe(kw_metrics_series *s, double v)
{
    if (!s || !s->buckets || isnan(v))
        return;
    const kw_metrics_family *f = s->family;
    size_t i = 0;
    while (i < f->nbuckets && v > f->bounds[i])
        i++;
    atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
    add_double(&s->bits, v);
}

int64_t kw_metrics_counter_value(const kw_metrics_series *s)
{
    return s ? atomic_load_explicit(&s->count, memory_order_relaxed) : 0;
}

double kw_metrics_gauge_value(const kw_metrics_series *s)
{
    return s ? from_bits(atomic_load_explicit(&s->bits, memory_order_relaxed)) : 0;
}

int kw_metrics_on_render(kw_metrics *m, void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&m->mu);
    int rc = KW_ELIMIT;
    if (m->nhooks < MAX_HOOKS) {
        m->hooks[m->nhooks].fn = fn;
        m->hooks[m->nhooks].ctx = ctx;
        m->nhooks++;
        rc = 0;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* The shortest text that reads back as the same double, Prometheus style. */
static const char *fmt_double(char buf[40], double v)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    snprintf(buf, 40, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, 40, "%.17g", v);
    return buf;
}

static void put_double(FILE *o, double v)
{
    char buf[40];
    fputs(fmt_double(buf, v), o);
}

static void put_counter(FILE *o, int64_t v, int decimals)
{
    if (decimals == 0) {
        fprintf(o, "%lld", (long long)v);
        return;
    }
    int64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    fprintf(o, "%lld.%0*lld", (long long)(v / scale), decimals, (long long)(v % scale));
}

static void put_escaped(FILE *o, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", o);
        else if (*s == '\n')
            fputs("\\n", o);
        else if (quote && *s == '"')
            fputs("\\\"", o);
        else
            fputc(*s, o);
    }
}

/* Writes `name{labels[,le="x"]} ` (the braces only when there are labels). */
static void put_series_name(FILE *o, const kw_metrics_family *f, const char *suffix,
                            const kw_metrics_series *s, const char *le)
{
    fprintf(o, "%s%s", f->name, suffix);
    if (f->nlabels == 0 && !le) {
        fputc(' ', o);
        return;
    }
    fputc('{', o);
    for (int i = 0; i < f->nlabels; i++) {
        fprintf(o, "%s%s=\"", i ? "," : "", f->labels[i]);
        put_escaped(o, s->values[i], true);
        fputc('"', o);
    }
    if (le)
        fprintf(o, "%sle=\"%s\"", f->nlabels ? "," : "", le);
    fputs("} ", o);
}

static void render_histogram(FILE *o, const kw_metrics_family *f, const kw_metrics_series *s)
{
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= f->nbuckets; b++) {
        cumulative += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
        char buf[40];
        put_series_name(o, f, "_bucket", s, b < f->nbuckets ? fmt_double(buf, f->bounds[b]) : "+Inf");
        fprintf(o, "%llu\n", (unsigned long long)cumulative);
    }
    put_series_name(o, f, "_sum", s, NULL);
    put_double(o, from_bits(atomic_load_explicit(&s->bits, memory_order_relaxed)));
    fputc('\n', o);
    put_series_name(o, f, "_count", s, NULL);
    fprintf(o, "%llu\n", (unsigned long long)cumulative);
}

static void render_family(FILE *o, kw_metrics_family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    fprintf(o, "# HELP %s ", f->name);
    put_escaped(o, f->help, false);
    fprintf(o, "\n# TYPE %s %s\n", f->name, types[f->type]);
    size_t n = atomic_load_explicit(&f->nseries, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        const kw_metrics_series *s = f->series[i];
        switch (f->type) {
        case KW_METRICS_COUNTER:
            put_series_name(o, f, "", s, NULL);
            put_counter(o, atomic_load_explicit(&s->count, memory_order_relaxed), f->decimals);
            fputc('\n', o);
            break;
        case KW_METRICS_GAUGE:
            put_series_name(o, f, "", s, NULL);
            put_double(o, from_bits(atomic_load_explicit(&s->bits, memory_order_relaxed)));
            fputc('\n', o);
            break;
        case KW_METRICS_HISTOGRAM:
            render_histogram(o, f, s);
            break;
        }
    }
}

int kw_metrics_render(kw_metrics *m, char **out, size_t *len)
{
    if (!m)
        return KW_ENOMEM;
    pthread_mutex_lock(&m->mu);
    int nhooks = m->nhooks;
    pthread_mutex_unlock(&m->mu);
    for (int i = 0; i < nhooks; i++)
        m->hooks[i].fn(m->hooks[i].ctx);
    char *buf = NULL;
    size_t n = 0;
    FILE *o = open_memstream(&buf, &n);
    if (!o)
        return KW_ENOMEM;
    pthread_mutex_lock(&m->mu);
    for (kw_metrics_family *f = m->head; f; f = f->next)
        render_family(o, f);
    pthread_mutex_unlock(&m->mu);
    if (fclose(o) != 0) {
        free(buf);
        return KW_ENOMEM;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Samples resident and virtual size from /proc (Linux). */
static void sample_memory(void *ctx)
{
    const kw_metrics_std *std = ctx;
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return;
    unsigned long long size = 0, resident = 0;
    int got = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    if (got != 2)
        return;
    double page = (double)sysconf(_SC_PAGESIZE);
    kw_metrics_set(KW_METRICS_SERIES(std->memory_usage, "rss"), (double)resident * page);
    kw_metrics_set(KW_METRICS_SERIES(std->memory_usage, "virtual"), (double)size * page);
}

static const double api_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const double dao_buckets[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
static const double block_buckets[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

#define NB(a) (sizeof(a) / sizeof(a)[0])

int kw_metrics_register_std(kw_metrics *m, kw_metrics_std *out, kw_err *err)
{
    const struct {
        kw_metrics_family **slot;
        kw_metrics_def def;
    } defs[] = {
        {&out->cycles_processed, {"kale_cycles_processed_total", "Weather cycles settled, by final weather",
                                  KW_METRICS_COUNTER, "outcome", 0, NULL, 0}},
        {&out->user_actions, {"kale_user_actions_total", "User actions received, by type and result",
                              KW_METRICS_COUNTER, "action_type,status", 0, NULL, 0}},
        {&out->rewards_distributed, {"kale_rewards_distributed_kale", "KALE paid out at settlement, by kind",
                                     KW_METRICS_COUNTER, "type", 7, NULL, 0}},
        {&out->api_request_duration, {"kale_api_request_duration_seconds",
                                      "Time from request received to response queued",
                                      KW_METRICS_HISTOGRAM, "method,route,status_code", 0, api_buckets,
                                      NB(api_buckets)}},
        {&out->dao_consensus_duration, {"kale_dao_consensus_duration_seconds",
                                        "Time to compute the DAO votes and consensus of a cycle",
                                        KW_METRICS_HISTOGRAM, NULL, 0, dao_buckets, NB(dao_buckets)}},
        {&out->block_processing_duration, {"kale_block_processing_duration_seconds",
                                           "Time to process one KALE block (phase handlers and farming)",
                                           KW_METRICS_HISTOGRAM, NULL, 0, block_buckets, NB(block_buckets)}},
        {&out->errors, {"kale_errors_total", "Errors, by kind and component", KW_METRICS_COUNTER,
                        "type,component", 0, NULL, 0}},
        {&out->db_connections, {"kale_db_connections_active", "Database connections in use",
                                KW_METRICS_GAUGE, NULL, 0, NULL, 0}},
        {&out->memory_usage, {"kale_memory_usage_bytes", "Process memory, resident and virtual",
                              KW_METRICS_GAUGE, "type", 0, NULL, 0}},
        {&out->work_hash_rate, {"kale_work_hash_rate", "Proof-of-work hashes per second of the miner",
                                KW_METRICS_GAUGE, NULL, 0, NULL, 0}},
        {&out->leader, {"kalewx_leader", "1 while this replica runs the engine, 0 while it stands by",
                        KW_METRICS_GAUGE, NULL, 0, NULL, 0}},
        {&out->ratelimit_shared, {"kalewx_ratelimit_shared",
                                  "1 while rate limits are counted in Redis, 0 while they are local",
                                  KW_METRICS_GAUGE, NULL, 0, NULL, 0}},
    };
    for (size_t i = 0; i < NB(defs); i++) {
        int rc = kw_metrics_register(m, &defs[i].def, defs[i].slot, err);
        if (rc)
            return rc;
    }
    if (kw_metrics_on_render(m, sample_memory, out) != 0)
        return kw_err_set(err, KW_ELIMIT, "too many render hooks");
    return 0;
}

static kw_metrics *global;
static kw_metrics_std global_std;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    kw_metrics *m;
    if (kw_metrics_new(&m) != 0)
        return;
    if (kw_metrics_register_std(m, &global_std, NULL) != 0) {
        memset(&global_std, 0, sizeof global_std);
        kw_metrics_free(m);
        return;
    }
    global = m;
}

kw_metrics *kw_metrics_global(void)
{
    pthread_once(&global_once, global_init);
    return global;
}

const kw_metrics_std *kw_metrics_std_global(void)
{
    pthread_once(&global_once, global_init);
    return &global_std;
}
