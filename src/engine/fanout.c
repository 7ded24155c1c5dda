#include "engine/fanout.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/events.h"
#include "obs/log.h"
#include "store/pgsession.h"

#define BACKOFF_FIRST_MS 50
#define BACKOFF_DEFAULT_MAX_MS 1000

struct kw_fanout {
    kw_fanout_options o;
    char *url;
    int stop_fd;
    pthread_t thread;
    bool started;
    PGconn *c;
    atomic_ullong received;
};

/* Waits up to ms for the stop signal or, when fd ≥ 0, for fd to be
 * readable. Returns -1 on stop, 1 when fd is readable, 0 on timeout. */
static int wait_for(kw_fanout *f, int fd, int64_t ms)
{
    struct pollfd p[2] = {{.fd = f->stop_fd, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int n;
    do
        n = poll(p, fd >= 0 ? 2 : 1, ms > 0 ? (int)ms : -1);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (p[0].revents & POLLIN))
        return -1;
    return n > 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)) ? 1 : 0;
}

static int listen_session(kw_fanout *f, kw_err *err)
{
    int rc = kw_pgsession_connect(f->url, "listener", &f->c, err);
    if (rc == 0 && (rc = kw_pgsession_query(f->c, "LISTEN " KW_EVENTS_CHANNEL, 0, NULL, NULL, 0, err)) != 0) {
        PQfinish(f->c);
        f->c = NULL;
    }
    return rc;
}

/* Hands every pending notification to wake. Returns false when the session is lost. */
static bool drain(kw_fanout *f)
{
    if (!PQconsumeInput(f->c))
        return false;
    PGnotify *n;
    while ((n = PQnotifies(f->c)) != NULL) {
        char *end;
        long long id = strtoll(n->extra, &end, 10);
        atomic_fetch_add(&f->received, 1);
        f->o.wake(f->o.ctx, *end == '\0' && id > 0 ? (int64_t)id : 0);
        PQfreemem(n);
    }
    return PQstatus(f->c) == CONNECTION_OK;
}

static void *fanout_main(void *arg)
{
    kw_fanout *f = arg;
    kw_log_set_correlation("fanout");
    int64_t max_backoff = f->o.idle_ms > 0 ? f->o.idle_ms : BACKOFF_DEFAULT_MAX_MS, backoff = BACKOFF_FIRST_MS;
    bool down = false, fresh = false;
    for (;;) {
        if (!f->c) {
            kw_err err = {0};
            if (listen_session(f, &err) != 0) {
                if (!down)
                    KW_LOG(KW_LOG_WARN, "event fan-out: not listening; retrying", KW_LS("error", err.msg));
                down = true;
                if (wait_for(f, -1, backoff) < 0)
                    break;
                backoff = backoff * 2 > max_backoff ? max_backoff : backoff * 2;
                continue;
            }
            if (down)
                KW_LOG(KW_LOG_INFO, "event fan-out: listening again");
            down = false;
            fresh = true;
            backoff = BACKOFF_FIRST_MS;
            /* Whatever committed while nobody listened is in the outbox; a
             * notification that came with the LISTEN reply is already
             * buffered, so the session is drained before the first wait. */
            f->o.wake(f->o.ctx, 0);
        }
        int w = fresh ? 1 : wait_for(f, PQsocket(f->c), f->o.idle_ms);
        fresh = false;
        if (w < 0)
            break;
        if (w == 0) {
            f->o.wake(f->o.ctx, 0);
        } else if (!drain(f)) {
            KW_LOG(KW_LOG_WARN, "event fan-out: lost the listening session; reconnecting",
                   KW_LS("error", PQerrorMessage(f->c)));
            PQfinish(f->c);
            f->c = NULL;
            down = true;
        }
    }
    PQfinish(f->c);
    f->c = NULL;
    return NULL;
}

int kw_fanout_start(const kw_fanout_options *o, kw_fanout **out, kw_err *err)
{
    kw_fanout *f = calloc(1, sizeof *f);
    if (!f)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    f->o = *o;
    f->o.url = NULL;
    f->stop_fd = -1;
    if (o->dialect != KW_DIALECT_PG) {
        *out = f;
        return 0;
    }
    int rc;
    if (!(f->url = strdup(o->url ? o->url : ""))) {
        rc = kw_err_set(err, KW_ENOMEM, "out of memory");
        goto fail;
    }
    if ((f->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
        rc = kw_err_set(err, KW_EIO, "cannot create the fan-out's stop signal: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&f->thread, NULL, fanout_main, f) != 0) {
        rc = kw_err_set(err, KW_EIO, "cannot start the event fan-out thread");
        goto fail;
    }
    f->started = true;
    *out = f;
    return 0;
fail:
    kw_fanout_stop(f);
    return rc;
}

uint64_t kw_fanout_received(const kw_fanout *f) { return atomic_load(&f->received); }

void kw_fanout_stop(kw_fanout *f)
{
    if (!f)
        return;
    if (f->started) {
        uint64_t one = 1;
        while (write(f->stop_fd, &one, sizeof one) < 0 && errno == EINTR)
            ;
        pthread_join(f->thread, NULL);
    }
    if (f->stop_fd >= 0)
        close(f->stop_fd);
    if (f->url)
        explicit_bzero(f->url, strlen(f->url));
    free(f->url);
    free(f);
}
