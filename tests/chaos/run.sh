#!/usr/bin/env bash
# Runs tests/chaos/chaos.c against a real `kalewx serve` (see its header):
#
#   tests/chaos/run.sh [--postgresql] [--seconds N] [chaos options...]
#
# The data directory is a 256 MiB tmpfs when this user may mount one (root),
# so the disk can really be filled; otherwise (or with CHAOS_NO_MOUNT set)
# chaos stands a restart under RLIMIT_FSIZE in for a full disk. --postgresql
# runs on a throwaway PostgreSQL server (tests/pg_env.sh) that chaos restarts
# with `pg_ctl restart -m immediate`. CHAOS_KEEP keeps the directory, logs
# and data for a post-mortem. Needs KALEWX (the binary) and CHAOS (the chaos
# program) in the environment; `ninja -C build` builds both (build/kalewx,
# build/tests/chaos/chaos).
set -u
here=$(cd "$(dirname "$0")" && pwd)
pg=0
args=()
for a in "$@"; do
    if [ "$a" = --postgresql ]; then pg=1; else args+=("$a"); fi
done
: "${KALEWX:?set KALEWX to the kalewx binary}" "${CHAOS:?set CHAOS to the chaos program}"

dir=$(mktemp -d "${TMPDIR:-/tmp}/kalewx-chaos.XXXXXX")
mkdir "$dir/data"
mounted=0
cleanup() {
    # CHAOS_KEEP keeps everything for a post-mortem, the tmpfs's files included.
    [ -n "${CHAOS_KEEP:-}" ] && [ $mounted -eq 1 ] && cp -a "$dir/data" "$dir/data.kept"
    [ $mounted -eq 1 ] && umount "$dir/data"
    [ $pg -eq 1 ] && kw_pg_stop
    if [ -n "${CHAOS_KEEP:-}" ]; then echo "chaos: kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
if [ -z "${CHAOS_NO_MOUNT:-}" ] && [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=256m,mode=0700 tmpfs "$dir/data" 2>/dev/null; then
    mounted=1
    export CHAOS_DISK=tmpfs
else
    export CHAOS_DISK=fsize
fi
export CHAOS_DIR=$dir
unset CHAOS_PG_RESTART
if [ $pg -eq 1 ]; then
    . "$here/../pg_env.sh"
    kw_pg_start || { echo "chaos: no PostgreSQL"; exit 1; }
    trap cleanup EXIT
    # pg_ctl restart reuses the options the server was started with.
    export CHAOS_PG_RESTART="${KW_PG_RUN[*]} $KW_PG_BIN/pg_ctl -D $KW_PG_DIR/data -l $KW_PG_DIR/server.log -m immediate -w -t 60 restart >/dev/null"
fi
"$CHAOS" "${args[@]}"
rc=$?
if [ $rc -ne 0 ]; then
    for f in "$dir"/server-*.log; do
        [ -f "$f" ] || continue
        if grep -q '"level":"error"' "$f"; then echo "== $f (errors)"; grep '"level":"error"' "$f" | tail -n 5; fi
    done
    echo "== last server log"; tail -n 30 "$(ls "$dir"/server-*.log | tail -n 1)"
fi
exit $rc
