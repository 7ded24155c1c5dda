/*
 * xdr — the subset of Stellar XDR (RFC 4506 encoding of the stellar-xdr
 * definitions) that kalewx needs to farm KALE and read oracles over Soroban RPC:
 * TransactionEnvelope v1 and everything under it for InvokeHostFunction,
 * SCVal, SCAddress, LedgerKey, LedgerEntryData, SorobanAuthorizationEntry,
 * SorobanTransactionData, the Soroban authorisation HashIdPreimage, the
 * transaction signature payload, TransactionResult, TransactionMeta (for the
 * return value), contract and diagnostic events, and base64.
 *
 * Writing: a kw_xdr_writer is a growable buffer with a size cap and a sticky
 * error, so a sequence of kw_xdr_put_* calls is checked once at the end with
 * kw_xdr_writer_error(). Each put also returns the sticky error.
 *
 * Reading never trusts the input: every read checks the bytes remaining, every
 * count is bounded both by its XDR limit and by what the remaining bytes could
 * possibly hold, nesting is limited to KW_XDR_MAX_DEPTH, padding must be zero,
 * booleans must be 0 or 1, and unknown union arms are rejected. Decoded values
 * that need memory (vectors, maps, byte strings) live in a kw_xdr_arena whose
 * total size is capped; byte strings point into the arena, never into the
 * input. Decoders return 0, KW_EINVAL (malformed or unsupported input, with
 * the offset in the message) or KW_ENOMEM (arena cap reached).
 *
 * Ownership: values built by the caller may point at caller memory; decoded
 * values belong to the arena passed to the reader and die with it.
 * Thread-safety: none of these objects is shared; functions are reentrant.
 */
#ifndef KW_CHAIN_SOROBAN_XDR_H
#define KW_CHAIN_SOROBAN_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define KW_XDR_MAX_DEPTH 64
#define KW_XDR_MAX_OPS 100          /* MAX_OPS_PER_TX */
#define KW_XDR_MAX_SIGS 20
#define KW_XDR_SYMBOL_MAX 32        /* SCSYMBOL_LIMIT */
#define KW_XDR_DEFAULT_ARENA (8u << 20)

/* ---- arena ---------------------------------------------------------------- */

typedef struct kw_xdr_arena kw_xdr_arena;

/* An arena that hands out at most cap bytes in total; NULL on ENOMEM. */
kw_xdr_arena *kw_xdr_arena_new(size_t cap);
/* Releases every block; NULL is fine. */
void kw_xdr_arena_free(kw_xdr_arena *a);
/* n zeroed bytes aligned for any type, or NULL when the cap would be passed. */
void *kw_xdr_arena_alloc(kw_xdr_arena *a, size_t n);

/* ---- writer and reader ---------------------------------------------------- */

typedef struct kw_xdr_writer {
    uint8_t *p;
    size_t n, cap, max;
    int err;                /* first error, sticky */
} kw_xdr_writer;

/* An empty writer that refuses to grow past max bytes (0 = 4 MiB). */
void kw_xdr_writer_init(kw_xdr_writer *w, size_t max);
/* Frees the buffer (after wiping it: payloads may be pre-images of signatures). */
void kw_xdr_writer_free(kw_xdr_writer *w);
int kw_xdr_writer_error(const kw_xdr_writer *w) KW_WUR;

int kw_xdr_put_u32(kw_xdr_writer *w, uint32_t v);
int kw_xdr_put_i32(kw_xdr_writer *w, int32_t v);
int kw_xdr_put_u64(kw_xdr_writer *w, uint64_t v);
int kw_xdr_put_i64(kw_xdr_writer *w, int64_t v);
int kw_xdr_put_bool(kw_xdr_writer *w, bool v);
/* Fixed-length opaque: n bytes and zero padding to a multiple of 4. */
int kw_xdr_put_fixed(kw_xdr_writer *w, const void *p, size_t n);
/* Variable-length opaque or string: length, bytes, padding; KW_EINVAL above max. */
int kw_xdr_put_var(kw_xdr_writer *w, const void *p, size_t n, size_t max);

typedef struct kw_xdr_reader {
    const uint8_t *p;
    size_t n, off;
    unsigned depth;
    kw_xdr_arena *arena;
    kw_err *err;            /* may be NULL */
} kw_xdr_reader;

void kw_xdr_reader_init(kw_xdr_reader *r, const void *p, size_t n, kw_xdr_arena *arena, kw_err *err);
/* KW_EINVAL unless every byte was consumed. */
int kw_xdr_reader_done(kw_xdr_reader *r) KW_WUR;

int kw_xdr_get_u32(kw_xdr_reader *r, uint32_t *v) KW_WUR;
int kw_xdr_get_i32(kw_xdr_reader *r, int32_t *v) KW_WUR;
int kw_xdr_get_u64(kw_xdr_reader *r, uint64_t *v) KW_WUR;
int kw_xdr_get_i64(kw_xdr_reader *r, int64_t *v) KW_WUR;
int kw_xdr_get_bool(kw_xdr_reader *r, bool *v) KW_WUR;
int kw_xdr_get_fixed(kw_xdr_reader *r, void *out, size_t n) KW_WUR;

/* ---- Soroban values ------------------------------------------------------- */

typedef enum kw_scaddress_type {
    KW_SCADDR_ACCOUNT = 0,
    KW_SCADDR_CONTRACT = 1,
    KW_SCADDR_MUXED_ACCOUNT = 2,
    KW_SCADDR_CLAIMABLE_BALANCE = 3,
    KW_SCADDR_LIQUIDITY_POOL = 4,
} kw_scaddress_type;

typedef struct kw_scaddress {
    kw_scaddress_type type;
    uint8_t key[32];        /* ed25519 key, contract id, balance id or pool id */
    uint64_t muxed_id;      /* MUXED_ACCOUNT only */
} kw_scaddress;

typedef enum kw_scval_type {
    KW_SCV_BOOL = 0,
    KW_SCV_VOID = 1,
    KW_SCV_ERROR = 2,
    KW_SCV_U32 = 3,
    KW_SCV_I32 = 4,
    KW_SCV_U64 = 5,
    KW_SCV_I64 = 6,
    KW_SCV_TIMEPOINT = 7,
    KW_SCV_DURATION = 8,
    KW_SCV_U128 = 9,
    KW_SCV_I128 = 10,
    KW_SCV_U256 = 11,
    KW_SCV_I256 = 12,
    KW_SCV_BYTES = 13,
    KW_SCV_STRING = 14,
    KW_SCV_SYMBOL = 15,
    KW_SCV_VEC = 16,
    KW_SCV_MAP = 17,
    KW_SCV_ADDRESS = 18,
    KW_SCV_CONTRACT_INSTANCE = 19,
    KW_SCV_LEDGER_KEY_CONTRACT_INSTANCE = 20,
    KW_SCV_LEDGER_KEY_NONCE = 21,
} kw_scval_type;

/* SCErrorType values; SCE_CONTRACT carries the contract's own error number. */
enum { KW_SCE_CONTRACT = 0, KW_SCE_AUTH = 9 };

typedef struct kw_scval kw_scval;
typedef struct kw_scmap_entry kw_scmap_entry;

struct kw_scval {
    kw_scval_type type;
    union {
        bool b;
        uint32_t u32;
        int32_t i32;
        uint64_t u64;           /* U64, TIMEPOINT, DURATION */
        int64_t i64;            /* I64, LEDGER_KEY_NONCE */
        unsigned __int128 u128;
        __int128 i128;
        uint8_t u256[32];       /* U256 and I256, big-endian two's complement */
        struct { uint32_t type, code; } error;
        struct { const uint8_t *p; uint32_t n; } bytes;  /* BYTES, STRING, SYMBOL */
        /* VEC and MAP are optional in XDR: present == false encodes "none". */
        struct { bool present; const kw_scval *items; uint32_t n; } vec;
        struct { bool present; const kw_scmap_entry *entries; uint32_t n; } map;
        kw_scaddress address;
        struct {
            uint32_t executable;        /* 0 = wasm, 1 = stellar asset */
            uint8_t wasm_hash[32];
            bool has_storage;
            const kw_scmap_entry *entries;
            uint32_t n;
        } instance;
    } v;
};

struct kw_scmap_entry {
    kw_scval key, val;
};

kw_scval kw_scval_bool(bool b);
kw_scval kw_scval_void(void);
kw_scval kw_scval_u32(uint32_t v);
kw_scval kw_scval_i32(int32_t v);
kw_scval kw_scval_u64(uint64_t v);
kw_scval kw_scval_i64(int64_t v);
kw_scval kw_scval_u128(unsigned __int128 v);
kw_scval kw_scval_i128(__int128 v);
/* bytes/string/symbol keep a pointer to p (which must outlive the value). */
kw_scval kw_scval_bytes(const void *p, uint32_t n);
kw_scval kw_scval_string(const char *s);
kw_scval kw_scval_symbol(const char *s);
kw_scval kw_scval_vec(const kw_scval *items, uint32_t n);
kw_scval kw_scval_map(const kw_scmap_entry *entries, uint32_t n);
kw_scval kw_scval_account(const uint8_t key[32]);
kw_scval kw_scval_contract(const uint8_t id[32]);
kw_scval kw_scval_instance_key(void);

/* 1 when a is a symbol equal to s. */
bool kw_scval_is_symbol(const kw_scval *a, const char *s);
/* Deep equality (used by tests and the oracle comparison). */
bool kw_scval_equal(const kw_scval *a, const kw_scval *b);
/* The value for a symbol key, or for a one-element vec[symbol] key (the shape
 * of a unit variant of a contracttype enum); NULL when absent. */
const kw_scval *kw_scmap_find(const kw_scmap_entry *entries, uint32_t n, const char *name);

int kw_xdr_put_scaddress(kw_xdr_writer *w, const kw_scaddress *a);
int kw_xdr_put_scval(kw_xdr_writer *w, const kw_scval *v);
int kw_xdr_get_scaddress(kw_xdr_reader *r, kw_scaddress *a) KW_WUR;
int kw_xdr_get_scval(kw_xdr_reader *r, kw_scval *v) KW_WUR;

/* ---- ledger keys and entries ---------------------------------------------- */

typedef enum kw_ledger_type {
    KW_LEDGER_ACCOUNT = 0,
    KW_LEDGER_TRUSTLINE = 1,
    KW_LEDGER_OFFER = 2,
    KW_LEDGER_DATA = 3,
    KW_LEDGER_CLAIMABLE_BALANCE = 4,
    KW_LEDGER_LIQUIDITY_POOL = 5,
    KW_LEDGER_CONTRACT_DATA = 6,
    KW_LEDGER_CONTRACT_CODE = 7,
    KW_LEDGER_CONFIG_SETTING = 8,
    KW_LEDGER_TTL = 9,
} kw_ledger_type;

enum { KW_DURABILITY_TEMPORARY = 0, KW_DURABILITY_PERSISTENT = 1 };

/* TrustLineAsset: native, alphanum4, alphanum12 or a pool share. */
typedef struct kw_tl_asset {
    uint32_t type;          /* 0 native, 1 alnum4, 2 alnum12, 3 pool share */
    uint8_t code[12];
    uint8_t issuer[32];     /* or the pool id for a pool share */
} kw_tl_asset;

typedef struct kw_ledger_key {
    kw_ledger_type type;
    uint8_t account[32];    /* ACCOUNT, TRUSTLINE, OFFER (seller), DATA */
    kw_tl_asset asset;      /* TRUSTLINE */
    int64_t offer_id;       /* OFFER */
    struct { const uint8_t *p; uint32_t n; } data_name;  /* DATA, string64 */
    uint8_t hash[32];       /* CLAIMABLE_BALANCE, LIQUIDITY_POOL, CONTRACT_CODE, TTL */
    kw_scaddress contract;  /* CONTRACT_DATA */
    kw_scval key;
    uint32_t durability;
    int32_t config_id;      /* CONFIG_SETTING */
} kw_ledger_key;

int kw_xdr_put_ledger_key(kw_xdr_writer *w, const kw_ledger_key *k);

/* The contract id of a classic asset's Stellar Asset Contract: sha256 of
 * HashIdPreimage ENVELOPE_TYPE_CONTRACT_ID (network id, preimage "from
 * asset"). asset->type is 0 (native), 1 (alphanum4) or 2 (alphanum12). */
int kw_xdr_sac_contract_id(const uint8_t network_id[32], const kw_tl_asset *asset, uint8_t out[32]) KW_WUR;
int kw_xdr_get_ledger_key(kw_xdr_reader *r, kw_ledger_key *k) KW_WUR;

/* Convenience constructors of the keys kalewx reads. */
kw_ledger_key kw_ledger_key_account(const uint8_t key[32]);
kw_ledger_key kw_ledger_key_contract_data(const uint8_t contract[32], kw_scval key, uint32_t durability);

/* LedgerEntryData for the entry types kalewx reads; the other types are
 * skipped (validated and stepped over) but not kept. */
typedef struct kw_xdr_ledger_entry {
    kw_ledger_type type;
    /* ACCOUNT */
    uint8_t account[32];
    int64_t balance;        /* ACCOUNT (XLM) and TRUSTLINE */
    int64_t seq_num;
    /* TRUSTLINE */
    kw_tl_asset asset;
    int64_t limit;
    uint32_t flags;
    /* CONTRACT_DATA */
    kw_scaddress contract;
    kw_scval key;
    uint32_t durability;
    kw_scval val;
    /* TTL */
    uint8_t key_hash[32];
    uint32_t live_until;
} kw_xdr_ledger_entry;

int kw_xdr_get_ledger_entry_data(kw_xdr_reader *r, kw_xdr_ledger_entry *e) KW_WUR;
int kw_xdr_put_ledger_entry_data(kw_xdr_writer *w, const kw_xdr_ledger_entry *e);

/* ---- Soroban transaction pieces ------------------------------------------- */

typedef struct kw_soroban_data {
    uint32_t ext;           /* 0, or 1 with archived entry indices */
    const uint32_t *archived;
    uint32_t narchived;
    const kw_ledger_key *ro, *rw;
    uint32_t nro, nrw;
    uint32_t instructions, disk_read_bytes, write_bytes;
    int64_t resource_fee;
} kw_soroban_data;

int kw_xdr_put_soroban_data(kw_xdr_writer *w, const kw_soroban_data *d);
int kw_xdr_get_soroban_data(kw_xdr_reader *r, kw_soroban_data *d) KW_WUR;

typedef struct kw_invoke_args {
    kw_scaddress contract;
    char function[KW_XDR_SYMBOL_MAX + 1];
    const kw_scval *args;
    uint32_t nargs;
} kw_invoke_args;

typedef struct kw_auth_invocation kw_auth_invocation;
struct kw_auth_invocation {
    kw_invoke_args fn;      /* SOROBAN_AUTHORIZED_FUNCTION_TYPE_CONTRACT_FN only */
    const kw_auth_invocation *subs;
    uint32_t nsubs;
};

enum { KW_CRED_SOURCE_ACCOUNT = 0, KW_CRED_ADDRESS = 1 };

typedef struct kw_auth_entry {
    uint32_t cred_type;
    kw_scaddress address;   /* KW_CRED_ADDRESS: whose authorisation this is */
    int64_t nonce;
    uint32_t sig_expiration_ledger;
    kw_scval signature;
    kw_auth_invocation root;
} kw_auth_entry;

int kw_xdr_put_invoke_args(kw_xdr_writer *w, const kw_invoke_args *a);
int kw_xdr_get_invoke_args(kw_xdr_reader *r, kw_invoke_args *a) KW_WUR;
int kw_xdr_put_auth_invocation(kw_xdr_writer *w, const kw_auth_invocation *inv);
int kw_xdr_put_auth_entry(kw_xdr_writer *w, const kw_auth_entry *e);
int kw_xdr_get_auth_entry(kw_xdr_reader *r, kw_auth_entry *e) KW_WUR;

/* HashIdPreimage, arm ENVELOPE_TYPE_SOROBAN_AUTHORIZATION: the bytes whose
 * sha256 an address signs to authorise inv. */
int kw_xdr_put_auth_preimage(kw_xdr_writer *w, const uint8_t network_id[32], int64_t nonce,
                             uint32_t sig_expiration_ledger, const kw_auth_invocation *inv);

/* ---- transactions ----------------------------------------------------------- */

enum { KW_KEY_TYPE_ED25519 = 0, KW_KEY_TYPE_MUXED_ED25519 = 0x100 };

typedef struct kw_muxed {
    uint32_t type;          /* KW_KEY_TYPE_ED25519 or KW_KEY_TYPE_MUXED_ED25519 */
    uint8_t key[32];
    uint64_t id;
} kw_muxed;

typedef struct kw_signer_key {
    uint32_t type;          /* 0 ed25519, 1 pre-auth tx, 2 hash-x, 3 signed payload */
    uint8_t key[32];
    uint8_t payload[64];
    uint32_t npayload;
} kw_signer_key;

typedef struct kw_preconditions {
    uint32_t type;          /* 0 none, 1 time bounds, 2 v2 */
    bool has_time;
    uint64_t min_time, max_time;
    bool has_ledger;
    uint32_t min_ledger, max_ledger;
    bool has_min_seq;
    int64_t min_seq;
    uint64_t min_seq_age;
    uint32_t min_seq_ledger_gap;
    kw_signer_key extra[2];
    uint32_t nextra;
} kw_preconditions;

typedef struct kw_memo {
    uint32_t type;          /* 0 none, 1 text, 2 id, 3 hash, 4 return */
    uint8_t text[28];
    uint32_t ntext;
    uint64_t id;
    uint8_t hash[32];
} kw_memo;

enum { KW_OP_INVOKE_HOST_FUNCTION = 24 };

typedef struct kw_operation {
    bool has_source;
    kw_muxed source;
    kw_invoke_args invoke;  /* HOST_FUNCTION_TYPE_INVOKE_CONTRACT */
    const kw_auth_entry *auth;
    uint32_t nauth;
} kw_operation;

typedef struct kw_tx {
    kw_muxed source;
    uint32_t fee;
    int64_t seq_num;
    kw_preconditions cond;
    kw_memo memo;
    const kw_operation *ops;
    uint32_t nops;
    bool has_soroban;
    kw_soroban_data soroban;
} kw_tx;

typedef struct kw_decorated_sig {
    uint8_t hint[4];
    uint8_t sig[64];
    uint32_t nsig;
} kw_decorated_sig;

/* A TransactionEnvelope: ENVELOPE_TYPE_TX (tx and sigs), or, when fee_bump is
 * set, ENVELOPE_TYPE_TX_FEE_BUMP wrapping that v1 envelope: fee_source pays
 * bump_fee and signs with bump_sigs. ENVELOPE_TYPE_TX_V0 is not supported. */
typedef struct kw_envelope {
    kw_tx tx;
    kw_decorated_sig sigs[KW_XDR_MAX_SIGS];
    uint32_t nsigs;
    bool fee_bump;
    kw_muxed fee_source;
    int64_t bump_fee;
    kw_decorated_sig bump_sigs[KW_XDR_MAX_SIGS];
    uint32_t nbump_sigs;
} kw_envelope;

int kw_xdr_put_tx(kw_xdr_writer *w, const kw_tx *tx);
int kw_xdr_put_envelope(kw_xdr_writer *w, const kw_envelope *env);
int kw_xdr_get_envelope(kw_xdr_reader *r, kw_envelope *env) KW_WUR;
/* TransactionSignaturePayload: network_id ‖ ENVELOPE_TYPE_TX ‖ tx. */
int kw_xdr_put_signature_payload(kw_xdr_writer *w, const uint8_t network_id[32], const kw_tx *tx);
/* The transaction hash: sha256 of the signature payload. */
int kw_xdr_tx_hash(const uint8_t network_id[32], const kw_tx *tx, uint8_t out[32]) KW_WUR;
/* The fee-bump hash: sha256(network_id ‖ ENVELOPE_TYPE_TX_FEE_BUMP ‖
 * FeeBumpTransaction) of env (fee_bump set; the inner signatures count). */
int kw_xdr_fee_bump_hash(const uint8_t network_id[32], const kw_envelope *env, uint8_t out[32]) KW_WUR;

/* ---- results, meta and events ---------------------------------------------- */

enum {
    KW_TX_FEE_BUMP_INNER_SUCCESS = 1,
    KW_TX_SUCCESS = 0,
    KW_TX_FAILED = -1,
    KW_TX_BAD_SEQ = -5,
    KW_TX_INSUFFICIENT_FEE = -9,
    KW_TX_FEE_BUMP_INNER_FAILED = -13,
};

typedef struct kw_op_result {
    int32_t code;           /* opINNER = 0, opBAD_AUTH = -1, … */
    uint32_t op_type;       /* with opINNER: the operation type */
    int32_t ihf_code;       /* InvokeHostFunctionResultCode (0 success, -2 trapped, …) */
    uint8_t ihf_hash[32];
} kw_op_result;

typedef struct kw_tx_result {
    int64_t fee_charged;
    int32_t code;           /* TransactionResultCode; for a fee bump, the inner code */
    bool fee_bump;
    uint8_t inner_hash[32];
    const kw_op_result *ops;
    uint32_t nops;
} kw_tx_result;

/* Reads TransactionResult. Results of operations other than InvokeHostFunction
 * are rejected as unsupported. */
int kw_xdr_get_tx_result(kw_xdr_reader *r, kw_tx_result *res) KW_WUR;
int kw_xdr_put_tx_result(kw_xdr_writer *w, const kw_tx_result *res);
/* "txBadSeq", "txSuccess", …; "tx?" for an unknown code. */
const char *kw_tx_result_name(int32_t code);

typedef struct kw_contract_event {
    bool has_contract;
    uint8_t contract[32];
    uint32_t type;          /* 0 system, 1 contract, 2 diagnostic */
    const kw_scval *topics;
    uint32_t ntopics;
    kw_scval data;
} kw_contract_event;

int kw_xdr_get_contract_event(kw_xdr_reader *r, kw_contract_event *ev) KW_WUR;
int kw_xdr_put_contract_event(kw_xdr_writer *w, const kw_contract_event *ev);
/* DiagnosticEvent: a flag and a contract event. */
int kw_xdr_get_diagnostic_event(kw_xdr_reader *r, bool *in_successful_call, kw_contract_event *ev) KW_WUR;
int kw_xdr_put_diagnostic_event(kw_xdr_writer *w, bool in_successful_call, const kw_contract_event *ev);
/* The contract error a host "error" event reports: topics [symbol "error",
 * Error(Contract, #N)]. Returns N, or -1 when ev is not such an event. */
int64_t kw_contract_event_error(const kw_contract_event *ev);

/* Reads TransactionMeta (v3 or v4) far enough to find the Soroban return
 * value. *has_value is false when the meta carries none. Ledger entry
 * changes are validated and skipped; entry types that a Soroban transaction
 * cannot touch (offers, claimable balances, pools, config settings) are
 * rejected as unsupported. */
int kw_xdr_get_meta_return(kw_xdr_reader *r, bool *has_value, kw_scval *value) KW_WUR;

/* ---- base64 ----------------------------------------------------------------- */

/* Standard alphabet with padding. Encode: *out is malloc'd and NUL-terminated. */
int kw_base64_encode(const void *p, size_t n, char **out) KW_WUR;
/* Strict decode (padding required, no whitespace, no trailing bits); *out is
 * malloc'd (also for n == 0). KW_EINVAL on any deviation. */
int kw_base64_decode(const char *s, size_t len, uint8_t **out, size_t *n) KW_WUR;

/* Base64 of a writer's bytes; KW_E* if the writer failed. */
int kw_xdr_writer_base64(const kw_xdr_writer *w, char **out) KW_WUR;

#endif
