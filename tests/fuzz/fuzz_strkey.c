/* libFuzzer target: StrKey text (G… accounts, S… seeds, C… contracts).
 * Decoding is strict, so whatever decodes must be the canonical encoding of
 * what it decoded to, and decode as exactly one type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/strkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const kw_strkey_type types[] = {KW_STRKEY_ACCOUNT, KW_STRKEY_SEED, KW_STRKEY_CONTRACT};
    char *s = malloc(n + 1);
    if (!s)
        return 0;
    memcpy(s, data, n);
    s[n] = 0;
    int decoded = 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        uint8_t raw[32];
        char again[KW_STRKEY_BUFSZ];
        kw_err e = {0};
        if (kw_strkey_decode(types[t], s, raw, &e) == 0) {
            decoded++;
            kw_strkey_encode(types[t], raw, again);
            if (strcmp(again, s) != 0)
                abort();
        } else if (!e.msg[0]) {
            abort();
        }
    }
    if (decoded > 1)
        abort();
    free(s);
    return 0;
}
