#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "chain/devnet.h"
#include "chain/soroban/kale.h"
#include "core/amount.h"
#include "engine/custody.h"
#include "crypto/sha.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "store/ledger.h"
#include "store/migrate.h"
#include "store/pgsession.h"
#include "store/repo_users.h"
#include "store/repo_wallets.h"

#define TREASURY_USER "treasury"

static int64_t clock_now(void *ctx) { return kw_clock_now_ms((const kw_clock *)ctx); }

/* ---- treasury and reserve ---------------------------------------------------- */

static const kw_sql SQL_SEEDED = {.sql = "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'reserve_seed'"};

typedef struct treasury_ctx {
    kw_engine *e;
    int64_t user;
} treasury_ctx;

static int treasury_tx(kw_db *db, void *ctx, kw_err *err)
{
    treasury_ctx *c = ctx;
    kw_user u;
    int rc = kw_repo_users_get_by_name(db, TREASURY_USER, &u, err);
    if (rc == 0) {
        c->user = u.id;
        return 0;
    }
    if (rc != KW_ENOTFOUND)
        return rc;
    int64_t now = kw_clock_now_ms(c->e->clock), wid;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, TREASURY_USER);
    /* No Argon2 hash can equal "!", so nobody can log in as the treasury. */
    snprintf(u.password_hash, sizeof u.password_hash, "!");
    if ((rc = kw_repo_users_create(db, &u, now, &c->user, err)) != 0)
        return rc;
    char address[KW_STRKEY_BUFSZ], *sealed = NULL;
    if ((rc = kw_wallet_create(c->e->kek, now, address, &sealed, err)) != 0)
        return rc;
    rc = kw_repo_wallets_insert(db, c->user, address, sealed, KW_WALLET_VERSION, now, &wid, err);
    sodium_memzero(sealed, strlen(sealed));
    free(sealed);
    return rc;
}

typedef struct seed_ctx {
    int64_t amount, now;
    bool done;
} seed_ctx;

static int reserve_seed_tx(kw_db *db, void *ctx, kw_err *err)
{
    seed_ctx *c = ctx;
    int64_t seeded, reserve, in;
    int rc = kw_db_query_int(db, &SQL_SEEDED, KW_NOARGS, &seeded, err);
    if (rc || seeded)
        return rc;
    if ((rc = kw_ledger_account(db, KW_ACCT_WEATHER_RESERVE, 0, &reserve, err)) ||
        (rc = kw_ledger_account(db, KW_ACCT_CHAIN_IN, 0, &in, err)))
        return rc;
    kw_ledger_line lines[] = {{in, -c->amount}, {reserve, c->amount}};
    kw_ledger_entry en = {.kind = "reserve_seed", .ref = "devnet", .memo = "DEVNET_RESERVE", .lines = lines,
                          .nlines = 2, .at_ms = c->now};
    c->done = true;
    return kw_ledger_post(db, &en, NULL, err);
}

typedef struct chain_call {
    kw_engine *e;
    uint8_t key[32];
    int64_t amount, balance;
    kw_chain_status status;
} chain_call;

static int do_balance(void *ctx, kw_err *err)
{
    chain_call *c = ctx;
    return kw_chain_balance(&c->e->chain, c->key, &c->balance, err);
}

static int do_faucet(void *ctx, kw_err *err)
{
    chain_call *c = ctx;
    return kw_chain_faucet(&c->e->chain, c->key, c->amount, err);
}

static int do_status(void *ctx, kw_err *err)
{
    chain_call *c = ctx;
    return kw_chain_status_get(&c->e->chain, &c->status, err);
}

/* Mints DEVNET_RESERVE to the treasury wallet once and books it to the reserve. */
static int seed_reserve(kw_engine *e, kw_err *err)
{
    int64_t amount = kw_config_int(e->cfg, KW_CFG_DEVNET_RESERVE), seeded;
    kw_db *db;
    int rc = kw_store_acquire(e->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = kw_db_query_int(db, &SQL_SEEDED, KW_NOARGS, &seeded, err);
    kw_store_release(e->store, db);
    if (rc || seeded || amount <= 0)
        return rc;
    kw_wallet w;
    if ((rc = kw_store_acquire(e->store, KW_DB_READ, &db, err)) != 0)
        return rc;
    rc = kw_repo_wallets_get_by_user(db, e->treasury_user, &w, err);
    kw_store_release(e->store, db);
    if (rc)
        return rc;
    chain_call c = {.e = e};
    rc = kw_strkey_decode(KW_STRKEY_ACCOUNT, w.public_key, c.key, err);
    /* A mint is not refused when repeated, so after a failure the balance
     * decides whether it landed; a crash between the mint and the booking
     * finds the coins here next time in the same way. */
    for (int tries = 0; rc == 0; tries++) {
        if ((rc = kw_retry_call(&e->retry, do_balance, &c, err)) != 0 || c.balance >= amount)
            break;
        if (tries == 10) {
            rc = kw_err_set(err, KW_ETRANSIENT, "the devnet faucet keeps failing");
            break;
        }
        c.amount = amount - c.balance;
        kw_err ferr;
        int frc = do_faucet(&c, &ferr);
        if (frc && frc != KW_ETRANSIENT)
            rc = kw_err_set(err, frc, "%s", ferr.msg);
    }
    kw_wallet_clear(&w);
    seed_ctx sc = {.amount = amount, .now = kw_clock_now_ms(e->clock)};
    if (rc == 0 && (rc = kw_store_tx(e->store, reserve_seed_tx, &sc, err)) == 0 && sc.done) {
        char a[KW_AMOUNT_BUFSZ];
        KW_LOG(KW_LOG_INFO, "weather reserve seeded on devnet", KW_LS("amount", kw_amount_format(amount, a)));
    }
    return rc;
}

/* ---- opening and closing ------------------------------------------------------ */

static int open_chain(kw_engine *e, kw_err *err)
{
    if (kw_config_int(e->cfg, KW_CFG_KALEWX_CHAIN) != 0) {
        kw_soroban_opts so;
        int rc = kw_soroban_opts_from_config(e->cfg, &so, err);
        /* Deadlines, polls and backoff follow the engine's clock, so an injected one governs them too. */
        if (e->clock != kw_clock_system())
            so.clock = (kw_rpc_clock){.now_ms = e->clock->now_ms, .mono_ms = e->clock->mono_ms,
                                      .sleep_ms = e->clock->sleep_ms, .ctx = e->clock->ctx};
        return rc ? rc : kw_soroban_open(&so, &e->chain, err);
    }
    kw_devnet_opts o;
    char path[4096];
    int rc = kw_devnet_opts_from_config(e->cfg, &o, path, sizeof path, err);
    if (rc)
        return rc;
    /* The devnet's own timer thread runs on real time only; under an injected
     * clock the blocks roll over on calls, so tests decide when time passes. */
    o.timer = e->clock == kw_clock_system() ? KW_DEVNET_TIMER_THREAD : KW_DEVNET_TIMER_CALLS;
    o.clock = (kw_devnet_clock){e->clock->now_ms, e->clock->sleep_ms, e->clock->ctx};
    return kw_devnet_open(&o, &e->chain, err);
}

static int open_miner(kw_engine *e, kw_err *err)
{
    const kw_kalehash_path *path;
    int rc = kw_kalehash_path_choose(kw_config_str(e->cfg, KW_CFG_KALEWX_KECCAK), &path, err);
    if (rc)
        return rc;
    return kw_miner_new((unsigned)kw_config_int(e->cfg, KW_CFG_MINER_THREADS), path, &e->miner, err);
}

int kw_engine_open(const kw_config *cfg, const kw_clock *clock, kw_engine **out, kw_err *err)
{
    kw_engine *e = calloc(1, sizeof *e);
    if (!e)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    e->cfg = cfg;
    e->clock = clock ? clock : kw_clock_system();
    e->cycle = kw_config_cycle(cfg);
    bool devnet = kw_config_int(cfg, KW_CFG_KALEWX_CHAIN) == 0;
    e->interval_ms = kw_config_int(cfg, KW_CFG_MONITOR_INTERVAL);
    if (e->interval_ms == 0)
        e->interval_ms = devnet ? 500 : 5000;
    kw_pubdoc_init(&e->current);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->wake, NULL);
    kw_breaker_init(&e->breaker, 5, 30000);
    /* Start-up is patient with a flaky chain: it has nothing better to do. */
    e->retry = kw_retry_patient(e->clock, &e->breaker, (uint64_t)kw_clock_now_ms(e->clock) | 1);

    kw_store_options so = {.url = kw_config_str(cfg, KW_CFG_DATABASE_URL),
                           .data_dir = kw_config_str(cfg, KW_CFG_KALEWX_DATA_DIR),
                           .pool_size = (int)kw_config_int(cfg, KW_CFG_DB_POOL_SIZE)};
    kw_leader *boot = NULL;
    int applied = 0, rc = kw_store_open(&so, &e->store, err);
    if (rc == 0) {
        kw_leader_options lo = {kw_store_dialect_of(e->store), so.url, KW_PG_LOCK_STARTUP, "start-up", false};
        if ((rc = kw_leader_open(&lo, &boot, err)) == 0 && (rc = kw_leader_wait(boot, err)) == 0) {
            lo = (kw_leader_options){kw_store_dialect_of(e->store), so.url, KW_PG_LOCK_ENGINE, "engine", true};
            rc = kw_leader_open(&lo, &e->leader, err);
        }
    }
    if (rc || (rc = kw_migrate(e->store, &applied, err)) || (rc = kw_custody_open(cfg, e->store, NULL, &e->kek, err)) || (rc = open_chain(e, err)) ||
        (rc = open_miner(e, err)) || (rc = kw_market_open(cfg, &e->market, err)) ||
        (rc = kw_weather_open(cfg, &e->weather, err)))
        goto fail;
    if (applied)
        KW_LOG(KW_LOG_INFO, "database migrated", KW_LI("applied", applied), KW_LS("backend", kw_store_backend_name(e->store)));

    e->resolver = (kw_resolver){.store = e->store, .chain = &e->chain, .market = &e->market, .weather = &e->weather,
                                .cycle = e->cycle, .block_seconds = e->chain.block_seconds, .now_ms = clock_now,
                                .clock_ctx = (void *)e->clock, .market_source = e->market.name};
    e->monitor = (kw_monitor){.store = e->store, .resolver = &e->resolver, .cycle = e->cycle,
                              .wager_fee_bps = (uint32_t)kw_config_int(cfg, KW_CFG_WAGER_FEE_BPS),
                              .now_ms = clock_now, .clock_ctx = (void *)e->clock};
    treasury_ctx tc = {.e = e};
    if ((rc = kw_store_tx(e->store, treasury_tx, &tc, err)) != 0)
        goto fail;
    e->treasury_user = tc.user;
    int64_t work = kw_config_int(cfg, KW_CFG_WORK_SECONDS);
    e->farming = (kw_farming){.store = e->store, .chain = &e->chain, .miner = e->miner, .kek = e->kek,
                              .clock = e->clock, .retry = &e->retry,
                              .work_seconds = work ? (double)work : e->chain.block_seconds / 2.0,
                              .treasury_user = e->treasury_user, .rng = (uint64_t)kw_clock_now_ms(e->clock) | 1};
    uint64_t first_cycle = 0;
    chain_call st = {.e = e};
    if (kw_retry_call(&e->retry, do_status, &st, NULL) == 0 && st.status.has_block) {
        kw_cycle_pos pos;
        if (kw_cycle_locate(&e->cycle, st.status.farm_index, &pos) == 0)
            first_cycle = pos.cycle_id;
    }
    if ((rc = kw_resolver_seed_daos(&e->resolver, first_cycle, err)) || (devnet && (rc = seed_reserve(e, err))))
        goto fail;
    e->retry.attempts = kw_retry_default(e->clock, NULL, 1).attempts;
    /* From now on a tick waits out at most one monitor interval of backoff. */
    e->retry.budget_ms = e->interval_ms;
    kw_leader_close(boot);
    *out = e;
    return 0;
fail:
    kw_leader_close(boot);
    kw_engine_close(e);
    return rc;
}

void kw_engine_close(kw_engine *e)
{
    if (!e)
        return;
    kw_engine_stop(e);
    if (e->weather.close)
        kw_weather_close(&e->weather);
    if (e->market.close)
        kw_market_close(&e->market);
    kw_miner_free(e->miner);
    kw_chain_close(&e->chain);
    kw_wallet_kek_free(e->kek);
    kw_leader_close(e->leader);
    if (e->store)
        kw_store_close(e->store);
    kw_pubdoc_destroy(&e->current);
    kw_breaker_destroy(&e->breaker);
    pthread_cond_destroy(&e->wake);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* ---- the /cycles/current document ---------------------------------------------- */

static const kw_sql SQL_CYCLE_ROW = {
    .sql = "SELECT current_state, COALESCE(weather_outcome, ''), COALESCE(final_score_ppm, -1), "
           "COALESCE(confidence_ppm, -1), COALESCE(location, '') "
           "FROM weather_cycles WHERE cycle_id = $1"};
static const kw_sql SQL_PARTICIPANTS = {
    .sql = "SELECT COUNT(DISTINCT user_id), COUNT(DISTINCT CASE WHEN action_type = 'agriculture' THEN user_id END), "
           "COUNT(DISTINCT CASE WHEN action_type = 'wager' THEN user_id END) FROM cycle_actions WHERE cycle_id = $1"};
static const kw_sql SQL_DAO_VOTES = {
    .sql = "SELECT dao_id, commitment, revealed, prediction, confidence_ppm, CASE WHEN valid THEN 1 ELSE 0 END FROM dao_votes "
           "WHERE cycle_id = $1 ORDER BY dao_id"};

static json_t *dao_section(kw_db *db, uint64_t cycle, kw_err *err)
{
    kw_rows *r;
    if (kw_db_query(db, &SQL_DAO_VOTES, KW_ARGS(KW_I(cycle)), &r, err) != 0)
        return NULL;
    json_t *commitments = json_array(), *votes = json_array();
    int good = 0, bad = 0, rc;
    while ((rc = kw_rows_next(r, err)) == 1) {
        size_t n;
        const uint8_t *cm = kw_rows_blob(r, 1, &n);
        char hex[65] = "";
        if (n == 32)
            kw_hex_encode(cm, 32, hex);
        json_array_append_new(commitments, json_pack("{s:s,s:s}", "dao", kw_rows_text(r, 0), "commitment", hex));
        /* A prediction is public only once revealed: before that it is the secret the commitment hides. */
        if (kw_rows_int(r, 2)) {
            bool g = strcmp(kw_rows_text(r, 3), "GOOD") == 0;
            if (kw_rows_int(r, 5))
                g ? good++ : bad++;
            json_array_append_new(votes, json_pack("{s:s,s:s,s:f,s:b}", "dao", kw_rows_text(r, 0), "prediction",
                                                   kw_rows_text(r, 3), "confidence", kw_rows_int(r, 4) / 1e6, "valid",
                                                   kw_rows_int(r, 5) != 0));
        }
    }
    kw_rows_close(r);
    bool revealed = json_array_size(votes) > 0;
    json_t *d = json_object();
    json_object_set_new(d, "commitments", commitments);
    if (revealed) {
        json_object_set_new(d, "votes", votes);
        json_object_set_new(d, "sentiment", json_pack("{s:i,s:i}", "good", good, "bad", bad));
    } else {
        json_decref(votes);
        json_object_set_new(d, "sentiment", json_null());
    }
    return d;
}

int kw_engine_publish(kw_engine *e, kw_err *err)
{
    uint32_t block;
    kw_cycle_pos pos;
    if (!kw_engine_block(e, &block) || kw_cycle_locate(&e->cycle, block, &pos) != 0)
        return 0;
    kw_db *db;
    int rc = kw_store_acquire(e->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    json_t *doc = NULL;
    kw_rows *r;
    char state[16] = "", outcome[8] = "", location[32] = "";
    int64_t final_ppm = -1, conf_ppm = -1, total = 0, farmers = 0, wagerers = 0;
    if ((rc = kw_db_query(db, &SQL_CYCLE_ROW, KW_ARGS(KW_I(pos.cycle_id)), &r, err)) == 0) {
        if ((rc = kw_rows_next(r, err)) == 1) {
            snprintf(state, sizeof state, "%s", kw_rows_text(r, 0));
            snprintf(outcome, sizeof outcome, "%s", kw_rows_text(r, 1));
            final_ppm = kw_rows_int(r, 2);
            conf_ppm = kw_rows_int(r, 3);
            snprintf(location, sizeof location, "%s", kw_rows_text(r, 4));
        }
        kw_rows_close(r);
    }
    if (rc >= 0 && (rc = kw_db_query(db, &SQL_PARTICIPANTS, KW_ARGS(KW_I(pos.cycle_id)), &r, err)) == 0) {
        if ((rc = kw_rows_next(r, err)) == 1) {
            total = kw_rows_int(r, 0);
            farmers = kw_rows_int(r, 1);
            wagerers = kw_rows_int(r, 2);
        }
        kw_rows_close(r);
    }
    json_t *dao = rc >= 0 ? dao_section(db, pos.cycle_id, err) : NULL;
    kw_store_release(e->store, db);
    if (rc < 0 || !dao) {
        json_decref(dao);
        return rc < 0 ? rc : KW_EIO;
    }
    json_t *actions = json_array();
    for (int a = 0; a < KW_ACTION_COUNT; a++)
        if (kw_phase_accepts(pos.phase, (kw_action_type)a))
            json_array_append_new(actions, json_string(kw_action_type_name((kw_action_type)a)));
    /* block_start_ms and block_interval_ms let clients count down to the next block. */
    doc = json_pack("{s:{s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:f,s:s,s:I,s:I},s:{s:I,s:I,s:I},s:o,s:o}", "cycle", "id",
                    (json_int_t)pos.cycle_id, "start_block", (json_int_t)pos.start_block, "end_block",
                    (json_int_t)pos.end_block, "current_block", (json_int_t)block, "phase", kw_phase_name(pos.phase),
                    "block_in_cycle", (json_int_t)pos.block_in_cycle, "blocks_remaining",
                    (json_int_t)pos.blocks_remaining, "phase_progress", pos.phase_progress_permille / 1000.0,
                    "state", state, "block_start_ms", (json_int_t)atomic_load(&e->block_timestamp) * 1000,
                    "block_interval_ms", (json_int_t)e->chain.block_seconds * 1000, "participants", "total",
                    (json_int_t)total, "farmers", (json_int_t)farmers, "wagerers", (json_int_t)wagerers, "actions_available", actions, "dao", dao);
    if (*outcome)
        json_object_set_new(doc, "weather",
                            json_pack("{s:s,s:f,s:f,s:s}", "outcome", outcome, "final_score", final_ppm / 1e6,
                                      "confidence", conf_ppm / 1e6, "location", location));
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(doc);
    if (!text)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    kw_pubdoc_publish_take(&e->current, text, strlen(text));
    return 0;
}

/* ---- ticking ---------------------------------------------------------------------- */

bool kw_engine_block(kw_engine *e, uint32_t *block)
{
    if (!atomic_load(&e->have_block))
        return false;
    *block = atomic_load(&e->block);
    return true;
}

static int read_status(kw_engine *e, chain_call *c, kw_err *err)
{
    int rc = kw_retry_call(&e->retry, do_status, c, err);
    if (rc == 0 && c->status.has_block) {
        atomic_store(&e->block, c->status.farm_index);
        atomic_store(&e->block_timestamp, (long long)c->status.block.timestamp);
        atomic_store(&e->have_block, true);
    }
    return rc;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int kw_engine_tick(kw_engine *e, kw_err *err)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    chain_call c = {.e = e};
    kw_retry_refill(&e->retry);
    int rc = read_status(e, &c, err);
    if (rc)
        return rc;
    /* Until the first tick has finished, readers see the chain as just read. */
    if (atomic_load(&e->ticks) == 0 && (rc = kw_engine_publish(e, err)) != 0)
        return rc;
    /* A chain fault that stops a cycle's phase for this tick does not stop farming. */
    rc = kw_monitor_tick(&e->monitor, &c.status, err);
    if (rc && rc != KW_ETRANSIENT)
        return rc;
    kw_err ferr = {0};
    int frc = kw_farming_tick(&e->farming, &c.status, &ferr);
    if (frc) {
        *err = ferr;
        return frc;
    }
    if (rc)
        return rc;
    atomic_fetch_add(&e->ticks, 1);
    rc = kw_engine_publish(e, err);
    /* Most ticks find the block unchanged; only those that handled a new one measure block processing. */
    if (rc == 0 && c.status.has_block && c.status.farm_index != e->processed_block) {
        e->processed_block = c.status.farm_index;
        kw_metrics_observe(kw_metrics_series_get(kw_metrics_std_global()->block_processing_duration, NULL),
                           seconds_since(&t0));
    }
    return rc;
}

int kw_engine_follow(kw_engine *e, kw_err *err)
{
    chain_call c = {.e = e};
    int rc = read_status(e, &c, err);
    return rc ? rc : kw_engine_publish(e, err);
}

bool kw_engine_leading(const kw_engine *e) { return e->leader && kw_leader_leading(e->leader); }

static void *engine_main(void *arg)
{
    kw_engine *e = arg;
    kw_log_set_correlation("engine");
    bool led = false;
    pthread_mutex_lock(&e->mu);
    while (e->running) {
        pthread_mutex_unlock(&e->mu);
        kw_err err = {0};
        bool lead = kw_leader_poll(e->leader);
        /* A replica that leads again after standing by must not trust what
         * it remembered of the chain: the other leader moved on meanwhile. */
        if (lead && !led)
            e->monitor.have_block = false;
        led = lead;
        if ((lead ? kw_engine_tick(e, &err) : kw_engine_follow(e, &err)) != 0) {
            atomic_fetch_add(&e->tick_errors, 1);
            kw_metrics_inc(KW_METRICS_SERIES(kw_metrics_std_global()->errors, "tick_failed", "engine"), 1);
            KW_LOG(KW_LOG_WARN, "engine tick failed; retrying next interval", KW_LS("error", err.msg));
        }
        pthread_mutex_lock(&e->mu);
        if (e->after_tick)
            e->after_tick(e->after_tick_ctx);
        if (!e->running)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += e->interval_ms / 1000;
        ts.tv_nsec += (e->interval_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&e->wake, &e->mu, &ts);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

void kw_engine_wake(kw_engine *e)
{
    pthread_mutex_lock(&e->mu);
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->mu);
}

void kw_engine_on_tick(kw_engine *e, void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&e->mu);
    e->after_tick = fn;
    e->after_tick_ctx = ctx;
    pthread_mutex_unlock(&e->mu);
}

int kw_engine_start(kw_engine *e, kw_err *err)
{
    e->running = true;
    if (pthread_create(&e->thread, NULL, engine_main, e) != 0) {
        e->running = false;
        return kw_err_set(err, KW_EIO, "cannot start the engine thread");
    }
    e->started = true;
    return 0;
}

void kw_engine_stop(kw_engine *e)
{
    if (!e->started)
        return;
    pthread_mutex_lock(&e->mu);
    e->running = false;
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->thread, NULL);
    e->started = false;
}
