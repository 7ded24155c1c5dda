#include "api/body.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/http.h"
#include "core/amount.h"

/* Fills err with the message and the kw_body_reject reason; returns KW_EINVAL. */
static int reject(kw_err *err, int why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int reject(kw_err *err, int why, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = why;
    }
    return KW_EINVAL;
}

#define malformed(err, ...) reject((err), KW_BODY_MALFORMED, __VA_ARGS__)
#define invalid(err, ...) reject((err), KW_BODY_INVALID, __VA_ARGS__)

/* Nesting depth of the JSON text, looking only outside strings. */
static int depth_of(const char *s, size_t len)
{
    int depth = 0, max = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

int kw_body_parse(const char *body, size_t len, json_t **out, kw_err *err)
{
    *out = NULL;
    size_t bad;
    if (len == 0)
        return malformed(err, "the request body is empty; send a JSON object");
    if (!kw_http_utf8_valid(body, len, &bad))
        return malformed(err, "the body is not valid UTF-8 (byte %zu)", bad);
    if (memchr(body, 0, len))
        return malformed(err, "the body contains a NUL byte");
    if (depth_of(body, len) > KW_BODY_DEPTH_MAX)
        return malformed(err, "the body is nested more than %d levels deep", KW_BODY_DEPTH_MAX);
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return malformed(err, "malformed JSON: %s at line %d, column %d", je.text, je.line, je.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return malformed(err, "the body must be a JSON object");
    }
    *out = root;
    return 0;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a JSON number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Characters of a valid UTF-8 string; -1 if it holds a control character. */
static long text_chars(const char *s)
{
    long n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return -1;
        n += (*p & 0xC0) != 0x80;
    }
    return n;
}

static int choice_index(const char *choices, const char *s)
{
    size_t n = strlen(s);
    int idx = 0;
    for (const char *p = choices; *p; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, s, n) == 0)
            return idx;
        p += len + (bar ? 1 : 0);
    }
    return -1;
}

static int read_field(const kw_field *f, const json_t *v, kw_err *err)
{
    const char *name = f->name;
    switch (f->type) {
    case KW_FIELD_T_ANY:
        return 0;
    case KW_FIELD_T_AMOUNT: {
        if (!json_is_string(v))
            return reject(err, KW_BODY_AMOUNT, "field \"%s\" must be a string such as \"12.5\", not %s", name,
                          json_kind(v));
        kw_err aerr = {0};
        if (kw_amount_parse(json_string_value(v), name, f->min, f->max, f->out, &aerr) != 0)
            return reject(err, aerr.code == KW_AMOUNT_TOO_SMALL || aerr.code == KW_AMOUNT_TOO_LARGE
                                   ? KW_BODY_AMOUNT_RANGE : KW_BODY_AMOUNT, "%s", aerr.msg);
        return 0;
    }
    case KW_FIELD_T_STRING: {
        if (!json_is_string(v))
            return invalid(err, "field \"%s\" must be a string, not %s", name, json_kind(v));
        long chars = text_chars(json_string_value(v));
        if (chars < 0)
            return invalid(err, "field \"%s\" must not contain control characters", name);
        if (chars < f->min || chars > f->max)
            return invalid(err, "field \"%s\" must be %lld to %lld characters long", name, (long long)f->min,
                           (long long)f->max);
        *(const char **)f->out = json_string_value(v);
        return 0;
    }
    case KW_FIELD_T_INT:
        if (!json_is_integer(v))
            return invalid(err, "field \"%s\" must be a whole number, not %s", name,
                           json_is_real(v) ? "a fraction" : json_kind(v));
        if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
            return invalid(err, "field \"%s\" must be from %lld to %lld", name, (long long)f->min,
                           (long long)f->max);
        *(int64_t *)f->out = json_integer_value(v);
        return 0;
    case KW_FIELD_T_BOOL:
        if (!json_is_boolean(v))
            return invalid(err, "field \"%s\" must be true or false, not %s", name, json_kind(v));
        *(bool *)f->out = json_is_true(v);
        return 0;
    case KW_FIELD_T_ENUM: {
        int idx = json_is_string(v) ? choice_index(f->choices, json_string_value(v)) : -1;
        if (idx < 0) {
            char list[160];
            snprintf(list, sizeof list, "%s", f->choices);
            for (char *p = list; (p = strchr(p, '|')) != NULL;)
                *p = '/';
            return invalid(err, "field \"%s\" must be one of %s", name, list);
        }
        *(int *)f->out = idx;
        return 0;
    }
    }
    return invalid(err, "field \"%s\" has an unknown type", name);
}

int kw_body_fields(const json_t *obj, const kw_field *fields, size_t n, kw_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(obj, fields[i].name);
        if (fields[i].present)
            *fields[i].present = v != NULL;
        if (!v) {
            if (fields[i].required)
                return invalid(err, "field \"%s\" is required", fields[i].name);
            continue;
        }
        int rc = read_field(&fields[i], v, err);
        if (rc)
            return rc;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(fields[i].name, key) == 0;
        if (!known) {
            char allowed[160] = "";
            size_t len = 0;
            for (size_t i = 0; i < n && len < sizeof allowed; i++)
                len += (size_t)snprintf(allowed + len, sizeof allowed - len, "%s%s", i ? ", " : "", fields[i].name);
            return reject(err, KW_BODY_UNKNOWN, "unknown field \"%.64s\" (allowed: %s)", key, n ? allowed : "none");
        }
    }
    return 0;
}

int kw_body_read(const char *body, size_t len, const kw_field *fields, size_t n, json_t **root,
                 kw_err *err)
{
    int rc = kw_body_parse(body, len, root, err);
    if (rc == 0 && (rc = kw_body_fields(*root, fields, n, err)) != 0) {
        json_decref(*root);
        *root = NULL;
    }
    return rc;
}
