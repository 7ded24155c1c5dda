#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/amount.h"

static const kw_config_info infos[KW_CFG_COUNT] = {
#define KW_CFG_INFO_(name, type, def, min, max, secret, choices, help) \
    {#name, 0, KW_CFG_T_##type, def, min, max, secret, choices, help},
    KW_CONFIG_SETTINGS(KW_CFG_INFO_)
#undef KW_CFG_INFO_
};

/* "--cycle-length" for CYCLE_LENGTH, built once. */
static char flags[KW_CFG_COUNT][64];

static const char *flag_of(kw_config_key key)
{
    if (!flags[key][0]) {
        char buf[64] = "--";
        size_t j = 2;
        for (const char *p = infos[key].name; *p && j < sizeof buf - 1; p++)
            buf[j++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
        buf[j] = 0;
        memcpy(flags[key], buf, sizeof buf);
    }
    return flags[key];
}

const kw_config_info *kw_config_describe(kw_config_key key)
{
    static kw_config_info out[KW_CFG_COUNT];
    if (key >= KW_CFG_COUNT)
        return NULL;
    out[key] = infos[key];
    out[key].flag = flag_of(key);
    return &out[key];
}

int kw_config_lookup(const char *name, kw_config_key *out)
{
    for (int i = 0; i < KW_CFG_COUNT; i++)
        if (strcmp(name, infos[i].name) == 0) {
            *out = (kw_config_key)i;
            return 0;
        }
    return KW_ENOTFOUND;
}

static void wipe_text(kw_config *cfg, kw_config_key key)
{
    char *t = cfg->text[key];
    if (!t)
        return;
    if (infos[key].secret) {
        volatile char *v = t;
        while (*v)
            *v++ = 0;
    }
    free(t);
    cfg->text[key] = NULL;
}

static int parse_int(const char *s, int64_t *out)
{
    if (!*s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int64_t *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0) return *out = 0, 0;
    }
    return -1;
}

static int parse_enum(const char *s, const char *choices, int64_t *out)
{
    size_t n = strlen(s);
    int idx = 0;
    for (const char *p = choices; *p; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && n > 0 && strncmp(p, s, n) == 0)
            return *out = idx, 0;
        p += len + (bar ? 1 : 0);
    }
    return -1;
}

/* A fraction 0..1 with up to six decimals, in parts per million. */
static int parse_rate(const char *s, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int digits = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    while (isdigit((unsigned char)*p)) {
        whole = whole * 10 + (*p++ - '0');
        if (whole > 1)
            return -1;
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p)) {
            if (++digits > 6)
                return -1;
            frac = frac * 10 + (*p++ - '0');
        }
    }
    if (*p)
        return -1;
    while (digits++ < 6)
        frac *= 10;
    int64_t v = whole * 1000000 + frac;
    if (v > 1000000)
        return -1;
    *out = v;
    return 0;
}

static int parse_value(kw_config_key key, const char *value, int64_t *num, kw_err *err)
{
    const kw_config_info *in = &infos[key];
    kw_err aerr;
    switch (in->type) {
    case KW_CFG_T_STR:
        *num = 0;
        return 0;
    case KW_CFG_T_INT:
        if (parse_int(value, num) != 0 || *num < in->min || *num > in->max)
            return kw_err_set(err, KW_EINVAL, "%s must be a whole number from %lld to %lld, got \"%s\"",
                              in->name, (long long)in->min, (long long)in->max, value);
        return 0;
    case KW_CFG_T_BOOL:
        if (parse_bool(value, num) != 0)
            return kw_err_set(err, KW_EINVAL, "%s must be 1 or 0 (true/false), got \"%s\"", in->name, value);
        return 0;
    case KW_CFG_T_ENUM:
        if (parse_enum(value, in->choices, num) != 0)
            return kw_err_set(err, KW_EINVAL, "%s must be one of %s, got \"%s\"", in->name, in->choices, value);
        return 0;
    case KW_CFG_T_AMOUNT:
        if (strcmp(value, "0") == 0)
            return *num = 0, 0;
        if (kw_amount_parse(value, in->name, 1, INT64_MAX, num, &aerr) != 0)
            return kw_err_set(err, KW_EINVAL, "%s", aerr.msg);
        return 0;
    case KW_CFG_T_RATE:
        if (parse_rate(value, num) != 0)
            return kw_err_set(err, KW_EINVAL, "%s must be a fraction from 0 to 1 (at most 6 decimals), got \"%s\"",
                              in->name, value);
        return 0;
    }
    return kw_err_set(err, KW_EINTERNAL, "%s has an unknown type", in->name);
}

int kw_config_set(kw_config *cfg, kw_config_key key, const char *value,
                  kw_config_source src, kw_err *err)
{
    if (key >= KW_CFG_COUNT)
        return kw_err_set(err, KW_EINVAL, "unknown setting");
    if (cfg->source[key] > src)
        return 0;
    int64_t num;
    int rc = parse_value(key, value, &num, err);
    if (rc)
        return rc;
    char *copy = strdup(value);
    if (!copy)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    wipe_text(cfg, key);
    cfg->text[key] = copy;
    cfg->num[key] = num;
    cfg->source[key] = src;
    return 0;
}

int kw_config_init(kw_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < KW_CFG_COUNT; i++) {
        int rc = kw_config_set(cfg, (kw_config_key)i, infos[i].def, KW_SRC_DEFAULT, NULL);
        if (rc) {
            kw_config_free(cfg);
            return rc;
        }
    }
    return 0;
}

void kw_config_free(kw_config *cfg)
{
    for (int i = 0; i < KW_CFG_COUNT; i++)
        wipe_text(cfg, (kw_config_key)i);
}

/* Strips matching quotes and surrounding blanks in place; returns the value. */
static char *unquote(char *v, size_t len)
{
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r'))
        v[--len] = 0;
    while (*v == ' ' || *v == '\t')
        v++, len--;
    if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
        v[len - 1] = 0;
        v++;
    }
    return v;
}

int kw_config_load_text(kw_config *cfg, const char *text, const char *origin, kw_err *err)
{
    int rc = 0, lineno = 0;
    const char *p = text;
    while (*p && rc == 0) {
        lineno++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len);
        if (!line)
            return kw_err_set(err, KW_ENOMEM, "out of memory");
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (strncmp(s, "export ", 7) == 0)
            s += 7;
        if (*s && *s != '#' && *s != '\r') {
            char *eq = strchr(s, '=');
            kw_config_key key;
            if (!eq) {
                rc = kw_err_set(err, KW_EINVAL, "%s:%d: expected KEY=VALUE", origin, lineno);
            } else {
                char *k = s;
                *eq = 0;
                size_t kl = strlen(k);
                while (kl && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
                    k[--kl] = 0;
                if (kw_config_lookup(k, &key) != 0) {
                    rc = kw_err_set(err, KW_EINVAL, "%s:%d: unknown setting %s", origin, lineno, k);
                } else {
                    char *v = unquote(eq + 1, strlen(eq + 1));
                    kw_err e2;
                    rc = kw_config_set(cfg, key, v, KW_SRC_FILE, &e2);
                    if (rc)
                        kw_err_set(err, rc, "%s:%d: %s", origin, lineno, e2.msg);
                }
            }
        }
        explicit_bzero(line, len);
        free(line);
        p = nl ? nl + 1 : p + len;
    }
    return rc;
}

int kw_config_load_env(kw_config *cfg, char *const *envp, kw_err *err)
{
    for (; envp && *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        if (!eq)
            continue;
        for (int i = 0; i < KW_CFG_COUNT; i++) {
            size_t n = strlen(infos[i].name);
            if ((size_t)(eq - *envp) == n && strncmp(*envp, infos[i].name, n) == 0) {
                int rc = kw_config_set(cfg, (kw_config_key)i, eq + 1, KW_SRC_ENV, err);
                if (rc)
                    return rc;
                break;
            }
        }
    }
    return 0;
}

int kw_config_load_args(kw_config *cfg, int *argc, char **argv, kw_err *err)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        int matched = -1;
        const char *value = NULL;
        int used = 1;
        if (strncmp(a, "--", 2) == 0) {
            for (int k = 0; k < KW_CFG_COUNT; k++) {
                const char *f = flag_of((kw_config_key)k);
                size_t n = strlen(f);
                if (strncmp(a, f, n) == 0 && (a[n] == 0 || a[n] == '=')) {
                    matched = k;
                    if (a[n] == '=') {
                        value = a + n + 1;
                    } else if (i + 1 < *argc) {
                        value = argv[i + 1];
                        used = 2;
                    } else {
                        return kw_err_set(err, KW_EINVAL, "%s needs a value", f);
                    }
                    break;
                }
            }
        }
        if (matched < 0) {
            argv[out++] = argv[i];
            continue;
        }
        int rc = kw_config_set(cfg, (kw_config_key)matched, value, KW_SRC_FLAG, err);
        if (rc)
            return rc;
        i += used - 1;
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

kw_cycle_config kw_config_cycle(const kw_config *cfg)
{
    return (kw_cycle_config){
        .length = (uint32_t)cfg->num[KW_CFG_CYCLE_LENGTH],
        .start_block = (uint32_t)cfg->num[KW_CFG_CYCLE_START_BLOCK],
        .phase_blocks = {(uint32_t)cfg->num[KW_CFG_PLANTING_BLOCKS],
                         (uint32_t)cfg->num[KW_CFG_WORKING_BLOCKS],
                         (uint32_t)cfg->num[KW_CFG_REVEALING_BLOCKS],
                         (uint32_t)cfg->num[KW_CFG_SETTLING_BLOCKS]},
    };
}

int kw_config_validate(const kw_config *cfg, kw_err *err)
{
    kw_cycle_config cc = kw_config_cycle(cfg);
    return kw_cycle_config_validate(&cc, err);
}

int64_t kw_config_int(const kw_config *cfg, kw_config_key key) { return cfg->num[key]; }
bool kw_config_bool(const kw_config *cfg, kw_config_key key) { return cfg->num[key] != 0; }
const char *kw_config_str(const kw_config *cfg, kw_config_key key) { return cfg->text[key]; }
bool kw_config_is_set(const kw_config *cfg, kw_config_key key) { return cfg->source[key] != KW_SRC_DEFAULT; }
