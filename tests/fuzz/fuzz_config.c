/* libFuzzer target: settings from outside — a settings file
 * (kw_config_load_text), the environment (kw_config_load_env) and the command
 * line (kw_config_load_args), then kw_config_validate. The first byte picks
 * the source; for the environment and the command line the rest is split at
 * NUL bytes into strings. Whatever is accepted must lie within the setting's
 * bounds and keep the precedence of its source. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

/* Splits text[0..n) (NUL-terminated at n) at NULs into a NULL-terminated
 * vector with room for one more entry. */
static char **split(char *text, size_t n, int *count)
{
    size_t cap = 2;
    for (size_t i = 0; i < n; i++)
        cap += text[i] == 0;
    char **v = calloc(cap + 1, sizeof *v);
    if (!v)
        return NULL;
    int c = 0;
    v[c++] = "kalewx";
    for (size_t i = 0; i <= n; i += strlen(text + i) + 1)
        v[c++] = text + i;
    v[c] = NULL;
    *count = c;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    unsigned mode = data[0] % 3;
    char *text = malloc(n);
    if (!text)
        return 0;
    memcpy(text, data + 1, n - 1);
    text[n - 1] = 0;
    kw_config cfg;
    kw_err e = {0};
    if (kw_config_init(&cfg) != 0) {
        free(text);
        return 0;
    }
    int rc = 0, argc = 0;
    char **v = NULL;
    kw_config_source src = KW_SRC_FILE;
    if (mode == 0) {
        rc = kw_config_load_text(&cfg, text, "fuzz.env", &e);
    } else if ((v = split(text, n - 1, &argc)) != NULL) {
        if (mode == 1) {
            src = KW_SRC_ENV;
            rc = kw_config_load_env(&cfg, v + 1, &e);
        } else {
            int before = argc;
            src = KW_SRC_FLAG;
            rc = kw_config_load_args(&cfg, &argc, v, &e);
            if (rc == 0 && (argc > before || v[argc] != NULL))
                abort();
        }
    }
    if (rc == 0) {
        for (int k = 0; k < KW_CFG_COUNT; k++) {
            const kw_config_info *info = kw_config_describe((kw_config_key)k);
            if (!cfg.text[k] || (cfg.source[k] != KW_SRC_DEFAULT && cfg.source[k] != src))
                abort();
            if (info->type == KW_CFG_T_INT && (cfg.num[k] < info->min || cfg.num[k] > info->max))
                abort();
        }
        kw_err ve = {0};
        (void)kw_config_validate(&cfg, &ve);
    } else if (!e.msg[0]) {
        abort();
    }
    kw_config_free(&cfg);
    free(v);
    free(text);
    return 0;
}
