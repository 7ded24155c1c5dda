#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

int kw_err_set(kw_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *kw_strerror(int code)
{
    switch (code) {
    case KW_OK: return "ok";
    case KW_EINVAL: return "invalid input";
    case KW_ENOMEM: return "out of memory";
    case KW_EIO: return "input/output error";
    case KW_ENOTFOUND: return "not found";
    case KW_ECONFLICT: return "conflict";
    case KW_ERANGE: return "out of range";
    case KW_ESTATE: return "not allowed now";
    case KW_ECHAIN: return "rejected by the chain";
    case KW_ETRANSIENT: return "temporarily unavailable";
    case KW_EAUTH: return "not authorised";
    case KW_EFUNDS: return "insufficient funds";
    case KW_ECRYPTO: return "cryptographic check failed";
    case KW_ELIMIT: return "limit reached";
    case KW_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}
