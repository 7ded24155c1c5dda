#include "api/router.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Segment kinds, in order of precedence (a lower kind wins). */
enum seg_kind { SEG_LITERAL = 0, SEG_PARAM = 1, SEG_TAIL = 2 };

typedef struct seg {
    enum seg_kind kind;
    const char *text;   /* literal text or parameter name (NUL-terminated, in pat) */
    size_t len;
} seg;

typedef struct route_entry {
    kw_route route;
    char *pat;          /* the pattern with '/' and braces replaced by NULs */
    seg segs[KW_ROUTE_SEGMENTS_MAX];
    size_t nsegs;
} route_entry;

struct kw_router {
    route_entry *routes;
    size_t n;
};

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
#define NMETHODS (sizeof methods / sizeof methods[0])

int kw_router_new(kw_router **out)
{
    kw_router *r = calloc(1, sizeof *r);
    if (!r)
        return KW_ENOMEM;
    r->routes = calloc(KW_ROUTES_MAX, sizeof *r->routes);
    if (!r->routes) {
        free(r);
        return KW_ENOMEM;
    }
    *out = r;
    return 0;
}

void kw_router_free(kw_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->routes[i].pat);
    free(r->routes);
    free(r);
}

static bool path_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '@';
}

typedef struct span {
    size_t off, len;
} span;

/* Finds the segments of a path that starts with '/' (the root "/" has
 * none). Returns their number, or KW_EINVAL for an empty, overlong or
 * surplus segment. */
static int split(const char *path, span *out, size_t max, kw_err *err)
{
    size_t n = 0;
    if (strcmp(path, "/") == 0)
        return 0;
    for (const char *p = path + 1;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0)
            return kw_err_set(err, KW_EINVAL, "the path has an empty segment");
        if (len > KW_ROUTE_SEGMENT_MAX)
            return kw_err_set(err, KW_EINVAL, "a path segment is longer than %d bytes", KW_ROUTE_SEGMENT_MAX);
        if (n == max)
            return kw_err_set(err, KW_EINVAL, "the path has more than %zu segments", max);
        out[n].off = (size_t)(p - path);
        out[n].len = len;
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    return (int)n;
}

static int check_prefix(const char *path, kw_err *err)
{
    if (!path || path[0] != '/')
        return kw_err_set(err, KW_EINVAL, "the path must start with '/'");
    if (strlen(path) > KW_ROUTE_PATH_MAX)
        return kw_err_set(err, KW_EINVAL, "the path is longer than %d bytes", KW_ROUTE_PATH_MAX);
    return 0;
}

static int check_segment(const char *s, size_t len, kw_err *err)
{
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return kw_err_set(err, KW_EINVAL, "the path has a \".\" or \"..\" segment");
    for (size_t i = 0; i < len; i++)
        if (!path_char((unsigned char)s[i]))
            return kw_err_set(err, KW_EINVAL, "the path has a character that is not allowed (byte 0x%02x)",
                              (unsigned char)s[i]);
    return 0;
}

int kw_router_check_path(const char *path, kw_err *err)
{
    span sp[KW_ROUTE_SEGMENTS_MAX];
    int rc = check_prefix(path, err);
    if (rc)
        return rc;
    int n = split(path, sp, KW_ROUTE_SEGMENTS_MAX, err);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        if ((rc = check_segment(path + sp[i].off, sp[i].len, err)) != 0)
            return rc;
    return 0;
}

static bool valid_param_name(const char *s, size_t len)
{
    if (len == 0 || !(islower((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
            return false;
    return true;
}

/* Parses e->route.pattern into e->segs (e->pat must be a copy of it). */
static int parse_pattern(route_entry *e, kw_err *err)
{
    const char *pattern = e->route.pattern;
    span sp[KW_ROUTE_SEGMENTS_MAX];
    kw_err why = {0};
    int n = check_prefix(pattern, &why);
    if (n == 0)
        n = split(pattern, sp, KW_ROUTE_SEGMENTS_MAX, &why);
    if (n < 0)
        return kw_err_set(err, KW_EINVAL, "pattern %s: %s", pattern ? pattern : "(null)", why.msg);
    int params = 0;
    for (int i = 0; i < n; i++) {
        char *s = e->pat + sp[i].off;
        size_t len = sp[i].len;
        s[len] = 0;
        seg *g = &e->segs[i];
        if (s[0] != '{') {
            if (check_segment(s, len, &why) != 0)
                return kw_err_set(err, KW_EINVAL, "pattern %s: %s", pattern, why.msg);
            *g = (seg){SEG_LITERAL, s, len};
            continue;
        }
        if (len < 3 || s[len - 1] != '}')
            return kw_err_set(err, KW_EINVAL, "pattern %s: segment %d is not {name}", pattern, i + 1);
        s[len - 1] = 0;
        size_t nl = len - 2;
        enum seg_kind kind = SEG_PARAM;
        if (nl > 3 && strcmp(s + 1 + nl - 3, "...") == 0) {
            nl -= 3;
            s[1 + nl] = 0;
            kind = SEG_TAIL;
            if (i != n - 1)
                return kw_err_set(err, KW_EINVAL, "pattern %s: {%s...} must be the last segment", pattern, s + 1);
        }
        if (!valid_param_name(s + 1, nl))
            return kw_err_set(err, KW_EINVAL, "pattern %s: bad parameter name in segment %d", pattern, i + 1);
        for (int j = 0; j < i; j++)
            if (e->segs[j].kind != SEG_LITERAL && strcmp(e->segs[j].text, s + 1) == 0)
                return kw_err_set(err, KW_EINVAL, "pattern %s: parameter %s appears twice", pattern, s + 1);
        if (++params > KW_ROUTE_PARAMS_MAX)
            return kw_err_set(err, KW_EINVAL, "pattern %s: more than %d parameters", pattern, KW_ROUTE_PARAMS_MAX);
        *g = (seg){kind, s + 1, nl};
    }
    e->nsegs = (size_t)n;
    return 0;
}

static bool same_shape(const route_entry *a, const route_entry *b)
{
    if (a->nsegs != b->nsegs)
        return false;
    for (size_t i = 0; i < a->nsegs; i++) {
        if (a->segs[i].kind != b->segs[i].kind)
            return false;
        if (a->segs[i].kind == SEG_LITERAL && strcmp(a->segs[i].text, b->segs[i].text) != 0)
            return false;
    }
    return true;
}

static int method_index(const char *m)
{
    for (size_t i = 0; i < NMETHODS; i++)
        if (m && strcmp(m, methods[i]) == 0)
            return (int)i;
    return -1;
}

int kw_router_add(kw_router *r, const kw_route *route, kw_err *err)
{
    if (r->n == KW_ROUTES_MAX)
        return kw_err_set(err, KW_EINVAL, "more than %d routes", KW_ROUTES_MAX);
    if (method_index(route->method) < 0)
        return kw_err_set(err, KW_EINVAL, "route %s: unsupported method %s", route->pattern ? route->pattern : "",
                          route->method ? route->method : "(null)");
    if (!route->handler)
        return kw_err_set(err, KW_EINVAL, "route %s %s has no handler", route->method, route->pattern);
    route_entry *e = &r->routes[r->n];
    memset(e, 0, sizeof *e);
    e->route = *route;
    if (route->pattern && !(e->pat = strdup(route->pattern)))
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int rc = parse_pattern(e, err);
    for (size_t i = 0; rc == 0 && i < r->n; i++)
        if (strcmp(r->routes[i].route.method, route->method) == 0 && same_shape(&r->routes[i], e))
            rc = kw_err_set(err, KW_EINVAL, "route %s %s duplicates %s", route->method, route->pattern,
                            r->routes[i].route.pattern);
    if (rc) {
        free(e->pat);
        memset(e, 0, sizeof *e);
        return rc;
    }
    r->n++;
    return 0;
}

int kw_router_add_all(kw_router *r, const kw_route *routes, size_t n, kw_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = kw_router_add(r, &routes[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Whether e matches the path's segments. */
static bool matches(const route_entry *e, const char *path, const span *sp, size_t n)
{
    if (e->nsegs == 0 || e->segs[e->nsegs - 1].kind != SEG_TAIL) {
        if (e->nsegs != n)
            return false;
    } else if (n < e->nsegs) {
        return false;
    }
    for (size_t i = 0; i < e->nsegs; i++) {
        const seg *g = &e->segs[i];
        if (g->kind == SEG_LITERAL && (g->len != sp[i].len || memcmp(g->text, path + sp[i].off, g->len) != 0))
            return false;
    }
    return true;
}

/* Whether a takes precedence over b (both match the same path). */
static bool better(const route_entry *a, const route_entry *b)
{
    for (size_t i = 0; i < a->nsegs && i < b->nsegs; i++)
        if (a->segs[i].kind != b->segs[i].kind)
            return a->segs[i].kind < b->segs[i].kind;
    return a->nsegs > b->nsegs;
}

static void build_allow(char *out, size_t cap, const bool has[NMETHODS])
{
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < NMETHODS; i++) {
        if (!has[i])
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "", methods[i]);
        if (i == 0)
            len += (size_t)snprintf(out + len, cap - len, ", HEAD");
    }
    snprintf(out + len, cap - len, "%sOPTIONS", len ? ", " : "");
}

void kw_router_match(const kw_router *r, const char *method, const char *path, kw_route_match *m)
{
    span sp[KW_ROUTE_SEGMENTS_MAX];
    m->status = KW_MATCH_NOT_FOUND;
    m->route = NULL;
    m->nparams = 0;
    m->allow[0] = 0;
    m->err.code = 0;
    m->err.msg[0] = 0;
    if (kw_router_check_path(path, &m->err) != 0) {
        m->status = KW_MATCH_BAD_PATH;
        return;
    }
    int n = split(path, sp, KW_ROUTE_SEGMENTS_MAX, NULL);
    const char *want = method && strcmp(method, "HEAD") == 0 ? "GET" : method;
    bool has[NMETHODS] = {false}, any = false;
    const route_entry *best = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const route_entry *e = &r->routes[i];
        if (!matches(e, path, sp, (size_t)n))
            continue;
        any = true;
        has[method_index(e->route.method)] = true;
        if (want && strcmp(e->route.method, want) == 0 && (!best || better(e, best)))
            best = e;
    }
    if (!any)
        return;
    build_allow(m->allow, sizeof m->allow, has);
    if (method && strcmp(method, "OPTIONS") == 0) {
        m->status = KW_MATCH_OPTIONS;
        return;
    }
    if (!best) {
        m->status = KW_MATCH_NO_METHOD;
        return;
    }
    memcpy(m->buf, path, strlen(path) + 1);
    for (size_t i = 0; i < best->nsegs; i++) {
        const seg *g = &best->segs[i];
        if (g->kind == SEG_LITERAL)
            continue;
        m->names[m->nparams] = g->text;
        m->values[m->nparams] = m->buf + sp[i].off;
        if (g->kind == SEG_PARAM)
            m->buf[sp[i].off + sp[i].len] = 0;
        m->nparams++;
    }
    m->route = &best->route;
    m->status = KW_MATCH_OK;
}

const char *kw_route_param(const kw_route_match *m, const char *name)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (strcmp(m->names[i], name) == 0)
            return m->values[i];
    return NULL;
}

size_t kw_router_count(const kw_router *r) { return r->n; }

const kw_route *kw_router_at(const kw_router *r, size_t i) { return i < r->n ? &r->routes[i].route : NULL; }
