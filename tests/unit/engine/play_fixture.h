/*
 * play_fixture — the engine on the devnet with an injected clock, for the
 * engine's play tests and the crash test: a temporary data directory, users
 * with deposits, random valid and invalid actions, and the checks every run
 * must pass (each cycle settled once, nothing farmed twice, mints equal to
 * the books, wagers paid per SPEC §8, reconcile exact).
 *
 * CHECK aborts with a message, so it works inside Criterion and in plain
 * programs alike.
 */
#ifndef KW_TESTS_PLAY_FIXTURE_H
#define KW_TESTS_PLAY_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__);                          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define K INT64_C(10000000)
#define USERS 20
#define T0 INT64_C(1767225600000)

typedef struct fixture {
    char dir[64];
    kw_config cfg;
    kw_manual_clock clock;
    kw_engine *e;
    int64_t users[USERS];
    uint64_t rng;
} fixture;

void fixture_reopen(fixture *f, const char *dir, int64_t start_ms, const char *fault_rate, const char *latency);
void fixture_open(fixture *f, const char *fault_rate);
void fixture_close(fixture *f);
void step(fixture *f);
void make_users(fixture *f);
int64_t q(fixture *f, const char *sql, int64_t arg);
int act(fixture *f);
int act_logged(fixture *f, FILE *accepted_log);
uint64_t current_cycle(fixture *f);
int play_until(fixture *f, uint64_t until);
void settle_all(fixture *f, uint64_t before);
void check_books(fixture *f, uint64_t before);

#endif
