#include <signal.h>
#include <sys/wait.h>

#include "core/farm.h"
#include "devnet_fixture.h"

#define FARMERS 6

static signer crowd[FARMERS];

static void farmers(void)
{
    for (int i = 0; i < FARMERS; i++)
        signer_init(&crowd[i], (uint8_t)(20 + i));
}

Test(devnet_persistence, state_survives_close_and_reopen)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_OFF);
    fund(&n, &crowd[0], 900);
    plant(&n, &crowd[0], 400);
    advance_ledgers(&n, 2);
    work(&n, &crowd[0], 1);
    kw_chain_status before = status(&n);
    kw_chain_pail pb, pa;
    cr_assert_eq(kw_chain_pail_get(&n.c, crowd[0].pk, 0, &pb, NULL), 0);
    kw_chain_close(&n.c);

    n.o.ledger_ms = 5000; /* ignored: the file keeps its ledger interval */
    net_open(&n);
    cr_assert_eq(n.c.ledger_ms, LEDGER_MS);
    kw_chain_status after = status(&n);
    cr_assert(after.ledger_seq == before.ledger_seq && after.farm_index == before.farm_index);
    cr_assert(block_eq(&after.block, &before.block));
    cr_assert_eq(kw_chain_pail_get(&n.c, crowd[0].pk, 0, &pa, NULL), 0);
    cr_assert(pa.sequence == pb.sequence && pa.stake == pb.stake && pa.gap == pb.gap && pa.zeros == pb.zeros);
    cr_assert_eq(balance(&n, crowd[0].pk), 500);
    n.clock.now -= 60000;
    cr_assert_eq(status(&n).ledger_seq, before.ledger_seq, "a clock stepping back never lowers the ledger");
    net_stop(&n);
}

/* The child farms as fast as it can and reports each finished call on a pipe. */
static void child_farm(net *n, int fd)
{
    kw_chain c;
    if (kw_devnet_open(&n->o, &c, NULL) != 0)
        _exit(2);
    for (uint64_t i = 0;; i++) {
        signer *g = &crowd[(i / 4) % FARMERS];
        kw_err e = {0};
        int rc;
        switch (i % 4) {
        case 0:
            rc = kw_chain_faucet(&c, g->pk, 1000 + (int64_t)i, &e);
            break;
        case 1:
            rc = kw_chain_plant(&c, &g->s, (int64_t)(i % 700), NULL, NULL, &e);
            break;
        case 2: {
            kw_chain_status st;
            uint8_t h[32];
            rc = kw_chain_status_get(&c, &st, &e);
            if (rc == 0 && st.has_block) {
                kw_kalehash(st.farm_index, i, st.block.entropy, g->pk, h);
                rc = kw_chain_work(&c, g->pk, h, i, NULL, &e);
                if (rc == KW_ECHAIN && e.code == KW_KALE_EZERO_COUNT_TOO_LOW)
                    rc = 0;
            }
            break;
        }
        default:
            rc = kw_chain_transfer(&c, &g->s, crowd[(i + 1) % FARMERS].pk, 1, &e);
            break;
        }
        if (rc != 0 && rc != KW_ECHAIN && rc != KW_EFUNDS)
            _exit(3);
        n->clock.now += i % 37 == 0 ? BLOCK_S * 1000 : LEDGER_MS;
        if (write(fd, "x", 1) != 1)
            _exit(4);
    }
}

/* What must hold whatever instant the process died at; returns the number
 * of worked pails seen. */
static int check_consistent(net *n)
{
    int worked = 0;
    kw_devnet_totals t;
    cr_assert_eq(kw_devnet_totals_get(&n->c, &t, NULL), 0);
    cr_assert(t.balances == t.minted - t.burned, "token supply out of balance");
    kw_chain_status st = status(n);
    for (uint32_t index = 0; st.has_block && index <= st.farm_index; index++) {
        kw_chain_block b;
        if (kw_chain_block_get(&n->c, index, &b, NULL) != 0)
            continue;
        __int128 staked = 0, normalized = 0;
        for (int f = 0; f < FARMERS; f++) {
            kw_chain_pail p;
            if (kw_chain_pail_get(&n->c, crowd[f].pk, index, &p, NULL) != 0)
                continue;
            cr_assert(p.sequence >= 1 && p.sequence <= st.ledger_seq);
            if (!p.worked) {
                staked += p.stake;
                continue;
            }
            worked++;
            kw_farm_ranges r = {b.min_gap, b.max_gap, b.min_stake, b.max_stake, b.min_zeros, b.max_zeros};
            __int128 s[3];
            cr_assert_eq(kw_farm_normalize(&r, p.gap, p.stake, p.zeros, s), 0);
            normalized += s[0] + s[1] + s[2];
        }
        cr_assert(b.staked_total == staked, "block %u: staked_total disagrees with its pails", index);
        cr_assert(b.normalized_total <= normalized, "block %u: normalized_total %lld above its pails' %lld", index,
                  (long long)b.normalized_total, (long long)normalized);
    }
    return worked;
}

Test(devnet_persistence, survives_kill_9_at_any_point, .timeout = 60)
{
    const int kill_after[] = {40, 333, 1200};
    for (size_t k = 0; k < sizeof kill_after / sizeof kill_after[0]; k++) {
        net n;
        farmers();
        net_start(&n, 0, KW_DEVNET_TIMER_CALLS);
        kw_chain_close(&n.c);
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_farm(&n, fds[1]);
        }
        close(fds[1]);
        char buf[64];
        for (int got = 0; got < kill_after[k];) {
            ssize_t r = read(fds[0], buf, sizeof buf < (size_t)(kill_after[k] - got) ? sizeof buf
                                                                                     : (size_t)(kill_after[k] - got));
            cr_assert(r > 0, "the child died on its own");
            got += (int)r;
        }
        cr_assert_eq(kill(pid, SIGKILL), 0);
        int wst;
        cr_assert_eq(waitpid(pid, &wst, 0), pid);
        cr_assert(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
        close(fds[0]);

        n.clock.now += 3600 * 1000;
        net_open(&n);
        cr_assert_gt(check_consistent(&n), 0, "the child got as far as working");
        /* And it keeps farming. */
        n.clock.now += BLOCK_S * 1000;
        uint32_t index = plant(&n, &crowd[0], 0);
        advance_ledgers(&n, 1);
        work(&n, &crowd[0], 0);
        cr_assert_gt(check_consistent(&n), 0);
        n.clock.now += BLOCK_S * 1000;
        cr_assert_gt(status(&n).farm_index, index);
        cr_assert_eq(kw_chain_harvest(&n.c, crowd[0].pk, index, NULL, NULL), 0);
        net_stop(&n);
    }
}
