#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/prng.h"
#include "feeds/market.h"

/*
 * Log price of asset a = log(anchor_a) + x_a, with x mean-reverting to 0
 * (half-life ≈ 200 blocks for crypto, 1400 for FX) so that decades of blocks never drift
 * to absurd levels. Per-block volatilities are those of 5-min bars; regimes
 * scale them and add a drift so that both outcomes of the DAOs' rules occur.
 */

enum regime { CALM, STORMY, RALLY, SELLOFF, REGIMES };

typedef struct regime_params {
    double switch_p;   /* chance per block of drawing a new regime */
    double weight;     /* chance of being drawn */
    double vol;        /* volatility multiplier for crypto */
    double drift;      /* crypto drift per block, scaled by beta */
    double stress;     /* stablecoin/FX volatility multiplier */
    double depeg_p;    /* chance per block of a stablecoin losing its peg */
} regime_params;

/* Rallies last longer and sell-offs fall faster, with equal drift over a
 * regime's expected life (weight / switch_p · drift) so prices do not trend. */
static const regime_params regimes[REGIMES] = {
    [CALM] = {0.06, 0.30, 1.0, 0.0, 1.0, 0.0},
    [STORMY] = {0.10, 0.30, 10.0, 0.0, 2.5, 0.003},
    [RALLY] = {0.08, 0.20, 3.0, 0.008, 1.2, 0.0},
    [SELLOFF] = {0.20, 0.20, 6.0, -0.020, 3.0, 0.01},
};

typedef enum kind { CRYPTO, STABLE, TRACKER, FX } kind;

typedef struct asset_params {
    kind kind;
    double anchor;     /* USD */
    double sigma;      /* per-block volatility in calm */
    double rho;        /* loading on the class factor */
    double beta;       /* exposure to the regime drift */
    bool jumps;        /* altcoins: news pumps and dumps of 3–10% */
} asset_params;

static const asset_params assets[KW_ASSET_COUNT] = {
    [KW_ASSET_BTC] = {CRYPTO, 65000.0, 0.0030, 0.85, 1.0, false},
    [KW_ASSET_ETH] = {CRYPTO, 3200.0, 0.0040, 0.85, 1.2, false},
    [KW_ASSET_XLM] = {CRYPTO, 0.11, 0.0050, 0.75, 1.3, true},
    [KW_ASSET_SOL] = {CRYPTO, 150.0, 0.0055, 0.75, 1.4, true},
    [KW_ASSET_USDT] = {STABLE, 1.0, 0.0004, 0.0, 0.0, false},
    [KW_ASSET_USDC] = {STABLE, 1.0, 0.0003, 0.0, 0.0, false},
    [KW_ASSET_KALE] = {CRYPTO, 0.0005, 0.0150, 0.40, 1.5, true},
    [KW_ASSET_AQUA] = {CRYPTO, 0.0008, 0.0120, 0.45, 1.4, true},
    [KW_ASSET_EURC] = {TRACKER, 1.08, 0.0005, 0.0, 0.0, false},
    [KW_ASSET_EUR] = {FX, 1.08, 0.0004, 0.6, 0.0, false},
    [KW_ASSET_GBP] = {FX, 1.27, 0.00045, 0.6, 0.0, false},
    [KW_ASSET_CAD] = {FX, 0.73, 0.0004, 0.5, 0.0, false},
    [KW_ASSET_BRL] = {FX, 0.18, 0.0010, 0.4, 0.0, false},
};

#define CRYPTO_REVERSION (1.0 / 300.0)
#define FX_REVERSION (1.0 / 2000.0)
#define PEG_REVERSION 0.7   /* share of a stablecoin's deviation kept each block */
#define JUMP_P 0.004        /* chance per block of an altcoin's own pump or dump */

typedef struct sim {
    uint64_t seed;
    uint32_t next;                              /* first block not yet walked */
    int regime;
    double x[KW_ASSET_COUNT];                   /* state after block next − 1 */
    double ring[KW_SNAPSHOT_LEN][KW_ASSET_COUNT]; /* prices of block b at b % LEN */
} sim;

static void record(sim *m, uint32_t block)
{
    double *p = m->ring[block % KW_SNAPSHOT_LEN];
    for (int a = 0; a < KW_ASSET_COUNT; a++) {
        const asset_params *ap = &assets[a];
        if (ap->kind == STABLE)
            p[a] = 1.0 + m->x[a];
        else if (ap->kind != TRACKER)
            p[a] = ap->anchor * exp(m->x[a]);
    }
    /* after EUR, which it tracks */
    p[KW_ASSET_EURC] = p[KW_ASSET_EUR] * (1.0 + m->x[KW_ASSET_EURC]);
}

static int draw_regime(kw_prng *g)
{
    double u = kw_prng_uniform(g), cum = 0;
    for (int r = 0; r < REGIMES - 1; r++) {
        cum += regimes[r].weight;
        if (u <= cum)
            return r;
    }
    return REGIMES - 1;
}

static void genesis(sim *m)
{
    kw_prng g = kw_prng_init(m->seed, 0);
    memset(m->x, 0, sizeof m->x);
    m->regime = draw_regime(&g);
    record(m, 0);
    m->next = 1;
}

static void step(sim *m)
{
    uint32_t block = m->next;
    kw_prng g = kw_prng_init(m->seed, block);
    if (kw_prng_uniform(&g) < regimes[m->regime].switch_p)
        m->regime = draw_regime(&g);
    const regime_params *rp = &regimes[m->regime];
    double crypto_factor = kw_prng_normal(&g), dollar_factor = kw_prng_normal(&g);
    for (int a = 0; a < KW_ASSET_COUNT; a++) {
        const asset_params *ap = &assets[a];
        double z = kw_prng_normal(&g);
        switch (ap->kind) {
        case CRYPTO: {
            double shock = ap->rho * crypto_factor + sqrt(1 - ap->rho * ap->rho) * z;
            m->x[a] += -CRYPTO_REVERSION * m->x[a] + rp->drift * ap->beta + ap->sigma * rp->vol * shock;
            if (ap->jumps && kw_prng_uniform(&g) < JUMP_P)
                m->x[a] += (kw_prng_uniform(&g) < 0.5 ? -1 : 1) * (0.03 + 0.07 * kw_prng_uniform(&g));
            break;
        }
        case FX: {
            double shock = ap->rho * dollar_factor + sqrt(1 - ap->rho * ap->rho) * z;
            m->x[a] += -FX_REVERSION * m->x[a] + ap->sigma * (1 + (rp->stress - 1) / 2) * shock;
            break;
        }
        case STABLE:
            m->x[a] = PEG_REVERSION * m->x[a] + ap->sigma * rp->stress * z;
            if (kw_prng_uniform(&g) < rp->depeg_p)
                m->x[a] -= 0.005 + 0.025 * kw_prng_uniform(&g);
            break;
        case TRACKER:
            m->x[a] = PEG_REVERSION * m->x[a] + ap->sigma * rp->stress * z;
            break;
        }
    }
    record(m, block);
    m->next = block + 1;
}

static int sim_snapshot(void *state, const kw_market_query *q, kw_market_snapshot *out, kw_err *err)
{
    (void)err;
    sim *m = state;
    /* The ring holds blocks next−LEN … next−1, so only a query for the newest
     * block or a later one can be served from it; an older one restarts the walk. */
    if (m->next == 0 || (uint64_t)q->block + 1 < (uint64_t)m->next)
        genesis(m);
    while (m->next <= q->block)
        step(m);
    kw_snapshot_clear(out, q->block, q->timestamp);
    for (unsigned k = 0; k < KW_SNAPSHOT_LEN && k <= q->block; k++) {
        const double *p = m->ring[(q->block - k) % KW_SNAPSHOT_LEN];
        for (int a = 0; a < KW_ASSET_COUNT; a++)
            out->price[a][k] = p[a];
    }
    return 0;
}

static void sim_close(void *state)
{
    free(state);
}

int kw_market_sim_open(uint64_t seed, kw_market_feed *out, kw_err *err)
{
    sim *m = calloc(1, sizeof *m);
    if (!m)
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    m->seed = seed;
    *out = (kw_market_feed){.name = "sim", .state = m, .snapshot = sim_snapshot, .close = sim_close};
    return 0;
}
