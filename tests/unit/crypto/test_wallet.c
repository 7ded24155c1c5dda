#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha.h"
#include "crypto/wallet.h"

/* Independent known answer: computed with Python's hashlib.scrypt and
 * cryptography's AESGCM from the SPEC §9 recipe (seed 01..20, salt 00..1f,
 * iv a0..ab, AAD "KALE-CUSTODIAL-WALLET" ‖ address). */
static const char kat_master[] = "kalewx test master secret, not for production";
static const char kat_address[] = "GB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGITR6";
static const char kat_blob[] =
    "{\"version\":1,\"encryptedPrivateKey\":\"4900b17537243bd65b5c97fa01c3a18acf9063feef7b2a152cec36c252e8ba24\","
    "\"salt\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\","
    "\"authTag\":\"1df4ac499c989f7d9198fb6ebc2bc37d\",\"iv\":\"a0a1a2a3a4a5a6a7a8a9aaab\","
    "\"algorithm\":\"aes-256-gcm\",\"keyDerivation\":\"scrypt:N=16384,r=8,p=1\","
    "\"created\":\"2025-01-02T03:04:05.678Z\"}";

/* Tests that derive many keys use a cheap scrypt; the blobs record it. */
static const kw_wallet_kdf cheap = {.n = 1024, .r = 8, .p = 1};

static kw_wallet_kek *kek_of(const char *master, const uint8_t *salt, const kw_wallet_kdf *kdf)
{
    kw_wallet_kek *k = NULL;
    kw_err e = {0};
    cr_assert_eq(kw_wallet_kek_new(master, strlen(master), salt, kdf, &k, &e), 0, "%s", e.msg);
    return k;
}

static char *fresh_wallet(kw_wallet_kek *k, char address[KW_STRKEY_BUFSZ])
{
    char *sealed = NULL;
    kw_err e = {0};
    cr_assert_eq(kw_wallet_create(k, 1735787045678, address, &sealed, &e), 0, "%s", e.msg);
    return sealed;
}

/* Sets or replaces one field of a sealed JSON; returns a new string. */
static char *with_field(const char *sealed, const char *key, json_t *value)
{
    json_t *o = json_loads(sealed, 0, NULL);
    cr_assert_not_null(o);
    if (value)
        json_object_set_new(o, key, value);
    else
        json_object_del(o, key);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static char *flip_hex_bit(const char *sealed, const char *key, int bit)
{
    json_t *o = json_loads(sealed, 0, NULL);
    char hex[129];
    snprintf(hex, sizeof hex, "%s", json_string_value(json_object_get(o, key)));
    json_decref(o);
    int pos = bit / 4;
    int nib = hex[pos] <= '9' ? hex[pos] - '0' : hex[pos] - 'a' + 10;
    nib ^= 1 << (bit % 4);
    hex[pos] = "0123456789abcdef"[nib];
    return with_field(sealed, key, json_string(hex));
}

/* The fixture of most tests: one wallet sealed under a cheap-KDF kek. */
static kw_wallet_kek *fx_kek;
static char fx_address[KW_STRKEY_BUFSZ];
static char *fx_sealed;

static void one_wallet(void)
{
    fx_kek = kek_of("master", NULL, &cheap);
    fx_sealed = fresh_wallet(fx_kek, fx_address);
}

static void drop_wallet(void)
{
    free(fx_sealed);
    kw_wallet_kek_free(fx_kek);
}

static void expect_rejected(kw_wallet_kek *k, const char *address, const char *sealed, int code, const char *needle)
{
    uint8_t seed[32];
    memset(seed, 0x55, sizeof seed);
    kw_err e = {0};
    int rc = kw_wallet_open(k, address, sealed, seed, &e);
    cr_assert_eq(rc, code, "expected %d, got %d (%s) for %s", code, rc, e.msg, sealed ? sealed : "(null)");
    cr_assert(strstr(e.msg, needle), "message \"%s\" lacks \"%s\"", e.msg, needle);
    for (size_t i = 0; i < sizeof seed; i++)
        cr_assert_eq(seed[i], 0x55, "seed written on error");
}

Test(wallet, opens_independent_known_answer)
{
    kw_wallet_kek *k = kek_of(kat_master, NULL, NULL);
    uint8_t seed[32], want[32];
    kw_err e = {0};
    cr_assert_eq(kw_wallet_open(k, kat_address, kat_blob, seed, &e), 0, "%s", e.msg);
    for (int i = 0; i < 32; i++)
        want[i] = (uint8_t)(i + 1);
    cr_assert(memcmp(seed, want, 32) == 0);
    cr_assert_eq(kw_wallet_kek_derivations(k), 2, "the blob's salt costs one derivation");
    kw_wallet_kek_free(k);
}

Test(wallet, seal_open_round_trip_with_production_kdf)
{
    kw_wallet_kek *k = kek_of("a production-strength master secret 123", NULL, NULL);
    char address[KW_STRKEY_BUFSZ];
    char *sealed = fresh_wallet(k, address);
    cr_assert_eq(address[0], 'G');

    json_t *o = json_loads(sealed, JSON_REJECT_DUPLICATES, NULL);
    cr_assert_eq(json_object_size(o), 8);
    cr_assert_eq(json_integer_value(json_object_get(o, "version")), 1);
    cr_assert_eq(strlen(json_string_value(json_object_get(o, "encryptedPrivateKey"))), 64);
    cr_assert_eq(strlen(json_string_value(json_object_get(o, "salt"))), 64);
    cr_assert_eq(strlen(json_string_value(json_object_get(o, "authTag"))), 32);
    cr_assert_eq(strlen(json_string_value(json_object_get(o, "iv"))), 24);
    cr_assert_str_eq(json_string_value(json_object_get(o, "algorithm")), "aes-256-gcm");
    cr_assert_str_eq(json_string_value(json_object_get(o, "keyDerivation")), "scrypt:N=16384,r=8,p=1");
    cr_assert_str_eq(json_string_value(json_object_get(o, "created")), "2025-01-02T03:04:05.678Z");
    uint8_t salt[32];
    char salt_hex[65];
    kw_wallet_kek_salt(k, salt);
    kw_hex_encode(salt, 32, salt_hex);
    cr_assert_str_eq(json_string_value(json_object_get(o, "salt")), salt_hex, "sealed under the installation salt");
    json_decref(o);

    uint8_t seed[32], pk[32], sk[64], raw[32];
    kw_err e = {0};
    cr_assert_eq(kw_wallet_open(k, address, sealed, seed, &e), 0, "%s", e.msg);
    crypto_sign_seed_keypair(pk, sk, seed);
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, address, raw, NULL), 0);
    cr_assert(memcmp(pk, raw, 32) == 0, "the opened seed is the address's key");
    free(sealed);
    kw_wallet_kek_free(k);
}

Test(wallet, seal_of_given_seed_and_two_seals_differ)
{
    kw_wallet_kek *k = kek_of("master", NULL, &cheap);
    uint8_t seed[32], back[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i + 1);
    char *a = NULL, *b = NULL;
    kw_err e = {0};
    cr_assert_eq(kw_wallet_seal(k, kat_address, seed, 0, &a, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_wallet_seal(k, kat_address, seed, 0, &b, &e), 0, "%s", e.msg);
    cr_assert_str_neq(a, b, "a fresh IV per seal");
    cr_assert_eq(kw_wallet_open(k, kat_address, b, back, &e), 0, "%s", e.msg);
    cr_assert(memcmp(seed, back, 32) == 0);
    seed[0] ^= 1;
    char *c = NULL;
    cr_assert_eq(kw_wallet_seal(k, kat_address, seed, 0, &c, &e), KW_EINVAL, "a seed of another key");
    cr_assert_null(c);
    cr_assert_eq(kw_wallet_seal(k, "GNOTANADDRESS", seed, 0, &c, &e), KW_EINVAL);
    free(a);
    free(b);
    kw_wallet_kek_free(k);
}

Test(wallet, wrong_master_key_is_a_clear_error)
{
    uint8_t salt[32] = {7};
    kw_wallet_kek *right = kek_of("the right master secret", salt, &cheap);
    kw_wallet_kek *wrong = kek_of("the wrong master secret", salt, &cheap);
    char address[KW_STRKEY_BUFSZ];
    char *sealed = fresh_wallet(right, address);
    expect_rejected(wrong, address, sealed, KW_ECRYPTO, "wrong master key");
    cr_assert_eq(kw_wallet_kek_derivations(wrong), 1, "no derivation for a known salt");
    free(sealed);
    kw_wallet_kek_free(right);
    kw_wallet_kek_free(wrong);
}

Test(wallet, every_flipped_bit_is_rejected, .init = one_wallet, .fini = drop_wallet)
{
    struct { const char *key; int bits; } fields[] = {
        {"encryptedPrivateKey", 256}, {"authTag", 128}, {"iv", 96}, {"salt", 256}};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        /* Every bit of the short fields; a spread of bits of the salt (each costs a derivation). */
        int step = strcmp(fields[f].key, "salt") == 0 ? 37 : 1;
        for (int bit = 0; bit < fields[f].bits; bit += step) {
            char *bad = flip_hex_bit(fx_sealed, fields[f].key, bit);
            expect_rejected(fx_kek, fx_address, bad, KW_ECRYPTO, "altered");
            free(bad);
        }
    }
    cr_assert_eq(kw_wallet_kek_derivations(fx_kek), 1 + 7, "a bad salt is derived but never cached");
    uint8_t seed[32];
    kw_err e = {0};
    cr_assert_eq(kw_wallet_open(fx_kek, fx_address, fx_sealed, seed, &e), 0, "the original still opens: %s", e.msg);
}

Test(wallet, address_is_authenticated)
{
    kw_wallet_kek *k = kek_of("master", NULL, &cheap);
    char a1[KW_STRKEY_BUFSZ], a2[KW_STRKEY_BUFSZ];
    char *s1 = fresh_wallet(k, a1), *s2 = fresh_wallet(k, a2);
    expect_rejected(k, a2, s1, KW_ECRYPTO, "altered");
    expect_rejected(k, a1, s2, KW_ECRYPTO, "altered");
    /* One flipped bit of the address: either the StrKey checksum or the AAD catches it. */
    for (int i = 1; i < KW_STRKEY_LEN; i++) {
        char bad[KW_STRKEY_BUFSZ];
        memcpy(bad, a1, sizeof bad);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        uint8_t seed[32];
        kw_err e = {0};
        int rc = kw_wallet_open(k, bad, s1, seed, &e);
        cr_assert(rc == KW_EINVAL || rc == KW_ECRYPTO, "char %d: rc %d", i, rc);
    }
    expect_rejected(k, "not an address", s1, KW_EINVAL, "wallet address");
    expect_rejected(k, NULL, s1, KW_EINVAL, "wallet address");
    free(s1);
    free(s2);
    kw_wallet_kek_free(k);
}

Test(wallet, every_truncation_is_rejected, .init = one_wallet, .fini = drop_wallet)
{
    size_t n = strlen(fx_sealed);
    for (size_t cut = 0; cut < n; cut++) {
        char *t = strndup(fx_sealed, cut);
        uint8_t seed[32];
        kw_err e = {0};
        cr_assert_eq(kw_wallet_open(fx_kek, fx_address, t, seed, &e), KW_EINVAL, "cut at %zu", cut);
        cr_assert(strstr(e.msg, "sealed wallet"), "cut at %zu: %s", cut, e.msg);
        free(t);
    }
    expect_rejected(fx_kek, fx_address, NULL, KW_EINVAL, "missing");
}

Test(wallet, strict_fields, .init = one_wallet, .fini = drop_wallet)
{
    struct { const char *key; json_t *value; const char *needle; } cases[] = {
        {"extra", json_true(), "unexpected field \"extra\""},
        {"address", json_string(fx_address), "unexpected field \"address\""},
        {"version", NULL, "lacks the field \"version\""},
        {"created", NULL, "lacks the field \"created\""},
        {"iv", NULL, "lacks the field \"iv\""},
        {"version", json_string("1"), "\"version\" must be an integer"},
        {"version", json_real(1.0), "\"version\" must be an integer"},
        {"version", json_integer(2), "version 2"},
        {"salt", json_integer(5), "\"salt\" must be a string"},
        {"authTag", json_null(), "\"authTag\" must be a string"},
        {"iv", json_array(), "\"iv\" must be a string"},
        {"iv", json_string("a0a1a2a3a4a5a6a7a8a9aa"), "\"iv\" must be 24 lower-case hex digits"},
        {"iv", json_string("a0a1a2a3a4a5a6a7a8a9aaabac"), "\"iv\" must be 24 lower-case hex digits"},
        {"iv", json_string("A0A1A2A3A4A5A6A7A8A9AAAB"), "\"iv\" must be 24 lower-case hex digits"},
        {"authTag", json_string("zz"), "\"authTag\" must be 32 lower-case hex digits"},
        {"encryptedPrivateKey", json_string(""), "\"encryptedPrivateKey\" must be 64 lower-case hex digits"},
        {"algorithm", json_string("aes-128-gcm"), "algorithm \"aes-128-gcm\""},
        {"keyDerivation", json_string("pbkdf2"), "unknown keyDerivation"},
        {"keyDerivation", json_string("scrypt:N=16384,r=8,p=1"), "this service derives keys with"},
        {"created", json_string("yesterday"), "\"created\" must look like"},
        {"created", json_integer(1), "\"created\" must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = with_field(fx_sealed, cases[i].key, cases[i].value);
        expect_rejected(fx_kek, fx_address, bad, KW_EINVAL, cases[i].needle);
        free(bad);
    }
    expect_rejected(fx_kek, fx_address, "[1,2]", KW_EINVAL, "must be a JSON object");
    expect_rejected(fx_kek, fx_address, "", KW_EINVAL, "not valid JSON");
    expect_rejected(fx_kek, fx_address, "{\"version\":1,\"version\":1}", KW_EINVAL, "not valid JSON");
    char *big = malloc(KW_WALLET_JSON_MAX + 2);
    memset(big, ' ', KW_WALLET_JSON_MAX + 1);
    big[KW_WALLET_JSON_MAX + 1] = 0;
    expect_rejected(fx_kek, fx_address, big, KW_EINVAL, "longer than");
    free(big);
}

Test(wallet, kdf_runs_once_not_per_open, .init = one_wallet, .fini = drop_wallet)
{
    uint8_t seed[32];
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(kw_wallet_open(fx_kek, fx_address, fx_sealed, seed, NULL), 0);
    cr_assert_eq(kw_wallet_kek_derivations(fx_kek), 1);
}

Test(wallet, other_salts_are_derived_once_each_and_bounded)
{
    /* Replicas that started on one empty database each drew a salt. */
    kw_wallet_kek *mine = kek_of("shared master", NULL, &cheap);
    char address[KW_WALLET_KEK_SALTS + 1][KW_STRKEY_BUFSZ];
    char *sealed[KW_WALLET_KEK_SALTS + 1];
    for (int i = 0; i <= KW_WALLET_KEK_SALTS; i++) {
        kw_wallet_kek *other = kek_of("shared master", NULL, &cheap);
        sealed[i] = fresh_wallet(other, address[i]);
        kw_wallet_kek_free(other);
    }
    uint8_t seed[32];
    kw_err e = {0};
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < KW_WALLET_KEK_SALTS - 1; i++)
            cr_assert_eq(kw_wallet_open(mine, address[i], sealed[i], seed, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_wallet_kek_derivations(mine), KW_WALLET_KEK_SALTS);
    expect_rejected(mine, address[KW_WALLET_KEK_SALTS], sealed[KW_WALLET_KEK_SALTS], KW_ELIMIT, "distinct salts");
    cr_assert_eq(kw_wallet_kek_derivations(mine), KW_WALLET_KEK_SALTS, "refused before deriving");
    for (int i = 0; i <= KW_WALLET_KEK_SALTS; i++)
        free(sealed[i]);
    kw_wallet_kek_free(mine);
}

Test(wallet, sealed_salt_restarts_with_the_same_salt)
{
    kw_wallet_kek *first = kek_of("master", NULL, &cheap);
    char address[KW_STRKEY_BUFSZ];
    char *sealed = fresh_wallet(first, address);
    uint8_t salt[32], own[32];
    kw_err e = {0};
    cr_assert_eq(kw_wallet_sealed_salt(sealed, salt, &e), 0, "%s", e.msg);
    kw_wallet_kek_salt(first, own);
    cr_assert(memcmp(salt, own, 32) == 0);
    kw_wallet_kek *again = kek_of("master", salt, &cheap);
    uint8_t seed[32];
    cr_assert_eq(kw_wallet_open(again, address, sealed, seed, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_wallet_kek_derivations(again), 1);
    cr_assert_eq(kw_wallet_sealed_salt("{}", salt, &e), KW_EINVAL);
    free(sealed);
    kw_wallet_kek_free(first);
    kw_wallet_kek_free(again);
}

Test(wallet, reseal_moves_a_wallet_to_the_new_key)
{
    kw_wallet_kek *old = kek_of("old master", NULL, &cheap);
    kw_wallet_kek *new = kek_of("new master", NULL, &cheap);
    char address[KW_STRKEY_BUFSZ];
    char *sealed = fresh_wallet(old, address), *moved = NULL;
    uint8_t a[32], b[32];
    kw_err e = {0};
    cr_assert_eq(kw_wallet_reseal(old, new, address, sealed, &moved, &e), 0, "%s", e.msg);
    cr_assert_eq(kw_wallet_open(old, address, sealed, a, &e), 0);
    cr_assert_eq(kw_wallet_open(new, address, moved, b, &e), 0, "%s", e.msg);
    cr_assert(memcmp(a, b, 32) == 0);
    json_t *x = json_loads(sealed, 0, NULL), *y = json_loads(moved, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(x, "created")), json_string_value(json_object_get(y, "created")));
    json_decref(x);
    json_decref(y);
    expect_rejected(old, address, moved, KW_ECRYPTO, "wrong master key");
    char *again = NULL;
    cr_assert_eq(kw_wallet_reseal(old, new, address, moved, &again, &e), KW_ECRYPTO);
    cr_assert_null(again);
    free(sealed);
    free(moved);
    kw_wallet_kek_free(old);
    kw_wallet_kek_free(new);
}

Test(wallet, signer_signs_with_the_wallet_key, .init = one_wallet, .fini = drop_wallet)
{
    kw_wallet_signer s = {.kek = fx_kek, .address = fx_address, .sealed = fx_sealed};
    uint8_t sig[64], pk[32];
    const uint8_t msg[] = "transaction hash";
    cr_assert_eq(kw_wallet_sign(&s, msg, sizeof msg, sig), 0);
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, fx_address, pk, NULL), 0);
    cr_assert_eq(crypto_sign_verify_detached(sig, msg, sizeof msg, pk), 0);
    kw_wallet_signer bad = {.kek = fx_kek, .address = fx_address, .sealed = "{}"};
    cr_assert_eq(kw_wallet_sign(&bad, msg, sizeof msg, sig), KW_EINVAL);
}

Test(wallet, kek_rejects_bad_parameters)
{
    kw_wallet_kek *k = (kw_wallet_kek *)1;
    kw_err e = {0};
    cr_assert_eq(kw_wallet_kek_new("", 0, NULL, NULL, &k, &e), KW_EINVAL);
    cr_assert_null(k);
    kw_wallet_kdf odd = {.n = 1000, .r = 8, .p = 1};
    cr_assert_eq(kw_wallet_kek_new("m", 1, NULL, &odd, &k, &e), KW_EINVAL);
    kw_wallet_kdf zero = {.n = 1024, .r = 0, .p = 1};
    cr_assert_eq(kw_wallet_kek_new("m", 1, NULL, &zero, &k, &e), KW_EINVAL);
    kw_wallet_kek_free(NULL);
}

Test(wallet, random_mutations_never_crash_or_open_wrongly, .init = one_wallet, .fini = drop_wallet)
{
    uint8_t want[32], seed[32];
    cr_assert_eq(kw_wallet_open(fx_kek, fx_address, fx_sealed, want, NULL), 0);
    size_t n = strlen(fx_sealed);
    char *buf = malloc(n + 2);
    unsigned rng = 12345;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, fx_sealed, n + 1);
        rng = rng * 1103515245u + 12345u;
        size_t at = (rng >> 8) % n;
        rng = rng * 1103515245u + 12345u;
        switch (round % 3) {
        case 0: buf[at] = (char)(rng >> 16); break;                          /* replace (NUL truncates) */
        case 1: memmove(buf + at, buf + at + 1, n - at); break;              /* delete */
        case 2: memmove(buf + at + 1, buf + at, n - at + 1); buf[at] = (char)(rng >> 16); break; /* insert */
        }
        kw_err e = {0};
        int rc = kw_wallet_open(fx_kek, fx_address, buf, seed, &e);
        cr_assert(rc == 0 || rc == KW_EINVAL || rc == KW_ECRYPTO, "round %d: rc %d", round, rc);
        if (rc == 0)
            cr_assert(memcmp(seed, want, 32) == 0, "round %d opened to another seed", round);
        else
            cr_assert(e.msg[0], "round %d: an error without a message", round);
    }
    free(buf);
}
