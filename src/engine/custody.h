/*
 * custody — the service's hold on its custodial wallets (SPEC §9): the
 * master-key check at start, signing with a user's wallet, and master-key
 * rotation.
 *
 * At start, kw_custody_open derives the key-encryption key once, under the
 * salt of the first wallet in the database (a fresh salt on an empty one),
 * and opens that wallet: a wrong master key stops the service there, before
 * anything is written. On devnet a missing master.key is generated only while
 * the database holds no wallet; with wallets present its absence is an error,
 * never a silent replacement.
 *
 * Rotation re-seals every wallet in ONE transaction: opened with the old key,
 * sealed under the new key and a new salt, keeping each wallet's `created`.
 * A crash before the commit leaves every wallet under the old key, after it
 * every wallet under the new one. It refuses to start unless the old key
 * opens the first wallet, and reports "already rotated" (changing nothing)
 * when the new key does, so a re-run after a crash is safe. Every kalewx
 * process holding the old key must be stopped first: it would seal new
 * wallets under a key that no longer opens the others.
 *
 * Ownership: the kek from kw_custody_open is the caller's (kw_wallet_kek_free).
 * A kw_custody_signer owns a copy of the sealed wallet and wipes it on free.
 * Thread-safety: as the store and kek passed in.
 */
#ifndef KW_ENGINE_CUSTODY_H
#define KW_ENGINE_CUSTODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "crypto/secret.h"
#include "crypto/wallet.h"
#include "store/store.h"

/* Loads the master secret per cfg, derives the KEK (kdf NULL = production
 * cost) and proves it on the first wallet. KW_ECRYPTO with a message naming
 * the wallet when the key does not open it; KW_EINVAL/KW_ENOTFOUND for a
 * missing or malformed secret; store errors as store.h. */
int kw_custody_open(const kw_config *cfg, kw_store *st, const kw_wallet_kdf *kdf, kw_wallet_kek **out,
                    kw_err *err) KW_WUR;

typedef struct kw_custody_signer {
    kw_wallet_signer signer;   /* pass &signer to kw_wallet_sign */
    char address[KW_STRKEY_BUFSZ];
    char *sealed;
} kw_custody_signer;

/* Loads user_id's wallet for signing. KW_ENOTFOUND when the user has none. */
int kw_custody_signer_load(kw_store *st, kw_wallet_kek *kek, int64_t user_id, kw_custody_signer *out,
                           kw_err *err) KW_WUR;
void kw_custody_signer_free(kw_custody_signer *s);

typedef struct kw_custody_rotation {
    size_t wallets;     /* wallets re-sealed */
    bool already;       /* the new key already opened them: nothing was done */
} kw_custody_rotation;

/* Re-seals every wallet from old_master to new_master in one transaction.
 * KW_EINVAL when the keys are equal; KW_ECRYPTO when neither key opens the
 * first wallet, or when some wallet does not open with the old key (the
 * transaction is rolled back and the message names the wallet). */
int kw_custody_rotate(kw_store *st, const kw_secret *old_master, const kw_secret *new_master,
                      const kw_wallet_kdf *kdf, int64_t now_ms, kw_custody_rotation *out, kw_err *err) KW_WUR;

#endif
