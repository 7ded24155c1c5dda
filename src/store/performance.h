/*
 * performance — user_performance_summary, the per-user results that the API
 * shows (SPEC §8, §14): a materialized view on PostgreSQL, a table filled
 * from the view user_performance_live on SQLite. Either way it changes only
 * when kw_performance_refresh runs, which settlement does in its transaction.
 *
 * Thread-safety: as the kw_db passed in.
 */
#ifndef KW_STORE_PERFORMANCE_H
#define KW_STORE_PERFORMANCE_H

#include <stdint.h>

#include "store/store.h"

typedef struct kw_performance {
    int64_t user_id;
    int64_t cycles_participated;
    int64_t total_positions;
    int64_t total_staked;          /* stroops */
    int64_t total_rewards;         /* stroops, settled positions */
    double avg_weather_modifier;   /* mean modifier of settled positions */
    int64_t winning_positions;     /* settled with final_reward > stake */
    int64_t losing_positions;      /* settled with final_reward < stake */
    double roi_ratio;              /* (rewards − stakes) / stakes over settled positions */
    double weather_consistency;    /* population std. deviation of the modifier */
    int64_t first_activity;        /* Unix ms of the first and last action; 0 if none */
    int64_t last_activity;
} kw_performance;

/* Recomputes the summary for every user, inside the caller's write transaction. */
int kw_performance_refresh(kw_db *db, kw_err *err) KW_WUR;

/* The user's row as of the last refresh; KW_ENOTFOUND when it has none. */
int kw_performance_get(kw_db *db, int64_t user_id, kw_performance *out, kw_err *err) KW_WUR;

#endif
