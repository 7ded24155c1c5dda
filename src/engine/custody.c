#include "engine/custody.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store/repo_wallets.h"

/* The wallet with the lowest id: the one every start proves its key on.
 * (repo_wallets lists all of them; start-up needs one, on any size of table.) */
static const kw_sql FIRST_WALLET = {
    .sql = "SELECT id, user_id, public_key, encrypted_wallet FROM custodial_wallets ORDER BY id LIMIT 1"};

static int first_wallet(kw_store *st, kw_wallet *out, bool *found, kw_err *err)
{
    kw_db *db;
    kw_rows *r = NULL;
    *found = false;
    int rc = kw_store_acquire(st, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = kw_db_query(db, &FIRST_WALLET, KW_NOARGS, &r, err);
    if (rc == 0 && (rc = kw_rows_next(r, err)) == 1) {
        memset(out, 0, sizeof *out);
        out->id = kw_rows_int(r, 0);
        out->user_id = kw_rows_int(r, 1);
        rc = kw_rows_text_copy(r, 2, out->public_key, sizeof out->public_key);
        if (rc == 0 && !(out->sealed = strdup(kw_rows_text(r, 3))))
            rc = kw_err_set(err, KW_ENOMEM, "out of memory reading a wallet");
        else if (rc)
            rc = kw_err_set(err, KW_EINTERNAL, "custodial wallet %lld has an oversized public key",
                            (long long)out->id);
        *found = rc == 0;
    }
    if (r)
        kw_rows_close(r);
    kw_store_release(st, db);
    return rc;
}

static int prove(kw_wallet_kek *kek, const kw_wallet *w, kw_err *err)
{
    uint8_t seed[KW_WALLET_SEED_LEN];
    kw_err e = {0};
    int rc = kw_wallet_open(kek, w->public_key, w->sealed, seed, &e);
    sodium_memzero(seed, sizeof seed);
    if (rc == KW_ECRYPTO)
        return kw_err_set(err, rc,
                          "the master key does not open custodial wallet %lld (%s): check KALEWX_MASTER_KEY / "
                          "KALEWX_MASTER_KEY_FILE; after a completed rotate-master-key, use the new key",
                          (long long)w->id, w->public_key);
    if (rc)
        return kw_err_set(err, rc, "custodial wallet %lld (%s): %s", (long long)w->id, w->public_key, e.msg);
    return 0;
}

int kw_custody_open(const kw_config *cfg, kw_store *st, const kw_wallet_kdf *kdf, kw_wallet_kek **out,
                    kw_err *err)
{
    kw_wallet first = {0};
    kw_secret master = {0};
    uint8_t salt[KW_WALLET_SALT_LEN];
    bool found;
    *out = NULL;
    int rc = first_wallet(st, &first, &found, err);
    if (rc)
        return rc;
    rc = kw_secret_load(cfg, KW_SECRET_MASTER, !found, &master, err);
    if (rc == KW_ENOTFOUND)
        rc = kw_err_set(err, KW_ENOTFOUND,
                        "custodial wallets exist but the devnet master key file is missing (%s): restore it from "
                        "a backup, or set KALEWX_MASTER_KEY_FILE",
                        err ? err->msg : "");
    if (rc == 0 && found)
        rc = kw_wallet_sealed_salt(first.sealed, salt, err);
    if (rc == 0)
        rc = kw_wallet_kek_new(master.bytes, master.len, found ? salt : NULL, kdf, out, err);
    if (rc == 0 && found && (rc = prove(*out, &first, err)) != 0) {
        kw_wallet_kek_free(*out);
        *out = NULL;
    }
    kw_secret_free(&master);
    kw_wallet_clear(&first);
    return rc;
}

int kw_custody_signer_load(kw_store *st, kw_wallet_kek *kek, int64_t user_id, kw_custody_signer *out, kw_err *err)
{
    kw_db *db;
    kw_wallet w = {0};
    memset(out, 0, sizeof *out);
    int rc = kw_store_acquire(st, KW_DB_READ, &db, err);
    if (rc)
        return rc;
    rc = kw_repo_wallets_get_by_user(db, user_id, &w, err);
    kw_store_release(st, db);
    if (rc)
        return rc;
    memcpy(out->address, w.public_key, sizeof out->address);
    out->sealed = w.sealed; /* ownership moves to the signer */
    out->signer = (kw_wallet_signer){.kek = kek, .address = out->address, .sealed = out->sealed};
    return 0;
}

void kw_custody_signer_free(kw_custody_signer *s)
{
    if (s->sealed) {
        sodium_memzero(s->sealed, strlen(s->sealed));
        free(s->sealed);
    }
    memset(s, 0, sizeof *s);
}

typedef struct rotation {
    kw_wallet_kek *from, *to;
    int64_t now_ms;
    size_t done;
} rotation;

static int rotate_tx(kw_db *db, void *ctx, kw_err *err)
{
    rotation *r = ctx;
    kw_wallet *list = NULL;
    size_t n = 0;
    r->done = 0;
    int rc = kw_repo_wallets_list(db, &list, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *resealed = NULL;
        kw_err e = {0};
        rc = kw_wallet_reseal(r->from, r->to, list[i].public_key, list[i].sealed, &resealed, &e);
        if (rc) {
            kw_err_set(err, rc, "custodial wallet %lld (%s) did not re-seal, nothing was changed: %s",
                       (long long)list[i].id, list[i].public_key, e.msg);
            break;
        }
        rc = kw_repo_wallets_update_sealed(db, list[i].id, resealed, KW_WALLET_VERSION, r->now_ms, err);
        free(resealed);
        r->done += rc == 0;
    }
    kw_wallet_list_free(list, n);
    return rc;
}

int kw_custody_rotate(kw_store *st, const kw_secret *old_master, const kw_secret *new_master,
                      const kw_wallet_kdf *kdf, int64_t now_ms, kw_custody_rotation *out, kw_err *err)
{
    kw_wallet first = {0};
    kw_wallet_kek *from = NULL, *to = NULL;
    uint8_t salt[KW_WALLET_SALT_LEN];
    bool found;
    memset(out, 0, sizeof *out);
    if (old_master->len == new_master->len && sodium_memcmp(old_master->bytes, new_master->bytes, old_master->len) == 0)
        return kw_err_set(err, KW_EINVAL, "the new master key is the current one");
    int rc = first_wallet(st, &first, &found, err);
    if (rc == 0 && found)
        rc = kw_wallet_sealed_salt(first.sealed, salt, err);
    if (rc == 0)
        rc = kw_wallet_kek_new(old_master->bytes, old_master->len, found ? salt : NULL, kdf, &from, err);
    if (rc == 0)
        rc = kw_wallet_kek_new(new_master->bytes, new_master->len, NULL, kdf, &to, err);
    if (rc == 0 && found && prove(from, &first, NULL) != 0) {
        /* A re-run after a rotation that committed: the new key already opens them. */
        kw_wallet_kek *again = NULL;
        rc = kw_wallet_kek_new(new_master->bytes, new_master->len, salt, kdf, &again, err);
        if (rc == 0 && prove(again, &first, NULL) == 0)
            out->already = true;
        else if (rc == 0)
            rc = kw_err_set(err, KW_ECRYPTO,
                            "neither the current nor the new master key opens custodial wallet %lld (%s); "
                            "nothing was changed",
                            (long long)first.id, first.public_key);
        kw_wallet_kek_free(again);
    }
    if (rc == 0 && !out->already) {
        rotation r = {.from = from, .to = to, .now_ms = now_ms};
        rc = kw_store_tx(st, rotate_tx, &r, err);
        if (rc == 0)
            out->wallets = r.done;
    }
    kw_wallet_kek_free(from);
    kw_wallet_kek_free(to);
    kw_wallet_clear(&first);
    return rc;
}
