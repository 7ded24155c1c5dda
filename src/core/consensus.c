#include "core/consensus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha.h"

static void be64(uint64_t v, uint8_t out[8])
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

double kw_round3(double x)
{
    return (double)llround(x * 1000.0) / 1000.0;
}

void kw_dao_record_seed(kw_dao_id id, uint64_t first_cycle, kw_dao_record *out)
{
    const kw_dao_info *in = kw_dao_info_of(id);
    memset(out, 0, sizeof *out);
    if (!in)
        return;
    out->correct = in->seed_correct;
    out->total = in->seed_total;
    out->votes = in->seed_total;
    out->last_cycle = (int64_t)first_cycle - 1;
    out->last_vote_cycle = (int64_t)first_cycle - 1;
}

int kw_dao_record_update(kw_dao_record *r, uint64_t cycle_id, bool voted, bool correct)
{
    if (cycle_id > INT64_MAX)
        return KW_EINVAL;
    int64_t k = (int64_t)cycle_id;
    if (k <= r->last_cycle)
        return KW_ESTATE;
    double f = pow(KW_ACCURACY_DECAY, (double)(k - r->last_cycle));
    r->correct *= f;
    r->total *= f;
    if (voted) {
        r->correct += correct ? 1.0 : 0.0;
        r->total += 1.0;
        r->votes++;
        r->last_vote_cycle = k;
    }
    r->last_cycle = k;
    return 0;
}

void kw_dao_weight_of(kw_dao_id id, const kw_dao_record *r, uint64_t cycle_id, kw_dao_weight *out)
{
    const kw_dao_info *in = kw_dao_info_of(id);
    memset(out, 0, sizeof *out);
    if (!in || !(r->total > 0))
        return;
    out->accuracy = r->correct / r->total;
    out->volume = fmax(0.1, fmin(1.0, sqrt((double)r->votes / KW_VOLUME_FULL)));
    double missed = (double)cycle_id - (double)r->last_vote_cycle - 1.0;
    out->recency = exp(-fmax(0.0, missed) / KW_RECENCY_CYCLES);
    out->weight = in->base_weight * out->accuracy * out->accuracy * out->volume * out->recency;
}

static bool confidence_ok(uint32_t ppm)
{
    return ppm >= KW_CONFIDENCE_MIN_PPM && ppm <= KW_CONFIDENCE_MAX_PPM;
}

int kw_vote_commitment(uint64_t cycle_id, const kw_dao_vote *v, const uint8_t salt[KW_SALT_LEN],
                       uint8_t out[32])
{
    const kw_dao_info *in = kw_dao_info_of(v->dao);
    if (!in || v->abstain || !confidence_ok(v->confidence_ppm) ||
        (v->prediction != KW_OUTCOME_GOOD && v->prediction != KW_OUTCOME_BAD))
        return KW_EINVAL;
    uint8_t cycle[8], len = (uint8_t)strlen(in->id), pred = v->prediction == KW_OUTCOME_GOOD;
    uint8_t conf[4] = {(uint8_t)(v->confidence_ppm >> 24), (uint8_t)(v->confidence_ppm >> 16),
                       (uint8_t)(v->confidence_ppm >> 8), (uint8_t)v->confidence_ppm};
    be64(cycle_id, cycle);
    const kw_bytes parts[] = {
        {cycle, 8}, {&len, 1}, {in->id, len}, {&pred, 1}, {conf, 4}, {salt, KW_SALT_LEN},
    };
    kw_sha256_parts(parts, sizeof parts / sizeof parts[0], out);
    return 0;
}

int kw_vote_verify(uint64_t cycle_id, const kw_dao_vote *v, const uint8_t salt[KW_SALT_LEN],
                   const uint8_t commitment[32])
{
    uint8_t want[32];
    int rc = kw_vote_commitment(cycle_id, v, salt, want);
    if (rc)
        return rc;
    return kw_ct_equal(want, commitment, 32) ? 0 : KW_ECRYPTO;
}

size_t kw_reveal_filter(uint64_t cycle_id, const kw_reveal *reveals, size_t n, kw_dao_vote *accepted,
                        bool *rejected)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = kw_vote_verify(cycle_id, &reveals[i].vote, reveals[i].salt, reveals[i].commitment) == 0;
        rejected[i] = !ok;
        if (ok)
            accepted[kept++] = reveals[i].vote;
    }
    return kept;
}

int kw_consensus_tie_bit(const uint8_t entropy[32], uint64_t cycle_id)
{
    static const char tag[] = "kalewx/tie";
    uint8_t cycle[8], h[32];
    be64(cycle_id, cycle);
    const kw_bytes parts[] = {{tag, sizeof tag - 1}, {entropy, 32}, {cycle, 8}};
    kw_sha256_parts(parts, 3, h);
    return h[31] & 1;
}

static double entropy_of(double p)
{
    double h = 0;
    if (p > 0 && p < 1)
        h = -p * log2(p) - (1 - p) * log2(1 - p);
    return h;
}

int kw_consensus_decide(uint64_t cycle_id, const uint8_t entropy[32],
                        const kw_dao_record records[KW_DAO_COUNT], const kw_dao_vote *votes, size_t n,
                        kw_consensus *out, kw_err *err)
{
    memset(out, 0, sizeof *out);
    out->cycle_id = cycle_id;
    for (int d = 0; d < KW_DAO_COUNT; d++) {
        if (!(records[d].total > 0) || records[d].correct < 0 || records[d].correct > records[d].total)
            return kw_err_set(err, KW_EINVAL, "the record of %s is corrupt (correct %.3f of %.3f)",
                              kw_dao_info_of((kw_dao_id)d)->id, records[d].correct, records[d].total);
        kw_dao_weight_of((kw_dao_id)d, &records[d], cycle_id, &out->weights[d]);
    }

    double cw_sum = 0, w_sum = 0;
    for (size_t i = 0; i < n; i++) {
        const kw_dao_vote *v = &votes[i];
        if ((unsigned)v->dao >= KW_DAO_COUNT)
            return kw_err_set(err, KW_EINVAL, "vote %zu names no DAO", i);
        if (v->abstain)
            continue;
        const char *id = kw_dao_info_of(v->dao)->id;
        if (out->voted[v->dao])
            return kw_err_set(err, KW_EINVAL, "%s voted twice in cycle %llu", id,
                              (unsigned long long)cycle_id);
        if (!confidence_ok(v->confidence_ppm))
            return kw_err_set(err, KW_EINVAL, "%s has confidence %u ppm, outside [0.1, 1]", id,
                              v->confidence_ppm);
        out->voted[v->dao] = true;
        double w = out->weights[v->dao].weight, cw = v->confidence_ppm / 1e6 * w;
        out->voters++;
        if (v->prediction == KW_OUTCOME_GOOD) {
            out->good_votes++;
            out->good_mass += cw;
        } else {
            out->bad_votes++;
            out->bad_mass += cw;
        }
        cw_sum += cw;
        w_sum += w;
    }

    double total = out->good_mass + out->bad_mass;
    if (total > 0) {
        out->score = (out->good_mass - out->bad_mass) / total;
        double p = out->good_mass / total;
        out->consensus_score = kw_round3(fabs(out->score));
        out->agreement = kw_round3(fmax(p, 1 - p));
        out->confidence = kw_round3(cw_sum / w_sum);
        out->entropy_bits = kw_round3(entropy_of(p));
    } else {
        out->entropy_bits = 1.0;
    }
    out->score_milli = (int32_t)llround(out->score * 1000.0);
    out->tie = abs(out->score_milli) <= KW_TIE_BAND_MILLI;
    if (out->tie)
        out->outcome = kw_consensus_tie_bit(entropy, cycle_id) ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
    else
        out->outcome = out->score_milli > 0 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
    return 0;
}

int kw_final_weather_of(const kw_consensus *c, bool observed, double suitability,
                        kw_final_weather *out)
{
    memset(out, 0, sizeof *out);
    if (observed && !(suitability >= 0 && suitability <= 100))
        return KW_EINVAL;
    out->dao_milli = 50000 + 50 * c->score_milli;
    out->observed = observed;
    if (observed) {
        out->weather_milli = (int32_t)llround(suitability * 1000.0);
        out->final_milli = (6 * out->dao_milli + 4 * out->weather_milli + 5) / 10;
    } else {
        out->final_milli = out->dao_milli;
    }
    int32_t d = out->final_milli - 50000;
    out->outcome = d > 0 ? KW_OUTCOME_GOOD : d < 0 ? KW_OUTCOME_BAD : c->outcome;
    int64_t c_ppm = 20 * (int64_t)abs(d);
    out->c_ppm = (uint32_t)(c_ppm > 1000000 ? 1000000 : c_ppm);
    return 0;
}
