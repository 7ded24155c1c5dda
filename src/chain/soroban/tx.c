#include "chain/soroban/tx.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/sha.h"
#include "crypto/strkey.h"
#include "obs/log.h"

#define MAX_CHANNELS 64
#define BAD_SEQ_RETRIES 3

typedef struct source {
    uint8_t pub[32];
    uint8_t sk[64];
    int64_t seq;            /* last sequence number used; 0 = unknown */
    bool busy;
} source;

struct kw_txer {
    kw_txer_opts o;
    uint8_t network_id[32];
    bool has_fee;
    source fee;
    source *channels;
    int nchannels;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void sign_seed_keypair(const uint8_t seed[32], uint8_t pub[32], uint8_t sk[64])
{
    crypto_sign_seed_keypair(pub, sk, seed);
}

static int seed_sign(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[64])
{
    kw_seed_signer *s = ctx;
    return crypto_sign_detached(sig, NULL, msg, n, s->sk) == 0 ? 0 : KW_ECRYPTO;
}

void kw_seed_signer_init(kw_seed_signer *s, const uint8_t seed[32])
{
    sign_seed_keypair(seed, s->signer.pub, s->sk);
    s->signer.sign = seed_sign;
    s->signer.ctx = s;
}

void kw_seed_signer_wipe(kw_seed_signer *s)
{
    sodium_memzero(s, sizeof *s);
}

static int64_t mono_ms(const kw_txer *t)
{
    return kw_rpc_clock_mono_ms(&t->o.clock);
}

static int load_secret(const char *text, size_t len, const char *setting, source *s, kw_err *err)
{
    char buf[KW_STRKEY_BUFSZ];
    uint8_t seed[32];
    if (len != KW_STRKEY_LEN)
        return kw_err_set(err, KW_EINVAL, "%s must hold S... secret seeds of 56 characters", setting);
    memcpy(buf, text, len);
    buf[len] = 0;
    int rc = kw_strkey_decode(KW_STRKEY_SEED, buf, seed, NULL);
    sodium_memzero(buf, sizeof buf);
    if (rc) {
        sodium_memzero(seed, sizeof seed);
        return kw_err_set(err, KW_EINVAL, "%s holds an invalid S... secret seed", setting);
    }
    sign_seed_keypair(seed, s->pub, s->sk);
    sodium_memzero(seed, sizeof seed);
    return 0;
}

int kw_txer_new(const kw_txer_opts *opts, kw_txer **out, kw_err *err)
{
    *out = NULL;
    if (!opts->rpc || !opts->passphrase || !*opts->passphrase)
        return kw_err_set(err, KW_EINVAL, "the transaction submitter needs an RPC client and a network passphrase");
    if (sodium_init() < 0)
        return kw_err_set(err, KW_ECRYPTO, "libsodium failed to initialise");
    kw_txer *t = calloc(1, sizeof *t);
    if (!t)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    int rc = 0;
    t->o = *opts;
    t->o.fee_secret = t->o.channel_secrets = NULL;
    if (!t->o.inclusion_fee)
        t->o.inclusion_fee = 100;
    if (!t->o.auth_ledgers)
        t->o.auth_ledgers = 100;
    if (t->o.deadline_ms <= 0)
        t->o.deadline_ms = 60000;
    if (t->o.poll_ms <= 0)
        t->o.poll_ms = 1000;
    kw_sha256(opts->passphrase, strlen(opts->passphrase), t->network_id);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (opts->fee_secret && *opts->fee_secret) {
        if ((rc = load_secret(opts->fee_secret, strlen(opts->fee_secret), "KALEWX_FEE_ACCOUNT_SECRET", &t->fee, err)))
            goto fail;
        t->has_fee = true;
    }
    const char *c = opts->channel_secrets;
    if (c && *c) {
        if (!t->has_fee) {
            rc = kw_err_set(err, KW_EINVAL, "CHANNEL_ACCOUNTS needs KALEWX_FEE_ACCOUNT_SECRET, which pays their fees");
            goto fail;
        }
        t->channels = calloc(MAX_CHANNELS, sizeof *t->channels);
        if (!t->channels) {
            rc = kw_err_set(err, KW_ENOMEM, "out of memory");
            goto fail;
        }
        while (*c) {
            const char *end = strchr(c, ',');
            size_t len = end ? (size_t)(end - c) : strlen(c);
            while (len && (*c == ' ')) {
                c++;
                len--;
            }
            while (len && c[len - 1] == ' ')
                len--;
            if (t->nchannels == MAX_CHANNELS) {
                rc = kw_err_set(err, KW_EINVAL, "CHANNEL_ACCOUNTS holds more than %d accounts", MAX_CHANNELS);
                goto fail;
            }
            if ((rc = load_secret(c, len, "CHANNEL_ACCOUNTS", &t->channels[t->nchannels], err)))
                goto fail;
            t->nchannels++;
            c = end ? end + 1 : c + len;
        }
    }
    *out = t;
    return 0;
fail:
    kw_txer_free(t);
    return rc;
}

void kw_txer_free(kw_txer *t)
{
    if (!t)
        return;
    if (t->channels) {
        sodium_memzero(t->channels, MAX_CHANNELS * sizeof *t->channels);
        free(t->channels);
    }
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    sodium_memzero(t, sizeof *t);
    free(t);
}

const uint8_t *kw_txer_network_id(const kw_txer *t)
{
    return t->network_id;
}

int kw_txer_sources(const kw_txer *t)
{
    return t->nchannels ? t->nchannels : (t->has_fee ? 1 : 0);
}

/* Waits for a free source account until the deadline. */
static source *acquire(kw_txer *t, int64_t deadline)
{
    source *s = NULL;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        if (t->nchannels) {
            for (int i = 0; i < t->nchannels && !s; i++)
                if (!t->channels[i].busy)
                    s = &t->channels[i];
        } else if (!t->fee.busy) {
            s = &t->fee;
        }
        if (s || mono_ms(t) >= deadline)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&t->cv, &t->mu, &ts);
    }
    if (s)
        s->busy = true;
    pthread_mutex_unlock(&t->mu);
    return s;
}

static void release(kw_txer *t, source *s)
{
    pthread_mutex_lock(&t->mu);
    s->busy = false;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static int fetch_seq(kw_txer *t, source *s, kw_xdr_arena *arena, kw_err *err)
{
    kw_ledger_key key = kw_ledger_key_account(s->pub);
    kw_rpc_entry e;
    int rc = kw_rpc_get_ledger_entries(t->o.rpc, &key, 1, arena, &e, NULL, err);
    if (rc)
        return rc;
    if (!e.found || e.entry.type != KW_LEDGER_ACCOUNT) {
        char g[KW_STRKEY_BUFSZ];
        kw_strkey_encode(KW_STRKEY_ACCOUNT, s->pub, g);
        return kw_err_set(err, KW_ESTATE, "source account %s does not exist on this network; fund it first", g);
    }
    s->seq = e.entry.seq_num;
    return 0;
}

static int envelope_b64(const kw_envelope *env, char **out, kw_err *err)
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_envelope(&w, env);
    int rc = kw_xdr_writer_base64(&w, out);
    kw_xdr_writer_free(&w);
    return rc ? kw_err_set(err, rc, "the transaction cannot be encoded (%s)", kw_strerror(rc)) : 0;
}

/* Maps a failed simulation to the error convention of this module. */
static int sim_failure(const kw_rpc_sim *sim, const char *fn, kw_err *err)
{
    char first[200];
    size_t i = 0;
    for (; sim->error[i] && sim->error[i] != '\n' && i < sizeof first - 1; i++)
        first[i] = sim->error[i];
    first[i] = 0;
    if (sim->contract_error >= 0) {
        kw_err_set(err, KW_ECHAIN, "%s rejected by the contract: Error(Contract, #%lld)", fn,
                   (long long)sim->contract_error);
        if (err)
            err->code = (int)sim->contract_error;
        return KW_ECHAIN;
    }
    return kw_err_set(err, KW_ECHAIN, "%s failed in simulation: %s", fn, first);
}

static int simulate(kw_txer *t, const kw_envelope *env, const char *mode, const char *fn, kw_xdr_arena *arena,
                    kw_rpc_sim *sim, kw_err *err)
{
    char *b64 = NULL;
    int rc = envelope_b64(env, &b64, err);
    if (rc == 0)
        rc = kw_rpc_simulate(t->o.rpc, b64, mode, arena, sim, err);
    free(b64);
    if (rc)
        return rc;
    if (sim->failed)
        return sim_failure(sim, fn, err);
    if (sim->needs_restore)
        return kw_err_set(err, KW_ESTATE, "%s touches archived ledger entries that must be restored first", fn);
    return 0;
}

/* Checks every authorisation the simulation asks for and signs the farmer's. */
static int authorise(kw_txer *t, const kw_tx_call *call, const kw_rpc_sim *sim, kw_xdr_arena *arena,
                     kw_auth_entry **signed_out, kw_err *err)
{
    *signed_out = NULL;
    if (sim->nauth == 0)
        return 0;
    kw_auth_entry *entries = kw_xdr_arena_alloc(arena, sim->nauth * sizeof *entries);
    if (!entries)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < sim->nauth; i++) {
        kw_auth_entry *e = &entries[i];
        *e = sim->auth[i];
        if (e->cred_type != KW_CRED_ADDRESS)
            return kw_err_set(err, KW_EAUTH, "%s: the simulation asks for the operator's own authorisation; refused",
                              call->invoke.function);
        if (!call->signer || e->address.type != KW_SCADDR_ACCOUNT ||
            memcmp(e->address.key, call->signer->pub, 32) != 0)
            return kw_err_set(err, KW_EAUTH, "%s: the simulation asks for an authorisation nobody here gives",
                              call->invoke.function);
        if (!call->approve || !call->approve(call->approve_ctx, &e->root))
            return kw_err_set(err, KW_EAUTH, "%s: the authorisation the simulation asks for is not the call made",
                              call->invoke.function);
        e->sig_expiration_ledger = sim->latest_ledger + t->o.auth_ledgers;
        kw_xdr_writer w;
        uint8_t payload[32];
        kw_xdr_writer_init(&w, 0);
        int rc = kw_xdr_put_auth_preimage(&w, t->network_id, e->nonce, e->sig_expiration_ledger, &e->root);
        if (rc == 0)
            kw_sha256(w.p, w.n, payload);
        kw_xdr_writer_free(&w);
        if (rc)
            return kw_err_set(err, rc, "the authorisation cannot be encoded");
        uint8_t *sig = kw_xdr_arena_alloc(arena, 64);
        uint8_t *pub = kw_xdr_arena_alloc(arena, 32);
        kw_scmap_entry *m = kw_xdr_arena_alloc(arena, 2 * sizeof *m);
        kw_scval *one = kw_xdr_arena_alloc(arena, sizeof *one);
        if (!sig || !pub || !m || !one)
            return kw_err_set(err, KW_ENOMEM, "out of memory");
        if ((rc = call->signer->sign(call->signer->ctx, payload, 32, sig)))
            return kw_err_set(err, rc, "the farmer's authorisation could not be signed");
        memcpy(pub, call->signer->pub, 32);
        m[0] = (kw_scmap_entry){kw_scval_symbol("public_key"), kw_scval_bytes(pub, 32)};
        m[1] = (kw_scmap_entry){kw_scval_symbol("signature"), kw_scval_bytes(sig, 64)};
        *one = kw_scval_map(m, 2);
        e->signature = kw_scval_vec(one, 1);
    }
    *signed_out = entries;
    return 0;
}

static void sign_into(kw_decorated_sig *sig, const source *s, const uint8_t hash[32])
{
    crypto_sign_detached(sig->sig, NULL, hash, 32, s->sk);
    sig->nsig = 64;
    memcpy(sig->hint, s->pub + 28, 4);
}

/* Sets fees, signs as the source (and, with channels, fee-bumps as the fee
 * account), and encodes. */
static int finish_envelope(kw_txer *t, source *s, kw_envelope *env, int64_t resource_fee, char **b64,
                           char hash_hex[65], kw_err *err)
{
    int64_t fee = (int64_t)t->o.inclusion_fee + resource_fee;
    if (resource_fee < 0 || fee > UINT32_MAX)
        return kw_err_set(err, KW_ERANGE, "the simulated resource fee %lld does not fit a transaction",
                          (long long)resource_fee);
    env->tx.fee = (uint32_t)fee;
    uint8_t h[32];
    int rc = kw_xdr_tx_hash(t->network_id, &env->tx, h);
    if (rc)
        return kw_err_set(err, rc, "the transaction cannot be encoded");
    sign_into(&env->sigs[0], s, h);
    env->nsigs = 1;
    if (s != &t->fee) {
        env->fee_bump = true;
        env->fee_source = (kw_muxed){.type = KW_KEY_TYPE_ED25519};
        memcpy(env->fee_source.key, t->fee.pub, 32);
        env->bump_fee = fee + t->o.inclusion_fee;
        if ((rc = kw_xdr_fee_bump_hash(t->network_id, env, h)))
            return kw_err_set(err, rc, "the fee bump cannot be encoded");
        sign_into(&env->bump_sigs[0], &t->fee, h);
        env->nbump_sigs = 1;
    }
    kw_hex_encode(h, 32, hash_hex);
    return envelope_b64(env, b64, err);
}

/* Polls until a final status or the deadline. */
static int await(kw_txer *t, const char *fn, const char *hash, int64_t deadline, kw_xdr_arena *arena,
                 kw_tx_outcome *out, kw_err *err)
{
    kw_rpc_tx st;
    for (;;) {
        int rc = kw_rpc_get_transaction(t->o.rpc, hash, arena, &st, err);
        if (rc && rc != KW_ETRANSIENT)
            return rc;
        if (rc == 0 && st.status != KW_TXS_NOT_FOUND)
            break;
        if (mono_ms(t) + t->o.poll_ms > deadline)
            return kw_err_set(err, KW_ETRANSIENT, "%s transaction %s has no final status yet", fn, hash);
        kw_rpc_clock_sleep_ms(&t->o.clock, t->o.poll_ms);
    }
    out->ledger = st.ledger;
    out->fee_charged = st.has_result ? st.result.fee_charged : 0;
    if (st.status == KW_TXS_SUCCESS) {
        if (st.has_return) {
            out->has_return = true;
            out->return_value = st.return_value;
        }
        return 0;
    }
    if (st.contract_error >= 0) {
        kw_err_set(err, KW_ECHAIN, "%s failed on chain: Error(Contract, #%lld)", fn, (long long)st.contract_error);
        if (err)
            err->code = (int)st.contract_error;
        return KW_ECHAIN;
    }
    if (st.has_result && st.result.nops == 1 && st.result.ops[0].code == 0)
        return kw_err_set(err, KW_ECHAIN, "%s failed on chain: %s, invoke host function code %d", fn,
                          kw_tx_result_name(st.result.code), st.result.ops[0].ihf_code);
    return kw_err_set(err, KW_ECHAIN, "%s failed on chain: %s", fn,
                      st.has_result ? kw_tx_result_name(st.result.code) : "no result");
}

static kw_envelope *new_envelope(const source *s, int64_t seq, int64_t max_time, kw_operation *op)
{
    kw_envelope *env = calloc(1, sizeof *env);
    if (!env)
        return NULL;
    env->tx.source.type = KW_KEY_TYPE_ED25519;
    memcpy(env->tx.source.key, s->pub, 32);
    env->tx.seq_num = seq;
    env->tx.cond.type = 1;
    env->tx.cond.has_time = true;
    env->tx.cond.max_time = (uint64_t)max_time;
    env->tx.ops = op;
    env->tx.nops = 1;
    return env;
}

/* One attempt with one sequence number. *bad_seq is set when the network
 * answered txBadSeq, so the caller refetches and tries again. */
static int attempt(kw_txer *t, source *s, const kw_tx_call *call, int64_t deadline, kw_xdr_arena *arena,
                   kw_tx_outcome *out, bool *bad_seq, kw_err *err)
{
    const char *fn = call->invoke.function;
    kw_operation op = {.invoke = call->invoke};
    kw_rpc_sim sim;
    kw_auth_entry *auth = NULL;
    char *b64 = NULL;
    int rc;
    *bad_seq = false;
    int64_t max_time = kw_rpc_clock_now_ms(&t->o.clock) / 1000 + (deadline - mono_ms(t)) / 1000 + 1;
    kw_envelope *env = new_envelope(s, s->seq + 1, max_time, &op);
    if (!env)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    env->tx.fee = t->o.inclusion_fee;
    if ((rc = simulate(t, env, NULL, fn, arena, &sim, err)))
        goto done;
    if ((rc = authorise(t, call, &sim, arena, &auth, err)))
        goto done;
    if (auth) {
        /* Signature checks cost instructions the recording run did not count. */
        op.auth = auth;
        op.nauth = sim.nauth;
        uint32_t nauth = sim.nauth;
        if ((rc = simulate(t, env, "enforce", fn, arena, &sim, err)))
            goto done;
        op.nauth = nauth;
    }
    env->tx.has_soroban = true;
    env->tx.soroban = sim.data;
    if ((rc = finish_envelope(t, s, env, sim.min_resource_fee, &b64, out->hash, err)))
        goto done;
    if (sim.has_result) {
        out->has_return = true;
        out->return_value = sim.result;
    }
    for (;;) {
        kw_rpc_send_result sent;
        if ((rc = kw_rpc_send(t->o.rpc, b64, arena, &sent, err)))
            goto done;
        if (sent.status == KW_SEND_PENDING || sent.status == KW_SEND_DUPLICATE) {
            s->seq = env->tx.seq_num;
            break;
        }
        if (sent.status == KW_SEND_ERROR) {
            int32_t code = sent.has_error_result ? sent.error_result.code : KW_TX_FAILED;
            if (code == KW_TX_BAD_SEQ) {
                *bad_seq = true;
                rc = kw_err_set(err, KW_ETRANSIENT, "%s: sequence number %lld was stale", fn,
                                (long long)env->tx.seq_num);
            } else {
                rc = kw_err_set(err, KW_ECHAIN, "%s rejected by the network: %s", fn,
                                sent.has_error_result ? kw_tx_result_name(code) : "no reason given");
            }
            goto done;
        }
        if (mono_ms(t) + t->o.poll_ms > deadline) {
            rc = kw_err_set(err, KW_ETRANSIENT, "%s: the network kept answering TRY_AGAIN_LATER", fn);
            goto done;
        }
        kw_rpc_clock_sleep_ms(&t->o.clock, t->o.poll_ms);
    }
    rc = await(t, fn, out->hash, deadline, arena, out, err);
    if (rc == KW_ETRANSIENT)
        s->seq = 0; /* the transaction may or may not land: ask the network next time */
done:
    free(b64);
    free(env);
    return rc;
}

int kw_txer_invoke(kw_txer *t, const kw_tx_call *call, kw_xdr_arena *arena, kw_tx_outcome *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    if (!t->has_fee)
        return kw_err_set(err, KW_ESTATE, "KALEWX_FEE_ACCOUNT_SECRET is not set: cannot submit %s",
                          call->invoke.function);
    int64_t deadline = mono_ms(t) + t->o.deadline_ms;
    source *s = acquire(t, deadline);
    if (!s)
        return kw_err_set(err, KW_ETRANSIENT, "no source account became free in time for %s", call->invoke.function);
    int rc = 0;
    for (int i = 0; i <= BAD_SEQ_RETRIES; i++) {
        bool bad_seq = false;
        if (s->seq == 0 && (rc = fetch_seq(t, s, arena, err)))
            break;
        memset(out, 0, sizeof *out);
        rc = attempt(t, s, call, deadline, arena, out, &bad_seq, err);
        if (!bad_seq)
            break;
        KW_LOG(KW_LOG_WARN, "stale sequence number, refetching", KW_LS("function", call->invoke.function));
        s->seq = 0;
    }
    release(t, s);
    return rc;
}

int kw_txer_read(kw_txer *t, const kw_invoke_args *invoke, kw_xdr_arena *arena, kw_scval *result,
                 uint32_t *latest_ledger, kw_err *err)
{
    static const source zero;
    kw_operation op = {.invoke = *invoke};
    kw_rpc_sim sim;
    kw_envelope *env = new_envelope(&zero, 1, 0, &op);
    if (!env)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    env->tx.cond.type = 0;
    env->tx.cond.has_time = false;
    env->tx.fee = t->o.inclusion_fee;
    int rc = simulate(t, env, NULL, invoke->function, arena, &sim, err);
    free(env);
    if (rc)
        return rc;
    if (!sim.has_result)
        return kw_err_set(err, KW_EINVAL, "%s: the simulation returned no value", invoke->function);
    *result = sim.result;
    if (latest_ledger)
        *latest_ledger = sim.latest_ledger;
    return 0;
}
