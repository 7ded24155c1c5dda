/* libFuzzer target: every XDR decoder of the soroban backend, and base64.
 * The first byte picks the decoder, the rest is its input. What decodes
 * completely must re-encode to the same bytes (for the types that are kept
 * whole); strict base64 must round-trip. */
#include <stdlib.h>
#include <string.h>

#include "chain/soroban/xdr.h"

enum kind {
    K_SCVAL, K_SCADDRESS, K_ENVELOPE, K_AUTH, K_DATA, K_KEY, K_ENTRY, K_ARGS, K_RESULT, K_EVENT, K_DIAG,
    K_META, K_BASE64, K_COUNT
};

static void same(const kw_xdr_writer *w, const uint8_t *data, size_t n)
{
    if (kw_xdr_writer_error(w) || w->n != n || memcmp(w->p, data, n) != 0)
        abort();
}

static void base64(const uint8_t *data, size_t n)
{
    uint8_t *raw = NULL;
    size_t len;
    char *text = NULL;
    if (kw_base64_decode((const char *)data, n, &raw, &len) == 0) {
        if (kw_base64_encode(raw, len, &text) != 0 || strlen(text) != n || memcmp(text, data, n) != 0)
            abort();
    }
    free(text);
    free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    enum kind kind = (enum kind)(data[0] % K_COUNT);
    data++;
    n--;
    if (kind == K_BASE64) {
        base64(data, n);
        return 0;
    }
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    union {
        kw_scval v;
        kw_scaddress addr;
        kw_envelope env;
        kw_auth_entry auth;
        kw_soroban_data d;
        kw_ledger_key key;
        kw_xdr_ledger_entry entry;
        kw_invoke_args args;
        kw_tx_result res;
        kw_contract_event ev;
    } *u = calloc(1, sizeof *u);
    if (!a || !u)
        goto done;
    kw_xdr_reader r;
    kw_xdr_writer w;
    kw_err e = {0};
    bool flag;
    kw_xdr_reader_init(&r, data, n, a, &e);
    kw_xdr_writer_init(&w, 1 << 22);
    int rc, whole = 1;
    switch (kind) {
    case K_SCVAL: rc = kw_xdr_get_scval(&r, &u->v); if (!rc) (void)kw_xdr_put_scval(&w, &u->v); break;
    case K_SCADDRESS: rc = kw_xdr_get_scaddress(&r, &u->addr); if (!rc) (void)kw_xdr_put_scaddress(&w, &u->addr); break;
    case K_ENVELOPE: rc = kw_xdr_get_envelope(&r, &u->env); if (!rc) (void)kw_xdr_put_envelope(&w, &u->env); break;
    case K_AUTH: rc = kw_xdr_get_auth_entry(&r, &u->auth); if (!rc) (void)kw_xdr_put_auth_entry(&w, &u->auth); break;
    case K_DATA: rc = kw_xdr_get_soroban_data(&r, &u->d); if (!rc) (void)kw_xdr_put_soroban_data(&w, &u->d); break;
    case K_KEY: rc = kw_xdr_get_ledger_key(&r, &u->key); if (!rc) (void)kw_xdr_put_ledger_key(&w, &u->key); break;
    case K_ARGS: rc = kw_xdr_get_invoke_args(&r, &u->args); if (!rc) (void)kw_xdr_put_invoke_args(&w, &u->args); break;
    case K_EVENT:
        rc = kw_xdr_get_contract_event(&r, &u->ev);
        if (!rc)
            (void)kw_xdr_put_contract_event(&w, &u->ev);
        break;
    case K_DIAG:
        rc = kw_xdr_get_diagnostic_event(&r, &flag, &u->ev);
        if (!rc) {
            (void)kw_xdr_put_diagnostic_event(&w, flag, &u->ev);
            (void)kw_contract_event_error(&u->ev);
        }
        break;
    case K_RESULT:
        /* a fee bump's outer result is summarised, not kept */
        rc = kw_xdr_get_tx_result(&r, &u->res);
        whole = !rc && !u->res.fee_bump;
        if (whole)
            (void)kw_xdr_put_tx_result(&w, &u->res);
        break;
    case K_ENTRY:
        /* accounts and trust lines keep only what kalewx reads; other types are skipped */
        rc = kw_xdr_get_ledger_entry_data(&r, &u->entry);
        whole = !rc && (u->entry.type == KW_LEDGER_CONTRACT_DATA || u->entry.type == KW_LEDGER_TTL);
        if (whole)
            (void)kw_xdr_put_ledger_entry_data(&w, &u->entry);
        break;
    default:
        rc = kw_xdr_get_meta_return(&r, &flag, &u->v);
        whole = 0;
        break;
    }
    if (rc != 0 && rc != KW_EINVAL && rc != KW_ENOMEM)
        abort();
    if (rc == 0 && whole && kw_xdr_reader_done(&r) == 0)
        same(&w, data, n);
    kw_xdr_writer_free(&w);
done:
    free(u);
    kw_xdr_arena_free(a);
    return 0;
}
