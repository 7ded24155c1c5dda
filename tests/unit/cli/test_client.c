#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/commands.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/kwx-client-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    setenv("XDG_CONFIG_HOME", dir, 1);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(client, .init = setup, .fini = teardown);

Test(client, credentials_round_trip_with_mode_0600)
{
    kw_client c = {0};
    snprintf(c.server, sizeof c.server, "http://127.0.0.1:3000");
    snprintf(c.token, sizeof c.token, "tok.en.value");
    snprintf(c.username, sizeof c.username, "alice");
    kw_err e;
    cr_assert_eq(kw_client_save(&c, &e), 0, "%s", e.msg);
    char path[1024];
    cr_assert_eq(kw_client_credentials_path(path, sizeof path), 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    kw_client d = {0};
    snprintf(d.server, sizeof d.server, "http://127.0.0.1:3000");
    cr_assert_eq(kw_client_load(&d, &e), 0, "%s", e.msg);
    cr_assert_str_eq(d.token, "tok.en.value");
    cr_assert_str_eq(d.username, "alice");
    /* a token is never sent to another server */
    kw_client other = {0};
    snprintf(other.server, sizeof other.server, "http://127.0.0.1:4000");
    cr_assert_eq(kw_client_load(&other, &e), 0);
    cr_assert_str_eq(other.token, "");
    cr_assert_eq(kw_client_forget(&e), 0);
    cr_assert_neq(stat(path, &st), 0);
    cr_assert_eq(kw_client_forget(&e), 0, "forgetting twice is fine");
}

Test(client, readable_credentials_are_refused)
{
    kw_client c = {0};
    snprintf(c.server, sizeof c.server, "http://x");
    kw_err e;
    cr_assert_eq(kw_client_save(&c, &e), 0);
    char path[1024];
    cr_assert_eq(kw_client_credentials_path(path, sizeof path), 0);
    cr_assert_eq(chmod(path, 0644), 0);
    cr_assert_eq(kw_client_load(&c, &e), KW_EAUTH);
    cr_assert(strstr(e.msg, "chmod 600"), "%s", e.msg);
}

Test(client, missing_file_is_not_an_error_and_garbage_is)
{
    kw_client c = {0};
    kw_err e;
    cr_assert_eq(kw_client_load(&c, &e), 0);
    char path[1024];
    cr_assert_eq(kw_client_credentials_path(path, sizeof path), 0);
    cr_assert_eq(kw_client_save(&c, &e), 0);
    FILE *f = fopen(path, "w");
    fputs("not json", f);
    fclose(f);
    cr_assert_eq(kw_client_load(&c, &e), KW_EINVAL);
}

Test(client, unreachable_server_says_what_to_do)
{
    kw_client c = {.timeout_ms = 2000};
    snprintf(c.server, sizeof c.server, "http://127.0.0.1:1");
    kw_reply r;
    cr_assert_eq(kw_client_request(&c, "GET", "/health", NULL, &r), KW_EIO);
    cr_assert(strstr(r.error, "kalewx serve"), "%s", r.error);
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_SERVER);
    kw_reply_free(&r);
}

Test(client, exit_codes)
{
    kw_reply r = {.status = 200};
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_OK);
    r.status = 422;
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_REJECTED);
    r.status = 401;
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_REJECTED);
    r.status = 503;
    cr_assert_eq(kw_reply_exit_code(&r), KW_EXIT_SERVER);
}

/* A one-shot HTTP server on a free port: answers each of `replies` connections
 * with the next canned reply and keeps the request heads it read. */
typedef struct canned {
    int fd;
    int port;
    const char *replies[3];
    char heads[3][2048];
    pthread_t thread;
} canned;

static void *serve(void *arg)
{
    canned *c = arg;
    for (int i = 0; i < 3 && c->replies[i]; i++) {
        int conn = accept(c->fd, NULL, NULL);
        if (conn < 0)
            break;
        size_t n = 0;
        while (n < sizeof c->heads[i] - 1 && !strstr(c->heads[i], "\r\n\r\n")) {
            ssize_t got = read(conn, c->heads[i] + n, sizeof c->heads[i] - 1 - n);
            if (got <= 0)
                break;
            n += (size_t)got;
        }
        size_t len = strlen(c->replies[i]);
        cr_assert_eq(write(conn, c->replies[i], len), (ssize_t)len);
        close(conn);
    }
    return NULL;
}

static void canned_start(canned *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(c->fd, 4), 0);
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(c->fd, (struct sockaddr *)&a, &len), 0);
    c->port = ntohs(a.sin_port);
    cr_assert_eq(pthread_create(&c->thread, NULL, serve, c), 0);
}

static void canned_stop(canned *c)
{
    pthread_join(c->thread, NULL);
    close(c->fd);
}

typedef struct got {
    int n;
    char types[4][32];
} got;

static int take(void *ctx, const kw_stream_event *ev)
{
    got *g = ctx;
    if (g->n < 4)
        snprintf(g->types[g->n], sizeof g->types[0], "%s", ev->type);
    g->n++;
    return 0;
}

/* Polls until the stream ends; returns why. */
static int drain(kw_client_stream *s, kw_err *e)
{
    for (int i = 0; i < 400; i++) {
        int rc = kw_client_stream_poll(s, 50, -1, NULL, e);
        if (rc)
            return rc;
    }
    return 0;
}

#define SSE_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"

Test(client, event_stream_resumes_with_last_event_id)
{
    canned srv = {.replies = {SSE_HEAD "retry: 1000\n: hi\n\nid: 5\nevent: phase.changed\ndata: {\"phase\":\"working\"}\n\n"
                                       "id: 6\nevent: block.changed\ndata: {}\n\nid: 7\nevent: broken",
                              SSE_HEAD "id: 7\nevent: cycle.settled\ndata: {}\n\n"}};
    canned_start(&srv);
    kw_client c = {0};
    snprintf(c.server, sizeof c.server, "http://127.0.0.1:%d", srv.port);
    snprintf(c.token, sizeof c.token, "tok");
    got g = {0};
    kw_stream_parser p;
    kw_stream_init(&p, take, &g);
    kw_client_stream *s;
    kw_err e = {0};
    cr_assert_eq(kw_client_stream_open(&c, "/api/v1/stream", &p, &s, &e), 0);
    cr_assert_eq(drain(s, &e), KW_EIO, "the server closing the stream is a reason to reconnect");
    cr_assert(strstr(e.msg, "ended"), "%s", e.msg);
    cr_assert(kw_client_stream_connected(s));
    kw_client_stream_close(s);
    cr_assert_eq(g.n, 2);
    cr_assert_str_eq(g.types[0], "phase.changed");
    cr_assert_str_eq(p.last_id, "6");
    cr_assert(strstr(srv.heads[0], "Authorization: Bearer tok"), "%s", srv.heads[0]);
    cr_assert(!strstr(srv.heads[0], "Last-Event-ID"), "%s", srv.heads[0]);
    kw_stream_reset(&p);
    cr_assert_eq(kw_client_stream_open(&c, "/api/v1/stream", &p, &s, &e), 0);
    cr_assert_eq(drain(s, &e), KW_EIO);
    kw_client_stream_close(s);
    cr_assert(strstr(srv.heads[1], "Last-Event-ID: 6\r\n"), "%s", srv.heads[1]);
    cr_assert_eq(g.n, 3);
    cr_assert_str_eq(g.types[2], "cycle.settled");
    kw_stream_free(&p);
    canned_stop(&srv);
}

Test(client, refused_or_unreachable_event_stream)
{
    canned srv = {.replies = {"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                              "{\"success\":false,\"code\":\"UNAUTHORIZED\",\"message\":\"token expired\"}"}};
    canned_start(&srv);
    kw_client c = {0};
    snprintf(c.server, sizeof c.server, "http://127.0.0.1:%d", srv.port);
    got g = {0};
    kw_stream_parser p;
    kw_stream_init(&p, take, &g);
    kw_client_stream *s;
    kw_err e = {0};
    cr_assert_eq(kw_client_stream_open(&c, "/api/v1/stream", &p, &s, &e), 0);
    cr_assert_eq(drain(s, &e), KW_EAUTH);
    cr_assert(strstr(e.msg, "token expired: log in with `kalewx login`"), "%s", e.msg);
    cr_assert_eq(g.n, 0);
    kw_client_stream_close(s);
    canned_stop(&srv);
    snprintf(c.server, sizeof c.server, "http://127.0.0.1:1");
    cr_assert_eq(kw_client_stream_open(&c, "/api/v1/stream", &p, &s, &e), 0);
    cr_assert_eq(drain(s, &e), KW_EIO);
    cr_assert(strstr(e.msg, "kalewx serve"), "%s", e.msg);
    kw_client_stream_close(s);
    kw_stream_free(&p);
}
