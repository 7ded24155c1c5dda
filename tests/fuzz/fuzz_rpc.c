/* libFuzzer target: what a Stellar RPC server answers. The first byte picks
 * the method, the rest is the HTTP body of its JSON-RPC response; it goes
 * through kw_rpc_parse_response and then the method's result reader, as in
 * kw_rpc_call and the typed methods. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/soroban/rpc.h"

enum method { M_RAW, M_HEALTH, M_NETWORK, M_LEDGER, M_ENTRIES, M_SIMULATE, M_SEND, M_TX, M_EVENTS, M_COUNT };

/* The base64 of the ledger keys a getLedgerEntries call asked for. */
static char *keys[2];

static void init_keys(void)
{
    uint8_t id[32] = {0};
    kw_ledger_key k[2] = {kw_ledger_key_account(id), kw_ledger_key_account(id)};
    id[0] = 1;
    k[1] = kw_ledger_key_contract_data(id, kw_scval_symbol("Pail"), KW_DURABILITY_TEMPORARY);
    for (int i = 0; i < 2; i++) {
        kw_xdr_writer w;
        kw_xdr_writer_init(&w, 0);
        (void)kw_xdr_put_ledger_key(&w, &k[i]);
        if (kw_xdr_writer_base64(&w, &keys[i]) != 0)
            abort();
        kw_xdr_writer_free(&w);
    }
}

/* Integers given as JSON numbers or as decimal strings must agree. */
static void integers(const json_t *res)
{
    const char *key;
    json_t *val;
    uint64_t u;
    int64_t i;
    json_object_foreach((json_t *)res, key, val) {
        if (kw_json_u64(res, key, &u) == 0 && kw_json_i64(res, key, &i) == 0 && i >= 0 && (uint64_t)i != u)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    if (!keys[0])
        init_keys();
    enum method m = (enum method)(data[0] % M_COUNT);
    json_t *res = NULL;
    kw_err e = {0};
    int rc = kw_rpc_parse_response((const char *)data + 1, n - 1, 1, "fuzz", &res, &e);
    if (rc != 0) {
        if (rc != KW_EINVAL && rc != KW_ETRANSIENT && rc != KW_ENOMEM)
            abort();
        return 0;
    }
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    union {
        kw_rpc_health health;
        kw_rpc_network network;
        kw_rpc_ledger ledger;
        kw_rpc_entry entries[2];
        kw_rpc_sim sim;
        kw_rpc_send_result send;
        kw_rpc_tx tx;
        kw_rpc_events events;
    } *u = calloc(1, sizeof *u);
    uint32_t latest;
    if (!a || !u)
        goto done;
    switch (m) {
    case M_RAW: integers(res); rc = 0; break;
    case M_HEALTH: rc = kw_rpc_read_health(res, &u->health, &e); break;
    case M_NETWORK: rc = kw_rpc_read_network(res, &u->network, &e); break;
    case M_LEDGER: rc = kw_rpc_read_latest_ledger(res, &u->ledger, &e); break;
    case M_ENTRIES:
        rc = kw_rpc_read_ledger_entries(res, (const char *const *)keys, 2, a, u->entries, &latest, &e);
        break;
    case M_SIMULATE:
        rc = kw_rpc_read_simulate(res, a, &u->sim, &e);
        if (rc == 0 && !u->sim.failed && u->sim.min_resource_fee < 0)
            abort();
        break;
    case M_SEND:
        rc = kw_rpc_read_send(res, a, &u->send, &e);
        if (rc == 0 && strlen(u->send.hash) != 64)
            abort();
        break;
    case M_TX: rc = kw_rpc_read_transaction(res, a, &u->tx, &e); break;
    default:
        rc = kw_rpc_read_events(res, 10, a, &u->events, &e);
        if (rc == 0 && u->events.n > 10)
            abort();
        break;
    }
    if (rc != 0 && rc != KW_EINVAL && rc != KW_ENOMEM)
        abort();
done:
    free(u);
    kw_xdr_arena_free(a);
    json_decref(res);
    return 0;
}
