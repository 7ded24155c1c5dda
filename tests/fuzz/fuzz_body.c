/* libFuzzer target: JSON request bodies (kw_body_read) against a field
 * table that uses every field type. An accepted body must be an object no
 * deeper than KW_BODY_DEPTH_MAX and every output must be within its field's
 * bounds; a refused one says why with one of the two documented codes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/body.h"
#include "core/amount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static int depth(const json_t *j)
{
    int d = 0;
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, v) {
            int c = depth(v);
            d = c > d ? c : d;
        }
        return d + 1;
    }
    if (json_is_array(j)) {
        json_array_foreach(j, i, v) {
            int c = depth(v);
            d = c > d ? c : d;
        }
        return d + 1;
    }
    return 0;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    const char *name = NULL;
    int64_t amount = -1, count = -1;
    bool flag = false, has_count = false;
    int direction = -1;
    kw_field fields[] = {
        KW_FIELD_STRING("name", false, 1, 32, &name),
        KW_FIELD_AMOUNT("amount", true, KW_STROOPS_PER_KALE / 10, 10000 * KW_STROOPS_PER_KALE, &amount),
        KW_FIELD_INT("count", false, -5, 100, &count),
        KW_FIELD_BOOL("flag", false, &flag),
        KW_FIELD_ENUM("direction", false, "good|bad", &direction),
        KW_FIELD_CONST("type"),
    };
    fields[2].present = &has_count;
    json_t *root = NULL;
    kw_err e = {0};
    int rc = kw_body_read((const char *)data, n, fields, sizeof fields / sizeof fields[0], &root, &e);
    if (rc != 0) {
        if (rc != KW_EINVAL || root || e.code < KW_BODY_MALFORMED || e.code > KW_BODY_AMOUNT_RANGE || !e.msg[0])
            abort();
        return 0;
    }
    if (!json_is_object(root) || depth(root) > KW_BODY_DEPTH_MAX)
        abort();
    if (amount < KW_STROOPS_PER_KALE / 10 || amount > 10000 * KW_STROOPS_PER_KALE)
        abort();
    if (name && (utf8_chars(name) < 1 || utf8_chars(name) > 32))
        abort();
    if (has_count != (json_object_get(root, "count") != NULL) || (has_count && (count < -5 || count > 100)))
        abort();
    if (direction != -1 && direction != 0 && direction != 1)
        abort();
    json_decref(root);
    return 0;
}
