/*
 * secret — the service's two long-lived secrets: the master secret that
 * protects custodial wallets and the HS256 key of access tokens (SPEC §9, §15).
 *
 * Where each comes from, first match wins:
 *
 *   master secret   KALEWX_MASTER_KEY (setting), else the file named by
 *                   KALEWX_MASTER_KEY_FILE, else — on KALEWX_CHAIN=devnet
 *                   only — KALEWX_DATA_DIR/master.key, generated on first start
 *   token secret    JWT_SECRET (setting), else — on devnet only —
 *                   KALEWX_DATA_DIR/jwt.key, generated on first start
 *
 * Outside devnet a missing secret is an error naming the setting; setting both
 * KALEWX_MASTER_KEY and KALEWX_MASTER_KEY_FILE is an error too. A secret is
 * one line of text of KW_SECRET_MIN to KW_SECRET_MAX bytes (trailing line
 * break and blanks are dropped); generated ones are 64 hex digits from 32
 * random bytes, written 0600 without ever replacing an existing file, with a
 * log line giving the path (never the value). A secret file readable by group
 * or others is used, with a warning.
 *
 * Ownership: a loaded kw_secret lives in sodium_malloc memory (guard pages,
 * mlock'd where allowed); kw_secret_free wipes and frees it.
 * Thread-safety: loading touches the file system and may race only with
 * other processes, which the no-replace write tolerates (the first file wins).
 */
#ifndef KW_CRYPTO_SECRET_H
#define KW_CRYPTO_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

#define KW_SECRET_MIN 32
#define KW_SECRET_MAX 4096

typedef enum kw_secret_kind {
    KW_SECRET_MASTER, /* protects custodial wallets */
    KW_SECRET_JWT,    /* signs access tokens */
} kw_secret_kind;

typedef enum kw_secret_origin {
    KW_SECRET_FROM_SETTING,   /* KALEWX_MASTER_KEY / JWT_SECRET */
    KW_SECRET_FROM_FILE,      /* KALEWX_MASTER_KEY_FILE or an explicit path */
    KW_SECRET_FROM_DATA_DIR,  /* a devnet file generated on an earlier start */
    KW_SECRET_GENERATED,      /* a devnet file generated just now */
} kw_secret_origin;

typedef struct kw_secret {
    uint8_t *bytes;           /* len bytes, not NUL-terminated */
    size_t len;
    kw_secret_origin origin;
} kw_secret;

/* Loads one secret as described above. With may_generate false a missing
 * devnet file is KW_ENOTFOUND instead of being created: when wallets exist,
 * a lost master key must be reported, never silently replaced. KW_EINVAL
 * names the setting or file and what is wrong; KW_EIO for file-system
 * failures. */
int kw_secret_load(const kw_config *cfg, kw_secret_kind kind, bool may_generate, kw_secret *out,
                   kw_err *err) KW_WUR;

/* Reads a secret file (e.g. rotate-master-key --new-key-file). */
int kw_secret_read_file(const char *path, kw_secret *out, kw_err *err) KW_WUR;

/* Checks and copies secret text (what = name for messages). */
int kw_secret_from_text(const char *text, size_t n, const char *what, kw_secret *out, kw_err *err) KW_WUR;

/* Creates path with a new random secret unless it exists (0 either way).
 * *created tells which. Parent directories are created 0700. */
int kw_secret_generate_file(const char *path, int *created, kw_err *err) KW_WUR;

/* Replaces path with s atomically (0600, synced): a crash leaves the old
 * file or the new one, never a mix. For rotate-master-key on devnet. */
int kw_secret_install_file(const char *path, const kw_secret *s, kw_err *err) KW_WUR;

/* Wipes and frees; safe on a zeroed or already freed kw_secret. */
void kw_secret_free(kw_secret *s);

#endif
