/* Crash test: a child process posts up to 10,000 random transfers, one
 * transaction each, and is killed with SIGKILL at a random moment; 20 times.
 * After each kill the ledger invariant holds exactly, no entry is partly
 * written, and every transaction the child saw committed is there. Run once
 * per backend. The seeds are fixed, so the schedule of kill points is the
 * same on every run; the instant within a transaction is not, by design. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "store/ledger.h"

#define ROUNDS 20
#define TRANSFERS 10000
#define USERS 6
#define MAX_ENTRIES_PER_TX 3
/* The kill comes within the child's first KILL_WINDOW transactions: letting
 * twenty children run through all 10,000 would take about two minutes per
 * backend at ~1,000 durable commits a second. */
#define KILL_WINDOW 1000

struct shared {
    int64_t committed_tx;
    int64_t committed_entries;
};

static int64_t accts[USERS * 2 + 3];   /* user available/escrow, reserve, chain in, chain out */
static const int nacct = USERS * 2 + 3;

static const kw_sql COUNT_ENTRIES = {.sql = "SELECT COUNT(*) FROM ledger_entries"};

static void must(int rc, const kw_err *e)
{
    cr_assert_eq(rc, 0, "%s", e->msg);
}

static void seed_accounts(kw_store *st)
{
    kw_db *db;
    kw_err e = {0};
    must(kw_store_acquire(st, KW_DB_WRITE, &db, &e), &e);
    for (int u = 0; u < USERS; u++) {
        char name[16];
        snprintf(name, sizeof name, "user%d", u);
        int64_t id = kwt_user(db, name);
        must(kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, id, &accts[2 * u], &e), &e);
        must(kw_ledger_account(db, KW_ACCT_USER_ESCROW, id, &accts[2 * u + 1], &e), &e);
    }
    must(kw_ledger_account(db, KW_ACCT_WEATHER_RESERVE, 0, &accts[USERS * 2], &e), &e);
    must(kw_ledger_account(db, KW_ACCT_CHAIN_IN, 0, &accts[USERS * 2 + 1], &e), &e);
    must(kw_ledger_account(db, KW_ACCT_CHAIN_OUT, 0, &accts[USERS * 2 + 2], &e), &e);
    kw_store_release(st, db);
}

struct job {
    unsigned seed;
    int entries;
};

/* One transaction of 1..3 entries of 2..4 lines between random accounts;
 * an entry that would overdraw is refused and rolls the whole transaction back. */
static int transfer(kw_db *db, void *ctx, kw_err *e)
{
    struct job *j = ctx;
    j->entries = 1 + (int)(rand_r(&j->seed) % MAX_ENTRIES_PER_TX);
    for (int k = 0; k < j->entries; k++) {
        kw_ledger_line l[4];
        int n = 2 + (int)(rand_r(&j->seed) % 3);
        int64_t sum = 0;
        for (int i = 0; i < n - 1; i++) {
            l[i].account = accts[rand_r(&j->seed) % (unsigned)nacct];
            l[i].amount = (int64_t)(rand_r(&j->seed) % 2000) - 1000;
            if (l[i].amount == 0)
                l[i].amount = 1;
            sum += l[i].amount;
        }
        l[n - 1].account = accts[rand_r(&j->seed) % (unsigned)nacct];
        l[n - 1].amount = -sum;
        if (sum == 0)
            n--;
        if (n < 2)
            continue;
        kw_ledger_entry en = {.kind = "transfer", .lines = l, .nlines = (size_t)n, .at_ms = k};
        int rc = kw_ledger_post(db, &en, NULL, e);
        if (rc)
            return rc;
    }
    return 0;
}

static void child(struct shared *sh, unsigned seed)
{
    kw_store *st = kwt_reopen();
    struct job j = {.seed = seed};
    for (int i = 0; i < TRANSFERS; i++) {
        kw_err e = {0};
        int rc = kw_store_tx(st, transfer, &j, &e);
        if (rc == 0) {
            __atomic_store_n(&sh->committed_entries, sh->committed_entries + j.entries, __ATOMIC_SEQ_CST);
            __atomic_store_n(&sh->committed_tx, sh->committed_tx + 1, __ATOMIC_SEQ_CST);
        } else if (rc != KW_EFUNDS && rc != KW_ENOTFOUND) {
            _exit(2);
        }
    }
    kw_store_close(st);
    _exit(0);
}

static int64_t entries_now(kw_store *st)
{
    kw_db *db;
    kw_err e = {0};
    int64_t n = -1;
    must(kw_store_acquire(st, KW_DB_READ, &db, &e), &e);
    must(kw_db_query_int(db, &COUNT_ENTRIES, KW_NOARGS, &n, &e), &e);
    kw_store_release(st, db);
    return n;
}

static void fund(kw_store *st)
{
    kw_db *db;
    kw_err e = {0};
    must(kw_store_acquire(st, KW_DB_WRITE, &db, &e), &e);
    must(kw_db_begin(db, &e), &e);
    for (int a = 0; a < USERS * 2 + 1; a++) {
        kw_ledger_line l[2] = {{accts[USERS * 2 + 1], -50000}, {accts[a], 50000}};
        kw_ledger_entry en = {.kind = "deposit", .lines = l, .nlines = 2, .at_ms = 0};
        must(kw_ledger_post(db, &en, NULL, &e), &e);
    }
    must(kw_db_commit(db, &e), &e);
    kw_store_release(st, db);
}

Test(crash, sigkill_never_leaves_a_partial_entry, .timeout = 300)
{
    kw_store *st = kwt_open();
    seed_accounts(st);
    fund(st);
    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(sh, MAP_FAILED);
    unsigned plan = 20260101;
    for (int round = 0; round < ROUNDS; round++) {
        int64_t before = entries_now(st);
        int64_t target = rand_r(&plan) % KILL_WINDOW;
        long spin = (long)(rand_r(&plan) % 200000);
        memset(sh, 0, sizeof *sh);
        /* The parent's connections must not be shared with the child. */
        kw_store_close(st);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0)
            child(sh, 7919u * (unsigned)round + 1u);
        int status = 0;
        while (__atomic_load_n(&sh->committed_tx, __ATOMIC_SEQ_CST) < target) {
            if (waitpid(pid, &status, WNOHANG) == pid)
                cr_assert_fail("round %d: the child exited early (status %d)", round, status);
            nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
        }
        for (volatile long s = 0; s < spin; s++)
            ;
        kill(pid, SIGKILL);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status), "round %d: the child ended by itself (status %d)", round, status);

        st = kwt_reopen();
        int64_t seen = __atomic_load_n(&sh->committed_entries, __ATOMIC_SEQ_CST);
        int64_t got = entries_now(st) - before;
        cr_assert_geq(got, seen, "round %d: %lld entries committed, only %lld survived", round, (long long)seen,
                      (long long)got);
        cr_assert_leq(got, seen + MAX_ENTRIES_PER_TX, "round %d: %lld entries appeared, %lld committed", round,
                      (long long)got, (long long)seen);
        kw_db *db;
        kw_err e = {0};
        kw_ledger_report rep;
        must(kw_store_acquire(st, KW_DB_READ, &db, &e), &e);
        int rc = kw_ledger_check(db, &rep, &e);
        kw_store_release(st, db);
        cr_assert_eq(rc, 0, "round %d: %s", round, e.msg);
        cr_assert_eq(rep.incomplete + rep.unbalanced + rep.drifted + rep.negative + rep.net, 0);
        cr_assert_eq(rep.users_total + rep.reserve, -(rep.chain_in + rep.chain_out));
    }
    munmap(sh, sizeof *sh);
    kwt_close(st);
}
