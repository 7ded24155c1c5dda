#include "oas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static json_t *doc;

void kwt_oas_use(json_t *d)
{
    json_decref(doc);
    doc = json_incref(d);
}

static const json_t *resolve(const json_t *s)
{
    for (int hops = 0; hops < 8 && json_is_object(s) && json_object_get(s, "$ref"); hops++) {
        const char *ref = json_string_value(json_object_get(s, "$ref"));
        if (!ref || strncmp(ref, "#/", 2) != 0)
            return NULL;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", ref + 2);
        const json_t *at = doc;
        for (char *save, *part = strtok_r(buf, "/", &save); part && at; part = strtok_r(NULL, "/", &save))
            at = json_object_get(at, part);
        s = at;
    }
    return s;
}

static bool has_type(const json_t *v, const char *t)
{
    if (strcmp(t, "object") == 0)
        return json_is_object(v);
    if (strcmp(t, "array") == 0)
        return json_is_array(v);
    if (strcmp(t, "string") == 0)
        return json_is_string(v);
    if (strcmp(t, "integer") == 0)
        return json_is_integer(v);
    if (strcmp(t, "number") == 0)
        return json_is_number(v);
    if (strcmp(t, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(t, "null") == 0)
        return json_is_null(v);
    return false;
}

static int fail(char *why, size_t cap, const char *at, const char *what)
{
    snprintf(why, cap, "%s: %s", at[0] ? at : "/", what);
    return -1;
}

static int validate(const json_t *schema, const json_t *v, const char *at, char *why, size_t cap)
{
    schema = resolve(schema);
    if (!json_is_object(schema))
        return fail(why, cap, at, "schema does not resolve");
    const json_t *one = json_object_get(schema, "oneOf");
    if (one) {
        int matches = 0;
        size_t i;
        json_t *alt;
        char sub[256];
        json_array_foreach(one, i, alt) matches += validate(alt, v, at, sub, sizeof sub) == 0;
        if (matches != 1)
            return fail(why, cap, at, matches ? "matches more than one alternative" : "matches no alternative");
    }
    const json_t *type = json_object_get(schema, "type");
    if (type) {
        bool ok = false;
        if (json_is_string(type)) {
            ok = has_type(v, json_string_value(type));
        } else {
            size_t i;
            json_t *t;
            json_array_foreach(type, i, t) ok = ok || has_type(v, json_string_value(t));
        }
        if (!ok) {
            char msg[160];
            char *text = json_dumps(type, JSON_ENCODE_ANY | JSON_COMPACT);
            snprintf(msg, sizeof msg, "not of type %s", text ? text : "?");
            free(text);
            return fail(why, cap, at, msg);
        }
    }
    const json_t *en = json_object_get(schema, "enum");
    if (en) {
        bool ok = false;
        size_t i;
        json_t *e;
        json_array_foreach(en, i, e) ok = ok || json_equal(e, v);
        if (!ok)
            return fail(why, cap, at, "not one of the enum values");
    }
    if (json_is_object(v)) {
        size_t i;
        json_t *req;
        json_array_foreach(json_object_get(schema, "required"), i, req) {
            if (!json_object_get(v, json_string_value(req))) {
                char msg[160];
                snprintf(msg, sizeof msg, "required member \"%s\" missing", json_string_value(req));
                return fail(why, cap, at, msg);
            }
        }
        const json_t *props = json_object_get(schema, "properties");
        const json_t *extra = json_object_get(schema, "additionalProperties");
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)v, key, member) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", at, key);
            const json_t *ps = props ? json_object_get(props, key) : NULL;
            if (ps) {
                if (validate(ps, member, sub, why, cap))
                    return -1;
            } else if (json_is_false(extra)) {
                return fail(why, cap, sub, "member not allowed");
            } else if (json_is_object(extra) && validate(extra, member, sub, why, cap)) {
                return -1;
            }
        }
    }
    const json_t *items = json_object_get(schema, "items");
    if (items && json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%zu", at, i);
            if (validate(items, e, sub, why, cap))
                return -1;
        }
    }
    return 0;
}

int kwt_oas_validate(const json_t *schema, const json_t *v, char *why, size_t cap)
{
    return validate(schema, v, "", why, cap);
}

/* How well a documented path fits: -1 when not at all, else its literal segments. */
static int fit(const char *templ, const char *path)
{
    int literal = 0;
    const char *t = templ, *p = path;
    while (*t && *p) {
        if (*t++ != '/' || *p++ != '/')
            return -1;
        size_t tl = strcspn(t, "/"), pl = strcspn(p, "/");
        if (*t == '{') {
            if (pl == 0)
                return -1;
            /* The last parameter of /static/{file} takes the rest. */
            if (strcmp(templ, "/static/{file}") == 0)
                return literal;
        } else if (tl != pl || strncmp(t, p, tl) != 0) {
            return -1;
        } else {
            literal++;
        }
        t += tl;
        p += pl;
    }
    return *t || *p ? -1 : literal;
}

int kwt_oas_check(const char *method, const char *path, long status, const char *content_type, const json_t *body,
                  char *why, size_t cap)
{
    char clean[1024], lower[16];
    snprintf(clean, sizeof clean, "%.*s", (int)strcspn(path, "?"), path);
    size_t n = 0;
    for (; method[n] && n + 1 < sizeof lower; n++)
        lower[n] = (char)(method[n] >= 'A' && method[n] <= 'Z' ? method[n] + 32 : method[n]);
    lower[n] = 0;
    const char *best = NULL, *key;
    int best_fit = -1;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), key, item) {
        int f = fit(key, clean);
        if (f > best_fit && json_object_get(item, lower)) {
            best = key;
            best_fit = f;
        }
    }
    if (!best) {
        /* No route: the router's own 4xx, in the error envelope. */
        if (status < 400) {
            snprintf(why, cap, "%s %s: %ld with no documented operation", method, clean, status);
            return -1;
        }
        const json_t *err = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"), "Error");
        char sub[400];
        if (body && validate(err, body, "", sub, sizeof sub) != 0) {
            snprintf(why, cap, "%s %s %ld: %s", method, clean, status, sub);
            return -1;
        }
        return 0;
    }
    const json_t *op = json_object_get(json_object_get(json_object_get(doc, "paths"), best), lower);
    char code[8];
    snprintf(code, sizeof code, "%ld", status);
    const json_t *responses = json_object_get(op, "responses");
    const json_t *resp = resolve(json_object_get(responses, code));
    if (!resp && status >= 400)
        resp = resolve(json_object_get(responses, "default"));
    if (!resp) {
        snprintf(why, cap, "%s %s: status %ld is not documented", method, best, status);
        return -1;
    }
    const json_t *content = json_object_get(resp, "content");
    if (!content || !content_type)
        return 0;
    char media[128];
    snprintf(media, sizeof media, "%.*s", (int)strcspn(content_type, ";"), content_type);
    const json_t *m = json_object_get(content, media);
    if (!m && !json_object_get(content, "*/*")) {
        snprintf(why, cap, "%s %s: %ld replied %s, which is not documented", method, best, status, media);
        return -1;
    }
    if (!m || strcmp(media, "application/json") != 0 || !body)
        return 0;
    char sub[400];
    if (validate(json_object_get(m, "schema"), body, "", sub, sizeof sub) != 0) {
        snprintf(why, cap, "%s %s %ld: %s", method, best, status, sub);
        return -1;
    }
    return 0;
}
