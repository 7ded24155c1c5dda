#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cli/render.h"

typedef int (*render_fn)(FILE *out, bool color, const json_t *data);

/* Renders a canned reply's data and returns the text (caller frees). */
static char *render(render_fn fn, const char *data)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_t *d = json_loads(data, 0, NULL);
    cr_assert_not_null(d, "%s", data);
    cr_assert_eq(fn(f, false, d), 0);
    fclose(f);
    json_decref(d);
    return buf;
}

Test(render, cells)
{
    char buf[64];
    json_t *v = json_pack("[s,i,f,b,b,n]", "GOOD", 42, 0.6667, 1, 0);
    const char *want[] = {"GOOD", "42", "0.667", "yes", "no", "-"};
    for (size_t i = 0; i < 6; i++)
        cr_assert_str_eq(kw_render_cell(json_array_get(v, i), buf, sizeof buf), want[i]);
    cr_assert_str_eq(kw_render_cell(NULL, buf, sizeof buf), "-");
    json_decref(v);
}

Test(render, balance)
{
    char *s = render(kw_render_balance,
                     "{\"id\":1,\"username\":\"alice\",\"custodial_address\":\"GABC\",\"wallet\":null,"
                     "\"balances\":{\"available\":\"100.0000000\",\"escrow\":\"5.0000000\"}}");
    cr_assert_str_eq(s, "alice  (GABC)\n"
                        "available  100.0000000 KALE\n"
                        "in escrow    5.0000000 KALE\n");
    free(s);
}

Test(render, positions_table_and_empty_list)
{
    char *s = render(kw_render_positions,
                     "{\"positions\":[{\"id\":7,\"cycle_id\":12,\"type\":\"plant\",\"stake\":\"5.0000000\",\"status\":"
                     "\"settled\",\"kale_block\":121,\"base_reward\":\"0.4000000\",\"final_reward\":\"8.7000000\","
                     "\"weather_modifier\":1.61,\"error\":null},{\"id\":8,\"cycle_id\":13,\"type\":\"store\",\"stake\":"
                     "\"10.0000000\",\"status\":\"pending\",\"kale_block\":null,\"base_reward\":null,\"final_reward\":null,"
                     "\"weather_modifier\":null,\"error\":null}]}");
    cr_assert_str_eq(s, "id  cycle  type        stake  status   block  chain reward      final  modifier\n"
                        " 7     12  plant   5.0000000  settled    121     0.4000000  8.7000000     1.610\n"
                        " 8     13  store  10.0000000  pending      -             -          -         -\n");
    free(s);
    s = render(kw_render_positions, "{\"positions\":[]}");
    cr_assert(strstr(s, "no positions yet"), "%s", s);
    free(s);
}

Test(render, wagers_transactions_actions_daos)
{
    char *s = render(kw_render_wagers, "{\"wagers\":[{\"id\":3,\"cycle_id\":12,\"direction\":\"good\",\"amount\":"
                                       "\"2.0000000\",\"status\":\"won\",\"payout\":\"3.9600000\"}]}");
    cr_assert_str_eq(s, "id  cycle  on       amount  status     payout\n"
                        " 3     12  good  2.0000000  won     3.9600000\n");
    free(s);
    s = render(kw_render_transactions, "{\"transactions\":[{\"id\":1,\"kind\":\"deposit\",\"amount\":\"100.0000000\","
                                       "\"memo\":\"faucet\",\"created_at\":\"2026-12-04T20:00:00.000Z\"}]}");
    cr_assert(strstr(s, "deposit  100.0000000  faucet"), "%s", s);
    free(s);
    s = render(kw_render_actions, "{\"actions\":[]}");
    cr_assert_str_eq(s, "no actions yet\n");
    free(s);
    s = render(kw_render_daos, "{\"daos\":[{\"id\":\"crypto-momentum\",\"base_weight\":1.0,\"accuracy\":0.67,"
                               "\"total_votes\":200,\"correct_votes\":134,\"weight\":0.4,\"last_vote_cycle\":-1},"
                               "{\"id\":\"volume-price\",\"last_vote_cycle\":12}]}");
    cr_assert_str_eq(s, "dao               base  accuracy  correct  votes  weight  last vote\n"
                        "crypto-momentum  1.000     0.670      134    200   0.400          -\n"
                        "volume-price         -         -        -      -       -         12\n");
    free(s);
}

Test(render, results_and_my_part_of_the_cycle)
{
    char *s = render(kw_render_results,
                     "{\"cycle_id\":12,\"outcome\":\"GOOD\",\"final_score\":63.2,\"dao_score\":58.1,\"weather_score\":71.0,"
                     "\"confidence\":0.264,\"location\":\"Tokyo\",\"consensus\":{\"agreement\":0.667},"
                     "\"positions\":{\"count\":3,\"staked\":\"15.0000000\",\"rewards\":\"23.1000000\"},"
                     "\"wagers\":{\"good_pool\":\"10.0000000\",\"bad_pool\":\"4.0000000\",\"fee\":\"0.0400000\",\"refunded\":false}}");
    cr_assert_str_eq(s, "cycle 12: GOOD  final score 63.200 (DAOs 58.100, weather 71.000)  confidence 0.264  Tokyo\n"
                        "consensus: agreement 0.667\n"
                        "positions: 3, staked 15.0000000 KALE, rewards 23.1000000 KALE\n"
                        "wagers: GOOD pool 10.0000000, BAD pool 4.0000000, fee 0.0400000 KALE\n");
    free(s);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_t *pos = json_loads("{\"positions\":[{\"id\":7,\"cycle_id\":12,\"type\":\"plant\"},{\"id\":9,\"cycle_id\":14}]}", 0, NULL);
    json_t *wag = json_loads("{\"wagers\":[{\"id\":3,\"cycle_id\":11}]}", 0, NULL);
    cr_assert_eq(kw_render_mine(f, false, 12, pos, wag), 0);
    fclose(f);
    cr_assert(strstr(buf, "your positions:\nid  cycle  type"), "%s", buf);
    cr_assert(strstr(buf, " 7     12  plant"), "%s", buf);
    cr_assert(!strstr(buf, " 9 "), "another cycle's position is left out: %s", buf);
    cr_assert(!strstr(buf, "your wagers"), "no wager in cycle 12: %s", buf);
    free(buf);
    json_decref(pos);
    json_decref(wag);
}

Test(render, current_cycle)
{
    json_t *d = json_loads("{\"cycle\":{\"id\":12,\"start_block\":120,\"end_block\":129,\"current_block\":122,\"phase\":"
                           "\"planting\",\"block_in_cycle\":2,\"blocks_remaining\":7,\"phase_progress\":0.333,\"state\":"
                           "\"planting\",\"block_start_ms\":1796414400000,\"block_interval_ms\":10000},"
                           "\"participants\":{\"total\":4,\"farmers\":3,\"wagerers\":1},\"actions_available\":[\"plant\","
                           "\"store\",\"wager\",\"stay\"],\"dao\":{\"commitments\":[],\"sentiment\":null}}",
                           0, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kw_render_current(f, false, d, INT64_C(1796414402500), 0);
    fclose(f);
    cr_assert_str_eq(buf, "cycle 12  planting   block 3/10 [###-------------]  next block 8s  ends 1m18s\n"
                          "KALE block 122 (cycle blocks 120–129)\n"
                          "participants: 4 (3 farming, 1 wagering)\n"
                          "open for: plant, store, wager, stay\n"
                          "DAOs: 0 committed\n");
    free(buf);
    json_decref(d);
}
