/*
 * handlers — the endpoint files of the API. Each src/api/handlers_NAME.c
 * adds its routes to the router with the kw_api as their ctx (or another
 * ctx it gets from the api), and is called once, from the table in api.c.
 * Returns 0 or the kw_router_add error.
 */
#ifndef KW_API_HANDLERS_H
#define KW_API_HANDLERS_H

#include "api/api.h"

/* GET /health, GET /ready, GET /metrics. */
int kw_handlers_system(kw_router *r, kw_api *api, kw_err *err) KW_WUR;

#endif
