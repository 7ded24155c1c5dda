#include "engine/resolver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "core/consensus.h"
#include "core/dao.h"
#include "core/location.h"
#include "core/suitability.h"
#include "crypto/sha.h"
#include "engine/events.h"
#include "obs/log.h"
#include "obs/metrics.h"

static const kw_sql SQL_DAO_SEED = {
    .sql = "INSERT INTO daos (id, name, base_weight_ppm, seed_correct, seed_total, correct_votes, total_votes, "
           "accuracy, decayed_correct, decayed_total, last_settled_cycle, last_vote_cycle, updated_at) "
           "VALUES ($1, $1, $2, $3, $4, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING"};
static const kw_sql SQL_DAO_RECORDS = {
    .sql = "SELECT id, decayed_correct, decayed_total, total_votes, COALESCE(last_settled_cycle, -1), "
           "COALESCE(last_vote_cycle, -1) FROM daos"};
static const kw_sql SQL_DAO_UPDATE = {
    .sql = "UPDATE daos SET decayed_correct = $2, decayed_total = $3, total_votes = $4, correct_votes = "
           "correct_votes + $5, accuracy = $6, last_settled_cycle = $7, last_vote_cycle = $8, updated_at = $9 "
           "WHERE id = $1"};
static const kw_sql SQL_TO_WORKING = {
    .sql = "UPDATE weather_cycles SET current_state = 'working', updated_at = $2 "
           "WHERE cycle_id = $1 AND current_state = 'planting'"};
static const kw_sql SQL_TO_REVEALING = {
    .sql = "UPDATE weather_cycles SET current_state = 'revealing', revealing_block = $2, entropy = $3, "
           "location = $4, dao_result = $5, weather_observation = $6, weather_outcome = $7, final_score_ppm = $8, "
           "confidence_ppm = $9, updated_at = $10 WHERE cycle_id = $1 AND current_state = 'working'"};
static const kw_sql SQL_SNAPSHOT = {
    .sql = "INSERT INTO market_snapshots (cycle_id, kale_block, source, data, taken_at) VALUES ($1, $2, $3, $4, $5)"};
static const kw_sql SQL_VOTE = {
    .sql = "INSERT INTO dao_votes (cycle_id, dao_id, prediction, confidence_ppm, reasoning, commitment, salt, "
           "committed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"};
static const kw_sql SQL_VOTES = {
    .sql = "SELECT dao_id, prediction, confidence_ppm, reasoning, commitment, salt FROM dao_votes "
           "WHERE cycle_id = $1 ORDER BY dao_id"};
static const kw_sql SQL_REVEALED = {
    .sql = "UPDATE dao_votes SET revealed = TRUE, valid = $3, revealed_at = $4 WHERE cycle_id = $1 AND dao_id = $2"};
static const kw_sql SQL_VOTE_RESULT = {
    .sql = "SELECT dao_id, prediction FROM dao_votes WHERE cycle_id = $1 AND valid = TRUE"};
static const kw_sql SQL_VOTE_CORRECT = {
    .sql = "UPDATE dao_votes SET correct = $3 WHERE cycle_id = $1 AND dao_id = $2"};

static int64_t now(kw_resolver *r) { return r->now_ms(r->clock_ctx); }

static const char *outcome_text(kw_outcome o) { return o == KW_OUTCOME_GOOD ? "GOOD" : "BAD"; }

int kw_resolver_seed_daos(kw_resolver *r, uint64_t first_cycle, kw_err *err)
{
    kw_db *db;
    int rc = kw_store_acquire(r->store, KW_DB_WRITE, &db, err);
    if (rc)
        return rc;
    if ((rc = kw_db_begin(db, err)) == 0) {
        for (int i = 0; i < KW_DAO_COUNT && rc == 0; i++) {
            const kw_dao_info *in = kw_dao_info_of((kw_dao_id)i);
            kw_dao_record rec;
            kw_dao_record_seed((kw_dao_id)i, first_cycle, &rec);
            rc = kw_db_exec(db, &SQL_DAO_SEED,
                            KW_ARGS(KW_T(in->id), KW_I(llround(in->base_weight * 1e6)), KW_I(in->seed_correct),
                                    KW_I(in->seed_total), KW_D(rec.correct / rec.total), KW_D(rec.correct),
                                    KW_D(rec.total), KW_I(rec.last_cycle), KW_I(rec.last_vote_cycle), KW_I(now(r))),
                            NULL, err);
        }
        rc = rc ? rc : kw_db_commit(db, err);
    }
    if (rc)
        kw_db_rollback(db);
    kw_store_release(r->store, db);
    return rc;
}

static int load_records(kw_db *db, kw_dao_record rec[KW_DAO_COUNT], kw_err *err)
{
    kw_rows *rows;
    int rc = kw_db_query(db, &SQL_DAO_RECORDS, KW_NOARGS, &rows, err), seen = 0;
    if (rc)
        return rc;
    while ((rc = kw_rows_next(rows, err)) == 1) {
        kw_dao_id id;
        if (kw_dao_parse(kw_rows_text(rows, 0), &id) != 0)
            continue;
        rec[id] = (kw_dao_record){.correct = kw_rows_double(rows, 1), .total = kw_rows_double(rows, 2),
                                  .votes = (uint64_t)kw_rows_int(rows, 3), .last_cycle = kw_rows_int(rows, 4),
                                  .last_vote_cycle = kw_rows_int(rows, 5)};
        seen++;
    }
    kw_rows_close(rows);
    if (rc < 0)
        return rc;
    return seen == KW_DAO_COUNT ? 0 : kw_err_set(err, KW_EINTERNAL, "the DAO records are incomplete (%d of 15)", seen);
}

static json_t *snapshot_json(const kw_market_snapshot *s)
{
    json_t *prices = json_object();
    for (int a = 0; a < KW_ASSET_COUNT; a++) {
        json_t *arr = json_array();
        for (int k = 0; k < KW_SNAPSHOT_LEN; k++) {
            double p;
            json_array_append_new(arr, kw_snapshot_price(s, (kw_asset)a, (unsigned)k, &p) ? json_real(p) : json_null());
        }
        json_object_set_new(prices, kw_asset_name((kw_asset)a), arr);
    }
    return json_pack("{s:I,s:I,s:o}", "block", (json_int_t)s->block, "timestamp", (json_int_t)s->timestamp,
                     "prices", prices);
}

static int phase_event(kw_db *db, uint64_t cycle, const char *phase, uint32_t block, int64_t at, kw_err *err)
{
    json_t *ev = json_pack("{s:I,s:s,s:I}", "cycle_id", (json_int_t)cycle, "phase", phase, "block", (json_int_t)block);
    return kw_events_append(db, KW_EV_PHASE_CHANGED, 0, (int64_t)cycle, ev, at, NULL, err);
}

typedef struct commit_ctx {
    kw_resolver *r;
    uint64_t cycle;
    uint32_t block;
    kw_market_snapshot snap;
    kw_dao_vote votes[KW_DAO_COUNT];
    uint8_t salt[KW_DAO_COUNT][KW_SALT_LEN], commitment[KW_DAO_COUNT][32];
} commit_ctx;

static int commit_tx(kw_db *db, void *ctx, kw_err *err)
{
    commit_ctx *c = ctx;
    int64_t n, at = now(c->r);
    int rc = kw_db_exec(db, &SQL_TO_WORKING, KW_ARGS(KW_I(c->cycle), KW_I(at)), &n, err);
    if (rc || n == 0)
        return rc;
    json_t *snap = snapshot_json(&c->snap);
    char *text = json_dumps(snap, JSON_COMPACT);
    json_decref(snap);
    if (!text)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    rc = kw_db_exec(db, &SQL_SNAPSHOT,
                    KW_ARGS(KW_I(c->cycle), KW_I(c->snap.block), KW_T(c->r->market_source), KW_T(text), KW_I(at)), NULL,
                    err);
    free(text);
    json_t *list = json_array(), *abstained = json_array();
    for (int i = 0; i < KW_DAO_COUNT && rc == 0; i++) {
        const kw_dao_vote *v = &c->votes[i];
        const char *id = kw_dao_info_of(v->dao)->id;
        if (v->abstain) {
            json_array_append_new(abstained, json_string(id));
            continue;
        }
        char hex[65];
        kw_hex_encode(c->commitment[i], 32, hex);
        json_array_append_new(list, json_pack("{s:s,s:s}", "dao", id, "commitment", hex));
        rc = kw_db_exec(db, &SQL_VOTE,
                        KW_ARGS(KW_I(c->cycle), KW_T(id), KW_T(outcome_text(v->prediction)), KW_I(v->confidence_ppm),
                                KW_T(v->reasoning), KW_B(c->commitment[i], 32), KW_B(c->salt[i], 32), KW_I(at)),
                        NULL, err);
    }
    if (rc == 0)
        rc = phase_event(db, c->cycle, "working", c->block, at, err);
    json_t *ev = json_pack("{s:I,s:o,s:o}", "cycle_id", (json_int_t)c->cycle, "commitments", list, "abstained", abstained);
    if (rc == 0)
        rc = kw_events_append(db, KW_EV_DAO_COMMITTED, 0, (int64_t)c->cycle, ev, at, NULL, err);
    else
        json_decref(ev);
    return rc;
}

int kw_resolver_commit(kw_resolver *r, uint64_t cycle_id, uint32_t block, int64_t block_time, kw_err *err)
{
    commit_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    c->r = r;
    c->cycle = cycle_id;
    c->block = block;
    kw_market_query q = {.block = block, .timestamp = block_time, .interval_s = r->block_seconds};
    int rc = r->market->snapshot(r->market->state, &q, &c->snap, err);
    if (rc == 0) {
        kw_dao_evaluate_all(&c->snap, c->votes);
        for (int i = 0; i < KW_DAO_COUNT && rc == 0; i++) {
            if (c->votes[i].abstain)
                continue;
            randombytes_buf(c->salt[i], KW_SALT_LEN);
            rc = kw_vote_commitment(cycle_id, &c->votes[i], c->salt[i], c->commitment[i]);
        }
        if (rc == 0)
            rc = kw_store_tx(r->store, commit_tx, c, err);
    }
    sodium_memzero(c, sizeof *c);
    free(c);
    return rc;
}

typedef struct reveal_ctx {
    kw_resolver *r;
    uint64_t cycle;
    uint32_t reveal_block;
    uint8_t entropy[32];
    kw_reveal reveals[KW_DAO_COUNT];
    bool rejected[KW_DAO_COUNT];
    kw_dao_vote accepted[KW_DAO_COUNT];
    size_t nrev, nacc;
    kw_dao_record records[KW_DAO_COUNT];
    kw_consensus cons;
    unsigned city;
    bool observed;
    kw_weather_report report;
    kw_suitability suit;
    kw_final_weather fin;
} reveal_ctx;

static int load_reveals(kw_db *db, reveal_ctx *c, kw_err *err)
{
    kw_rows *rows;
    int rc = kw_db_query(db, &SQL_VOTES, KW_ARGS(KW_I(c->cycle)), &rows, err);
    if (rc)
        return rc;
    c->nrev = 0;
    while (c->nrev < KW_DAO_COUNT && (rc = kw_rows_next(rows, err)) == 1) {
        kw_reveal *v = &c->reveals[c->nrev];
        memset(v, 0, sizeof *v);
        if (kw_dao_parse(kw_rows_text(rows, 0), &v->vote.dao) != 0)
            continue;
        v->vote.prediction = strcmp(kw_rows_text(rows, 1), "GOOD") == 0 ? KW_OUTCOME_GOOD : KW_OUTCOME_BAD;
        v->vote.confidence_ppm = (uint32_t)kw_rows_int(rows, 2);
        snprintf(v->vote.reasoning, sizeof v->vote.reasoning, "%s", kw_rows_text(rows, 3));
        size_t n1, n2;
        const void *cm = kw_rows_blob(rows, 4, &n1), *salt = kw_rows_blob(rows, 5, &n2);
        if (n1 != 32 || n2 != 32)
            continue;
        memcpy(v->commitment, cm, 32);
        memcpy(v->salt, salt, 32);
        c->nrev++;
    }
    kw_rows_close(rows);
    return rc < 0 ? rc : 0;
}

static int reveal_tx(kw_db *db, void *ctx, kw_err *err)
{
    reveal_ctx *c = ctx;
    int64_t at = now(c->r);
    int rc;
    if ((rc = load_reveals(db, c, err)) || (rc = load_records(db, c->records, err)))
        return rc;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c->nacc = kw_reveal_filter(c->cycle, c->reveals, c->nrev, c->accepted, c->rejected);
    if ((rc = kw_consensus_decide(c->cycle, c->entropy, c->records, c->accepted, c->nacc, &c->cons, err)) ||
        (rc = kw_final_weather_of(&c->cons, c->observed, c->suit.score, &c->fin)))
        return rc ? rc : kw_err_set(err, KW_EINTERNAL, "final weather could not be computed");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    kw_metrics_observe(kw_metrics_series_get(kw_metrics_std_global()->dao_consensus_duration, NULL),
                       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    json_t *votes = json_array();
    for (size_t i = 0; i < c->nrev && rc == 0; i++) {
        const kw_reveal *v = &c->reveals[i];
        const char *id = kw_dao_info_of(v->vote.dao)->id;
        if (c->rejected[i])
            KW_LOG(KW_LOG_WARN, "DAO vote does not match its commitment: discarded", KW_LS("dao", id),
                   KW_LI("cycle", c->cycle));
        char salt[65];
        kw_hex_encode(v->salt, 32, salt);
        json_array_append_new(votes, json_pack("{s:s,s:s,s:f,s:s,s:s,s:b}", "dao", id, "prediction",
                                               outcome_text(v->vote.prediction), "confidence",
                                               v->vote.confidence_ppm / 1e6, "reasoning", v->vote.reasoning, "salt",
                                               salt, "valid", !c->rejected[i]));
        rc = kw_db_exec(db, &SQL_REVEALED, KW_ARGS(KW_I(c->cycle), KW_T(id), KW_I(!c->rejected[i]), KW_I(at)), NULL, err);
    }
    const kw_city *city = kw_city_get(c->city);
    json_t *dao = json_pack("{s:f,s:s,s:f,s:f,s:f,s:f,s:i,s:i,s:b}", "score", c->cons.score_milli / 1000.0,
                            "outcome", outcome_text(c->cons.outcome), "consensusScore", c->cons.consensus_score,
                            "agreement", c->cons.agreement, "confidence", c->cons.confidence, "entropy",
                            c->cons.entropy_bits, "good", c->cons.good_votes, "bad", c->cons.bad_votes, "tie",
                            c->cons.tie);
    json_t *obs = c->observed ? json_pack("{s:f,s:f,s:f,s:f,s:f,s:s,s:s}", "temp_c", c->report.obs.temp_c,
                                          "humidity_pct", c->report.obs.humidity_pct, "wind_kmh", c->report.obs.wind_kmh,
                                          "precip_mm", c->report.obs.precip_mm, "suitability", kw_round3(c->suit.score),
                                          "source", c->report.source, "fallback", c->report.fallback)
                              : json_null();
    char *dao_text = json_dumps(dao, JSON_COMPACT | JSON_REAL_PRECISION(12)),
         *obs_text = json_dumps(obs, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
    int64_t n = 0;
    if (rc == 0 && dao_text && obs_text)
        rc = kw_db_exec(db, &SQL_TO_REVEALING,
                        KW_ARGS(KW_I(c->cycle), KW_I(c->reveal_block), KW_B(c->entropy, 32), KW_T(city->id),
                                KW_T(dao_text), c->observed ? KW_T(obs_text) : KW_NUL, KW_T(outcome_text(c->fin.outcome)),
                                KW_I((int64_t)c->fin.final_milli * 1000), KW_I(c->fin.c_ppm), KW_I(at)),
                        &n, err);
    free(dao_text);
    free(obs_text);
    if (rc == 0 && n == 0)
        rc = KW_ECONFLICT; /* another replica revealed it: nothing to publish */
    if (rc == 0)
        rc = phase_event(db, c->cycle, "revealing", c->reveal_block, at, err);
    json_t *rev = json_pack("{s:I,s:o}", "cycle_id", (json_int_t)c->cycle, "votes", votes);
    if (rc == 0)
        rc = kw_events_append(db, KW_EV_DAO_REVEALED, 0, (int64_t)c->cycle, rev, at, NULL, err);
    else
        json_decref(rev);
    char entropy[65];
    kw_hex_encode(c->entropy, 32, entropy);
    json_t *ev = json_pack("{s:I,s:s,s:f,s:f,s:o,s:f,s:{s:s,s:s},s:o,s:O,s:s}", "cycle_id", (json_int_t)c->cycle,
                           "outcome", outcome_text(c->fin.outcome), "final_score", c->fin.final_milli / 1000.0,
                           "dao_score", c->fin.dao_milli / 1000.0, "weather_score",
                           c->observed ? json_real(c->fin.weather_milli / 1000.0) : json_null(), "confidence",
                           kw_round3(c->fin.c_ppm / 1e6), "location", "id", city->id, "name", city->name,
                           "observation", obs, "consensus", dao, "entropy", entropy);
    json_decref(dao);
    if (rc == 0)
        rc = kw_events_append(db, KW_EV_WEATHER_RESOLVED, 0, (int64_t)c->cycle, ev, at, NULL, err);
    else
        json_decref(ev);
    return rc == KW_ECONFLICT ? 0 : rc;
}

int kw_resolver_reveal(kw_resolver *r, uint64_t cycle_id, kw_err *err)
{
    reveal_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    c->r = r;
    c->cycle = cycle_id;
    uint32_t first;
    int rc = kw_cycle_first_block(&r->cycle, cycle_id, &first);
    c->reveal_block = first + r->cycle.phase_blocks[KW_PHASE_PLANTING] + r->cycle.phase_blocks[KW_PHASE_WORKING];
    kw_chain_block blk;
    kw_err cerr = {0};
    int64_t when = now(r) / 1000;
    if (rc == 0 && kw_chain_block_get(r->chain, c->reveal_block, &blk, &cerr) == 0) {
        memcpy(c->entropy, blk.entropy, 32);
        when = (int64_t)blk.timestamp;
    } else if (rc == 0 && cerr.code == KW_ETRANSIENT) {
        /* A fault is not an answer: the location must come from the revealing
         * block, so the phase runs again next tick. */
        rc = kw_err_set(err, KW_ETRANSIENT, "revealing block %u: %s", c->reveal_block, cerr.msg);
    } else if (rc == 0) {
        /* The block is gone (evicted on a real network): the current block's
         * entropy is just as unknowable to users in advance. */
        kw_chain_status s;
        if ((rc = kw_chain_status_get(r->chain, &s, err)) == 0)
            memcpy(c->entropy, s.block.entropy, 32);
        KW_LOG(KW_LOG_WARN, "revealing block unavailable; using the current block's entropy",
               KW_LI("cycle", cycle_id), KW_LS("reason", cerr.msg));
    }
    if (rc == 0) {
        c->city = kw_location_pick(c->entropy, cycle_id);
        kw_weather_query q = {.city = c->city, .timestamp = when, .cycle_id = cycle_id};
        memcpy(q.entropy, c->entropy, 32);
        kw_err werr = {0};
        c->observed = r->weather->observe(r->weather->state, &q, &c->report, &werr) == 0 &&
                      kw_suitability_score(&c->report.obs, &c->suit) == 0;
        if (!c->observed)
            KW_LOG(KW_LOG_WARN, "no weather observation: the final weather is the DAO consensus alone",
                   KW_LI("cycle", cycle_id), KW_LS("reason", werr.msg));
        rc = kw_store_tx(r->store, reveal_tx, c, err);
    }
    sodium_memzero(c, sizeof *c);
    free(c);
    return rc;
}

int kw_resolver_record(kw_db *db, uint64_t cycle_id, const char *outcome, int64_t now_ms, kw_err *err)
{
    kw_dao_record rec[KW_DAO_COUNT];
    bool voted[KW_DAO_COUNT] = {0}, correct[KW_DAO_COUNT] = {0};
    int rc = load_records(db, rec, err);
    if (rc)
        return rc;
    kw_rows *rows;
    if ((rc = kw_db_query(db, &SQL_VOTE_RESULT, KW_ARGS(KW_I(cycle_id)), &rows, err)) != 0)
        return rc;
    while ((rc = kw_rows_next(rows, err)) == 1) {
        kw_dao_id id;
        if (kw_dao_parse(kw_rows_text(rows, 0), &id) != 0)
            continue;
        voted[id] = true;
        correct[id] = strcmp(kw_rows_text(rows, 1), outcome) == 0;
    }
    kw_rows_close(rows);
    if (rc < 0)
        return rc;
    for (int i = 0; i < KW_DAO_COUNT && rc == 0; i++) {
        const char *id = kw_dao_info_of((kw_dao_id)i)->id;
        if (kw_dao_record_update(&rec[i], cycle_id, voted[i], correct[i]) != 0)
            continue; /* already counted */
        if (voted[i] &&
            (rc = kw_db_exec(db, &SQL_VOTE_CORRECT, KW_ARGS(KW_I(cycle_id), KW_T(id), KW_I(correct[i])), NULL, err)))
            break;
        rc = kw_db_exec(db, &SQL_DAO_UPDATE,
                        KW_ARGS(KW_T(id), KW_D(rec[i].correct), KW_D(rec[i].total), KW_I(rec[i].votes),
                                KW_I(voted[i] && correct[i]), KW_D(rec[i].total > 0 ? rec[i].correct / rec[i].total : 0),
                                KW_I(rec[i].last_cycle), KW_I(rec[i].last_vote_cycle), KW_I(now_ms)),
                        NULL, err);
    }
    return rc;
}
