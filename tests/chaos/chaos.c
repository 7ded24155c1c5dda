/*
 * chaos — the whole service under fire (issue 13).
 *
 * Fifty users play through the HTTP API of a real `kalewx serve` — plants,
 * stores, wagers, stays, faucet deposits and withdrawals, each POST with an
 * Idempotency-Key that is retried until it gets a definite answer — while
 * this program, again and again:
 *
 *   - kills the server with SIGKILL and starts it again;
 *   - fills the disk under the data directory (a small tmpfs mounted there,
 *     or, where nothing can be mounted, a restart under RLIMIT_FSIZE at the
 *     size the files have) and frees it again;
 *   - restarts PostgreSQL (CHAOS_PG_RESTART, a shell command) when the run
 *     is on PostgreSQL;
 *
 * and the devnet fails 20 % of its calls throughout. Afterwards, with the
 * server stopped by SIGTERM:
 *
 *   - every action a user got 201 for is in the database, as answered;
 *   - every answered faucet or withdrawal key took effect exactly once;
 *   - every cycle up to the last one played settled, each exactly once;
 *     every position and wager of those cycles is settled; no position was
 *     planted or harvested twice on the chain;
 *   - `kalewx admin reconcile --json` says the books are exact (exit 0);
 *   - the server never died by itself except by refusing to start on a
 *     full disk (a crash by any signal is a failure).
 *
 * Usage: chaos [--seconds N] [--users N] [--seed N]
 * Environment: KALEWX (the binary), CHAOS_DIR (an empty directory; the data
 * directory is CHAOS_DIR/data), CHAOS_DISK ("tmpfs" when CHAOS_DIR/data is a
 * tmpfs mount, else "fsize"), DATABASE_URL (PostgreSQL; empty for SQLite),
 * CHAOS_PG_RESTART. tests/chaos/run.sh sets all of them.
 *
 * Nothing here judges time: deadlines only bound waits for a condition.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "crypto/strkey.h"
#include "store/store.h"

#define MAX_USERS 200
#define STATUS_CODES 600
/* How long a wait for a condition may take before the run fails. */
#define SETTLE_DEADLINE_S 240
#define READY_DEADLINE_S 60

typedef struct opts {
    int seconds, users;
    uint64_t seed;
    const char *kalewx, *dir, *db_url, *pg_restart;
    bool tmpfs;
} opts;

static opts O;
static char data_dir[512];
static uint16_t port;

/* ---- small things ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* Pacing between requests, never a judgement of time. */
static void pause_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("chaos: ");
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    va_end(ap);
}

/* ---- what the users were told ---- */

typedef enum { ANS_ACTION, ANS_FAUCET, ANS_WITHDRAWAL } answer_kind;

typedef struct answer {
    answer_kind kind;
    int64_t user_id, id, cycle_id;
} answer;

static pthread_mutex_t answers_mu = PTHREAD_MUTEX_INITIALIZER;
static answer *answers;
static size_t nanswers, answers_cap;
static atomic_long status_counts[STATUS_CODES], no_reply, retries;

static void answered(answer_kind kind, int64_t user_id, int64_t id, int64_t cycle_id)
{
    pthread_mutex_lock(&answers_mu);
    if (nanswers == answers_cap) {
        answers_cap = answers_cap ? 2 * answers_cap : 1024;
        answers = realloc(answers, answers_cap * sizeof *answers);
        if (!answers)
            abort();
    }
    answers[nanswers++] = (answer){kind, user_id, id, cycle_id};
    pthread_mutex_unlock(&answers_mu);
}

/* ---- the server ---- */

static pid_t server = -1;
static int starts, kills, disk_fulls, pg_restarts;
static atomic_bool disk_full;
static int refused_starts;

/* Starts `kalewx serve`; with limit > 0 under RLIMIT_FSIZE = limit bytes. */
static void server_start(rlim_t limit)
{
    char log[600];
    snprintf(log, sizeof log, "%s/server-%03d.log", O.dir, ++starts);
    pid_t pid = fork();
    if (pid < 0) {
        perror("chaos: fork");
        exit(2);
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        if (limit) {
            /* A write past the limit fails with EFBIG, as on a full disk,
             * instead of killing the process with SIGXFSZ. */
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit rl = {limit, limit};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(126);
        }
        execl(O.kalewx, "kalewx", "serve", (char *)NULL);
        _exit(127);
    }
    server = pid;
}

/* Reaps the server if it ended by itself. A crash is a failure; a non-zero
 * exit only while the disk is full (it may refuse to start then). */
static void server_reap(void)
{
    int st;
    if (server <= 0 || waitpid(server, &st, WNOHANG) != server)
        return;
    server = -1;
    if (WIFSIGNALED(st)) {
        CHECK(0, "the server died by signal %d (see %s/server-%03d.log)", WTERMSIG(st), O.dir, starts);
    } else if (WEXITSTATUS(st) != 0) {
        CHECK(atomic_load(&disk_full), "the server exited with %d with the disk not full (see %s/server-%03d.log)",
              WEXITSTATUS(st), O.dir, starts);
        refused_starts++;
    }
}

static void server_kill(void)
{
    if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        server = -1;
        kills++;
    }
}

static bool server_ready(CURL *c)
{
    kwt_reply r = kwt_try_request(c, "GET", "/ready", NULL, NULL, 0);
    bool ok = r.curl_code == CURLE_OK && r.status == 200;
    kwt_reply_free(&r);
    return ok;
}

/* Keeps a server running and waits until it answers /ready. */
static void await_ready(CURL *c, rlim_t limit)
{
    double until = now_s() + READY_DEADLINE_S;
    while (now_s() < until) {
        server_reap();
        if (server < 0)
            server_start(limit);
        if (server_ready(c))
            return;
        pause_ms(100);
    }
    CHECK(0, "the server was not ready within %d s (see %s/server-%03d.log)", READY_DEADLINE_S, O.dir, starts);
}

/* ---- disk full ---- */

static char filler[600];

/* Fills the tmpfs under the data directory to the last byte. */
static void fill_disk(void)
{
    snprintf(filler, sizeof filler, "%s/filler", data_dir);
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "cannot create %s: %s", filler, strerror(errno));
    if (fd < 0)
        return;
    static char block[1 << 16];
    for (size_t n = sizeof block; n >= 512;) {
        if (write(fd, block, n) < 0) {
            CHECK(errno == ENOSPC, "filling the disk: %s", strerror(errno));
            if (errno != ENOSPC)
                break;
            n /= 2;
        }
    }
    close(fd);
}

/* The largest file in the data directory: a limit at its size lets no file grow. */
static off_t largest_file(void)
{
    DIR *d = opendir(data_dir);
    off_t max = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[1100];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", data_dir, e->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > max)
            max = st.st_size;
    }
    if (d)
        closedir(d);
    return max;
}

/* One episode: the disk is full for a while under load, then free again. */
static void disk_full_episode(CURL *c, uint64_t *rng)
{
    disk_fulls++;
    atomic_store(&disk_full, true);
    double hold = 1.5 + (double)(xorshift(rng) % 2000) / 1000;
    if (O.tmpfs) {
        fill_disk();
        double until = now_s() + hold;
        bool killed = xorshift(rng) % 2 == 0;
        while (now_s() < until) {
            server_reap();
            /* Half the time the server is also killed, so it must start on a full disk. */
            if (killed && now_s() > until - hold / 2) {
                server_kill();
                server_start(0);
                killed = false;
            }
            pause_ms(100);
        }
        CHECK(unlink(filler) == 0, "cannot remove %s: %s", filler, strerror(errno));
    } else {
        server_kill();
        rlim_t limit = (rlim_t)largest_file() + 4096;
        server_start(limit);
        double until = now_s() + hold;
        while (now_s() < until) {
            server_reap();
            pause_ms(100);
        }
        server_kill();
    }
    atomic_store(&disk_full, false);
    server_reap();
    await_ready(c, 0);
}

/* ---- the users ---- */

typedef struct user {
    int no;
    int64_t id;
    char name[32], auth[1200];
    uint64_t rng;
    long seq;
    pthread_t thread;
} user;

static atomic_bool stopping;
static atomic_int registered;

typedef enum { DONE, AGAIN } outcome;

/* Statuses a user may get back: success, the game's refusals, and 503 for
 * what is passing (a restart, a full disk, the database away). A 500 is a
 * failure: the service did not know what happened. */
static bool expected_status(long status, const char *code)
{
    if (status == 200 || status == 201 || status == 202 || status == 503)
        return true;
    static const char *const refusals[] = {"DUPLICATE_ACTION", "WAGER_EXISTS",        "PHASE_CLOSED",
                                           "INSUFFICIENT_FUNDS", "IDEMPOTENCY_IN_PROGRESS", "USERNAME_TAKEN"};
    for (size_t i = 0; code && i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(code, refusals[i]) == 0)
            return true;
    return false;
}

/* One POST, retried with the same Idempotency-Key until it gets a definite
 * answer (a 2xx or a 4xx other than "in progress"). Returns the reply, or one
 * with status 0 when the run ended first. */
static kwt_reply post(user *u, CURL *c, const char *path, const char *body, const char *key)
{
    char idem[128];
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", key);
    const char *h[] = {"Content-Type: application/json", u->auth[0] ? u->auth : NULL, NULL, NULL};
    h[u->auth[0] ? 2 : 1] = idem;
    double give_up = 0;
    for (;;) {
        kwt_reply r = kwt_try_request(c, "POST", path, h, body, strlen(body));
        if (r.curl_code != CURLE_OK) {
            atomic_fetch_add(&no_reply, 1);
        } else {
            if (r.status > 0 && r.status < STATUS_CODES)
                atomic_fetch_add(&status_counts[r.status], 1);
            const char *code = kwt_jstr(&r, "code");
            CHECK(expected_status(r.status, code), "%s %s: unexpected %ld %s", path, body, r.status,
                  r.body ? r.body : "");
            bool in_progress = code && strcmp(code, "IDEMPOTENCY_IN_PROGRESS") == 0;
            if (r.status != 503 && !in_progress)
                return r;
        }
        kwt_reply_free(&r);
        atomic_fetch_add(&retries, 1);
        /* After the end of the run the server is up for good: an unanswered
         * key still gets its answer, but not forever. */
        if (atomic_load(&stopping)) {
            if (give_up == 0)
                give_up = now_s() + READY_DEADLINE_S;
            else if (now_s() > give_up) {
                CHECK(0, "%s with key %s never got an answer", path, key);
                return (kwt_reply){0};
            }
        }
        pause_ms(100 + (unsigned)(xorshift(&u->rng) % 200));
    }
}

static int64_t data_int(const kwt_reply *r, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(r->json, "data"), key));
}

static void faucet(user *u, CURL *c)
{
    char key[64];
    snprintf(key, sizeof key, "chaos-%d-faucet-%ld", u->no, ++u->seq);
    kwt_reply r = post(u, c, "/api/v1/devnet/faucet", "{\"amount\":\"500\"}", key);
    if (r.status == 202)
        answered(ANS_FAUCET, u->id, data_int(&r, "id"), 0);
    kwt_reply_free(&r);
}

static void sign_up(user *u, CURL *c)
{
    uint8_t raw[32];
    char wallet[KW_STRKEY_BUFSZ], body[256], key[64];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)xorshift(&u->rng);
    kw_strkey_encode(KW_STRKEY_ACCOUNT, raw, wallet);
    snprintf(u->name, sizeof u->name, "chaos_%03d", u->no);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"chaos-password-%03d\",\"wallet\":\"%s\"}",
             u->name, u->no, wallet);
    snprintf(key, sizeof key, "chaos-%d-register", u->no);
    kwt_reply r = post(u, c, "/api/v1/users", body, key);
    kwt_reply_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"chaos-password-%03d\"}", u->name, u->no);
    snprintf(key, sizeof key, "chaos-%d-login", u->no);
    r = post(u, c, "/api/v1/auth/token", body, key);
    const char *token = kwt_data_str(&r, "token");
    CHECK(r.status == 200 && token, "login of %s: %ld %s", u->name, r.status, r.body ? r.body : "");
    if (token)
        snprintf(u->auth, sizeof u->auth, "Authorization: Bearer %s", token);
    u->id = json_integer_value(json_object_get(json_object_get(json_object_get(r.json, "data"), "user"), "id"));
    kwt_reply_free(&r);
}

/* The phase of the current cycle, or "" when the server does not answer. */
static void phase(CURL *c, char out[16])
{
    kwt_reply r = kwt_try_request(c, "GET", "/api/v1/cycles/current", NULL, NULL, 0);
    const char *p = json_string_value(
        json_object_get(json_object_get(json_object_get(r.json, "data"), "cycle"), "phase"));
    snprintf(out, 16, "%s", r.status == 200 && p ? p : "");
    kwt_reply_free(&r);
}

/* One move: mostly actions (whatever the phase: refusals are part of the
 * game), sometimes money in or out. */
static void move(user *u, CURL *c)
{
    char body[160], key[64], ph[16];
    phase(c, ph);
    uint64_t x = xorshift(&u->rng);
    unsigned amount = 1 + (unsigned)(x >> 8) % 40;
    switch (x % 16) {
    case 0:
        faucet(u, c);
        return;
    case 1: {
        snprintf(key, sizeof key, "chaos-%d-withdraw-%ld", u->no, ++u->seq);
        kwt_reply r = post(u, c, "/api/v1/me/withdrawals", "{\"amount\":\"1\"}", key);
        if (r.status == 202)
            answered(ANS_WITHDRAWAL, u->id, data_int(&r, "id"), 0);
        kwt_reply_free(&r);
        return;
    }
    case 2: case 3: case 4: case 5:
        snprintf(body, sizeof body, "{\"type\":\"agriculture\",\"agriculture_type\":\"plant\",\"amount\":\"%u\"}",
                 amount);
        break;
    case 6: case 7:
        snprintf(body, sizeof body, "{\"type\":\"agriculture\",\"agriculture_type\":\"store\",\"amount\":\"%u\"}",
                 amount);
        break;
    case 8: case 9: case 10:
        snprintf(body, sizeof body, "{\"type\":\"wager\",\"direction\":\"%s\",\"amount\":\"%u\"}",
                 x & 256 ? "good" : "bad", amount);
        break;
    default:
        /* Outside planting most moves would only be refused; look instead. */
        if (strcmp(ph, "planting") != 0 && x % 4 != 0) {
            kwt_reply r = kwt_try_request(c, "GET", "/api/v1/me", (const char *[]){u->auth, NULL}, NULL, 0);
            kwt_reply_free(&r);
            return;
        }
        snprintf(body, sizeof body, "{\"type\":\"stay\"}");
    }
    snprintf(key, sizeof key, "chaos-%d-act-%ld", u->no, ++u->seq);
    kwt_reply r = post(u, c, "/api/v1/actions", body, key);
    if (r.status == 201)
        answered(ANS_ACTION, u->id, data_int(&r, "action_id"), data_int(&r, "cycle_id"));
    else if (r.status == 422 && kwt_jstr(&r, "code") && strcmp(kwt_jstr(&r, "code"), "INSUFFICIENT_FUNDS") == 0)
        faucet(u, c);
    kwt_reply_free(&r);
}

static void *user_main(void *arg)
{
    user *u = arg;
    CURL *c = curl_easy_init();
    sign_up(u, c);
    faucet(u, c);
    atomic_fetch_add(&registered, 1);
    while (!atomic_load(&stopping)) {
        move(u, c);
        pause_ms(1000 + (unsigned)(xorshift(&u->rng) % 2000));
    }
    curl_easy_cleanup(c);
    return NULL;
}

/* ---- afterwards ---- */

static int64_t current_cycle(CURL *c)
{
    kwt_reply r = kwt_try_request(c, "GET", "/api/v1/cycles/current", NULL, NULL, 0);
    int64_t id = json_integer_value(json_object_get(json_object_get(json_object_get(r.json, "data"), "cycle"), "id"));
    kwt_reply_free(&r);
    return id;
}

static bool cycle_settled(CURL *c, int64_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/cycles/%" PRId64, id);
    kwt_reply r = kwt_try_request(c, "GET", path, NULL, NULL, 0);
    const char *state = kwt_data_str(&r, "state");
    bool done = r.status == 200 && state && strcmp(state, "settled") == 0;
    kwt_reply_free(&r);
    return done;
}

typedef struct check {
    kw_sql sql;
    const char *what;
} check;

/* Each query counts what must not exist, for cycles up to $1. */
static check checks[] = {
    {{.sql = "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id <= $1 AND current_state <> 'settled'"},
     "a cycle that was played is not settled"},
    {{.sql = "SELECT COUNT(*) FROM (SELECT cycle_id FROM events WHERE type = 'cycle.settled' AND cycle_id <= $1 "
             "GROUP BY cycle_id HAVING COUNT(*) > 1) x"},
     "a cycle was settled more than once"},
    {{.sql = "SELECT COUNT(*) FROM weather_cycles w WHERE w.cycle_id <= $1 AND NOT EXISTS "
             "(SELECT 1 FROM events e WHERE e.type = 'cycle.settled' AND e.cycle_id = w.cycle_id)"},
     "a settled cycle has no settlement event"},
    {{.sql = "SELECT COUNT(*) FROM farm_positions WHERE cycle_id <= $1 AND status <> 'settled'"},
     "a position of a settled cycle is not settled"},
    {{.sql = "SELECT COUNT(*) FROM weather_wagers WHERE cycle_id <= $1 AND status = 'open'"},
     "a wager of a settled cycle is still open"},
    {{.sql = "SELECT COUNT(*) FROM (SELECT position_id FROM chain_transactions WHERE status = 'succeeded' "
             "AND position_id IS NOT NULL GROUP BY position_id, kind HAVING COUNT(*) > 1) x WHERE $1 = $1"},
     "a position was planted, worked or harvested twice"},
};

static const kw_sql SQL_ACTION = {
    .sql = "SELECT COUNT(*) FROM cycle_actions WHERE id = $1 AND user_id = $2 AND cycle_id = $3"};
static const kw_sql SQL_MONEY = {
    .sql = "SELECT COUNT(*) FROM chain_transactions WHERE id = $1 AND user_id = $2 AND kind = $3"};
static const kw_sql SQL_MONEY_TOTAL = {
    .sql = "SELECT COUNT(*) FROM chain_transactions WHERE kind = $1 AND user_id IN "
           "(SELECT id FROM users WHERE username LIKE 'chaos_%')"};

static int64_t count(kw_db *db, const kw_sql *sql, const kw_param *p, size_t n)
{
    int64_t v = -1;
    kw_err e = {0};
    CHECK(kw_db_query_int(db, sql, p, n, &v, &e) == 0, "%s: %s", sql->sql, e.msg);
    return v;
}

static void check_database(int64_t last_cycle)
{
    kw_store_options so = {.url = O.db_url, .data_dir = data_dir, .pool_size = 1};
    kw_store *st;
    kw_db *db;
    kw_err e = {0};
    if (kw_store_open(&so, &st, &e) != 0 || kw_store_acquire(st, KW_DB_READ, &db, &e) != 0) {
        CHECK(0, "cannot open the database: %s", e.msg);
        return;
    }
    size_t kinds[3] = {0};
    for (size_t i = 0; i < nanswers; i++) {
        const answer *a = &answers[i];
        kinds[a->kind]++;
        if (a->kind == ANS_ACTION)
            CHECK(count(db, &SQL_ACTION, KW_ARGS(KW_I(a->id), KW_I(a->user_id), KW_I(a->cycle_id))) == 1,
                  "accepted action %" PRId64 " of user %" PRId64 " in cycle %" PRId64 " is missing", a->id,
                  a->user_id, a->cycle_id);
        else
            CHECK(count(db, &SQL_MONEY,
                        KW_ARGS(KW_I(a->id), KW_I(a->user_id), KW_T(a->kind == ANS_FAUCET ? "deposit" : "withdrawal"))) == 1,
                  "accepted %s %" PRId64 " of user %" PRId64 " is missing",
                  a->kind == ANS_FAUCET ? "deposit" : "withdrawal", a->id, a->user_id);
    }
    /* Every key answered once took effect once: no more rows than answers. */
    CHECK(count(db, &SQL_MONEY_TOTAL, KW_ARGS(KW_T("deposit"))) == (int64_t)kinds[ANS_FAUCET],
          "deposits: %" PRId64 " on the books, %zu answered", count(db, &SQL_MONEY_TOTAL, KW_ARGS(KW_T("deposit"))),
          kinds[ANS_FAUCET]);
    CHECK(count(db, &SQL_MONEY_TOTAL, KW_ARGS(KW_T("withdrawal"))) == (int64_t)kinds[ANS_WITHDRAWAL],
          "withdrawals: %" PRId64 " on the books, %zu answered",
          count(db, &SQL_MONEY_TOTAL, KW_ARGS(KW_T("withdrawal"))), kinds[ANS_WITHDRAWAL]);
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        int64_t n = count(db, &checks[i].sql, KW_ARGS(KW_I(last_cycle)));
        CHECK(n == 0, "%s (%" PRId64 " times)", checks[i].what, n);
    }
    CHECK(kinds[ANS_ACTION] > 0 && kinds[ANS_FAUCET] > 0, "too little was accepted to judge: %zu actions, %zu deposits",
          kinds[ANS_ACTION], kinds[ANS_FAUCET]);
    say("%zu actions, %zu deposits and %zu withdrawals accepted, all present once", kinds[ANS_ACTION],
        kinds[ANS_FAUCET], kinds[ANS_WITHDRAWAL]);
    kw_store_release(st, db);
    kw_store_close(st);
}

/* `kalewx admin reconcile --json` on the stopped service: exit 0 = exact. */
static void check_reconcile(void)
{
    char out[600], cmd[1400];
    snprintf(out, sizeof out, "%s/reconcile.json", O.dir);
    snprintf(cmd, sizeof cmd, "'%s' admin reconcile --json >'%s' 2>&1", O.kalewx, out);
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kalewx admin reconcile exited %d (see %s)",
          WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        say("reconcile exact");
}

/* ---- the run ---- */

static void parse(int argc, char **argv)
{
    O = (opts){.seconds = 40, .users = 50, .seed = 0xC4A05};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            O.seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--users") == 0 && i + 1 < argc)
            O.users = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            O.seed = strtoull(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: chaos [--seconds N] [--users N] [--seed N]\n");
            exit(2);
        }
    }
    O.kalewx = getenv("KALEWX");
    O.dir = getenv("CHAOS_DIR");
    O.db_url = getenv("DATABASE_URL") ? getenv("DATABASE_URL") : "";
    O.pg_restart = getenv("CHAOS_PG_RESTART");
    O.tmpfs = getenv("CHAOS_DISK") && strcmp(getenv("CHAOS_DISK"), "tmpfs") == 0;
    if (!O.kalewx || !O.dir || O.seconds < 1 || O.users < 1 || O.users > MAX_USERS || !O.seed) {
        fprintf(stderr, "chaos: needs KALEWX and CHAOS_DIR (tests/chaos/run.sh sets them), 1..%d users\n",
                MAX_USERS);
        exit(2);
    }
    snprintf(data_dir, sizeof data_dir, "%s/data", O.dir);
}

/* A port the kernel has free now; the server gets it at every start. */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("chaos: no free port");
        exit(2);
    }
    close(fd);
    return ntohs(a.sin_port);
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    port = free_port();
    char port_s[8];
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    kwt_client_port(port);
    /* What every start of the server reads. */
    static const char *const env[][2] = {
        {"BIND", "127.0.0.1"}, {"KALEWX_ENV", "test"}, {"LOG_LEVEL", "info"}, {"HTTP_THREADS", "4"},
        {"DEVNET_BLOCK_SECONDS", "1"}, {"DEVNET_LEDGER_MS", "100"}, {"DEVNET_CROWD", "10"},
        {"DEVNET_FAULT_RATE", "0.2"}, {"MINER_THREADS", "1"}, {"MONITOR_INTERVAL", "200"},
        {"CYCLE_LENGTH", "6"}, {"PLANTING_BLOCKS", "3"}, {"WORKING_BLOCKS", "1"}, {"REVEALING_BLOCKS", "1"},
        {"SETTLING_BLOCKS", "1"}, {"RATE_LIMIT_ANONYMOUS", "1000000000"}, {"RATE_LIMIT_USER", "1000000000"},
    };
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
        setenv(env[i][0], env[i][1], 1);
    setenv("PORT", port_s, 1);
    setenv("KALEWX_DATA_DIR", data_dir, 1);
    mkdir(data_dir, 0700);
    say("%d users for %d s on %s, disk full by %s, seed %#" PRIx64, O.users, O.seconds,
        *O.db_url ? "PostgreSQL" : "SQLite", O.tmpfs ? "a tmpfs" : "RLIMIT_FSIZE", O.seed);

    CURL *c = curl_easy_init();
    await_ready(c, 0);
    static user users[MAX_USERS];
    for (int i = 0; i < O.users; i++) {
        users[i] = (user){.no = i, .rng = O.seed * 0x9E3779B97F4A7C15ull + (uint64_t)i + 1};
        pthread_create(&users[i].thread, NULL, user_main, &users[i]);
    }
    double until = now_s() + READY_DEADLINE_S;
    while (atomic_load(&registered) < O.users && now_s() < until)
        pause_ms(100);
    CHECK(atomic_load(&registered) == O.users, "only %d of %d users signed up", atomic_load(&registered), O.users);

    /* The fire: a disruption every 1.5 to 4 s (the server ready in between),
     * in turn a kill, a full disk, a kill and — on PostgreSQL — its restart. */
    uint64_t rng = O.seed;
    double end = now_s() + O.seconds;
    for (int round = 0; now_s() < end; round++) {
        pause_ms(1500 + (unsigned)(xorshift(&rng) % 2500));
        switch (round % (O.pg_restart ? 4 : 3)) {
        case 1:
            disk_full_episode(c, &rng);
            break;
        case 3:
            pg_restarts++;
            CHECK(system(O.pg_restart) == 0, "restarting PostgreSQL failed");
            break;
        default:
            server_kill();
            server_start(0);
        }
        await_ready(c, 0);
    }
    say("%d kills, %d disk-full episodes (%d starts refused), %d PostgreSQL restarts", kills, disk_fulls,
        refused_starts, pg_restarts);
    CHECK(kills > 0 && disk_fulls > 0 && (!O.pg_restart || pg_restarts > 0), "the run was too short to disrupt");

    /* The end: users finish what they started; then every cycle played settles. */
    atomic_store(&stopping, true);
    for (int i = 0; i < O.users; i++)
        pthread_join(users[i].thread, NULL);
    int64_t last = current_cycle(c);
    CHECK(last > 0, "no current cycle");
    until = now_s() + SETTLE_DEADLINE_S;
    while (!cycle_settled(c, last) && now_s() < until) {
        server_reap();
        if (server < 0)
            await_ready(c, 0);
        pause_ms(250);
    }
    CHECK(cycle_settled(c, last), "cycle %" PRId64 " did not settle within %d s", last, SETTLE_DEADLINE_S);
    kill(server, SIGTERM);
    int st;
    waitpid(server, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM: the server ended with status %d", st);
    long counted[STATUS_CODES];
    printf("chaos: replies:");
    for (int s = 0; s < STATUS_CODES; s++)
        if ((counted[s] = atomic_load(&status_counts[s])) != 0)
            printf(" %d×%ld", s, counted[s]);
    printf(", no reply %ld, retries %ld; cycles up to %" PRId64 " settled\n", atomic_load(&no_reply),
           atomic_load(&retries), last);
    check_database(last);
    check_reconcile();
    curl_easy_cleanup(c);
    curl_global_cleanup();
    free(answers);
    if (kwt_failures) {
        printf("chaos: %d check(s) failed; server logs in %s\n", kwt_failures, O.dir);
        return 1;
    }
    say("passed");
    return 0;
}
