/*
 * Idempotency-Key records kept in the transaction of their effect
 * (engine/idem), and the deposits and withdrawals that use them: a key
 * queues its transfer at most once, whatever the HTTP layer remembered.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/farming.h"
#include "crypto/strkey.h"
#include "engine/idem.h"
#include "store/ledger.h"
#include "unit/store/fixture.h"

#define NOW INT64_C(1767225600000)
#define KALE INT64_C(10000000)

static kw_store *st;
static kw_db *db;

static void setup(void)
{
    st = kwt_open();
    kw_err e = {0};
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &e), 0, "%s", e.msg);
}

static void teardown(void)
{
    kw_store_release(st, db);
    kwt_close(st);
}

TestSuite(idem, .init = setup, .fini = teardown);

static kw_idem key(const char *k, const char *canon)
{
    kw_idem i;
    kw_err e = {0};
    cr_assert_eq(kw_idem_init(&i, "test", 7, k, canon, strlen(canon), &e), 0, "%s", e.msg);
    return i;
}

Test(idem, keys_of_1_to_255_characters)
{
    kw_idem i;
    kw_err e = {0};
    char k[300];
    memset(k, 'k', sizeof k);
    k[255] = 0;
    cr_assert_eq(kw_idem_init(&i, "test", 7, k, "x", 1, &e), 0);
    cr_assert_str_eq(i.scope, "test:7");
    k[255] = 'k', k[256] = 0;
    cr_assert_eq(kw_idem_init(&i, "test", 7, k, "x", 1, &e), KW_EINVAL);
    cr_assert_not_null(strstr(e.msg, "1 to 255"));
    cr_assert_eq(kw_idem_init(&i, "test", 7, "", "x", 1, &e), KW_EINVAL);
    cr_assert_eq(kw_idem_init(&i, "test", 7, NULL, "x", 1, &e), KW_EINVAL);
}

Test(idem, stored_result_replays_and_a_different_request_conflicts)
{
    kw_err e = {0};
    char *got;
    kw_idem a = key("k1", "plant|10");
    cr_assert_eq(kw_idem_find(db, &a, NOW, &got, &e), 0);
    cr_assert_null(got);
    cr_assert_eq(kw_idem_put(db, &a, 202, "{\"id\":42}", NOW, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_idem_find(db, &a, NOW + 1, &got, &e), 1);
    cr_assert_str_eq(got, "{\"id\":42}");
    free(got);
    /* the same key for another request */
    kw_idem b = key("k1", "plant|11");
    cr_assert_eq(kw_idem_find(db, &b, NOW, &got, &e), KW_ECONFLICT);
    cr_assert_null(got);
    /* a twin storing it again is told to run its transaction again */
    cr_assert_eq(kw_idem_put(db, &a, 202, "{\"id\":43}", NOW, &e), KW_ETRANSIENT);
    /* another scope is another key */
    kw_idem c;
    cr_assert_eq(kw_idem_init(&c, "test", 8, "k1", "plant|10", 8, &e), 0);
    cr_assert_eq(kw_idem_find(db, &c, NOW, &got, &e), 0);
}

Test(idem, an_expired_record_is_new_again)
{
    kw_err e = {0};
    char *got;
    kw_idem a = key("old", "x");
    cr_assert_eq(kw_idem_put(db, &a, 202, "{\"id\":1}", NOW, &e), 0);
    cr_assert_eq(kw_idem_find(db, &a, NOW + KW_IDEM_TTL_MS - 1, &got, &e), 1);
    free(got);
    cr_assert_eq(kw_idem_find(db, &a, NOW + KW_IDEM_TTL_MS, &got, &e), 0);
    cr_assert_eq(kw_idem_put(db, &a, 202, "{\"id\":2}", NOW + KW_IDEM_TTL_MS, &e), 0, "%s", e.msg);
}

static int64_t rows_of(const char *kind)
{
    static const kw_sql SQL = {.sql = "SELECT COUNT(*) FROM chain_transactions WHERE kind = $1"};
    int64_t n = -1;
    kw_err e = {0};
    cr_assert_eq(kw_db_query_int(db, &SQL, KW_ARGS(KW_T(kind)), &n, &e), 0, "%s", e.msg);
    return n;
}

static int64_t funded_user(const char *name, int64_t amount)
{
    kw_err e = {0};
    int64_t id = kwt_user(db, name), in, avail;
    cr_assert_eq(kw_db_begin(db, &e), 0);
    cr_assert_eq(kw_ledger_open_user(db, id, NOW, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_ledger_account(db, KW_ACCT_CHAIN_IN, 0, &in, &e), 0);
    cr_assert_eq(kw_ledger_account(db, KW_ACCT_USER_AVAILABLE, id, &avail, &e), 0);
    kw_ledger_line lines[] = {{in, -amount}, {avail, amount}};
    kw_ledger_entry en = {.kind = "deposit", .ref = name, .lines = lines, .nlines = 2, .at_ms = NOW};
    cr_assert_eq(kw_ledger_post(db, &en, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_db_commit(db, &e), 0);
    return id;
}

Test(idem, a_deposit_key_queues_one_deposit)
{
    kw_store_release(st, db); /* the requests take the writer themselves */
    kw_err e = {0};
    kw_db *r;
    kw_transfer_res t1, t2, t3;
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &r, &e), 0);
    int64_t u = kwt_user(r, "depositor");
    kw_store_release(st, r);
    kw_transfer_req q = {.user_id = u, .caller_id = u, .amount = 500 * KALE, .idempotency_key = "dep-1", .now_ms = NOW};
    cr_assert_eq(kw_farming_request_deposit(st, &q, &t1, &e), 0, "%s", e.msg);
    cr_assert_not(t1.replayed);
    cr_assert_eq(kw_farming_request_deposit(st, &q, &t2, &e), 0, "%s", e.msg);
    cr_assert(t2.replayed);
    cr_assert_eq(t2.tx_id, t1.tx_id);
    q.amount = 501 * KALE;
    cr_assert_eq(kw_farming_request_deposit(st, &q, &t3, &e), KW_ECONFLICT);
    /* without a key every request is a new one */
    q.idempotency_key = NULL;
    cr_assert_eq(kw_farming_request_deposit(st, &q, &t3, &e), 0);
    cr_assert_neq(t3.tx_id, t1.tx_id);
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &e), 0);
    cr_assert_eq(rows_of("deposit"), 2);
}

Test(idem, a_withdrawal_key_debits_once)
{
    kw_err e = {0};
    int64_t u = funded_user("withdrawer", 10 * KALE), other = funded_user("other", 10 * KALE);
    kw_store_release(st, db);
    char dest[KW_STRKEY_BUFSZ];
    kw_strkey_encode(KW_STRKEY_ACCOUNT, (const uint8_t[32]){1, 2, 3}, dest);
    kw_transfer_res t1, t2;
    kw_transfer_req q = {.user_id = u, .caller_id = u, .amount = 4 * KALE, .to = dest, .idempotency_key = "w-1",
                         .now_ms = NOW};
    cr_assert_eq(kw_farming_request_withdrawal(st, &q, &t1, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_farming_request_withdrawal(st, &q, &t2, &e), 0, "%s", e.msg);
    cr_assert(t2.replayed);
    cr_assert_eq(t2.tx_id, t1.tx_id);
    /* the same key from another user is that user's own */
    kw_transfer_req q2 = q;
    q2.user_id = q2.caller_id = other;
    cr_assert_eq(kw_farming_request_withdrawal(st, &q2, &t2, &e), 0, "%s", e.msg);
    cr_assert_not(t2.replayed);
    /* more than is left: refused, and the refusal is not remembered */
    q.idempotency_key = "w-2";
    q.amount = 7 * KALE;
    cr_assert_eq(kw_farming_request_withdrawal(st, &q, &t2, &e), KW_EFUNDS);
    q.amount = 6 * KALE;
    cr_assert_eq(kw_farming_request_withdrawal(st, &q, &t2, &e), 0, "%s", e.msg);
    cr_assert_not(t2.replayed);
    cr_assert_eq(kw_store_acquire(st, KW_DB_WRITE, &db, &e), 0);
    int64_t avail, esc;
    cr_assert_eq(kw_ledger_user_balances(db, u, &avail, &esc, &e), 0);
    cr_assert_eq(avail, 0);
    cr_assert_eq(rows_of("withdrawal"), 3);
}
