/* libFuzzer target: every XDR decoder of the soroban backend on the same
 * input; what decodes completely must re-encode to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "chain/soroban/xdr.h"

static void check(int ok, const kw_xdr_writer *w, const uint8_t *data, size_t n)
{
    if (ok && (kw_xdr_writer_error(w) || w->n != n || memcmp(w->p, data, n) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    /* the first byte picks the decoder, the rest is its input */
    unsigned kind = data[0] % 6;
    data++;
    n--;
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    kw_envelope *env = calloc(1, sizeof *env);
    kw_xdr_reader r;
    kw_xdr_writer w;
    kw_scval v;
    kw_auth_entry auth;
    kw_soroban_data d;
    kw_tx_result res;
    bool has;
    kw_xdr_reader_init(&r, data, n, a, NULL);
    kw_xdr_writer_init(&w, 1 << 22);
    int ok;
    switch (kind) {
    case 0:
        ok = kw_xdr_get_scval(&r, &v) == 0 && kw_xdr_reader_done(&r) == 0;
        if (ok)
            (void)kw_xdr_put_scval(&w, &v);
        check(ok, &w, data, n);
        break;
    case 1:
        ok = kw_xdr_get_envelope(&r, env) == 0 && kw_xdr_reader_done(&r) == 0;
        if (ok)
            (void)kw_xdr_put_envelope(&w, env);
        check(ok, &w, data, n);
        break;
    case 2:
        ok = kw_xdr_get_auth_entry(&r, &auth) == 0 && kw_xdr_reader_done(&r) == 0;
        if (ok)
            (void)kw_xdr_put_auth_entry(&w, &auth);
        check(ok, &w, data, n);
        break;
    case 3:
        ok = kw_xdr_get_soroban_data(&r, &d) == 0 && kw_xdr_reader_done(&r) == 0;
        if (ok)
            (void)kw_xdr_put_soroban_data(&w, &d);
        check(ok, &w, data, n);
        break;
    case 4:
        ok = kw_xdr_get_tx_result(&r, &res) == 0 && kw_xdr_reader_done(&r) == 0 && !res.fee_bump;
        if (ok)
            (void)kw_xdr_put_tx_result(&w, &res);
        check(ok, &w, data, n);
        break;
    default:
        (void)kw_xdr_get_meta_return(&r, &has, &v);
        break;
    }
    kw_xdr_writer_free(&w);
    free(env);
    kw_xdr_arena_free(a);
    return 0;
}
