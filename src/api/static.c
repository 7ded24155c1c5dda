#include "api/static.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/web_paths.h"
#include "crypto/sha.h"

typedef struct file {
    char *name;        /* relative path, '/'-separated */
    char *data;
    size_t len;
    char etag[36];     /* "\"" + 32 hex + "\"" */
} file;

struct kw_static {
    file *files;
    size_t n, cap, total;
};

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
};

const char *kw_static_content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

void kw_static_free(kw_static *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++) {
        free(st->files[i].name);
        free(st->files[i].data);
    }
    free(st->files);
    free(st);
}

size_t kw_static_count(const kw_static *st) { return st->n; }

static int read_all(int fd, const char *path, size_t len, char **out, kw_err *err)
{
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            return kw_err_set(err, KW_EIO, "cannot read %s: %s", path, r < 0 ? strerror(errno) : "it shrank");
        }
        got += (size_t)r;
    }
    *out = buf;
    return 0;
}

static int add_file(kw_static *st, int dirfd, const char *name, const char *rel, const char *path, kw_err *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return kw_err_set(err, KW_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    int rc = 0;
    char *data = NULL;
    if (fstat(fd, &sb) != 0)
        rc = kw_err_set(err, KW_EIO, "cannot stat %s: %s", path, strerror(errno));
    else if (sb.st_size > KW_STATIC_FILE_MAX)
        rc = kw_err_set(err, KW_ELIMIT, "%s is larger than %d bytes", path, KW_STATIC_FILE_MAX);
    else if (st->total + (size_t)sb.st_size > KW_STATIC_TOTAL_MAX)
        rc = kw_err_set(err, KW_ELIMIT, "the web directory holds more than %d bytes (at %s)", KW_STATIC_TOTAL_MAX,
                        path);
    else
        rc = read_all(fd, path, (size_t)sb.st_size, &data, err);
    close(fd);
    if (rc)
        return rc;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        file *grown = realloc(st->files, cap * sizeof *grown);
        if (!grown) {
            free(data);
            return kw_err_set(err, KW_ENOMEM, "out of memory");
        }
        st->files = grown;
        st->cap = cap;
    }
    file *f = &st->files[st->n];
    if (!(f->name = strdup(rel))) {
        free(data);
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    f->data = data;
    f->len = (size_t)sb.st_size;
    uint8_t digest[32];
    kw_sha256(data, f->len, digest);
    f->etag[0] = '"';
    kw_hex_encode(digest, 16, f->etag + 1);
    f->etag[33] = '"';
    f->etag[34] = 0;
    st->total += f->len;
    st->n++;
    return 0;
}

/* Adds every regular file under dirfd (which it closes), `prefix` being
 * its path relative to the root. */
static int walk(kw_static *st, int dirfd, const char *root, const char *prefix, int depth, kw_err *err)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return kw_err_set(err, KW_EIO, "cannot list %s/%s: %s", root, prefix, strerror(errno));
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char rel[512], path[1024];
        snprintf(rel, sizeof rel, "%s%s%s", prefix, *prefix ? "/" : "", e->d_name);
        snprintf(path, sizeof path, "%s/%s", root, rel);
        struct stat sb;
        if (fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = kw_err_set(err, KW_EIO, "cannot stat %s: %s", path, strerror(errno));
        } else if (S_ISREG(sb.st_mode)) {
            /* A name no URL can reach (a space, say) is not worth memory. */
            char url[530];
            snprintf(url, sizeof url, "/static/%s", rel);
            if (kw_router_check_path(url, NULL) == 0)
                rc = add_file(st, dirfd, e->d_name, rel, path, err);
        } else if (S_ISDIR(sb.st_mode) && depth < KW_STATIC_DEPTH) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = sub < 0 ? kw_err_set(err, KW_EIO, "cannot open %s: %s", path, strerror(errno))
                         : walk(st, sub, root, rel, depth + 1, err);
        }
    }
    closedir(d);
    return rc;
}

const char *kw_static_default_dir(char *out, size_t n)
{
    struct stat sb;
    if (KW_WEB_DIR_FROM_BIN[0] == '/') {
        snprintf(out, n, "%s", KW_WEB_DIR_FROM_BIN);
        if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
            return out;
    } else {
        char exe[4096];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (len > 0) {
            exe[len] = 0;
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = 0;
            int w = snprintf(out, n, "%s/%s", exe, KW_WEB_DIR_FROM_BIN);
            if (w > 0 && (size_t)w < n && stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
                return out;
        }
    }
    snprintf(out, n, "%s", KW_WEB_DIR_SOURCE);
    return out;
}

int kw_static_load(const char *dir, kw_static **out, kw_err *err)
{
    kw_static *st = calloc(1, sizeof *st);
    if (!st)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        kw_static_free(st);
        return kw_err_set(err, KW_EIO, "cannot open the web directory %s: %s", dir, strerror(errno));
    }
    int rc = fd < 0 ? 0 : walk(st, fd, dir, "", 1, err);
    if (rc) {
        kw_static_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

static const file *find(const kw_static *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->files[i].name, name) == 0)
            return &st->files[i];
    return NULL;
}

/* Whether an If-None-Match list names etag (weak comparison, as RFC 9110 asks). */
static int etag_matches(const char *header, const char *etag)
{
    size_t n = strlen(etag);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == 0 || p[n] == ',' || p[n] == ' '))
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

int kw_static_handler(const kw_http_req *req, kw_http_res *res)
{
    const kw_static *st = req->ctx;
    const char *name = kw_http_param(req, "file");
    if (!name)
        name = "index.html";
    const file *f = find(st, name);
    if (!f)
        return kw_err_set(&res->err, KW_ENOTFOUND, "no file %s", strcmp(req->path, "/") == 0 ? "index.html" : req->path);
    const char *cache = strstr(kw_static_content_type(f->name), "text/html") ? "no-cache" : "public, max-age=3600";
    int rc;
    if ((rc = kw_http_add_header(res, "ETag", f->etag)) != 0 || (rc = kw_http_add_header(res, "Cache-Control", cache)) != 0)
        return kw_err_set(&res->err, KW_EINTERNAL, "could not add cache headers");
    const char *inm = kw_http_header(req, "If-None-Match");
    if (inm && etag_matches(inm, f->etag))
        return kw_http_body_take(res, 304, NULL, NULL, 0, NULL, NULL);
    return kw_http_body_take(res, 200, kw_static_content_type(f->name), f->data, f->len, NULL, NULL);
}
