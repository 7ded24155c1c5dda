/*
 * repo_wallets — custodial_wallets: one per user, its public key and its
 * sealed secret (the EncryptedWallet JSON of SPEC §9, produced and opened by
 * the custody module; this module never sees a plain secret).
 *
 * Every function runs on the caller's connection and, for writes, inside the
 * caller's transaction, so a user and its wallet appear together and a
 * master-key rotation re-encrypts all wallets or none.
 *
 * Ownership: kw_wallet.sealed is heap text owned by the kw_wallet; free it
 * with kw_wallet_clear (which wipes it). Lists are freed with
 * kw_wallet_list_free.
 *
 * Thread-safety: as the kw_db passed in.
 */
#ifndef KW_STORE_REPO_WALLETS_H
#define KW_STORE_REPO_WALLETS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct kw_wallet {
    int64_t id;
    int64_t user_id;
    char public_key[57];   /* StrKey G… */
    char *sealed;          /* EncryptedWallet JSON */
    int64_t version;       /* format/key version of sealed, ≥ 1 */
    int64_t created_at;    /* Unix ms */
    int64_t updated_at;
} kw_wallet;

/* KW_ECONFLICT when the user already has a wallet or the key is in use. */
int kw_repo_wallets_insert(kw_db *db, int64_t user_id, const char *public_key, const char *sealed,
                           int64_t version, int64_t now_ms, int64_t *id, kw_err *err) KW_WUR;

/* KW_ENOTFOUND when the user has no wallet. On success the caller owns out->sealed. */
int kw_repo_wallets_get_by_user(kw_db *db, int64_t user_id, kw_wallet *out, kw_err *err) KW_WUR;

/* Every wallet, in id order (for re-encryption). *out is an array of *n. */
int kw_repo_wallets_list(kw_db *db, kw_wallet **out, size_t *n, kw_err *err) KW_WUR;

/* Replaces the sealed secret of wallet id. KW_ENOTFOUND if there is none. */
int kw_repo_wallets_update_sealed(kw_db *db, int64_t id, const char *sealed, int64_t version,
                                  int64_t now_ms, kw_err *err) KW_WUR;

/* Wipes and frees w->sealed. */
void kw_wallet_clear(kw_wallet *w);
void kw_wallet_list_free(kw_wallet *list, size_t n);

#endif
