#include "engine/reconcile.h"

#include <stdio.h>
#include <string.h>

#include "crypto/strkey.h"

static const kw_sql SQL_WALLETS = {.sql = "SELECT public_key FROM custodial_wallets ORDER BY id"};
static const kw_sql SQL_IN_FLIGHT = {
    .sql = "SELECT COALESCE(SUM(amount), 0) FROM chain_transactions "
           "WHERE kind = 'withdrawal' AND status IN ('pending', 'submitted')"};

typedef struct balance_read {
    const kw_chain *chain;
    uint8_t key[32];
    int64_t balance;
} balance_read;

static int read_balance(void *ctx, kw_err *err)
{
    balance_read *b = ctx;
    return kw_chain_balance(b->chain, b->key, &b->balance, err);
}

int kw_reconcile(kw_store *st, const kw_chain *chain, kw_retry *retry, kw_reconcile_report *rep, kw_err *err)
{
    memset(rep, 0, sizeof *rep);
    kw_db *db;
    int rc = kw_store_acquire(st, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    kw_err lerr = {0};
    int lrc = kw_ledger_check(db, &rep->ledger, &lerr);
    rep->ledger_ok = lrc == 0;
    snprintf(rep->ledger_error, sizeof rep->ledger_error, "%s", lrc ? lerr.msg : "");
    if (lrc && lrc != KW_EINTERNAL) {
        kw_store_release(st, db);
        return kw_err_set(err, lrc, "%s", lerr.msg);
    }
    rep->owed = rep->ledger.users_total + rep->ledger.reserve;
    rc = kw_db_query_int(db, &SQL_IN_FLIGHT, KW_NOARGS, &rep->withdrawals_in_flight, err);
    kw_rows *rows;
    if (rc == 0 && (rc = kw_db_query(db, &SQL_WALLETS, KW_NOARGS, &rows, err)) == 0) {
        while ((rc = kw_rows_next(rows, err)) == 1) {
            balance_read b = {.chain = chain};
            if ((rc = kw_strkey_decode(KW_STRKEY_ACCOUNT, kw_rows_text(rows, 0), b.key, err)) ||
                (rc = retry ? kw_retry_call(retry, read_balance, &b, err) : read_balance(&b, err)))
                break;
            rep->chain_total += b.balance;
            rep->wallets++;
        }
        kw_rows_close(rows);
    }
    kw_store_release(st, db);
    if (rc < 0)
        return rc;
    rep->difference = rep->chain_total - rep->owed - rep->withdrawals_in_flight;
    rep->chain_ok = rep->difference == 0;
    if (!rep->ledger_ok)
        return kw_err_set(err, KW_EINTERNAL, "ledger check failed: %s", rep->ledger_error);
    if (!rep->chain_ok)
        return kw_err_set(err, KW_EINTERNAL, "chain and ledger differ by %lld stroops",
                          (long long)rep->difference);
    return 0;
}
