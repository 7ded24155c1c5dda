/*
 * Crash safety of the engine (issue 7): a child process plays the game with
 * random actions and is killed with SIGKILL at a random moment, twenty times,
 * each time restarted from the database, the devnet file and the clock it
 * left behind. Afterwards every action a child saw committed is present, no
 * cycle was settled twice, no position farmed twice, and the books reconcile.
 *
 * A plain program rather than a Criterion test: the children must not share
 * Criterion's report channel.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "play_fixture.h"

/* A child plays from the time stored in dir/clock and writes every committed
 * action id to dir/accepted; the parent kills it with SIGKILL at a random moment. */
static void child_play(const char *dir, uint64_t until)
{
    char path[128];
    snprintf(path, sizeof path, "%s/clock", dir);
    int64_t at = T0;
    FILE *c = fopen(path, "r");
    if (c) {
        if (fscanf(c, "%" SCNd64, &at) != 1)
            at = T0;
        fclose(c);
    }
    fixture f;
    fixture_reopen(&f, dir, at, "0", "0");
    for (int i = 0; i < USERS; i++)
        f.users[i] = i + 2; /* ids of the users made by the first run (1 is the treasury) */
    f.rng ^= (uint64_t)at;
    snprintf(path, sizeof path, "%s/accepted", dir);
    FILE *log = fopen(path, "a");
    char clock_path[128], tmp[140];
    snprintf(clock_path, sizeof clock_path, "%s/clock", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", clock_path);
    step(&f);
    while (current_cycle(&f) < until) {
        act_logged(&f, log);
        step(&f);
        FILE *t = fopen(tmp, "w");
        fprintf(t, "%" PRId64 "\n", kw_clock_now_ms(&f.clock.clock));
        fclose(t);
        rename(tmp, clock_path);
    }
    fclose(log);
    _exit(0);
}

int main(void)
{
    fixture f;
    fixture_open(&f, "0");
    make_users(&f);
    uint64_t until = current_cycle(&f) + 4;
    char dir[64];
    snprintf(dir, sizeof dir, "%s", f.dir);
    kw_engine_close(f.e);
    kw_config_free(&f.cfg);
    uint64_t seed = 0xC0FFEE;
    int finished = 0;
    for (int kill_no = 0; kill_no < 20 || !finished; kill_no++) {
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0)
            child_play(dir, until);
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        int status;
        if (kill_no < 20) {
            usleep((useconds_t)(20000 + seed % 250000));
            kill(pid, SIGKILL);
        }
        waitpid(pid, &status, 0);
        finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        CHECK(finished || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL), "child failed: %d", status);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/clock", dir);
    int64_t at;
    FILE *c = fopen(path, "r");
    CHECK(c && fscanf(c, "%" SCNd64, &at) == 1, "no clock file");
    fclose(c);
    fixture_reopen(&f, dir, at, "0", "0");
    settle_all(&f, until);
    /* every action a run saw committed is still there */
    snprintf(path, sizeof path, "%s/accepted", dir);
    FILE *log = fopen(path, "r");
    long long id;
    int seen = 0;
    while (log && fscanf(log, "%lld", &id) == 1) {
        CHECK(q(&f, "SELECT COUNT(*) FROM cycle_actions WHERE id = $1", id) == 1, "action %lld lost", id);
        seen++;
    }
    if (log)
        fclose(log);
    CHECK(seen > 0, "no action was accepted");
    check_books(&f, until);
    fixture_close(&f);
    printf("sigkill: %d actions survived 20 kills; books exact\n", seen);
    return 0;
}
