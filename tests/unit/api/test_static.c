#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/static.h"
#include "api/web_paths.h"

static char dir[64];

static void put(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/kw-static-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char sub[128];
    snprintf(sub, sizeof sub, "%s/css", dir);
    mkdir(sub, 0700);
    put("index.html", "<!doctype html><title>kalewx</title>");
    put("app.js", "console.log(1)");
    put("css/app.css", "body{}");
    put(".secret", "nope");
    put("with space.txt", "unreachable");
    char link[128];
    snprintf(link, sizeof link, "%s/passwd.txt", dir);
    cr_assert_eq(symlink("/etc/passwd", link), 0);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(static_files, .init = setup, .fini = teardown);

typedef struct fake {
    const char *inm;
} fake;

static const char *lookup(void *t, kw_http_lookup kind, const char *name)
{
    const fake *f = t;
    return kind == KW_HTTP_HEADER && strcmp(name, "If-None-Match") == 0 ? f->inm : NULL;
}

static kw_http_res serve(kw_static *st, const char *path, const char *file, const char *inm, int *rc)
{
    kw_route_match m = {.status = KW_MATCH_OK};
    if (file) {
        m.nparams = 1;
        m.names[0] = "file";
        m.values[0] = file;
    }
    fake f = {inm};
    kw_http_req req = {.method = "GET", .path = path, .match = &m, .ctx = st, .lookup = lookup, .transport = &f};
    kw_http_res res = {0};
    *rc = kw_static_handler(&req, &res);
    return res;
}

Test(static_files, serves_from_memory_with_types_and_etags)
{
    kw_static *st;
    kw_err e = {0};
    cr_assert_eq(kw_static_load(dir, &st, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_static_count(st), 3, "dotfiles, symlinks and unreachable names are skipped");
    int rc;
    kw_http_res r = serve(st, "/", NULL, NULL, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.content_type, "text/html; charset=utf-8");
    cr_assert_eq(r.body_len, strlen("<!doctype html><title>kalewx</title>"));
    cr_assert_str_eq(kw_http_get_header(&r, "Cache-Control"), "no-cache");
    const char *etag = kw_http_get_header(&r, "ETag");
    cr_assert_eq(strlen(etag), 34);
    cr_assert_eq(etag[0], '"');

    char inm[80];
    snprintf(inm, sizeof inm, "\"other\", W/%s", etag);
    kw_http_res again = serve(st, "/", NULL, inm, &rc);
    cr_assert_eq(again.status, 304);
    cr_assert_eq(again.body_len, 0);
    cr_assert_str_eq(kw_http_get_header(&again, "ETag"), etag);
    kw_http_res miss = serve(st, "/", NULL, "\"other\"", &rc);
    cr_assert_eq(miss.status, 200);

    r = serve(st, "/static/css/app.css", "css/app.css", NULL, &rc);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.content_type, "text/css; charset=utf-8");
    cr_assert_str_eq(kw_http_get_header(&r, "Cache-Control"), "public, max-age=3600");
    r = serve(st, "/static/app.js", "app.js", NULL, &rc);
    cr_assert_str_eq(r.content_type, "text/javascript; charset=utf-8");

    kw_http_res none = serve(st, "/static/passwd.txt", "passwd.txt", NULL, &rc);
    cr_assert_eq(rc, KW_ENOTFOUND);
    cr_assert_eq(none.status, 0);
    serve(st, "/static/.secret", ".secret", NULL, &rc);
    cr_assert_eq(rc, KW_ENOTFOUND);
    kw_static_free(st);
}

Test(static_files, missing_directory_is_empty)
{
    kw_static *st;
    kw_err e = {0};
    cr_assert_eq(kw_static_load("/nonexistent/kalewx-web", &st, &e), 0);
    cr_assert_eq(kw_static_count(st), 0);
    int rc;
    serve(st, "/", NULL, NULL, &rc);
    cr_assert_eq(rc, KW_ENOTFOUND);
    kw_static_free(st);
}

Test(static_files, content_types)
{
    cr_assert_str_eq(kw_static_content_type("a.SVG"), "image/svg+xml");
    cr_assert_str_eq(kw_static_content_type("font.woff2"), "font/woff2");
    cr_assert_str_eq(kw_static_content_type("noext"), "application/octet-stream");
    cr_assert_str_eq(kw_static_content_type("dir.js/file"), "application/octet-stream");
}

/* From the build tree, where nothing is installed beside the executable, the
 * default is the source tree's web/: the dashboard this binary was built with. */
Test(static_files, default_dir_from_the_build_tree_is_the_source_tree)
{
    char buf[4096];
    const char *d = kw_static_default_dir(buf, sizeof buf);
    cr_assert_eq(d, buf);
    cr_assert_str_eq(d, KW_WEB_DIR_SOURCE);
    kw_static *st;
    kw_err e = {0};
    cr_assert_eq(kw_static_load(d, &st, &e), 0, "%s", e.msg);
    int rc;
    kw_http_res r = serve(st, "/", NULL, NULL, &rc);
    cr_assert_eq(r.status, 200, "index.html is in %s", d);
    r = serve(st, "/static/app.js", "app.js", NULL, &rc);
    cr_assert_eq(r.status, 200, "app.js is in %s", d);
    kw_static_free(st);
}
