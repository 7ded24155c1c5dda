#include "store/ledger.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"user_available", "user_escrow", "weather_reserve", "chain_in",
                                         "chain_out"};

static const kw_sql OPEN_USER = {
    .sql = "INSERT INTO ledger_accounts (kind, user_id, balance, created_at) "
           "VALUES ('user_available', $1, 0, $2), ('user_escrow', $1, 0, $2) ON CONFLICT DO NOTHING"};
static const kw_sql USER_ACCOUNT = {.sql = "SELECT id FROM ledger_accounts WHERE kind = $1 AND user_id = $2"};
static const kw_sql SYSTEM_ACCOUNT = {.sql = "SELECT id FROM ledger_accounts WHERE kind = $1 AND user_id IS NULL"};
static const kw_sql INSERT_ENTRY = {
    .sql = "INSERT INTO ledger_entries (kind, ref, memo, line_count, created_at) "
           "VALUES ($1, $2, $3, $4, $5) RETURNING id"};
static const kw_sql INSERT_LINE = {
    .sql = "INSERT INTO ledger_lines (entry_id, account_id, amount) VALUES ($1, $2, $3)"};
/* The guard keeps a PostgreSQL transaction usable on overdraft, so the caller
 * gets KW_EFUNDS with the account named; the CHECK constraint stays the backstop. */
static const kw_sql APPLY = {
    .sql = "UPDATE ledger_accounts SET balance = balance + $1 "
           "WHERE id = $2 AND (balance + $1 >= 0 OR kind IN ('chain_in', 'chain_out'))"};
static const kw_sql DESCRIBE = {.sql = "SELECT kind, user_id, balance FROM ledger_accounts WHERE id = $1"};
static const kw_sql BALANCE = {.sql = "SELECT balance FROM ledger_accounts WHERE id = $1"};
static const kw_sql USER_BALANCES = {
    .sql = "SELECT kind, balance FROM ledger_accounts WHERE user_id = $1"};
static const kw_sql CHECK_ENTRIES = {
    .sql = "SELECT COUNT(*), COALESCE(SUM(CASE WHEN s <> 0 THEN 1 ELSE 0 END), 0), "
           "COALESCE(SUM(CASE WHEN n <> line_count THEN 1 ELSE 0 END), 0) FROM "
           "(SELECT e.id, e.line_count, COALESCE(SUM(l.amount), 0) AS s, COUNT(l.id) AS n "
           " FROM ledger_entries e LEFT JOIN ledger_lines l ON l.entry_id = e.id "
           " GROUP BY e.id, e.line_count) x"};
static const kw_sql CHECK_DRIFT = {
    .sql = "SELECT COUNT(*) FROM ledger_accounts a WHERE a.balance <> "
           "COALESCE((SELECT SUM(l.amount) FROM ledger_lines l WHERE l.account_id = a.id), 0)"};
static const kw_sql CHECK_TOTALS = {
    .sql = "SELECT kind, COALESCE(SUM(balance), 0), "
           "COALESCE(SUM(CASE WHEN balance < 0 THEN 1 ELSE 0 END), 0) "
           "FROM ledger_accounts GROUP BY kind"};

const char *kw_ledger_kind_name(kw_ledger_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "unknown";
}

static bool is_user_kind(kw_ledger_kind k)
{
    return k == KW_ACCT_USER_AVAILABLE || k == KW_ACCT_USER_ESCROW;
}

int kw_ledger_open_user(kw_db *db, int64_t user_id, int64_t at_ms, kw_err *err)
{
    return kw_db_exec(db, &OPEN_USER, KW_ARGS(KW_I(user_id), KW_I(at_ms)), NULL, err);
}

int kw_ledger_account(kw_db *db, kw_ledger_kind kind, int64_t user_id, int64_t *id, kw_err *err)
{
    if ((unsigned)kind > KW_ACCT_CHAIN_OUT || is_user_kind(kind) != (user_id > 0))
        return kw_err_set(err, KW_EINVAL, "%s accounts %s a user", kw_ledger_kind_name(kind),
                          is_user_kind(kind) ? "belong to" : "do not belong to");
    int rc = is_user_kind(kind)
                 ? kw_db_query_int(db, &USER_ACCOUNT, KW_ARGS(KW_T(kind_names[kind]), KW_I(user_id)), id, err)
                 : kw_db_query_int(db, &SYSTEM_ACCOUNT, KW_ARGS(KW_T(kind_names[kind])), id, err);
    if (rc == KW_ENOTFOUND)
        return kw_err_set(err, rc, "no %s account%s", kind_names[kind], user_id > 0 ? " for that user" : "");
    return rc;
}

static int line_cmp(const void *a, const void *b)
{
    const kw_ledger_line *x = a, *y = b;
    return (x->account > y->account) - (x->account < y->account);
}

/* Why a guarded update touched no row: the account is missing or would overdraw. */
static int explain(kw_db *db, const kw_ledger_line *l, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, &DESCRIBE, KW_ARGS(KW_I(l->account)), &r, err);
    if (rc)
        return rc;
    if ((rc = kw_rows_next(r, err)) == 1) {
        if (kw_rows_is_null(r, 1))
            rc = kw_err_set(err, KW_EFUNDS, "insufficient funds: %s would go from %lld to %lld",
                            kw_rows_text(r, 0), (long long)kw_rows_int(r, 2),
                            (long long)kw_rows_int(r, 2) + (long long)l->amount);
        else
            rc = kw_err_set(err, KW_EFUNDS, "insufficient funds: %s of user %lld holds %lld, needs %lld",
                            kw_rows_text(r, 0), (long long)kw_rows_int(r, 1), (long long)kw_rows_int(r, 2),
                            -(long long)l->amount);
    } else if (rc == 0) {
        rc = kw_err_set(err, KW_ENOTFOUND, "ledger account %lld does not exist", (long long)l->account);
    }
    kw_rows_close(r);
    return rc;
}

int kw_ledger_post(kw_db *db, const kw_ledger_entry *e, int64_t *entry_id, kw_err *err)
{
    if (!kw_db_in_tx(db))
        return kw_err_set(err, KW_ESTATE, "ledger postings must run inside a transaction");
    if (!e->kind || !*e->kind || strlen(e->kind) > 32)
        return kw_err_set(err, KW_EINVAL, "a ledger entry needs a kind of 1 to 32 characters");
    if (e->nlines < 2 || e->nlines > KW_LEDGER_MAX_LINES)
        return kw_err_set(err, KW_EINVAL, "a ledger entry needs 2 to %d lines, got %zu", KW_LEDGER_MAX_LINES,
                          e->nlines);
    kw_ledger_line lines[KW_LEDGER_MAX_LINES];
    __int128 sum = 0;
    for (size_t i = 0; i < e->nlines; i++) {
        if (e->lines[i].amount == 0)
            return kw_err_set(err, KW_EINVAL, "ledger entry %s: line %zu moves nothing", e->kind, i + 1);
        sum += e->lines[i].amount;
        lines[i] = e->lines[i];
    }
    if (sum != 0)
        return kw_err_set(err, KW_EINVAL, "ledger entry %s is unbalanced by %lld stroops", e->kind,
                          (long long)sum);
    /* A fixed lock order keeps concurrent PostgreSQL postings from deadlocking. */
    qsort(lines, e->nlines, sizeof *lines, line_cmp);

    int64_t id, changes;
    int rc = kw_db_query_int(db, &INSERT_ENTRY,
                             KW_ARGS(KW_T(e->kind), KW_T(e->ref), KW_T(e->memo ? e->memo : ""),
                                     KW_I(e->nlines), KW_I(e->at_ms)),
                             &id, err);
    if (rc == KW_ECONFLICT)
        return kw_err_set(err, rc, "ledger entry %s %s was already posted", e->kind, e->ref ? e->ref : "");
    if (rc)
        return rc;
    for (size_t i = 0; i < e->nlines; i++) {
        if ((rc = kw_db_exec(db, &APPLY, KW_ARGS(KW_I(lines[i].amount), KW_I(lines[i].account)), &changes,
                             err)) != 0)
            return rc;
        if (changes != 1)
            return explain(db, &lines[i], err);
        if ((rc = kw_db_exec(db, &INSERT_LINE, KW_ARGS(KW_I(id), KW_I(lines[i].account), KW_I(lines[i].amount)),
                             NULL, err)) != 0)
            return rc;
    }
    if (entry_id)
        *entry_id = id;
    return 0;
}

int kw_ledger_balance(kw_db *db, int64_t account, int64_t *balance, kw_err *err)
{
    int rc = kw_db_query_int(db, &BALANCE, KW_ARGS(KW_I(account)), balance, err);
    if (rc == KW_ENOTFOUND)
        return kw_err_set(err, rc, "ledger account %lld does not exist", (long long)account);
    return rc;
}

int kw_ledger_user_balances(kw_db *db, int64_t user_id, int64_t *available, int64_t *escrow, kw_err *err)
{
    kw_rows *r;
    *available = *escrow = 0;
    int rc = kw_db_query(db, &USER_BALANCES, KW_ARGS(KW_I(user_id)), &r, err);
    if (rc)
        return rc;
    while ((rc = kw_rows_next(r, err)) == 1) {
        if (strcmp(kw_rows_text(r, 0), kind_names[KW_ACCT_USER_AVAILABLE]) == 0)
            *available = kw_rows_int(r, 1);
        else
            *escrow = kw_rows_int(r, 1);
    }
    kw_rows_close(r);
    return rc < 0 ? rc : 0;
}

static int totals(kw_db *db, kw_ledger_report *rep, kw_err *err)
{
    kw_rows *r;
    int rc = kw_db_query(db, &CHECK_TOTALS, KW_NOARGS, &r, err);
    if (rc)
        return rc;
    while ((rc = kw_rows_next(r, err)) == 1) {
        const char *kind = kw_rows_text(r, 0);
        int64_t sum = kw_rows_int(r, 1), neg = kw_rows_int(r, 2);
        rep->net += sum;
        if (strcmp(kind, "chain_in") == 0) {
            rep->chain_in = sum;
        } else if (strcmp(kind, "chain_out") == 0) {
            rep->chain_out = sum;
        } else {
            rep->negative += neg;
            if (strcmp(kind, "weather_reserve") == 0)
                rep->reserve = sum;
            else
                rep->users_total += sum;
        }
    }
    kw_rows_close(r);
    return rc < 0 ? rc : 0;
}

int kw_ledger_check(kw_db *db, kw_ledger_report *out, kw_err *err)
{
    kw_ledger_report rep = {0};
    kw_rows *r;
    int rc = kw_db_query(db, &CHECK_ENTRIES, KW_NOARGS, &r, err);
    if (rc)
        return rc;
    if ((rc = kw_rows_next(r, err)) == 1) {
        rep.entries = kw_rows_int(r, 0);
        rep.unbalanced = kw_rows_int(r, 1);
        rep.incomplete = kw_rows_int(r, 2);
        rc = 0;
    }
    kw_rows_close(r);
    if (rc < 0 || (rc = kw_db_query_int(db, &CHECK_DRIFT, KW_NOARGS, &rep.drifted, err)) != 0 ||
        (rc = totals(db, &rep, err)) != 0)
        return rc;
    if (out)
        *out = rep;
    if (rep.unbalanced)
        return kw_err_set(err, KW_EINTERNAL, "ledger: %lld entries do not sum to zero", (long long)rep.unbalanced);
    if (rep.incomplete)
        return kw_err_set(err, KW_EINTERNAL, "ledger: %lld entries are missing lines", (long long)rep.incomplete);
    if (rep.drifted)
        return kw_err_set(err, KW_EINTERNAL, "ledger: %lld account balances differ from their lines",
                          (long long)rep.drifted);
    if (rep.negative)
        return kw_err_set(err, KW_EINTERNAL, "ledger: %lld user or reserve balances are negative",
                          (long long)rep.negative);
    if (rep.net)
        return kw_err_set(err, KW_EINTERNAL, "ledger: balances sum to %lld, not 0", (long long)rep.net);
    return 0;
}
