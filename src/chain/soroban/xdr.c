#include "chain/soroban/xdr.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/sha.h"

/* ---- arena ---------------------------------------------------------------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    _Alignas(max_align_t) unsigned char data[];
} arena_block;

struct kw_xdr_arena {
    arena_block *head;
    size_t total, cap;
};

kw_xdr_arena *kw_xdr_arena_new(size_t cap)
{
    kw_xdr_arena *a = calloc(1, sizeof *a);
    if (a)
        a->cap = cap;
    return a;
}

void kw_xdr_arena_free(kw_xdr_arena *a)
{
    if (!a)
        return;
    for (arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *kw_xdr_arena_alloc(kw_xdr_arena *a, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    if (n == 0)
        n = 1;
    if (n > a->cap)
        return NULL;
    n = (n + align - 1) & ~(align - 1);
    arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > 16384 ? n : 16384;
        if (a->total + size > a->cap)
            size = n;
        if (a->total + size > a->cap)
            return NULL;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = size;
        b->next = a->head;
        a->head = b;
        a->total += size;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

/* ---- writer ----------------------------------------------------------------- */

void kw_xdr_writer_init(kw_xdr_writer *w, size_t max)
{
    memset(w, 0, sizeof *w);
    w->max = max ? max : (4u << 20);
}

void kw_xdr_writer_free(kw_xdr_writer *w)
{
    if (w->p) {
        explicit_bzero(w->p, w->cap);
        free(w->p);
    }
    memset(w, 0, sizeof *w);
}

int kw_xdr_writer_error(const kw_xdr_writer *w)
{
    return w->err;
}

static uint8_t *wreserve(kw_xdr_writer *w, size_t n)
{
    if (w->err)
        return NULL;
    if (n > w->max - w->n) {
        w->err = KW_ELIMIT;
        return NULL;
    }
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->n + n)
            cap *= 2;
        if (cap > w->max)
            cap = w->max;
        uint8_t *p = malloc(cap);
        if (!p) {
            w->err = KW_ENOMEM;
            return NULL;
        }
        if (w->p) {
            memcpy(p, w->p, w->n);
            explicit_bzero(w->p, w->cap);
            free(w->p);
        }
        w->p = p;
        w->cap = cap;
    }
    uint8_t *at = w->p + w->n;
    w->n += n;
    return at;
}

int kw_xdr_put_u32(kw_xdr_writer *w, uint32_t v)
{
    uint8_t *p = wreserve(w, 4);
    if (p) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
    return w->err;
}

int kw_xdr_put_i32(kw_xdr_writer *w, int32_t v)
{
    return kw_xdr_put_u32(w, (uint32_t)v);
}

int kw_xdr_put_u64(kw_xdr_writer *w, uint64_t v)
{
    kw_xdr_put_u32(w, (uint32_t)(v >> 32));
    return kw_xdr_put_u32(w, (uint32_t)v);
}

int kw_xdr_put_i64(kw_xdr_writer *w, int64_t v)
{
    return kw_xdr_put_u64(w, (uint64_t)v);
}

int kw_xdr_put_bool(kw_xdr_writer *w, bool v)
{
    return kw_xdr_put_u32(w, v ? 1 : 0);
}

int kw_xdr_put_fixed(kw_xdr_writer *w, const void *src, size_t n)
{
    size_t pad = (4 - (n & 3)) & 3;
    uint8_t *p = wreserve(w, n + pad);
    if (p) {
        if (n)
            memcpy(p, src, n);
        memset(p + n, 0, pad);
    }
    return w->err;
}

int kw_xdr_put_var(kw_xdr_writer *w, const void *src, size_t n, size_t max)
{
    if (n > max || n > UINT32_MAX) {
        if (!w->err)
            w->err = KW_EINVAL;
        return w->err;
    }
    kw_xdr_put_u32(w, (uint32_t)n);
    return kw_xdr_put_fixed(w, src, n);
}

/* ---- reader ----------------------------------------------------------------- */

void kw_xdr_reader_init(kw_xdr_reader *r, const void *p, size_t n, kw_xdr_arena *arena, kw_err *err)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->n = n;
    r->arena = arena;
    r->err = err;
}

static int bad(kw_xdr_reader *r, const char *what)
{
    return kw_err_set(r->err, KW_EINVAL, "malformed XDR at byte %zu: %s", r->off, what);
}

static size_t remaining(const kw_xdr_reader *r)
{
    return r->n - r->off;
}

int kw_xdr_reader_done(kw_xdr_reader *r)
{
    return remaining(r) ? bad(r, "trailing bytes") : 0;
}

int kw_xdr_get_u32(kw_xdr_reader *r, uint32_t *v)
{
    if (remaining(r) < 4)
        return bad(r, "truncated");
    const uint8_t *p = r->p + r->off;
    *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    r->off += 4;
    return 0;
}

int kw_xdr_get_i32(kw_xdr_reader *r, int32_t *v)
{
    uint32_t u;
    int rc = kw_xdr_get_u32(r, &u);
    if (rc == 0)
        *v = (int32_t)u;
    return rc;
}

int kw_xdr_get_u64(kw_xdr_reader *r, uint64_t *v)
{
    uint32_t hi, lo;
    if (kw_xdr_get_u32(r, &hi) || kw_xdr_get_u32(r, &lo))
        return KW_EINVAL;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

int kw_xdr_get_i64(kw_xdr_reader *r, int64_t *v)
{
    uint64_t u;
    int rc = kw_xdr_get_u64(r, &u);
    if (rc == 0)
        *v = (int64_t)u;
    return rc;
}

int kw_xdr_get_bool(kw_xdr_reader *r, bool *v)
{
    uint32_t u;
    if (kw_xdr_get_u32(r, &u))
        return KW_EINVAL;
    if (u > 1)
        return bad(r, "boolean is neither 0 nor 1");
    *v = u == 1;
    return 0;
}

static int skip_padding(kw_xdr_reader *r, size_t n)
{
    size_t pad = (4 - (n & 3)) & 3;
    if (remaining(r) < pad)
        return bad(r, "truncated padding");
    for (size_t i = 0; i < pad; i++)
        if (r->p[r->off + i])
            return bad(r, "non-zero padding");
    r->off += pad;
    return 0;
}

int kw_xdr_get_fixed(kw_xdr_reader *r, void *out, size_t n)
{
    if (remaining(r) < n)
        return bad(r, "truncated");
    memcpy(out, r->p + r->off, n);
    r->off += n;
    return skip_padding(r, n);
}

/* A variable-length opaque/string of at most max bytes, copied into the arena
 * (NUL-terminated, so strings can be used as C strings where they are text). */
static int get_var(kw_xdr_reader *r, size_t max, const uint8_t **out, uint32_t *len)
{
    uint32_t n;
    if (kw_xdr_get_u32(r, &n))
        return KW_EINVAL;
    if (n > max)
        return bad(r, "length above its limit");
    if (remaining(r) < n)
        return bad(r, "length beyond the input");
    uint8_t *p = kw_xdr_arena_alloc(r->arena, (size_t)n + 1);
    if (!p)
        return kw_err_set(r->err, KW_ENOMEM, "decoded XDR exceeds its memory cap");
    memcpy(p, r->p + r->off, n);
    r->off += n;
    *out = p;
    *len = n;
    return skip_padding(r, n);
}

/* An element count: at most max, and no more than the remaining bytes could
 * hold at min_size bytes per element. */
static int get_count(kw_xdr_reader *r, uint32_t max, size_t min_size, uint32_t *n)
{
    if (kw_xdr_get_u32(r, n))
        return KW_EINVAL;
    if (*n > max)
        return bad(r, "count above its limit");
    if ((size_t)*n > remaining(r) / min_size)
        return bad(r, "count beyond the input");
    return 0;
}

static void *alloc_array(kw_xdr_reader *r, uint32_t n, size_t size)
{
    void *p = kw_xdr_arena_alloc(r->arena, (size_t)n * size);
    if (!p)
        kw_err_set(r->err, KW_ENOMEM, "decoded XDR exceeds its memory cap");
    return p;
}

static int enter(kw_xdr_reader *r)
{
    if (++r->depth > KW_XDR_MAX_DEPTH)
        return bad(r, "nesting too deep");
    return 0;
}

static int get_optional(kw_xdr_reader *r, bool *present)
{
    return kw_xdr_get_bool(r, present);
}

/* ---- SCVal ------------------------------------------------------------------ */

kw_scval kw_scval_bool(bool b) { return (kw_scval){.type = KW_SCV_BOOL, .v.b = b}; }
kw_scval kw_scval_void(void) { return (kw_scval){.type = KW_SCV_VOID}; }
kw_scval kw_scval_u32(uint32_t v) { return (kw_scval){.type = KW_SCV_U32, .v.u32 = v}; }
kw_scval kw_scval_i32(int32_t v) { return (kw_scval){.type = KW_SCV_I32, .v.i32 = v}; }
kw_scval kw_scval_u64(uint64_t v) { return (kw_scval){.type = KW_SCV_U64, .v.u64 = v}; }
kw_scval kw_scval_i64(int64_t v) { return (kw_scval){.type = KW_SCV_I64, .v.i64 = v}; }
kw_scval kw_scval_u128(unsigned __int128 v) { return (kw_scval){.type = KW_SCV_U128, .v.u128 = v}; }
kw_scval kw_scval_i128(__int128 v) { return (kw_scval){.type = KW_SCV_I128, .v.i128 = v}; }
kw_scval kw_scval_instance_key(void) { return (kw_scval){.type = KW_SCV_LEDGER_KEY_CONTRACT_INSTANCE}; }

kw_scval kw_scval_bytes(const void *p, uint32_t n)
{
    return (kw_scval){.type = KW_SCV_BYTES, .v.bytes = {p, n}};
}

kw_scval kw_scval_string(const char *s)
{
    return (kw_scval){.type = KW_SCV_STRING, .v.bytes = {(const uint8_t *)s, (uint32_t)strlen(s)}};
}

kw_scval kw_scval_symbol(const char *s)
{
    return (kw_scval){.type = KW_SCV_SYMBOL, .v.bytes = {(const uint8_t *)s, (uint32_t)strlen(s)}};
}

kw_scval kw_scval_vec(const kw_scval *items, uint32_t n)
{
    return (kw_scval){.type = KW_SCV_VEC, .v.vec = {true, items, n}};
}

kw_scval kw_scval_map(const kw_scmap_entry *entries, uint32_t n)
{
    return (kw_scval){.type = KW_SCV_MAP, .v.map = {true, entries, n}};
}

kw_scval kw_scval_account(const uint8_t key[32])
{
    kw_scval v = {.type = KW_SCV_ADDRESS, .v.address.type = KW_SCADDR_ACCOUNT};
    memcpy(v.v.address.key, key, 32);
    return v;
}

kw_scval kw_scval_contract(const uint8_t id[32])
{
    kw_scval v = {.type = KW_SCV_ADDRESS, .v.address.type = KW_SCADDR_CONTRACT};
    memcpy(v.v.address.key, id, 32);
    return v;
}

bool kw_scval_is_symbol(const kw_scval *a, const char *s)
{
    size_t n = strlen(s);
    return a->type == KW_SCV_SYMBOL && a->v.bytes.n == n && memcmp(a->v.bytes.p, s, n) == 0;
}

static bool address_equal(const kw_scaddress *a, const kw_scaddress *b)
{
    return a->type == b->type && memcmp(a->key, b->key, 32) == 0 &&
           (a->type != KW_SCADDR_MUXED_ACCOUNT || a->muxed_id == b->muxed_id);
}

static bool entries_equal(const kw_scmap_entry *a, const kw_scmap_entry *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!kw_scval_equal(&a[i].key, &b[i].key) || !kw_scval_equal(&a[i].val, &b[i].val))
            return false;
    return true;
}

bool kw_scval_equal(const kw_scval *a, const kw_scval *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case KW_SCV_BOOL: return a->v.b == b->v.b;
    case KW_SCV_VOID:
    case KW_SCV_LEDGER_KEY_CONTRACT_INSTANCE: return true;
    case KW_SCV_ERROR: return a->v.error.type == b->v.error.type && a->v.error.code == b->v.error.code;
    case KW_SCV_U32: return a->v.u32 == b->v.u32;
    case KW_SCV_I32: return a->v.i32 == b->v.i32;
    case KW_SCV_U64:
    case KW_SCV_TIMEPOINT:
    case KW_SCV_DURATION: return a->v.u64 == b->v.u64;
    case KW_SCV_I64:
    case KW_SCV_LEDGER_KEY_NONCE: return a->v.i64 == b->v.i64;
    case KW_SCV_U128: return a->v.u128 == b->v.u128;
    case KW_SCV_I128: return a->v.i128 == b->v.i128;
    case KW_SCV_U256:
    case KW_SCV_I256: return memcmp(a->v.u256, b->v.u256, 32) == 0;
    case KW_SCV_BYTES:
    case KW_SCV_STRING:
    case KW_SCV_SYMBOL:
        return a->v.bytes.n == b->v.bytes.n &&
               (a->v.bytes.n == 0 || memcmp(a->v.bytes.p, b->v.bytes.p, a->v.bytes.n) == 0);
    case KW_SCV_VEC:
        if (a->v.vec.present != b->v.vec.present || a->v.vec.n != b->v.vec.n)
            return false;
        for (uint32_t i = 0; i < a->v.vec.n; i++)
            if (!kw_scval_equal(&a->v.vec.items[i], &b->v.vec.items[i]))
                return false;
        return true;
    case KW_SCV_MAP:
        return a->v.map.present == b->v.map.present && a->v.map.n == b->v.map.n &&
               entries_equal(a->v.map.entries, b->v.map.entries, a->v.map.n);
    case KW_SCV_ADDRESS: return address_equal(&a->v.address, &b->v.address);
    case KW_SCV_CONTRACT_INSTANCE:
        return a->v.instance.executable == b->v.instance.executable &&
               (a->v.instance.executable != 0 ||
                memcmp(a->v.instance.wasm_hash, b->v.instance.wasm_hash, 32) == 0) &&
               a->v.instance.has_storage == b->v.instance.has_storage &&
               a->v.instance.n == b->v.instance.n &&
               entries_equal(a->v.instance.entries, b->v.instance.entries, a->v.instance.n);
    }
    return false;
}

const kw_scval *kw_scmap_find(const kw_scmap_entry *entries, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++) {
        const kw_scval *k = &entries[i].key;
        if (kw_scval_is_symbol(k, name))
            return &entries[i].val;
        if (k->type == KW_SCV_VEC && k->v.vec.n == 1 && kw_scval_is_symbol(&k->v.vec.items[0], name))
            return &entries[i].val;
    }
    return NULL;
}

int kw_xdr_put_scaddress(kw_xdr_writer *w, const kw_scaddress *a)
{
    kw_xdr_put_u32(w, a->type);
    switch (a->type) {
    case KW_SCADDR_ACCOUNT:
        kw_xdr_put_u32(w, KW_KEY_TYPE_ED25519);
        return kw_xdr_put_fixed(w, a->key, 32);
    case KW_SCADDR_MUXED_ACCOUNT:
        kw_xdr_put_u64(w, a->muxed_id);
        return kw_xdr_put_fixed(w, a->key, 32);
    case KW_SCADDR_CLAIMABLE_BALANCE:
        kw_xdr_put_u32(w, 0);
        return kw_xdr_put_fixed(w, a->key, 32);
    case KW_SCADDR_CONTRACT:
    case KW_SCADDR_LIQUIDITY_POOL:
        return kw_xdr_put_fixed(w, a->key, 32);
    }
    if (!w->err)
        w->err = KW_EINVAL;
    return w->err;
}

static int get_account_id(kw_xdr_reader *r, uint8_t key[32])
{
    uint32_t t;
    if (kw_xdr_get_u32(r, &t))
        return KW_EINVAL;
    if (t != KW_KEY_TYPE_ED25519)
        return bad(r, "unknown public key type");
    return kw_xdr_get_fixed(r, key, 32);
}

int kw_xdr_get_scaddress(kw_xdr_reader *r, kw_scaddress *a)
{
    uint32_t t, sub;
    memset(a, 0, sizeof *a);
    if (kw_xdr_get_u32(r, &t))
        return KW_EINVAL;
    a->type = (kw_scaddress_type)t;
    switch (t) {
    case KW_SCADDR_ACCOUNT:
        return get_account_id(r, a->key);
    case KW_SCADDR_MUXED_ACCOUNT:
        if (kw_xdr_get_u64(r, &a->muxed_id))
            return KW_EINVAL;
        return kw_xdr_get_fixed(r, a->key, 32);
    case KW_SCADDR_CLAIMABLE_BALANCE:
        if (kw_xdr_get_u32(r, &sub))
            return KW_EINVAL;
        if (sub != 0)
            return bad(r, "unknown claimable balance id type");
        return kw_xdr_get_fixed(r, a->key, 32);
    case KW_SCADDR_CONTRACT:
    case KW_SCADDR_LIQUIDITY_POOL:
        return kw_xdr_get_fixed(r, a->key, 32);
    default:
        return bad(r, "unknown address type");
    }
}

static int put_entries(kw_xdr_writer *w, const kw_scmap_entry *e, uint32_t n)
{
    kw_xdr_put_u32(w, n);
    for (uint32_t i = 0; i < n; i++) {
        kw_xdr_put_scval(w, &e[i].key);
        kw_xdr_put_scval(w, &e[i].val);
    }
    return w->err;
}

static bool symbol_ok(const uint8_t *p, uint32_t n)
{
    if (n > KW_XDR_SYMBOL_MAX)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

int kw_xdr_put_scval(kw_xdr_writer *w, const kw_scval *v)
{
    kw_xdr_put_u32(w, v->type);
    switch (v->type) {
    case KW_SCV_BOOL: return kw_xdr_put_bool(w, v->v.b);
    case KW_SCV_VOID:
    case KW_SCV_LEDGER_KEY_CONTRACT_INSTANCE: return w->err;
    case KW_SCV_ERROR:
        kw_xdr_put_u32(w, v->v.error.type);
        return kw_xdr_put_u32(w, v->v.error.code);
    case KW_SCV_U32: return kw_xdr_put_u32(w, v->v.u32);
    case KW_SCV_I32: return kw_xdr_put_i32(w, v->v.i32);
    case KW_SCV_U64:
    case KW_SCV_TIMEPOINT:
    case KW_SCV_DURATION: return kw_xdr_put_u64(w, v->v.u64);
    case KW_SCV_I64:
    case KW_SCV_LEDGER_KEY_NONCE: return kw_xdr_put_i64(w, v->v.i64);
    case KW_SCV_U128:
        kw_xdr_put_u64(w, (uint64_t)(v->v.u128 >> 64));
        return kw_xdr_put_u64(w, (uint64_t)v->v.u128);
    case KW_SCV_I128:
        kw_xdr_put_i64(w, (int64_t)(v->v.i128 >> 64));
        return kw_xdr_put_u64(w, (uint64_t)v->v.i128);
    case KW_SCV_U256:
    case KW_SCV_I256: return kw_xdr_put_fixed(w, v->v.u256, 32);
    case KW_SCV_BYTES:
    case KW_SCV_STRING: return kw_xdr_put_var(w, v->v.bytes.p, v->v.bytes.n, UINT32_MAX);
    case KW_SCV_SYMBOL:
        if (!symbol_ok(v->v.bytes.p, v->v.bytes.n)) {
            if (!w->err)
                w->err = KW_EINVAL;
            return w->err;
        }
        return kw_xdr_put_var(w, v->v.bytes.p, v->v.bytes.n, KW_XDR_SYMBOL_MAX);
    case KW_SCV_VEC:
        kw_xdr_put_bool(w, v->v.vec.present);
        if (v->v.vec.present) {
            kw_xdr_put_u32(w, v->v.vec.n);
            for (uint32_t i = 0; i < v->v.vec.n; i++)
                kw_xdr_put_scval(w, &v->v.vec.items[i]);
        }
        return w->err;
    case KW_SCV_MAP:
        kw_xdr_put_bool(w, v->v.map.present);
        return v->v.map.present ? put_entries(w, v->v.map.entries, v->v.map.n) : w->err;
    case KW_SCV_ADDRESS: return kw_xdr_put_scaddress(w, &v->v.address);
    case KW_SCV_CONTRACT_INSTANCE:
        kw_xdr_put_u32(w, v->v.instance.executable);
        if (v->v.instance.executable == 0)
            kw_xdr_put_fixed(w, v->v.instance.wasm_hash, 32);
        kw_xdr_put_bool(w, v->v.instance.has_storage);
        return v->v.instance.has_storage ? put_entries(w, v->v.instance.entries, v->v.instance.n)
                                         : w->err;
    }
    if (!w->err)
        w->err = KW_EINVAL;
    return w->err;
}

/* Smallest encodings, used to bound counts before allocating. */
#define MIN_SCVAL 4
#define MIN_MAP_ENTRY 8

static int get_entries(kw_xdr_reader *r, const kw_scmap_entry **out, uint32_t *n)
{
    if (get_count(r, UINT32_MAX, MIN_MAP_ENTRY, n))
        return KW_EINVAL;
    kw_scmap_entry *e = alloc_array(r, *n, sizeof *e);
    if (!e)
        return KW_ENOMEM;
    for (uint32_t i = 0; i < *n; i++) {
        int rc = kw_xdr_get_scval(r, &e[i].key);
        if (rc == 0)
            rc = kw_xdr_get_scval(r, &e[i].val);
        if (rc)
            return rc;
    }
    *out = e;
    return 0;
}

static int get_scval_body(kw_xdr_reader *r, kw_scval *v)
{
    uint32_t t;
    int rc;
    if (kw_xdr_get_u32(r, &t))
        return KW_EINVAL;
    v->type = (kw_scval_type)t;
    switch (t) {
    case KW_SCV_BOOL: return kw_xdr_get_bool(r, &v->v.b);
    case KW_SCV_VOID:
    case KW_SCV_LEDGER_KEY_CONTRACT_INSTANCE: return 0;
    case KW_SCV_ERROR:
        if (kw_xdr_get_u32(r, &v->v.error.type) || kw_xdr_get_u32(r, &v->v.error.code))
            return KW_EINVAL;
        if (v->v.error.type > KW_SCE_AUTH)
            return bad(r, "unknown error type");
        return 0;
    case KW_SCV_U32: return kw_xdr_get_u32(r, &v->v.u32);
    case KW_SCV_I32: return kw_xdr_get_i32(r, &v->v.i32);
    case KW_SCV_U64:
    case KW_SCV_TIMEPOINT:
    case KW_SCV_DURATION: return kw_xdr_get_u64(r, &v->v.u64);
    case KW_SCV_I64:
    case KW_SCV_LEDGER_KEY_NONCE: return kw_xdr_get_i64(r, &v->v.i64);
    case KW_SCV_U128:
    case KW_SCV_I128: {
        uint64_t hi, lo;
        if (kw_xdr_get_u64(r, &hi) || kw_xdr_get_u64(r, &lo))
            return KW_EINVAL;
        v->v.u128 = (unsigned __int128)hi << 64 | lo;
        return 0;
    }
    case KW_SCV_U256:
    case KW_SCV_I256: return kw_xdr_get_fixed(r, v->v.u256, 32);
    case KW_SCV_BYTES:
    case KW_SCV_STRING: return get_var(r, UINT32_MAX, &v->v.bytes.p, &v->v.bytes.n);
    case KW_SCV_SYMBOL:
        if ((rc = get_var(r, KW_XDR_SYMBOL_MAX, &v->v.bytes.p, &v->v.bytes.n)))
            return rc;
        return symbol_ok(v->v.bytes.p, v->v.bytes.n) ? 0 : bad(r, "invalid symbol character");
    case KW_SCV_VEC: {
        if ((rc = get_optional(r, &v->v.vec.present)) || !v->v.vec.present)
            return rc;
        if (get_count(r, UINT32_MAX, MIN_SCVAL, &v->v.vec.n))
            return KW_EINVAL;
        kw_scval *items = alloc_array(r, v->v.vec.n, sizeof *items);
        if (!items)
            return KW_ENOMEM;
        for (uint32_t i = 0; i < v->v.vec.n; i++)
            if ((rc = kw_xdr_get_scval(r, &items[i])))
                return rc;
        v->v.vec.items = items;
        return 0;
    }
    case KW_SCV_MAP:
        if ((rc = get_optional(r, &v->v.map.present)) || !v->v.map.present)
            return rc;
        return get_entries(r, &v->v.map.entries, &v->v.map.n);
    case KW_SCV_ADDRESS: return kw_xdr_get_scaddress(r, &v->v.address);
    case KW_SCV_CONTRACT_INSTANCE:
        if (kw_xdr_get_u32(r, &v->v.instance.executable))
            return KW_EINVAL;
        if (v->v.instance.executable == 0) {
            if (kw_xdr_get_fixed(r, v->v.instance.wasm_hash, 32))
                return KW_EINVAL;
        } else if (v->v.instance.executable != 1) {
            return bad(r, "unknown contract executable");
        }
        if ((rc = get_optional(r, &v->v.instance.has_storage)) || !v->v.instance.has_storage)
            return rc;
        return get_entries(r, &v->v.instance.entries, &v->v.instance.n);
    default:
        return bad(r, "unknown SCVal type");
    }
}

int kw_xdr_get_scval(kw_xdr_reader *r, kw_scval *v)
{
    memset(v, 0, sizeof *v);
    int rc = enter(r);
    if (rc == 0)
        rc = get_scval_body(r, v);
    r->depth--;
    return rc;
}

/* ---- ledger keys and entries -------------------------------------------------- */

kw_ledger_key kw_ledger_key_account(const uint8_t key[32])
{
    kw_ledger_key k = {.type = KW_LEDGER_ACCOUNT};
    memcpy(k.account, key, 32);
    return k;
}

kw_ledger_key kw_ledger_key_contract_data(const uint8_t contract[32], kw_scval key, uint32_t durability)
{
    kw_ledger_key k = {.type = KW_LEDGER_CONTRACT_DATA, .key = key, .durability = durability};
    k.contract.type = KW_SCADDR_CONTRACT;
    memcpy(k.contract.key, contract, 32);
    return k;
}

static int put_account_id(kw_xdr_writer *w, const uint8_t key[32])
{
    kw_xdr_put_u32(w, KW_KEY_TYPE_ED25519);
    return kw_xdr_put_fixed(w, key, 32);
}

static int put_tl_asset(kw_xdr_writer *w, const kw_tl_asset *a)
{
    kw_xdr_put_u32(w, a->type);
    switch (a->type) {
    case 0: return w->err;
    case 1:
        kw_xdr_put_fixed(w, a->code, 4);
        return put_account_id(w, a->issuer);
    case 2:
        kw_xdr_put_fixed(w, a->code, 12);
        return put_account_id(w, a->issuer);
    case 3: return kw_xdr_put_fixed(w, a->issuer, 32);
    }
    if (!w->err)
        w->err = KW_EINVAL;
    return w->err;
}

static int get_tl_asset(kw_xdr_reader *r, kw_tl_asset *a)
{
    if (kw_xdr_get_u32(r, &a->type))
        return KW_EINVAL;
    switch (a->type) {
    case 0: return 0;
    case 1:
        if (kw_xdr_get_fixed(r, a->code, 4))
            return KW_EINVAL;
        return get_account_id(r, a->issuer);
    case 2:
        if (kw_xdr_get_fixed(r, a->code, 12))
            return KW_EINVAL;
        return get_account_id(r, a->issuer);
    case 3: return kw_xdr_get_fixed(r, a->issuer, 32);
    default: return bad(r, "unknown asset type");
    }
}

int kw_xdr_sac_contract_id(const uint8_t network_id[32], const kw_tl_asset *asset, uint8_t out[32])
{
    if (asset->type > 2)
        return KW_EINVAL;
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    kw_xdr_put_u32(&w, 8); /* ENVELOPE_TYPE_CONTRACT_ID */
    kw_xdr_put_fixed(&w, network_id, 32);
    kw_xdr_put_u32(&w, 1); /* CONTRACT_ID_PREIMAGE_FROM_ASSET; Asset shares TrustLineAsset's first arms */
    int rc = put_tl_asset(&w, asset);
    if (rc == 0)
        kw_sha256(w.p, w.n, out);
    kw_xdr_writer_free(&w);
    return rc;
}

int kw_xdr_put_ledger_key(kw_xdr_writer *w, const kw_ledger_key *k)
{
    kw_xdr_put_u32(w, k->type);
    switch (k->type) {
    case KW_LEDGER_ACCOUNT: return put_account_id(w, k->account);
    case KW_LEDGER_TRUSTLINE:
        put_account_id(w, k->account);
        return put_tl_asset(w, &k->asset);
    case KW_LEDGER_OFFER:
        put_account_id(w, k->account);
        return kw_xdr_put_i64(w, k->offer_id);
    case KW_LEDGER_DATA:
        put_account_id(w, k->account);
        return kw_xdr_put_var(w, k->data_name.p, k->data_name.n, 64);
    case KW_LEDGER_CLAIMABLE_BALANCE:
        kw_xdr_put_u32(w, 0);
        return kw_xdr_put_fixed(w, k->hash, 32);
    case KW_LEDGER_LIQUIDITY_POOL:
    case KW_LEDGER_CONTRACT_CODE:
    case KW_LEDGER_TTL: return kw_xdr_put_fixed(w, k->hash, 32);
    case KW_LEDGER_CONTRACT_DATA:
        kw_xdr_put_scaddress(w, &k->contract);
        kw_xdr_put_scval(w, &k->key);
        return kw_xdr_put_u32(w, k->durability);
    case KW_LEDGER_CONFIG_SETTING: return kw_xdr_put_i32(w, k->config_id);
    }
    if (!w->err)
        w->err = KW_EINVAL;
    return w->err;
}

int kw_xdr_get_ledger_key(kw_xdr_reader *r, kw_ledger_key *k)
{
    uint32_t t, sub;
    memset(k, 0, sizeof *k);
    if (kw_xdr_get_u32(r, &t))
        return KW_EINVAL;
    k->type = (kw_ledger_type)t;
    switch (t) {
    case KW_LEDGER_ACCOUNT: return get_account_id(r, k->account);
    case KW_LEDGER_TRUSTLINE:
        if (get_account_id(r, k->account))
            return KW_EINVAL;
        return get_tl_asset(r, &k->asset);
    case KW_LEDGER_OFFER:
        if (get_account_id(r, k->account))
            return KW_EINVAL;
        return kw_xdr_get_i64(r, &k->offer_id);
    case KW_LEDGER_DATA:
        if (get_account_id(r, k->account))
            return KW_EINVAL;
        return get_var(r, 64, &k->data_name.p, &k->data_name.n);
    case KW_LEDGER_CLAIMABLE_BALANCE:
        if (kw_xdr_get_u32(r, &sub))
            return KW_EINVAL;
        if (sub != 0)
            return bad(r, "unknown claimable balance id type");
        return kw_xdr_get_fixed(r, k->hash, 32);
    case KW_LEDGER_LIQUIDITY_POOL:
    case KW_LEDGER_CONTRACT_CODE:
    case KW_LEDGER_TTL: return kw_xdr_get_fixed(r, k->hash, 32);
    case KW_LEDGER_CONTRACT_DATA: {
        int rc;
        if ((rc = kw_xdr_get_scaddress(r, &k->contract)) || (rc = kw_xdr_get_scval(r, &k->key)))
            return rc;
        if (kw_xdr_get_u32(r, &k->durability))
            return KW_EINVAL;
        return k->durability <= KW_DURABILITY_PERSISTENT ? 0 : bad(r, "unknown durability");
    }
    case KW_LEDGER_CONFIG_SETTING: return kw_xdr_get_i32(r, &k->config_id);
    default: return bad(r, "unknown ledger entry type");
    }
}

static int get_liabilities(kw_xdr_reader *r)
{
    int64_t buying, selling;
    return kw_xdr_get_i64(r, &buying) || kw_xdr_get_i64(r, &selling) ? KW_EINVAL : 0;
}

static int get_signer_key(kw_xdr_reader *r, kw_signer_key *k);

static int get_account_ext(kw_xdr_reader *r)
{
    int32_t v;
    if (kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    if (v == 0)
        return 0;
    if (v != 1)
        return bad(r, "unknown account extension");
    if (get_liabilities(r) || kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    if (v == 0)
        return 0;
    if (v != 2)
        return bad(r, "unknown account extension v1 arm");
    uint32_t sponsored, sponsoring, n;
    if (kw_xdr_get_u32(r, &sponsored) || kw_xdr_get_u32(r, &sponsoring) ||
        get_count(r, KW_XDR_MAX_SIGS, 4, &n))
        return KW_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        bool present;
        uint8_t id[32];
        if (get_optional(r, &present) || (present && get_account_id(r, id)))
            return KW_EINVAL;
    }
    if (kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    if (v == 0)
        return 0;
    if (v != 3)
        return bad(r, "unknown account extension v2 arm");
    uint32_t seq_ledger;
    uint64_t seq_time;
    if (kw_xdr_get_i32(r, &v) || kw_xdr_get_u32(r, &seq_ledger) || kw_xdr_get_u64(r, &seq_time))
        return KW_EINVAL;
    return v == 0 ? 0 : bad(r, "unknown extension point");
}

static int get_account_entry(kw_xdr_reader *r, kw_xdr_ledger_entry *e)
{
    uint32_t subentries, flags, nsigners;
    bool has_inflation;
    uint8_t inflation[32], thresholds[4];
    const uint8_t *home;
    uint32_t nhome;
    if (get_account_id(r, e->account) || kw_xdr_get_i64(r, &e->balance) ||
        kw_xdr_get_i64(r, &e->seq_num) || kw_xdr_get_u32(r, &subentries) ||
        get_optional(r, &has_inflation) || (has_inflation && get_account_id(r, inflation)) ||
        kw_xdr_get_u32(r, &flags))
        return KW_EINVAL;
    int rc = get_var(r, 32, &home, &nhome);
    if (rc)
        return rc;
    if (kw_xdr_get_fixed(r, thresholds, 4) || get_count(r, KW_XDR_MAX_SIGS, 40, &nsigners))
        return KW_EINVAL;
    for (uint32_t i = 0; i < nsigners; i++) {
        kw_signer_key sk;
        uint32_t weight;
        if (get_signer_key(r, &sk) || kw_xdr_get_u32(r, &weight))
            return KW_EINVAL;
    }
    e->flags = flags;
    return get_account_ext(r);
}

static int get_trustline_entry(kw_xdr_reader *r, kw_xdr_ledger_entry *e)
{
    int32_t v;
    if (get_account_id(r, e->account) || get_tl_asset(r, &e->asset) ||
        kw_xdr_get_i64(r, &e->balance) || kw_xdr_get_i64(r, &e->limit) ||
        kw_xdr_get_u32(r, &e->flags) || kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    if (v == 0)
        return 0;
    if (v != 1)
        return bad(r, "unknown trustline extension");
    if (get_liabilities(r) || kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    if (v == 0)
        return 0;
    if (v != 2)
        return bad(r, "unknown trustline extension v1 arm");
    int32_t pool_use;
    if (kw_xdr_get_i32(r, &pool_use) || kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    return v == 0 ? 0 : bad(r, "unknown extension point");
}

static int get_extension_point(kw_xdr_reader *r)
{
    int32_t v;
    if (kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    return v == 0 ? 0 : bad(r, "unknown extension point");
}

static int get_contract_code_entry(kw_xdr_reader *r)
{
    int32_t v;
    if (kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    if (v == 1) {
        uint32_t cost[10];
        if (get_extension_point(r))
            return KW_EINVAL;
        for (int i = 0; i < 10; i++)
            if (kw_xdr_get_u32(r, &cost[i]))
                return KW_EINVAL;
    } else if (v != 0) {
        return bad(r, "unknown contract code extension");
    }
    uint8_t hash[32];
    uint32_t n;
    if (kw_xdr_get_fixed(r, hash, 32) || kw_xdr_get_u32(r, &n))
        return KW_EINVAL;
    if (n > remaining(r))
        return bad(r, "length beyond the input");
    r->off += n;
    return skip_padding(r, n);
}

int kw_xdr_get_ledger_entry_data(kw_xdr_reader *r, kw_xdr_ledger_entry *e)
{
    uint32_t t;
    memset(e, 0, sizeof *e);
    if (kw_xdr_get_u32(r, &t))
        return KW_EINVAL;
    e->type = (kw_ledger_type)t;
    switch (t) {
    case KW_LEDGER_ACCOUNT: return get_account_entry(r, e);
    case KW_LEDGER_TRUSTLINE: return get_trustline_entry(r, e);
    case KW_LEDGER_CONTRACT_DATA: {
        int rc;
        if ((rc = get_extension_point(r)) || (rc = kw_xdr_get_scaddress(r, &e->contract)) ||
            (rc = kw_xdr_get_scval(r, &e->key)))
            return rc;
        if (kw_xdr_get_u32(r, &e->durability))
            return KW_EINVAL;
        if (e->durability > KW_DURABILITY_PERSISTENT)
            return bad(r, "unknown durability");
        return kw_xdr_get_scval(r, &e->val);
    }
    case KW_LEDGER_CONTRACT_CODE: return get_contract_code_entry(r);
    case KW_LEDGER_TTL:
        if (kw_xdr_get_fixed(r, e->key_hash, 32))
            return KW_EINVAL;
        return kw_xdr_get_u32(r, &e->live_until);
    default: return bad(r, "ledger entry type not supported");
    }
}

int kw_xdr_put_ledger_entry_data(kw_xdr_writer *w, const kw_xdr_ledger_entry *e)
{
    kw_xdr_put_u32(w, e->type);
    switch (e->type) {
    case KW_LEDGER_ACCOUNT:
        /* accountID, balance, seqNum, no sub-entries, no inflation destination,
         * no flags, no home domain, thresholds 1/0/0/0, no signers, ext v0. */
        put_account_id(w, e->account);
        kw_xdr_put_i64(w, e->balance);
        kw_xdr_put_i64(w, e->seq_num);
        kw_xdr_put_u32(w, 0);
        kw_xdr_put_bool(w, false);
        kw_xdr_put_u32(w, e->flags);
        kw_xdr_put_u32(w, 0);
        kw_xdr_put_fixed(w, (const uint8_t[4]){1, 0, 0, 0}, 4);
        kw_xdr_put_u32(w, 0);
        return kw_xdr_put_u32(w, 0);
    case KW_LEDGER_TRUSTLINE:
        put_account_id(w, e->account);
        put_tl_asset(w, &e->asset);
        kw_xdr_put_i64(w, e->balance);
        kw_xdr_put_i64(w, e->limit);
        kw_xdr_put_u32(w, e->flags);
        return kw_xdr_put_u32(w, 0);
    case KW_LEDGER_CONTRACT_DATA:
        kw_xdr_put_u32(w, 0);
        kw_xdr_put_scaddress(w, &e->contract);
        kw_xdr_put_scval(w, &e->key);
        kw_xdr_put_u32(w, e->durability);
        return kw_xdr_put_scval(w, &e->val);
    case KW_LEDGER_TTL:
        kw_xdr_put_fixed(w, e->key_hash, 32);
        return kw_xdr_put_u32(w, e->live_until);
    default:
        if (!w->err)
            w->err = KW_EINVAL;
        return w->err;
    }
}

/* ---- Soroban transaction data ----------------------------------------------- */

#define MIN_LEDGER_KEY 36

int kw_xdr_put_soroban_data(kw_xdr_writer *w, const kw_soroban_data *d)
{
    kw_xdr_put_u32(w, d->ext);
    if (d->ext == 1) {
        kw_xdr_put_u32(w, d->narchived);
        for (uint32_t i = 0; i < d->narchived; i++)
            kw_xdr_put_u32(w, d->archived[i]);
    } else if (d->ext != 0 && !w->err) {
        w->err = KW_EINVAL;
    }
    kw_xdr_put_u32(w, d->nro);
    for (uint32_t i = 0; i < d->nro; i++)
        kw_xdr_put_ledger_key(w, &d->ro[i]);
    kw_xdr_put_u32(w, d->nrw);
    for (uint32_t i = 0; i < d->nrw; i++)
        kw_xdr_put_ledger_key(w, &d->rw[i]);
    kw_xdr_put_u32(w, d->instructions);
    kw_xdr_put_u32(w, d->disk_read_bytes);
    kw_xdr_put_u32(w, d->write_bytes);
    return kw_xdr_put_i64(w, d->resource_fee);
}

static int get_keys(kw_xdr_reader *r, const kw_ledger_key **out, uint32_t *n)
{
    if (get_count(r, UINT32_MAX, MIN_LEDGER_KEY, n))
        return KW_EINVAL;
    kw_ledger_key *k = alloc_array(r, *n, sizeof *k);
    if (!k)
        return KW_ENOMEM;
    for (uint32_t i = 0; i < *n; i++) {
        int rc = kw_xdr_get_ledger_key(r, &k[i]);
        if (rc)
            return rc;
    }
    *out = k;
    return 0;
}

int kw_xdr_get_soroban_data(kw_xdr_reader *r, kw_soroban_data *d)
{
    int rc;
    memset(d, 0, sizeof *d);
    if (kw_xdr_get_u32(r, &d->ext))
        return KW_EINVAL;
    if (d->ext == 1) {
        if (get_count(r, UINT32_MAX, 4, &d->narchived))
            return KW_EINVAL;
        uint32_t *a = alloc_array(r, d->narchived, sizeof *a);
        if (!a)
            return KW_ENOMEM;
        for (uint32_t i = 0; i < d->narchived; i++)
            if (kw_xdr_get_u32(r, &a[i]))
                return KW_EINVAL;
        d->archived = a;
    } else if (d->ext != 0) {
        return bad(r, "unknown transaction data extension");
    }
    if ((rc = get_keys(r, &d->ro, &d->nro)) || (rc = get_keys(r, &d->rw, &d->nrw)))
        return rc;
    if (kw_xdr_get_u32(r, &d->instructions) || kw_xdr_get_u32(r, &d->disk_read_bytes) ||
        kw_xdr_get_u32(r, &d->write_bytes) || kw_xdr_get_i64(r, &d->resource_fee))
        return KW_EINVAL;
    return 0;
}

/* ---- invocations and authorisation ---------------------------------------------- */

int kw_xdr_put_invoke_args(kw_xdr_writer *w, const kw_invoke_args *a)
{
    size_t n = strnlen(a->function, sizeof a->function);
    kw_xdr_put_scaddress(w, &a->contract);
    if (!symbol_ok((const uint8_t *)a->function, (uint32_t)n) && !w->err)
        w->err = KW_EINVAL;
    kw_xdr_put_var(w, a->function, n, KW_XDR_SYMBOL_MAX);
    kw_xdr_put_u32(w, a->nargs);
    for (uint32_t i = 0; i < a->nargs; i++)
        kw_xdr_put_scval(w, &a->args[i]);
    return w->err;
}

int kw_xdr_get_invoke_args(kw_xdr_reader *r, kw_invoke_args *a)
{
    const uint8_t *fn;
    uint32_t n;
    int rc;
    memset(a, 0, sizeof *a);
    if ((rc = kw_xdr_get_scaddress(r, &a->contract)) || (rc = get_var(r, KW_XDR_SYMBOL_MAX, &fn, &n)))
        return rc;
    if (!symbol_ok(fn, n))
        return bad(r, "invalid function name");
    memcpy(a->function, fn, n);
    if (get_count(r, UINT32_MAX, MIN_SCVAL, &a->nargs))
        return KW_EINVAL;
    kw_scval *args = alloc_array(r, a->nargs, sizeof *args);
    if (!args)
        return KW_ENOMEM;
    for (uint32_t i = 0; i < a->nargs; i++)
        if ((rc = kw_xdr_get_scval(r, &args[i])))
            return rc;
    a->args = args;
    return 0;
}

int kw_xdr_put_auth_invocation(kw_xdr_writer *w, const kw_auth_invocation *inv)
{
    kw_xdr_put_u32(w, 0); /* SOROBAN_AUTHORIZED_FUNCTION_TYPE_CONTRACT_FN */
    kw_xdr_put_invoke_args(w, &inv->fn);
    kw_xdr_put_u32(w, inv->nsubs);
    for (uint32_t i = 0; i < inv->nsubs; i++)
        kw_xdr_put_auth_invocation(w, &inv->subs[i]);
    return w->err;
}

static int get_auth_invocation_body(kw_xdr_reader *r, kw_auth_invocation *inv)
{
    uint32_t t;
    int rc;
    if (kw_xdr_get_u32(r, &t))
        return KW_EINVAL;
    if (t != 0)
        return bad(r, "authorised function type not supported");
    if ((rc = kw_xdr_get_invoke_args(r, &inv->fn)))
        return rc;
    if (get_count(r, UINT32_MAX, 48, &inv->nsubs))
        return KW_EINVAL;
    kw_auth_invocation *subs = alloc_array(r, inv->nsubs, sizeof *subs);
    if (!subs)
        return KW_ENOMEM;
    for (uint32_t i = 0; i < inv->nsubs; i++) {
        if ((rc = enter(r)) == 0)
            rc = get_auth_invocation_body(r, &subs[i]);
        r->depth--;
        if (rc)
            return rc;
    }
    inv->subs = subs;
    return 0;
}

int kw_xdr_put_auth_entry(kw_xdr_writer *w, const kw_auth_entry *e)
{
    kw_xdr_put_u32(w, e->cred_type);
    if (e->cred_type == KW_CRED_ADDRESS) {
        kw_xdr_put_scaddress(w, &e->address);
        kw_xdr_put_i64(w, e->nonce);
        kw_xdr_put_u32(w, e->sig_expiration_ledger);
        kw_xdr_put_scval(w, &e->signature);
    } else if (e->cred_type != KW_CRED_SOURCE_ACCOUNT && !w->err) {
        w->err = KW_EINVAL;
    }
    return kw_xdr_put_auth_invocation(w, &e->root);
}

int kw_xdr_get_auth_entry(kw_xdr_reader *r, kw_auth_entry *e)
{
    int rc;
    memset(e, 0, sizeof *e);
    if (kw_xdr_get_u32(r, &e->cred_type))
        return KW_EINVAL;
    if (e->cred_type == KW_CRED_ADDRESS) {
        if ((rc = kw_xdr_get_scaddress(r, &e->address)))
            return rc;
        if (kw_xdr_get_i64(r, &e->nonce) || kw_xdr_get_u32(r, &e->sig_expiration_ledger))
            return KW_EINVAL;
        if ((rc = kw_xdr_get_scval(r, &e->signature)))
            return rc;
    } else if (e->cred_type != KW_CRED_SOURCE_ACCOUNT) {
        return bad(r, "unknown credentials type");
    }
    if ((rc = enter(r)) == 0)
        rc = get_auth_invocation_body(r, &e->root);
    r->depth--;
    return rc;
}

int kw_xdr_put_auth_preimage(kw_xdr_writer *w, const uint8_t network_id[32], int64_t nonce,
                             uint32_t sig_expiration_ledger, const kw_auth_invocation *inv)
{
    kw_xdr_put_u32(w, 9); /* ENVELOPE_TYPE_SOROBAN_AUTHORIZATION */
    kw_xdr_put_fixed(w, network_id, 32);
    kw_xdr_put_i64(w, nonce);
    kw_xdr_put_u32(w, sig_expiration_ledger);
    return kw_xdr_put_auth_invocation(w, inv);
}

/* ---- transactions -------------------------------------------------------------- */

static int put_muxed(kw_xdr_writer *w, const kw_muxed *m)
{
    kw_xdr_put_u32(w, m->type);
    if (m->type == KW_KEY_TYPE_MUXED_ED25519)
        kw_xdr_put_u64(w, m->id);
    else if (m->type != KW_KEY_TYPE_ED25519 && !w->err)
        w->err = KW_EINVAL;
    return kw_xdr_put_fixed(w, m->key, 32);
}

static int get_muxed(kw_xdr_reader *r, kw_muxed *m)
{
    memset(m, 0, sizeof *m);
    if (kw_xdr_get_u32(r, &m->type))
        return KW_EINVAL;
    if (m->type == KW_KEY_TYPE_MUXED_ED25519) {
        if (kw_xdr_get_u64(r, &m->id))
            return KW_EINVAL;
    } else if (m->type != KW_KEY_TYPE_ED25519) {
        return bad(r, "unknown muxed account type");
    }
    return kw_xdr_get_fixed(r, m->key, 32);
}

static int put_signer_key(kw_xdr_writer *w, const kw_signer_key *k)
{
    kw_xdr_put_u32(w, k->type);
    kw_xdr_put_fixed(w, k->key, 32);
    if (k->type == 3)
        kw_xdr_put_var(w, k->payload, k->npayload, 64);
    else if (k->type > 3 && !w->err)
        w->err = KW_EINVAL;
    return w->err;
}

static int get_signer_key(kw_xdr_reader *r, kw_signer_key *k)
{
    memset(k, 0, sizeof *k);
    if (kw_xdr_get_u32(r, &k->type))
        return KW_EINVAL;
    if (k->type > 3)
        return bad(r, "unknown signer key type");
    if (kw_xdr_get_fixed(r, k->key, 32))
        return KW_EINVAL;
    if (k->type != 3)
        return 0;
    const uint8_t *p;
    int rc = get_var(r, 64, &p, &k->npayload);
    if (rc == 0)
        memcpy(k->payload, p, k->npayload);
    return rc;
}

static int put_cond(kw_xdr_writer *w, const kw_preconditions *c)
{
    kw_xdr_put_u32(w, c->type);
    switch (c->type) {
    case 0: return w->err;
    case 1:
        kw_xdr_put_u64(w, c->min_time);
        return kw_xdr_put_u64(w, c->max_time);
    case 2:
        kw_xdr_put_bool(w, c->has_time);
        if (c->has_time) {
            kw_xdr_put_u64(w, c->min_time);
            kw_xdr_put_u64(w, c->max_time);
        }
        kw_xdr_put_bool(w, c->has_ledger);
        if (c->has_ledger) {
            kw_xdr_put_u32(w, c->min_ledger);
            kw_xdr_put_u32(w, c->max_ledger);
        }
        kw_xdr_put_bool(w, c->has_min_seq);
        if (c->has_min_seq)
            kw_xdr_put_i64(w, c->min_seq);
        kw_xdr_put_u64(w, c->min_seq_age);
        kw_xdr_put_u32(w, c->min_seq_ledger_gap);
        if (c->nextra > 2 && !w->err)
            w->err = KW_EINVAL;
        kw_xdr_put_u32(w, c->nextra);
        for (uint32_t i = 0; i < c->nextra && i < 2; i++)
            put_signer_key(w, &c->extra[i]);
        return w->err;
    }
    if (!w->err)
        w->err = KW_EINVAL;
    return w->err;
}

static int get_cond(kw_xdr_reader *r, kw_preconditions *c)
{
    memset(c, 0, sizeof *c);
    if (kw_xdr_get_u32(r, &c->type))
        return KW_EINVAL;
    switch (c->type) {
    case 0: return 0;
    case 1:
        c->has_time = true;
        return kw_xdr_get_u64(r, &c->min_time) || kw_xdr_get_u64(r, &c->max_time) ? KW_EINVAL : 0;
    case 2:
        if (get_optional(r, &c->has_time) ||
            (c->has_time && (kw_xdr_get_u64(r, &c->min_time) || kw_xdr_get_u64(r, &c->max_time))) ||
            get_optional(r, &c->has_ledger) ||
            (c->has_ledger && (kw_xdr_get_u32(r, &c->min_ledger) || kw_xdr_get_u32(r, &c->max_ledger))) ||
            get_optional(r, &c->has_min_seq) || (c->has_min_seq && kw_xdr_get_i64(r, &c->min_seq)) ||
            kw_xdr_get_u64(r, &c->min_seq_age) || kw_xdr_get_u32(r, &c->min_seq_ledger_gap) ||
            get_count(r, 2, 36, &c->nextra))
            return KW_EINVAL;
        for (uint32_t i = 0; i < c->nextra; i++)
            if (get_signer_key(r, &c->extra[i]))
                return KW_EINVAL;
        return 0;
    default: return bad(r, "unknown precondition type");
    }
}

static int put_memo(kw_xdr_writer *w, const kw_memo *m)
{
    kw_xdr_put_u32(w, m->type);
    switch (m->type) {
    case 0: return w->err;
    case 1: return kw_xdr_put_var(w, m->text, m->ntext, 28);
    case 2: return kw_xdr_put_u64(w, m->id);
    case 3:
    case 4: return kw_xdr_put_fixed(w, m->hash, 32);
    }
    if (!w->err)
        w->err = KW_EINVAL;
    return w->err;
}

static int get_memo(kw_xdr_reader *r, kw_memo *m)
{
    memset(m, 0, sizeof *m);
    if (kw_xdr_get_u32(r, &m->type))
        return KW_EINVAL;
    switch (m->type) {
    case 0: return 0;
    case 1: {
        const uint8_t *p;
        int rc = get_var(r, 28, &p, &m->ntext);
        if (rc == 0)
            memcpy(m->text, p, m->ntext);
        return rc;
    }
    case 2: return kw_xdr_get_u64(r, &m->id);
    case 3:
    case 4: return kw_xdr_get_fixed(r, m->hash, 32);
    default: return bad(r, "unknown memo type");
    }
}

static int put_op(kw_xdr_writer *w, const kw_operation *op)
{
    kw_xdr_put_bool(w, op->has_source);
    if (op->has_source)
        put_muxed(w, &op->source);
    kw_xdr_put_u32(w, KW_OP_INVOKE_HOST_FUNCTION);
    kw_xdr_put_u32(w, 0); /* HOST_FUNCTION_TYPE_INVOKE_CONTRACT */
    kw_xdr_put_invoke_args(w, &op->invoke);
    kw_xdr_put_u32(w, op->nauth);
    for (uint32_t i = 0; i < op->nauth; i++)
        kw_xdr_put_auth_entry(w, &op->auth[i]);
    return w->err;
}

static int get_op(kw_xdr_reader *r, kw_operation *op)
{
    uint32_t type, hf;
    int rc;
    memset(op, 0, sizeof *op);
    if (get_optional(r, &op->has_source) || (op->has_source && get_muxed(r, &op->source)) ||
        kw_xdr_get_u32(r, &type))
        return KW_EINVAL;
    if (type != KW_OP_INVOKE_HOST_FUNCTION)
        return bad(r, "operation type not supported");
    if (kw_xdr_get_u32(r, &hf))
        return KW_EINVAL;
    if (hf != 0)
        return bad(r, "host function type not supported");
    if ((rc = kw_xdr_get_invoke_args(r, &op->invoke)))
        return rc;
    if (get_count(r, UINT32_MAX, 56, &op->nauth))
        return KW_EINVAL;
    kw_auth_entry *auth = alloc_array(r, op->nauth, sizeof *auth);
    if (!auth)
        return KW_ENOMEM;
    for (uint32_t i = 0; i < op->nauth; i++)
        if ((rc = kw_xdr_get_auth_entry(r, &auth[i])))
            return rc;
    op->auth = auth;
    return 0;
}

int kw_xdr_put_tx(kw_xdr_writer *w, const kw_tx *tx)
{
    put_muxed(w, &tx->source);
    kw_xdr_put_u32(w, tx->fee);
    kw_xdr_put_i64(w, tx->seq_num);
    put_cond(w, &tx->cond);
    put_memo(w, &tx->memo);
    if (tx->nops > KW_XDR_MAX_OPS && !w->err)
        w->err = KW_EINVAL;
    kw_xdr_put_u32(w, tx->nops);
    for (uint32_t i = 0; i < tx->nops; i++)
        put_op(w, &tx->ops[i]);
    kw_xdr_put_u32(w, tx->has_soroban ? 1 : 0);
    if (tx->has_soroban)
        kw_xdr_put_soroban_data(w, &tx->soroban);
    return w->err;
}

static int get_tx(kw_xdr_reader *r, kw_tx *tx)
{
    int rc;
    uint32_t ext;
    memset(tx, 0, sizeof *tx);
    if ((rc = get_muxed(r, &tx->source)) || kw_xdr_get_u32(r, &tx->fee) ||
        kw_xdr_get_i64(r, &tx->seq_num) || (rc = get_cond(r, &tx->cond)) ||
        (rc = get_memo(r, &tx->memo)))
        return rc ? rc : KW_EINVAL;
    if (get_count(r, KW_XDR_MAX_OPS, 12, &tx->nops))
        return KW_EINVAL;
    kw_operation *ops = alloc_array(r, tx->nops, sizeof *ops);
    if (!ops)
        return KW_ENOMEM;
    for (uint32_t i = 0; i < tx->nops; i++)
        if ((rc = get_op(r, &ops[i])))
            return rc;
    tx->ops = ops;
    if (kw_xdr_get_u32(r, &ext))
        return KW_EINVAL;
    if (ext > 1)
        return bad(r, "unknown transaction extension");
    tx->has_soroban = ext == 1;
    return tx->has_soroban ? kw_xdr_get_soroban_data(r, &tx->soroban) : 0;
}

static int put_sigs(kw_xdr_writer *w, const kw_decorated_sig *sigs, uint32_t n)
{
    if (n > KW_XDR_MAX_SIGS && !w->err)
        w->err = KW_EINVAL;
    kw_xdr_put_u32(w, n);
    for (uint32_t i = 0; i < n && i < KW_XDR_MAX_SIGS; i++) {
        kw_xdr_put_fixed(w, sigs[i].hint, 4);
        kw_xdr_put_var(w, sigs[i].sig, sigs[i].nsig, 64);
    }
    return w->err;
}

static int get_sigs(kw_xdr_reader *r, kw_decorated_sig *sigs, uint32_t *n)
{
    int rc;
    if (get_count(r, KW_XDR_MAX_SIGS, 8, n))
        return KW_EINVAL;
    for (uint32_t i = 0; i < *n; i++) {
        const uint8_t *p;
        if (kw_xdr_get_fixed(r, sigs[i].hint, 4) || (rc = get_var(r, 64, &p, &sigs[i].nsig)))
            return rc ? rc : KW_EINVAL;
        memcpy(sigs[i].sig, p, sigs[i].nsig);
    }
    return 0;
}

/* FeeBumpTransaction: fee source, fee, the inner v1 envelope, ext. */
static int put_fee_bump(kw_xdr_writer *w, const kw_envelope *env)
{
    put_muxed(w, &env->fee_source);
    kw_xdr_put_i64(w, env->bump_fee);
    kw_xdr_put_u32(w, 2); /* ENVELOPE_TYPE_TX */
    kw_xdr_put_tx(w, &env->tx);
    put_sigs(w, env->sigs, env->nsigs);
    return kw_xdr_put_u32(w, 0);
}

int kw_xdr_put_envelope(kw_xdr_writer *w, const kw_envelope *env)
{
    if (env->fee_bump) {
        kw_xdr_put_u32(w, 5); /* ENVELOPE_TYPE_TX_FEE_BUMP */
        put_fee_bump(w, env);
        return put_sigs(w, env->bump_sigs, env->nbump_sigs);
    }
    kw_xdr_put_u32(w, 2); /* ENVELOPE_TYPE_TX */
    kw_xdr_put_tx(w, &env->tx);
    return put_sigs(w, env->sigs, env->nsigs);
}

int kw_xdr_get_envelope(kw_xdr_reader *r, kw_envelope *env)
{
    uint32_t type;
    int rc;
    memset(env, 0, sizeof *env);
    if (kw_xdr_get_u32(r, &type))
        return KW_EINVAL;
    if (type == 5) {
        env->fee_bump = true;
        if ((rc = get_muxed(r, &env->fee_source)) || kw_xdr_get_i64(r, &env->bump_fee) ||
            kw_xdr_get_u32(r, &type))
            return rc ? rc : KW_EINVAL;
        if (type != 2)
            return bad(r, "fee bump of an unsupported envelope type");
        if ((rc = get_tx(r, &env->tx)) || (rc = get_sigs(r, env->sigs, &env->nsigs)) ||
            (rc = get_extension_point(r)))
            return rc;
        return get_sigs(r, env->bump_sigs, &env->nbump_sigs);
    }
    if (type != 2)
        return bad(r, "envelope type not supported");
    if ((rc = get_tx(r, &env->tx)))
        return rc;
    return get_sigs(r, env->sigs, &env->nsigs);
}

int kw_xdr_put_signature_payload(kw_xdr_writer *w, const uint8_t network_id[32], const kw_tx *tx)
{
    kw_xdr_put_fixed(w, network_id, 32);
    kw_xdr_put_u32(w, 2); /* ENVELOPE_TYPE_TX */
    return kw_xdr_put_tx(w, tx);
}

int kw_xdr_tx_hash(const uint8_t network_id[32], const kw_tx *tx, uint8_t out[32])
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    int rc = kw_xdr_put_signature_payload(&w, network_id, tx);
    if (rc == 0)
        kw_sha256(w.p, w.n, out);
    kw_xdr_writer_free(&w);
    return rc;
}

int kw_xdr_fee_bump_hash(const uint8_t network_id[32], const kw_envelope *env, uint8_t out[32])
{
    kw_xdr_writer w;
    kw_xdr_writer_init(&w, 0);
    kw_xdr_put_fixed(&w, network_id, 32);
    kw_xdr_put_u32(&w, 5); /* ENVELOPE_TYPE_TX_FEE_BUMP */
    int rc = put_fee_bump(&w, env);
    if (rc == 0)
        kw_sha256(w.p, w.n, out);
    kw_xdr_writer_free(&w);
    return rc;
}

/* ---- results ------------------------------------------------------------------- */

static int get_op_results(kw_xdr_reader *r, kw_tx_result *res)
{
    if (get_count(r, KW_XDR_MAX_OPS, 4, &res->nops))
        return KW_EINVAL;
    kw_op_result *ops = alloc_array(r, res->nops, sizeof *ops);
    if (!ops)
        return KW_ENOMEM;
    for (uint32_t i = 0; i < res->nops; i++) {
        kw_op_result *o = &ops[i];
        if (kw_xdr_get_i32(r, &o->code))
            return KW_EINVAL;
        if (o->code < -6 || o->code > 0)
            return bad(r, "unknown operation result code");
        if (o->code != 0)
            continue;
        if (kw_xdr_get_u32(r, &o->op_type) || kw_xdr_get_i32(r, &o->ihf_code))
            return KW_EINVAL;
        if (o->op_type != KW_OP_INVOKE_HOST_FUNCTION)
            return bad(r, "operation result type not supported");
        if (o->ihf_code == 0) {
            if (kw_xdr_get_fixed(r, o->ihf_hash, 32))
                return KW_EINVAL;
        } else if (o->ihf_code < -5 || o->ihf_code > 0) {
            return bad(r, "unknown invoke host function result code");
        }
    }
    res->ops = ops;
    return 0;
}

static bool tx_code_known(int32_t c)
{
    return c >= -18 && c <= 1;
}

int kw_xdr_get_tx_result(kw_xdr_reader *r, kw_tx_result *res)
{
    int32_t code;
    memset(res, 0, sizeof *res);
    if (kw_xdr_get_i64(r, &res->fee_charged) || kw_xdr_get_i32(r, &code))
        return KW_EINVAL;
    if (!tx_code_known(code))
        return bad(r, "unknown transaction result code");
    res->code = code;
    if (code == KW_TX_FEE_BUMP_INNER_SUCCESS || code == KW_TX_FEE_BUMP_INNER_FAILED) {
        int64_t inner_fee;
        res->fee_bump = true;
        if (kw_xdr_get_fixed(r, res->inner_hash, 32) || kw_xdr_get_i64(r, &inner_fee) ||
            kw_xdr_get_i32(r, &code))
            return KW_EINVAL;
        if (!tx_code_known(code) || code == KW_TX_FEE_BUMP_INNER_SUCCESS ||
            code == KW_TX_FEE_BUMP_INNER_FAILED)
            return bad(r, "invalid inner result code");
        res->code = code;
        if ((code == KW_TX_SUCCESS || code == KW_TX_FAILED) && get_op_results(r, res))
            return KW_EINVAL;
        if (get_extension_point(r))
            return KW_EINVAL;
    } else if (code == KW_TX_SUCCESS || code == KW_TX_FAILED) {
        int rc = get_op_results(r, res);
        if (rc)
            return rc;
    }
    return get_extension_point(r);
}

int kw_xdr_put_tx_result(kw_xdr_writer *w, const kw_tx_result *res)
{
    kw_xdr_put_i64(w, res->fee_charged);
    kw_xdr_put_i32(w, res->code);
    if (res->code == KW_TX_SUCCESS || res->code == KW_TX_FAILED) {
        kw_xdr_put_u32(w, res->nops);
        for (uint32_t i = 0; i < res->nops; i++) {
            const kw_op_result *o = &res->ops[i];
            kw_xdr_put_i32(w, o->code);
            if (o->code != 0)
                continue;
            kw_xdr_put_u32(w, o->op_type);
            kw_xdr_put_i32(w, o->ihf_code);
            if (o->ihf_code == 0)
                kw_xdr_put_fixed(w, o->ihf_hash, 32);
        }
    }
    return kw_xdr_put_u32(w, 0);
}

const char *kw_tx_result_name(int32_t code)
{
    static const char *const names[] = {
        "txFeeBumpInnerSuccess", "txSuccess", "txFailed", "txTooEarly", "txTooLate",
        "txMissingOperation", "txBadSeq", "txBadAuth", "txInsufficientBalance", "txNoAccount",
        "txInsufficientFee", "txBadAuthExtra", "txInternalError", "txNotSupported",
        "txFeeBumpInnerFailed", "txBadSponsorship", "txBadMinSeqAgeOrGap", "txMalformed",
        "txSorobanInvalid", "txFrozenKeyAccessed",
    };
    return tx_code_known(code) ? names[1 - code] : "tx?";
}

/* ---- events ---------------------------------------------------------------------- */

int kw_xdr_get_contract_event(kw_xdr_reader *r, kw_contract_event *ev)
{
    int32_t body;
    int rc;
    memset(ev, 0, sizeof *ev);
    if ((rc = get_extension_point(r)) || (rc = get_optional(r, &ev->has_contract)))
        return rc;
    if (ev->has_contract && kw_xdr_get_fixed(r, ev->contract, 32))
        return KW_EINVAL;
    if (kw_xdr_get_u32(r, &ev->type) || kw_xdr_get_i32(r, &body))
        return KW_EINVAL;
    if (ev->type > 2)
        return bad(r, "unknown event type");
    if (body != 0)
        return bad(r, "unknown event body version");
    if (get_count(r, UINT32_MAX, MIN_SCVAL, &ev->ntopics))
        return KW_EINVAL;
    kw_scval *topics = alloc_array(r, ev->ntopics, sizeof *topics);
    if (!topics)
        return KW_ENOMEM;
    for (uint32_t i = 0; i < ev->ntopics; i++)
        if ((rc = kw_xdr_get_scval(r, &topics[i])))
            return rc;
    ev->topics = topics;
    return kw_xdr_get_scval(r, &ev->data);
}

int kw_xdr_put_contract_event(kw_xdr_writer *w, const kw_contract_event *ev)
{
    kw_xdr_put_u32(w, 0);
    kw_xdr_put_bool(w, ev->has_contract);
    if (ev->has_contract)
        kw_xdr_put_fixed(w, ev->contract, 32);
    kw_xdr_put_u32(w, ev->type);
    kw_xdr_put_u32(w, 0);
    kw_xdr_put_u32(w, ev->ntopics);
    for (uint32_t i = 0; i < ev->ntopics; i++)
        kw_xdr_put_scval(w, &ev->topics[i]);
    return kw_xdr_put_scval(w, &ev->data);
}

int kw_xdr_get_diagnostic_event(kw_xdr_reader *r, bool *in_successful_call, kw_contract_event *ev)
{
    if (kw_xdr_get_bool(r, in_successful_call))
        return KW_EINVAL;
    return kw_xdr_get_contract_event(r, ev);
}

int kw_xdr_put_diagnostic_event(kw_xdr_writer *w, bool in_successful_call, const kw_contract_event *ev)
{
    kw_xdr_put_bool(w, in_successful_call);
    return kw_xdr_put_contract_event(w, ev);
}

int64_t kw_contract_event_error(const kw_contract_event *ev)
{
    if (ev->ntopics < 2 || !kw_scval_is_symbol(&ev->topics[0], "error"))
        return -1;
    const kw_scval *e = &ev->topics[1];
    if (e->type != KW_SCV_ERROR || e->v.error.type != KW_SCE_CONTRACT)
        return -1;
    return e->v.error.code;
}

/* ---- transaction meta -------------------------------------------------------------- */

static int skip_ledger_entry(kw_xdr_reader *r)
{
    uint32_t last_modified;
    int32_t ext;
    kw_xdr_ledger_entry e;
    int rc;
    if (kw_xdr_get_u32(r, &last_modified))
        return KW_EINVAL;
    if ((rc = kw_xdr_get_ledger_entry_data(r, &e)) || kw_xdr_get_i32(r, &ext))
        return rc ? rc : KW_EINVAL;
    if (ext == 0)
        return 0;
    if (ext != 1)
        return bad(r, "unknown ledger entry extension");
    bool sponsored;
    uint8_t sponsor[32];
    if (get_optional(r, &sponsored) || (sponsored && get_account_id(r, sponsor)))
        return KW_EINVAL;
    return get_extension_point(r);
}

static int skip_changes(kw_xdr_reader *r)
{
    uint32_t n, type;
    int rc;
    if (get_count(r, UINT32_MAX, 8, &n))
        return KW_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        if (kw_xdr_get_u32(r, &type))
            return KW_EINVAL;
        if (type == 2) {
            kw_ledger_key k;
            rc = kw_xdr_get_ledger_key(r, &k);
        } else if (type <= 4) {
            rc = skip_ledger_entry(r);
        } else {
            rc = bad(r, "unknown ledger entry change type");
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int skip_events(kw_xdr_reader *r, bool diagnostic, bool staged)
{
    uint32_t n, stage;
    int rc;
    if (get_count(r, UINT32_MAX, 20, &n))
        return KW_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        kw_contract_event ev;
        bool flag;
        if (staged && kw_xdr_get_u32(r, &stage))
            return KW_EINVAL;
        rc = diagnostic ? kw_xdr_get_diagnostic_event(r, &flag, &ev) : kw_xdr_get_contract_event(r, &ev);
        if (rc)
            return rc;
    }
    return 0;
}

static int get_soroban_meta_ext(kw_xdr_reader *r)
{
    int32_t v;
    if (kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    if (v == 0)
        return 0;
    if (v != 1)
        return bad(r, "unknown soroban meta extension");
    int64_t fees[3];
    if (get_extension_point(r))
        return KW_EINVAL;
    for (int i = 0; i < 3; i++)
        if (kw_xdr_get_i64(r, &fees[i]))
            return KW_EINVAL;
    return 0;
}

int kw_xdr_get_meta_return(kw_xdr_reader *r, bool *has_value, kw_scval *value)
{
    int32_t v;
    uint32_t nops;
    bool present;
    int rc;
    *has_value = false;
    memset(value, 0, sizeof *value);
    if (kw_xdr_get_i32(r, &v))
        return KW_EINVAL;
    if (v != 3 && v != 4)
        return bad(r, "transaction meta version not supported");
    if ((rc = get_extension_point(r)) || (rc = skip_changes(r)))
        return rc;
    if (get_count(r, UINT32_MAX, 4, &nops))
        return KW_EINVAL;
    for (uint32_t i = 0; i < nops; i++) {
        if (v == 4 && (rc = get_extension_point(r)))
            return rc;
        if ((rc = skip_changes(r)))
            return rc;
        if (v == 4 && (rc = skip_events(r, false, false)))
            return rc;
    }
    if ((rc = skip_changes(r)) || (rc = get_optional(r, &present)))
        return rc;
    if (present) {
        if ((rc = get_soroban_meta_ext(r)))
            return rc;
        if (v == 3) {
            if ((rc = skip_events(r, false, false)) || (rc = kw_xdr_get_scval(r, value)) ||
                (rc = skip_events(r, true, false)))
                return rc;
            *has_value = true;
        } else {
            bool has;
            if ((rc = get_optional(r, &has)) || (has && (rc = kw_xdr_get_scval(r, value))))
                return rc;
            *has_value = has;
        }
    }
    if (v == 4 && ((rc = skip_events(r, false, true)) || (rc = skip_events(r, true, false))))
        return rc;
    return 0;
}

/* ---- base64 ---------------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int kw_base64_encode(const void *src, size_t n, char **out)
{
    const uint8_t *p = src;
    if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
        return KW_ERANGE;
    char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;
    if (!s)
        return KW_ENOMEM;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = 0;
    *out = s;
    return 0;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int kw_base64_decode(const char *s, size_t len, uint8_t **out, size_t *n)
{
    if (len % 4)
        return KW_EINVAL;
    size_t pad = 0;
    if (len && s[len - 1] == '=')
        pad = len >= 2 && s[len - 2] == '=' ? 2 : 1;
    uint8_t *p = malloc(len / 4 * 3 + 1);
    if (!p)
        return KW_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int v[4];
        for (int j = 0; j < 4; j++) {
            bool padded = last && j >= 4 - (int)pad;
            v[j] = padded ? 0 : b64val(s[i + j]);
            if (v[j] < 0)
                goto fail;
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        /* Bits that padding discards must be zero: one encoding per input. */
        if (last && ((pad == 1 && (x & 0xff)) || (pad == 2 && (x & 0xffff))))
            goto fail;
        p[o++] = (uint8_t)(x >> 16);
        if (!last || pad < 2)
            p[o++] = (uint8_t)(x >> 8);
        if (!last || pad < 1)
            p[o++] = (uint8_t)x;
    }
    *out = p;
    *n = o;
    return 0;
fail:
    free(p);
    return KW_EINVAL;
}

int kw_xdr_writer_base64(const kw_xdr_writer *w, char **out)
{
    return w->err ? w->err : kw_base64_encode(w->p, w->n, out);
}
