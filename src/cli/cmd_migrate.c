/*
 * kalewx migrate — brings the database named by DATABASE_URL to the schema
 * this binary was built with (`serve` does the same at start).
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "store/migrate.h"

int kw_cmd_migrate(kw_cli *cli, int argc, char **argv)
{
    bool status_only = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--status") == 0) {
            status_only = true;
        } else {
            fprintf(stderr, "kalewx migrate: unexpected argument %s\n", argv[i]);
            return KW_EXIT_USAGE;
        }
    }
    kw_store_options o = kw_store_options_from(&cli->cfg);
    kw_store *st = NULL;
    kw_err err = {0};
    int applied = 0, dbv = 0, binv = 0;
    int rc = kw_store_open(&o, &st, &err);
    if (rc == 0 && !status_only)
        rc = kw_migrate(st, &applied, &err);
    if (rc == 0)
        rc = kw_migrate_status(st, &dbv, &binv, &err);
    const char *backend = st ? kw_store_backend_name(st) : "";
    kw_store_close(st);
    if (rc != 0) {
        fprintf(stderr, "kalewx migrate: %s\n", err.msg);
        return rc == KW_ESTATE || rc == KW_EINVAL ? KW_EXIT_REJECTED : KW_EXIT_SERVER;
    }
    if (cli->json)
        printf("{\"backend\":\"%s\",\"applied\":%d,\"version\":%d,\"latest\":%d}\n", backend, applied, dbv, binv);
    else if (status_only)
        printf("%s schema at version %d of %d%s\n", backend, dbv, binv, dbv < binv ? " (run kalewx migrate)" : "");
    else
        printf("%s schema at version %d (%d migration%s applied)\n", backend, dbv, applied, applied == 1 ? "" : "s");
    return KW_EXIT_OK;
}
