#include <criterion/criterion.h>
#include <string.h>

#include "crypto/kalehash.h"
#include "crypto/miner.h"

static void make_jobs(kw_miner_job *jobs, size_t n)
{
    for (size_t f = 0; f < n; f++) {
        jobs[f] = (kw_miner_job){.index = 4242 + (uint32_t)f, .first_nonce = 1000003 * f};
        for (int i = 0; i < 32; i++) {
            jobs[f].entropy[i] = (uint8_t)(i * 7 + f);
            jobs[f].farmer[i] = (uint8_t)(i * 13 + 3 * f + 1);
        }
    }
}

/* The best over exactly first .. first + quota - 1, with the scalar path. */
static kw_kalehash_best reference(const kw_miner_job *j, uint64_t quota)
{
    kw_kalehash_job pj;
    kw_kalehash_job_init(&pj, j->index, j->entropy, j->farmer);
    kw_kalehash_best b = {0};
    kw_kalehash_path_get(KW_KALEHASH_SCALAR)->search(&pj, j->first_nonce, quota, &b);
    return b;
}

static void search(unsigned threads, const kw_kalehash_path *path, const kw_miner_job *jobs,
                   size_t n, kw_miner_budget budget, const atomic_bool *cancel,
                   kw_miner_result *out, kw_miner_stats *st)
{
    kw_miner *m = NULL;
    cr_assert_eq(kw_miner_new(threads, path, &m, NULL), 0);
    cr_assert_eq(kw_miner_threads(m), threads);
    cr_assert_eq(kw_miner_search(m, jobs, n, &budget, cancel, out, st, NULL), 0);
    kw_miner_free(m);
}

Test(miner, hash_budget_is_deterministic_across_threads_and_paths)
{
    kw_miner_job job;
    make_jobs(&job, 1);
    kw_kalehash_best want = reference(&job, 60000);
    for (int id = 0; id < KW_KALEHASH_NPATHS; id++) {
        const kw_kalehash_path *p = kw_kalehash_path_get((kw_kalehash_path_id)id);
        if (!p)
            continue;
        for (unsigned threads = 1; threads <= 3; threads++) {
            kw_miner_result r;
            kw_miner_stats st;
            search(threads, p, &job, 1, (kw_miner_budget){.hashes = 60000}, NULL, &r, &st);
            cr_assert(r.found && r.nonce == want.nonce, "%s with %u threads", p->name, threads);
            cr_assert_eq(r.hashes, 60000);
            cr_assert_eq(st.hashes, 60000);
            cr_assert_not(st.cancelled);
            uint8_t h[32];
            kw_kalehash(job.index, r.nonce, job.entropy, job.farmer, h);
            cr_assert(memcmp(h, r.hash, 32) == 0);
            cr_assert_eq(r.zeros, kw_kalehash_zeros(h));
        }
    }
}

Test(miner, many_farmers_share_the_budget_evenly)
{
    kw_miner_job jobs[5];
    make_jobs(jobs, 5);
    kw_miner_result r[5];
    search(2, NULL, jobs, 5, (kw_miner_budget){.hashes = 50003}, NULL, r, NULL);
    for (size_t f = 0; f < 5; f++) {
        uint64_t quota = 10000 + (f < 3);
        cr_assert_eq(r[f].hashes, quota, "farmer %zu", f);
        kw_kalehash_best want = reference(&jobs[f], quota);
        cr_assert(r[f].found && r[f].nonce == want.nonce, "farmer %zu", f);
    }
}

Test(miner, a_budget_smaller_than_the_crowd_leaves_some_farmers_empty)
{
    kw_miner_job jobs[3];
    make_jobs(jobs, 3);
    kw_miner_result r[3];
    search(1, NULL, jobs, 3, (kw_miner_budget){.hashes = 2}, NULL, r, NULL);
    cr_assert(r[0].found && r[1].found && !r[2].found);
    cr_assert_eq(r[2].hashes, 0);
    cr_assert_eq(r[0].nonce, jobs[0].first_nonce);
}

Test(miner, cancel_stops_an_unbounded_search)
{
    kw_miner_job job;
    make_jobs(&job, 1);
    atomic_bool cancel;
    atomic_init(&cancel, true);
    kw_miner_result r;
    kw_miner_stats st;
    search(2, NULL, &job, 1, (kw_miner_budget){0}, &cancel, &r, &st);
    cr_assert(st.cancelled);
    cr_assert(r.found, "each thread finishes the chunk it holds");
    cr_assert(st.hashes <= 2 * 4096);
}

Test(miner, time_budget_stops_and_stays_fair)
{
    kw_miner_job jobs[3];
    make_jobs(jobs, 3);
    kw_miner_result r[3];
    kw_miner_stats st;
    search(2, NULL, jobs, 3, (kw_miner_budget){.seconds = 0.05}, NULL, r, &st);
    cr_assert(st.seconds >= 0.05);
    cr_assert_not(st.cancelled);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int f = 0; f < 3; f++) {
        lo = r[f].hashes < lo ? r[f].hashes : lo;
        hi = r[f].hashes > hi ? r[f].hashes : hi;
    }
    cr_assert(hi - lo <= 2 * 4096, "round-robin chunks: %llu vs %llu", (unsigned long long)lo,
              (unsigned long long)hi);
}

Test(miner, rejects_a_search_that_would_never_stop)
{
    kw_miner *m = NULL;
    kw_miner_job job;
    make_jobs(&job, 1);
    kw_miner_result r;
    kw_err e = {0};
    cr_assert_eq(kw_miner_new(1, NULL, &m, NULL), 0);
    cr_assert_eq(kw_miner_search(m, &job, 1, &(kw_miner_budget){0}, NULL, &r, NULL, &e), KW_EINVAL);
    cr_assert_eq(kw_miner_search(m, &job, 0, &(kw_miner_budget){.hashes = 5}, NULL, &r, NULL, &e),
                 KW_EINVAL);
    kw_miner_free(m);
}

Test(miner, ranges_stop_short_of_wrapping)
{
    kw_miner_job job;
    make_jobs(&job, 1);
    job.first_nonce = UINT64_MAX - 10;
    kw_miner_result r;
    search(2, NULL, &job, 1, (kw_miner_budget){.hashes = 1000}, NULL, &r, NULL);
    cr_assert_eq(r.hashes, 10);
    cr_assert(r.nonce >= UINT64_MAX - 10 && r.nonce < UINT64_MAX);
}
