/* The Stellar RPC client against the loopback stub: every method, numbers as
 * strings, JSON-RPC errors, 429/503 retries with backoff, timeouts, the
 * circuit breaker, and the response parser on hostile input. */
#include <criterion/criterion.h>
#include <string.h>

#include "chain/soroban/rpc.h"
#include "crypto/strkey.h"
#include "rpc_stub.h"
#include "xdr_util.h"

typedef struct tclock { int64_t now, slept; int sleeps; } tclock;

static int64_t t_mono(void *ctx) { return ((tclock *)ctx)->now; }
static void t_sleep(void *ctx, int64_t ms)
{
    tclock *c = ctx;
    c->now += ms;
    c->slept += ms;
    c->sleeps++;
}

static uint8_t farm[32], asset[32], oracle[32], pub[32];
static stub *S;
static kw_rpc *R;
static tclock C;

static void up(int64_t timeout_ms)
{
    t_raw32(T_FARM_HEX, farm);
    memset(asset, 0xa5, 32);
    memset(oracle, 0x0c, 32);
    t_raw32(T_PUB_HEX, pub);
    S = stub_start(farm, asset, oracle);
    memset(&C, 0, sizeof C);
    C.now = 1000000;
    kw_rpc_opts o = {.url = stub_url(S), .timeout_ms = timeout_ms, .attempts = 4, .backoff_base_ms = 100,
                     .backoff_max_ms = 1000, .breaker_threshold = 3, .breaker_cooldown_ms = 5000, .seed = 7,
                     .clock = {.mono_ms = t_mono, .sleep_ms = t_sleep, .ctx = &C}};
    kw_err e = {0};
    cr_assert_eq(kw_rpc_new(&o, &R, &e), 0, "%s", e.msg);
}

static void setup(void) { up(3000); }

static void down(void)
{
    kw_rpc_free(R);
    stub_stop(S);
}

TestSuite(rpc, .init = setup, .fini = down);

Test(rpc, health_network_and_latest_ledger)
{
    kw_err e = {0};
    kw_rpc_health h;
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), 0, "%s", e.msg);
    cr_assert_str_eq(h.status, "healthy");
    cr_assert_eq(h.latest_ledger, 1000);
    cr_assert_eq(h.retention_window, 120960);
    kw_rpc_network n;
    cr_assert_eq(kw_rpc_get_network(R, &n, &e), 0, "%s", e.msg);
    cr_assert_str_eq(n.passphrase, "Test SDF Network ; September 2015");
    cr_assert_eq(n.protocol_version, 23);
    kw_rpc_ledger l;
    cr_assert_eq(kw_rpc_get_latest_ledger(R, &l, &e), 0, "%s", e.msg);
    cr_assert_eq(l.sequence, 1000);
    cr_assert_eq(l.close_time, 1752700000, "closeTime arrives as a string");
}

Test(rpc, ledger_entries_found_and_missing_in_key_order)
{
    kw_err e = {0};
    stub_account(S, pub, 123456789);
    uint8_t other[32] = {9};
    kw_ledger_key keys[3] = {kw_ledger_key_account(other), kw_ledger_key_account(pub),
                             kw_ledger_key_contract_data(farm, kw_scval_instance_key(), KW_DURABILITY_PERSISTENT)};
    kw_rpc_entry out[3];
    uint32_t latest = 0;
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    cr_assert_eq(kw_rpc_get_ledger_entries(R, keys, 3, a, out, &latest, &e), 0, "%s", e.msg);
    cr_assert_eq(latest, 1000);
    cr_assert_not(out[0].found);
    cr_assert(out[1].found);
    cr_assert_eq(out[1].entry.seq_num, 123456789);
    cr_assert(out[2].found);
    cr_assert_eq(out[2].entry.val.type, KW_SCV_CONTRACT_INSTANCE);
    const kw_scval *fi = kw_scmap_find(out[2].entry.val.v.instance.entries, out[2].entry.val.v.instance.n, "FarmIndex");
    cr_assert(fi && fi->type == KW_SCV_U32 && fi->v.u32 == 30000);
    kw_xdr_arena_free(a);
}

Test(rpc, retries_429_and_503_with_backoff)
{
    kw_err e = {0};
    kw_rpc_health h;
    stub_fault(S, "getHealth", SF_HTTP_429, 1, 0, NULL);
    stub_fault(S, "getHealth", SF_HTTP_503, 2, 0, NULL);
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), 0, "%s", e.msg);
    cr_assert_eq(C.sleeps, 3);
    cr_assert_eq(kw_rpc_get_stats(R).retries, 3);
    /* 429 carried Retry-After: 1, so the first wait is a full second (the cap) */
    cr_assert_geq(C.slept, 1000 + 100 + 200);
    cr_assert_eq(stub_get_counts(S).requests, 4);
}

Test(rpc, backoff_is_exponential_with_jitter)
{
    kw_err e = {0};
    kw_rpc_health h;
    stub_fault(S, "getHealth", SF_HTTP_503, 4, 0, NULL);
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), KW_ETRANSIENT);
    cr_assert(strstr(e.msg, "503") != NULL, "%s", e.msg);
    cr_assert_eq(C.sleeps, 3, "4 tries, 3 waits");
    /* waits in [50,100] + [100,200] + [200,400] */
    cr_assert_geq(C.slept, 350);
    cr_assert_leq(C.slept, 700);
}

Test(rpc, json_rpc_errors_are_answers_not_retried)
{
    kw_err e = {0};
    kw_rpc_ledger l;
    stub_fault(S, "getLatestLedger", SF_RPC_ERROR, 1, -32602, "invalid parameters");
    cr_assert_eq(kw_rpc_get_latest_ledger(R, &l, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "getLatestLedger") && strstr(e.msg, "parameters"), "%s", e.msg);
    cr_assert_eq(C.sleeps, 0);
    stub_fault(S, "getLatestLedger", SF_RPC_ERROR, 1, -32603, "database is busy");
    cr_assert_eq(kw_rpc_get_latest_ledger(R, &l, &e), KW_ETRANSIENT);
    cr_assert(strstr(e.msg, "database is busy") != NULL, "%s", e.msg);
    stub_fault(S, "getLatestLedger", SF_GARBAGE, 1, 0, NULL);
    cr_assert_eq(kw_rpc_get_latest_ledger(R, &l, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "not JSON") != NULL, "%s", e.msg);
    json_t *res = NULL;
    cr_assert_eq(kw_rpc_call(R, "getNothing", NULL, &res, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "getNothing") != NULL, "%s", e.msg);
}

static void setup_short(void) { up(300); }

Test(rpc_timeout, timeouts_are_retried, .init = setup_short, .fini = down)
{
    kw_err e = {0};
    kw_rpc_health h;
    stub_fault(S, "getHealth", SF_DELAY, 1, 900, NULL);
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), 0, "%s", e.msg);
    cr_assert_eq(C.sleeps, 1);
}

Test(rpc, circuit_breaker_opens_and_recovers)
{
    kw_err e = {0};
    kw_rpc_health h;
    stub_fault(S, "getHealth", SF_HTTP_503, 12, 0, NULL);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(kw_rpc_get_health(R, &h, &e), KW_ETRANSIENT);
    int before = stub_get_counts(S).requests;
    cr_assert_eq(before, 12);
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), KW_ETRANSIENT);
    cr_assert(strstr(e.msg, "circuit open") != NULL, "%s", e.msg);
    cr_assert_eq(stub_get_counts(S).requests, before, "an open breaker sends nothing");
    cr_assert_eq(kw_rpc_get_stats(R).breaker_trips, 1);
    C.now += 5000;
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), 0, "the half-open trial passes: %s", e.msg);
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), 0, "closed again");
}

Test(rpc, failed_trial_reopens_the_breaker)
{
    kw_err e = {0};
    kw_rpc_health h;
    stub_fault(S, "getHealth", SF_HTTP_503, 16, 0, NULL);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(kw_rpc_get_health(R, &h, &e), KW_ETRANSIENT);
    C.now += 5000;
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), KW_ETRANSIENT, "the trial fails");
    int before = stub_get_counts(S).requests;
    cr_assert_eq(kw_rpc_get_health(R, &h, &e), KW_ETRANSIENT);
    cr_assert(strstr(e.msg, "circuit open") != NULL, "%s", e.msg);
    cr_assert_eq(stub_get_counts(S).requests, before);
}

Test(rpc, numbers_as_strings)
{
    json_t *o = json_pack("{s:s,s:I,s:s,s:s,s:s,s:f,s:s}", "a", "18446744073709551615", "b", (json_int_t)42, "c",
                          "-9223372036854775808", "d", "18446744073709551616", "e", "12x", "f", 1.5, "g", "");
    uint64_t u;
    int64_t i;
    cr_assert_eq(kw_json_u64(o, "a", &u), 0);
    cr_assert_eq(u, UINT64_MAX);
    cr_assert_eq(kw_json_u64(o, "b", &u), 0);
    cr_assert_eq(u, 42);
    cr_assert_eq(kw_json_i64(o, "c", &i), 0);
    cr_assert_eq(i, INT64_MIN);
    cr_assert_eq(kw_json_u64(o, "d", &u), KW_EINVAL);
    cr_assert_eq(kw_json_u64(o, "e", &u), KW_EINVAL);
    cr_assert_eq(kw_json_u64(o, "f", &u), KW_EINVAL);
    cr_assert_eq(kw_json_u64(o, "g", &u), KW_EINVAL);
    cr_assert_eq(kw_json_u64(o, "zz", &u), KW_ENOTFOUND);
    cr_assert_eq(kw_json_u64(o, "c", &u), KW_EINVAL);
    json_decref(o);
}

Test(rpc, response_parser_checks_envelope)
{
    json_t *r;
    kw_err e = {0};
    const char *ok = "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"x\":1}}";
    cr_assert_eq(kw_rpc_parse_response(ok, strlen(ok), 5, "m", &r, &e), 0);
    json_decref(r);
    const char *bad[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{}}",
        "{\"jsonrpc\":\"1.0\",\"id\":5,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":[]}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{},\"result\":{}}",
        "[]",
        "",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":\"x\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(kw_rpc_parse_response(bad[i], strlen(bad[i]), 5, "m", &r, &e), KW_EINVAL, "%s", bad[i]);
        cr_assert_null(r);
    }
}

Test(rpc, contract_error_in_text)
{
    cr_assert_eq(kw_rpc_contract_error_in_text("HostError: Error(Contract, #14)\nmore"), 14);
    cr_assert_eq(kw_rpc_contract_error_in_text("HostError: Error(Auth, InvalidAction)"), -1);
    cr_assert_eq(kw_rpc_contract_error_in_text("Error(Contract, #)"), -1);
    cr_assert_eq(kw_rpc_contract_error_in_text("Error(Contract, #99999999999)"), -1);
    cr_assert_eq(kw_rpc_contract_error_in_text(NULL), -1);
}
