#include "engine/farming.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/amount.h"
#include "crypto/strkey.h"
#include "engine/events.h"
#include "engine/idem.h"
#include "obs/log.h"
#include "store/ledger.h"

#define BATCH 512

/* ---- SQL ---------------------------------------------------------------- */

static const kw_sql SQL_POSITIONS = {
    .sql = "SELECT p.id, p.user_id, p.stake_amount, COALESCE(p.kale_block, -1), w.public_key, "
           "w.encrypted_wallet FROM farm_positions p JOIN custodial_wallets w ON w.user_id = p.user_id "
           "WHERE p.position_type = 'plant' AND p.status = $1 ORDER BY p.id LIMIT $2"};
static const kw_sql SQL_TX_OPEN = {
    .sql = "INSERT INTO chain_transactions (kind, user_id, position_id, kale_block, amount, status, attempts, "
           "result, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'submitted', 1, $6, $7, $7) RETURNING id"};
static const kw_sql SQL_TX_CLOSE = {
    .sql = "UPDATE chain_transactions SET status = $2, error = $3, updated_at = $4 WHERE id = $1"};
static const kw_sql SQL_TX_SUBMITTED = {
    .sql = "SELECT t.id, t.kind, t.user_id, COALESCE(t.position_id, 0), COALESCE(t.kale_block, 0), "
           "COALESCE(t.amount, 0), COALESCE(t.result, ''), w.public_key, w.encrypted_wallet "
           "FROM chain_transactions t JOIN custodial_wallets w ON w.user_id = t.user_id "
           "WHERE t.status = 'submitted' ORDER BY t.id"};
static const kw_sql SQL_TX_PENDING = {
    .sql = "SELECT t.id, t.kind, t.user_id, COALESCE(t.amount, 0), COALESCE(t.result, ''), w.public_key, "
           "w.encrypted_wallet FROM chain_transactions t JOIN custodial_wallets w ON w.user_id = t.user_id "
           "WHERE t.status = 'pending' AND t.kind IN ('deposit', 'withdrawal') ORDER BY t.id LIMIT $1"};
static const kw_sql SQL_TX_SUBMIT = {
    .sql = "UPDATE chain_transactions SET status = 'submitted', attempts = attempts + 1, result = $2, "
           "updated_at = $3 WHERE id = $1 AND status = 'pending'"};
static const kw_sql SQL_TX_REQUEST = {
    .sql = "INSERT INTO chain_transactions (kind, user_id, amount, status, result, created_at, updated_at) "
           "VALUES ($1, $2, $3, 'pending', $4, $5, $5) RETURNING id"};
static const kw_sql SQL_PLANTED = {
    .sql = "UPDATE farm_positions SET status = 'planted', kale_block = $2, attempts = attempts + 1, "
           "updated_at = $3 WHERE id = $1 AND status = 'pending'"};
static const kw_sql SQL_WORKED = {
    .sql = "UPDATE farm_positions SET status = 'worked', work_nonce = $2, work_zeros = $3, work_gap = $4, "
           "updated_at = $5 WHERE id = $1 AND status = 'planted'"};
static const kw_sql SQL_HARVESTED = {
    .sql = "UPDATE farm_positions SET status = 'harvested', base_reward = $2, updated_at = $3 "
           "WHERE id = $1 AND status = 'worked'"};
static const kw_sql SQL_FAILED = {
    .sql = "UPDATE farm_positions SET status = 'failed', error = $2, updated_at = $3 "
           "WHERE id = $1 AND status IN ('pending', 'planted', 'worked')"};
static const kw_sql SQL_USER_BUSY = {
    .sql = "SELECT COUNT(*) FROM farm_positions WHERE user_id = $1 AND kale_block = $2"};
static const kw_sql SQL_UNRESOLVED = {
    .sql = "SELECT DISTINCT user_id FROM chain_transactions WHERE status = 'submitted' AND user_id IS NOT NULL"};
static const kw_sql SQL_STAKE = {.sql = "SELECT stake_amount FROM farm_positions WHERE id = $1"};
static const kw_sql SQL_TREASURY = {
    .sql = "SELECT public_key, encrypted_wallet FROM custodial_wallets WHERE user_id = $1"};

/* ---- small helpers ------------------------------------------------------- */

typedef struct wallet {
    int64_t user_id;
    char address[KW_STRKEY_BUFSZ];
    char *sealed;
    uint8_t key[32];
    kw_wallet_signer ws;
    kw_chain_signer signer;
} wallet;

static int wallet_set(kw_farming *f, wallet *w, int64_t user, const char *address, const char *sealed, kw_err *err)
{
    memset(w, 0, sizeof *w);
    w->user_id = user;
    snprintf(w->address, sizeof w->address, "%s", address);
    w->sealed = strdup(sealed);
    if (!w->sealed)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int rc = kw_strkey_decode(KW_STRKEY_ACCOUNT, w->address, w->key, err);
    if (rc)
        return rc;
    w->ws = (kw_wallet_signer){f->kek, w->address, w->sealed};
    memcpy(w->signer.public_key, w->key, 32);
    w->signer.ctx = &w->ws;
    w->signer.sign = kw_wallet_sign;
    return 0;
}

static void wallet_clear(wallet *w)
{
    if (w->sealed) {
        explicit_bzero(w->sealed, strlen(w->sealed));
        free(w->sealed);
    }
    memset(w, 0, sizeof *w);
}

static int64_t now_ms(kw_farming *f) { return kw_clock_now_ms(f->clock); }

static int tx_close(kw_db *db, int64_t id, const char *status, const char *error, int64_t now, kw_err *err)
{
    return kw_db_exec(db, &SQL_TX_CLOSE, KW_ARGS(KW_I(id), KW_T(status), KW_T(error), KW_I(now)), NULL, err);
}

static int position_event(kw_db *db, int64_t user, int64_t pos, const char *status, int64_t now, kw_err *err)
{
    json_t *ev = json_pack("{s:I,s:s}", "position_id", (json_int_t)pos, "status", status);
    return kw_events_append(db, KW_EV_POSITION_UPDATED, user, -1, ev, now, NULL, err);
}

/* Posts amount between a user's account and a chain contra account. */
static int post_chain(kw_db *db, kw_ledger_kind user_kind, int64_t user, kw_ledger_kind chain_kind, int64_t amount,
                      const char *kind, int64_t ref_id, int64_t now, kw_err *err)
{
    int64_t ua, ca;
    int rc = kw_ledger_account(db, user_kind, user_kind == KW_ACCT_WEATHER_RESERVE ? 0 : user, &ua, err);
    if (rc || (rc = kw_ledger_account(db, chain_kind, 0, &ca, err)) != 0)
        return rc;
    char ref[24];
    snprintf(ref, sizeof ref, "%lld", (long long)ref_id);
    /* chain_in is debited as value arrives; chain_out is credited as it leaves. */
    int64_t sign = chain_kind == KW_ACCT_CHAIN_IN ? 1 : -1;
    kw_ledger_line lines[] = {{ua, sign * amount}, {ca, -sign * amount}};
    kw_ledger_entry e = {.kind = kind, .ref = ref, .lines = lines, .nlines = 2, .at_ms = now};
    return kw_ledger_post(db, &e, NULL, err);
}

/* ---- chain calls behind retry -------------------------------------------- */

typedef struct call {
    kw_farming *f;
    wallet *w;
    int64_t amount;
    uint32_t index, ledger, gap;
    const uint8_t *hash;
    uint64_t nonce;
    const uint8_t *to;
    int64_t reward;
} call;

static int do_plant(void *ctx, kw_err *err)
{
    call *c = ctx;
    return kw_chain_plant(c->f->chain, &c->w->signer, c->amount, &c->index, &c->ledger, err);
}
static int do_work(void *ctx, kw_err *err)
{
    call *c = ctx;
    return kw_chain_work(c->f->chain, c->w->key, c->hash, c->nonce, &c->gap, err);
}
static int do_harvest(void *ctx, kw_err *err)
{
    call *c = ctx;
    return kw_chain_harvest(c->f->chain, c->w->key, c->index, &c->reward, err);
}
static int do_balance(void *ctx, kw_err *err)
{
    call *c = ctx;
    return kw_chain_balance(c->f->chain, c->w->key, &c->reward, err);
}
static int do_faucet(void *ctx, kw_err *err)
{
    call *c = ctx;
    return kw_chain_faucet(c->f->chain, c->w->key, c->amount, err);
}
static int do_transfer(void *ctx, kw_err *err)
{
    call *c = ctx;
    return kw_chain_transfer(c->f->chain, &c->w->signer, c->to, c->amount, err);
}

static int balance_of(kw_farming *f, wallet *w, int64_t *out, kw_err *err)
{
    call c = {.f = f, .w = w};
    int rc = kw_retry_call(f->retry, do_balance, &c, err);
    *out = c.reward;
    return rc;
}

/* Commits a chain_transactions row in state submitted: the intent survives a crash. */
static int open_tx(kw_farming *f, const char *kind, int64_t user, int64_t pos, int64_t block, int64_t amount,
                   const char *result, int64_t *id, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(f->store, KW_DB_WRITE, &db, err);
    if (rc)
        return rc;
    rc = kw_db_query_int(db, &SQL_TX_OPEN,
                         KW_ARGS(KW_T(kind), KW_I(user), pos ? KW_I(pos) : KW_NUL, block >= 0 ? KW_I(block) : KW_NUL,
                                 KW_I(amount), KW_T(result), KW_I(now_ms(f))),
                         id, err);
    kw_store_release(f->store, db);
    return rc;
}

/* ---- state changes, each one transaction --------------------------------- */

typedef struct change {
    kw_farming *f;
    int64_t pos, user, tx, amount;
    uint32_t index, zeros, gap;
    uint64_t nonce;
    const char *error;
} change;

static int planted_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    int64_t n, now = now_ms(c->f);
    int rc = kw_db_exec(db, &SQL_PLANTED, KW_ARGS(KW_I(c->pos), KW_I(c->index), KW_I(now)), &n, err);
    if (rc || n == 0)
        return rc;
    if ((rc = post_chain(db, KW_ACCT_USER_ESCROW, c->user, KW_ACCT_CHAIN_OUT, c->amount, "plant", c->pos, now, err)) ||
        (c->tx && (rc = tx_close(db, c->tx, "succeeded", NULL, now, err))))
        return rc;
    return position_event(db, c->user, c->pos, "planted", now, err);
}

static int worked_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    int64_t n, now = now_ms(c->f);
    int rc = kw_db_exec(db, &SQL_WORKED,
                        KW_ARGS(KW_I(c->pos), KW_I((int64_t)c->nonce), KW_I(c->zeros), KW_I(c->gap), KW_I(now)), &n, err);
    if (rc || n == 0)
        return rc;
    return position_event(db, c->user, c->pos, "worked", now, err);
}

/* The position moved on before this call's outcome was booked: the call is
 * closed anyway, or its wallet would wait for recover() forever. */
static int close_stale(kw_db *db, const change *c, int64_t now, kw_err *err)
{
    return c->tx ? tx_close(db, c->tx, "failed", "the position was already resolved", now, err) : 0;
}

static int harvested_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    int64_t n, stake, now = now_ms(c->f);
    int rc = kw_db_exec(db, &SQL_HARVESTED, KW_ARGS(KW_I(c->pos), KW_I(c->amount), KW_I(now)), &n, err);
    if (rc || n == 0)
        return rc ? rc : close_stale(db, c, now, err);
    if ((rc = kw_db_query_int(db, &SQL_STAKE, KW_ARGS(KW_I(c->pos)), &stake, err)) ||
        (rc = post_chain(db, KW_ACCT_USER_ESCROW, c->user, KW_ACCT_CHAIN_IN, stake + c->amount, "harvest", c->pos, now,
                         err)) ||
        (c->tx && (rc = tx_close(db, c->tx, "succeeded", NULL, now, err))))
        return rc;
    return position_event(db, c->user, c->pos, "harvested", now, err);
}

static int failed_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    int64_t n, now = now_ms(c->f);
    int rc = kw_db_exec(db, &SQL_FAILED, KW_ARGS(KW_I(c->pos), KW_T(c->error), KW_I(now)), &n, err);
    if (rc || n == 0)
        return rc ? rc : close_stale(db, c, now, err);
    if (c->tx && (rc = tx_close(db, c->tx, "failed", c->error, now, err)))
        return rc;
    return position_event(db, c->user, c->pos, "failed", now, err);
}

static int tx_failed_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    return tx_close(db, c->tx, "failed", c->error, now_ms(c->f), err);
}

static int balance_event(kw_db *db, int64_t user, const char *reason, int64_t now, kw_err *err)
{
    int64_t avail, esc;
    char a[KW_AMOUNT_BUFSZ], e[KW_AMOUNT_BUFSZ];
    int rc = kw_ledger_user_balances(db, user, &avail, &esc, err);
    if (rc)
        return rc;
    json_t *ev = json_pack("{s:s,s:s,s:s}", "available", kw_amount_format(avail, a), "escrow",
                           kw_amount_format(esc, e), "reason", reason);
    return kw_events_append(db, KW_EV_BALANCE_CHANGED, user, -1, ev, now, NULL, err);
}

static int deposit_done_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    int64_t now = now_ms(c->f);
    /* The treasury's wallet holds the weather reserve: what it receives is the reserve's. */
    bool reserve = c->user == c->f->treasury_user;
    int rc = post_chain(db, reserve ? KW_ACCT_WEATHER_RESERVE : KW_ACCT_USER_AVAILABLE, c->user, KW_ACCT_CHAIN_IN,
                        c->amount, reserve ? "reserve_deposit" : "deposit", c->tx, now, err);
    if (rc || (rc = tx_close(db, c->tx, "succeeded", NULL, now, err)) || reserve)
        return rc;
    return balance_event(db, c->user, "deposit", now, err);
}

static int withdrawal_done_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    return tx_close(db, c->tx, "succeeded", NULL, now_ms(c->f), err);
}

/* A withdrawal the chain refused gives the money back. */
static int withdrawal_refund_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    int64_t now = now_ms(c->f), out, avail;
    int rc = kw_ledger_account(db, KW_ACCT_CHAIN_OUT, 0, &out, err);
    if (rc || (rc = kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, c->user, &avail, err)))
        return rc;
    char ref[24];
    snprintf(ref, sizeof ref, "%lld", (long long)c->tx);
    kw_ledger_line lines[] = {{out, -c->amount}, {avail, c->amount}};
    kw_ledger_entry e = {.kind = "withdrawal_refund", .ref = ref, .memo = c->error, .lines = lines, .nlines = 2,
                         .at_ms = now};
    if ((rc = kw_ledger_post(db, &e, NULL, err)) || (rc = tx_close(db, c->tx, "failed", c->error, now, err)))
        return rc;
    return balance_event(db, c->user, "withdrawal_refund", now, err);
}

static const kw_sql SQL_TX_AGAIN = {
    .sql = "UPDATE chain_transactions SET status = 'pending', updated_at = $2 WHERE id = $1 AND status = 'submitted'"};

static int retry_later_tx(kw_db *db, void *ctx, kw_err *err)
{
    change *c = ctx;
    return kw_db_exec(db, &SQL_TX_AGAIN, KW_ARGS(KW_I(c->tx), KW_I(now_ms(c->f))), NULL, err);
}

static int apply(kw_farming *f, int (*fn)(kw_db *, void *, kw_err *), change *c, kw_err *err)
{
    c->f = f;
    return kw_store_tx(f->store, fn, c, err);
}

static int fail_position(kw_farming *f, int64_t pos, int64_t user, int64_t tx, const char *why, kw_err *err)
{
    f->stats.failed++;
    KW_LOG(KW_LOG_WARN, "farm position failed", KW_LI("position", pos), KW_LS("error", why));
    return apply(f, failed_tx, &(change){.pos = pos, .user = user, .tx = tx, .error = why}, err);
}

/* ---- wallets with a call of unknown outcome -------------------------------- */

/* recover() reads the outcome of a harvest, deposit or withdrawal that ended
 * without an answer (a crash, a timeout, a fault after the call took effect)
 * from how the wallet's balance changed since the intent. That is exact only
 * while nothing else moves the wallet's funds, so until recover() has settled
 * it, a wallet with such a call is left alone: no top-up, plant, harvest or
 * transfer touches it. */
typedef struct busy {
    int64_t *users;
    int n, cap;
} busy;

static bool busy_has(const busy *b, int64_t user)
{
    for (int i = 0; i < b->n; i++)
        if (b->users[i] == user)
            return true;
    return false;
}

static int busy_add(busy *b, int64_t user, kw_err *err)
{
    if (busy_has(b, user))
        return 0;
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 64;
        int64_t *grown = realloc(b->users, (size_t)cap * sizeof *grown);
        if (!grown)
            return kw_err_set(err, KW_ENOMEM, "out of memory");
        b->users = grown, b->cap = cap;
    }
    b->users[b->n++] = user;
    return 0;
}

static int busy_load(kw_farming *f, busy *b, kw_err *err)
{
    kw_db *db;
    kw_rows *r;
    int rc = kw_store_acquire(f->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    if ((rc = kw_db_query(db, &SQL_UNRESOLVED, KW_NOARGS, &r, err)) == 0) {
        while ((rc = kw_rows_next(r, err)) == 1 && (rc = busy_add(b, kw_rows_int(r, 0), err)) == 0)
            ;
        kw_rows_close(r);
    }
    kw_store_release(f->store, db);
    return rc < 0 ? rc : 0;
}

/* ---- recovery of calls interrupted by a crash ------------------------------ */

static int64_t json_int_field(const char *text, const char *key)
{
    json_t *j = json_loads(text, 0, NULL);
    int64_t v = j ? json_integer_value(json_object_get(j, key)) : 0;
    json_decref(j);
    return v;
}

static int recover_one(kw_farming *f, int64_t tx, const char *kind, wallet *w, int64_t pos, int64_t block,
                       int64_t amount, const char *result, kw_err *err)
{
    kw_chain_pail pail;
    kw_err cerr = {0};
    if (strcmp(kind, "plant") == 0) {
        int rc = kw_chain_pail_get(f->chain, w->key, (uint32_t)block, &pail, &cerr);
        if (rc == 0)
            return apply(f, planted_tx, &(change){.pos = pos, .user = w->user_id, .tx = tx, .amount = amount,
                                                   .index = (uint32_t)block}, err);
        if (rc != KW_ENOTFOUND)
            return 0; /* the chain is unreachable: try again next tick */
        return apply(f, tx_failed_tx, &(change){.tx = tx, .error = "plant did not land"}, err);
    }
    int64_t now_bal;
    if (balance_of(f, w, &now_bal, &cerr) != 0)
        return 0;
    int64_t before = json_int_field(result, "balance_before");
    if (strcmp(kind, "harvest") == 0) {
        int64_t stake;
        kw_db *db;
        int rc = kw_store_acquire(f->store, KW_DB_READ, &db, err);
        if (rc)
            return rc;
        rc = kw_db_query_int(db, &SQL_STAKE, KW_ARGS(KW_I(pos)), &stake, err);
        kw_store_release(f->store, db);
        if (rc)
            return rc;
        int prc = kw_chain_pail_get(f->chain, w->key, (uint32_t)block, &pail, &cerr);
        if (prc == 0)   /* the harvest did not happen: let the tick redo it */
            return apply(f, tx_failed_tx, &(change){.tx = tx, .error = "harvest did not land"}, err);
        if (prc != KW_ENOTFOUND)
            return 0;
        /* This wallet's funds move only on this thread, one call at a time, so
         * the balance change since the intent is exactly what the harvest paid. */
        int64_t reward = now_bal - before - stake;
        if (reward < 0)
            return fail_position(f, pos, w->user_id, tx, "harvest outcome unknown after restart", err);
        f->stats.harvested++;
        return apply(f, harvested_tx, &(change){.pos = pos, .user = w->user_id, .tx = tx, .amount = reward}, err);
    }
    /* deposit and withdrawal: done when the balance moved by the amount */
    bool deposit = strcmp(kind, "deposit") == 0;
    bool landed = deposit ? now_bal >= before + amount : now_bal <= before - amount;
    change c = {.tx = tx, .user = w->user_id, .amount = amount};
    if (landed)
        return apply(f, deposit ? deposit_done_tx : withdrawal_done_tx, &c, err);
    return apply(f, retry_later_tx, &c, err);
}

/* ---- the three farming steps ---------------------------------------------- */

typedef struct prow {
    int64_t id, user, stake, block;
    wallet w;
} prow;

static int load_positions(kw_farming *f, const char *status, prow *rows, int *n, kw_err *err)
{
    kw_db *db;
    kw_rows *r;
    *n = 0;
    int rc = kw_store_acquire(f->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    if ((rc = kw_db_query(db, &SQL_POSITIONS, KW_ARGS(KW_T(status), KW_I(BATCH)), &r, err)) == 0) {
        while ((rc = kw_rows_next(r, err)) == 1) {
            prow *p = &rows[*n];
            p->id = kw_rows_int(r, 0);
            p->user = kw_rows_int(r, 1);
            p->stake = kw_rows_int(r, 2);
            p->block = kw_rows_int(r, 3);
            if ((rc = wallet_set(f, &p->w, p->user, kw_rows_text(r, 4), kw_rows_text(r, 5), err)) != 0)
                break;
            (*n)++;
        }
        kw_rows_close(r);
    }
    kw_store_release(f->store, db);
    if (rc < 0) {
        for (int i = 0; i < *n; i++)
            wallet_clear(&rows[i].w);
        *n = 0;
        return rc;
    }
    return 0;
}

static void free_positions(prow *rows, int n)
{
    for (int i = 0; i < n; i++)
        wallet_clear(&rows[i].w);
}

static int treasury(kw_farming *f, wallet *t, kw_err *err)
{
    kw_db *db;
    kw_rows *r;
    int rc = kw_store_acquire(f->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    if ((rc = kw_db_query(db, &SQL_TREASURY, KW_ARGS(KW_I(f->treasury_user)), &r, err)) == 0) {
        rc = kw_rows_next(r, err);
        rc = rc == 1 ? wallet_set(f, t, f->treasury_user, kw_rows_text(r, 0), kw_rows_text(r, 1), err)
                     : rc == 0 ? kw_err_set(err, KW_ENOTFOUND, "the treasury wallet is missing") : rc;
        kw_rows_close(r);
    }
    kw_store_release(f->store, db);
    return rc;
}

/* Makes sure w holds `need` on chain, moving the shortfall from the treasury
 * (KW_ETRANSIENT while the treasury has a call of unknown outcome). */
static int top_up(kw_farming *f, const busy *b, wallet *w, int64_t need, kw_err *err)
{
    int64_t have;
    int rc = balance_of(f, w, &have, err);
    if (rc || have >= need)
        return rc;
    if (busy_has(b, f->treasury_user))
        return kw_err_set(err, KW_ETRANSIENT, "the treasury has a transfer of unknown outcome; topping up later");
    wallet t;
    if ((rc = treasury(f, &t, err)) != 0)
        return rc;
    call c = {.f = f, .w = &t, .to = w->key, .amount = need - have};
    rc = kw_retry_call(f->retry, do_transfer, &c, err);
    wallet_clear(&t);
    if (rc == 0)
        f->stats.topups++;
    return rc;
}

static bool user_planted_in(kw_farming *f, int64_t user, uint32_t index)
{
    kw_db *db;
    int64_t n = 1;
    if (kw_store_acquire(f->store, KW_DB_READ, &db, NULL) != 0)
        return true;
    if (kw_db_query_int(db, &SQL_USER_BUSY, KW_ARGS(KW_I(user), KW_I(index)), &n, NULL) != 0)
        n = 1;
    kw_store_release(f->store, db);
    return n > 0;
}

static int plant_step(kw_farming *f, const kw_chain_status *s, busy *b, kw_err *err)
{
    /* A plant needs room in its block for at least two ledgers and some work. */
    int64_t left_ms = ((int64_t)s->block.timestamp + f->chain->block_seconds) * 1000 - now_ms(f);
    if (s->has_block && left_ms < 3 * (int64_t)f->chain->ledger_ms)
        return 0;
    prow *rows = calloc(BATCH, sizeof *rows);
    int n = 0, rc = rows ? load_positions(f, "pending", rows, &n, err) : kw_err_set(err, KW_ENOMEM, "out of memory");
    for (int i = 0; i < n && rc == 0; i++) {
        prow *p = &rows[i];
        if (p->block >= 0 || busy_has(b, p->user) || user_planted_in(f, p->user, s->farm_index))
            continue; /* an earlier call is in flight, or the user's pail here is taken */
        kw_err cerr = {0};
        if (top_up(f, b, &p->w, p->stake, &cerr) != 0) {
            if (cerr.code != KW_ETRANSIENT)
                rc = fail_position(f, p->id, p->user, 0, cerr.msg, err);
            continue;
        }
        int64_t tx;
        if ((rc = open_tx(f, "plant", p->user, p->id, s->farm_index, p->stake, "{}", &tx, err)) != 0)
            break;
        call c = {.f = f, .w = &p->w, .amount = p->stake};
        int crc = kw_retry_call(f->retry, do_plant, &c, &cerr);
        if (crc == 0) {
            f->stats.planted++;
            rc = apply(f, planted_tx, &(change){.pos = p->id, .user = p->user, .tx = tx, .amount = p->stake,
                                                 .index = c.index}, err);
        } else if (crc == KW_ETRANSIENT || (crc == KW_ECHAIN && cerr.code == KW_KALE_EPAIL_EXISTS)) {
            rc = busy_add(b, p->user, err); /* it may have landed: recover() reads the pail next tick */
        } else {
            rc = fail_position(f, p->id, p->user, tx, cerr.msg, err);
        }
    }
    free_positions(rows, n);
    free(rows);
    return rc;
}

static int work_step(kw_farming *f, const kw_chain_status *s, kw_err *err)
{
    prow *rows = calloc(BATCH, sizeof *rows);
    kw_miner_job *jobs = calloc(BATCH, sizeof *jobs);
    kw_miner_result *res = calloc(BATCH, sizeof *res);
    int *idx = calloc(BATCH, sizeof *idx);
    int n = 0, m = 0, rc = rows && jobs && res && idx ? load_positions(f, "planted", rows, &n, err)
                                                    : kw_err_set(err, KW_ENOMEM, "out of memory");
    for (int i = 0; i < n && rc == 0; i++) {
        prow *p = &rows[i];
        if (p->block < (int64_t)s->farm_index) {
            rc = fail_position(f, p->id, p->user, 0, "the block closed before its work was accepted", err);
            continue;
        }
        kw_chain_pail pail;
        kw_err cerr;
        if (kw_chain_pail_get(f->chain, p->w.key, (uint32_t)p->block, &pail, &cerr) != 0 ||
            s->ledger_seq <= pail.sequence)
            continue; /* no gap yet, or the chain is unreachable */
        if (pail.worked) {  /* worked before a crash */
            rc = apply(f, worked_tx, &(change){.pos = p->id, .user = p->user, .zeros = pail.zeros, .gap = pail.gap}, err);
            continue;
        }
        f->rng ^= f->rng << 13, f->rng ^= f->rng >> 7, f->rng ^= f->rng << 17;
        jobs[m] = (kw_miner_job){.index = s->farm_index, .first_nonce = f->rng >> 8};
        memcpy(jobs[m].entropy, s->block.entropy, 32);
        memcpy(jobs[m].farmer, p->w.key, 32);
        idx[m++] = i;
    }
    if (rc == 0 && m > 0) {
        int64_t left_ms = ((int64_t)s->block.timestamp + f->chain->block_seconds) * 1000 - now_ms(f);
        double budget = f->work_seconds;
        double room = (double)(left_ms - 2 * (int64_t)f->chain->ledger_ms) / 1000.0;
        if (room < budget)
            budget = room > 0.05 ? room : 0.05;
        kw_miner_budget b = {.seconds = budget};
        if (f->work_hashes)
            b = (kw_miner_budget){.hashes = f->work_hashes * (uint64_t)m};
        kw_miner_stats st;
        rc = kw_miner_search(f->miner, jobs, (size_t)m, &b, NULL, res, &st, err);
        f->stats.hashes += st.hashes;
        f->stats.hash_seconds += st.seconds;
        for (int k = 0; k < m && rc == 0; k++) {
            prow *p = &rows[idx[k]];
            kw_err cerr = {0};
            call c = {.f = f, .w = &p->w, .hash = res[k].hash, .nonce = res[k].nonce};
            int crc = kw_retry_call(f->retry, do_work, &c, &cerr);
            if (crc == 0) {
                f->stats.worked++;
                rc = apply(f, worked_tx, &(change){.pos = p->id, .user = p->user, .nonce = res[k].nonce,
                                                    .zeros = res[k].zeros, .gap = c.gap}, err);
            } else if (crc == KW_ECHAIN && cerr.code == KW_KALE_EZERO_COUNT_TOO_LOW) {
                continue; /* an earlier submission landed; the pail says so next tick */
            } else if (crc == KW_ECHAIN && cerr.code != KW_KALE_EGAP_COUNT_TOO_LOW) {
                rc = fail_position(f, p->id, p->user, 0, cerr.msg, err);
            }
        }
    }
    free_positions(rows, n);
    free(rows);
    free(jobs);
    free(res);
    free(idx);
    return rc;
}

static int harvest_step(kw_farming *f, const kw_chain_status *s, busy *b, kw_err *err)
{
    prow *rows = calloc(BATCH, sizeof *rows);
    int n = 0, rc = rows ? load_positions(f, "worked", rows, &n, err) : kw_err_set(err, KW_ENOMEM, "out of memory");
    for (int i = 0; i < n && rc == 0; i++) {
        prow *p = &rows[i];
        if (p->block >= (int64_t)s->farm_index || busy_has(b, p->user))
            continue;
        int64_t before, tx;
        kw_err cerr = {0};
        if (balance_of(f, &p->w, &before, &cerr) != 0)
            continue;
        char result[64];
        snprintf(result, sizeof result, "{\"balance_before\":%lld}", (long long)before);
        if ((rc = open_tx(f, "harvest", p->user, p->id, p->block, p->stake, result, &tx, err)) != 0)
            break;
        call c = {.f = f, .w = &p->w, .index = (uint32_t)p->block};
        int crc = kw_retry_call(f->retry, do_harvest, &c, &cerr);
        if (crc == 0) {
            f->stats.harvested++;
            rc = apply(f, harvested_tx, &(change){.pos = p->id, .user = p->user, .tx = tx, .amount = c.reward}, err);
        } else if (crc == KW_ETRANSIENT || (crc == KW_ECHAIN && cerr.code == KW_KALE_EPAIL_MISSING)) {
            rc = busy_add(b, p->user, err); /* it may have landed: recover() reads the balance next tick */
        } else if (crc == KW_ECHAIN && cerr.code == KW_KALE_EHARVEST_NOT_READY) {
            rc = apply(f, tx_failed_tx, &(change){.tx = tx, .error = cerr.msg}, err);
        } else {
            rc = fail_position(f, p->id, p->user, tx, cerr.msg, err);
        }
    }
    free_positions(rows, n);
    free(rows);
    return rc;
}

/* ---- deposits and withdrawals --------------------------------------------- */

static int recover(kw_farming *f, kw_err *err)
{
    kw_db *db;
    kw_rows *r;
    typedef struct pend {
        int64_t tx, pos, block, amount;
        char kind[16];
        char *result;
        wallet w;
    } pend;
    pend list[16];
    int n = 0;
    int rc = kw_store_acquire(f->store, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    if ((rc = kw_db_query(db, &SQL_TX_SUBMITTED, KW_NOARGS, &r, err)) == 0) {
        while (n < 16 && (rc = kw_rows_next(r, err)) == 1) {
            pend *p = &list[n];
            p->tx = kw_rows_int(r, 0);
            snprintf(p->kind, sizeof p->kind, "%s", kw_rows_text(r, 1));
            p->pos = kw_rows_int(r, 3);
            p->block = kw_rows_int(r, 4);
            p->amount = kw_rows_int(r, 5);
            p->result = strdup(kw_rows_text(r, 6));
            if (!p->result || (rc = wallet_set(f, &p->w, kw_rows_int(r, 2), kw_rows_text(r, 7), kw_rows_text(r, 8), err))) {
                free(p->result);
                rc = rc ? rc : kw_err_set(err, KW_ENOMEM, "out of memory");
                break;
            }
            n++;
        }
        kw_rows_close(r);
    }
    kw_store_release(f->store, db);
    for (int i = 0; i < n; i++) {
        if (rc >= 0)
            rc = recover_one(f, list[i].tx, list[i].kind, &list[i].w, list[i].pos, list[i].block, list[i].amount,
                             list[i].result, err);
        free(list[i].result);
        wallet_clear(&list[i].w);
    }
    return rc < 0 ? rc : 0;
}

static int transfers_step(kw_farming *f, busy *b, kw_err *err)
{
    kw_db *db;
    kw_rows *r;
    typedef struct job {
        int64_t tx, amount;
        char kind[16], to[KW_STRKEY_BUFSZ];
        wallet w;
    } job;
    job *jobs = calloc(64, sizeof *jobs);
    int n = 0;
    int rc = jobs ? kw_store_acquire(f->store, KW_DB_READ, &db, err) : kw_err_set(err, KW_ENOMEM, "out of memory");
    if (rc) {
        free(jobs);
        return rc;
    }
    if ((rc = kw_db_query(db, &SQL_TX_PENDING, KW_ARGS(KW_I(64)), &r, err)) == 0) {
        while ((rc = kw_rows_next(r, err)) == 1) {
            job *j = &jobs[n];
            j->tx = kw_rows_int(r, 0);
            snprintf(j->kind, sizeof j->kind, "%s", kw_rows_text(r, 1));
            j->amount = kw_rows_int(r, 3);
            json_t *res = json_loads(kw_rows_text(r, 4), 0, NULL);
            snprintf(j->to, sizeof j->to, "%s", res ? json_string_value(json_object_get(res, "to")) ?: "" : "");
            json_decref(res);
            if ((rc = wallet_set(f, &j->w, kw_rows_int(r, 2), kw_rows_text(r, 5), kw_rows_text(r, 6), err)) != 0)
                break;
            n++;
        }
        kw_rows_close(r);
    }
    kw_store_release(f->store, db);
    for (int i = 0; i < n && rc >= 0; i++) {
        job *j = &jobs[i];
        bool deposit = strcmp(j->kind, "deposit") == 0;
        uint8_t to[32];
        kw_err cerr = {0};
        int64_t before;
        if (busy_has(b, j->w.user_id))
            continue;
        if (!deposit && (kw_strkey_decode(KW_STRKEY_ACCOUNT, j->to, to, &cerr) != 0 ||
                         top_up(f, b, &j->w, j->amount, &cerr) != 0)) {
            if (cerr.code != KW_ETRANSIENT)
                rc = apply(f, withdrawal_refund_tx, &(change){.tx = j->tx, .user = j->w.user_id, .amount = j->amount,
                                                                .error = cerr.msg}, err);
            continue;
        }
        if (balance_of(f, &j->w, &before, &cerr) != 0)
            continue;
        char result[160];
        snprintf(result, sizeof result, "{\"balance_before\":%lld,\"to\":\"%s\"}", (long long)before, j->to);
        if ((rc = kw_store_acquire(f->store, KW_DB_WRITE, &db, err)) != 0)
            break;
        rc = kw_db_exec(db, &SQL_TX_SUBMIT, KW_ARGS(KW_I(j->tx), KW_T(result), KW_I(now_ms(f))), NULL, err);
        kw_store_release(f->store, db);
        if (rc)
            break;
        /* One attempt: a mint or transfer is not refused when repeated, so a
         * transient failure is settled by recover() from the balance instead. */
        call c = {.f = f, .w = &j->w, .amount = j->amount, .to = to};
        int crc = deposit ? do_faucet(&c, &cerr) : do_transfer(&c, &cerr);
        change ch = {.tx = j->tx, .user = j->w.user_id, .amount = j->amount, .error = cerr.msg};
        if (crc == 0) {
            deposit ? f->stats.deposits++ : f->stats.withdrawals++;
            rc = apply(f, deposit ? deposit_done_tx : withdrawal_done_tx, &ch, err);
        } else if (crc != KW_ETRANSIENT) {
            rc = apply(f, deposit ? tx_failed_tx : withdrawal_refund_tx, &ch, err);
        } else {
            rc = busy_add(b, j->w.user_id, err);
        }
    }
    for (int i = 0; i < n; i++)
        wallet_clear(&jobs[i].w);
    free(jobs);
    return rc < 0 ? rc : 0;
}

int kw_farming_tick(kw_farming *f, const kw_chain_status *s, kw_err *err)
{
    busy b = {0};
    int rc;
    if ((rc = recover(f, err)) || (rc = busy_load(f, &b, err)) || (rc = transfers_step(f, &b, err)) ||
        (rc = harvest_step(f, s, &b, err)))
        goto done;
    if (s->paused || !s->has_block)
        goto done;
    if ((rc = work_step(f, s, err)) == 0)
        rc = plant_step(f, s, &b, err);
done:
    free(b.users);
    return rc;
}

/* One deposit or withdrawal request, with its Idempotency-Key record in the
 * same transaction (engine/idem.h). */
typedef struct transfer_request {
    const kw_transfer_req *q;
    const char *kind;
    kw_idem idem;         /* when q->idempotency_key is set */
    kw_transfer_res *res;
} transfer_request;

static int request_tx(kw_db *db, void *ctx, kw_err *err)
{
    transfer_request *r = ctx;
    const kw_transfer_req *q = r->q;
    bool withdrawal = strcmp(r->kind, "withdrawal") == 0;
    *r->res = (kw_transfer_res){0};
    int rc;
    if (q->idempotency_key) {
        char *stored;
        if ((rc = kw_idem_find(db, &r->idem, q->now_ms, &stored, err)) == 1) {
            r->res->tx_id = json_int_field(stored, "id");
            r->res->replayed = true;
            free(stored);
            return 0;
        }
        if (rc)
            return rc;
    }
    char result[96] = "{}";
    if (withdrawal)
        snprintf(result, sizeof result, "{\"to\":\"%s\"}", q->to);
    if ((rc = kw_db_query_int(db, &SQL_TX_REQUEST,
                              KW_ARGS(KW_T(r->kind), KW_I(q->user_id), KW_I(q->amount), KW_T(result), KW_I(q->now_ms)),
                              &r->res->tx_id, err)) != 0)
        return rc;
    if (withdrawal &&
        ((rc = post_chain(db, KW_ACCT_USER_AVAILABLE, q->user_id, KW_ACCT_CHAIN_OUT, q->amount, "withdrawal",
                          r->res->tx_id, q->now_ms, err)) ||
         (rc = balance_event(db, q->user_id, "withdrawal", q->now_ms, err))))
        return rc;
    if (!q->idempotency_key)
        return 0;
    char stored[48];
    snprintf(stored, sizeof stored, "{\"id\":%lld}", (long long)r->res->tx_id);
    return kw_idem_put(db, &r->idem, 202, stored, q->now_ms, err);
}

static int queue_transfer(kw_store *st, const char *kind, const kw_transfer_req *q, kw_transfer_res *res, kw_err *err)
{
    transfer_request r = {.q = q, .kind = kind, .res = res};
    char canon[160];
    int n = snprintf(canon, sizeof canon, "%s|%lld|%lld|%s", kind, (long long)q->user_id, (long long)q->amount,
                     q->to ? q->to : "");
    if (q->idempotency_key && kw_idem_init(&r.idem, kind, q->caller_id, q->idempotency_key, canon, (size_t)n, err) != 0)
        return KW_EINVAL;
    return kw_store_tx(st, request_tx, &r, err);
}

int kw_farming_request_deposit(kw_store *st, const kw_transfer_req *q, kw_transfer_res *res, kw_err *err)
{
    return queue_transfer(st, "deposit", q, res, err);
}

int kw_farming_request_withdrawal(kw_store *st, const kw_transfer_req *q, kw_transfer_res *res, kw_err *err)
{
    uint8_t raw[32];
    int rc = kw_strkey_decode(KW_STRKEY_ACCOUNT, q->to ? q->to : "", raw, err);
    return rc ? rc : queue_transfer(st, "withdrawal", q, res, err);
}
