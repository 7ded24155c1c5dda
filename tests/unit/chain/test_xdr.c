/* Byte-exact checks of the XDR subset against reference/stellar-vectors.txt
 * (produced with @stellar/stellar-base 15.0.0), plus decoder strictness. */
#include <sodium.h>

#include "chain/soroban/xdr.h"
#include "crypto/strkey.h"
#include "rpc_examples.h"
#include "xdr_util.h"

static const char TESTNET[] = "Test SDF Network ; September 2015";
static const char PUBLIC[] = "Public Global Stellar Network ; September 2015";

/* Decodes hex as one SCVal, checks that every byte was used, re-encodes. */
static void roundtrip_scval(const char *hex)
{
    size_t n;
    uint8_t *p = t_unhex(hex, &n);
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    kw_xdr_reader r;
    kw_err e = {0};
    kw_scval v;
    kw_xdr_reader_init(&r, p, n, a, &e);
    cr_assert_eq(kw_xdr_get_scval(&r, &v), 0, "%s: %s", hex, e.msg);
    cr_assert_eq(kw_xdr_reader_done(&r), 0, "%s", hex);
    t_scval_hex(&v, hex, "re-encoded SCVal");
    kw_xdr_arena_free(a);
    free(p);
}

Test(xdr, scval_vectors)
{
    uint8_t pub[32], farm[32], b32[32];
    t_raw32(T_PUB_HEX, pub);
    t_raw32(T_FARM_HEX, farm);
    for (int i = 0; i < 32; i++)
        b32[i] = (uint8_t)i;
    kw_scval vec_items[] = {kw_scval_symbol("Plot"), kw_scval_account(pub), kw_scval_u32(3)};
    kw_scmap_entry map_entries[] = {{kw_scval_symbol("a"), kw_scval_u32(1)}};
    struct { kw_scval v; const char *hex; } cases[] = {
        {kw_scval_u32(7), "0000000300000007"},
        {kw_scval_i32(-2), "00000004fffffffe"},
        {kw_scval_u64(1234567890123ULL), "000000050000011f71fb04cb"},
        {kw_scval_i64(-1), "00000006ffffffffffffffff"},
        {kw_scval_i128(1000000000), "0000000a0000000000000000000000003b9aca00"},
        {kw_scval_i128(-1), "0000000affffffffffffffffffffffffffffffff"},
        {kw_scval_i128(((__int128)1 << 64) + 5), "0000000a00000000000000010000000000000005"},
        {kw_scval_i128(-((__int128)1 << 64)), "0000000affffffffffffffff0000000000000000"},
        {kw_scval_u128((unsigned __int128)1 << 64), "0000000900000000000000010000000000000000"},
        {kw_scval_bool(true), "0000000000000001"},
        {kw_scval_void(), "00000001"},
        {kw_scval_symbol("plant"), "0000000f00000005706c616e74000000"},
        {kw_scval_string("hi"), "0000000e0000000268690000"},
        {kw_scval_bytes(b32, 32),
         "0000000d00000020000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"},
        {kw_scval_account(pub),
         "00000012000000000000000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664"},
        {kw_scval_contract(farm),
         "0000001200000001c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa0655"},
        {kw_scval_vec(vec_items, 3),
         "0000001000000001000000030000000f00000004506c6f7400000012000000000000000079b5562e8fe654f9"
         "4078b112e8a98ba7901f853ae695bed7e0e3910bad0496640000000300000003"},
        {kw_scval_map(map_entries, 1), "0000001100000001000000010000000f00000001610000000000000300000001"},
        {kw_scval_instance_key(), "00000014"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t_scval_hex(&cases[i].v, cases[i].hex, cases[i].hex);
        roundtrip_scval(cases[i].hex);
    }
}

static kw_scval plot_key_items[3];

static kw_ledger_key plot_key(const uint8_t farm[32], const uint8_t pub[32])
{
    plot_key_items[0] = kw_scval_symbol("Plot");
    plot_key_items[1] = kw_scval_account(pub);
    plot_key_items[2] = kw_scval_u32(3);
    return kw_ledger_key_contract_data(farm, kw_scval_vec(plot_key_items, 3), KW_DURABILITY_PERSISTENT);
}

static void key_b64(const kw_ledger_key *k, const char *b64)
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_ledger_key(&w, k);
    t_expect_b64(&w, b64, b64);

    size_t n;
    uint8_t *p = t_unb64(b64, &n);
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    kw_xdr_reader r;
    kw_ledger_key back;
    kw_xdr_reader_init(&r, p, n, a, NULL);
    cr_assert_eq(kw_xdr_get_ledger_key(&r, &back), 0);
    cr_assert_eq(kw_xdr_reader_done(&r), 0);
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_ledger_key(&w, &back);
    t_expect_b64(&w, b64, "decoded key");
    kw_xdr_arena_free(a);
    free(p);
}

Test(xdr, ledger_key_vectors)
{
    uint8_t pub[32], farm[32], kale[32];
    t_raw32(T_PUB_HEX, pub);
    t_raw32(T_FARM_HEX, farm);
    t_raw32(T_KALE_HEX, kale);

    kw_ledger_key plot = plot_key(farm, pub);
    key_b64(&plot, "AAAABgAAAAHIz3AfMK0R0+6Hfc7Q13SrLakVmJQpaIe4Q5pjyaoGVQAAABAAAAABAAAAAwAAAA8AAAAEUGxvdAAAABIA"
                   "AAAAAAAAAHm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+DjkQutBJZkAAAAAwAAAAMAAAAB");
    kw_ledger_key weather = kw_ledger_key_contract_data(farm, kw_scval_symbol("Weather"), KW_DURABILITY_TEMPORARY);
    key_b64(&weather, "AAAABgAAAAHIz3AfMK0R0+6Hfc7Q13SrLakVmJQpaIe4Q5pjyaoGVQAAAA8AAAAHV2VhdGhlcgAAAAAA");
    kw_ledger_key inst = kw_ledger_key_contract_data(farm, kw_scval_instance_key(), KW_DURABILITY_PERSISTENT);
    key_b64(&inst, "AAAABgAAAAHIz3AfMK0R0+6Hfc7Q13SrLakVmJQpaIe4Q5pjyaoGVQAAABQAAAAB");
    kw_ledger_key acct = kw_ledger_key_account(pub);
    key_b64(&acct, "AAAAAAAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZA==");
    kw_ledger_key code = {.type = KW_LEDGER_CONTRACT_CODE};
    kw_sha256("wasm", 4, code.hash);
    key_b64(&code, "AAAABzNhVL9n92X4910WoKzO5hte5fanWyopBXA9+RO9VQ8+");

    /* TTL keyHash = sha256(LedgerKey XDR) */
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_ledger_key(&w, &plot);
    uint8_t h[32];
    char hex[65];
    kw_sha256(w.p, w.n, h);
    kw_hex_encode(h, 32, hex);
    cr_assert_str_eq(hex, "7ba9ead41e510b55c389c906663b6cc41a71d45c4982cd3cd77e3e9b6697084d");
    kw_xdr_writer_free(&w);

    /* KALE-shaped keys */
    kw_ledger_key kinst = kw_ledger_key_contract_data(kale, kw_scval_instance_key(), KW_DURABILITY_PERSISTENT);
    key_b64(&kinst, "AAAABgAAAAHX/kS9CvEdYCsQkfL0ofTfIS1ETQMh6jKts8wcu6sKBAAAABQAAAAB");
    kw_scval block_items[] = {kw_scval_symbol("Block"), kw_scval_u32(12345)};
    kw_ledger_key block = kw_ledger_key_contract_data(kale, kw_scval_vec(block_items, 2), KW_DURABILITY_TEMPORARY);
    key_b64(&block, "AAAABgAAAAHX/kS9CvEdYCsQkfL0ofTfIS1ETQMh6jKts8wcu6sKBAAAABAAAAABAAAAAgAAAA8AAAAFQmxvY2sAAAAA"
                    "AAADAAAwOQAAAAA=");
    kw_scval pail_items[] = {kw_scval_symbol("Pail"), kw_scval_account(pub), kw_scval_u32(12345)};
    kw_ledger_key pail = kw_ledger_key_contract_data(kale, kw_scval_vec(pail_items, 3), KW_DURABILITY_TEMPORARY);
    key_b64(&pail, "AAAABgAAAAHX/kS9CvEdYCsQkfL0ofTfIS1ETQMh6jKts8wcu6sKBAAAABAAAAABAAAAAwAAAA8AAAAEUGFpbAAAABIA"
                   "AAAAAAAAAHm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+DjkQutBJZkAAAAAwAAMDkAAAAA");
    kw_scval fi_items[] = {kw_scval_symbol("FarmIndex")};
    kw_scval fi = kw_scval_vec(fi_items, 1);
    t_scval_hex(&fi, "0000001000000001000000010000000f000000094661726d496e646578000000", "FarmIndex");
}

static void network_id(const char *pass, uint8_t out[32])
{
    kw_sha256(pass, strlen(pass), out);
}

Test(xdr, network_ids)
{
    uint8_t id[32];
    char hex[65];
    struct { const char *pass, *hex; } v[] = {
        {PUBLIC, "7ac33997544e3175d266bd022439b22cdb16508c01163f26e5cb2a3e1045a979"},
        {TESTNET, "cee0302d59844d32bdca915c8203dd44b33fbb7edc19051ea37abedf28ecd472"},
        {"Test SDF Future Network ; October 2022", "a3a1c6a78286713e29be0e9785670fa838d13917cd8eaeb4a3579ff1debc7fd5"},
    };
    for (int i = 0; i < 3; i++) {
        network_id(v[i].pass, id);
        kw_hex_encode(id, 32, hex);
        cr_assert_str_eq(hex, v[i].hex);
    }
}

/* The fields every reference transaction shares. */
static kw_tx base_tx(const uint8_t pub[32], const kw_operation *op)
{
    kw_tx tx = {.fee = 100, .seq_num = 123456790, .ops = op, .nops = 1};
    memcpy(tx.source.key, pub, 32);
    tx.cond.type = 1;
    tx.cond.has_time = true;
    tx.cond.max_time = 0x6553f22c;
    return tx;
}

static void expect_envelope(const kw_envelope *env, const char *b64, const char *what)
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_envelope(&w, env);
    t_expect_b64(&w, b64, what);

    /* decode and re-encode */
    size_t n;
    uint8_t *p = t_unb64(b64, &n);
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    kw_xdr_reader r;
    kw_err e = {0};
    kw_envelope *back = calloc(1, sizeof *back);
    kw_xdr_reader_init(&r, p, n, a, &e);
    cr_assert_eq(kw_xdr_get_envelope(&r, back), 0, "%s: %s", what, e.msg);
    cr_assert_eq(kw_xdr_reader_done(&r), 0);
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_envelope(&w, back);
    t_expect_b64(&w, b64, what);
    free(back);
    kw_xdr_arena_free(a);
    free(p);
}

static void expect_hash(const char *pass, const kw_tx *tx, const char *hex)
{
    uint8_t id[32], h[32];
    char got[65];
    network_id(pass, id);
    cr_assert_eq(kw_xdr_tx_hash(id, tx, h), 0);
    kw_hex_encode(h, 32, got);
    cr_assert_str_eq(got, hex);
}

#define PLANT_UNSIGNED \
    "AAAAAgAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAGQAAAAAB1vNFgAAAAEAAAAAAAAAAAAAAABlU/Is" \
    "AAAAAAAAAAEAAAAAAAAAGAAAAAAAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAFcGxhbnQAAAAAAAAC" \
    "AAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAKAAAAAAAAAAAAAAAAO5rKAAAAAAAAAAAA" \
    "AAAAAA=="
#define TX_DATA \
    "AAAAAAAAAAIAAAAGAAAAAcjPcB8wrRHT7od9ztDXdKstqRWYlCloh7hDmmPJqgZVAAAAFAAAAAEAAAAHM2FUv2f3Zfj3XRag" \
    "rM7mG17l9qdbKikFcD35E71VDz4AAAABAAAABgAAAAHIz3AfMK0R0+6Hfc7Q13SrLakVmJQpaIe4Q5pjyaoGVQAAABAAAAAB" \
    "AAAAAwAAAA8AAAAEUGxvdAAAABIAAAAAAAAAAHm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+DjkQutBJZkAAAAAwAAAAMAAAAB" \
    "AB3tsgAABYgAAACIAAAAAAABYPE="
#define TX_DATA_HEX \
    "00000000000000020000000600000001c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa0655" \
    "000000140000000100000007336154bf67f765f8f75d16a0accee61b5ee5f6a75b2a2905703df913bd550f3e00000001" \
    "0000000600000001c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa06550000001000000001" \
    "000000030000000f00000004506c6f7400000012000000000000000079b5562e8fe654f94078b112e8a98ba7901f853a" \
    "e695bed7e0e3910bad049664000000030000000300000001001dedb2000005880000008800000000000160f1"
#define AUTH0 \
    "AAAAAAAAAAAAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAFcGxhbnQAAAAAAAACAAAAEgAAAAAAAAAA" \
    "ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAKAAAAAAAAAAAAAAAAO5rKAAAAAAA="
#define SIG_BASE \
    "cee0302d59844d32bdca915c8203dd44b33fbb7edc19051ea37abedf28ecd472000000020000000079b5562e8fe654f9" \
    "4078b112e8a98ba7901f853ae695bed7e0e3910bad0496640001615500000000075bcd16000000010000000000000000" \
    "000000006553f22c000000000000000100000000000000180000000000000001c8cf701f30ad11d3ee877dced0d774ab" \
    "2da9159894296887b8439a63c9aa065500000005706c616e740000000000000200000012000000000000000079b5562e" \
    "8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640000000a0000000000000000000000003b9aca00" \
    "00000001000000000000000000000001c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa0655" \
    "00000005706c616e740000000000000200000012000000000000000079b5562e8fe654f94078b112e8a98ba7901f853a" \
    "e695bed7e0e3910bad0496640000000a0000000000000000000000003b9aca0000000000000000010000000000000002" \
    "0000000600000001c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa06550000001400000001" \
    "00000007336154bf67f765f8f75d16a0accee61b5ee5f6a75b2a2905703df913bd550f3e000000010000000600000001" \
    "c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa06550000001000000001000000030000000f" \
    "00000004506c6f7400000012000000000000000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910b" \
    "ad049664000000030000000300000001001dedb2000005880000008800000000000160f1"
#define SIGNED_ENV \
    "AAAAAgAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAABYVUAAAAAB1vNFgAAAAEAAAAAAAAAAAAAAABlU/Is" \
    "AAAAAAAAAAEAAAAAAAAAGAAAAAAAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAFcGxhbnQAAAAAAAAC" \
    "AAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAKAAAAAAAAAAAAAAAAO5rKAAAAAAEAAAAA" \
    "AAAAAAAAAAHIz3AfMK0R0+6Hfc7Q13SrLakVmJQpaIe4Q5pjyaoGVQAAAAVwbGFudAAAAAAAAAIAAAASAAAAAAAAAAB5tVYu" \
    "j+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAAoAAAAAAAAAAAAAAAA7msoAAAAAAAAAAAEAAAAAAAAAAgAAAAYAAAAB" \
    "yM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAUAAAAAQAAAAczYVS/Z/dl+PddFqCszuYbXuX2p1sqKQVwPfkT" \
    "vVUPPgAAAAEAAAAGAAAAAcjPcB8wrRHT7od9ztDXdKstqRWYlCloh7hDmmPJqgZVAAAAEAAAAAEAAAADAAAADwAAAARQbG90" \
    "AAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAADAAAAAwAAAAEAHe2yAAAFiAAAAIgAAAAA" \
    "AAFg8QAAAAGtBJZkAAAAQEAYZ+TlmfzQLAYZGQZr6z41SdmBu4UZg0zTkO0XUFEFQJLEl1/J8mI7LrqeC1e/fJ5ORJFkAI1b" \
    "gh5Q1jQBvAA="
Test(xdr, plant_transaction_vectors)
{
    uint8_t pub[32], farm[32], seed[32];
    t_raw32(T_PUB_HEX, pub);
    t_raw32(T_FARM_HEX, farm);
    t_raw32(T_SEED_HEX, seed);
    kw_scval args[] = {kw_scval_account(pub), kw_scval_i128(1000000000)};
    kw_operation op = {.invoke = {.args = args, .nargs = 2}};
    op.invoke.contract.type = KW_SCADDR_CONTRACT;
    memcpy(op.invoke.contract.key, farm, 32);
    strcpy(op.invoke.function, "plant");
    kw_envelope *env = calloc(1, sizeof *env);
    env->tx = base_tx(pub, &op);
    expect_envelope(env, PLANT_UNSIGNED, "to-simulate envelope");
    expect_hash(TESTNET, &env->tx, "bc56575fc44a4c7a83bd1640e799e539b8c5011f53a51a10ba7d725e0569c804");

    /* assemble: transactionData and auth[0] from the simulation, fee 100 + 90353 */
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    size_t n;
    uint8_t *p = t_unb64(TX_DATA, &n);
    kw_xdr_reader r;
    kw_xdr_reader_init(&r, p, n, a, NULL);
    cr_assert_eq(kw_xdr_get_soroban_data(&r, &env->tx.soroban), 0);
    cr_assert_eq(kw_xdr_reader_done(&r), 0);
    free(p);
    cr_assert_eq(env->tx.soroban.resource_fee, 90353);
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_soroban_data(&w, &env->tx.soroban);
    t_expect_hex(&w, TX_DATA_HEX, "transactionData");

    kw_auth_entry auth;
    p = t_unb64(AUTH0, &n);
    kw_xdr_reader_init(&r, p, n, a, NULL);
    cr_assert_eq(kw_xdr_get_auth_entry(&r, &auth), 0);
    cr_assert_eq(kw_xdr_reader_done(&r), 0);
    free(p);
    cr_assert_eq(auth.cred_type, KW_CRED_SOURCE_ACCOUNT);
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_auth_entry(&w, &auth);
    t_expect_b64(&w, AUTH0, "auth[0]");

    op.auth = &auth;
    op.nauth = 1;
    env->tx.has_soroban = true;
    env->tx.fee = 100 + (uint32_t)env->tx.soroban.resource_fee;
    cr_assert_eq(env->tx.fee, 90453);
    uint8_t id[32];
    network_id(TESTNET, id);
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_signature_payload(&w, id, &env->tx);
    t_expect_hex(&w, SIG_BASE, "signature base");
    expect_hash(TESTNET, &env->tx, "4aeaae81ae0bc93b02e4d42212f7a61cbfd3a1a906603acfa2d2f0efc28734bd");

    uint8_t pk[32], sk[64], h[32];
    cr_assert_eq(sodium_init() >= 0, 1);
    crypto_sign_seed_keypair(pk, sk, seed);
    cr_assert_eq(memcmp(pk, pub, 32), 0);
    cr_assert_eq(kw_xdr_tx_hash(id, &env->tx, h), 0);
    crypto_sign_detached(env->sigs[0].sig, NULL, h, 32, sk);
    env->sigs[0].nsig = 64;
    memcpy(env->sigs[0].hint, pub + 28, 4);
    env->nsigs = 1;
    char sig_hex[129], hint_hex[9];
    kw_hex_encode(env->sigs[0].sig, 64, sig_hex);
    kw_hex_encode(env->sigs[0].hint, 4, hint_hex);
    cr_assert_str_eq(sig_hex, "401867e4e599fcd02c061919066beb3e3549d981bb8519834cd390ed175051054092c4975fc9f2623b"
                              "2eba9e0b57bf7c9e4e449164008d5b821e50d63401bc00");
    cr_assert_str_eq(hint_hex, "ad049664");
    expect_envelope(env, SIGNED_ENV, "signed envelope");
    sodium_memzero(sk, sizeof sk);
    kw_xdr_arena_free(a);
    free(env);
}

#define PREIMAGE_HEX \
    "00000009cee0302d59844d32bdca915c8203dd44b33fbb7edc19051ea37abedf28ecd472000000000000002a000f42a4" \
    "0000000000000001c8cf701f30ad11d3ee877dced0d774ab2da9159894296887b8439a63c9aa065500000005706c616e" \
    "740000000000000200000012000000000000000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910b" \
    "ad0496640000000a0000000000000000000000003b9aca0000000000"
#define SIGNED_AUTH \
    "AAAAAQAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAAAAAAKgAPQqQAAAAQAAAAAQAAAAEAAAAR" \
    "AAAAAQAAAAIAAAAPAAAACnB1YmxpY19rZXkAAAAAAA0AAAAgebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAP" \
    "AAAACXNpZ25hdHVyZQAAAAAAAA0AAABAUaXiApc5LJ7Nu0wdkOburA3oaXKUiHKGbxVA+sEYIRKDB0Xw5OS/nGzOiwQInQXm" \
    "nAATNvCgGmLrX6GXDPz1CwAAAAAAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAFcGxhbnQAAAAAAAAC" \
    "AAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAKAAAAAAAAAAAAAAAAO5rKAAAAAAA="
#define SIG_SCVAL \
    "0000001000000001000000010000001100000001000000020000000f0000000a7075626c69635f6b657900000000000d" \
    "0000002079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640000000f000000097369676e" \
    "61747572650000000000000d0000004051a5e20297392c9ecdbb4c1d90e6eeac0de86972948872866f1540fac1182112" \
    "830745f0e4e4bf9c6cce8b04089d05e69c001336f0a01a62eb5fa1970cfcf50b"
Test(xdr, auth_entry_signing_vectors)
{
    uint8_t pub[32], farm[32], seed[32], id[32];
    t_raw32(T_PUB_HEX, pub);
    t_raw32(T_FARM_HEX, farm);
    t_raw32(T_SEED_HEX, seed);
    network_id(TESTNET, id);
    kw_scval args[] = {kw_scval_account(pub), kw_scval_i128(1000000000)};
    kw_auth_entry e = {.cred_type = KW_CRED_ADDRESS, .nonce = 42, .sig_expiration_ledger = 1000100};
    e.address.type = KW_SCADDR_ACCOUNT;
    memcpy(e.address.key, pub, 32);
    e.root.fn.contract.type = KW_SCADDR_CONTRACT;
    memcpy(e.root.fn.contract.key, farm, 32);
    strcpy(e.root.fn.function, "plant");
    e.root.fn.args = args;
    e.root.fn.nargs = 2;

    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_auth_preimage(&w, id, e.nonce, e.sig_expiration_ledger, &e.root);
    uint8_t payload[32];
    char hex[65];
    kw_sha256(w.p, w.n, payload);
    kw_hex_encode(payload, 32, hex);
    cr_assert_str_eq(hex, "013c652e3e03966e82d8e6cbda0ffad4daf5eafbedac169d2a15891097a39e6a");
    t_expect_hex(&w, PREIMAGE_HEX, "HashIdPreimage");

    uint8_t pk[32], sk[64], sig[64];
    cr_assert_eq(sodium_init() >= 0, 1);
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_detached(sig, NULL, payload, 32, sk);
    sodium_memzero(sk, sizeof sk);
    kw_scmap_entry m[] = {{kw_scval_symbol("public_key"), kw_scval_bytes(pub, 32)},
                          {kw_scval_symbol("signature"), kw_scval_bytes(sig, 64)}};
    kw_scval map = kw_scval_map(m, 2);
    e.signature = kw_scval_vec(&map, 1);
    t_scval_hex(&e.signature, SIG_SCVAL, "signature SCVal");
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_auth_entry(&w, &e);
    t_expect_b64(&w, SIGNED_AUTH, "signed auth entry");

    size_t n;
    uint8_t *p = t_unb64(SIGNED_AUTH, &n);
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 20);
    kw_xdr_reader r;
    kw_auth_entry back;
    kw_xdr_reader_init(&r, p, n, a, NULL);
    cr_assert_eq(kw_xdr_get_auth_entry(&r, &back), 0);
    cr_assert_eq(kw_xdr_reader_done(&r), 0);
    cr_assert_eq(back.nonce, 42);
    cr_assert_eq(back.sig_expiration_ledger, 1000100);
    cr_assert(kw_scval_equal(&back.signature, &e.signature));
    kw_xdr_arena_free(a);
    free(p);
}

Test(xdr, kale_call_vectors)
{
    uint8_t pub[32], kale[32], hash[32];
    t_raw32(T_PUB_HEX, pub);
    t_raw32(T_KALE_HEX, kale);
    memset(hash, 0x11, 32);
    hash[0] = hash[1] = hash[2] = 0;
    hash[3] = 0x0a;
    struct {
        const char *fn;
        kw_scval args[3];
        uint32_t nargs;
        const char *arg_hex[3];
        const char *env_b64, *hash_hex;
    } c[] = {
        {"plant", {kw_scval_account(pub), kw_scval_i128(1000000)}, 2,
         {"00000012000000000000000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
          "0000000a000000000000000000000000000f4240"},
         "AAAAAgAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAGQAAAAAB1vNFgAAAAEAAAAAAAAAAAAAAABlU/Is"
         "AAAAAAAAAAEAAAAAAAAAGAAAAAAAAAAB1/5EvQrxHWArEJHy9KH03yEtRE0DIeoyrbPMHLurCgQAAAAFcGxhbnQAAAAAAAAC"
         "AAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAAKAAAAAAAAAAAAAAAAAA9CQAAAAAAAAAAA"
         "AAAAAA==",
         "5795e8f7381b8268eb095f99e0bb9b4da119532058945c3fc96001d8da5acbcf"},
        {"work", {kw_scval_account(pub), kw_scval_bytes(hash, 32), kw_scval_u64(987654321)}, 3,
         {"00000012000000000000000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
          "0000000d000000200000000a11111111111111111111111111111111111111111111111111111111",
          "00000005000000003ade68b1"},
         "AAAAAgAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAGQAAAAAB1vNFgAAAAEAAAAAAAAAAAAAAABlU/Is"
         "AAAAAAAAAAEAAAAAAAAAGAAAAAAAAAAB1/5EvQrxHWArEJHy9KH03yEtRE0DIeoyrbPMHLurCgQAAAAEd29yawAAAAMAAAAS"
         "AAAAAAAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAA0AAAAgAAAAChEREREREREREREREREREREREREREREREREREREAAAAF"
         "AAAAADreaLEAAAAAAAAAAAAAAAA=",
         "203a8f3f4b2aa5540b7ecd9fe0567fac75e67558c836d04b72c3aa584a011197"},
        {"harvest", {kw_scval_account(pub), kw_scval_u32(12345)}, 2,
         {"00000012000000000000000079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
          "0000000300003039"},
         "AAAAAgAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAGQAAAAAB1vNFgAAAAEAAAAAAAAAAAAAAABlU/Is"
         "AAAAAAAAAAEAAAAAAAAAGAAAAAAAAAAB1/5EvQrxHWArEJHy9KH03yEtRE0DIeoyrbPMHLurCgQAAAAHaGFydmVzdAAAAAAC"
         "AAAAEgAAAAAAAAAAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQAAAADAAAwOQAAAAAAAAAAAAAAAA==",
         "92977150e752ddcac12901418dd6de0fa95455b8c3662ce2de5118353ebc9cbf"},
    };
    for (size_t i = 0; i < 3; i++) {
        for (uint32_t j = 0; j < c[i].nargs; j++)
            t_scval_hex(&c[i].args[j], c[i].arg_hex[j], c[i].fn);
        kw_operation op = {.invoke = {.args = c[i].args, .nargs = c[i].nargs}};
        op.invoke.contract.type = KW_SCADDR_CONTRACT;
        memcpy(op.invoke.contract.key, kale, 32);
        strcpy(op.invoke.function, c[i].fn);
        kw_envelope *env = calloc(1, sizeof *env);
        env->tx = base_tx(pub, &op);
        expect_envelope(env, c[i].env_b64, c[i].fn);
        expect_hash(PUBLIC, &env->tx, c[i].hash_hex);
        free(env);
    }
}

/* Decodes base64 into a fresh arena; the caller frees both. */
static kw_xdr_reader *reader_b64(const char *b64, kw_xdr_arena **a, uint8_t **p)
{
    static kw_xdr_reader r;
    size_t n;
    *p = t_unb64(b64, &n);
    *a = kw_xdr_arena_new(1 << 22);
    kw_xdr_reader_init(&r, *p, n, *a, NULL);
    return &r;
}

Test(xdr, rpc_documentation_examples)
{
    kw_xdr_arena *a;
    uint8_t *p;
    kw_xdr_reader *r;

    kw_soroban_data d;
    r = reader_b64("AAAAAAAAAAIAAAAGAAAAAcwD/nT9D7Dc2LxRdab+2vEUF8B+XoN7mQW21oxPT8ALAAAAFAAAAAEAAAAHy8vNUZ8vyZ2ybPHW"
                   "0XbSrRtP7gEWsJ6zDzcfY9P8z88AAAABAAAABgAAAAHMA/50/Q+w3Ni8UXWm/trxFBfAfl6De5kFttaMT0/ACwAAABAAAAAB"
                   "AAAAAgAAAA8AAAAHQ291bnRlcgAAAAASAAAAAAAAAAAg4dbAxsGAGICfBG3iT2cKGYQ6hK4sJWzZ6or1C5v6GAAAAAEAHfKy"
                   "AAAFiAAAAIgAAAAAAAAAAw==", &a, &p);
    cr_assert_eq(kw_xdr_get_soroban_data(r, &d), 0);
    cr_assert_eq(kw_xdr_reader_done(r), 0);
    cr_assert_eq(d.resource_fee, 3);
    cr_assert_eq(d.instructions, 1962674);
    cr_assert_eq(d.disk_read_bytes, 1416);
    cr_assert_eq(d.write_bytes, 136);
    cr_assert_eq(d.nro, 2);
    cr_assert_eq(d.nrw, 1);
    kw_xdr_arena_free(a);
    free(p);

    kw_tx_result res;
    r = reader_b64("AAAAAAAAAGT////7AAAAAA==", &a, &p);
    cr_assert_eq(kw_xdr_get_tx_result(r, &res), 0);
    cr_assert_eq(kw_xdr_reader_done(r), 0);
    cr_assert_eq(res.fee_charged, 100);
    cr_assert_str_eq(kw_tx_result_name(res.code), "txBadSeq");
    kw_xdr_arena_free(a);
    free(p);

    r = reader_b64("AAAAAAAHNm8AAAAAAAAAAQAAAAAAAAAYAAAAABAjuTEVbQCbk5bRhjZsSNvqYe1R+oSFTzqCtsrEM/Z/AAAAAA==", &a, &p);
    cr_assert_eq(kw_xdr_get_tx_result(r, &res), 0);
    cr_assert_eq(kw_xdr_reader_done(r), 0);
    cr_assert_eq(res.fee_charged, 472687);
    cr_assert_str_eq(kw_tx_result_name(res.code), "txSuccess");
    cr_assert_eq(res.nops, 1);
    cr_assert_eq(res.ops[0].code, 0);
    cr_assert_eq(res.ops[0].op_type, KW_OP_INVOKE_HOST_FUNCTION);
    cr_assert_eq(res.ops[0].ihf_code, 0);
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_tx_result(&w, &res);
    t_expect_b64(&w, "AAAAAAAHNm8AAAAAAAAAAQAAAAAAAAAYAAAAABAjuTEVbQCbk5bRhjZsSNvqYe1R+oSFTzqCtsrEM/Z/AAAAAA==",
                 "result re-encoded");
    kw_xdr_arena_free(a);
    free(p);

    kw_xdr_ledger_entry e;
    r = reader_b64("AAAABgAAAAAAAAABzAP+dP0PsNzYvFF1pv7a8RQXwH5eg3uZBbbWjE9PwAsAAAAQAAAAAQAAAAIAAAAPAAAAB0NvdW50ZXIA"
                   "AAAAEgAAAAAAAAAAIOHWwMbBgBiAnwRt4k9nChmEOoSuLCVs2eqK9Qub+hgAAAABAAAAAwAAAAw=", &a, &p);
    cr_assert_eq(kw_xdr_get_ledger_entry_data(r, &e), 0);
    cr_assert_eq(kw_xdr_reader_done(r), 0);
    cr_assert_eq(e.type, KW_LEDGER_CONTRACT_DATA);
    cr_assert_eq(e.durability, KW_DURABILITY_PERSISTENT);
    cr_assert_eq(e.val.type, KW_SCV_U32);
    cr_assert_eq(e.val.v.u32, 12);
    kw_xdr_arena_free(a);
    free(p);

    kw_scval v;
    r = reader_b64("AAAAAwAAAAw=", &a, &p);
    cr_assert_eq(kw_xdr_get_scval(r, &v), 0);
    cr_assert_eq(v.type, KW_SCV_U32);
    cr_assert_eq(v.v.u32, 12);
    kw_xdr_arena_free(a);
    free(p);
}

Test(xdr, synthetic_ledger_entries)
{
    kw_xdr_arena *a;
    uint8_t *p, pub[32], farm[32];
    kw_xdr_reader *r;
    kw_xdr_ledger_entry e;
    t_raw32(T_PUB_HEX, pub);
    t_raw32(T_FARM_HEX, farm);

    const char *acct = "AAAAAAAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAABdIdugAAAAAAAdbzRUAAAAAAAAAAAAAAAAAAAAA"
                       "AQAAAAAAAAAAAAAA";
    r = reader_b64(acct, &a, &p);
    cr_assert_eq(kw_xdr_get_ledger_entry_data(r, &e), 0);
    cr_assert_eq(kw_xdr_reader_done(r), 0);
    cr_assert_eq(e.type, KW_LEDGER_ACCOUNT);
    cr_assert_eq(e.seq_num, 123456789);
    cr_assert_eq(e.balance, 100000000000);
    cr_assert_eq(memcmp(e.account, pub, 32), 0);
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_ledger_entry_data(&w, &e);
    t_expect_b64(&w, acct, "account entry");
    kw_xdr_arena_free(a);
    free(p);

    const char *cd = "AAAABgAAAAAAAAAByM9wHzCtEdPuh33O0Nd0qy2pFZiUKWiHuEOaY8mqBlUAAAAQAAAAAQAAAAMAAAAPAAAABFBsb3QAAAAS"
                     "AAAAAAAAAAB5tVYuj+ZU+UB4sRLoqYunkB+FOuaVvtfg45ELrQSWZAAAAAMAAAADAAAAAQAAAAoAAAAAAAAAAAAAAAA7msoA";
    r = reader_b64(cd, &a, &p);
    cr_assert_eq(kw_xdr_get_ledger_entry_data(r, &e), 0);
    cr_assert_eq(kw_xdr_reader_done(r), 0);
    kw_ledger_key plot = plot_key(farm, pub);
    cr_assert(kw_scval_equal(&e.key, &plot.key));
    cr_assert_eq(e.val.type, KW_SCV_I128);
    cr_assert(e.val.v.i128 == 1000000000);
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_ledger_entry_data(&w, &e);
    t_expect_b64(&w, cd, "contract data entry");
    kw_xdr_arena_free(a);
    free(p);
}

Test(xdr, transaction_meta_return_values)
{
    kw_xdr_arena *a;
    uint8_t *p;
    kw_xdr_reader *r;
    bool has;
    kw_scval v;
    kw_err e = {0};
    r = reader_b64(META_SUCCESS, &a, &p);
    r->err = &e;
    cr_assert_eq(kw_xdr_get_meta_return(r, &has, &v), 0, "%s", e.msg);
    cr_assert_eq(kw_xdr_reader_done(r), 0);
    cr_assert(has);
    cr_assert_eq(v.type, KW_SCV_VOID);
    kw_xdr_arena_free(a);
    free(p);

    r = reader_b64(META_FAILED, &a, &p);
    cr_assert_eq(kw_xdr_get_meta_return(r, &has, &v), 0);
    cr_assert_eq(kw_xdr_reader_done(r), 0);
    cr_assert_not(has);
    kw_xdr_arena_free(a);
    free(p);
}

Test(xdr, contract_error_events)
{
    kw_scval topics[] = {kw_scval_symbol("error"), {.type = KW_SCV_ERROR, .v.error = {KW_SCE_CONTRACT, 14}}};
    kw_contract_event ev = {.type = 2, .topics = topics, .ntopics = 2, .data = kw_scval_string("harvest")};
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    (void)kw_xdr_put_diagnostic_event(&w, false, &ev);
    cr_assert_eq(kw_xdr_writer_error(&w), 0);
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 16);
    kw_xdr_reader r;
    kw_contract_event back;
    bool ok;
    kw_xdr_reader_init(&r, w.p, w.n, a, NULL);
    cr_assert_eq(kw_xdr_get_diagnostic_event(&r, &ok, &back), 0);
    cr_assert_eq(kw_contract_event_error(&back), 14);
    topics[1].v.error.type = 1;
    cr_assert_eq(kw_contract_event_error(&ev), -1);
    kw_xdr_arena_free(a);
    kw_xdr_writer_free(&w);
}

static int decode_hex_scval(const char *hex, kw_err *e)
{
    size_t n;
    uint8_t *p = t_unhex(hex, &n);
    kw_xdr_arena *a = kw_xdr_arena_new(1 << 16);
    kw_xdr_reader r;
    kw_scval v;
    kw_xdr_reader_init(&r, p, n, a, e);
    int rc = kw_xdr_get_scval(&r, &v);
    if (rc == 0)
        rc = kw_xdr_reader_done(&r);
    kw_xdr_arena_free(a);
    free(p);
    return rc;
}

Test(xdr, decoder_rejects_what_it_must)
{
    kw_err e = {0};
    cr_assert_eq(decode_hex_scval("000000030000", &e), KW_EINVAL, "truncated u32");
    cr_assert(strstr(e.msg, "byte") != NULL, "%s", e.msg);
    cr_assert_eq(decode_hex_scval("0000000000000002", &e), KW_EINVAL, "bool 2");
    cr_assert_eq(decode_hex_scval("000000ff", &e), KW_EINVAL, "unknown type");
    cr_assert_eq(decode_hex_scval("0000000e0000000268690001", &e), KW_EINVAL, "non-zero padding");
    cr_assert_eq(decode_hex_scval("0000000e7fffffff", &e), KW_EINVAL, "length beyond input");
    cr_assert_eq(decode_hex_scval("0000000f00000021", &e), KW_EINVAL, "symbol above 32");
    cr_assert_eq(decode_hex_scval("0000000f0000000121000000", &e), KW_EINVAL, "symbol char '!'");
    cr_assert_eq(decode_hex_scval("0000001000000001ffffffff", &e), KW_EINVAL, "vec count beyond input");
    cr_assert_eq(decode_hex_scval("000000110000000140000000", &e), KW_EINVAL, "map count beyond input");
    cr_assert_eq(decode_hex_scval("0000000300000007" "00", &e), KW_EINVAL, "trailing bytes");
    cr_assert_eq(decode_hex_scval("0000001200000009", &e), KW_EINVAL, "unknown address");

    /* nesting: 100 nested single-element vecs */
    char *deep = malloc(100 * 24 + 16);
    deep[0] = 0;
    for (int i = 0; i < 100; i++)
        strcat(deep, "000000100000000100000001");
    strcat(deep, "00000001");
    cr_assert_eq(decode_hex_scval(deep, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "deep") != NULL, "%s", e.msg);
    free(deep);

    /* the arena cap stops memory growth */
    kw_xdr_arena *a = kw_xdr_arena_new(64);
    uint8_t big[4 + 4 + 256] = {0, 0, 0, 14, 0, 0, 1, 0};
    kw_xdr_reader r;
    kw_scval v;
    kw_xdr_reader_init(&r, big, sizeof big, a, &e);
    cr_assert_eq(kw_xdr_get_scval(&r, &v), KW_ENOMEM);
    kw_xdr_arena_free(a);
}

Test(xdr, base64_is_strict)
{
    uint8_t *p;
    size_t n;
    char *s;
    cr_assert_eq(kw_base64_encode("hello", 5, &s), 0);
    cr_assert_str_eq(s, "aGVsbG8=");
    free(s);
    cr_assert_eq(kw_base64_decode("aGVsbG8=", 8, &p, &n), 0);
    cr_assert_eq(n, 5);
    cr_assert_eq(memcmp(p, "hello", 5), 0);
    free(p);
    cr_assert_eq(kw_base64_decode("", 0, &p, &n), 0);
    cr_assert_eq(n, 0);
    free(p);
    const char *bad[] = {"aGVsbG8", "aGVsbG9=", "aGVs bG8=", "a===", "=aGV", "aGVsbG8=aGVs", "aG-s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(kw_base64_decode(bad[i], strlen(bad[i]), &p, &n), KW_EINVAL, "%s", bad[i]);
}

static void sac_of(const char *pass, const char *code, const char *issuer, const char *want)
{
    kw_tl_asset as = {.type = code ? (strlen(code) <= 4 ? 1 : 2) : 0};
    uint8_t id[32], out[32];
    char got[KW_STRKEY_BUFSZ];
    if (code) {
        memcpy(as.code, code, strlen(code));
        cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, issuer, as.issuer, NULL), 0);
    }
    network_id(pass, id);
    cr_assert_eq(kw_xdr_sac_contract_id(id, &as, out), 0);
    kw_strkey_encode(KW_STRKEY_CONTRACT, out, got);
    cr_assert_str_eq(got, want, "%s", code ? code : "native");
}

/* Published Stellar Asset Contract ids of mainnet assets. */
Test(xdr, stellar_asset_contract_ids)
{
    sac_of(PUBLIC, "KALE", "GBDVX4VELCDSQ54KQJYTNHXAHFLBCA77ZY2USQBM4CSHTTV7DME7KALE",
           "CB23WRDQWGSP6YPMY4UV5C4OW5CBTXKYN3XEATG7KJEZCXMJBYEHOUOV");
    sac_of(PUBLIC, "AQUA", "GBNZILSTVQZ4R7IKQDGHYGY2QXL5QOFJYQMXPKWRRM5PAV7Y4M67AQUA",
           "CAUIKL3IYGMERDRUN6YSCLWVAKIFG5Q4YJHUKM4S4NJZQIA3BAS6OJPK");
    sac_of(PUBLIC, NULL, NULL, "CAS3J7GYLGXMF6TDJBBYYSE3HQ6BBSMLNUQ34T6TZMYMW2EVH34XOWMA");
}
