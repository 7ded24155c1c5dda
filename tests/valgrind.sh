#!/usr/bin/env bash
# Runs a test under valgrind memcheck, for `meson test --wrapper` (.ci/run):
#
#   - a test program (ELF) runs under valgrind itself, also when a runner
#     script starts it (tests/pg_env.sh PROGRAM);
#   - a shell test runs as is, but every `kalewx` it starts runs under
#     valgrind: its KALEWX is pointed at a link named kalewx to this script,
#     which then execs valgrind on the real binary (KW_VALGRIND_KALEWX).
#
# Each process writes its report to $KW_VALGRIND_LOGS/vg.PID.log (default
# ./valgrind-logs). A memory error or a definite leak makes that process exit
# 99, which fails the test, and leaves "ERROR SUMMARY: N" with N > 0 in its
# report, which .ci/run lists. Processes a test SIGKILLs on purpose leave a
# report without a summary.
set -u
here=$(dirname "$(readlink -f "$0")")
logs=${KW_VALGRIND_LOGS:-$PWD/valgrind-logs}
mkdir -p "$logs"
vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --num-callers=30 --log-file="$logs/vg.%p.log")
# Called as "kalewx" (the link below): the binary a shell test starts.
if [ "$(basename "$0")" = kalewx ]; then
    exec "${vg[@]}" "$KW_VALGRIND_KALEWX" "$@"
fi
if [ -n "${KALEWX:-}" ] && [ -z "${KW_VALGRIND_KALEWX:-}" ]; then
    ln -sf "$here/valgrind.sh" "$logs/kalewx"
    export KW_VALGRIND_KALEWX=$KALEWX KALEWX=$logs/kalewx KW_VALGRIND_LOGS=$logs
fi
elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
if elf "$1"; then
    exec "${vg[@]}" "$@"
fi
# A runner script such as tests/pg_env.sh COMMAND...: the command it runs is wrapped.
if [ $# -ge 2 ] && elf "$2"; then
    exec "$1" "$here/valgrind.sh" "${@:2}"
fi
exec "$@"
