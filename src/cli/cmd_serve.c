/*
 * `kalewx serve` — runs the whole service in one process: the engine (cycle
 * monitor, farmer, resolver, settlement), the embedded devnet and the HTTP
 * API with its event streams and webhooks (api/app.h). SIGINT or SIGTERM
 * stop it gracefully: the API stops taking requests and ends its streams,
 * then the tick in progress finishes, every transaction commits or rolls
 * back, and the process exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "cli/commands.h"
#include "engine/engine.h"
#include "obs/log.h"

int kw_cmd_serve(kw_cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "kalewx serve: takes no arguments (settings are flags such as --port 3000)\n");
        return KW_EXIT_USAGE;
    }
    /* Signals are taken by sigwait below, never by a worker thread. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    kw_err err = {0};
    kw_engine *e;
    if (kw_engine_open(&cli->cfg, NULL, &e, &err) != 0) {
        KW_LOG(KW_LOG_ERROR, "cannot start", KW_LS("error", err.msg));
        fprintf(stderr, "kalewx serve: %s\n", err.msg);
        return KW_EXIT_SERVER;
    }
    kw_app *app = NULL;
    if (kw_app_start(&cli->cfg, e, -1, &app, &err) != 0 || kw_engine_start(e, &err) != 0) {
        KW_LOG(KW_LOG_ERROR, "cannot start", KW_LS("error", err.msg));
        fprintf(stderr, "kalewx serve: %s\n", err.msg);
        kw_app_stop(app);
        kw_engine_close(e);
        return KW_EXIT_SERVER;
    }
    KW_LOG(KW_LOG_INFO, "kalewx serving", KW_LS("chain", e->chain.name), KW_LS("database", kw_store_backend_name(e->store)),
           KW_LI("port", kw_api_port(app->api)), KW_LI("block_seconds", e->chain.block_seconds),
           KW_LI("monitor_interval_ms", e->interval_ms));
    int sig = 0;
    sigwait(&stop, &sig);
    KW_LOG(KW_LOG_INFO, "stopping", KW_LS("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    kw_app_stop(app);
    kw_engine_close(e);
    KW_LOG(KW_LOG_INFO, "stopped");
    return KW_EXIT_OK;
}
