/*
 * err — the error convention shared by every module.
 *
 * Functions return int: 0 on success, a negative KW_E* code on failure. When a
 * person will read the reason, the callee also fills a caller-supplied kw_err
 * (which may be NULL when the caller only needs the code). Messages never
 * contain secrets.
 *
 * Thread-safety: everything here is reentrant.
 */
#ifndef KW_CORE_ERR_H
#define KW_CORE_ERR_H

#include <stddef.h>

#define KW_WUR __attribute__((warn_unused_result))

enum kw_errcode {
    KW_OK = 0,
    KW_EINVAL = -1,     /* input rejected: bad syntax or out of range */
    KW_ENOMEM = -2,
    KW_EIO = -3,        /* file, socket or database failure */
    KW_ENOTFOUND = -4,
    KW_ECONFLICT = -5,  /* duplicate or already exists */
    KW_ERANGE = -6,     /* arithmetic would overflow */
    KW_ESTATE = -7,     /* not allowed in the current state (phase, status) */
    KW_ECHAIN = -8,     /* the chain rejected the call; kw_err.code holds the contract code */
    KW_ETRANSIENT = -9, /* try again later (fault, timeout, busy) */
    KW_EAUTH = -10,     /* authentication or authorisation failed */
    KW_EFUNDS = -11,    /* insufficient funds */
    KW_ECRYPTO = -12,   /* a key, signature or ciphertext did not verify */
    KW_ELIMIT = -13,    /* a rate or size limit was reached */
    KW_EINTERNAL = -14, /* a bug or broken invariant */
};

typedef struct kw_err {
    int code;            /* the KW_E* code, or a domain code where documented */
    char msg[256];       /* one sentence a user can act on */
} kw_err;

/* Records code and a printf-style message in e (if e is not NULL) and returns
 * code, so callers can write `return kw_err_set(e, KW_EINVAL, "...")`. */
int kw_err_set(kw_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short constant name for a code ("invalid input", ...). */
const char *kw_strerror(int code);

#endif
