#include "store/pgsession.h"

#include <stdio.h>
#include <string.h>

/* DEAD_S = idle + interval · count, and the same bound for unacknowledged sends. */
#define KEEPALIVE_IDLE "4"
#define KEEPALIVE_INTERVAL "2"
#define KEEPALIVE_COUNT "3"
#define USER_TIMEOUT_MS "10000"
#define SERVER_KEEPALIVES "-c tcp_keepalives_idle=4 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3"

_Static_assert(4 + 2 * 3 == KW_PGSESSION_DEAD_S, "keepalive settings and KW_PGSESSION_DEAD_S disagree");

static void quiet(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n')
            *s = ' ';
}

int kw_pgsession_connect(const char *url, const char *role, PGconn **out, kw_err *err)
{
    char name[64];
    snprintf(name, sizeof name, "kalewx-%s", role);
    /* The URL comes last: with expand_dbname its parameters override ours. */
    const char *const keys[] = {"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                                "tcp_user_timeout", "connect_timeout", "options", "application_name",
                                "dbname", NULL};
    const char *const values[] = {"1", KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT, USER_TIMEOUT_MS,
                                  "10", SERVER_KEEPALIVES, name, url, NULL};
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s", c ? PQerrorMessage(c) : "out of memory");
        one_line(msg);
        PQfinish(c);
        return kw_err_set(err, KW_ETRANSIENT, "cannot open a PostgreSQL session for the %s: %s", role, msg);
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    *out = c;
    return 0;
}

int kw_pgsession_query(PGconn *c, const char *sql, int nparams, const char *const *params, char *buf,
                       size_t cap, kw_err *err)
{
    PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        char msg[200];
        const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        snprintf(msg, sizeof msg, "%s", primary ? primary : PQerrorMessage(c));
        one_line(msg);
        PQclear(res);
        return kw_err_set(err, PQstatus(c) == CONNECTION_OK ? KW_EIO : KW_ETRANSIENT, "PostgreSQL session: %s", msg);
    }
    if (cap)
        snprintf(buf, cap, "%s", st == PGRES_TUPLES_OK && PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return 0;
}
