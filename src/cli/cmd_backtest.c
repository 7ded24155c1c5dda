/*
 * kalewx backtest — replays the DAOs over a price history (feeds/backtest.h
 * defines the replay and the realised outcome), or writes a simulated
 * history to replay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/commands.h"
#include "core/consensus.h"
#include "feeds/backtest.h"

/* Simulated histories start 2024-01-01T00:00:00Z, one mainnet block apart. */
#define SIM_EPOCH 1704067200
#define SIM_INTERVAL 300
#define SIM_MAX_BLOCKS 10000000

static void usage(void)
{
    fprintf(stderr, "usage: kalewx backtest --prices FILE.csv [--interval SECONDS] [--json]\n"
                    "       kalewx backtest --simulate BLOCKS --out FILE.csv\n");
}

static int parse_count(const char *s, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A plain decimal (the CSV format has no exponents), trailing zeros trimmed. */
static void format_price(double p, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.12f", p);
    char *end = buf + strlen(buf) - 1;
    while (end > buf && *end == '0')
        *end-- = 0;
    if (*end == '.')
        *end = 0;
}

static int simulate(const kw_cli *cli, long long blocks, const char *path)
{
    kw_market_feed feed;
    kw_err err;
    uint64_t seed = (uint64_t)kw_config_int(&cli->cfg, KW_CFG_MARKET_SEED);
    if (kw_market_sim_open(seed, &feed, &err) != 0) {
        fprintf(stderr, "kalewx backtest: %s\n", err.msg);
        return KW_EXIT_SERVER;
    }
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "we");
    if (!f) {
        fprintf(stderr, "kalewx backtest: cannot write %s: %s\n", path, strerror(errno));
        kw_market_close(&feed);
        return KW_EXIT_USAGE;
    }
    fprintf(f, "timestamp,asset,price\n");
    for (long long b = 0; b < blocks; b++) {
        kw_market_query q = {.block = (uint32_t)b, .timestamp = SIM_EPOCH + SIM_INTERVAL * b,
                             .interval_s = SIM_INTERVAL};
        kw_market_snapshot s;
        if (feed.snapshot(feed.state, &q, &s, &err) != 0)
            break;
        for (int a = 0; a < KW_ASSET_COUNT; a++) {
            char px[64];
            format_price(s.price[a][0], px, sizeof px);
            fprintf(f, "%lld,%s,%s\n", (long long)q.timestamp, kw_asset_name((kw_asset)a), px);
        }
    }
    kw_market_close(&feed);
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        bad |= fflush(f) != 0;
    if (bad) {
        fprintf(stderr, "kalewx backtest: writing %s failed\n", path);
        return KW_EXIT_USAGE;
    }
    if (f != stdout)
        fprintf(stderr, "kalewx backtest: wrote %lld blocks of simulated prices (MARKET_SEED=%llu) to %s\n",
                blocks, (unsigned long long)seed, path);
    return KW_EXIT_OK;
}

static json_t *rate_json(uint32_t hits, uint32_t n)
{
    return n ? json_real(kw_round3((double)hits / n)) : json_null();
}

static void print_json(const char *path, const kw_backtest *b)
{
    json_t *daos = json_array();
    for (int d = 0; d < KW_DAO_COUNT; d++) {
        const kw_backtest_dao *x = &b->dao[d];
        json_array_append_new(daos, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "id",
                                              kw_dao_info_of((kw_dao_id)d)->id, "votes", (json_int_t)x->votes,
                                              "abstained", (json_int_t)x->abstained, "good", (json_int_t)x->good,
                                              "bad", (json_int_t)x->bad, "hits", (json_int_t)x->hits,
                                              "hit_rate", rate_json(x->hits, x->votes)));
    }
    json_t *root = json_pack(
        "{s:s,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I},s:o,s:{s:I,s:I,s:I,s:I,s:I,s:o}}", "file", path, "interval",
        (json_int_t)b->interval, "first", (json_int_t)b->first, "last", (json_int_t)b->last, "steps",
        (json_int_t)b->steps, "scored", (json_int_t)b->scored, "realised", "good",
        (json_int_t)b->realised_good, "bad", (json_int_t)b->realised_bad, "daos", daos, "consensus",
        "decisions", (json_int_t)b->scored, "good", (json_int_t)b->good, "bad", (json_int_t)b->bad, "ties",
        (json_int_t)b->ties, "hits", (json_int_t)b->hits, "hit_rate", rate_json(b->hits, b->scored));
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    printf("%s\n", s);
    free(s);
    json_decref(root);
}

static void fmt_rate(uint32_t hits, uint32_t n, char buf[16])
{
    if (n)
        snprintf(buf, 16, "%.3f", kw_round3((double)hits / n));
    else
        snprintf(buf, 16, "-");
}

static void fmt_time(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm))
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(buf, 32, "%lld", (long long)t);
}

static void print_table(const char *path, const kw_backtest *b)
{
    char from[32], to[32], rate[16];
    fmt_time(b->first, from);
    fmt_time(b->last, to);
    printf("backtest of %s: %u timestamps %lld s apart, %s .. %s\n", path, b->steps, (long long)b->interval,
           from, to);
    printf("scored %u steps against the next interval's mean BTC/ETH/XLM/SOL return: "
           "realised GOOD %u, BAD %u (%u unscored)\n\n",
           b->scored, b->realised_good, b->realised_bad, b->steps - b->scored);
    printf("%-24s %7s %8s %7s %7s %7s %8s\n", "dao", "votes", "abstain", "GOOD", "BAD", "hits", "hit rate");
    for (int d = 0; d < KW_DAO_COUNT; d++) {
        const kw_backtest_dao *x = &b->dao[d];
        fmt_rate(x->hits, x->votes, rate);
        printf("%-24s %7u %8u %7u %7u %7u %8s\n", kw_dao_info_of((kw_dao_id)d)->id, x->votes, x->abstained,
               x->good, x->bad, x->hits, rate);
    }
    fmt_rate(b->hits, b->scored, rate);
    printf("%-24s %7u %8s %7u %7u %7u %8s\n", "consensus", b->scored, "", b->good, b->bad, b->hits, rate);
    printf("\nconsensus ties broken by entropy: %u\n", b->ties);
}

int kw_cmd_backtest(kw_cli *cli, int argc, char **argv)
{
    const char *prices = NULL, *out = NULL;
    long long interval = 0, blocks = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--prices") == 0 && v) {
            prices = v;
        } else if (strcmp(a, "--out") == 0 && v) {
            out = v;
        } else if (strcmp(a, "--interval") == 0 && v) {
            if (parse_count(v, 86400 * 365LL, &interval) != 0) {
                fprintf(stderr, "kalewx backtest: --interval takes seconds, 1 to 31536000, got \"%s\"\n", v);
                return KW_EXIT_USAGE;
            }
        } else if (strcmp(a, "--simulate") == 0 && v) {
            if (parse_count(v, SIM_MAX_BLOCKS, &blocks) != 0) {
                fprintf(stderr, "kalewx backtest: --simulate takes a block count, 1 to %d, got \"%s\"\n",
                        SIM_MAX_BLOCKS, v);
                return KW_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "kalewx backtest: unexpected argument %s\n", a);
            usage();
            return KW_EXIT_USAGE;
        }
        i++;
    }
    if (blocks && out && !prices)
        return simulate(cli, blocks, out);
    if (!prices || blocks || out) {
        usage();
        return KW_EXIT_USAGE;
    }

    kw_price_history *h;
    kw_err err;
    if (kw_price_history_load(prices, &h, &err) != 0) {
        fprintf(stderr, "kalewx backtest: %s\n", err.msg);
        return KW_EXIT_USAGE;
    }
    kw_backtest b;
    int rc = kw_backtest_run(h, interval, &b, &err);
    kw_price_history_free(h);
    if (rc) {
        fprintf(stderr, "kalewx backtest: %s\n", err.msg);
        return KW_EXIT_USAGE;
    }
    if (cli->json)
        print_json(prices, &b);
    else
        print_table(prices, &b);
    return KW_EXIT_OK;
}
