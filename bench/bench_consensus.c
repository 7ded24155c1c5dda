/*
 * kalewx bench consensus — the cost of deciding one cycle's weather: the 15
 * DAO votes over a market snapshot, the weighted consensus with its
 * tie-break, the location draw, the climate observation and its
 * suitability, and the final blend. Also its parts, and the commit–reveal of
 * 15 votes. Reference, measured in the same run: one SHA-256 of 76 bytes
 * (the size of a KALE work preimage), through the same kw_sha256.
 */
#include <string.h>

#include "bench/bench.h"
#include "core/consensus.h"
#include "core/location.h"
#include "core/suitability.h"
#include "crypto/sha.h"
#include "feeds/market.h"
#include "feeds/weather.h"

#define SNAPSHOTS 64

typedef struct fixture {
    kw_market_snapshot snaps[SNAPSHOTS];
    kw_dao_record records[KW_DAO_COUNT];
    uint8_t entropy[SNAPSHOTS][32];
    kw_dao_vote votes[KW_DAO_COUNT];
    uint8_t salts[KW_DAO_COUNT][KW_SALT_LEN];
    uint8_t commitments[KW_DAO_COUNT][32];
} fixture;

static volatile uint64_t sink;

typedef void (*op_fn)(fixture *f, uint64_t i);

static void op_decision(fixture *f, uint64_t i)
{
    const uint8_t *entropy = f->entropy[i % SNAPSHOTS];
    kw_dao_vote votes[KW_DAO_COUNT];
    kw_dao_evaluate_all(&f->snaps[i % SNAPSHOTS], votes);
    kw_consensus c;
    if (kw_consensus_decide(i, entropy, f->records, votes, KW_DAO_COUNT, &c, NULL) != 0)
        return;
    kw_weather_query q = {.city = kw_location_pick(entropy, i), .timestamp = 1721001600 + (int64_t)i * 3000,
                          .cycle_id = i};
    memcpy(q.entropy, entropy, 32);
    kw_weather_obs obs;
    kw_suitability s;
    kw_final_weather fw;
    if (kw_climate_model(&q, &obs) != 0 || kw_suitability_score(&obs, &s) != 0 ||
        kw_final_weather_of(&c, true, s.score, &fw) != 0)
        return;
    sink += fw.c_ppm + (uint64_t)fw.outcome;
}

static void op_votes(fixture *f, uint64_t i)
{
    kw_dao_vote votes[KW_DAO_COUNT];
    kw_dao_evaluate_all(&f->snaps[i % SNAPSHOTS], votes);
    sink += votes[i % KW_DAO_COUNT].confidence_ppm;
}

static void op_consensus(fixture *f, uint64_t i)
{
    kw_consensus c;
    if (kw_consensus_decide(i, f->entropy[i % SNAPSHOTS], f->records, f->votes, KW_DAO_COUNT, &c, NULL) == 0)
        sink += (uint64_t)c.score_milli;
}

static void op_commit_reveal(fixture *f, uint64_t i)
{
    for (int d = 0; d < KW_DAO_COUNT; d++) {
        if (f->votes[d].abstain)
            continue;
        f->salts[d][0] = (uint8_t)i;
        if (kw_vote_commitment(i, &f->votes[d], f->salts[d], f->commitments[d]) == 0)
            sink += kw_vote_verify(i, &f->votes[d], f->salts[d], f->commitments[d]) == 0;
    }
}

static void op_sha256(fixture *f, uint64_t i)
{
    uint8_t preimage[76], h[32];
    memcpy(preimage, f->entropy[i % SNAPSHOTS], 32);
    memcpy(preimage + 32, f->entropy[(i + 1) % SNAPSHOTS], 32);
    memcpy(preimage + 64, &i, 8);
    memset(preimage + 72, 0, 4);
    kw_sha256(preimage, sizeof preimage, h);
    sink += h[0];
}

/* Nanoseconds per call, running batches until `seconds` have passed. */
static double measure(fixture *f, op_fn op, double seconds)
{
    uint64_t n = 0, batch = 64;
    double start = kw_bench_now(), elapsed;
    do {
        for (uint64_t k = 0; k < batch; k++)
            op(f, n + k);
        n += batch;
        elapsed = kw_bench_now() - start;
        if (batch < (1u << 16))
            batch *= 2;
    } while (elapsed < seconds);
    return elapsed / (double)n * 1e9;
}

int kw_bench_consensus(const kw_bench_opts *o, kw_bench_result *r)
{
    static fixture f;
    kw_market_feed feed;
    uint64_t seed = o->cfg ? (uint64_t)kw_config_int(o->cfg, KW_CFG_MARKET_SEED) : 1;
    if (kw_market_sim_open(seed, &feed, NULL) != 0)
        return -1;
    for (uint32_t i = 0; i < SNAPSHOTS; i++) {
        kw_market_query q = {.block = 100 + i * 10, .timestamp = 1721001600 + i * 3000, .interval_s = 300};
        if (feed.snapshot(feed.state, &q, &f.snaps[i], NULL) != 0) {
            kw_market_close(&feed);
            return -1;
        }
        /* the fields, not the struct: its padding is uninitialised */
        uint8_t seed_bytes[12];
        memcpy(seed_bytes, &q.block, 4);
        memcpy(seed_bytes + 4, &q.timestamp, 8);
        kw_sha256(seed_bytes, sizeof seed_bytes, f.entropy[i]);
    }
    kw_market_close(&feed);
    for (int d = 0; d < KW_DAO_COUNT; d++)
        kw_dao_record_seed((kw_dao_id)d, 0, &f.records[d]);
    kw_dao_evaluate_all(&f.snaps[0], f.votes);

    double ref = measure(&f, op_sha256, o->seconds);
    double decision = measure(&f, op_decision, o->seconds);
    double votes = measure(&f, op_votes, o->seconds);
    double consensus = measure(&f, op_consensus, o->seconds);
    double commit = measure(&f, op_commit_reveal, o->seconds);
    const char *by = "sha256 of 76 bytes";
    kw_bench_row_add(r, "full cycle decision", decision, "ns", decision / ref, by);
    kw_bench_row_add(r, "15 DAO votes", votes, "ns", votes / ref, by);
    kw_bench_row_add(r, "weighted consensus + tie-break", consensus, "ns", consensus / ref, by);
    kw_bench_row_add(r, "commit + verify 15 votes", commit, "ns", commit / ref, by);
    kw_bench_row_add(r, "reference: sha256 of 76 bytes", ref, "ns", 1.0, by);
    return 0;
}
