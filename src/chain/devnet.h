/*
 * devnet — an embedded KALE farm behind chain.h (SPEC §2): the farm contract
 * (kalepail/KALE-sc contract_farm.rs) reproduced call for call, its token,
 * a ledger clock, and a simulated crowd of other farmers, persisted in its
 * own SQLite file.
 *
 * Contract fidelity
 *   plant, work and harvest check the same conditions in the same order and
 *   fail with the same error codes; a failed call changes nothing (as a
 *   reverted Soroban transaction). Rollover is lazy: the first plant at a
 *   ledger time ≥ the current block's start + block_seconds creates the next
 *   block, freezing the running gap/stake/zeros statistics as its ranges and
 *   taking the last accepted work's hash as its entropy. Quirks are kept too:
 *   a re-work subtracts the previous score recomputed with the *new* gap, and
 *   a plant into a removed block bumps the index without resetting the
 *   running statistics. Emission is kw_farm_emission(index), the mainnet
 *   formula unchanged. Genesis is FarmIndex 0, as a freshly deployed
 *   contract: blocks 0 .. 39197 pay the full 2505 KALE, and the 5 % decay
 *   steps start at block 39198 (= 30558 + 8640) and recur every 8640 blocks.
 *
 * Time
 *   Ledger n (from 1) opens at genesis + (n − 1) · ledger_ms; a call made at
 *   clock time t is applied in the ledger open at t, and its timestamp (unix
 *   seconds) is that ledger's. The clock is injected (kw_devnet_clock), so
 *   tests drive time by hand. The interval a devnet was created with is kept
 *   in its file, so ledger numbers never jump when settings change; a clock
 *   that steps back never lowers the ledger number.
 *
 * Timer
 *   With timer ≥ KW_DEVNET_TIMER_CALLS every call first rolls an idle farm
 *   over when its block is due (one block per due call, timestamped with the
 *   current ledger, exactly as a keeper's plant would); KW_DEVNET_TIMER_THREAD
 *   also does it from a background thread once per ledger. With
 *   KW_DEVNET_TIMER_OFF only plant rolls over, as on chain.
 *
 * Crowd
 *   `crowd` background farmers take part in every block, bookkept rather than
 *   hashed: they plant when a block is created (stakes: 40 % zero, the rest
 *   1–9 · 10^5..10^8 stroops), and when it ends 97 % of them work (gap spread
 *   over the block's ledgers, zeros 5–9 like mainnet) and then harvest. They
 *   move the block ranges, the totals and the entropy (the crowd's last work
 *   is a real kalehash of a derived key) exactly as real farmers would, so
 *   a kalewx farmer's share is realistic. Each crowd member is a pure
 *   function of (seed, block, member), so nothing about it is stored.
 *
 * Faults
 *   fault_ppm of calls fail with KW_ETRANSIENT: half before the call runs
 *   (nothing changed) and half after it committed (it took effect, as a
 *   timeout after submission would), so retry paths meet both. Every call
 *   first waits latency_ms on the injected clock.
 *
 * Persistence
 *   SQLite in WAL mode, every call one transaction, so a process killed at
 *   any point (kill -9) reopens consistent: a call either happened entirely
 *   or not at all. The token: plant burns the stake, harvest mints reward +
 *   stake, faucet mints, transfer moves; balances never go negative.
 *
 * Thread-safety: as chain.h; calls are serialised on one connection.
 */
#ifndef KW_CHAIN_DEVNET_H
#define KW_CHAIN_DEVNET_H

#include <stdint.h>

#include "chain/chain.h"
#include "core/config.h"

typedef struct kw_devnet_clock {
    int64_t (*now_ms)(void *ctx);             /* unix milliseconds */
    void (*sleep_ms)(void *ctx, int64_t ms);  /* waits; a test clock just advances */
    void *ctx;
} kw_devnet_clock;

typedef enum kw_devnet_timer {
    KW_DEVNET_TIMER_OFF = 0,
    KW_DEVNET_TIMER_CALLS,
    KW_DEVNET_TIMER_THREAD,
} kw_devnet_timer;

typedef struct kw_devnet_opts {
    const char *path;              /* SQLite file; created when missing */
    uint32_t block_seconds;        /* DEVNET_BLOCK_SECONDS */
    uint32_t ledger_ms;            /* DEVNET_LEDGER_MS, for a new file only */
    uint32_t crowd;                /* DEVNET_CROWD */
    uint32_t fault_ppm;            /* DEVNET_FAULT_RATE in parts per million */
    uint32_t latency_ms;           /* DEVNET_LATENCY_MS */
    uint64_t seed;                 /* DEVNET_SEED: crowd and faults */
    uint8_t homesteader[32];       /* the farm's admin key, for a new file */
    bool bare;                     /* a new file starts without the constructor */
    kw_devnet_timer timer;
    kw_devnet_clock clock;         /* now_ms NULL = the system clock */
} kw_devnet_opts;

/* Fills the tunables of o from the settings: path = KALEWX_DATA_DIR/devnet.sqlite
 * (pathbuf holds it, cap bytes), timer = KW_DEVNET_TIMER_THREAD, system clock,
 * and an all-zero homesteader: no key signs for it, so a new farm has no
 * administrator unless the caller sets its own key. KW_EINVAL when the path
 * does not fit. */
int kw_devnet_opts_from_config(const kw_config *cfg, kw_devnet_opts *o, char *pathbuf, size_t cap,
                               kw_err *err) KW_WUR;

/* Opens (or creates) the devnet file and fills *out. A new file runs the
 * constructor with o->homesteader unless o->bare. KW_EIO when the file
 * cannot be opened or is not a devnet. */
int kw_devnet_open(const kw_devnet_opts *o, kw_chain *out, kw_err *err) KW_WUR;

/* The homesteader's operations (contract_homestead.rs). The signer must be
 * the homesteader (KW_EAUTH otherwise). Contract errors: HomesteadExists
 * (constructor on a deployed farm), HomesteadMissing (the others on a bare
 * one), FarmPaused (pause twice), FarmNotPaused (unpause when running). */
int kw_devnet_construct(const kw_chain *c, const kw_chain_signer *homesteader, kw_err *err) KW_WUR;
int kw_devnet_pause(const kw_chain *c, const kw_chain_signer *homesteader, kw_err *err) KW_WUR;
int kw_devnet_unpause(const kw_chain *c, const kw_chain_signer *homesteader, kw_err *err) KW_WUR;
/* Deletes Block(index), as temporary storage eviction would. */
int kw_devnet_remove_block(const kw_chain *c, const kw_chain_signer *homesteader, uint32_t index,
                           kw_err *err) KW_WUR;

/* Runs the timer once: rolls the farm over if its block is due. */
int kw_devnet_tick(const kw_chain *c, kw_err *err) KW_WUR;

/* Bookkeeping beyond the contract, for tests and reconciliation. */
typedef struct kw_devnet_totals {
    __int128 minted;               /* faucet + harvests of real accounts */
    __int128 burned;               /* stakes of real accounts */
    __int128 balances;             /* Σ balances of real accounts */
    __int128 crowd_minted, crowd_burned;
} kw_devnet_totals;

int kw_devnet_totals_get(const kw_chain *c, kw_devnet_totals *out, kw_err *err) KW_WUR;

/* Σ rewards (not stakes) harvested from Block(index), crowd included. */
int kw_devnet_block_paid(const kw_chain *c, uint32_t index, __int128 *paid, kw_err *err) KW_WUR;

#endif
