/*
 * wallet — custodial Ed25519 keypairs and their secrets at rest (SPEC §9).
 *
 * A custodial wallet is an Ed25519 keypair whose public key is the user's
 * StrKey address (G…) and whose 32-byte seed is stored only sealed:
 *
 *     AES-256-GCM(key = KEK, iv = 12 random bytes, aad = "KALE-CUSTODIAL-WALLET" ‖ address)
 *     KEK = scrypt(master secret, salt, N = 16384, r = 8, p = 1, 32 bytes)
 *
 * The sealed form is the EncryptedWallet JSON object, exactly these keys:
 *
 *     {"version":1, "encryptedPrivateKey":"<64 hex>", "salt":"<64 hex>",
 *      "authTag":"<32 hex>", "iv":"<24 hex>", "algorithm":"aes-256-gcm",
 *      "keyDerivation":"scrypt:N=16384,r=8,p=1", "created":"2025-01-02T03:04:05.678Z"}
 *
 * encryptedPrivateKey is the ciphertext of the raw seed (the address is the
 * AAD, so a blob moved to another wallet row does not open). Parsing is
 * strict: a missing, extra, duplicated or mistyped key, a wrong length, an
 * unknown version, algorithm or KDF is an error with a message naming it.
 *
 * Salt policy. The scrypt salt belongs to the installation, not to a wallet:
 * every wallet sealed by one kw_wallet_kek carries that kek's sealing salt,
 * and the `salt` field records it so that a blob says which KEK opens it. At
 * start the service takes the sealing salt from an existing wallet (the one
 * it opens to check the master key), or draws a random one on an empty
 * database; rotate-master-key draws a fresh salt for the new key. The kek
 * keeps the master secret and caches the KEK of each distinct salt it has
 * opened successfully (at most KW_WALLET_KEK_SALTS), so scrypt runs once per
 * salt per process — at start for the sealing salt, and once more for a
 * wallet sealed under another salt (e.g. by a replica that started on the
 * same empty database) — never per open or signature. A blob whose salt is
 * not cached costs one scrypt and is cached only if it decrypts.
 *
 * Memory: the master secret and the cached KEKs live in sodium_malloc pages
 * (guard pages, mlock'd where the OS allows, wiped on free). Seeds handed out
 * by kw_wallet_open are the caller's to wipe (sodium_memzero).
 *
 * Thread-safety: a kw_wallet_kek may be shared by threads; every function
 * here is thread-safe for distinct output buffers.
 */
#ifndef KW_CRYPTO_WALLET_H
#define KW_CRYPTO_WALLET_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/strkey.h"

#define KW_WALLET_VERSION 1
#define KW_WALLET_SALT_LEN 32
#define KW_WALLET_SEED_LEN 32
#define KW_WALLET_KEK_SALTS 8
/* Longest EncryptedWallet text accepted (the real one is about 330 bytes). */
#define KW_WALLET_JSON_MAX 1024

/* scrypt cost. Production always uses kw_wallet_kdf_default(); a cheaper one
 * exists only so that tests which derive many keys stay fast, and a blob
 * records its parameters so the two never mix. */
typedef struct kw_wallet_kdf {
    uint64_t n;
    uint32_t r, p;
} kw_wallet_kdf;

/* N = 16384, r = 8, p = 1. */
kw_wallet_kdf kw_wallet_kdf_default(void);

typedef struct kw_wallet_kek kw_wallet_kek;

/* Derives the key-encryption key of master (copied; the caller wipes its own
 * copy) under seal_salt, or under a random salt when seal_salt is NULL. Runs
 * scrypt once. kdf NULL means kw_wallet_kdf_default(). KW_EINVAL for an empty
 * master or invalid kdf, KW_ENOMEM, KW_ECRYPTO when the KDF fails. */
int kw_wallet_kek_new(const void *master, size_t mlen, const uint8_t *seal_salt,
                      const kw_wallet_kdf *kdf, kw_wallet_kek **out, kw_err *err) KW_WUR;
/* Wipes and frees; NULL is ignored. */
void kw_wallet_kek_free(kw_wallet_kek *k);
/* The salt new wallets are sealed under. */
void kw_wallet_kek_salt(const kw_wallet_kek *k, uint8_t salt[KW_WALLET_SALT_LEN]);
/* How many times scrypt has run for this kek (1 after kw_wallet_kek_new). */
unsigned kw_wallet_kek_derivations(const kw_wallet_kek *k);

/* Generates a keypair, writes its address and a newly allocated sealed JSON
 * (free with free()). created_ms is the Unix time in ms recorded in
 * `created`. The seed never leaves this function. */
int kw_wallet_create(kw_wallet_kek *k, int64_t created_ms, char address[KW_STRKEY_BUFSZ],
                     char **sealed, kw_err *err) KW_WUR;

/* Seals seed for address (which must be the seed's public key: KW_EINVAL
 * otherwise). *sealed is allocated; free with free(). */
int kw_wallet_seal(kw_wallet_kek *k, const char *address, const uint8_t seed[KW_WALLET_SEED_LEN],
                   int64_t created_ms, char **sealed, kw_err *err) KW_WUR;

/* Opens a sealed wallet of address into seed. KW_EINVAL: the JSON is not an
 * EncryptedWallet (message names the problem); KW_ECRYPTO: it does not
 * decrypt (wrong master key, or any bit of it, the address or the salt was
 * altered); KW_ELIMIT: too many distinct salts. seed is untouched on error. */
int kw_wallet_open(kw_wallet_kek *k, const char *address, const char *sealed,
                   uint8_t seed[KW_WALLET_SEED_LEN], kw_err *err) KW_WUR;

/* Opens sealed with from and seals the seed again with to, keeping `created`:
 * the unit of master-key rotation. *resealed is allocated; free with free(). */
int kw_wallet_reseal(kw_wallet_kek *from, kw_wallet_kek *to, const char *address,
                     const char *sealed, char **resealed, kw_err *err) KW_WUR;

/* Reads the salt of a sealed wallet without decrypting it, to start a kek
 * whose sealing salt matches the existing wallets. */
int kw_wallet_sealed_salt(const char *sealed, uint8_t salt[KW_WALLET_SALT_LEN], kw_err *err) KW_WUR;

/* Signing with a custodial wallet. The seed is opened, used and wiped inside
 * each call; nothing secret outlives it. */
typedef struct kw_wallet_signer {
    kw_wallet_kek *kek;
    const char *address;
    const char *sealed;
} kw_wallet_signer;

/* The chain interface's signer callback: ctx is a kw_wallet_signer. Writes
 * the Ed25519 signature of msg. Returns 0 or the negative code of
 * kw_wallet_open. */
int kw_wallet_sign(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[64]) KW_WUR;

#endif
