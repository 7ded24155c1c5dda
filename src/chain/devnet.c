#include "chain/devnet.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/farm.h"
#include "crypto/kalehash.h"
#include "crypto/sha.h"

/* 'KWDV': marks a SQLite file as a devnet, so a wrong path is refused. */
#define KW_DEVNET_APP_ID 0x4b574456

#define I128_MAX ((__int128)(((unsigned __int128)1 << 127) - 1))
#define I128_MIN (-I128_MAX - 1)

enum {
    Q_BEGIN, Q_BEGIN_WRITE, Q_COMMIT, Q_ROLLBACK,
    Q_FARM_GET, Q_FARM_PUT,
    Q_BLOCK_GET, Q_BLOCK_PUT, Q_BLOCK_DEL, Q_BLOCK_PAID_GET, Q_BLOCK_PAID_PUT,
    Q_PAIL_GET, Q_PAIL_PUT, Q_PAIL_DEL,
    Q_BAL_GET, Q_BAL_PUT, Q_BAL_ALL,
    Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN",
    [Q_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_FARM_GET] = "SELECT homesteader, paused, farm_index, has_fb, fb_timestamp, fb_min_gap, "
                   "fb_max_gap, fb_min_stake, fb_max_stake, fb_min_zeros, fb_max_zeros, fb_entropy, "
                   "last_seq, minted, burned, crowd_minted, crowd_burned, genesis_ms, ledger_ms "
                   "FROM farm WHERE id = 1",
    [Q_FARM_PUT] = "UPDATE farm SET homesteader = ?1, paused = ?2, farm_index = ?3, has_fb = ?4, "
                   "fb_timestamp = ?5, fb_min_gap = ?6, fb_max_gap = ?7, fb_min_stake = ?8, "
                   "fb_max_stake = ?9, fb_min_zeros = ?10, fb_max_zeros = ?11, fb_entropy = ?12, "
                   "last_seq = ?13, minted = ?14, burned = ?15, crowd_minted = ?16, "
                   "crowd_burned = ?17 WHERE id = 1",
    [Q_BLOCK_GET] = "SELECT timestamp, min_gap, max_gap, min_stake, max_stake, min_zeros, max_zeros, "
                    "entropy, staked_total, normalized_total FROM blocks WHERE idx = ?1",
    [Q_BLOCK_PUT] = "INSERT INTO blocks (idx, timestamp, min_gap, max_gap, min_stake, max_stake, "
                    "min_zeros, max_zeros, entropy, staked_total, normalized_total, paid) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0) "
                    "ON CONFLICT (idx) DO UPDATE SET timestamp = excluded.timestamp, "
                    "min_gap = excluded.min_gap, max_gap = excluded.max_gap, "
                    "min_stake = excluded.min_stake, max_stake = excluded.max_stake, "
                    "min_zeros = excluded.min_zeros, max_zeros = excluded.max_zeros, "
                    "entropy = excluded.entropy, staked_total = excluded.staked_total, "
                    "normalized_total = excluded.normalized_total",
    [Q_BLOCK_DEL] = "DELETE FROM blocks WHERE idx = ?1",
    [Q_BLOCK_PAID_GET] = "SELECT paid FROM blocks WHERE idx = ?1",
    [Q_BLOCK_PAID_PUT] = "UPDATE blocks SET paid = ?2 WHERE idx = ?1",
    [Q_PAIL_GET] = "SELECT sequence, stake, gap, zeros FROM pails WHERE farmer = ?1 AND idx = ?2",
    [Q_PAIL_PUT] = "INSERT OR REPLACE INTO pails (farmer, idx, sequence, stake, gap, zeros) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_PAIL_DEL] = "DELETE FROM pails WHERE farmer = ?1 AND idx = ?2",
    [Q_BAL_GET] = "SELECT amount FROM balances WHERE address = ?1",
    [Q_BAL_PUT] = "INSERT INTO balances (address, amount) VALUES (?1, ?2) "
                  "ON CONFLICT (address) DO UPDATE SET amount = excluded.amount",
    [Q_BAL_ALL] = "SELECT amount FROM balances",
};

static const char schema[] =
    "CREATE TABLE farm ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " homesteader BLOB, paused INTEGER NOT NULL, farm_index INTEGER NOT NULL,"
    " has_fb INTEGER NOT NULL, fb_timestamp INTEGER NOT NULL,"
    " fb_min_gap INTEGER NOT NULL, fb_max_gap INTEGER NOT NULL,"
    " fb_min_stake BLOB NOT NULL, fb_max_stake BLOB NOT NULL,"
    " fb_min_zeros INTEGER NOT NULL, fb_max_zeros INTEGER NOT NULL, fb_entropy BLOB NOT NULL,"
    " last_seq INTEGER NOT NULL, minted BLOB NOT NULL, burned BLOB NOT NULL,"
    " crowd_minted BLOB NOT NULL, crowd_burned BLOB NOT NULL,"
    " genesis_ms INTEGER NOT NULL, ledger_ms INTEGER NOT NULL);"
    "CREATE TABLE blocks ("
    " idx INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL,"
    " min_gap INTEGER NOT NULL, max_gap INTEGER NOT NULL,"
    " min_stake BLOB NOT NULL, max_stake BLOB NOT NULL,"
    " min_zeros INTEGER NOT NULL, max_zeros INTEGER NOT NULL, entropy BLOB NOT NULL,"
    " staked_total BLOB NOT NULL, normalized_total BLOB NOT NULL, paid INTEGER NOT NULL);"
    "CREATE TABLE pails ("
    " farmer BLOB NOT NULL, idx INTEGER NOT NULL, sequence INTEGER NOT NULL, stake BLOB NOT NULL,"
    " gap INTEGER, zeros INTEGER, PRIMARY KEY (farmer, idx));"
    "CREATE TABLE balances ("
    " address BLOB PRIMARY KEY, amount INTEGER NOT NULL CHECK (amount >= 0));";

/* The contract's instance storage: FarmIndex, FarmBlock (the running
 * statistics of the current block), FarmPaused, the homesteader; plus the
 * devnet's ledger and token bookkeeping. */
typedef struct farm {
    bool homestead;
    uint8_t homesteader[32];
    bool paused;
    uint32_t index;
    bool has_fb;
    kw_chain_block fb;
    uint32_t last_seq;
    __int128 minted, burned, crowd_minted, crowd_burned;
} farm;

typedef struct ledger {
    uint32_t seq;
    uint64_t ts;
} ledger;

typedef struct kw_devnet {
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    pthread_mutex_t lock;
    kw_devnet_opts o;
    int64_t genesis_ms;
    uint32_t ledger_ms;
    uint64_t fault_rng;
    pthread_t timer;
    bool timer_running;
    bool stopping;
    pthread_mutex_t timer_lock;
    pthread_cond_t timer_cond;
} kw_devnet;

static const kw_chain_ops devnet_ops;

/* ---- small helpers ---- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t system_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void system_sleep_ms(void *ctx, int64_t ms)
{
    (void)ctx;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void i128_put(uint8_t b[16], __int128 v)
{
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 15; i >= 0; i--, u >>= 8)
        b[i] = (uint8_t)u;
}

static __int128 i128_get(const uint8_t b[16])
{
    unsigned __int128 u = 0;
    for (int i = 0; i < 16; i++)
        u = u << 8 | b[i];
    return (__int128)u;
}

static sqlite3_stmt *Q(kw_devnet *d, int id)
{
    sqlite3_reset(d->q[id]);
    sqlite3_clear_bindings(d->q[id]);
    return d->q[id];
}

static void bind_i128(sqlite3_stmt *s, int col, __int128 v)
{
    uint8_t b[16];
    i128_put(b, v);
    sqlite3_bind_blob(s, col, b, 16, SQLITE_TRANSIENT);
}

static int col_i128(sqlite3_stmt *s, int col, __int128 *out)
{
    if (sqlite3_column_bytes(s, col) != 16)
        return KW_EIO;
    *out = i128_get(sqlite3_column_blob(s, col));
    return 0;
}

static int col_bytes32(sqlite3_stmt *s, int col, uint8_t out[32])
{
    if (sqlite3_column_bytes(s, col) != 32)
        return KW_EIO;
    memcpy(out, sqlite3_column_blob(s, col), 32);
    return 0;
}

static int db_fail(kw_devnet *d, kw_err *err)
{
    /* A full disk or a busy file makes the node unavailable for a while; the
     * call's transaction rolled back, so it is a fault to retry, not an answer. */
    int code = sqlite3_errcode(d->db) & 0xff;
    bool passing = code == SQLITE_FULL || code == SQLITE_BUSY || code == SQLITE_LOCKED;
    return kw_err_set(err, passing ? KW_ETRANSIENT : KW_EIO, "devnet database: %s", sqlite3_errmsg(d->db));
}

/* Runs a statement that returns no rows. */
static int exec(kw_devnet *d, sqlite3_stmt *s, kw_err *err)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : db_fail(d, err);
}

/* Steps a query expected to return at most one row: 1 = row, 0 = none. */
static int step_row(kw_devnet *d, sqlite3_stmt *s, kw_err *err)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return 1;
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : db_fail(d, err);
}

/* ---- the farm row ---- */

static int farm_load(kw_devnet *d, farm *f, kw_err *err)
{
    sqlite3_stmt *s = Q(d, Q_FARM_GET);
    int rc = step_row(d, s, err);
    if (rc <= 0)
        return rc == 0 ? kw_err_set(err, KW_EIO, "devnet database has no farm row") : rc;
    memset(f, 0, sizeof *f);
    f->homestead = sqlite3_column_type(s, 0) != SQLITE_NULL;
    if (f->homestead && col_bytes32(s, 0, f->homesteader) != 0)
        goto corrupt;
    f->paused = sqlite3_column_int(s, 1) != 0;
    f->index = (uint32_t)sqlite3_column_int64(s, 2);
    f->has_fb = sqlite3_column_int(s, 3) != 0;
    f->fb.timestamp = (uint64_t)sqlite3_column_int64(s, 4);
    f->fb.min_gap = (uint32_t)sqlite3_column_int64(s, 5);
    f->fb.max_gap = (uint32_t)sqlite3_column_int64(s, 6);
    f->fb.min_zeros = (uint32_t)sqlite3_column_int64(s, 9);
    f->fb.max_zeros = (uint32_t)sqlite3_column_int64(s, 10);
    f->last_seq = (uint32_t)sqlite3_column_int64(s, 12);
    if (col_i128(s, 7, &f->fb.min_stake) || col_i128(s, 8, &f->fb.max_stake) ||
        col_bytes32(s, 11, f->fb.entropy) || col_i128(s, 13, &f->minted) ||
        col_i128(s, 14, &f->burned) || col_i128(s, 15, &f->crowd_minted) ||
        col_i128(s, 16, &f->crowd_burned))
        goto corrupt;
    sqlite3_reset(s);
    return 0;
corrupt:
    sqlite3_reset(s);
    return kw_err_set(err, KW_EIO, "devnet database: the farm row is corrupt");
}

static int farm_save(kw_devnet *d, const farm *f, kw_err *err)
{
    sqlite3_stmt *s = Q(d, Q_FARM_PUT);
    if (f->homestead)
        sqlite3_bind_blob(s, 1, f->homesteader, 32, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, f->paused);
    sqlite3_bind_int64(s, 3, f->index);
    sqlite3_bind_int(s, 4, f->has_fb);
    sqlite3_bind_int64(s, 5, (int64_t)f->fb.timestamp);
    sqlite3_bind_int64(s, 6, f->fb.min_gap);
    sqlite3_bind_int64(s, 7, f->fb.max_gap);
    bind_i128(s, 8, f->fb.min_stake);
    bind_i128(s, 9, f->fb.max_stake);
    sqlite3_bind_int64(s, 10, f->fb.min_zeros);
    sqlite3_bind_int64(s, 11, f->fb.max_zeros);
    sqlite3_bind_blob(s, 12, f->fb.entropy, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 13, f->last_seq);
    bind_i128(s, 14, f->minted);
    bind_i128(s, 15, f->burned);
    bind_i128(s, 16, f->crowd_minted);
    bind_i128(s, 17, f->crowd_burned);
    return exec(d, s, err);
}

/* ---- blocks, pails, balances ---- */

/* 1 found, 0 missing, < 0 error. */
static int block_load(kw_devnet *d, uint32_t index, kw_chain_block *b, kw_err *err)
{
    sqlite3_stmt *s = Q(d, Q_BLOCK_GET);
    sqlite3_bind_int64(s, 1, index);
    int rc = step_row(d, s, err);
    if (rc <= 0)
        return rc;
    memset(b, 0, sizeof *b);
    b->index = index;
    b->timestamp = (uint64_t)sqlite3_column_int64(s, 0);
    b->min_gap = (uint32_t)sqlite3_column_int64(s, 1);
    b->max_gap = (uint32_t)sqlite3_column_int64(s, 2);
    b->min_zeros = (uint32_t)sqlite3_column_int64(s, 5);
    b->max_zeros = (uint32_t)sqlite3_column_int64(s, 6);
    rc = col_i128(s, 3, &b->min_stake) || col_i128(s, 4, &b->max_stake) ||
         col_bytes32(s, 7, b->entropy) || col_i128(s, 8, &b->staked_total) ||
         col_i128(s, 9, &b->normalized_total);
    sqlite3_reset(s);
    return rc ? kw_err_set(err, KW_EIO, "devnet database: block %u is corrupt", index) : 1;
}

static int block_save(kw_devnet *d, const kw_chain_block *b, kw_err *err)
{
    sqlite3_stmt *s = Q(d, Q_BLOCK_PUT);
    sqlite3_bind_int64(s, 1, b->index);
    sqlite3_bind_int64(s, 2, (int64_t)b->timestamp);
    sqlite3_bind_int64(s, 3, b->min_gap);
    sqlite3_bind_int64(s, 4, b->max_gap);
    bind_i128(s, 5, b->min_stake);
    bind_i128(s, 6, b->max_stake);
    sqlite3_bind_int64(s, 7, b->min_zeros);
    sqlite3_bind_int64(s, 8, b->max_zeros);
    sqlite3_bind_blob(s, 9, b->entropy, 32, SQLITE_STATIC);
    bind_i128(s, 10, b->staked_total);
    bind_i128(s, 11, b->normalized_total);
    return exec(d, s, err);
}

static int block_add_paid(kw_devnet *d, uint32_t index, __int128 reward, kw_err *err)
{
    sqlite3_stmt *s = Q(d, Q_BLOCK_PAID_GET);
    sqlite3_bind_int64(s, 1, index);
    int rc = step_row(d, s, err);
    if (rc <= 0)
        return rc == 0 ? kw_err_set(err, KW_EINTERNAL, "block %u vanished", index) : rc;
    __int128 paid = sqlite3_column_int64(s, 0) + reward;
    sqlite3_reset(s);
    if (paid > INT64_MAX)
        return kw_err_set(err, KW_ERANGE, "rewards of block %u exceed 64 bits", index);
    s = Q(d, Q_BLOCK_PAID_PUT);
    sqlite3_bind_int64(s, 1, index);
    sqlite3_bind_int64(s, 2, (int64_t)paid);
    return exec(d, s, err);
}

typedef struct pail {
    uint32_t sequence;
    __int128 stake;
    bool worked;
    uint32_t gap, zeros;
} pail;

static int pail_load(kw_devnet *d, const uint8_t farmer[32], uint32_t index, pail *p, kw_err *err)
{
    sqlite3_stmt *s = Q(d, Q_PAIL_GET);
    sqlite3_bind_blob(s, 1, farmer, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, index);
    int rc = step_row(d, s, err);
    if (rc <= 0)
        return rc;
    p->sequence = (uint32_t)sqlite3_column_int64(s, 0);
    p->worked = sqlite3_column_type(s, 2) != SQLITE_NULL;
    p->gap = (uint32_t)sqlite3_column_int64(s, 2);
    p->zeros = (uint32_t)sqlite3_column_int64(s, 3);
    rc = col_i128(s, 1, &p->stake);
    sqlite3_reset(s);
    return rc ? kw_err_set(err, KW_EIO, "devnet database: a pail is corrupt") : 1;
}

static int pail_save(kw_devnet *d, const uint8_t farmer[32], uint32_t index, const pail *p,
                     kw_err *err)
{
    sqlite3_stmt *s = Q(d, Q_PAIL_PUT);
    sqlite3_bind_blob(s, 1, farmer, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, index);
    sqlite3_bind_int64(s, 3, p->sequence);
    bind_i128(s, 4, p->stake);
    if (p->worked) {
        sqlite3_bind_int64(s, 5, p->gap);
        sqlite3_bind_int64(s, 6, p->zeros);
    }
    return exec(d, s, err);
}

static int balance_load(kw_devnet *d, const uint8_t addr[32], int64_t *out, kw_err *err)
{
    sqlite3_stmt *s = Q(d, Q_BAL_GET);
    sqlite3_bind_blob(s, 1, addr, 32, SQLITE_STATIC);
    int rc = step_row(d, s, err);
    if (rc < 0)
        return rc;
    *out = rc ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return 0;
}

/* Adds delta to a balance: KW_EFUNDS below zero, KW_ERANGE above int64. */
static int balance_add(kw_devnet *d, const uint8_t addr[32], __int128 delta, kw_err *err)
{
    int64_t cur;
    int rc = balance_load(d, addr, &cur, err);
    if (rc)
        return rc;
    __int128 next = (__int128)cur + delta;
    if (next < 0)
        return kw_err_set(err, KW_EFUNDS, "balance %lld stroops does not cover %lld",
                          (long long)cur, (long long)-delta);
    if (next > INT64_MAX)
        return kw_err_set(err, KW_ERANGE, "balance would exceed 64 bits");
    sqlite3_stmt *s = Q(d, Q_BAL_PUT);
    sqlite3_bind_blob(s, 1, addr, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (int64_t)next);
    return exec(d, s, err);
}

/* ---- time ---- */

static ledger ledger_now(const kw_devnet *d, const farm *f)
{
    int64_t now = d->o.clock.now_ms(d->o.clock.ctx);
    int64_t n = now > d->genesis_ms ? (now - d->genesis_ms) / d->ledger_ms : 0;
    uint32_t seq = (uint32_t)(n + 1);
    if (seq < f->last_seq)
        seq = f->last_seq;
    return (ledger){seq, (uint64_t)((d->genesis_ms + (int64_t)(seq - 1) * d->ledger_ms) / 1000)};
}

/* ---- contract pieces (contract_farm.rs) ---- */

static kw_chain_block new_farm_block(uint64_t ts)
{
    return (kw_chain_block){.timestamp = ts, .min_gap = UINT32_MAX, .min_stake = I128_MAX,
                            .min_zeros = UINT32_MAX, .max_gap = 0, .max_stake = I128_MIN,
                            .max_zeros = 0};
}

/* A block whose ranges are the running statistics, unset ones as 0. */
static kw_chain_block new_block(const kw_chain_block *fb, uint32_t index, uint64_t ts)
{
    kw_chain_block b = {.index = index, .timestamp = ts};
    b.min_gap = fb->min_gap == UINT32_MAX ? 0 : fb->min_gap;
    b.min_stake = fb->min_stake == I128_MAX ? 0 : fb->min_stake;
    b.min_zeros = fb->min_zeros == UINT32_MAX ? 0 : fb->min_zeros;
    b.max_gap = fb->max_gap;
    b.max_stake = fb->max_stake == I128_MIN ? 0 : fb->max_stake;
    b.max_zeros = fb->max_zeros;
    memcpy(b.entropy, fb->entropy, 32);
    return b;
}

static kw_farm_ranges ranges_of(const kw_chain_block *b)
{
    return (kw_farm_ranges){b->min_gap, b->max_gap, b->min_stake, b->max_stake, b->min_zeros,
                            b->max_zeros};
}

/* Σ of the normalised triple, or the contract's BlockInvalid. */
static int score(const kw_chain_block *b, uint32_t gap, __int128 stake, uint32_t zeros,
                 __int128 *out, kw_err *err)
{
    kw_farm_ranges r = ranges_of(b);
    __int128 n[3];
    int rc = kw_farm_normalize(&r, gap, stake, zeros, n);
    if (rc == KW_EINVAL)
        return kw_chain_reject(err, KW_KALE_EBLOCK_INVALID);
    if (rc)
        return kw_err_set(err, rc, "normalisation overflowed");
    *out = n[0] + n[1] + n[2];
    return 0;
}

static void note_stake(kw_chain_block *fb, __int128 amount)
{
    if (amount > fb->max_stake)
        fb->max_stake = amount;
    if (amount < fb->min_stake)
        fb->min_stake = amount;
}

static void note_work(kw_chain_block *fb, uint32_t gap, uint32_t zeros)
{
    if (gap > fb->max_gap)
        fb->max_gap = gap;
    if (gap < fb->min_gap)
        fb->min_gap = gap;
    if (zeros > fb->max_zeros)
        fb->max_zeros = zeros;
    if (zeros < fb->min_zeros)
        fb->min_zeros = zeros;
}

/* ---- the crowd ---- */

typedef struct crowd_member {
    bool plants, works;
    int64_t stake;
    uint32_t gap, zeros;
    uint64_t nonce;
} crowd_member;

static crowd_member crowd_draw(const kw_devnet *d, uint32_t index, uint32_t m)
{
    uint64_t s = d->o.seed ^ ((uint64_t)index * 0xd1b54a32d192ed03ULL) ^
                 ((uint64_t)m * 0x8cb92ba72f3d8dd7ULL);
    crowd_member c = {0};
    c.plants = splitmix(&s) % 100 < 95;
    if (splitmix(&s) % 100 >= 40) {
        int64_t mag = 100000;
        for (uint64_t e = splitmix(&s) % 4; e > 0; e--)
            mag *= 10;
        c.stake = (int64_t)(1 + splitmix(&s) % 9) * mag;
    }
    c.works = splitmix(&s) % 100 < 97;
    /* Farmers wait for a long gap: the later of two uniform draws. */
    uint64_t ledgers = (uint64_t)d->o.block_seconds * 1000 / d->ledger_ms;
    uint64_t span = ledgers > 2 ? ledgers - 1 : 1;
    uint64_t g1 = splitmix(&s) % span, g2 = splitmix(&s) % span;
    c.gap = (uint32_t)(1 + (g1 > g2 ? g1 : g2));
    static const uint8_t zeros_pct[] = {15, 50, 80, 95, 100}; /* 5, 6, 7, 8, 9 zeros */
    uint64_t z = splitmix(&s) % 100;
    c.zeros = 5;
    while (z >= zeros_pct[c.zeros - 5])
        c.zeros++;
    c.nonce = splitmix(&s);
    return c;
}

/* The crowd plants into a block just created. */
static void crowd_plant(kw_devnet *d, farm *f, kw_chain_block *b)
{
    for (uint32_t m = 0; m < d->o.crowd; m++) {
        crowd_member c = crowd_draw(d, b->index, m);
        if (!c.plants)
            continue;
        b->staked_total += c.stake;
        f->crowd_burned += c.stake;
        note_stake(&f->fb, c.stake);
    }
}

/* The crowd works the block that is ending; its last work's hash becomes
 * the running entropy, as the last accepted work on chain would. */
static int crowd_work(kw_devnet *d, farm *f, kw_chain_block *b, kw_err *err)
{
    int64_t last = -1;
    for (uint32_t m = 0; m < d->o.crowd; m++) {
        crowd_member c = crowd_draw(d, b->index, m);
        if (!c.plants || !c.works)
            continue;
        __int128 sc;
        int rc = score(b, c.gap, c.stake, c.zeros, &sc, err);
        if (rc)
            return rc;
        b->normalized_total += sc;
        b->staked_total -= c.stake;
        note_work(&f->fb, c.gap, c.zeros);
        last = m;
    }
    if (last >= 0) {
        uint8_t key[32], tag[4] = {(uint8_t)(last >> 24), (uint8_t)(last >> 16), (uint8_t)(last >> 8),
                                   (uint8_t)last};
        kw_bytes parts[] = {{"kalewx-devnet-crowd", 19}, {tag, 4}};
        kw_sha256_parts(parts, 2, key);
        crowd_member c = crowd_draw(d, b->index, (uint32_t)last);
        kw_kalehash(b->index, c.nonce, b->entropy, key, f->fb.entropy);
    }
    return block_save(d, b, err);
}

/* The crowd harvests a block that has just ended. */
static int crowd_harvest(kw_devnet *d, farm *f, const kw_chain_block *b, kw_err *err)
{
    __int128 paid = 0, emission = kw_farm_emission(b->index);
    for (uint32_t m = 0; m < d->o.crowd; m++) {
        crowd_member c = crowd_draw(d, b->index, m);
        if (!c.plants || !c.works)
            continue;
        __int128 sc, reward;
        int rc = score(b, c.gap, c.stake, c.zeros, &sc, err);
        if (rc)
            return rc;
        if (kw_farm_reward(sc, emission, b->staked_total, b->normalized_total, &reward) != 0)
            return kw_err_set(err, KW_ERANGE, "crowd reward overflowed");
        paid += reward;
        f->crowd_minted += reward + c.stake;
    }
    return paid ? block_add_paid(d, b->index, paid, err) : 0;
}

/* The block a plant lands in (plant's branch of contract_farm.rs): rolls
 * over when the current block is due, recreates a missing one. *b is the
 * block to plant into; it is saved by the caller. */
static int plant_block(kw_devnet *d, farm *f, ledger L, kw_chain_block *b, kw_err *err)
{
    if (L.ts >= f->fb.timestamp + d->o.block_seconds) {
        kw_chain_block ending;
        int have = block_load(d, f->index, &ending, err), rc;
        if (have < 0)
            return have;
        bool crowd = have && d->o.crowd;
        if (crowd && (rc = crowd_work(d, f, &ending, err)) != 0)
            return rc;
        *b = new_block(&f->fb, f->index + 1, L.ts);
        f->fb = new_farm_block(L.ts);
        f->index++;
        if (crowd && (rc = crowd_harvest(d, f, &ending, err)) != 0)
            return rc;
        crowd_plant(d, f, b);
        return 0;
    }
    int rc = block_load(d, f->index, b, err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    /* Genesis, or the block was evicted: only the latter bumps the index. */
    if (f->index > 0)
        f->index++;
    *b = new_block(&f->fb, f->index, L.ts);
    crowd_plant(d, f, b);
    return 0;
}

/* ---- calls ---- */

typedef struct call {
    kw_devnet *d;
    farm f;
    ledger L;
    bool fault_after;
} call;

static int tick_locked(kw_devnet *d, kw_err *err);

/* Waits the latency, takes the lock, may inject a fault, runs the timer,
 * and opens the call's transaction with the farm loaded. */
static int call_begin(kw_devnet *d, call *c, bool write, kw_err *err)
{
    *c = (call){.d = d};
    if (d->o.latency_ms)
        d->o.clock.sleep_ms(d->o.clock.ctx, d->o.latency_ms);
    pthread_mutex_lock(&d->lock);
    if (d->o.fault_ppm) {
        uint64_t r = splitmix(&d->fault_rng) % 1000000;
        if (r < d->o.fault_ppm) {
            if (r % 2 == 0) {
                pthread_mutex_unlock(&d->lock);
                return kw_err_set(err, KW_ETRANSIENT, "devnet: injected transient fault");
            }
            c->fault_after = true;
        }
    }
    int rc = 0;
    if (d->o.timer != KW_DEVNET_TIMER_OFF)
        rc = tick_locked(d, err);
    if (!rc)
        rc = exec(d, Q(d, write ? Q_BEGIN_WRITE : Q_BEGIN), err);
    if (!rc && (rc = farm_load(d, &c->f, err)) != 0)
        exec(d, Q(d, Q_ROLLBACK), NULL);
    if (rc) {
        pthread_mutex_unlock(&d->lock);
        return rc;
    }
    c->L = ledger_now(d, &c->f);
    return 0;
}

/* Commits on success (rolls back otherwise) and releases the lock. */
static int call_end(call *c, int rc, kw_err *err)
{
    kw_devnet *d = c->d;
    if (rc == 0)
        rc = exec(d, Q(d, Q_COMMIT), err);
    if (rc != 0)
        exec(d, Q(d, Q_ROLLBACK), NULL);
    pthread_mutex_unlock(&d->lock);
    if (rc == 0 && c->fault_after)
        return kw_err_set(err, KW_ETRANSIENT, "devnet: injected transient fault after the call took effect");
    return rc;
}

/* Saves the farm row as of this call's ledger. */
static int farm_commit(call *c, kw_err *err)
{
    c->f.last_seq = c->L.seq;
    return farm_save(c->d, &c->f, err);
}

static void auth_digest(const char *op, const uint8_t key[32], int64_t amount, const uint8_t to[32],
                        uint32_t seq, uint8_t out[32])
{
    static const uint8_t none[32];
    uint8_t tail[12];
    for (int i = 0; i < 8; i++)
        tail[i] = (uint8_t)((uint64_t)amount >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        tail[8 + i] = (uint8_t)(seq >> (24 - 8 * i));
    kw_bytes parts[] = {{"kalewx-devnet/", 14}, {op, strlen(op) + 1}, {key, 32},
                        {to ? to : none, 32}, {tail, sizeof tail}};
    kw_sha256_parts(parts, 5, out);
}

/* farmer.require_auth(): the signer signs a digest of the call. */
static int require_auth(const call *c, const char *op, const kw_chain_signer *s, int64_t amount,
                        const uint8_t to[32], kw_err *err)
{
    uint8_t msg[32], sig[64];
    auth_digest(op, s->public_key, amount, to, c->L.seq, msg);
    int rc = s->sign(s->ctx, msg, sizeof msg, sig);
    if (rc)
        return kw_err_set(err, KW_EAUTH, "the signer refused to sign %s", op);
    if (crypto_sign_verify_detached(sig, msg, sizeof msg, s->public_key) != 0)
        return kw_err_set(err, KW_EAUTH, "the signature on %s does not verify", op);
    return 0;
}

/* One timer step (a keeper's plant without a pail); its own transaction. */
static int tick_locked(kw_devnet *d, kw_err *err)
{
    call c = {.d = d};
    int rc = exec(d, Q(d, Q_BEGIN_WRITE), err);
    if (rc)
        return rc;
    if ((rc = farm_load(d, &c.f, err)) != 0)
        goto done;
    c.L = ledger_now(d, &c.f);
    if (!c.f.homestead || c.f.paused || !c.f.has_fb)
        goto done;
    kw_chain_block cur;
    int have = block_load(d, c.f.index, &cur, err);
    if (have < 0) {
        rc = have;
        goto done;
    }
    bool due = c.L.ts >= c.f.fb.timestamp + d->o.block_seconds;
    /* A farm nobody has planted in starts only once the crowd exists. */
    if ((have && !due) || (!have && !d->o.crowd))
        goto done;
    kw_chain_block b;
    if ((rc = plant_block(d, &c.f, c.L, &b, err)) == 0 && (rc = block_save(d, &b, err)) == 0)
        rc = farm_commit(&c, err);
done:
    exec(d, Q(d, rc ? Q_ROLLBACK : Q_COMMIT), NULL);
    return rc;
}

static kw_devnet *devnet_of(const kw_chain *c)
{
    return c && c->ops == &devnet_ops ? c->state : NULL;
}

/* ---- chain.h operations ---- */

static int op_status(void *st, kw_chain_status *out, kw_err *err)
{
    call c;
    int rc = call_begin(st, &c, false, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    out->ledger_seq = c.L.seq;
    out->ledger_close_time = (int64_t)c.L.ts;
    out->farm_index = c.f.index;
    out->paused = c.f.paused;
    rc = block_load(c.d, c.f.index, &out->block, err);
    out->has_block = rc == 1;
    return call_end(&c, rc < 0 ? rc : 0, err);
}

static int op_block(void *st, uint32_t index, kw_chain_block *out, kw_err *err)
{
    call c;
    int rc = call_begin(st, &c, false, err);
    if (rc)
        return rc;
    rc = block_load(c.d, index, out, err);
    if (rc == 0)
        rc = kw_err_set(err, KW_ENOTFOUND, "block %u does not exist", index);
    return call_end(&c, rc < 0 ? rc : 0, err);
}

static int op_plant(void *st, const kw_chain_signer *farmer, int64_t amount, uint32_t *index,
                    uint32_t *ledger_seq, kw_err *err)
{
    call c;
    int rc = call_begin(st, &c, true, err);
    if (rc)
        return rc;
    kw_devnet *d = c.d;
    kw_chain_block b;
    pail p = {0};
    if ((rc = require_auth(&c, "plant", farmer, amount, NULL, err)) != 0)
        goto done;
    if (amount < 0)
        rc = kw_chain_reject(err, KW_KALE_EPLANT_AMOUNT_TOO_LOW);
    else if (c.f.paused)
        rc = kw_chain_reject(err, KW_KALE_EFARM_PAUSED);
    else if (!c.f.homestead)
        rc = kw_chain_reject(err, KW_KALE_EHOMESTEAD_MISSING);
    else if (!c.f.has_fb)
        rc = kw_chain_reject(err, KW_KALE_EFARM_BLOCK_MISSING);
    if (rc || (rc = plant_block(d, &c.f, c.L, &b, err)) != 0)
        goto done;
    if ((rc = pail_load(d, farmer->public_key, c.f.index, &p, err)) != 0) {
        rc = rc < 0 ? rc : kw_chain_reject(err, KW_KALE_EPAIL_EXISTS);
        goto done;
    }
    b.staked_total += amount;
    if (amount > 0) {
        if ((rc = balance_add(d, farmer->public_key, -(__int128)amount, err)) != 0)
            goto done;
        c.f.burned += amount;
    }
    note_stake(&c.f.fb, amount);
    p = (pail){.sequence = c.L.seq, .stake = amount};
    if ((rc = pail_save(d, farmer->public_key, c.f.index, &p, err)) != 0 ||
        (rc = block_save(d, &b, err)) != 0 || (rc = farm_commit(&c, err)) != 0)
        goto done;
    if (index)
        *index = c.f.index;
    if (ledger_seq)
        *ledger_seq = c.L.seq;
done:
    return call_end(&c, rc, err);
}

/* Block(index) and Pail(farmer, index), or the contract's BlockMissing /
 * PailMissing, in that order. */
static int block_and_pail(kw_devnet *d, const uint8_t farmer[32], uint32_t index, kw_chain_block *b,
                          pail *p, kw_err *err)
{
    int rc = block_load(d, index, b, err);
    if (rc != 1)
        return rc < 0 ? rc : kw_chain_reject(err, KW_KALE_EBLOCK_MISSING);
    rc = pail_load(d, farmer, index, p, err);
    if (rc != 1)
        return rc < 0 ? rc : kw_chain_reject(err, KW_KALE_EPAIL_MISSING);
    return 0;
}

static int op_work(void *st, const uint8_t farmer[32], const uint8_t hash[32], uint64_t nonce,
                   uint32_t *gap_out, kw_err *err)
{
    call c;
    int rc = call_begin(st, &c, true, err);
    if (rc)
        return rc;
    kw_devnet *d = c.d;
    kw_chain_block b;
    pail p;
    uint8_t want[32];
    __int128 sc, prev;
    if (!c.f.has_fb) {
        rc = kw_chain_reject(err, KW_KALE_EFARM_BLOCK_MISSING);
        goto done;
    }
    if ((rc = block_and_pail(d, farmer, c.f.index, &b, &p, err)) != 0)
        goto done;
    kw_kalehash(c.f.index, nonce, b.entropy, farmer, want);
    uint32_t gap = c.L.seq - p.sequence;
    if (gap == 0)
        rc = kw_chain_reject(err, KW_KALE_EGAP_COUNT_TOO_LOW);
    else if (!kw_ct_equal(hash, want, 32))
        rc = kw_chain_reject(err, KW_KALE_EHASH_INVALID);
    if (rc)
        goto done;
    uint32_t zeros = kw_kalehash_zeros(hash);
    if ((rc = score(&b, gap, p.stake, zeros, &sc, err)) != 0)
        goto done;
    b.normalized_total += sc;
    if (p.worked) {
        if (zeros <= p.zeros) {
            rc = kw_chain_reject(err, KW_KALE_EZERO_COUNT_TOO_LOW);
            goto done;
        }
        /* As on chain: the previous score is recomputed with today's gap. */
        if ((rc = score(&b, gap, p.stake, p.zeros, &prev, err)) != 0)
            goto done;
        b.normalized_total -= prev;
    } else {
        b.staked_total -= p.stake;
    }
    memcpy(c.f.fb.entropy, want, 32);
    note_work(&c.f.fb, gap, zeros);
    p.worked = true;
    p.gap = gap;
    p.zeros = zeros;
    if ((rc = pail_save(d, farmer, c.f.index, &p, err)) != 0 || (rc = block_save(d, &b, err)) != 0 ||
        (rc = farm_commit(&c, err)) != 0)
        goto done;
    if (gap_out)
        *gap_out = gap;
done:
    return call_end(&c, rc, err);
}

static int op_harvest(void *st, const uint8_t farmer[32], uint32_t index, int64_t *reward_out,
                      kw_err *err)
{
    call c;
    int rc = call_begin(st, &c, true, err);
    if (rc)
        return rc;
    kw_devnet *d = c.d;
    kw_chain_block b;
    pail p;
    __int128 sc, reward;
    if (!c.f.homestead) {
        rc = kw_chain_reject(err, KW_KALE_EHOMESTEAD_MISSING);
        goto done;
    }
    if ((rc = block_and_pail(d, farmer, index, &b, &p, err)) != 0)
        goto done;
    if (index >= c.f.index)
        rc = kw_chain_reject(err, KW_KALE_EHARVEST_NOT_READY);
    else if (!p.worked)
        rc = kw_chain_reject(err, KW_KALE_EWORK_MISSING);
    if (rc || (rc = score(&b, p.gap, p.stake, p.zeros, &sc, err)) != 0)
        goto done;
    if (kw_farm_reward(sc, kw_farm_emission(index), b.staked_total, b.normalized_total, &reward) ||
        reward > INT64_MAX) {
        rc = kw_err_set(err, KW_ERANGE, "the reward of block %u does not fit 64 bits", index);
        goto done;
    }
    if (reward + p.stake > 0 && (rc = balance_add(d, farmer, reward + p.stake, err)) != 0)
        goto done;
    c.f.minted += reward + p.stake;
    sqlite3_stmt *s = Q(d, Q_PAIL_DEL);
    sqlite3_bind_blob(s, 1, farmer, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, index);
    if ((rc = exec(d, s, err)) != 0 || (rc = block_add_paid(d, index, reward, err)) != 0 ||
        (rc = farm_commit(&c, err)) != 0)
        goto done;
    if (reward_out)
        *reward_out = (int64_t)reward;
done:
    return call_end(&c, rc, err);
}

static int op_pail(void *st, const uint8_t farmer[32], uint32_t index, kw_chain_pail *out,
                   kw_err *err)
{
    call c;
    int rc = call_begin(st, &c, false, err);
    if (rc)
        return rc;
    pail p;
    rc = pail_load(c.d, farmer, index, &p, err);
    if (rc == 0)
        rc = kw_err_set(err, KW_ENOTFOUND, "no pail for this farmer in block %u", index);
    if (rc == 1) {
        *out = (kw_chain_pail){p.sequence, p.stake, p.worked, p.gap, p.zeros};
        rc = 0;
    }
    return call_end(&c, rc, err);
}

static int op_balance(void *st, const uint8_t address[32], int64_t *out, kw_err *err)
{
    call c;
    int rc = call_begin(st, &c, false, err);
    if (rc)
        return rc;
    return call_end(&c, balance_load(c.d, address, out, err), err);
}

static int op_transfer(void *st, const kw_chain_signer *from, const uint8_t to[32], int64_t amount,
                       kw_err *err)
{
    if (amount <= 0)
        return kw_err_set(err, KW_EINVAL, "a transfer moves a positive amount");
    call c;
    int rc = call_begin(st, &c, true, err);
    if (rc)
        return rc;
    if ((rc = require_auth(&c, "transfer", from, amount, to, err)) == 0 &&
        (rc = balance_add(c.d, from->public_key, -(__int128)amount, err)) == 0)
        rc = balance_add(c.d, to, amount, err);
    if (rc == 0)
        rc = farm_commit(&c, err);
    return call_end(&c, rc, err);
}

static int op_faucet(void *st, const uint8_t to[32], int64_t amount, kw_err *err)
{
    if (amount <= 0)
        return kw_err_set(err, KW_EINVAL, "the faucet mints a positive amount");
    call c;
    int rc = call_begin(st, &c, true, err);
    if (rc)
        return rc;
    if ((rc = balance_add(c.d, to, amount, err)) == 0) {
        c.f.minted += amount;
        rc = farm_commit(&c, err);
    }
    return call_end(&c, rc, err);
}

static void devnet_free(kw_devnet *d)
{
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(d->q[i]);
    sqlite3_close(d->db);
    pthread_cond_destroy(&d->timer_cond);
    pthread_mutex_destroy(&d->timer_lock);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static void op_close(void *st)
{
    kw_devnet *d = st;
    if (d->timer_running) {
        pthread_mutex_lock(&d->timer_lock);
        d->stopping = true;
        pthread_cond_signal(&d->timer_cond);
        pthread_mutex_unlock(&d->timer_lock);
        pthread_join(d->timer, NULL);
    }
    devnet_free(d);
}

static const kw_chain_ops devnet_ops = {
    .status = op_status, .block = op_block, .plant = op_plant, .work = op_work,
    .harvest = op_harvest, .pail = op_pail, .balance = op_balance, .transfer = op_transfer,
    .faucet = op_faucet, .close = op_close,
};

/* ---- homestead (contract_homestead.rs) ---- */

typedef enum { H_CONSTRUCT, H_PAUSE, H_UNPAUSE, H_REMOVE } homestead_op;

static int homestead(const kw_chain *chain, homestead_op op, const kw_chain_signer *s,
                     uint32_t index, kw_err *err)
{
    static const char *const names[] = {"homestead", "pause", "unpause", "remove_block"};
    kw_devnet *d = devnet_of(chain);
    if (!d)
        return kw_err_set(err, KW_ESTATE, "%s exists only on the devnet", names[op]);
    call c;
    int rc = call_begin(d, &c, true, err);
    if (rc)
        return rc;
    if ((rc = require_auth(&c, names[op], s, index, NULL, err)) != 0)
        goto done;
    if (op == H_CONSTRUCT) {
        if (c.f.homestead) {
            rc = kw_chain_reject(err, KW_KALE_EHOMESTEAD_EXISTS);
            goto done;
        }
        c.f.homestead = true;
        memcpy(c.f.homesteader, s->public_key, 32);
        c.f.has_fb = true;
        c.f.fb = new_farm_block(c.L.ts);
    } else if (!c.f.homestead) {
        rc = kw_chain_reject(err, KW_KALE_EHOMESTEAD_MISSING);
    } else if (!kw_ct_equal(s->public_key, c.f.homesteader, 32)) {
        rc = kw_err_set(err, KW_EAUTH, "only the homesteader may %s", names[op]);
    } else if (op == H_PAUSE) {
        rc = c.f.paused ? kw_chain_reject(err, KW_KALE_EFARM_PAUSED) : 0;
        c.f.paused = true;
    } else if (op == H_UNPAUSE) {
        rc = !c.f.paused ? kw_chain_reject(err, KW_KALE_EFARM_NOT_PAUSED) : 0;
        c.f.paused = false;
    } else {
        sqlite3_stmt *q = Q(d, Q_BLOCK_DEL);
        sqlite3_bind_int64(q, 1, index);
        rc = exec(d, q, err);
    }
    if (rc == 0)
        rc = farm_commit(&c, err);
done:
    return call_end(&c, rc, err);
}

int kw_devnet_construct(const kw_chain *c, const kw_chain_signer *h, kw_err *err)
{
    return homestead(c, H_CONSTRUCT, h, 0, err);
}

int kw_devnet_pause(const kw_chain *c, const kw_chain_signer *h, kw_err *err)
{
    return homestead(c, H_PAUSE, h, 0, err);
}

int kw_devnet_unpause(const kw_chain *c, const kw_chain_signer *h, kw_err *err)
{
    return homestead(c, H_UNPAUSE, h, 0, err);
}

int kw_devnet_remove_block(const kw_chain *c, const kw_chain_signer *h, uint32_t index, kw_err *err)
{
    return homestead(c, H_REMOVE, h, index, err);
}

int kw_devnet_tick(const kw_chain *c, kw_err *err)
{
    kw_devnet *d = devnet_of(c);
    if (!d)
        return kw_err_set(err, KW_ESTATE, "not a devnet");
    pthread_mutex_lock(&d->lock);
    int rc = tick_locked(d, err);
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int kw_devnet_totals_get(const kw_chain *c, kw_devnet_totals *out, kw_err *err)
{
    kw_devnet *d = devnet_of(c);
    if (!d)
        return kw_err_set(err, KW_ESTATE, "not a devnet");
    call k;
    int rc = call_begin(d, &k, false, err);
    if (rc)
        return rc;
    *out = (kw_devnet_totals){.minted = k.f.minted, .burned = k.f.burned,
                              .crowd_minted = k.f.crowd_minted, .crowd_burned = k.f.crowd_burned};
    sqlite3_stmt *s = Q(d, Q_BAL_ALL);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        out->balances += sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return call_end(&k, rc == SQLITE_DONE ? 0 : db_fail(d, err), err);
}

int kw_devnet_block_paid(const kw_chain *c, uint32_t index, __int128 *paid, kw_err *err)
{
    kw_devnet *d = devnet_of(c);
    if (!d)
        return kw_err_set(err, KW_ESTATE, "not a devnet");
    call k;
    int rc = call_begin(d, &k, false, err);
    if (rc)
        return rc;
    sqlite3_stmt *s = Q(d, Q_BLOCK_PAID_GET);
    sqlite3_bind_int64(s, 1, index);
    rc = step_row(d, s, err);
    if (rc == 1) {
        *paid = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        rc = 0;
    } else if (rc == 0) {
        rc = kw_err_set(err, KW_ENOTFOUND, "block %u does not exist", index);
    }
    return call_end(&k, rc, err);
}

/* ---- opening ---- */

static void *timer_main(void *p)
{
    kw_devnet *d = p;
    pthread_mutex_lock(&d->timer_lock);
    while (!d->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (int64_t)d->ledger_ms * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&d->timer_cond, &d->timer_lock, &ts);
        if (d->stopping)
            break;
        pthread_mutex_unlock(&d->timer_lock);
        pthread_mutex_lock(&d->lock);
        kw_err e;
        (void)tick_locked(d, &e);
        pthread_mutex_unlock(&d->lock);
        pthread_mutex_lock(&d->timer_lock);
    }
    pthread_mutex_unlock(&d->timer_lock);
    return NULL;
}

/* Creates the schema and the farm row of a new file (one transaction). */
static int create_file(kw_devnet *d, int64_t now, kw_err *err)
{
    static const uint8_t zero[32];
    char *msg = NULL;
    if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(d, err);
    int rc = sqlite3_exec(d->db, schema, NULL, NULL, &msg);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA application_id = %d", KW_DEVNET_APP_ID);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(d->db, pragma, NULL, NULL, &msg);
    sqlite3_stmt *s = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(d->db,
                                "INSERT INTO farm VALUES (1, NULL, 0, 0, 0, 0, 0, 0, ?1, ?1, 0, 0, ?2,"
                                " 0, ?1, ?1, ?1, ?1, ?3, ?4)", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        bind_i128(s, 1, 0);
        sqlite3_bind_blob(s, 2, zero, 32, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now);
        sqlite3_bind_int64(s, 4, d->o.ledger_ms);
        rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_finalize(s);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(d->db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        kw_err_set(err, KW_EIO, "cannot create the devnet: %s", msg ? msg : sqlite3_errmsg(d->db));
        sqlite3_free(msg);
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        return KW_EIO;
    }
    return 0;
}

/* The constructor of a new farm, run on its creator's authority. */
static int construct_locally(kw_devnet *d, kw_err *err)
{
    call c;
    /* Creating the file is not a network call: injected faults and latency
     * would only make opening fail, never exercise a retry path. */
    uint32_t fault_ppm = d->o.fault_ppm, latency_ms = d->o.latency_ms;
    d->o.fault_ppm = d->o.latency_ms = 0;
    int rc = call_begin(d, &c, true, err);
    d->o.fault_ppm = fault_ppm;
    d->o.latency_ms = latency_ms;
    if (rc)
        return rc;
    c.f.homestead = true;
    memcpy(c.f.homesteader, d->o.homesteader, 32);
    c.f.has_fb = true;
    c.f.fb = new_farm_block(c.L.ts);
    return call_end(&c, farm_commit(&c, err), err);
}

static int read_int(sqlite3 *db, const char *q, int64_t *out)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
        return KW_EIO;
    int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : KW_EIO;
    if (!rc)
        *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

int kw_devnet_open(const kw_devnet_opts *o, kw_chain *out, kw_err *err)
{
    *out = (kw_chain){0};
    if (!o->path || !*o->path || o->block_seconds < 1 || o->ledger_ms < 1)
        return kw_err_set(err, KW_EINVAL, "devnet: a path, a block interval and a ledger interval are required");
    if (sodium_init() < 0)
        return kw_err_set(err, KW_EINTERNAL, "libsodium failed to initialise");
    kw_devnet *d = calloc(1, sizeof *d);
    if (!d)
        return kw_err_set(err, KW_ENOMEM, "out of memory opening the devnet");
    d->o = *o;
    d->o.path = NULL;
    if (!d->o.clock.now_ms)
        d->o.clock = (kw_devnet_clock){system_now_ms, system_sleep_ms, NULL};
    d->fault_rng = o->seed ^ 0x6a09e667f3bcc909ULL;
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->timer_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->timer_cond, &ca);
    pthread_condattr_destroy(&ca);
    int rc = KW_EIO;
    int64_t app = 0, tables = 0, genesis = 0, lms = 0;
    if (sqlite3_open_v2(o->path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        kw_err_set(err, KW_EIO, "cannot open the devnet file %s: %s", o->path,
                   d->db ? sqlite3_errmsg(d->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(d->db, 5000);
    /* WAL: a commit is one append, so a killed process leaves either the
     * whole transaction or none of it. NORMAL sync is durable across process
     * crashes; only an OS crash may lose the last commits. */
    if (sqlite3_exec(d->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", NULL, NULL,
                     NULL) != SQLITE_OK ||
        read_int(d->db, "PRAGMA application_id", &app) != 0 ||
        read_int(d->db, "SELECT count(*) FROM sqlite_master", &tables) != 0) {
        db_fail(d, err);
        goto fail;
    }
    bool fresh = app == 0 && tables == 0;
    if (!fresh && app != KW_DEVNET_APP_ID) {
        kw_err_set(err, KW_EIO, "%s is not a devnet file", o->path);
        goto fail;
    }
    if (fresh && (rc = create_file(d, d->o.clock.now_ms(d->o.clock.ctx), err)) != 0)
        goto fail;
    if (read_int(d->db, "SELECT genesis_ms FROM farm WHERE id = 1", &genesis) != 0 ||
        read_int(d->db, "SELECT ledger_ms FROM farm WHERE id = 1", &lms) != 0 || lms < 1) {
        rc = kw_err_set(err, KW_EIO, "%s: the devnet's farm row is missing", o->path);
        goto fail;
    }
    d->genesis_ms = genesis;
    d->ledger_ms = (uint32_t)lms;
    for (int i = 0; i < Q_COUNT; i++) {
        if (sqlite3_prepare_v3(d->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &d->q[i], NULL) !=
            SQLITE_OK) {
            rc = db_fail(d, err);
            goto fail;
        }
    }
    if (fresh && !o->bare && (rc = construct_locally(d, err)) != 0)
        goto fail;
    if (o->timer == KW_DEVNET_TIMER_THREAD) {
        if (pthread_create(&d->timer, NULL, timer_main, d) != 0) {
            rc = kw_err_set(err, KW_ENOMEM, "cannot start the devnet timer");
            goto fail;
        }
        d->timer_running = true;
    }
    *out = (kw_chain){.ops = &devnet_ops, .state = d, .name = "devnet", .devnet = true,
                      .block_seconds = o->block_seconds, .ledger_ms = d->ledger_ms};
    return 0;
fail:
    devnet_free(d);
    return rc ? rc : KW_EIO;
}

int kw_devnet_opts_from_config(const kw_config *cfg, kw_devnet_opts *o, char *pathbuf, size_t cap,
                               kw_err *err)
{
    int n = snprintf(pathbuf, cap, "%s/devnet.sqlite", kw_config_str(cfg, KW_CFG_KALEWX_DATA_DIR));
    if (n < 0 || (size_t)n >= cap)
        return kw_err_set(err, KW_EINVAL, "KALEWX_DATA_DIR is too long");
    o->path = pathbuf;
    o->block_seconds = (uint32_t)kw_config_int(cfg, KW_CFG_DEVNET_BLOCK_SECONDS);
    o->ledger_ms = (uint32_t)kw_config_int(cfg, KW_CFG_DEVNET_LEDGER_MS);
    o->crowd = (uint32_t)kw_config_int(cfg, KW_CFG_DEVNET_CROWD);
    o->fault_ppm = (uint32_t)kw_config_int(cfg, KW_CFG_DEVNET_FAULT_RATE);
    o->latency_ms = (uint32_t)kw_config_int(cfg, KW_CFG_DEVNET_LATENCY_MS);
    o->seed = (uint64_t)kw_config_int(cfg, KW_CFG_DEVNET_SEED);
    memset(o->homesteader, 0, sizeof o->homesteader);
    o->bare = false;
    o->timer = KW_DEVNET_TIMER_THREAD;
    o->clock = (kw_devnet_clock){0};
    return 0;
}
