/*
 * seed_wallets — users with custodial wallets written straight through the
 * repositories, for the custody tests and the rotation crash test (which
 * need many wallets, and no Argon2id work per user).
 */
#ifndef KW_TESTS_SEED_WALLETS_H
#define KW_TESTS_SEED_WALLETS_H

#include "crypto/wallet.h"
#include "store/store.h"

/* Users "user<first>" … "user<first+n-1>", each with a wallet sealed by kek,
 * in one transaction. Returns 0 or the store's error. */
int kwt_seed_wallets(kw_store *st, kw_wallet_kek *kek, long first, long n, kw_err *err);

#endif
