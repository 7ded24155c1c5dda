/*
 * rpc_stub — a loopback Stellar RPC for tests: JSON-RPC 2.0 over HTTP on
 * 127.0.0.1 with an ephemeral port (libmicrohttpd), answering in the shapes of
 * reference/stellar-rpc.openrpc.json.
 *
 * Behind it sit a small KALE farm (plant/work/harvest with pails, blocks and
 * the instance entry), its token (balance/transfer), a Reflector-style oracle
 * (base/decimals/resolution/lastprice/prices) and accounts with sequence numbers. Submitted
 * envelopes are decoded and checked like a validator would: sequence number,
 * the source's (and fee bumper's) signature, fee ≥ resource fee, and each
 * farmer's authorisation signature over the Soroban preimage.
 *
 * Scripted failures (stub_fault) apply to the next calls of one method.
 */
#ifndef KW_TEST_RPC_STUB_H
#define KW_TEST_RPC_STUB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct stub stub;

typedef enum stub_fault_kind {
    SF_HTTP_429,        /* HTTP 429 with Retry-After: 1 */
    SF_HTTP_503,
    SF_RPC_ERROR,       /* JSON-RPC error, arg = code, text = message */
    SF_DELAY,           /* answer after arg ms (past the client's timeout) */
    SF_SIM_ERROR,       /* simulateTransaction answers {"error": text} */
    SF_BAD_SEQ,         /* someone else used the source account first */
    SF_FAIL_ONCHAIN,    /* the transaction lands FAILED with Error(Contract, #arg) */
    SF_TRY_AGAIN,       /* sendTransaction answers TRY_AGAIN_LATER */
    SF_NEVER_FINAL,     /* getTransaction stays NOT_FOUND */
    SF_EVIL_AUTH,       /* simulation adds a foreign sub-invocation to the plant auth */
    SF_GARBAGE,         /* HTTP 200 with a body that is not JSON */
} stub_fault_kind;

stub *stub_start(const uint8_t farm[32], const uint8_t asset[32], const uint8_t oracle[32]);
void stub_stop(stub *s);
const char *stub_url(stub *s);

/* count times, on calls of method (e.g. "sendTransaction"). */
void stub_fault(stub *s, const char *method, stub_fault_kind k, int count, int arg, const char *text);

void stub_account(stub *s, const uint8_t pub[32], int64_t seq);
int64_t stub_account_seq(stub *s, const uint8_t pub[32]);
void stub_set_balance(stub *s, const uint8_t who[32], int64_t amount);
int64_t stub_balance(stub *s, const uint8_t who[32]);

/* Closes the current block: FarmIndex + 1, new entropy, time + 300 s. */
void stub_next_block(stub *s);
/* Closes an empty ledger (5 s later), as a live network does between transactions. */
void stub_next_ledger(stub *s);
uint32_t stub_farm_index(stub *s);
/* Block(index)'s entropy (the hash of the last work before it). */
void stub_entropy(stub *s, uint32_t index, uint8_t out[32]);
void stub_pause(stub *s, bool paused);
/* Sets an oracle price (14 decimals) for an asset symbol ("BTC") or, when
 * sym is NULL, for the Stellar asset contract `contract`. */
void stub_price(stub *s, const char *sym, const uint8_t contract[32], __int128 price);

/* A second oracle with the same prices whose base() is Stellar(base_sac)
 * (the first one's base is Other(USD)). */
void stub_oracle2(stub *s, const uint8_t id[32], const uint8_t base_sac[32]);

typedef struct stub_counts {
    int requests, sends, simulates, fee_bumps, max_in_flight;
} stub_counts;
stub_counts stub_get_counts(stub *s);

#endif
