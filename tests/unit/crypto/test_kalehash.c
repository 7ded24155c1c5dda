#include <criterion/criterion.h>
#include <string.h>

#include "crypto/kalehash.h"
#include "crypto/keccak.h"
#include "crypto/sha.h"
#include "crypto/strkey.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_fill(uint64_t *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_next(s);
}

static uint64_t key_of(const uint8_t h[32])
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | h[i];
    return k;
}

/* SPEC §2: two mainnet works. */
static const struct {
    uint32_t index;
    const char *entropy, *farmer;
    uint64_t nonce;
    const char *hash;
    unsigned zeros;
} vectors[] = {
    {37, "0000000009faeb2ff8dc93fb334dabc1398e359a163a6bb538f633fdb9b327ca",
     "GBQHTQ7NTSKHVTSVM6EHUO3TU4P4BK2TAAII25V2TT2Q6OWXUJWEKALE", 20495217910ULL,
     "0000000099be0037e5a48324959cb9dd10965ae59511cfd1996f9b917aad9980", 8},
    {1434, "000000000a486cf0af69e7f2260764d32d6fc7dce25918c5b8dcc1cf20543833",
     "GBPZWD5ENV7SWWHAOFZ6YYCAY2VGKZLNDUJDWQJLA3OQPJ7W56KM7ADG", 187959518ULL,
     "0000000ad6dbafac2c13a41ed5bc666c6fd4b1b9ef1d7caa5701d7993205fee5", 7},
};

static void vector_job(size_t i, kw_kalehash_job *j, uint8_t want[32])
{
    uint8_t entropy[32], farmer[32];
    cr_assert_eq(kw_hex_decode(vectors[i].entropy, entropy, 32), 0);
    cr_assert_eq(kw_strkey_decode(KW_STRKEY_ACCOUNT, vectors[i].farmer, farmer, NULL), 0);
    cr_assert_eq(kw_hex_decode(vectors[i].hash, want, 32), 0);
    kw_kalehash_job_init(j, vectors[i].index, entropy, farmer);
}

Test(kalehash, spec_vectors)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        kw_kalehash_job j;
        uint8_t want[32], got[32];
        vector_job(i, &j, want);
        kw_kalehash(j.index, vectors[i].nonce, j.entropy, j.farmer, got);
        cr_assert(memcmp(got, want, 32) == 0, "vector %zu", i);
        cr_assert_eq(kw_kalehash_zeros(got), vectors[i].zeros);
    }
}

Test(kalehash, preimage_layout)
{
    uint8_t e[32], f[32], p[KW_KALEHASH_PREIMAGE_LEN];
    memset(e, 0xee, 32);
    memset(f, 0xff, 32);
    kw_kalehash_preimage(0x01020304, 0x05060708090a0b0cULL, e, f, p);
    static const uint8_t head[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    cr_assert(memcmp(p, head, 12) == 0);
    cr_assert(memcmp(p + 12, e, 32) == 0 && memcmp(p + 44, f, 32) == 0);
}

Test(kalehash, zero_nibbles)
{
    uint8_t h[32] = {0};
    cr_assert_eq(kw_kalehash_zeros(h), 64);
    h[0] = 0x10;
    cr_assert_eq(kw_kalehash_zeros(h), 0);
    h[0] = 0x0f;
    cr_assert_eq(kw_kalehash_zeros(h), 1);
    h[0] = 0;
    h[3] = 0x01;
    cr_assert_eq(kw_kalehash_zeros(h), 7);
    h[3] = 0xa0;
    cr_assert_eq(kw_kalehash_zeros(h), 6);
    memset(h, 0, 32);
    h[31] = 0x01;
    cr_assert_eq(kw_kalehash_zeros(h), 63);
}

Test(kalehash, every_path_hashes_the_spec_vectors)
{
    for (int id = 0; id < KW_KALEHASH_NPATHS; id++) {
        const kw_kalehash_path *p = kw_kalehash_path_get((kw_kalehash_path_id)id);
        if (!p)
            continue;
        for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
            kw_kalehash_job j;
            uint8_t want[32], out[8][32];
            uint64_t nonces[8];
            vector_job(i, &j, want);
            for (unsigned l = 0; l < 8; l++)
                nonces[l] = vectors[i].nonce + l * (l == p->lanes - 1 ? 0 : 1000);
            p->hash(&j, nonces, out);
            cr_assert(memcmp(out[p->lanes - 1], want, 32) == 0, "%s vector %zu", p->name, i);
            kw_kalehash_best b = {0};
            p->search(&j, vectors[i].nonce - 3, 7, &b);
            cr_assert(b.found && b.nonce == vectors[i].nonce && b.key == key_of(want), "%s", p->name);
        }
    }
}

/* Every path against the scalar sponge on 1,000,000 random preimages: one
 * random job per 8 preimages, a random nonce in each. */
Test(kalehash, paths_agree_with_reference_on_a_million_preimages, .timeout = 120)
{
    uint64_t seed = 20240601;
    const kw_kalehash_path *paths[KW_KALEHASH_NPATHS];
    for (int id = 0; id < KW_KALEHASH_NPATHS; id++)
        paths[id] = kw_kalehash_path_get((kw_kalehash_path_id)id);
    cr_assert(paths[KW_KALEHASH_SCALAR]);
    for (int batch = 0; batch < 1000000 / 8; batch++) {
        uint8_t entropy[32], farmer[32], want[8][32];
        uint64_t nonces[8];
        rng_fill(&seed, entropy, 32);
        rng_fill(&seed, farmer, 32);
        uint32_t index = (uint32_t)rng_next(&seed);
        kw_kalehash_job j;
        kw_kalehash_job_init(&j, index, entropy, farmer);
        for (int l = 0; l < 8; l++) {
            nonces[l] = rng_next(&seed);
            kw_kalehash(index, nonces[l], entropy, farmer, want[l]);
        }
        for (int id = 0; id < KW_KALEHASH_NPATHS; id++) {
            const kw_kalehash_path *p = paths[id];
            if (!p)
                continue;
            uint8_t out[8][32];
            for (unsigned l = 0; l < 8; l += p->lanes)
                p->hash(&j, nonces + l, out + l);
            if (memcmp(out, want, sizeof want) != 0)
                cr_assert_fail("%s disagrees with the reference in batch %d", p->name, batch);
        }
    }
}

static kw_kalehash_best brute_force(const kw_kalehash_job *j, uint64_t first, uint64_t count)
{
    kw_kalehash_best b = {0};
    for (uint64_t n = first; n < first + count; n++) {
        uint8_t h[32];
        kw_kalehash(j->index, n, j->entropy, j->farmer, h);
        kw_kalehash_best_offer(&b, key_of(h), n);
    }
    return b;
}

Test(kalehash, search_finds_the_brute_force_best_on_every_path)
{
    uint64_t seed = 99;
    uint8_t entropy[32], farmer[32];
    rng_fill(&seed, entropy, 32);
    rng_fill(&seed, farmer, 32);
    kw_kalehash_job j;
    kw_kalehash_job_init(&j, 123456, entropy, farmer);
    /* Ranges that start unaligned, end in a partial vector, and cross the
     * 2^32 boundary where the nonce spills from lane 1 into lane 0. */
    const uint64_t firsts[] = {0, 5, (1ULL << 32) - 13, 0xffffffffffffe000ULL};
    const uint64_t counts[] = {1, 3, 7, 9, 17, 4099};
    for (int id = 0; id < KW_KALEHASH_NPATHS; id++) {
        const kw_kalehash_path *p = kw_kalehash_path_get((kw_kalehash_path_id)id);
        if (!p)
            continue;
        for (size_t f = 0; f < sizeof firsts / sizeof firsts[0]; f++) {
            for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
                kw_kalehash_best want = brute_force(&j, firsts[f], counts[c]), got = {0};
                p->search(&j, firsts[f], counts[c], &got);
                cr_assert(got.found && got.key == want.key && got.nonce == want.nonce,
                          "%s first %llu count %llu", p->name, (unsigned long long)firsts[f],
                          (unsigned long long)counts[c]);
            }
        }
    }
}

Test(kalehash, best_prefers_smaller_digest_then_smaller_nonce)
{
    kw_kalehash_best b = {0};
    cr_assert(kw_kalehash_best_offer(&b, UINT64_MAX, 9));
    cr_assert(kw_kalehash_best_offer(&b, 5, 9));
    cr_assert_not(kw_kalehash_best_offer(&b, 6, 1));
    cr_assert_not(kw_kalehash_best_offer(&b, 5, 10));
    cr_assert(kw_kalehash_best_offer(&b, 5, 3));
    cr_assert(b.key == 5 && b.nonce == 3);
}

Test(kalehash, choose_by_name)
{
    const kw_kalehash_path *p = NULL;
    kw_err e = {0};
    cr_assert_eq(kw_kalehash_path_choose("scalar", &p, &e), 0);
    cr_assert_str_eq(p->name, "scalar");
    cr_assert_eq(kw_kalehash_path_choose(NULL, &p, &e), 0);
    for (int id = KW_KALEHASH_NPATHS - 1; id >= 0; id--) {
        const kw_kalehash_path *best = kw_kalehash_path_get((kw_kalehash_path_id)id);
        if (best) {
            cr_assert_eq(p, best, "auto picks the widest available path");
            break;
        }
    }
    cr_assert_eq(kw_kalehash_path_choose("sse9", &p, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "KALEWX_KECCAK"));
    for (int id = 1; id < KW_KALEHASH_NPATHS; id++) {
        const char *name = id == KW_KALEHASH_AVX2 ? "avx2" : "avx512";
        int rc = kw_kalehash_path_choose(name, &p, &e);
        cr_assert_eq(rc, kw_kalehash_path_get((kw_kalehash_path_id)id) ? 0 : KW_ESTATE);
    }
}
