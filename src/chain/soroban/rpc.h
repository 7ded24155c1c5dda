/*
 * rpc — a client of Stellar RPC (JSON-RPC 2.0 over HTTP POST, libcurl +
 * jansson) for the methods kalewx uses: getHealth, getNetwork,
 * getLatestLedger, getLedgerEntries, simulateTransaction, sendTransaction,
 * getTransaction and getEvents (reference/stellar-rpc.openrpc.json).
 *
 * Transport policy, in one place so every caller gets it:
 *   - params are always named (a JSON object);
 *   - numbers are accepted as JSON integers or as decimal strings, since the
 *     server sends int64 values (fees, close times) as strings;
 *   - HTTP 429, HTTP 5xx, timeouts and connection failures are retried up to
 *     `attempts` tries with exponential backoff (base · 2^(try−1), capped) and
 *     jitter (uniform in [d/2, d]); a Retry-After header lengthens the wait;
 *   - a circuit breaker opens after `breaker_threshold` consecutive calls that
 *     failed transiently and refuses calls for `breaker_cooldown_ms`, then lets
 *     one trial call through;
 *   - JSON-RPC errors are answers, not faults, and are not retried: -32602 and
 *     -32600/-32601/-32700 become KW_EINVAL, -32603 and the server range
 *     -32000..-32099 become KW_ETRANSIENT, each with a message naming the method.
 *
 * Returns: 0; KW_ETRANSIENT (retries exhausted, breaker open, server-side
 * error); KW_EINVAL (rejected request or a malformed answer: the RPC is not
 * trusted either); KW_EIO (an HTTP status other than 200/429/5xx); KW_ENOMEM.
 *
 * Ownership: a kw_rpc owns its curl handles. Decoded XDR in results lives in
 * the kw_xdr_arena the caller passes; strings in results are copied into
 * fixed buffers or into that arena.
 * Thread-safety: a kw_rpc may be used by several threads at once (each call
 * takes a pooled curl handle; the breaker and jitter state are locked).
 */
#ifndef KW_CHAIN_SOROBAN_RPC_H
#define KW_CHAIN_SOROBAN_RPC_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "chain/soroban/xdr.h"
#include "core/err.h"

/* Time as a dependency (the same shape as obs/clock's kw_clock): wall time in
 * unix ms, monotonic ms, and a sleep that tests replace by advancing time.
 * A NULL function means the system clock (CLOCK_REALTIME, CLOCK_MONOTONIC,
 * nanosleep). Thread-safe when the functions are. */
typedef struct kw_rpc_clock {
    int64_t (*now_ms)(void *ctx);
    int64_t (*mono_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    void *ctx;
} kw_rpc_clock;

int64_t kw_rpc_clock_now_ms(const kw_rpc_clock *c);
int64_t kw_rpc_clock_mono_ms(const kw_rpc_clock *c);
void kw_rpc_clock_sleep_ms(const kw_rpc_clock *c, int64_t ms);

typedef struct kw_rpc_opts {
    const char *url;
    int64_t timeout_ms;          /* whole request; default 15000 */
    int attempts;                /* tries per call; default 4 */
    int64_t backoff_base_ms;     /* default 500 */
    int64_t backoff_max_ms;      /* default 8000 */
    int breaker_threshold;       /* default 5 */
    int64_t breaker_cooldown_ms; /* default 30000 */
    uint64_t seed;               /* jitter seed; 0 = random */
    kw_rpc_clock clock;          /* backoff waits and the breaker's cool-down */
} kw_rpc_opts;

typedef struct kw_rpc kw_rpc;

typedef struct kw_rpc_stats {
    uint64_t calls, retries, breaker_trips;
} kw_rpc_stats;

int kw_rpc_new(const kw_rpc_opts *opts, kw_rpc **out, kw_err *err) KW_WUR;
void kw_rpc_free(kw_rpc *rpc);
kw_rpc_stats kw_rpc_get_stats(kw_rpc *rpc);

/* One call: params is borrowed (an object, or NULL for none); on success
 * *result is a new reference the caller releases with json_decref. */
int kw_rpc_call(kw_rpc *rpc, const char *method, json_t *params, json_t **result, kw_err *err) KW_WUR;

/* Parses one JSON-RPC response body (pure; also the fuzzing entry point):
 * checks "jsonrpc":"2.0" and the id, maps "error" as described above. */
int kw_rpc_parse_response(const char *body, size_t n, json_int_t id, const char *method,
                          json_t **result, kw_err *err) KW_WUR;

/* Reads member key of obj as an unsigned or signed integer given as a JSON
 * integer or a decimal string. KW_ENOTFOUND when absent, KW_EINVAL otherwise. */
int kw_json_u64(const json_t *obj, const char *key, uint64_t *out) KW_WUR;
int kw_json_i64(const json_t *obj, const char *key, int64_t *out) KW_WUR;

/* ---- typed methods --------------------------------------------------------- */

typedef struct kw_rpc_health {
    char status[32];
    uint32_t latest_ledger, oldest_ledger, retention_window;
} kw_rpc_health;

int kw_rpc_get_health(kw_rpc *rpc, kw_rpc_health *out, kw_err *err) KW_WUR;

typedef struct kw_rpc_network {
    char passphrase[128];
    uint32_t protocol_version;
} kw_rpc_network;

int kw_rpc_get_network(kw_rpc *rpc, kw_rpc_network *out, kw_err *err) KW_WUR;

typedef struct kw_rpc_ledger {
    uint32_t sequence, protocol_version;
    int64_t close_time;          /* unix seconds; 0 when the server omits it */
} kw_rpc_ledger;

int kw_rpc_get_latest_ledger(kw_rpc *rpc, kw_rpc_ledger *out, kw_err *err) KW_WUR;

typedef struct kw_rpc_entry {
    bool found;
    kw_xdr_ledger_entry entry;
    uint32_t last_modified, live_until;
} kw_rpc_entry;

/* Looks up n keys (at most 200); out[i] answers keys[i] (matched by the key's
 * XDR, whatever order the server answers in). *latest may be NULL. */
int kw_rpc_get_ledger_entries(kw_rpc *rpc, const kw_ledger_key *keys, uint32_t n, kw_xdr_arena *arena,
                              kw_rpc_entry *out, uint32_t *latest, kw_err *err) KW_WUR;

typedef struct kw_rpc_sim {
    uint32_t latest_ledger;
    /* On a simulation error: the server's text (cut to fit) and, when it names
     * one, the contract error number (else -1). Nothing below is set then. */
    bool failed;
    char error[512];
    int64_t contract_error;
    int64_t min_resource_fee;
    kw_soroban_data data;
    bool has_result;
    kw_scval result;
    const kw_auth_entry *auth;
    uint32_t nauth;
    bool needs_restore;          /* a restorePreamble was present */
} kw_rpc_sim;

/* Simulates a base64 TransactionEnvelope. auth_mode is NULL (server default),
 * "enforce", "record" or "record_allow_nonroot". A failed simulation is a
 * successful call with out->failed set. */
int kw_rpc_simulate(kw_rpc *rpc, const char *envelope_b64, const char *auth_mode, kw_xdr_arena *arena,
                    kw_rpc_sim *out, kw_err *err) KW_WUR;

typedef enum kw_rpc_send_status {
    KW_SEND_PENDING,
    KW_SEND_DUPLICATE,
    KW_SEND_TRY_AGAIN_LATER,
    KW_SEND_ERROR,
} kw_rpc_send_status;

typedef struct kw_rpc_send_result {
    kw_rpc_send_status status;
    char hash[65];
    uint32_t latest_ledger;
    bool has_error_result;       /* ERROR: the decoded errorResultXdr */
    kw_tx_result error_result;
} kw_rpc_send_result;

int kw_rpc_send(kw_rpc *rpc, const char *envelope_b64, kw_xdr_arena *arena, kw_rpc_send_result *out,
                kw_err *err) KW_WUR;

typedef enum kw_rpc_tx_status {
    KW_TXS_NOT_FOUND,
    KW_TXS_SUCCESS,
    KW_TXS_FAILED,
} kw_rpc_tx_status;

typedef struct kw_rpc_tx {
    kw_rpc_tx_status status;
    uint32_t ledger, latest_ledger;
    bool has_result;
    kw_tx_result result;
    bool has_return;             /* from resultMetaXdr when it could be read */
    kw_scval return_value;
    int64_t contract_error;      /* from the diagnostic events, else -1 */
} kw_rpc_tx;

int kw_rpc_get_transaction(kw_rpc *rpc, const char *hash_hex, kw_xdr_arena *arena, kw_rpc_tx *out,
                           kw_err *err) KW_WUR;

typedef struct kw_rpc_event {
    uint32_t ledger;
    char id[64];
    char tx_hash[65];
    uint8_t contract[32];
    const kw_scval *topics;
    uint32_t ntopics;
    kw_scval value;
} kw_rpc_event;

typedef struct kw_rpc_events {
    uint32_t latest_ledger;
    char cursor[64];
    const kw_rpc_event *events;
    uint32_t n;
} kw_rpc_events;

/* Contract events of one contract from start_ledger (or after cursor when it
 * is not NULL/empty), optionally only those whose first topic is the symbol
 * topic0; at most limit (1..1000). */
int kw_rpc_get_events(kw_rpc *rpc, const uint8_t contract[32], const char *topic0, uint32_t start_ledger,
                      const char *cursor, uint32_t limit, kw_xdr_arena *arena, kw_rpc_events *out,
                      kw_err *err) KW_WUR;

/* The N of "Error(Contract, #N)" in a simulation or host error text, or -1. */
int64_t kw_rpc_contract_error_in_text(const char *text);

/* ---- reading results --------------------------------------------------------
 * Each typed method above is kw_rpc_call followed by one of these readers,
 * which check a method's `result` object (borrowed) and fill *out exactly as
 * the method does; the same returns. Pure, so they are also the fuzzing entry
 * points for what a server may answer. keys_b64 are the base64 ledger keys
 * that were asked for, in the order of out. */
int kw_rpc_read_health(const json_t *res, kw_rpc_health *out, kw_err *err) KW_WUR;
int kw_rpc_read_network(const json_t *res, kw_rpc_network *out, kw_err *err) KW_WUR;
int kw_rpc_read_latest_ledger(const json_t *res, kw_rpc_ledger *out, kw_err *err) KW_WUR;
int kw_rpc_read_ledger_entries(const json_t *res, const char *const *keys_b64, uint32_t n, kw_xdr_arena *arena,
                               kw_rpc_entry *out, uint32_t *latest, kw_err *err) KW_WUR;
int kw_rpc_read_simulate(const json_t *res, kw_xdr_arena *arena, kw_rpc_sim *out, kw_err *err) KW_WUR;
int kw_rpc_read_send(const json_t *res, kw_xdr_arena *arena, kw_rpc_send_result *out, kw_err *err) KW_WUR;
int kw_rpc_read_transaction(const json_t *res, kw_xdr_arena *arena, kw_rpc_tx *out, kw_err *err) KW_WUR;
int kw_rpc_read_events(const json_t *res, uint32_t limit, kw_xdr_arena *arena, kw_rpc_events *out,
                       kw_err *err) KW_WUR;

#endif
