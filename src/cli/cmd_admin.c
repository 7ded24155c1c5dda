/*
 * kalewx admin SUBCOMMAND — operator commands that work on the database
 * directly (they need its credentials, not an API login). One row per
 * subcommand in the table below.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "cli/commands.h"
#include "crypto/secret.h"
#include "engine/custody.h"
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

static const admin_sub subs[] = {
    {"rotate-master-key", rotate_master_key, "--new-key-file FILE",
     "re-seal every custodial wallet under a new master key, in one transaction"},
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
