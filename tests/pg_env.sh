#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks.
#
#   tests/pg_env.sh COMMAND [ARGS...]
#       starts a server, runs COMMAND with DATABASE_URL pointing at a fresh
#       database "kalewx", stops the server, deletes it, and exits with
#       COMMAND's status.
#
#   . tests/pg_env.sh; kw_pg_start; ...; kw_pg_stop
#       the same from another script (kw_pg_start exports DATABASE_URL and
#       sets an EXIT trap that calls kw_pg_stop).
#
# The server lives in a temporary directory, listens only on a Unix socket
# there (no TCP), and runs as an unprivileged user: postgres refuses to run as
# root, so under root it runs as $KW_PG_USER (default "nobody"; created with
# useradd if it does not exist). KW_PG_FSYNC=on keeps durability on (for
# benchmarks); tests run with fsync off, which a crash of a client process
# (what the tests do) does not depend on.

kw_pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

kw_pg_start() {
    local bin user run port i
    bin=$(kw_pg_bindir) || { echo "pg_env: no PostgreSQL server binaries (install postgresql)" >&2; return 1; }
    KW_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kalewx-pg.XXXXXX") || return 1
    run=()
    if [ "$(id -u)" -eq 0 ]; then
        user=${KW_PG_USER:-nobody}
        if ! id -u "$user" >/dev/null 2>&1; then
            useradd --system --no-create-home --shell /usr/sbin/nologin "$user" || return 1
        fi
        chown "$user" "$KW_PG_DIR"
        run=(runuser -u "$user" --)
    fi
    KW_PG_RUN=("${run[@]}")
    KW_PG_BIN=$bin
    # A port number only names the socket file; nothing listens on TCP.
    port=$((20000 + RANDOM % 20000))
    "${run[@]}" "$bin/initdb" -D "$KW_PG_DIR/data" -U kalewx --auth=trust -E UTF8 --no-locale \
        --no-sync >"$KW_PG_DIR/initdb.log" 2>&1 || { cat "$KW_PG_DIR/initdb.log" >&2; return 1; }
    for i in 1 2 3 4 5; do
        if "${run[@]}" "$bin/pg_ctl" -D "$KW_PG_DIR/data" -l "$KW_PG_DIR/server.log" -w -t 60 \
            -o "-k $KW_PG_DIR -p $port -c listen_addresses= -c fsync=${KW_PG_FSYNC:-off} \
                -c max_connections=100 -c shared_buffers=64MB" start >/dev/null 2>&1; then
            break
        fi
        [ "$i" -eq 5 ] && { cat "$KW_PG_DIR/server.log" >&2; return 1; }
        port=$((20000 + RANDOM % 20000))
    done
    trap kw_pg_stop EXIT
    "${run[@]}" "$bin/createdb" -h "$KW_PG_DIR" -p "$port" -U kalewx kalewx || return 1
    export DATABASE_URL="postgresql://kalewx@/kalewx?host=$KW_PG_DIR&port=$port"
}

kw_pg_stop() {
    [ -n "${KW_PG_DIR:-}" ] || return 0
    "${KW_PG_RUN[@]}" "$KW_PG_BIN/pg_ctl" -D "$KW_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$KW_PG_DIR"
    KW_PG_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    [ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
    kw_pg_start || exit 1
    "$@"
    rc=$?
    kw_pg_stop
    exit $rc
fi
