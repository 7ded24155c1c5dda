/* Robustness of the decoders against hostile input: random bytes and
 * mutations (bit flips, truncation, insertion, deletion, huge lengths) of
 * real encodings must never crash or leak (the ASan build checks that), and
 * whatever decodes completely must re-encode to the very same bytes. The
 * JSON-RPC response parser gets the same treatment. Deterministic seeds. */
#include <criterion/criterion.h>
#include <string.h>

#include "chain/soroban/rpc.h"
#include "chain/soroban/xdr.h"
#include "rpc_examples.h"
#include "xdr_util.h"

static uint64_t rng = 0x5eed;
static int identities; /* mutated inputs that decoded and re-encoded identically */

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

typedef enum kind { K_SCVAL, K_ENVELOPE, K_AUTH, K_DATA, K_KEY, K_RESULT, K_EVENT, K_ENTRY, K_META, K_COUNT } kind;

/* Decodes buf as kind; when it decodes completely and the type is kept
 * whole, checks that re-encoding reproduces buf. */
static void decode(kind k, const uint8_t *buf, size_t n)
{
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    kw_xdr_reader r;
    kw_err e;
    kw_xdr_writer w;
    kw_xdr_reader_init(&r, buf, n, a, &e);
    kw_xdr_writer_init(&w, 1 << 22);
    int rc;
    union {
        kw_scval v;
        kw_envelope env;
        kw_auth_entry auth;
        kw_soroban_data d;
        kw_ledger_key key;
        kw_tx_result res;
        kw_contract_event ev;
        kw_xdr_ledger_entry entry;
    } *u = calloc(1, sizeof *u);
    bool flag;
    switch (k) {
    case K_SCVAL: rc = kw_xdr_get_scval(&r, &u->v); if (!rc) (void)kw_xdr_put_scval(&w, &u->v); break;
    case K_ENVELOPE: rc = kw_xdr_get_envelope(&r, &u->env); if (!rc) (void)kw_xdr_put_envelope(&w, &u->env); break;
    case K_AUTH: rc = kw_xdr_get_auth_entry(&r, &u->auth); if (!rc) (void)kw_xdr_put_auth_entry(&w, &u->auth); break;
    case K_DATA: rc = kw_xdr_get_soroban_data(&r, &u->d); if (!rc) (void)kw_xdr_put_soroban_data(&w, &u->d); break;
    case K_KEY: rc = kw_xdr_get_ledger_key(&r, &u->key); if (!rc) (void)kw_xdr_put_ledger_key(&w, &u->key); break;
    case K_RESULT:
        rc = kw_xdr_get_tx_result(&r, &u->res);
        if (!rc && !u->res.fee_bump)
            (void)kw_xdr_put_tx_result(&w, &u->res);
        break;
    case K_EVENT: rc = kw_xdr_get_diagnostic_event(&r, &flag, &u->ev); if (!rc) (void)kw_xdr_put_diagnostic_event(&w, flag, &u->ev); break;
    case K_ENTRY: rc = kw_xdr_get_ledger_entry_data(&r, &u->entry); break;
    default: rc = kw_xdr_get_meta_return(&r, &flag, &u->v); break;
    }
    cr_assert(rc == 0 || rc == KW_EINVAL || rc == KW_ENOMEM, "kind %d: unexpected code %d", k, rc);
    if (rc == 0 && kw_xdr_reader_done(&r) == 0 && w.n) {
        cr_assert_eq(kw_xdr_writer_error(&w), 0, "kind %d: decoded but cannot re-encode", k);
        cr_assert(w.n == n && memcmp(w.p, buf, n) == 0, "kind %d: decode/encode is not the identity", k);
        identities++;
    }
    free(u);
    kw_xdr_writer_free(&w);
    kw_xdr_arena_free(a);
}

static void mutate(uint8_t *p, size_t *n, size_t cap)
{
    switch (next() % 6) {
    case 0: if (*n) p[next() % *n] ^= (uint8_t)(1u << (next() % 8)); break;
    case 1: *n = *n ? next() % *n : 0; break;
    case 2:
        if (*n + 4 <= cap) {
            size_t at = next() % (*n + 1);
            memmove(p + at + 4, p + at, *n - at);
            for (int i = 0; i < 4; i++)
                p[at + i] = (uint8_t)next();
            *n += 4;
        }
        break;
    case 3:
        if (*n >= 4) {
            size_t at = next() % (*n - 3);
            memmove(p + at, p + at + 4, *n - at - 4);
            *n -= 4;
        }
        break;
    case 4:
        if (*n >= 4) { /* a length or count field turned huge */
            size_t at = (next() % (*n / 4)) * 4;
            uint32_t v = next() & 1 ? 0xffffffffu : (uint32_t)(next() % 100000);
            p[at] = (uint8_t)(v >> 24), p[at + 1] = (uint8_t)(v >> 16), p[at + 2] = (uint8_t)(v >> 8), p[at + 3] = (uint8_t)v;
        }
        break;
    default: if (*n) p[next() % *n] = (uint8_t)next(); break;
    }
}

static const struct seed { kind k; const char *b64; } seeds[] = {
    {K_ENVELOPE, "AAAAAgAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAABYVUAAAAAB1vNFgAAAAEAAAAAAAAAAAAAAABlU/IsAAAAAAAAAAEAAAAAAAAAGAAAAAAAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAFcGxhbnQAAAAAAAACAAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAKAAAAAAAAAAAAAAAAO5rKAAAAAAEAAAAAAAAAAAAAAAHIz3AfMK0R0+6Hfc7Q13SrLakVmJQpaIe4Q5pjyaoGVQAAAAVwbGFudAAAAAAAAAIAAAASAAAAAAAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAAoAAAAAAAAAAAAAAAA7msoAAAAAAAAAAAEAAAAAAAAAAgAAAAYAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAUAAAAAQAAAAczYVS/Z/dl+PddFqCszuYbXuX2p1sqKQVwPfkTvVUPPgAAAAEAAAAGAAAAAcjPcB8wrRHT7od9ztDXdKstqRWYlCloh7hDmmPJqgZVAAAAEAAAAAEAAAADAAAADwAAAARQbG90AAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAADAAAAAwAAAAEAHe2yAAAFiAAAAIgAAAAAAAFg8QAAAAGtBJZkAAAAQEAYZ+TlmfzQLAYZGQZr6z41SdmBu4UZg0zTkO0XUFEFQJLEl1/J8mI7LrqeC1e/fJ5ORJFkAI1bgh5Q1jQBvAA="},
    {K_AUTH, "AAAAAQAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAAAAAAKgAPQqQAAAAQAAAAAQAAAAEAAAARAAAAAQAAAAIAAAAPAAAACnB1YmxpY19rZXkAAAAAAA0AAAAgebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAPAAAACXNpZ25hdHVyZQAAAAAAAA0AAABAUaXiApc5LJ7Nu0wdkOburA3oaXKUiHKGbxVA+sEYIRKDB0Xw5OS/nGzOiwQInQXmnAATNvCgGmLrX6GXDPz1CwAAAAAAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAFcGxhbnQAAAAAAAACAAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAKAAAAAAAAAAAAAAAAO5rKAAAAAAA="},
    {K_DATA, "AAAAAAAAAAIAAAAGAAAAAcjPcB8wrRHT7od9ztDXdKstqRWYlCloh7hDmmPJqgZVAAAAFAAAAAEAAAAHM2FUv2f3Zfj3XRagrM7mG17l9qdbKikFcD35E71VDz4AAAABAAAABgAAAAHIz3AfMK0R0+6Hfc7Q13SrLakVmJQpaIe4Q5pjyaoGVQAAABAAAAABAAAAAwAAAA8AAAAEUGxvdAAAABIAAAAAAAAAAHm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+DjkQutBJZkAAAAAwAAAAMAAAABAB3tsgAABYgAAACIAAAAAAABYPE="},
    {K_KEY, "AAAABgAAAAHX/kS9CvEdYCsQkfL0ofTfIS1ETQMh6jKts8wcu6sKBAAAABAAAAABAAAAAwAAAA8AAAAEUGFpbAAAABIAAAAAAAAAAHm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+DjkQutBJZkAAAAAwAAMDkAAAAA"},
    {K_RESULT, "AAAAAAAHNm8AAAAAAAAAAQAAAAAAAAAYAAAAABAjuTEVbQCbk5bRhjZsSNvqYe1R+oSFTzqCtsrEM/Z/AAAAAA=="},
    {K_RESULT, "AAAAAAAAAGT////7AAAAAA=="},
    {K_ENTRY, "AAAABgAAAAAAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAQAAAAAQAAAAMAAAAPAAAABFBsb3QAAAASAAAAAAAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAAMAAAADAAAAAQAAAAoAAAAAAAAAAAAAAAA7msoA"},
    {K_ENTRY, "AAAAAAAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAABdIdugAAAAAAAdbzRUAAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAA"},
    {K_EVENT, "AAAAAQAAAAAAAAAAAAAAAgAAAAAAAAADAAAADwAAAAdmbl9jYWxsAAAAAA0AAAAgzAP+dP0PsNzYvFF1pv7a8RQXwH5eg3uZBbbWjE9PwAsAAAAPAAAACWluY3JlbWVudAAAAAAAABAAAAABAAAAAgAAABIAAAAAAAAAACDh1sDGwYAYgJ8EbeJPZwoZhDqEriwlbNnqivULm/oYAAAAAwAAAAM="},
    {K_SCVAL, "AAAAEAAAAAEAAAADAAAADwAAAARQbG90AAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAADAAAAAw=="},
    {K_META, META_FAILED},
    {K_META, META_SUCCESS},
};

Test(robust, mutated_encodings_never_crash_and_round_trip)
{
    enum { CAP = 16384 };
    uint8_t *buf = malloc(CAP);
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t n0;
        uint8_t *orig = t_unb64(seeds[s].b64, &n0);
        cr_assert_leq(n0, CAP);
        decode(seeds[s].k, orig, n0);
        int rounds = seeds[s].k == K_META ? 300 : 3000;
        for (int i = 0; i < rounds; i++) {
            size_t n = n0;
            memcpy(buf, orig, n0);
            for (int m = 1 + (int)(next() % 4); m > 0; m--)
                mutate(buf, &n, CAP);
            decode(seeds[s].k, buf, n);
            /* the same bytes through every other decoder */
            decode((kind)(next() % K_COUNT), buf, n);
        }
        free(orig);
    }
    free(buf);
    cr_assert_gt(identities, 2000, "only %d mutants decoded: the property was hardly exercised", identities);
}

Test(robust, random_bytes_never_crash)
{
    uint8_t buf[512];
    for (int i = 0; i < 20000; i++) {
        size_t n = next() % sizeof buf;
        for (size_t j = 0; j < n; j++)
            buf[j] = (uint8_t)(next() % 4 ? next() % 24 : next()); /* small values reach deeper arms */
        decode((kind)(i % K_COUNT), buf, n);
    }
}

Test(robust, json_rpc_parser_survives_mutations)
{
    const char *seeds_json[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"status\":\"PENDING\",\"hash\":\"d8ec9b68780314ffdfdfc2194b1b35dd27d7303c3bceaef6447e31631a1419dc\",\"latestLedger\":2553978,\"latestLedgerCloseTime\":\"1700159337\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32602,\"message\":\"invalid parameters\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"entries\":[{\"key\":\"AAAA\",\"xdr\":\"AAAA\",\"lastModifiedLedgerSeq\":1000}],\"latestLedger\":1005}}",
    };
    char buf[1024];
    for (size_t s = 0; s < 3; s++) {
        size_t n0 = strlen(seeds_json[s]);
        for (int i = 0; i < 5000; i++) {
            size_t n = n0;
            memcpy(buf, seeds_json[s], n0);
            for (int m = 1 + (int)(next() % 3); m > 0; m--) {
                size_t at = n ? next() % n : 0;
                switch (next() % 4) {
                case 0: buf[at] = (char)next(); break;
                case 1: n = at; break;
                case 2: if (n < sizeof buf - 1) { memmove(buf + at + 1, buf + at, n - at); buf[at] = "{}[]\",:0-e"[next() % 10]; n++; } break;
                default: if (n) { memmove(buf + at, buf + at + 1, n - at - 1); n--; } break;
                }
            }
            json_t *res = NULL;
            kw_err e;
            int rc = kw_rpc_parse_response(buf, n, 7, "m", &res, &e);
            cr_assert(rc == 0 || rc == KW_EINVAL || rc == KW_ETRANSIENT, "code %d", rc);
            cr_assert_eq(rc == 0, res != NULL);
            if (res) {
                uint64_t u;
                int64_t v;
                const char *key;
                json_t *val;
                json_object_foreach(res, key, val) {
                    int a = kw_json_u64(res, key, &u), b = kw_json_i64(res, key, &v);
                    cr_assert(a == 0 || a == KW_EINVAL);
                    cr_assert(b == 0 || b == KW_EINVAL);
                }
                json_decref(res);
            }
        }
    }
}
