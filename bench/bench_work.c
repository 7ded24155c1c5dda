/*
 * bench work — proof-of-work hash rate of every Keccak path available on
 * this CPU, against OpenSSL's SHA3-256 on 76-byte inputs (the same
 * Keccak-f[1600] permutation, assembly-optimised, one block per digest)
 * measured in the same run with the same number of threads.
 *
 * Rates are per thread with `threads` threads busy at once, so a run with
 * --threads 1 and one with --threads 2 show how the miner scales.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/bench.h"
#include "crypto/kalehash.h"
#include "crypto/miner.h"

typedef struct sha3_arg {
    double seconds;
    uint64_t digests;
    int failed;
} sha3_arg;

static void *sha3_loop(void *p)
{
    sha3_arg *a = p;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA3-256", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t in[KW_KALEHASH_PREIMAGE_LEN] = {0}, out[32];
    a->failed = !md || !ctx;
    double end = kw_bench_now() + a->seconds;
    for (uint64_t nonce = 0; !a->failed; nonce++) {
        for (int i = 0; i < 8; i++)
            in[4 + i] = (uint8_t)(nonce >> (56 - 8 * i));
        unsigned len = 0;
        if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, in, sizeof in) != 1 ||
            EVP_DigestFinal_ex(ctx, out, &len) != 1)
            a->failed = 1;
        a->digests++;
        if ((nonce & 4095) == 4095 && kw_bench_now() >= end)
            break;
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return NULL;
}

/* SHA3-256 digests per second per thread, `threads` threads at once. */
static int openssl_rate(unsigned threads, double seconds, double *rate)
{
    pthread_t *tid = calloc(threads, sizeof *tid);
    sha3_arg *args = calloc(threads, sizeof *args);
    unsigned started = 0;
    if (!tid || !args)
        threads = 0;
    double t0 = kw_bench_now();
    for (; started < threads; started++) {
        args[started] = (sha3_arg){.seconds = seconds};
        if (pthread_create(&tid[started], NULL, sha3_loop, &args[started]) != 0)
            break;
    }
    uint64_t total = 0;
    int failed = started < threads;
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        total += args[i].digests;
        failed |= args[i].failed;
    }
    *rate = threads ? (double)total / (kw_bench_now() - t0) / threads : 0;
    free(args);
    free(tid);
    return failed || !threads ? -1 : 0;
}

/* Miner hashes per second per thread with one path and `threads` threads. */
static int path_rate(const kw_kalehash_path *path, unsigned threads, double seconds, double *rate)
{
    kw_miner *m = NULL;
    kw_miner_job job = {.index = 1, .first_nonce = 0};
    kw_miner_result res;
    kw_miner_stats st;
    if (kw_miner_new(threads, path, &m, NULL) != 0)
        return -1;
    int rc = kw_miner_search(m, &job, 1, &(kw_miner_budget){.seconds = seconds}, NULL, &res, &st, NULL);
    kw_miner_free(m);
    *rate = rc == 0 ? (double)st.hashes / st.seconds / threads : 0;
    return rc;
}

int kw_bench_work(const kw_bench_opts *o, kw_bench_result *r)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = o->threads > 0 ? (unsigned)o->threads : (unsigned)(cpus > 0 ? cpus : 1);
    double sha3 = 0, best = 0, best_one = 0;
    const kw_kalehash_path *best_path = NULL;
    if (openssl_rate(threads, o->seconds, &sha3) != 0)
        return -1;
    json_t *paths = json_object();
    for (int id = 0; id < KW_KALEHASH_NPATHS; id++) {
        const kw_kalehash_path *p = kw_kalehash_path_get((kw_kalehash_path_id)id);
        double rate;
        if (!p)
            continue;
        if (path_rate(p, threads, o->seconds, &rate) != 0) {
            json_decref(paths);
            return -1;
        }
        char metric[80];
        snprintf(metric, sizeof metric, "%s hashes/s per thread (%u threads)", p->name, threads);
        kw_bench_row_add(r, metric, rate, "hash/s", rate / sha3, "openssl sha3-256 per thread");
        json_object_set_new(paths, p->name, json_real(rate));
        if (rate > best) {
            best = rate;
            best_path = p;
        }
    }
    kw_bench_row_add(r, "openssl sha3-256 76 B digests/s per thread", sha3, "digest/s", 0, NULL);
    if (threads > 1 && path_rate(best_path, 1, o->seconds, &best_one) == 0) {
        char metric[80];
        snprintf(metric, sizeof metric, "%s total with %u threads vs 1 thread", best_path->name,
                 threads);
        kw_bench_row_add(r, metric, best * threads, "hash/s", best * threads / best_one,
                         "1 thread (ideal = thread count)");
    }
    r->json = json_pack("{s:o,s:f,s:f,s:i}", "paths", paths, "openssl_sha3_per_s", sha3,
                        "ratio_best_vs_openssl", best / sha3, "threads", (int)threads);
    return r->json ? 0 : -1;
}
