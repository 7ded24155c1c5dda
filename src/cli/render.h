/*
 * render — the data of API replies as people read them on a terminal:
 * aligned tables and short reports (SPEC §12). Each function takes the
 * envelope's data exactly as the server sent it (docs/api.md); a missing
 * field prints as "-", so a reply from an older or newer server never makes
 * the client fail. Amounts are printed as the server formats them.
 *
 * Pure apart from writing to out; thread-safe on distinct FILEs.
 * Functions return 0, or KW_ENOMEM.
 */
#ifndef KW_CLI_RENDER_H
#define KW_CLI_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/err.h"

/* A JSON value as a table cell: strings as they are, integers in decimal,
 * reals with 3 decimals, booleans as yes/no, null or absent as "-". */
const char *kw_render_cell(const json_t *v, char *buf, size_t cap);

/* GET /me: the account and its balances. */
int kw_render_balance(FILE *out, bool color, const json_t *me) KW_WUR;
/* GET /me/positions, /me/wagers, /me/transactions, /me/actions, /daos. */
int kw_render_positions(FILE *out, bool color, const json_t *data) KW_WUR;
int kw_render_wagers(FILE *out, bool color, const json_t *data) KW_WUR;
int kw_render_transactions(FILE *out, bool color, const json_t *data) KW_WUR;
int kw_render_actions(FILE *out, bool color, const json_t *data) KW_WUR;
int kw_render_daos(FILE *out, bool color, const json_t *data) KW_WUR;
/* GET /cycles/{id}/results. */
int kw_render_results(FILE *out, bool color, const json_t *results) KW_WUR;
/* The caller's positions and wagers of one cycle (the data of /me/positions
 * and /me/wagers; either may be NULL), or nothing when there are none. */
int kw_render_mine(FILE *out, bool color, int64_t cycle_id, const json_t *positions, const json_t *wagers) KW_WUR;
/* GET /cycles/current at local time now_ms with the server's clock offset
 * skew_ms: the status line, participants, what is open, the DAOs, the
 * weather once known. */
void kw_render_current(FILE *out, bool color, const json_t *doc, int64_t now_ms, int64_t skew_ms);

#endif
