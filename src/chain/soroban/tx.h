/*
 * tx — submitting Soroban contract calls: build → simulate → sign the
 * farmer's authorisation → re-simulate → assemble → sign → send → poll.
 *
 * Who pays and who signs:
 *   - The operator fee account (KALEWX_FEE_ACCOUNT_SECRET) pays every fee.
 *     Without channel accounts it is the source of every transaction.
 *   - With channel accounts (CHANNEL_ACCOUNTS, comma-separated S… secrets)
 *     each transaction's source is a free channel, which provides the sequence
 *     number, and the fee account wraps it in a fee-bump envelope and pays.
 *     Stellar admits one pending Soroban transaction per source account, so
 *     N channels allow N submissions in flight at once.
 *   - Farmers sign only their own Soroban authorisation entries
 *     (HashIdPreimage ENVELOPE_TYPE_SOROBAN_AUTHORIZATION, address
 *     credentials) through a kw_tx_signer, so they need no XLM.
 *
 * What is refused: a simulation that asks for source-account authorisation
 * (nothing kalewx calls needs the operator's authority), an address
 * authorisation for anyone but the call's signer, and any authorisation tree
 * the caller's approve callback rejects — the RPC server is not trusted to
 * decide what a farmer signs.
 *
 * Fees: fee = inclusion fee + minResourceFee of the simulation; a fee bump
 * pays that plus one more inclusion fee. Sequence numbers are cached per
 * source account, fetched with getLedgerEntries when unknown, advanced when
 * the network accepts a transaction, and refetched after txBadSeq (the call
 * is then rebuilt, up to three times) or when a result stays unknown.
 *
 * Returns of kw_txer_invoke: 0 (outcome filled); KW_ECHAIN when the contract
 * or the network rejected the call — kw_err.code is then the contract error
 * number (Error(Contract, #N)) or, for other rejections, KW_ECHAIN;
 * KW_ETRANSIENT (RPC trouble, TRY_AGAIN_LATER past the deadline, no final
 * status before the deadline: outcome->hash names the transaction to look
 * up later); KW_ESTATE (no fee account, archived state needs a restore);
 * KW_EAUTH (an authorisation the policy refused); KW_ERANGE (fee overflow).
 *
 * Thread-safety: a kw_txer may be used from several threads; each call holds
 * one source account exclusively from build to final status.
 */
#ifndef KW_CHAIN_SOROBAN_TX_H
#define KW_CHAIN_SOROBAN_TX_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/soroban/rpc.h"
#include "chain/soroban/xdr.h"
#include "core/err.h"

/* Signs Soroban authorisation payloads (the 32-byte sha256 of the preimage)
 * for one address. sign returns 0 and the Ed25519 signature of msg[0..n), or
 * a KW_E* code. The secret stays with ctx. (The same shape as the chain
 * interface's signer, so custody's signers plug in unchanged.) */
typedef struct kw_tx_signer {
    uint8_t pub[32];
    int (*sign)(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[64]);
    void *ctx;
} kw_tx_signer;

/* A signer over a raw Ed25519 seed (custody keeps the seed and wipes it). */
typedef struct kw_seed_signer {
    kw_tx_signer signer;
    uint8_t sk[64];
} kw_seed_signer;

/* Fills s from a 32-byte seed; kw_seed_signer_wipe erases it. */
void kw_seed_signer_init(kw_seed_signer *s, const uint8_t seed[32]);
void kw_seed_signer_wipe(kw_seed_signer *s);

typedef struct kw_txer_opts {
    kw_rpc *rpc;                     /* borrowed; outlives the txer */
    const char *passphrase;          /* network passphrase */
    const char *fee_secret;          /* S…; NULL or "" = read-only use */
    const char *channel_secrets;     /* "S…,S…"; NULL or "" = none */
    uint32_t inclusion_fee;          /* stroops; default 100 */
    uint32_t auth_ledgers;           /* authorisation lifetime in ledgers; default 100 */
    int64_t deadline_ms;             /* per call, send to final status; default 60000 */
    int64_t poll_ms;                 /* getTransaction interval; default 1000 */
    kw_rpc_clock clock;              /* time bounds, deadlines, polling */
} kw_txer_opts;

typedef struct kw_txer kw_txer;

/* Parses and checks the secrets (messages name the setting, never a
 * secret). The caller may wipe its copies of the strings afterwards. */
int kw_txer_new(const kw_txer_opts *opts, kw_txer **out, kw_err *err) KW_WUR;
void kw_txer_free(kw_txer *t);

/* The network id (sha256 of the passphrase). */
const uint8_t *kw_txer_network_id(const kw_txer *t);
/* Number of source accounts (1 without channels); 0 when read-only. */
int kw_txer_sources(const kw_txer *t);

typedef struct kw_tx_call {
    kw_invoke_args invoke;
    const kw_tx_signer *signer;      /* signs address credentials; NULL = none allowed */
    /* Decides whether the signer may authorise this tree; NULL = refuse all. */
    bool (*approve)(void *ctx, const kw_auth_invocation *root);
    void *approve_ctx;
} kw_tx_call;

typedef struct kw_tx_outcome {
    char hash[65];
    uint32_t ledger;                 /* ledger that included it */
    int64_t fee_charged;
    bool has_return;
    kw_scval return_value;           /* from the result meta, else from simulation */
} kw_tx_outcome;

int kw_txer_invoke(kw_txer *t, const kw_tx_call *call, kw_xdr_arena *arena, kw_tx_outcome *out, kw_err *err) KW_WUR;

/* A read-only call: simulation only, from an all-zero source account; no
 * secret is needed. *result lives in arena. Contract errors are KW_ECHAIN as
 * above. *latest_ledger may be NULL. */
int kw_txer_read(kw_txer *t, const kw_invoke_args *invoke, kw_xdr_arena *arena, kw_scval *result,
                 uint32_t *latest_ledger, kw_err *err) KW_WUR;

#endif
