#include <sqlite3.h>

#include "core/farm.h"
#include "devnet_fixture.h"

static signer A, B;

static void farmers(void)
{
    signer_init(&A, 1);
    signer_init(&B, 2);
}

/* ---- the contract's error paths, one scenario each ---- */

static struct {
    uint8_t hash[32];
    uint64_t nonce;
} last;

static void none(net *n) { (void)n; }

static void pause_farm(net *n) { cr_assert_eq(kw_devnet_pause(&n->c, &n->admin.s, NULL), 0); }

static void plant_a(net *n)
{
    fund(n, &A, 1000);
    plant(n, &A, 1000);
}

static void plant_b(net *n) { plant(n, &B, 0); }

static void plant_a_wait(net *n)
{
    plant_a(n);
    advance_ledgers(n, 2);
}

static void plant_a_work(net *n)
{
    plant_a_wait(n);
    last.nonce = mine(n, A.pk, 0, last.hash);
    cr_assert_eq(kw_chain_work(&n->c, A.pk, last.hash, last.nonce, NULL, NULL), 0);
}

/* The next block starts with B's plant after the interval. */
static void roll(net *n)
{
    n->clock.now += BLOCK_S * 1000;
    plant_b(n);
}

static void plant_a_roll(net *n)
{
    plant_a(n);
    roll(n);
}

static void plant_a_work_roll(net *n)
{
    plant_a_work(n);
    roll(n);
}

static void plant_b_roll(net *n)
{
    plant_b(n);
    roll(n);
}

static void corrupt_block0(net *n)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(n->path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "UPDATE blocks SET min_zeros = 5, max_zeros = 4 WHERE idx = 0", NULL,
                              NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void plant_a_wait_corrupt(net *n)
{
    plant_a_wait(n);
    corrupt_block0(n);
}

static void plant_a_work_roll_corrupt(net *n)
{
    plant_a_work_roll(n);
    corrupt_block0(n);
}

static void plant_a_work_roll_remove(net *n)
{
    plant_a_work_roll(n);
    cr_assert_eq(kw_devnet_remove_block(&n->c, &n->admin.s, 0, NULL), 0);
}

static const uint8_t zero32[32];

static int construct(net *n, kw_err *e) { return kw_devnet_construct(&n->c, &n->admin.s, e); }
static int pause_(net *n, kw_err *e) { return kw_devnet_pause(&n->c, &n->admin.s, e); }
static int unpause(net *n, kw_err *e) { return kw_devnet_unpause(&n->c, &n->admin.s, e); }
static int plant_a_0(net *n, kw_err *e) { return kw_chain_plant(&n->c, &A.s, 0, NULL, NULL, e); }
static int plant_a_neg(net *n, kw_err *e) { return kw_chain_plant(&n->c, &A.s, -1, NULL, NULL, e); }
static int work_a_zero(net *n, kw_err *e) { return kw_chain_work(&n->c, A.pk, zero32, 0, NULL, e); }
static int work_a_valid(net *n, kw_err *e)
{
    uint8_t h[32];
    uint64_t nonce = mine(n, A.pk, 0, h);
    return kw_chain_work(&n->c, A.pk, h, nonce, NULL, e);
}
static int work_a_again(net *n, kw_err *e)
{
    return kw_chain_work(&n->c, A.pk, last.hash, last.nonce, NULL, e);
}
static int work_a_wrong_nonce(net *n, kw_err *e)
{
    uint8_t h[32];
    uint64_t nonce = mine(n, A.pk, 0, h);
    return kw_chain_work(&n->c, A.pk, h, nonce + 1, NULL, e);
}
static int harvest_a_0(net *n, kw_err *e) { return kw_chain_harvest(&n->c, A.pk, 0, NULL, e); }
static int harvest_a_5(net *n, kw_err *e) { return kw_chain_harvest(&n->c, A.pk, 5, NULL, e); }

static const struct scenario {
    const char *name;
    int code;
    bool bare;
    void (*setup)(net *n);
    int (*act)(net *n, kw_err *e);
} scenarios[] = {
    {"constructor twice", KW_KALE_EHOMESTEAD_EXISTS, false, none, construct},
    {"plant before the constructor", KW_KALE_EHOMESTEAD_MISSING, true, none, plant_a_0},
    {"harvest before the constructor", KW_KALE_EHOMESTEAD_MISSING, true, none, harvest_a_0},
    {"pause before the constructor", KW_KALE_EHOMESTEAD_MISSING, true, none, pause_},
    {"work before the constructor", KW_KALE_EFARM_BLOCK_MISSING, true, none, work_a_zero},
    {"plant while paused", KW_KALE_EFARM_PAUSED, false, pause_farm, plant_a_0},
    {"pause twice", KW_KALE_EFARM_PAUSED, false, pause_farm, pause_},
    {"unpause a running farm", KW_KALE_EFARM_NOT_PAUSED, false, none, unpause},
    {"negative stake", KW_KALE_EPLANT_AMOUNT_TOO_LOW, false, none, plant_a_neg},
    {"re-work without more zeros", KW_KALE_EZERO_COUNT_TOO_LOW, false, plant_a_work, work_a_again},
    {"second plant in a block", KW_KALE_EPAIL_EXISTS, false, plant_a, plant_a_0},
    {"work without a plant", KW_KALE_EPAIL_MISSING, false, plant_b, work_a_zero},
    {"harvest without a plant", KW_KALE_EPAIL_MISSING, false, plant_b_roll, harvest_a_0},
    {"harvest without work", KW_KALE_EWORK_MISSING, false, plant_a_roll, harvest_a_0},
    {"work before the first block", KW_KALE_EBLOCK_MISSING, false, none, work_a_zero},
    {"harvest of a block never made", KW_KALE_EBLOCK_MISSING, false, plant_a, harvest_a_5},
    {"harvest of an evicted block", KW_KALE_EBLOCK_MISSING, false, plant_a_work_roll_remove, harvest_a_0},
    {"work against inverted ranges", KW_KALE_EBLOCK_INVALID, false, plant_a_wait_corrupt, work_a_valid},
    {"harvest against inverted ranges", KW_KALE_EBLOCK_INVALID, false, plant_a_work_roll_corrupt, harvest_a_0},
    {"hash of another nonce", KW_KALE_EHASH_INVALID, false, plant_a_wait, work_a_wrong_nonce},
    {"harvest of the current block", KW_KALE_EHARVEST_NOT_READY, false, plant_a_work, harvest_a_0},
    {"work in the plant's ledger", KW_KALE_EGAP_COUNT_TOO_LOW, false, plant_a, work_a_valid},
};

typedef struct snapshot {
    kw_chain_status st;
    kw_devnet_totals t;
    int64_t bal_a;
    int pail_rc;
    kw_chain_pail pail;
} snapshot;

static snapshot snap(net *n)
{
    snapshot s;
    memset(&s, 0, sizeof s);
    s.st = status(n);
    cr_assert_eq(kw_devnet_totals_get(&n->c, &s.t, NULL), 0);
    s.bal_a = balance(n, A.pk);
    s.pail_rc = kw_chain_pail_get(&n->c, A.pk, s.st.farm_index, &s.pail, NULL);
    return s;
}

Test(devnet, every_contract_error_path)
{
    bool seen[16] = {0};
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const struct scenario *sc = &scenarios[i];
        net n;
        farmers();
        net_opts(&n, 0, KW_DEVNET_TIMER_OFF);
        n.o.bare = sc->bare;
        net_open(&n);
        sc->setup(&n);
        snapshot before = snap(&n);
        kw_err e = {0};
        int rc = sc->act(&n, &e);
        cr_assert_eq(rc, KW_ECHAIN, "%s: rc %d (%s)", sc->name, rc, e.msg);
        cr_assert_eq(e.code, sc->code, "%s: %s instead of %s", sc->name, kw_kale_error_name(e.code),
                     kw_kale_error_name(sc->code));
        snapshot after = snap(&n);
        cr_assert(memcmp(&before, &after, sizeof before) == 0, "%s changed the state", sc->name);
        seen[sc->code] = true;
        net_stop(&n);
    }
    for (int code = 1; code <= 15; code++)
        cr_assert(seen[code], "no scenario for %s", kw_kale_error_name(code));
}

/* ---- the life of a block ---- */

Test(devnet, plant_work_rollover_harvest)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_OFF);
    fund(&n, &A, 50000000);
    uint32_t seq = 0, index = 99;
    cr_assert_eq(kw_chain_plant(&n.c, &A.s, 20000000, &index, &seq, NULL), 0);
    cr_assert_eq(index, 0);
    cr_assert_eq(seq, 1);
    cr_assert_eq(balance(&n, A.pk), 30000000, "the stake is burned");
    kw_chain_pail p;
    cr_assert_eq(kw_chain_pail_get(&n.c, A.pk, 0, &p, NULL), 0);
    cr_assert(p.sequence == 1 && p.stake == 20000000 && !p.worked);

    advance_ledgers(&n, 3);
    cr_assert_eq(work(&n, &A, 1), 3, "gap = ledgers since the plant");
    kw_chain_status st = status(&n);
    cr_assert(st.block.staked_total == 0, "the stake leaves staked_total once worked");
    cr_assert(st.block.normalized_total == 3, "empty ranges: each component is 1");

    /* Without the timer nothing moves until a plant comes after the interval. */
    n.clock.now += BLOCK_S * 1000;
    cr_assert_eq(status(&n).farm_index, 0);
    cr_assert_eq(plant(&n, &B, 0), 1);
    int64_t reward = 0;
    cr_assert_eq(kw_chain_harvest(&n.c, A.pk, 0, &reward, NULL), 0);
    cr_assert_eq(reward, 25050000000, "the only worker takes the whole emission");
    cr_assert_eq(balance(&n, A.pk), 30000000 + 20000000 + 25050000000);
    cr_assert_eq(kw_chain_pail_get(&n.c, A.pk, 0, &p, NULL), KW_ENOTFOUND);
    assert_rejects(KW_KALE_EPAIL_MISSING, kw_chain_harvest(&n.c, A.pk, 0, NULL, &e));
    kw_devnet_totals t;
    cr_assert_eq(kw_devnet_totals_get(&n.c, &t, NULL), 0);
    cr_assert(t.balances == t.minted - t.burned);
    net_stop(&n);
}

Test(devnet, a_new_block_freezes_the_previous_statistics_and_takes_the_last_hash)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_OFF);
    fund(&n, &A, 70);
    fund(&n, &B, 5);
    plant(&n, &A, 70);
    plant(&n, &B, 5);
    advance_ledgers(&n, 4);
    uint8_t ha[32], hb[32];
    uint64_t na = mine(&n, A.pk, 1, ha);
    cr_assert_eq(kw_chain_work(&n.c, A.pk, ha, na, NULL, NULL), 0);
    advance_ledgers(&n, 3);
    uint64_t nb = mine(&n, B.pk, 0, hb);
    cr_assert_eq(kw_chain_work(&n.c, B.pk, hb, nb, NULL, NULL), 0);
    n.clock.now += BLOCK_S * 1000;
    signer C;
    signer_init(&C, 3);
    plant(&n, &C, 0);
    kw_chain_status st = status(&n);
    cr_assert_eq(st.farm_index, 1);
    cr_assert(st.block.min_gap == 4 && st.block.max_gap == 7);
    cr_assert(st.block.min_stake == 5 && st.block.max_stake == 70);
    unsigned za = kw_kalehash_zeros(ha), zb = kw_kalehash_zeros(hb);
    cr_assert(st.block.min_zeros == (za < zb ? za : zb) && st.block.max_zeros == (za > zb ? za : zb));
    cr_assert(memcmp(st.block.entropy, hb, 32) == 0, "entropy = hash of the last accepted work");
    cr_assert(st.block.timestamp == (uint64_t)(n.clock.now / 1000));
    /* C planted 0 into the new running statistics: the next block sees it. */
    kw_chain_block b0;
    cr_assert_eq(kw_chain_block_get(&n.c, 0, &b0, NULL), 0);
    cr_assert(b0.min_gap == 0 && b0.max_gap == 0 && b0.max_stake == 0, "genesis block has empty ranges");
    cr_assert_eq(kw_chain_block_get(&n.c, 7, &b0, NULL), KW_ENOTFOUND);
    net_stop(&n);
}

Test(devnet, normalisation_uses_the_block_ranges)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_OFF);
    /* Block 0 sets ranges gap [2, 9], stake [0, 900], zeros [z_min, z_max]. */
    fund(&n, &A, 900);
    plant(&n, &A, 900);
    plant(&n, &B, 0);
    advance_ledgers(&n, 2);
    work(&n, &B, 0);
    advance_ledgers(&n, 7);
    work(&n, &A, 2);
    n.clock.now += BLOCK_S * 1000;
    fund(&n, &A, 300);
    plant(&n, &A, 300);
    kw_chain_status st = status(&n);
    advance_ledgers(&n, 5);
    uint8_t h[32];
    uint64_t nonce = mine(&n, A.pk, 0, h);
    cr_assert_eq(kw_chain_work(&n.c, A.pk, h, nonce, NULL, NULL), 0);
    kw_farm_ranges r = {st.block.min_gap, st.block.max_gap, st.block.min_stake, st.block.max_stake,
                        st.block.min_zeros, st.block.max_zeros};
    __int128 want[3];
    cr_assert_eq(kw_farm_normalize(&r, 5, 300, kw_kalehash_zeros(h), want), 0);
    cr_assert(status(&n).block.normalized_total == want[0] + want[1] + want[2]);
    cr_assert(want[1] == 300, "S = 900 is the stake range: (300 − 0) · 900 / 900");
    net_stop(&n);
}

/* Σ rewards ≤ emission + forfeited stakes, equal up to one stroop of floor
 * dust per harvester; with and without the crowd. */
static void conservation(uint32_t crowd)
{
    net n;
    net_start(&n, crowd, KW_DEVNET_TIMER_CALLS);
    signer f[12];
    int64_t stakes[12] = {0, 1, 7, 1000, 123456, 99999999, 5, 0, 31, 777777, 2, 40};
    for (int i = 0; i < 12; i++) {
        signer_init(&f[i], (uint8_t)(10 + i));
        if (stakes[i])
            fund(&n, &f[i], stakes[i]);
    }
    /* Warm up one block so the ranges are not empty. */
    for (int i = 0; i < 12; i++)
        plant(&n, &f[i], stakes[i]);
    advance_ledgers(&n, 3);
    for (int i = 0; i < 12; i++)
        work(&n, &f[i], 0);
    n.clock.now += BLOCK_S * 1000;
    uint32_t index = status(&n).farm_index;
    __int128 forfeited = 0;
    for (int i = 0; i < 12; i++) {
        int64_t b = balance(&n, f[i].pk);
        plant(&n, &f[i], b < stakes[i] ? b : stakes[i]);
    }
    for (int i = 0; i < 12; i++) {
        advance_ledgers(&n, 1);
        if (i % 4 == 3) {
            kw_chain_pail p;
            cr_assert_eq(kw_chain_pail_get(&n.c, f[i].pk, index, &p, NULL), 0);
            forfeited += p.stake;
            continue;
        }
        work(&n, &f[i], (unsigned)(i % 3));
    }
    n.clock.now += BLOCK_S * 1000;
    cr_assert_eq(status(&n).farm_index, index + 1, "the timer rolled the farm over");
    kw_chain_block b;
    cr_assert_eq(kw_chain_block_get(&n.c, index, &b, NULL), 0);
    if (!crowd)
        cr_assert(b.staked_total == forfeited);
    __int128 pot = kw_farm_emission(index) + b.staked_total, sum = 0;
    int harvesters = 0;
    for (int i = 0; i < 12; i++) {
        int64_t r = 0;
        if (i % 4 == 3)
            continue;
        cr_assert_eq(kw_chain_harvest(&n.c, f[i].pk, index, &r, NULL), 0);
        sum += r;
        harvesters++;
    }
    __int128 paid;
    cr_assert_eq(kw_devnet_block_paid(&n.c, index, &paid, NULL), 0);
    if (crowd) {
        cr_assert(paid > sum, "the crowd harvested too");
        harvesters += (int)crowd;
    } else {
        cr_assert(paid == sum);
    }
    cr_assert(paid <= pot, "rewards exceed emission + forfeits");
    cr_assert(pot - paid < harvesters, "more than floor dust left: %lld",
              (long long)(pot - paid));
    kw_devnet_totals t;
    cr_assert_eq(kw_devnet_totals_get(&n.c, &t, NULL), 0);
    cr_assert(t.balances == t.minted - t.burned);
    net_stop(&n);
}

Test(devnet, rewards_conserve_the_emission_plus_forfeits) { conservation(0); }
Test(devnet, rewards_conserve_with_the_crowd) { conservation(300); }

/* The contract subtracts a re-worked pail's old score recomputed with the new
 * gap; the devnet keeps that quirk. */
Test(devnet, rework_keeps_the_contracts_arithmetic)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_OFF);
    /* Ranges for block 1: gaps 1..10 from block 0. */
    plant(&n, &A, 0);
    plant(&n, &B, 0);
    advance_ledgers(&n, 1);
    work(&n, &A, 0);
    advance_ledgers(&n, 9);
    work(&n, &B, 0);
    n.clock.now += BLOCK_S * 1000;
    plant(&n, &A, 0);
    kw_chain_status st = status(&n);
    kw_farm_ranges r = {st.block.min_gap, st.block.max_gap, 0, 0, st.block.min_zeros,
                        st.block.max_zeros};
    advance_ledgers(&n, 2);
    uint8_t h1[32], h2[32];
    uint64_t n1 = mine(&n, A.pk, 0, h1);
    cr_assert_eq(kw_chain_work(&n.c, A.pk, h1, n1, NULL, NULL), 0);
    advance_ledgers(&n, 4);
    uint64_t n2 = mine(&n, A.pk, kw_kalehash_zeros(h1) + 1, h2);
    uint32_t gap = 0;
    cr_assert_eq(kw_chain_work(&n.c, A.pk, h2, n2, &gap, NULL), 0);
    cr_assert_eq(gap, 6);
    __int128 a[3], b[3], c[3];
    cr_assert_eq(kw_farm_normalize(&r, 2, 0, kw_kalehash_zeros(h1), a), 0);
    cr_assert_eq(kw_farm_normalize(&r, 6, 0, kw_kalehash_zeros(h2), b), 0);
    cr_assert_eq(kw_farm_normalize(&r, 6, 0, kw_kalehash_zeros(h1), c), 0);
    __int128 want = (a[0] + a[1] + a[2]) + (b[0] + b[1] + b[2]) - (c[0] + c[1] + c[2]);
    cr_assert(status(&n).block.normalized_total == want);
    kw_chain_pail p;
    cr_assert_eq(kw_chain_pail_get(&n.c, A.pk, 1, &p, NULL), 0);
    cr_assert(p.worked && p.gap == 6 && p.zeros == kw_kalehash_zeros(h2));
    net_stop(&n);
}

Test(devnet, an_evicted_block_bumps_the_index_on_the_next_plant)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_OFF);
    plant(&n, &A, 0);
    cr_assert_eq(kw_devnet_remove_block(&n.c, &n.admin.s, 0, NULL), 0);
    assert_rejects(KW_KALE_EBLOCK_MISSING, kw_chain_work(&n.c, A.pk, zero32, 0, NULL, &e));
    /* Index 0 is genesis, not eviction: the first plant recreates block 0. */
    cr_assert_eq(plant(&n, &B, 0), 0);
    n.clock.now += BLOCK_S * 1000;
    cr_assert_eq(plant(&n, &A, 0), 1);
    cr_assert_eq(kw_devnet_remove_block(&n.c, &n.admin.s, 1, NULL), 0);
    cr_assert_eq(plant(&n, &B, 0), 2, "a missing current block counts as evicted");
    net_stop(&n);
}

Test(devnet, the_timer_rolls_idle_farms_over)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_CALLS);
    cr_assert_not(status(&n).has_block, "without a crowd the farm starts with the first plant");
    plant(&n, &A, 0);
    n.clock.now += BLOCK_S * 1000 - 1;
    cr_assert_eq(status(&n).farm_index, 0);
    n.clock.now += 1;
    kw_chain_status st = status(&n);
    cr_assert_eq(st.farm_index, 1);
    cr_assert(st.has_block && st.block.timestamp == (uint64_t)(n.clock.now / 1000));
    cr_assert_eq(kw_devnet_tick(&n.c, NULL), 0);
    cr_assert_eq(status(&n).farm_index, 1, "one block per interval");
    n.clock.now += 10 * BLOCK_S * 1000;
    cr_assert_eq(status(&n).farm_index, 2, "a long idle spell makes one block, as on chain");
    cr_assert_eq(kw_devnet_pause(&n.c, &n.admin.s, NULL), 0);
    n.clock.now += BLOCK_S * 1000;
    cr_assert_eq(status(&n).farm_index, 2, "a paused farm stands still");
    net_stop(&n);
}

Test(devnet, the_crowd_farms_like_mainnet)
{
    net n, m;
    net_start(&n, 1000, KW_DEVNET_TIMER_CALLS);
    net_start(&m, 1000, KW_DEVNET_TIMER_CALLS);
    kw_chain_status st = status(&n);
    cr_assert(status(&m).has_block);
    cr_assert(st.has_block && st.farm_index == 0, "the crowd starts the farm");
    cr_assert(st.block.staked_total > 0);
    for (int i = 0; i < 4; i++) {
        n.clock.now += BLOCK_S * 1000;
        m.clock.now += BLOCK_S * 1000;
        st = status(&n);
        kw_chain_status sm = status(&m);
        cr_assert(block_eq(&st.block, &sm.block), "the crowd is seeded");
    }
    cr_assert_eq(st.farm_index, 4);
    cr_assert(st.block.min_zeros >= 5 && st.block.max_zeros <= 9 && st.block.max_zeros > st.block.min_zeros);
    cr_assert(st.block.min_gap >= 1 && st.block.max_gap <= BLOCK_S * 1000 / LEDGER_MS);
    cr_assert(st.block.min_stake == 0 && st.block.max_stake >= 100000000);
    cr_assert(memcmp(st.block.entropy, zero32, 32) != 0);
    kw_chain_block prev;
    cr_assert_eq(kw_chain_block_get(&n.c, 2, &prev, NULL), 0);
    cr_assert(prev.normalized_total > 1000, "about 920 crowd workers");
    cr_assert(prev.staked_total > 0, "some of the crowd forfeits");
    __int128 paid;
    cr_assert_eq(kw_devnet_block_paid(&n.c, 2, &paid, NULL), 0);
    cr_assert(paid <= kw_farm_emission(2) + prev.staked_total && paid > kw_farm_emission(2) * 99 / 100);
    /* A kalewx farmer joining is one of ~1000: a small, realistic share. */
    farmers();
    fund(&n, &A, 50000000);
    plant(&n, &A, 50000000);
    advance_ledgers(&n, 15);
    work(&n, &A, 3);
    n.clock.now += BLOCK_S * 1000;
    int64_t r = 0;
    cr_assert_eq(kw_chain_harvest(&n.c, A.pk, 4, &r, NULL), 0);
    cr_assert(r > 0 && r < 25050000000 / 100, "share %lld", (long long)r);
    kw_chain_close(&m.c);
    net_stop(&m);
    net_stop(&n);
}

/* ---- token, signatures, faults ---- */

Test(devnet, transfers_and_faucet)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_OFF);
    fund(&n, &A, 500);
    cr_assert_eq(kw_chain_transfer(&n.c, &A.s, B.pk, 200, NULL), 0);
    cr_assert(balance(&n, A.pk) == 300 && balance(&n, B.pk) == 200);
    kw_err e = {0};
    cr_assert_eq(kw_chain_transfer(&n.c, &A.s, B.pk, 301, &e), KW_EFUNDS);
    cr_assert_eq(kw_chain_transfer(&n.c, &A.s, B.pk, 0, &e), KW_EINVAL);
    cr_assert_eq(kw_chain_faucet(&n.c, A.pk, 0, &e), KW_EINVAL);
    cr_assert_eq(kw_chain_plant(&n.c, &A.s, 301, NULL, NULL, &e), KW_EFUNDS);
    cr_assert(balance(&n, A.pk) == 300);
    cr_assert_eq(kw_chain_faucet(&n.c, A.pk, INT64_MAX, &e), KW_ERANGE);
    net_stop(&n);
}

Test(devnet, signatures_are_checked)
{
    net n;
    farmers();
    net_start(&n, 0, KW_DEVNET_TIMER_OFF);
    fund(&n, &A, 500);
    kw_err e = {0};
    signer forged = A;
    forged.s.ctx = &B;     /* B signs for A's key */
    cr_assert_eq(kw_chain_plant(&n.c, &forged.s, 1, NULL, NULL, &e), KW_EAUTH);
    cr_assert_eq(kw_chain_transfer(&n.c, &forged.s, B.pk, 1, &e), KW_EAUTH);
    A.refuse = true;
    cr_assert_eq(kw_chain_plant(&n.c, &A.s, 1, NULL, NULL, &e), KW_EAUTH);
    cr_assert_eq(kw_devnet_pause(&n.c, &B.s, &e), KW_EAUTH, "only the homesteader pauses");
    cr_assert(balance(&n, A.pk) == 500);
    cr_assert_not(status(&n).paused);
    net_stop(&n);
}

Test(devnet, faults_are_transient_before_or_after_the_effect)
{
    net n;
    farmers();
    net_opts(&n, 0, KW_DEVNET_TIMER_OFF);
    n.o.fault_ppm = 500000;
    n.o.latency_ms = 250;
    net_open(&n);
    int ok = 0, before = 0, after = 0;
    int64_t t0 = n.clock.now;
    for (int i = 0; i < 200; i++) {
        kw_err e = {0};
        int rc = kw_chain_faucet(&n.c, A.pk, 10, &e);
        if (rc == 0)
            ok++;
        else if (rc == KW_ETRANSIENT && strstr(e.msg, "took effect"))
            after++;
        else if (rc == KW_ETRANSIENT)
            before++;
        else
            cr_assert_fail("unexpected %d", rc);
    }
    cr_assert(ok > 50 && before > 20 && after > 20, "%d %d %d", ok, before, after);
    cr_assert_eq(n.clock.now - t0, 200 * 250, "every call waits the latency");
    int64_t b = -1;
    for (int tries = 0; kw_chain_balance(&n.c, A.pk, &b, NULL) != 0; tries++)
        cr_assert(tries < 100);
    cr_assert_eq(b, 10 * (ok + after));
    net_stop(&n);
}

Test(devnet, refuses_a_file_that_is_not_a_devnet)
{
    net n;
    net_opts(&n, 0, KW_DEVNET_TIMER_OFF);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(n.path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "CREATE TABLE users (id INTEGER)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    kw_err e = {0};
    cr_assert_eq(kw_devnet_open(&n.o, &n.c, &e), KW_EIO);
    cr_assert(strstr(e.msg, "not a devnet"));
    cr_assert_eq(kw_devnet_tick(&n.c, &e), KW_ESTATE);
    net_stop(&n);
}

Test(devnet, options_from_the_settings)
{
    kw_config cfg;
    cr_assert_eq(kw_config_init(&cfg), 0);
    kw_devnet_opts o;
    char path[256];
    static const uint8_t zero[32];
    memset(&o, 0xa5, sizeof o); /* whatever the caller's stack held (valgrind found it stored as the key) */
    cr_assert_eq(kw_devnet_opts_from_config(&cfg, &o, path, sizeof path, NULL), 0);
    cr_assert_str_eq(o.path, "./data/devnet.sqlite");
    cr_assert_arr_eq(o.homesteader, zero, 32, "no homesteader unless the caller sets one");
    cr_assert(o.block_seconds == 20 && o.ledger_ms == 1000 && o.crowd == 1000);
    cr_assert(o.fault_ppm == 0 && o.latency_ms == 0 && o.timer == KW_DEVNET_TIMER_THREAD);
    cr_assert_eq(kw_devnet_opts_from_config(&cfg, &o, path, 5, NULL), KW_EINVAL);
    kw_config_free(&cfg);
}
