#include "crypto/wallet.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/sha.h"

#define AAD_PREFIX "KALE-CUSTODIAL-WALLET"
#define AAD_PREFIX_LEN (sizeof AAD_PREFIX - 1)
#define IV_LEN 12
#define TAG_LEN 16
#define KEY_LEN 32
#define MASTER_MAX 4096
#define CREATED_LEN 24 /* 2025-01-02T03:04:05.678Z */

typedef struct kek_slot {
    uint8_t salt[KW_WALLET_SALT_LEN];
    uint8_t key[KEY_LEN];
} kek_slot;

/* Lives in one sodium_malloc allocation: guard pages, mlock, wiped on free. */
struct kw_wallet_kek {
    pthread_mutex_t lock;
    kw_wallet_kdf kdf;
    char kdf_name[64];
    _Atomic unsigned derivations;
    size_t nslots;     /* slot[0] holds the sealing salt; slots are only appended */
    kek_slot slot[KW_WALLET_KEK_SALTS];
    size_t mlen;
    uint8_t master[];
};

/* The parsed fields of an EncryptedWallet. */
typedef struct sealed_blob {
    uint8_t ct[KW_WALLET_SEED_LEN];
    uint8_t salt[KW_WALLET_SALT_LEN];
    uint8_t tag[TAG_LEN];
    uint8_t iv[IV_LEN];
    char kdf[64];
    char created[CREATED_LEN + 1];
} sealed_blob;

kw_wallet_kdf kw_wallet_kdf_default(void)
{
    return (kw_wallet_kdf){.n = 16384, .r = 8, .p = 1};
}

static int scrypt(const kw_wallet_kek *k, const uint8_t salt[KW_WALLET_SALT_LEN], uint8_t key[KEY_LEN])
{
    /* OpenSSL refuses work above maxmem; allow exactly what these parameters need. */
    uint64_t maxmem = 128ull * k->kdf.r * (k->kdf.n + k->kdf.p + 2) + (1u << 20);
    return EVP_PBE_scrypt((const char *)k->master, k->mlen, salt, KW_WALLET_SALT_LEN, k->kdf.n, k->kdf.r,
                          k->kdf.p, maxmem, key, KEY_LEN) == 1 ? 0 : KW_ECRYPTO;
}

int kw_wallet_kek_new(const void *master, size_t mlen, const uint8_t *seal_salt, const kw_wallet_kdf *kdf,
                      kw_wallet_kek **out, kw_err *err)
{
    kw_wallet_kdf c = kdf ? *kdf : kw_wallet_kdf_default();
    *out = NULL;
    if (mlen == 0 || mlen > MASTER_MAX)
        return kw_err_set(err, KW_EINVAL, "master secret must be 1 to %d bytes", MASTER_MAX);
    if (c.n < 2 || (c.n & (c.n - 1)) || c.r == 0 || c.p == 0 || c.n > (1u << 24) || c.r > 64 || c.p > 64)
        return kw_err_set(err, KW_EINVAL, "invalid scrypt parameters");
    if (sodium_init() < 0)
        return kw_err_set(err, KW_ECRYPTO, "libsodium failed to initialise");
    /* sodium_malloc puts the block against its trailing guard page, so only a
     * size that is a multiple of the alignment yields an aligned struct. */
    size_t size = (sizeof(kw_wallet_kek) + mlen + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
    kw_wallet_kek *k = sodium_malloc(size);
    if (!k)
        return kw_err_set(err, KW_ENOMEM, "out of memory for the key-encryption key");
    memset(k, 0, sizeof *k);
    k->kdf = c;
    snprintf(k->kdf_name, sizeof k->kdf_name, "scrypt:N=%" PRIu64 ",r=%" PRIu32 ",p=%" PRIu32, c.n, c.r, c.p);
    k->mlen = mlen;
    memcpy(k->master, master, mlen);
    if (seal_salt)
        memcpy(k->slot[0].salt, seal_salt, KW_WALLET_SALT_LEN);
    else
        randombytes_buf(k->slot[0].salt, KW_WALLET_SALT_LEN);
    if (pthread_mutex_init(&k->lock, NULL) != 0) {
        sodium_free(k);
        return kw_err_set(err, KW_ENOMEM, "cannot create a lock");
    }
    atomic_init(&k->derivations, 1);
    if (scrypt(k, k->slot[0].salt, k->slot[0].key) != 0) {
        kw_wallet_kek_free(k);
        return kw_err_set(err, KW_ECRYPTO, "scrypt key derivation failed");
    }
    k->nslots = 1;
    *out = k;
    return 0;
}

void kw_wallet_kek_free(kw_wallet_kek *k)
{
    if (!k)
        return;
    pthread_mutex_destroy(&k->lock);
    sodium_free(k); /* wipes before unmapping */
}

void kw_wallet_kek_salt(const kw_wallet_kek *k, uint8_t salt[KW_WALLET_SALT_LEN])
{
    memcpy(salt, k->slot[0].salt, KW_WALLET_SALT_LEN);
}

unsigned kw_wallet_kek_derivations(const kw_wallet_kek *k)
{
    return atomic_load(&k->derivations);
}

/* The cached KEK of salt, or NULL. A slot never changes once counted, so the
 * returned pointer stays valid without the lock. */
static const uint8_t *slot_key(kw_wallet_kek *k, const uint8_t salt[KW_WALLET_SALT_LEN], size_t *nslots)
{
    const uint8_t *key = NULL;
    pthread_mutex_lock(&k->lock);
    for (size_t i = 0; i < k->nslots && !key; i++)
        if (memcmp(k->slot[i].salt, salt, KW_WALLET_SALT_LEN) == 0)
            key = k->slot[i].key;
    *nslots = k->nslots;
    pthread_mutex_unlock(&k->lock);
    return key;
}

static void slot_add(kw_wallet_kek *k, const uint8_t salt[KW_WALLET_SALT_LEN], const uint8_t key[KEY_LEN])
{
    size_t n;
    if (slot_key(k, salt, &n))
        return; /* another thread cached it meanwhile */
    pthread_mutex_lock(&k->lock);
    if (k->nslots < KW_WALLET_KEK_SALTS) {
        memcpy(k->slot[k->nslots].salt, salt, KW_WALLET_SALT_LEN);
        memcpy(k->slot[k->nslots].key, key, KEY_LEN);
        k->nslots++;
    }
    pthread_mutex_unlock(&k->lock);
}

/* AES-256-GCM of one seed. enc: fills out and tag; otherwise checks tag and
 * returns KW_ECRYPTO when it does not verify. */
static int gcm(int enc, const uint8_t key[KEY_LEN], const uint8_t iv[IV_LEN], const char *address,
               const uint8_t in[KW_WALLET_SEED_LEN], uint8_t out[KW_WALLET_SEED_LEN], uint8_t tag[TAG_LEN])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c != NULL;
    ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) == 1;
    ok = ok && EVP_CipherUpdate(c, NULL, &len, (const uint8_t *)AAD_PREFIX, AAD_PREFIX_LEN) == 1;
    ok = ok && EVP_CipherUpdate(c, NULL, &len, (const uint8_t *)address, KW_STRKEY_LEN) == 1;
    ok = ok && EVP_CipherUpdate(c, out, &len, in, KW_WALLET_SEED_LEN) == 1 && len == KW_WALLET_SEED_LEN;
    if (!enc)
        ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + len, &len) == 1;
    if (enc)
        ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        sodium_memzero(out, KW_WALLET_SEED_LEN);
    return ok ? 0 : KW_ECRYPTO;
}

static int check_address(const char *address, uint8_t pk[32], kw_err *err)
{
    kw_err e = {0};
    if (kw_strkey_decode(KW_STRKEY_ACCOUNT, address, pk, &e) != 0)
        return kw_err_set(err, KW_EINVAL, "wallet address: %s", e.msg);
    return 0;
}

static void format_created(int64_t ms, char out[CREATED_LEN + 1])
{
    if (ms < 0 || ms > INT64_C(253402300799999)) /* keep the four-digit year of the format */
        ms = 0;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[64];
    size_t n = strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(date + n, sizeof date - n, ".%03dZ", (int)(ms % 1000));
    memcpy(out, date, CREATED_LEN);
    out[CREATED_LEN] = 0;
}

static int valid_created(const char *s)
{
    /* Shape only: the field is informational, but a blob is either exact or rejected. */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (strlen(s) != CREATED_LEN)
        return 0;
    for (size_t i = 0; i < CREATED_LEN; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return 0;
    return 1;
}

static int seal_with(kw_wallet_kek *k, const char *address, const uint8_t seed[KW_WALLET_SEED_LEN],
                     const char *created, char **sealed, kw_err *err)
{
    uint8_t iv[IV_LEN], ct[KW_WALLET_SEED_LEN], tag[TAG_LEN];
    char ct_hex[2 * KW_WALLET_SEED_LEN + 1], salt_hex[2 * KW_WALLET_SALT_LEN + 1], tag_hex[2 * TAG_LEN + 1],
        iv_hex[2 * IV_LEN + 1];
    *sealed = NULL;
    randombytes_buf(iv, sizeof iv);
    if (gcm(1, k->slot[0].key, iv, address, seed, ct, tag) != 0)
        return kw_err_set(err, KW_ECRYPTO, "AES-256-GCM encryption failed");
    kw_hex_encode(ct, sizeof ct, ct_hex);
    kw_hex_encode(k->slot[0].salt, KW_WALLET_SALT_LEN, salt_hex);
    kw_hex_encode(tag, sizeof tag, tag_hex);
    kw_hex_encode(iv, sizeof iv, iv_hex);
    json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "version", KW_WALLET_VERSION,
                          "encryptedPrivateKey", ct_hex, "salt", salt_hex, "authTag", tag_hex, "iv", iv_hex,
                          "algorithm", "aes-256-gcm", "keyDerivation", k->kdf_name, "created", created);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        return kw_err_set(err, KW_ENOMEM, "out of memory sealing a wallet");
    *sealed = s;
    return 0;
}

int kw_wallet_seal(kw_wallet_kek *k, const char *address, const uint8_t seed[KW_WALLET_SEED_LEN],
                   int64_t created_ms, char **sealed, kw_err *err)
{
    uint8_t pk[32], own_pk[32], sk[64];
    char created[CREATED_LEN + 1];
    *sealed = NULL;
    int rc = check_address(address, pk, err);
    if (rc)
        return rc;
    crypto_sign_seed_keypair(own_pk, sk, seed);
    sodium_memzero(sk, sizeof sk);
    if (memcmp(pk, own_pk, 32) != 0)
        return kw_err_set(err, KW_EINVAL, "the seed does not belong to wallet %s", address);
    format_created(created_ms, created);
    return seal_with(k, address, seed, created, sealed, err);
}

int kw_wallet_create(kw_wallet_kek *k, int64_t created_ms, char address[KW_STRKEY_BUFSZ], char **sealed,
                     kw_err *err)
{
    uint8_t pk[32], sk[64], seed[KW_WALLET_SEED_LEN];
    char created[CREATED_LEN + 1];
    randombytes_buf(seed, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(sk, sizeof sk);
    kw_strkey_encode(KW_STRKEY_ACCOUNT, pk, address);
    format_created(created_ms, created);
    int rc = seal_with(k, address, seed, created, sealed, err);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

static int hex_field(json_t *o, const char *name, uint8_t *out, size_t n, kw_err *err)
{
    const char *s = json_string_value(json_object_get(o, name));
    /* Lower case only, as written: one spelling per blob. */
    if (strspn(s, "0123456789abcdef") != strlen(s) || kw_hex_decode(s, out, n) != 0)
        return kw_err_set(err, KW_EINVAL, "sealed wallet: \"%s\" must be %zu lower-case hex digits", name, 2 * n);
    return 0;
}

/* Strict EncryptedWallet parser: exactly the documented keys and types. */
static int parse(const char *text, sealed_blob *b, kw_err *err)
{
    static const char *const keys[] = {"version", "encryptedPrivateKey", "salt", "authTag", "iv",
                                       "algorithm", "keyDerivation", "created"};
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    if (!text)
        return kw_err_set(err, KW_EINVAL, "sealed wallet is missing");
    size_t len = strnlen(text, KW_WALLET_JSON_MAX + 1);
    if (len > KW_WALLET_JSON_MAX)
        return kw_err_set(err, KW_EINVAL, "sealed wallet is longer than %d bytes", KW_WALLET_JSON_MAX);
    json_error_t je;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (!o)
        return kw_err_set(err, KW_EINVAL, "sealed wallet is not valid JSON: %s (at byte %d)", je.text,
                          je.position);
    if (!json_is_object(o)) {
        rc = kw_err_set(err, KW_EINVAL, "sealed wallet must be a JSON object");
        goto fail;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t i = 0;
        while (i < NKEYS && strcmp(key, keys[i]) != 0)
            i++;
        if (i == NKEYS) {
            rc = kw_err_set(err, KW_EINVAL, "sealed wallet has an unexpected field \"%.40s\"", key);
            goto fail;
        }
        if (i == 0 ? !json_is_integer(v) : !json_is_string(v)) {
            rc = kw_err_set(err, KW_EINVAL, "sealed wallet: \"%s\" must be %s", key, i == 0 ? "an integer" : "a string");
            goto fail;
        }
    }
    for (size_t i = 0; i < NKEYS; i++) {
        if (!json_object_get(o, keys[i])) {
            rc = kw_err_set(err, KW_EINVAL, "sealed wallet lacks the field \"%s\"", keys[i]);
            goto fail;
        }
    }
    if (json_integer_value(json_object_get(o, "version")) != KW_WALLET_VERSION) {
        rc = kw_err_set(err, KW_EINVAL, "sealed wallet has version %" JSON_INTEGER_FORMAT ", this build reads %d",
                        json_integer_value(json_object_get(o, "version")), KW_WALLET_VERSION);
        goto fail;
    }
    if (strcmp(json_string_value(json_object_get(o, "algorithm")), "aes-256-gcm") != 0) {
        rc = kw_err_set(err, KW_EINVAL, "sealed wallet uses algorithm \"%.40s\", expected \"aes-256-gcm\"",
                        json_string_value(json_object_get(o, "algorithm")));
        goto fail;
    }
    const char *kdf = json_string_value(json_object_get(o, "keyDerivation"));
    const char *created = json_string_value(json_object_get(o, "created"));
    if (strlen(kdf) >= sizeof b->kdf || strncmp(kdf, "scrypt:", 7) != 0) {
        rc = kw_err_set(err, KW_EINVAL, "sealed wallet: unknown keyDerivation \"%.40s\"", kdf);
        goto fail;
    }
    if (!valid_created(created)) {
        rc = kw_err_set(err, KW_EINVAL, "sealed wallet: \"created\" must look like 2025-01-02T03:04:05.678Z");
        goto fail;
    }
    snprintf(b->kdf, sizeof b->kdf, "%s", kdf);
    snprintf(b->created, sizeof b->created, "%s", created);
    rc = hex_field(o, "encryptedPrivateKey", b->ct, sizeof b->ct, err);
    if (!rc)
        rc = hex_field(o, "salt", b->salt, sizeof b->salt, err);
    if (!rc)
        rc = hex_field(o, "authTag", b->tag, sizeof b->tag, err);
    if (!rc)
        rc = hex_field(o, "iv", b->iv, sizeof b->iv, err);
fail:
    json_decref(o);
    return rc;
}

static int open_blob(kw_wallet_kek *k, const char *address, const sealed_blob *b, uint8_t seed[KW_WALLET_SEED_LEN],
                     kw_err *err)
{
    uint8_t pk[32], derived[KEY_LEN], out[KW_WALLET_SEED_LEN], tag[TAG_LEN];
    int rc = check_address(address, pk, err);
    if (rc)
        return rc;
    if (strcmp(b->kdf, k->kdf_name) != 0)
        return kw_err_set(err, KW_EINVAL, "sealed wallet uses %s, this service derives keys with %s", b->kdf,
                          k->kdf_name);
    memcpy(tag, b->tag, TAG_LEN);
    size_t nslots;
    const uint8_t *key = slot_key(k, b->salt, &nslots);
    if (key) {
        rc = gcm(0, key, b->iv, address, b->ct, out, tag);
    } else {
        if (nslots >= KW_WALLET_KEK_SALTS)
            return kw_err_set(err, KW_ELIMIT,
                              "wallets use more than %d distinct salts; rotate-master-key re-seals them under one",
                              KW_WALLET_KEK_SALTS);
        atomic_fetch_add(&k->derivations, 1);
        if (scrypt(k, b->salt, derived) != 0) {
            sodium_memzero(derived, sizeof derived);
            return kw_err_set(err, KW_ECRYPTO, "scrypt key derivation failed");
        }
        rc = gcm(0, derived, b->iv, address, b->ct, out, tag);
        if (rc == 0)
            slot_add(k, b->salt, derived);
        sodium_memzero(derived, sizeof derived);
    }
    if (rc)
        return kw_err_set(err, KW_ECRYPTO,
                          "wallet %s does not decrypt: wrong master key, or the sealed wallet was altered", address);
    memcpy(seed, out, KW_WALLET_SEED_LEN);
    sodium_memzero(out, sizeof out);
    return 0;
}

int kw_wallet_open(kw_wallet_kek *k, const char *address, const char *sealed, uint8_t seed[KW_WALLET_SEED_LEN],
                   kw_err *err)
{
    sealed_blob b;
    int rc = parse(sealed, &b, err);
    if (rc == 0)
        rc = open_blob(k, address, &b, seed, err);
    return rc;
}

int kw_wallet_reseal(kw_wallet_kek *from, kw_wallet_kek *to, const char *address, const char *sealed,
                     char **resealed, kw_err *err)
{
    sealed_blob b;
    uint8_t seed[KW_WALLET_SEED_LEN];
    *resealed = NULL;
    int rc = parse(sealed, &b, err);
    if (rc == 0)
        rc = open_blob(from, address, &b, seed, err);
    if (rc == 0)
        rc = seal_with(to, address, seed, b.created, resealed, err);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

int kw_wallet_sealed_salt(const char *sealed, uint8_t salt[KW_WALLET_SALT_LEN], kw_err *err)
{
    sealed_blob b;
    int rc = parse(sealed, &b, err);
    if (rc == 0)
        memcpy(salt, b.salt, KW_WALLET_SALT_LEN);
    return rc;
}

int kw_wallet_sign(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[64])
{
    const kw_wallet_signer *s = ctx;
    uint8_t seed[KW_WALLET_SEED_LEN], pk[32], sk[64];
    int rc = kw_wallet_open(s->kek, s->address, s->sealed, seed, NULL);
    if (rc)
        return rc;
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_detached(sig, NULL, msg, n, sk);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    return 0;
}
