#include "seed_wallets.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/repo_users.h"
#include "store/repo_wallets.h"

typedef struct seeding {
    kw_wallet_kek *kek;
    long first, n;
} seeding;

static int seed_tx(kw_db *db, void *ctx, kw_err *err)
{
    seeding *s = ctx;
    for (long i = 0; i < s->n; i++) {
        kw_user u = {.tier = KW_TIER_USER};
        char address[KW_STRKEY_BUFSZ], *sealed = NULL;
        int64_t uid, wid;
        snprintf(u.username, sizeof u.username, "user%ld", s->first + i);
        /* Nobody logs in as these users: any well-formed hash will do. */
        snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
        int rc = kw_repo_users_create(db, &u, 1000, &uid, err);
        if (rc == 0)
            rc = kw_wallet_create(s->kek, 1000, address, &sealed, err);
        if (rc == 0)
            rc = kw_repo_wallets_insert(db, uid, address, sealed, KW_WALLET_VERSION, 1000, &wid, err);
        free(sealed);
        if (rc)
            return rc;
    }
    return 0;
}

int kwt_seed_wallets(kw_store *st, kw_wallet_kek *kek, long first, long n, kw_err *err)
{
    seeding s = {.kek = kek, .first = first, .n = n};
    return kw_store_tx(st, seed_tx, &s, err);
}
