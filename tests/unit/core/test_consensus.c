#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/consensus.h"
#include "crypto/sha.h"

static void seeds(kw_dao_record r[KW_DAO_COUNT], uint64_t first)
{
    for (int i = 0; i < KW_DAO_COUNT; i++)
        kw_dao_record_seed((kw_dao_id)i, first, &r[i]);
}

/* A record worth exactly its base weight: perfect accuracy, full volume, voted last cycle. */
static kw_dao_record perfect(uint64_t cycle)
{
    return (kw_dao_record){.correct = 500, .total = 500, .votes = 1000, .last_cycle = (int64_t)cycle - 1,
                           .last_vote_cycle = (int64_t)cycle - 1};
}

static kw_dao_vote vote(kw_dao_id id, kw_outcome o, uint32_t ppm)
{
    kw_dao_vote v = {.dao = id, .prediction = o, .confidence_ppm = ppm};
    strcpy(v.reasoning, "test");
    return v;
}

static const uint8_t zero_entropy[32];

Test(consensus, seed_record_and_weight)
{
    kw_dao_record r;
    kw_dao_record_seed(KW_DAO_CRYPTO_MOMENTUM, 100, &r);
    cr_assert_float_eq(r.correct, 134, 1e-12);
    cr_assert_float_eq(r.total, 200, 1e-12);
    cr_assert_eq(r.votes, 200);
    kw_dao_weight w;
    kw_dao_weight_of(KW_DAO_CRYPTO_MOMENTUM, &r, 100, &w);
    cr_assert_float_eq(w.accuracy, 0.67, 1e-12);
    cr_assert_float_eq(w.volume, sqrt(0.2), 1e-12);
    cr_assert_float_eq(w.recency, 1.0, 1e-12);
    cr_assert_float_eq(w.weight, 1.0 * 0.67 * 0.67 * sqrt(0.2), 1e-12);

    kw_dao_record_seed(KW_DAO_REGIONAL_TOKEN, 100, &r);
    kw_dao_weight_of(KW_DAO_REGIONAL_TOKEN, &r, 100, &w);
    cr_assert_float_eq(w.weight, 0.4 * 0.59 * 0.59 * sqrt(0.1), 1e-12);
}

Test(consensus, volume_is_clamped)
{
    kw_dao_record r = perfect(10);
    kw_dao_weight w;
    r.votes = 5;
    kw_dao_weight_of(KW_DAO_VOLUME_PRICE, &r, 10, &w);
    cr_assert_float_eq(w.volume, 0.1, 1e-12);
    r.votes = 250;
    kw_dao_weight_of(KW_DAO_VOLUME_PRICE, &r, 10, &w);
    cr_assert_float_eq(w.volume, 0.5, 1e-12);
    r.votes = 5000;
    kw_dao_weight_of(KW_DAO_VOLUME_PRICE, &r, 10, &w);
    cr_assert_float_eq(w.volume, 1.0, 1e-12);
}

Test(consensus, decay_per_cycle)
{
    kw_dao_record r;
    kw_dao_record_seed(KW_DAO_CRYPTO_MOMENTUM, 0, &r);
    cr_assert_eq(kw_dao_record_update(&r, 0, true, true), 0);
    cr_assert_float_eq(r.correct, 134 * 0.98 + 1, 1e-9);
    cr_assert_float_eq(r.total, 200 * 0.98 + 1, 1e-9);
    cr_assert_eq(r.votes, 201);
    cr_assert_eq(kw_dao_record_update(&r, 1, true, false), 0);
    cr_assert_float_eq(r.correct, (134 * 0.98 + 1) * 0.98, 1e-9);
    cr_assert_float_eq(r.total, (200 * 0.98 + 1) * 0.98 + 1, 1e-9);
    /* A cycle without a vote decays both counts and keeps the hit rate. */
    double rate = r.correct / r.total;
    cr_assert_eq(kw_dao_record_update(&r, 2, false, false), 0);
    cr_assert_float_eq(r.correct / r.total, rate, 1e-12);
    cr_assert_float_eq(r.total, ((200 * 0.98 + 1) * 0.98 + 1) * 0.98, 1e-9);
    cr_assert_eq(r.votes, 202);
    /* Cycles settled at once decay by λ^n. */
    double before = r.total;
    cr_assert_eq(kw_dao_record_update(&r, 5, false, false), 0);
    cr_assert_float_eq(r.total, before * pow(0.98, 3), 1e-9);
    /* A repeated settlement changes nothing. */
    kw_dao_record copy = r;
    cr_assert_eq(kw_dao_record_update(&r, 5, true, true), KW_ESTATE);
    cr_assert_eq(kw_dao_record_update(&r, 4, true, true), KW_ESTATE);
    cr_assert_eq(memcmp(&copy, &r, sizeof r), 0);
    cr_assert_eq(kw_dao_record_update(&r, UINT64_MAX, true, true), KW_EINVAL);
}

Test(consensus, weight_follows_accuracy)
{
    kw_dao_record right, wrong;
    kw_dao_record_seed(KW_DAO_XLM_DOMINANCE, 0, &right);
    kw_dao_record_seed(KW_DAO_XLM_DOMINANCE, 0, &wrong);
    double last_right = 0, last_wrong = 1e9;
    for (uint64_t k = 0; k < 200; k++) {
        kw_dao_weight wr, ww;
        kw_dao_weight_of(KW_DAO_XLM_DOMINANCE, &right, k, &wr);
        kw_dao_weight_of(KW_DAO_XLM_DOMINANCE, &wrong, k, &ww);
        cr_assert(wr.weight > last_right, "cycle %llu", (unsigned long long)k);
        cr_assert(ww.weight < last_wrong, "cycle %llu", (unsigned long long)k);
        last_right = wr.weight;
        last_wrong = ww.weight;
        cr_assert_eq(kw_dao_record_update(&right, k, true, true), 0);
        cr_assert_eq(kw_dao_record_update(&wrong, k, true, false), 0);
    }
    /* After 200 cycles the seed weighs 200·0.98^200 ≈ 3.5 votes of ~53. */
    cr_assert(right.correct / right.total > 0.97);
    cr_assert(wrong.correct / wrong.total < 0.05);
    kw_dao_weight wr, ww;
    kw_dao_weight_of(KW_DAO_XLM_DOMINANCE, &right, 200, &wr);
    kw_dao_weight_of(KW_DAO_XLM_DOMINANCE, &wrong, 200, &ww);
    cr_assert(wr.weight > 300 * ww.weight);
}

Test(consensus, silent_dao_loses_weight)
{
    kw_dao_record r;
    kw_dao_record_seed(KW_DAO_KALE_PERFORMANCE, 0, &r);
    for (uint64_t k = 0; k < 10; k++)
        cr_assert_eq(kw_dao_record_update(&r, k, true, true), 0);
    kw_dao_weight w;
    kw_dao_weight_of(KW_DAO_KALE_PERFORMANCE, &r, 10, &w);
    cr_assert_float_eq(w.recency, 1.0, 1e-12);   /* voted in the cycle before */
    double full = w.weight, prev = full;
    for (uint64_t k = 10; k < 60; k++) {
        cr_assert_eq(kw_dao_record_update(&r, k, false, false), 0);
        kw_dao_weight_of(KW_DAO_KALE_PERFORMANCE, &r, k + 1, &w);
        cr_assert(w.weight < prev);
        cr_assert_float_eq(w.recency, exp(-(double)(k + 1 - 10) / 24.0), 1e-12);
        prev = w.weight;
    }
    kw_dao_weight_of(KW_DAO_KALE_PERFORMANCE, &r, 34, &w);
    cr_assert_float_eq(w.recency, exp(-1.0), 1e-12);   /* 24 cycles missed */
    /* Voting again restores it at once. */
    cr_assert_eq(kw_dao_record_update(&r, 60, true, true), 0);
    kw_dao_weight_of(KW_DAO_KALE_PERFORMANCE, &r, 61, &w);
    cr_assert_float_eq(w.recency, 1.0, 1e-12);
}

Test(consensus, score_and_report)
{
    kw_dao_record r[KW_DAO_COUNT];
    seeds(r, 0);
    kw_dao_vote v[3] = {
        vote(KW_DAO_CRYPTO_MOMENTUM, KW_OUTCOME_GOOD, 900000),
        vote(KW_DAO_MEAN_REVERSION, KW_OUTCOME_BAD, 600000),
        vote(KW_DAO_STABLECOIN_PEG, KW_OUTCOME_GOOD, 300000),
    };
    kw_consensus c;
    kw_err e;
    cr_assert_eq(kw_consensus_decide(0, zero_entropy, r, v, 3, &c, &e), 0, "%s", e.msg);
    double w0 = 0.67 * 0.67 * sqrt(0.2), w1 = 0.8 * 0.63 * 0.63 * sqrt(0.2),
           w2 = 0.8 * (116.0 / 170) * (116.0 / 170) * sqrt(0.17);
    double good = 0.9 * w0 + 0.3 * w2, bad = 0.6 * w1, total = good + bad;
    cr_assert_float_eq(c.score, (good - bad) / total, 1e-12);
    cr_assert_eq(c.score_milli, lround(1000 * (good - bad) / total));
    cr_assert_eq(c.outcome, KW_OUTCOME_GOOD);
    cr_assert_not(c.tie);
    cr_assert_eq(c.voters, 3);
    cr_assert_eq(c.good_votes, 2);
    cr_assert_eq(c.bad_votes, 1);
    double p = good / total;
    cr_assert_float_eq(c.consensus_score, kw_round3(fabs(good - bad) / total), 1e-12);
    cr_assert_float_eq(c.agreement, kw_round3(p), 1e-12);
    cr_assert_float_eq(c.confidence, kw_round3(total / (w0 + w1 + w2)), 1e-12);
    cr_assert_float_eq(c.entropy_bits, kw_round3(-p * log2(p) - (1 - p) * log2(1 - p)), 1e-12);
    cr_assert(c.voted[KW_DAO_MEAN_REVERSION] && !c.voted[KW_DAO_VOLUME_PRICE]);
}

Test(consensus, unanimous_and_empty)
{
    kw_dao_record r[KW_DAO_COUNT];
    seeds(r, 0);
    kw_dao_vote v[KW_DAO_COUNT];
    for (int i = 0; i < KW_DAO_COUNT; i++)
        v[i] = vote((kw_dao_id)i, KW_OUTCOME_BAD, 500000);
    kw_consensus c;
    cr_assert_eq(kw_consensus_decide(3, zero_entropy, r, v, KW_DAO_COUNT, &c, NULL), 0);
    cr_assert_eq(c.score_milli, -1000);
    cr_assert_eq(c.outcome, KW_OUTCOME_BAD);
    cr_assert_float_eq(c.agreement, 1.0, 1e-12);
    cr_assert_float_eq(c.consensus_score, 1.0, 1e-12);
    cr_assert_float_eq(c.entropy_bits, 0.0, 1e-12);
    cr_assert_float_eq(c.confidence, 0.5, 1e-12);

    for (int i = 0; i < KW_DAO_COUNT; i++)
        v[i].abstain = true;
    cr_assert_eq(kw_consensus_decide(3, zero_entropy, r, v, KW_DAO_COUNT, &c, NULL), 0);
    cr_assert_eq(c.voters, 0);
    cr_assert_eq(c.score_milli, 0);
    cr_assert(c.tie);
    cr_assert_float_eq(c.entropy_bits, 1.0, 1e-12);
    cr_assert_eq(c.outcome, kw_consensus_tie_bit(zero_entropy, 3) ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD);
}

Test(consensus, rejects_bad_input)
{
    kw_dao_record r[KW_DAO_COUNT];
    seeds(r, 0);
    kw_consensus c;
    kw_err e;
    kw_dao_vote twice[2] = {vote(KW_DAO_AQUA_NETWORK, KW_OUTCOME_GOOD, 500000),
                            vote(KW_DAO_AQUA_NETWORK, KW_OUTCOME_BAD, 500000)};
    cr_assert_eq(kw_consensus_decide(9, zero_entropy, r, twice, 2, &c, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "aqua-network") && strstr(e.msg, "twice"), "%s", e.msg);
    kw_dao_vote low = vote(KW_DAO_AQUA_NETWORK, KW_OUTCOME_GOOD, 99999);
    cr_assert_eq(kw_consensus_decide(9, zero_entropy, r, &low, 1, &c, &e), KW_EINVAL);
    kw_dao_vote high = vote(KW_DAO_AQUA_NETWORK, KW_OUTCOME_GOOD, 1000001);
    cr_assert_eq(kw_consensus_decide(9, zero_entropy, r, &high, 1, &c, &e), KW_EINVAL);
    kw_dao_vote nobody = vote(KW_DAO_COUNT, KW_OUTCOME_GOOD, 500000);
    cr_assert_eq(kw_consensus_decide(9, zero_entropy, r, &nobody, 1, &c, &e), KW_EINVAL);
    r[3].total = 0;
    cr_assert_eq(kw_consensus_decide(9, zero_entropy, r, NULL, 0, &c, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "kale-performance"), "%s", e.msg);
}

/* Two DAOs of weight exactly 1 with confidences g (GOOD) and b (BAD):
 * S = (g − b) / (g + b). */
static kw_consensus duel(uint32_t g, uint32_t b, const uint8_t entropy[32], uint64_t cycle)
{
    kw_dao_record r[KW_DAO_COUNT];
    for (int i = 0; i < KW_DAO_COUNT; i++)
        r[i] = perfect(cycle);
    kw_dao_vote v[2] = {vote(KW_DAO_CRYPTO_MOMENTUM, KW_OUTCOME_GOOD, g),
                        vote(KW_DAO_XLM_DOMINANCE, KW_OUTCOME_BAD, b)};
    kw_consensus c;
    cr_assert_eq(kw_consensus_decide(cycle, entropy, r, v, 2, &c, NULL), 0);
    return c;
}

static int reference_tie_bit(const uint8_t entropy[32], uint64_t cycle)
{
    uint8_t buf[10 + 32 + 8], h[32];
    memcpy(buf, "kalewx/tie", 10);
    memcpy(buf + 10, entropy, 32);
    for (int i = 0; i < 8; i++)
        buf[42 + i] = (uint8_t)(cycle >> (56 - 8 * i));
    kw_sha256(buf, sizeof buf, h);
    return h[31] & 1;
}

Test(consensus, tie_band_edges)
{
    uint8_t ent[32] = {0};
    int bit = reference_tie_bit(ent, 77);
    kw_outcome tie_outcome = bit ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
    kw_consensus c = duel(420000, 380000, ent, 77);      /* S = 0.05 exactly */
    cr_assert_eq(c.score_milli, 50);
    cr_assert(c.tie);
    cr_assert_eq(c.outcome, tie_outcome);
    c = duel(380000, 420000, ent, 77);                   /* S = −0.05 */
    cr_assert_eq(c.score_milli, -50);
    cr_assert(c.tie);
    cr_assert_eq(c.outcome, tie_outcome);
    c = duel(420400, 379600, ent, 77);                   /* S = 0.051 */
    cr_assert_eq(c.score_milli, 51);
    cr_assert_not(c.tie);
    cr_assert_eq(c.outcome, KW_OUTCOME_GOOD);
    c = duel(379600, 420400, ent, 77);
    cr_assert_eq(c.score_milli, -51);
    cr_assert_eq(c.outcome, KW_OUTCOME_BAD);
    c = duel(420160, 379840, ent, 77);                   /* S = 0.0504 rounds to 0.050: a tie */
    cr_assert_eq(c.score_milli, 50);
    cr_assert(c.tie);
    c = duel(500000, 500000, ent, 77);
    cr_assert_eq(c.score_milli, 0);
    cr_assert(c.tie);
    cr_assert_float_eq(c.entropy_bits, 1.0, 1e-12);
}

Test(consensus, tie_break_follows_entropy)
{
    int seen[2] = {0, 0};
    for (int n = 0; n < 64; n++) {
        uint8_t ent[32];
        kw_sha256(&n, sizeof n, ent);
        for (uint64_t cycle = 0; cycle < 4; cycle++) {
            int bit = reference_tie_bit(ent, cycle);
            cr_assert_eq(kw_consensus_tie_bit(ent, cycle), bit);
            kw_consensus c = duel(500000, 500000, ent, cycle);
            cr_assert_eq(c.outcome, bit ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD);
            seen[bit]++;
        }
    }
    cr_assert(seen[0] > 80 && seen[1] > 80, "%d/%d", seen[0], seen[1]);
}

static void reference_commitment(uint64_t cycle, const char *dao, uint8_t pred, uint32_t ppm,
                                 const uint8_t salt[32], uint8_t out[32])
{
    uint8_t buf[8 + 1 + 64 + 1 + 4 + 32];
    size_t n = 0, len = strlen(dao);
    for (int i = 0; i < 8; i++)
        buf[n++] = (uint8_t)(cycle >> (56 - 8 * i));
    buf[n++] = (uint8_t)len;
    memcpy(buf + n, dao, len);
    n += len;
    buf[n++] = pred;
    for (int i = 0; i < 4; i++)
        buf[n++] = (uint8_t)(ppm >> (24 - 8 * i));
    memcpy(buf + n, salt, 32);
    n += 32;
    kw_sha256(buf, n, out);
}

Test(consensus, commitment_encoding)
{
    uint8_t salt[32], got[32], want[32];
    for (int i = 0; i < 32; i++)
        salt[i] = (uint8_t)(i * 7 + 1);
    kw_dao_vote v = vote(KW_DAO_FLIGHT_TO_SAFETY, KW_OUTCOME_GOOD, 654321);
    cr_assert_eq(kw_vote_commitment(0x0102030405060708ull, &v, salt, got), 0);
    reference_commitment(0x0102030405060708ull, "flight-to-safety", 1, 654321, salt, want);
    cr_assert_eq(memcmp(got, want, 32), 0);
    v.prediction = KW_OUTCOME_BAD;
    cr_assert_eq(kw_vote_commitment(5, &v, salt, got), 0);
    reference_commitment(5, "flight-to-safety", 0, 654321, salt, want);
    cr_assert_eq(memcmp(got, want, 32), 0);
    /* The reasoning text is not part of it. */
    strcpy(v.reasoning, "something else entirely");
    cr_assert_eq(kw_vote_verify(5, &v, salt, want), 0);
}

Test(consensus, commitment_rejects_any_change)
{
    uint8_t salt[32] = {9, 8, 7}, com[32];
    kw_dao_vote v = vote(KW_DAO_MULTI_TIMEFRAME, KW_OUTCOME_GOOD, 712000);
    cr_assert_eq(kw_vote_commitment(42, &v, salt, com), 0);
    cr_assert_eq(kw_vote_verify(42, &v, salt, com), 0);

    cr_assert_eq(kw_vote_verify(43, &v, salt, com), KW_ECRYPTO);
    kw_dao_vote w = v;
    w.dao = KW_DAO_VOLUME_PRICE;
    cr_assert_eq(kw_vote_verify(42, &w, salt, com), KW_ECRYPTO);
    w = v;
    w.prediction = KW_OUTCOME_BAD;
    cr_assert_eq(kw_vote_verify(42, &w, salt, com), KW_ECRYPTO);
    w = v;
    w.confidence_ppm += 1;
    cr_assert_eq(kw_vote_verify(42, &w, salt, com), KW_ECRYPTO);
    w.confidence_ppm -= 2;
    cr_assert_eq(kw_vote_verify(42, &w, salt, com), KW_ECRYPTO);
    for (int i = 0; i < 32; i++) {
        uint8_t s2[32], c2[32];
        memcpy(s2, salt, 32);
        memcpy(c2, com, 32);
        s2[i] ^= 0x01;
        c2[i] ^= 0x80;
        cr_assert_eq(kw_vote_verify(42, &v, s2, com), KW_ECRYPTO, "salt byte %d", i);
        cr_assert_eq(kw_vote_verify(42, &v, salt, c2), KW_ECRYPTO, "commitment byte %d", i);
    }
    w = v;
    w.abstain = true;
    cr_assert_eq(kw_vote_commitment(42, &w, salt, com), KW_EINVAL);
    w = v;
    w.confidence_ppm = 1000001;
    cr_assert_eq(kw_vote_commitment(42, &w, salt, com), KW_EINVAL);
}

Test(consensus, reveal_filter_discards_mismatches)
{
    kw_reveal rv[3];
    for (int i = 0; i < 3; i++) {
        rv[i].vote = vote((kw_dao_id)i, KW_OUTCOME_GOOD, 400000 + 1000 * (uint32_t)i);
        memset(rv[i].salt, i + 1, 32);
        cr_assert_eq(kw_vote_commitment(11, &rv[i].vote, rv[i].salt, rv[i].commitment), 0);
    }
    rv[1].vote.prediction = KW_OUTCOME_BAD;      /* revealed something else than committed */
    kw_dao_vote ok[3];
    bool rejected[3];
    cr_assert_eq(kw_reveal_filter(11, rv, 3, ok, rejected), 2);
    cr_assert(!rejected[0] && rejected[1] && !rejected[2]);
    cr_assert_eq(ok[0].dao, 0);
    cr_assert_eq(ok[1].dao, 2);
    cr_assert_eq(kw_reveal_filter(12, rv, 3, ok, rejected), 0);
}

static kw_consensus with_score(int32_t milli, kw_outcome o)
{
    kw_consensus c = {.score_milli = milli, .outcome = o};
    return c;
}

Test(consensus, final_weather_table)
{
    static const struct {
        int32_t s_milli;
        kw_outcome cons;
        bool observed;
        double weather;
        int32_t final_milli;
        kw_outcome want;
        uint32_t c_ppm;
    } rows[] = {
        {1000, KW_OUTCOME_GOOD, false, 0, 100000, KW_OUTCOME_GOOD, 1000000},
        {-1000, KW_OUTCOME_BAD, false, 0, 0, KW_OUTCOME_BAD, 1000000},
        {0, KW_OUTCOME_GOOD, false, 0, 50000, KW_OUTCOME_GOOD, 0},     /* exactly 50: consensus */
        {0, KW_OUTCOME_BAD, true, 50, 50000, KW_OUTCOME_BAD, 0},
        {200, KW_OUTCOME_GOOD, true, 35, 50000, KW_OUTCOME_GOOD, 0},   /* 0.6·60 + 0.4·35 = 50 */
        {200, KW_OUTCOME_GOOD, true, 34.999, 50000, KW_OUTCOME_GOOD, 0}, /* 49.9996 → 50.000 */
        {200, KW_OUTCOME_GOOD, true, 34.99, 49996, KW_OUTCOME_BAD, 80},
        {-200, KW_OUTCOME_BAD, true, 80, 56000, KW_OUTCOME_GOOD, 120000}, /* the weather wins */
        {600, KW_OUTCOME_GOOD, true, 0, 48000, KW_OUTCOME_BAD, 40000},
        {1, KW_OUTCOME_BAD, true, 0, 30030, KW_OUTCOME_BAD, 399400},   /* 0.6·50.05 */
        {-40, KW_OUTCOME_BAD, true, 100, 68800, KW_OUTCOME_GOOD, 376000},
        {1000, KW_OUTCOME_GOOD, true, 100, 100000, KW_OUTCOME_GOOD, 1000000},
        {0, KW_OUTCOME_GOOD, true, 50.0004, 50000, KW_OUTCOME_GOOD, 0}, /* weather rounds to 50.000 */
        {0, KW_OUTCOME_GOOD, true, 50.003, 50001, KW_OUTCOME_GOOD, 20},  /* 30 + 0.4·50.003 = 50.0012 */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        kw_consensus c = with_score(rows[i].s_milli, rows[i].cons);
        kw_final_weather f;
        cr_assert_eq(kw_final_weather_of(&c, rows[i].observed, rows[i].weather, &f), 0);
        cr_assert_eq(f.dao_milli, 50000 + 50 * rows[i].s_milli, "row %zu", i);
        cr_assert_eq(f.final_milli, rows[i].final_milli, "row %zu: %d", i, f.final_milli);
        cr_assert_eq(f.outcome, rows[i].want, "row %zu", i);
        cr_assert_eq(f.c_ppm, rows[i].c_ppm, "row %zu: %u", i, f.c_ppm);
        cr_assert_eq(f.observed, rows[i].observed);
    }
    kw_consensus c = with_score(0, KW_OUTCOME_GOOD);
    kw_final_weather f;
    cr_assert_eq(kw_final_weather_of(&c, true, 100.5, &f), KW_EINVAL);
    cr_assert_eq(kw_final_weather_of(&c, true, -0.1, &f), KW_EINVAL);
    cr_assert_eq(kw_final_weather_of(&c, true, NAN, &f), KW_EINVAL);
    cr_assert_eq(kw_final_weather_of(&c, false, NAN, &f), 0);
}
