#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/backtest.h"

/* n timestamps 300 s apart; the four majors move by `step(k)` percent at
 * timestamp k, every other asset stands still. */
static kw_price_history *history(int n, double (*step)(int k))
{
    static const char *const moving[] = {"BTC", "ETH", "XLM", "SOL"};
    static const char *const still[] = {"USDT", "USDC", "KALE", "AQUA", "EURC", "EUR", "GBP", "CAD", "BRL"};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    double price = 100;
    for (int k = 0; k < n; k++) {
        if (k)
            price *= 1 + step(k) / 100;
        for (int a = 0; a < 4; a++)
            fprintf(f, "%d,%s,%.10f\n", 1000 + 300 * k, moving[a], price);
        for (int a = 0; a < 9; a++)
            fprintf(f, "%d,%s,1\n", 1000 + 300 * k, still[a]);
    }
    fclose(f);
    kw_price_history *h;
    kw_err e;
    cr_assert_eq(kw_price_history_parse(text, len, "gen.csv", &h, &e), 0, "%s", e.msg);
    free(text);
    return h;
}

static double up2(int k) { (void)k; return 2; }
static double zigzag(int k) { return k % 2 ? 2 : -2; }

Test(backtest, steady_rally)
{
    kw_price_history *h = history(14, up2);
    kw_outcome o;
    cr_assert(kw_backtest_realised(h, 1000, 300, &o));
    cr_assert_eq(o, KW_OUTCOME_GOOD);
    cr_assert_not(kw_backtest_realised(h, 1000 + 300 * 13, 300, &o), "nothing after the last step");

    kw_backtest b;
    kw_err e;
    cr_assert_eq(kw_backtest_run(h, 0, &b, &e), 0, "%s", e.msg);
    cr_assert_eq(b.interval, 300);
    cr_assert_eq(b.steps, 14);
    cr_assert_eq(b.scored, 13);
    cr_assert_eq(b.realised_good, 13);
    cr_assert_eq(b.realised_bad, 0);
    /* The first step has no previous price: the return-based DAOs abstain. */
    const kw_backtest_dao *m = &b.dao[KW_DAO_CRYPTO_MOMENTUM];
    cr_assert_eq(m->abstained, 1);
    cr_assert_eq(m->votes, 12);
    cr_assert_eq(m->good, 12);
    cr_assert_eq(m->hits, 12);
    const kw_backtest_dao *k = &b.dao[KW_DAO_KALE_PERFORMANCE];   /* KALE stands still: BAD, wrong */
    cr_assert_eq(k->bad, 12);
    cr_assert_eq(k->hits, 0);
    const kw_backtest_dao *p = &b.dao[KW_DAO_STABLECOIN_PEG];     /* needs no history */
    cr_assert_eq(p->votes, 13);
    cr_assert_eq(p->hits, 13);
    cr_assert_eq(b.good + b.bad, 13);
    cr_assert_leq(b.hits, 13);
    kw_price_history_free(h);
}

Test(backtest, zigzag_and_interval)
{
    kw_price_history *h = history(30, zigzag);
    kw_backtest b;
    cr_assert_eq(kw_backtest_run(h, 0, &b, NULL), 0);
    cr_assert_eq(b.scored, 29);
    cr_assert_eq(b.realised_good, 15);   /* the moves after timestamps 0, 2, 4, … are up */
    cr_assert_eq(b.realised_bad, 14);
    /* momentum always votes for the move just seen, so it is always wrong */
    cr_assert_eq(b.dao[KW_DAO_CRYPTO_MOMENTUM].hits, 0);
    /* A 600 s interval compares every other timestamp. */
    cr_assert_eq(kw_backtest_run(h, 600, &b, NULL), 0);
    cr_assert_eq(b.interval, 600);
    cr_assert_eq(b.scored, 28);
    kw_price_history_free(h);
}

Test(backtest, refuses_what_cannot_be_replayed)
{
    kw_price_history *h = history(1, up2);
    kw_backtest b;
    kw_err e;
    cr_assert_eq(kw_backtest_run(h, 0, &b, &e), KW_EINVAL);
    cr_assert(strstr(e.msg, "two or more"), "%s", e.msg);
    kw_price_history_free(h);
    h = history(3, up2);
    cr_assert_eq(kw_backtest_run(h, -5, &b, &e), KW_EINVAL);
    kw_price_history_free(h);
}
