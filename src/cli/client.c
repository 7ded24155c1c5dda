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
    /* Requests and replies may carry a password or a token. */
    if (b.p)
        explicit_bzero(b.p, b.n);
    if (text)
        explicit_bzero(text, strlen(text));
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

struct kw_client_stream {
    CURLM *multi;
    CURL *easy;
    struct curl_slist *hdr;
    kw_stream_parser *parser;
    int parser_rc;        /* what the parser or its callback returned, stopping the transfer */
    long status;          /* HTTP status once the headers are in */
    buf refusal;          /* the body of a refused stream (not an event stream) */
    char server[512];
};

static size_t stream_bytes(char *data, size_t size, size_t nmemb, void *ctx)
{
    kw_client_stream *s = ctx;
    size_t n = size * nmemb;
    if (!s->status)
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status != 200)
        return collect(data, size, nmemb, &s->refusal);
    int rc = kw_stream_feed(s->parser, data, n);
    if (rc) {
        s->parser_rc = rc;
        return 0;
    }
    return n;
}

int kw_client_stream_open(kw_client *c, const char *path, kw_stream_parser *p, kw_client_stream **out, kw_err *err)
{
    kw_client_stream *s = calloc(1, sizeof *s);
    if (!s)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    s->parser = p;
    snprintf(s->server, sizeof s->server, "%s", c->server);
    s->multi = curl_multi_init();
    s->easy = curl_easy_init();
    if (!s->multi || !s->easy) {
        kw_client_stream_close(s);
        return kw_err_set(err, KW_EIO, "cannot start an HTTP client");
    }
    char url[1024], line[2100];
    snprintf(url, sizeof url, "%s%s", c->server, path);
    s->hdr = curl_slist_append(NULL, "Accept: text/event-stream");
    if (p->last_id[0]) {
        snprintf(line, sizeof line, "Last-Event-ID: %s", p->last_id);
        s->hdr = curl_slist_append(s->hdr, line);
    }
    if (c->token[0]) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", c->token);
        s->hdr = curl_slist_append(s->hdr, line);
        explicit_bzero(line, sizeof line);
    }
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdr);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, stream_bytes);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* The server sends a heartbeat comment well within a minute; silence
     * longer than that is a dead connection, so reconnect. */
    curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_TIME, 90L);
    curl_multi_add_handle(s->multi, s->easy);
    *out = s;
    return 0;
}

static int stream_finished(kw_client_stream *s, CURLcode cc, kw_err *err)
{
    if (s->parser_rc)
        return s->parser_rc;
    if (s->status && s->status != 200) {
        json_t *j = s->refusal.p ? json_loads(s->refusal.p, 0, NULL) : NULL;
        const char *msg = json_string_value(json_object_get(j, "message"));
        int rc = s->status == 401 || s->status == 403 ? KW_EAUTH : KW_EIO;
        kw_err_set(err, rc, "the event stream was refused (HTTP %ld): %s%s", s->status,
                   msg ? msg : "no reason given", s->status == 401 ? ": log in with `kalewx login`" : "");
        json_decref(j);
        return rc;
    }
    if (cc != CURLE_OK && !s->status)
        return kw_err_set(err, KW_EIO, "server not reachable at %.300s (%s): start it with `kalewx serve` or pass --server",
                          s->server, curl_easy_strerror(cc));
    return kw_err_set(err, KW_EIO, "the event stream ended (%s)", cc == CURLE_OK ? "closed by the server" : curl_easy_strerror(cc));
}

int kw_client_stream_poll(kw_client_stream *s, int timeout_ms, int fd, bool *fd_ready, kw_err *err)
{
    struct curl_waitfd extra = {.fd = fd, .events = CURL_WAIT_POLLIN};
    int running = 0;
    if (fd_ready)
        *fd_ready = false;
    curl_multi_perform(s->multi, &running);
    if (running) {
        if (curl_multi_poll(s->multi, fd >= 0 ? &extra : NULL, fd >= 0 ? 1 : 0, timeout_ms, NULL) != CURLM_OK)
            return kw_err_set(err, KW_EIO, "waiting for the event stream failed");
        if (fd_ready)
            *fd_ready = fd >= 0 && (extra.revents & CURL_WAIT_POLLIN);
        curl_multi_perform(s->multi, &running);
    }
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            return stream_finished(s, m->data.result, err);
    return 0;
}

bool kw_client_stream_connected(const kw_client_stream *s)
{
    return s->status == 200;
}

void kw_client_stream_close(kw_client_stream *s)
{
    if (!s)
        return;
    if (s->easy) {
        if (s->multi)
            curl_multi_remove_handle(s->multi, s->easy);
        curl_easy_cleanup(s->easy);
    }
    if (s->multi)
        curl_multi_cleanup(s->multi);
    curl_slist_free_all(s->hdr);
    free(s->refusal.p);
    free(s);
}
