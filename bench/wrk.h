/*
 * wrk — how the HTTP benchmarks drive the load generator wrk (the Debian
 * package, installed by scripts/bootstrap), and the reference they all
 * compare against: a bare libmicrohttpd reply.
 *
 * The reference server uses the same epoll thread pool as the API and
 * answers every request with one static buffer the size of a
 * /api/v1/cycles/current reply, so a ratio to it is the cost of everything
 * kalewx does besides moving bytes.
 *
 * Ownership: a kw_wrk_result owns its report; kw_wrk_result_free releases it.
 * Thread-safety: the functions keep no state; each call starts its own wrk.
 */
#ifndef KW_BENCH_WRK_H
#define KW_BENCH_WRK_H

#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

/* Connections every HTTP benchmark keeps open. */
#define KW_WRK_CONNECTIONS 64

typedef struct kw_wrk_result {
    double rps, p50_ms, p99_ms;
    long requests;
    long non_2xx;           /* wrk's "Non-2xx or 3xx responses" */
    long socket_errors;     /* connect, read, write and timeout errors together */
    json_t *report;         /* the last JSON object the script printed (owned), or NULL */
} kw_wrk_result;

/* Runs wrk for seconds at KW_WRK_CONNECTIONS connections on threads threads
 * against 127.0.0.1:port/path, with the Lua script at script (NULL: plain
 * GETs), which gets threads as its one argument. A request unanswered after
 * 10 s counts as a socket error (timeout). Non-2xx replies and socket
 * errors are counted, not failures: the caller judges them. bench names
 * the benchmark in messages on stderr. Returns KW_EIO when wrk could not run,
 * failed, or printed an error of its own or of the script. */
int kw_wrk_run(uint16_t port, const char *path, const char *script, double seconds, int threads,
               const char *bench, kw_wrk_result *out) KW_WUR;

/* Starts the bare reply on threads server threads, measures it like
 * kw_wrk_run measures "/", and stops it. */
int kw_wrk_bare(unsigned threads, double seconds, int wrk_threads, const char *bench, kw_wrk_result *out) KW_WUR;

void kw_wrk_result_free(kw_wrk_result *r);

#endif
