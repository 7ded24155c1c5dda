#include "engine/leader.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/log.h"
#include "obs/metrics.h"
#include "store/pgsession.h"

typedef enum state {
    ST_NONE = 0,   /* not polled yet */
    ST_LEADING,
    ST_STANDBY,
    ST_FAILING,    /* the database does not answer */
} state;

struct kw_leader {
    kw_leader_options o;
    char *url;
    char key[24];
    PGconn *c;
    atomic_bool leading;
    state last;
    kw_metrics_series *gauge;
};

int kw_leader_open(const kw_leader_options *o, kw_leader **out, kw_err *err)
{
    kw_leader *l = calloc(1, sizeof *l);
    if (!l || (o->dialect == KW_DIALECT_PG && !(l->url = strdup(o->url ? o->url : "")))) {
        free(l);
        return kw_err_set(err, KW_ENOMEM, "out of memory");
    }
    l->o = *o;
    l->o.url = NULL;
    snprintf(l->key, sizeof l->key, "%" PRId64, o->key);
    if (o->report)
        l->gauge = kw_metrics_series_get(kw_metrics_std_global()->leader, NULL);
    *out = l;
    return 0;
}

static void become(kw_leader *l, state s, const char *why)
{
    atomic_store(&l->leading, s == ST_LEADING);
    if (s == l->last)
        return;
    if (l->o.report) {
        kw_metrics_set(l->gauge, s == ST_LEADING ? 1 : 0);
        if (s == ST_LEADING)
            KW_LOG(KW_LOG_INFO, "this replica leads", KW_LS("role", l->o.role));
        else if (s == ST_STANDBY)
            KW_LOG(KW_LOG_INFO, "standing by: another replica leads", KW_LS("role", l->o.role));
        else
            KW_LOG(KW_LOG_WARN, "cannot take part in the election", KW_LS("role", l->o.role), KW_LS("error", why));
    }
    l->last = s;
}

static void drop_session(kw_leader *l)
{
    PQfinish(l->c);
    l->c = NULL;
}

static int connect_session(kw_leader *l, kw_err *err)
{
    return l->c ? 0 : kw_pgsession_connect(l->url, l->o.role, &l->c, err);
}

bool kw_leader_poll(kw_leader *l)
{
    if (l->o.dialect != KW_DIALECT_PG) {
        become(l, ST_LEADING, NULL);
        return true;
    }
    kw_err err = {0};
    char got[8] = "";
    const char *params[] = {l->key};
    int rc = connect_session(l, &err);
    if (rc == 0 && atomic_load(&l->leading))
        rc = kw_pgsession_query(l->c, "SELECT 1", 0, NULL, NULL, 0, &err);
    else if (rc == 0)
        rc = kw_pgsession_query(l->c, "SELECT pg_try_advisory_lock(CAST($1 AS BIGINT))", 1, params, got, sizeof got,
                                &err);
    if (rc) {
        /* Whatever the session held is gone with it (or will be, once the
         * server notices): compete again from a new session next time. */
        drop_session(l);
        become(l, ST_FAILING, err.msg);
        return false;
    }
    if (atomic_load(&l->leading) || strcmp(got, "t") == 0) {
        become(l, ST_LEADING, NULL);
        return true;
    }
    become(l, ST_STANDBY, NULL);
    return false;
}

int kw_leader_wait(kw_leader *l, kw_err *err)
{
    if (l->o.dialect != KW_DIALECT_PG) {
        become(l, ST_LEADING, NULL);
        return 0;
    }
    const char *params[] = {l->key};
    int rc = connect_session(l, err);
    if (rc == 0)
        rc = kw_pgsession_query(l->c, "SELECT pg_advisory_lock(CAST($1 AS BIGINT))", 1, params, NULL, 0, err);
    if (rc) {
        drop_session(l);
        become(l, ST_FAILING, err ? err->msg : "");
        return rc;
    }
    become(l, ST_LEADING, NULL);
    return 0;
}

bool kw_leader_leading(const kw_leader *l) { return atomic_load(&l->leading); }

void kw_leader_close(kw_leader *l)
{
    if (!l)
        return;
    drop_session(l);
    if (l->o.report && l->last == ST_LEADING) {
        kw_metrics_set(l->gauge, 0);
        KW_LOG(KW_LOG_INFO, "no longer leading: stopping", KW_LS("role", l->o.role));
    }
    if (l->url)
        explicit_bzero(l->url, strlen(l->url));
    free(l->url);
    free(l);
}
