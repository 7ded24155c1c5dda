#!/usr/bin/env bash
# `kalewx migrate` as an operator meets it, on the backend DATABASE_URL names
# (SQLite under a fresh KALEWX_DATA_DIR when it is empty).
set -u
k=${KALEWX:?KALEWX must point at the kalewx binary}
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export KALEWX_DATA_DIR=$tmp/data LOG_LEVEL=warn
backend=sqlite
case "${DATABASE_URL:-}" in postgres*) backend=postgresql;; esac

check first 0 "$k" migrate; contains "$backend schema at version 3 (3 migrations applied)"
check again 0 "$k" migrate; contains "(0 migrations applied)"
check status 0 "$k" --json migrate --status; contains '"applied":0,"version":3,"latest":3'
check help 0 "$k" help migrate; contains "usage: kalewx migrate"
check bad-arg 1 "$k" migrate --frobnicate
check bad-url 1 env DATABASE_URL=mysql://x "$k" migrate; contains "DATABASE_URL"
check unreachable 2 env DATABASE_URL="postgresql:///none?host=$tmp/nosocket" "$k" migrate
check explicit-sqlite 0 env DATABASE_URL="sqlite:$tmp/other/x.db" "$k" migrate
[ -f "$tmp/other/x.db" ] || { echo "FAIL: sqlite:PATH not created"; fail=1; }
if [ $backend = sqlite ]; then
    [ -f "$tmp/data/kalewx.db" ] || { echo "FAIL: default database not in KALEWX_DATA_DIR"; fail=1; }
    sqlite3 "$tmp/data/kalewx.db" "INSERT INTO schema_migrations VALUES (42, 'future', 'x', 0)"
else
    psql -q "$DATABASE_URL" -c "INSERT INTO schema_migrations VALUES (42, 'future', 'x', 0)"
fi
check newer 3 "$k" migrate; contains "version 42"
exit $fail
