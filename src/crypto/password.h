/*
 * password — user passwords as Argon2id hashes (SPEC §9).
 *
 * A password is 10 to 256 characters of valid UTF-8 without control
 * characters (at most KW_PASSWORD_MAX_BYTES bytes, which bounds the work an
 * attacker can ask for). It is stored as the standard encoded string
 * "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (16-byte random salt,
 * 32-byte hash; the cost is the OWASP minimum for Argon2id and is recorded in
 * the string, so raising it later keeps old hashes verifiable).
 *
 * Verification compares in constant time (libargon2), and
 * kw_password_verify_absent spends the same work when there is no stored
 * hash, so a login does not reveal whether a user exists.
 *
 * Thread-safe. Passwords are never copied; callers wipe their buffers.
 */
#ifndef KW_CRYPTO_PASSWORD_H
#define KW_CRYPTO_PASSWORD_H

#include <stddef.h>

#include "core/err.h"

#define KW_PASSWORD_MIN_CHARS 10
#define KW_PASSWORD_MAX_CHARS 256
#define KW_PASSWORD_MAX_BYTES 1024
/* Room for an encoded hash, NUL included. */
#define KW_PASSWORD_HASH_MAX 128

/* KW_EINVAL with a message when pw breaks the rules above. */
int kw_password_check(const char *pw, kw_err *err) KW_WUR;

/* Checks pw, then writes its encoded Argon2id hash into out. */
int kw_password_hash(const char *pw, char out[KW_PASSWORD_HASH_MAX], kw_err *err) KW_WUR;

/* 0 when pw matches encoded; KW_EAUTH when it does not (or pw is not a
 * valid password); KW_EINVAL when encoded is not an Argon2id hash. */
int kw_password_verify(const char *encoded, const char *pw) KW_WUR;

/* The cost of a verification with nothing to compare against: KW_EAUTH
 * (KW_EINTERNAL would mean no work was done). */
int kw_password_verify_absent(const char *pw);

#endif
