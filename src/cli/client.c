#include "cli/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/commands.h"

int kw_client_credentials_path(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n = xdg && *xdg ? snprintf(buf, cap, "%s/kalewx/credentials", xdg)
                        : snprintf(buf, cap, "%s/.config/kalewx/credentials", home ? home : ".");
    return n < 0 || (size_t)n >= cap ? KW_ERANGE : 0;
}

int kw_client_load(kw_client *c, kw_err *err)
{
    char path[1024];
    if (kw_client_credentials_path(path, sizeof path) != 0)
        return kw_err_set(err, KW_ERANGE, "the credentials path is too long");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : kw_err_set(err, KW_EIO, "cannot read %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077)) {
        close(fd);
        return kw_err_set(err, KW_EAUTH,
                          "%s can be read by other users (mode %03o): run `chmod 600 %s` or `kalewx logout`", path,
                          (unsigned)(st.st_mode & 0777), path);
    }
    json_error_t je;
    json_t *j = json_loadfd(fd, 0, &je);
    close(fd);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return kw_err_set(err, KW_EINVAL, "%s is not a credentials file: run `kalewx login` again", path);
    }
    const char *server = json_string_value(json_object_get(j, "server"));
    const char *token = json_string_value(json_object_get(j, "token"));
    const char *user = json_string_value(json_object_get(j, "username"));
    if (token)
        snprintf(c->token, sizeof c->token, "%s", token);
    if (user)
        snprintf(c->username, sizeof c->username, "%s", user);
    /* A token belongs to the server that issued it. */
    if (server && strcmp(server, c->server) != 0)
        c->token[0] = 0;
    json_decref(j);
    return 0;
}

int kw_client_save(const kw_client *c, kw_err *err)
{
    char path[1024], dir[1024];
    if (kw_client_credentials_path(path, sizeof path) != 0)
        return kw_err_set(err, KW_ERANGE, "the credentials path is too long");
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    *slash = 0;
    char *parent = strrchr(dir, '/');
    if (parent) {
        *parent = 0;
        mkdir(dir, 0700);
        *parent = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return kw_err_set(err, KW_EIO, "cannot create %s: %s", dir, strerror(errno));
    json_t *j = json_pack("{s:s,s:s,s:s}", "server", c->server, "username", c->username, "token", c->token);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = 0;
    if (fd < 0 || fchmod(fd, 0600) != 0 || json_dumpfd(j, fd, JSON_INDENT(2)) != 0 || fsync(fd) != 0)
        rc = kw_err_set(err, KW_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    json_decref(j);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = kw_err_set(err, KW_EIO, "cannot write %s: %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

int kw_client_forget(kw_err *err)
{
    char path[1024];
    if (kw_client_credentials_path(path, sizeof path) != 0)
        return kw_err_set(err, KW_ERANGE, "the credentials path is too long");
    if (unlink(path) != 0 && errno != ENOENT)
        return kw_err_set(err, KW_EIO, "cannot remove %s: %s", path, strerror(errno));
    return 0;
}

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t collect(char *data, size_t size, size_t nmemb, void *ctx)
{
    buf *b = ctx;
    size_t add = size * nmemb;
    if (b->n + add > (8u << 20))
        return 0; /* a reply of more than 8 MiB is not one of ours */
    char *g = realloc(b->p, b->n + add + 1);
    if (!g)
        return 0;
    memcpy(g + b->n, data, add);
    b->p = g;
    b->n += add;
    b->p[b->n] = 0;
    return add;
}

int kw_client_request(kw_client *c, const char *method, const char *path, const json_t *body, kw_reply *r)
{
    memset(r, 0, sizeof *r);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(r->error, sizeof r->error, "cannot start an HTTP client");
        return KW_EIO;
    }
    char url[1024], auth[2100];
    snprintf(url, sizeof url, "%s%s", c->server, path);
    struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text)
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (c->token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
        hdr = curl_slist_append(hdr, auth);
        explicit_bzero(auth, sizeof auth);
    }
    buf b = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ? c->timeout_ms : 30000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (text)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
    CURLcode cc = curl_easy_perform(h);
    int rc = 0;
    if (cc != CURLE_OK) {
        snprintf(r->error, sizeof r->error, "server not reachable at %.300s (%s): start it with `kalewx serve` or pass --server",
                 c->server, curl_easy_strerror(cc));
        rc = KW_EIO;
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        r->body = b.p ? json_loads(b.p, 0, NULL) : NULL;
        const char *msg = json_string_value(json_object_get(r->body, "message"));
        const char *code = json_string_value(json_object_get(r->body, "code"));
        if (!msg)
            msg = json_string_value(json_object_get(r->body, "error"));
        if (code)
            snprintf(r->code, sizeof r->code, "%s", code);
        if (r->status >= 400)
            snprintf(r->error, sizeof r->error, "%s", msg ? msg : "the server refused the request");
        if (r->status == 401)
            snprintf(r->error + strlen(r->error), sizeof r->error - strlen(r->error),
                     ": log in with `kalewx login`");
    }
    free(b.p);
    free(text);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return rc;
}

void kw_reply_free(kw_reply *r)
{
    json_decref(r->body);
    r->body = NULL;
}

int kw_reply_exit_code(const kw_reply *r)
{
    if (r->status >= 200 && r->status < 300)
        return KW_EXIT_OK;
    if (r->status == 0 || r->status >= 500)
        return KW_EXIT_SERVER;
    return KW_EXIT_REJECTED;
}
