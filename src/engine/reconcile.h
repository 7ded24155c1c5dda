/*
 * reconcile — proves the books (SPEC §8, `kalewx admin reconcile`).
 *
 * Two checks:
 *  1. The ledger on its own: every entry balances, every stored balance is
 *     the sum of its lines, no user or reserve balance is negative (ledger.h).
 *  2. The ledger against the chain: the KALE held on chain by every
 *     custodial wallet (the treasury's included) equals what the ledger says
 *     kalewx owes — users' available and escrowed balances plus the weather
 *     reserve — plus withdrawals already booked but not yet sent. Stakes on
 *     chain are on neither side: a plant burns them from the wallet and books
 *     them out of escrow; a harvest mints and books stake and reward back.
 *
 * Run it on a quiet service (or accept that a transfer in flight shows up).
 * Balance reads go through retry (may be NULL for a single attempt).
 *
 * Thread-safety: thread-safe (own connection; chain reads only).
 */
#ifndef KW_ENGINE_RECONCILE_H
#define KW_ENGINE_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/chain.h"
#include "engine/retry.h"
#include "core/err.h"
#include "store/ledger.h"
#include "store/store.h"

typedef struct kw_reconcile_report {
    kw_ledger_report ledger;
    bool ledger_ok;
    char ledger_error[256];
    int64_t wallets;              /* custodial wallets read on chain */
    __int128 chain_total;         /* Σ their on-chain balances */
    int64_t owed;                 /* users' available + escrow + reserve */
    int64_t withdrawals_in_flight;
    __int128 difference;          /* chain_total − (owed + in flight); 0 when consistent */
    bool chain_ok;
} kw_reconcile_report;

/* Fills rep; returns 0 when both checks pass, KW_EINTERNAL when either
 * fails (rep says which), or the error of a database or chain read. */
int kw_reconcile(kw_store *st, const kw_chain *chain, kw_retry *retry, kw_reconcile_report *rep,
                 kw_err *err) KW_WUR;

#endif
