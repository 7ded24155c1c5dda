/*
 * ledger — the double-entry journal behind every balance (SPEC §8).
 *
 * Accounts: each user has user_available (spendable) and user_escrow (locked
 * in an action of the current cycle); the service has one weather_reserve,
 * one chain_in and one chain_out account.
 *
 * Sign convention: a line's amount is the change of its account's balance,
 * and the lines of an entry sum to zero. A user or reserve balance is what
 * kalewx owes to that party and can never be negative (the database enforces
 * it, so no interleaving of transactions can break it). chain_in and chain_out
 * are the contra accounts for value crossing the chain boundary and may have
 * any sign:
 *   - value arriving from the chain (a deposit, a harvest paying stake +
 *     reward) is debited to chain_in, which therefore runs negative, its
 *     magnitude the total that came in;
 *   - value leaving to the chain (a withdrawal, a stake planted) is credited
 *     to chain_out, which therefore runs positive.
 * Because every entry sums to zero, users + escrow + reserve
 * = −(chain_in + chain_out) = what came in − what went out, to the stroop.
 *
 * Every function works inside the caller's open write transaction, so a
 * balance change commits or vanishes with the state change that caused it.
 * After a failure the caller must roll the transaction back (store.h).
 *
 * Thread-safety: as the kw_db passed in.
 */
#ifndef KW_STORE_LEDGER_H
#define KW_STORE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef enum kw_ledger_kind {
    KW_ACCT_USER_AVAILABLE = 0,
    KW_ACCT_USER_ESCROW,
    KW_ACCT_WEATHER_RESERVE,
    KW_ACCT_CHAIN_IN,
    KW_ACCT_CHAIN_OUT,
} kw_ledger_kind;

#define KW_LEDGER_MAX_LINES 64

typedef struct kw_ledger_line {
    int64_t account;   /* ledger_accounts.id */
    int64_t amount;    /* change of that account's balance; never 0 */
} kw_ledger_line;

typedef struct kw_ledger_entry {
    const char *kind;  /* what happened: "deposit", "escrow", "settlement", … (≤ 32 chars) */
    const char *ref;   /* optional: (kind, ref) is unique, so a repeat is refused with KW_ECONFLICT */
    const char *memo;  /* optional free text */
    const kw_ledger_line *lines;
    size_t nlines;     /* 2..KW_LEDGER_MAX_LINES */
    int64_t at_ms;     /* the caller's clock */
} kw_ledger_entry;

/* "user_available", … */
const char *kw_ledger_kind_name(kw_ledger_kind k);

/* Creates the user's two accounts (idempotent). */
int kw_ledger_open_user(kw_db *db, int64_t user_id, int64_t at_ms, kw_err *err) KW_WUR;

/* The id of a user's account (user_id > 0 with a user kind) or of a service
 * account (user_id 0 with a service kind). KW_ENOTFOUND if it does not exist. */
int kw_ledger_account(kw_db *db, kw_ledger_kind kind, int64_t user_id, int64_t *id, kw_err *err) KW_WUR;

/* Posts one balanced entry. KW_EINVAL (nothing written) when the lines do
 * not sum to zero, hold a zero amount, or are too few or too many;
 * KW_ENOTFOUND for an unknown account; KW_EFUNDS when a user or reserve
 * account would go negative (message names the account); KW_ECONFLICT for
 * a repeated (kind, ref). *entry_id (may be NULL) receives the new id. */
int kw_ledger_post(kw_db *db, const kw_ledger_entry *e, int64_t *entry_id, kw_err *err) KW_WUR;

/* The balance of one account. */
int kw_ledger_balance(kw_db *db, int64_t account, int64_t *balance, kw_err *err) KW_WUR;

/* A user's available and escrowed balances (0 for a user without accounts). */
int kw_ledger_user_balances(kw_db *db, int64_t user_id, int64_t *available, int64_t *escrow,
                            kw_err *err) KW_WUR;

typedef struct kw_ledger_report {
    int64_t entries;           /* journal entries checked */
    int64_t users_total;       /* Σ user_available + user_escrow */
    int64_t reserve;           /* weather_reserve */
    int64_t chain_in;          /* ≤ 0 in normal operation */
    int64_t chain_out;
    int64_t unbalanced;        /* entries whose lines do not sum to 0 */
    int64_t incomplete;        /* entries whose line count differs from the recorded one */
    int64_t drifted;           /* accounts whose balance ≠ Σ of their lines */
    int64_t negative;          /* user or reserve accounts below zero */
    int64_t net;               /* Σ of every balance; 0 when consistent */
} kw_ledger_report;

/* Verifies the SPEC §8 invariant over the whole journal: every entry sums to
 * zero and is complete; every stored balance equals the sum of its lines; no
 * user or reserve balance is negative; all balances sum to zero (so users +
 * escrow + reserve = inflow − outflow exactly). Fills rep (may be NULL).
 * Returns 0 when all holds, KW_EINTERNAL naming the first broken rule. */
int kw_ledger_check(kw_db *db, kw_ledger_report *rep, kw_err *err) KW_WUR;

#endif
