#include "bench/wrk.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shaped like a /api/v1/cycles/current reply. */
static const char document[] =
    "{\"success\":true,\"data\":{\"cycle\":{\"id\":1234,\"start_block\":12340,\"end_block\":12349,"
    "\"current_block\":12343,\"phase\":\"planting\",\"block_in_cycle\":3,\"blocks_remaining\":7,"
    "\"phase_progress\":0.5,\"state\":\"planting\"},\"participants\":{\"total\":87,\"farmers\":61,\"wagerers\":26},"
    "\"actions_available\":[\"plant\",\"store\",\"wager\",\"stay\"],\"dao\":{\"commitments\":[],\"sentiment\":null}},"
    "\"metadata\":{\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"requestId\":\"0123abcd-00000001\",\"version\":\"0.1.0\"}}";

static enum MHD_Result bare_reply(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
    static int first;
    /* Like the API, answer on the second call, once the request is complete. */
    if (!*con_cls) {
        *con_cls = &first;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof document - 1, (void *)document, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_add_response_header(r, "Content-Type", "application/json")
                              ? MHD_queue_response(conn, MHD_HTTP_OK, r)
                              : MHD_NO;
    MHD_destroy_response(r);
    return ret;
}

/* "1.23ms" → milliseconds. */
static double to_ms(const char *v)
{
    char *end;
    double x = strtod(v, &end);
    if (strncmp(end, "us", 2) == 0)
        return x / 1000;
    if (strncmp(end, "ms", 2) == 0)
        return x;
    if (*end == 's')
        return x * 1000;
    return x;
}

/* One line of wrk's output into out; false when it reports an error. */
static bool parse_line(const char *line, kw_wrk_result *out)
{
    char v[32];
    long cn, rd, wr, to;
    if (line[0] == '{') {
        json_t *j = json_loads(line, 0, NULL);
        if (!json_is_object(j)) {
            json_decref(j);
            return false;
        }
        json_decref(out->report);
        out->report = j;
    } else if (sscanf(line, " 50%% %31s", v) == 1) {
        out->p50_ms = to_ms(v);
    } else if (sscanf(line, " 99%% %31s", v) == 1) {
        out->p99_ms = to_ms(v);
    } else if (sscanf(line, "Requests/sec: %lf", &out->rps) == 1 ||
               sscanf(line, " %ld requests in", &out->requests) == 1 ||
               sscanf(line, " Non-2xx or 3xx responses: %ld", &out->non_2xx) == 1) {
        return true;
    } else if (sscanf(line, " Socket errors: connect %ld, read %ld, write %ld, timeout %ld", &cn, &rd, &wr, &to) == 4) {
        out->socket_errors = cn + rd + wr + to;
    } else if (strstr(line, "PANIC") || strstr(line, "error")) {
        return false;
    }
    return true;
}

int kw_wrk_run(uint16_t port, const char *path, const char *script, double seconds, int threads,
               const char *bench, kw_wrk_result *out)
{
    char cmd[1024];
    char lua[512] = "";
    if (script)
        snprintf(lua, sizeof lua, "-s %s", script);
    snprintf(cmd, sizeof cmd, "wrk -t%d -c%d -d%.0fs --timeout 10s --latency %s http://127.0.0.1:%u%s -- %d 2>&1",
             threads, KW_WRK_CONNECTIONS, seconds, lua, (unsigned)port, path, threads);
    *out = (kw_wrk_result){0};
    FILE *p = popen(cmd, "r");
    if (!p)
        return KW_EIO;
    char line[8192];
    bool errors = false;
    while (fgets(line, sizeof line, p)) {
        if (!parse_line(line, out)) {
            errors = true;
            fprintf(stderr, "kalewx bench %s: wrk: %s", bench, line);
        }
    }
    int status = pclose(p);
    if (status != 0 || out->rps <= 0) {
        fprintf(stderr, "kalewx bench %s: wrk failed (is the Debian package wrk installed? scripts/bootstrap "
                        "installs it)\n", bench);
        return KW_EIO;
    }
    if (out->socket_errors)
        fprintf(stderr, "kalewx bench %s: wrk: %ld socket errors\n", bench, out->socket_errors);
    return errors ? KW_EIO : 0;
}

int kw_wrk_bare(unsigned threads, double seconds, int wrk_threads, const char *bench, kw_wrk_result *out)
{
    *out = (kw_wrk_result){0};
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
                                            bare_reply, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
                                            MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
    const union MHD_DaemonInfo *di = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!di || !di->port) {
        fprintf(stderr, "kalewx bench %s: cannot start the bare libmicrohttpd server\n", bench);
        if (d)
            MHD_stop_daemon(d);
        return KW_EIO;
    }
    int rc = kw_wrk_run(di->port, "/", NULL, seconds, wrk_threads, bench, out);
    MHD_stop_daemon(d);
    return rc;
}

void kw_wrk_result_free(kw_wrk_result *r)
{
    json_decref(r->report);
    r->report = NULL;
}
