/*
 * kalewx admin SUBCOMMAND — operator commands that work on the database
 * directly (they need its credentials, not an API login). One row per
 * subcommand in the table below.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "chain/devnet.h"
#include "cli/commands.h"
#include "core/amount.h"
#include "crypto/secret.h"
#include "engine/custody.h"
#include "engine/identity.h"
#include "engine/reconcile.h"
#include "obs/log.h"
#include "store/migrate.h"
#include "store/store.h"

typedef struct admin_sub {
    const char *name;
    int (*fn)(kw_cli *cli, int argc, char **argv);
    const char *args;
    const char *summary;
} admin_sub;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Opens the configured database at the schema this binary knows. */
static int open_store(kw_cli *cli, kw_store **st, kw_err *err)
{
    kw_store_options o = {
        .url = kw_config_str(&cli->cfg, KW_CFG_DATABASE_URL),
        .data_dir = kw_config_str(&cli->cfg, KW_CFG_KALEWX_DATA_DIR),
        .pool_size = (int)kw_config_int(&cli->cfg, KW_CFG_DB_POOL_SIZE),
    };
    int rc = kw_store_open(&o, st, err);
    if (rc == 0 && (rc = kw_migrate(*st, NULL, err)) != 0) {
        kw_store_close(*st);
        *st = NULL;
    }
    return rc;
}

static int rotate_master_key(kw_cli *cli, int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--new-key-file") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strncmp(argv[i], "--new-key-file=", 15) == 0)
            file = argv[i] + 15;
        else
            file = NULL, i = argc;
    }
    if (!file || !*file) {
        fprintf(stderr, "usage: kalewx admin rotate-master-key --new-key-file FILE\n");
        return KW_EXIT_USAGE;
    }
    kw_err err = {0};
    kw_secret old = {0}, new = {0};
    kw_store *st = NULL;
    kw_custody_rotation r = {0};
    int code = KW_EXIT_REJECTED;
    if (kw_secret_read_file(file, &new, &err) != 0 || kw_secret_load(&cli->cfg, KW_SECRET_MASTER, false, &old, &err) != 0)
        goto fail;
    if (open_store(cli, &st, &err) != 0) {
        code = KW_EXIT_SERVER;
        goto fail;
    }
    if (kw_custody_rotate(st, &old, &new, NULL, now_ms(), &r, &err) != 0) {
        code = err.code == KW_ETRANSIENT || err.code == KW_EIO ? KW_EXIT_SERVER : KW_EXIT_REJECTED;
        goto fail;
    }
    if (old.origin == KW_SECRET_FROM_DATA_DIR) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/master.key", kw_config_str(&cli->cfg, KW_CFG_KALEWX_DATA_DIR));
        if (kw_secret_install_file(path, &new, &err) != 0) {
            fprintf(stderr, "kalewx admin rotate-master-key: the wallets are sealed with the key in %s, but %s\n"
                            "copy %s over %s before starting kalewx\n", file, err.msg, file, path);
            code = KW_EXIT_SERVER;
            goto fail;
        }
    }
    KW_LOG(KW_LOG_INFO, "master key rotated", KW_LI("wallets", r.wallets), KW_LB("alreadyRotated", r.already));
    if (cli->json) {
        printf("{\"rotated\":%zu,\"alreadyRotated\":%s}\n", r.wallets, r.already ? "true" : "false");
    } else {
        if (r.already)
            printf("The wallets are already sealed with the new key; nothing was changed.\n");
        else
            printf("Re-sealed %zu custodial wallet%s under the new master key.\n", r.wallets, r.wallets == 1 ? "" : "s");
        if (old.origin == KW_SECRET_FROM_DATA_DIR)
            printf("The devnet key file %s/master.key now holds the new key.\n",
                   kw_config_str(&cli->cfg, KW_CFG_KALEWX_DATA_DIR));
        else
            printf("Start kalewx with KALEWX_MASTER_KEY_FILE=%s (or the same key in KALEWX_MASTER_KEY).\n", file);
    }
    code = KW_EXIT_OK;
fail:
    if (code != KW_EXIT_OK)
        fprintf(stderr, "kalewx admin rotate-master-key: %s\n", err.msg);
    kw_secret_free(&old);
    kw_secret_free(&new);
    if (st)
        kw_store_close(st);
    return code;
}

/* The amount of a 128-bit total (it fits int64 whenever the books are sane). */
static const char *amount128(__int128 v, char buf[KW_AMOUNT_BUFSZ])
{
    return kw_amount_format(v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v, buf);
}

static void print_report(const kw_reconcile_report *r, bool json)
{
    char a[7][KW_AMOUNT_BUFSZ];
    const kw_ledger_report *l = &r->ledger;
    if (json) {
        printf("{\"ok\":%s,\"ledger_ok\":%s,\"chain_ok\":%s,\"entries\":%lld,\"users_total\":\"%s\","
               "\"reserve\":\"%s\",\"owed\":\"%s\",\"chain_total\":\"%s\",\"withdrawals_in_flight\":\"%s\","
               "\"difference\":\"%s\",\"wallets\":%lld,\"unbalanced\":%lld,\"incomplete\":%lld,\"drifted\":%lld,"
               "\"negative\":%lld,\"net\":\"%s\"}\n",
               r->ledger_ok && r->chain_ok ? "true" : "false", r->ledger_ok ? "true" : "false",
               r->chain_ok ? "true" : "false", (long long)l->entries, kw_amount_format(l->users_total, a[0]),
               kw_amount_format(l->reserve, a[1]), kw_amount_format(r->owed, a[2]), amount128(r->chain_total, a[3]),
               kw_amount_format(r->withdrawals_in_flight, a[4]), amount128(r->difference, a[5]),
               (long long)r->wallets, (long long)l->unbalanced, (long long)l->incomplete, (long long)l->drifted,
               (long long)l->negative, kw_amount_format(l->net, a[6]));
        return;
    }
    printf("ledger   %s: %lld entries, %lld unbalanced, %lld incomplete, %lld drifted balances, %lld negative\n",
           r->ledger_ok ? "ok" : "MISMATCH", (long long)l->entries, (long long)l->unbalanced, (long long)l->incomplete,
           (long long)l->drifted, (long long)l->negative);
    printf("owed     users %s + reserve %s = %s KALE\n", kw_amount_format(l->users_total, a[0]),
           kw_amount_format(l->reserve, a[1]), kw_amount_format(r->owed, a[2]));
    printf("chain    %lld wallets hold %s KALE; withdrawals in flight %s\n", (long long)r->wallets,
           amount128(r->chain_total, a[3]), kw_amount_format(r->withdrawals_in_flight, a[4]));
    printf("chain    %s: difference %s KALE\n", r->chain_ok ? "ok" : "MISMATCH", amount128(r->difference, a[5]));
}

static int reconcile(kw_cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: kalewx [--json] admin reconcile\n");
        return KW_EXIT_USAGE;
    }
    if (kw_config_int(&cli->cfg, KW_CFG_KALEWX_CHAIN) != 0) {
        fprintf(stderr, "kalewx admin reconcile: KALEWX_CHAIN=%s is not available in this build; only devnet\n",
                kw_config_str(&cli->cfg, KW_CFG_KALEWX_CHAIN));
        return KW_EXIT_USAGE;
    }
    kw_err err = {0};
    kw_store *st = NULL;
    kw_chain chain = {0};
    kw_devnet_opts o;
    char path[4096];
    int code = KW_EXIT_SERVER;
    if (kw_devnet_opts_from_config(&cli->cfg, &o, path, sizeof path, &err) != 0)
        goto fail;
    if (access(path, R_OK | W_OK) != 0) {
        kw_err_set(&err, KW_ENOTFOUND, "no devnet at %s (KALEWX_DATA_DIR); kalewx serve creates it", path);
        goto fail;
    }
    /* Only reads: no timer, so this process never rolls the farm over. */
    o.timer = KW_DEVNET_TIMER_OFF;
    if (open_store(cli, &st, &err) != 0 || kw_devnet_open(&o, &chain, &err) != 0)
        goto fail;
    kw_reconcile_report r;
    /* A transient chain fault is not a verdict on the books: retry it, with
     * the patience of a one-off command. */
    kw_retry retry = kw_retry_patient(kw_clock_system(), NULL, (uint64_t)getpid() | 1);
    int rc = kw_reconcile(st, &chain, &retry, &r, &err);
    if (rc && rc != KW_EINTERNAL)
        goto fail;
    print_report(&r, cli->json);
    if (rc) {
        fprintf(stderr, "kalewx admin reconcile: %s\n", err.msg);
        code = KW_EXIT_REJECTED;
    } else {
        code = KW_EXIT_OK;
    }
    err.msg[0] = 0;
fail:
    if (err.msg[0])
        fprintf(stderr, "kalewx admin reconcile: %s\n", err.msg);
    if (chain.ops)
        kw_chain_close(&chain);
    if (st)
        kw_store_close(st);
    return code;
}

static int set_access(kw_cli *cli, int argc, char **argv)
{
    const char *user = NULL, *tier = NULL, *role = NULL;
    bool bad = false;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--tier") == 0 && i + 1 < argc)
            tier = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (argv[i][0] != '-' && !user)
            user = argv[i];
        else
            bad = true;
    }
    if (bad || !user || (!tier && !role)) {
        fprintf(stderr, "usage: kalewx admin set-access USERNAME [--tier user|premium] [--role user|admin]\n");
        return KW_EXIT_USAGE;
    }
    kw_err err = {0};
    kw_store *st = NULL;
    if (open_store(cli, &st, &err) != 0) {
        fprintf(stderr, "kalewx admin set-access: %s\n", err.msg);
        return KW_EXIT_SERVER;
    }
    kw_identity id = {.store = st};
    kw_identity_user u;
    kw_access_tier t;
    kw_access_role r;
    int code = KW_EXIT_REJECTED, rc;
    if ((tier && (kw_access_tier_parse(tier, &t) != 0 || t == KW_ACCESS_ANONYMOUS)) ||
        (role && kw_access_role_parse(role, &r) != 0)) {
        rc = kw_err_set(&err, KW_EINVAL, "--tier is user or premium, --role is user or admin");
        code = KW_EXIT_USAGE;
    } else {
        rc = kw_identity_set_access(&id, user, tier ? &t : NULL, role ? &r : NULL, now_ms(), &u, &err);
        if (rc && rc != KW_ENOTFOUND && rc != KW_EINVAL)
            code = KW_EXIT_SERVER;
    }
    if (rc == 0) {
        if (cli->json)
            printf("{\"username\":\"%s\",\"tier\":\"%s\",\"role\":\"%s\"}\n", u.username,
                   kw_access_tier_name(u.tier), kw_access_role_name(u.role));
        else
            printf("%s is now tier %s, role %s.\n", u.username, kw_access_tier_name(u.tier),
                   kw_access_role_name(u.role));
        code = KW_EXIT_OK;
    } else {
        fprintf(stderr, "kalewx admin set-access: %s\n", err.msg);
    }
    kw_store_close(st);
    return code;
}

static const admin_sub subs[] = {
    {"rotate-master-key", rotate_master_key, "--new-key-file FILE",
     "re-seal every custodial wallet under a new master key, in one transaction"},
    {"reconcile", reconcile, "", "prove the books: the ledger balances and the chain holds what is owed (exit 3 if not)"},
    {"set-access", set_access, "USERNAME [--tier user|premium] [--role user|admin]",
     "change a user's rate-limit tier or make them an administrator"},
    {0},
};

int kw_cmd_admin(kw_cli *cli, int argc, char **argv)
{
    for (const admin_sub *s = subs; argc > 1 && s->name; s++)
        if (strcmp(argv[1], s->name) == 0)
            return s->fn(cli, argc - 1, argv + 1);
    fprintf(stderr, "usage: kalewx admin SUBCOMMAND [ARGS]\n\nsubcommands:\n");
    for (const admin_sub *s = subs; s->name; s++)
        fprintf(stderr, "  %s %s\n      %s\n", s->name, s->args, s->summary);
    return KW_EXIT_USAGE;
}
