#!/usr/bin/env bash
# The executable's own help, version and settings handling, as a user meets them.
set -u
. "$(dirname "$0")/lib.sh"

check version 0 "$k" version; contains "kalewx 0."
check version-json 0 "$k" --json version; contains '{"version":'
check help 0 "$k" --help; contains "commands:"
check help-cmd 0 "$k" help bench; contains "usage: kalewx bench"
check cmd-help 0 "$k" bench --help; contains "usage: kalewx bench"
check no-args 1 "$k"
check unknown 1 "$k" frobnicate; contains "unknown command"
check help-unknown 1 "$k" help frobnicate
check bad-setting 1 env PORT=99999 "$k" version; contains "PORT"
check bad-phases 1 "$k" --planting-blocks 7 version; contains "CYCLE_LENGTH"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'PORT=4100\nNOPE=1\n' > "$tmp/bad.env"
check bad-file 1 "$k" --config "$tmp/bad.env" version; contains "bad.env:2"
printf 'PORT=4100\nJWT_SECRET=hunter2hunter2\n' > "$tmp/ok.env"
check config 0 env PORT=4200 "$k" --config "$tmp/ok.env" config
contains "4200"; contains "(set, hidden)"
case "$out" in *hunter2*) echo "FAIL: secret printed"; fail=1;; esac
check missing-file 1 "$k" --config "$tmp/none.env" version; contains "none.env"
exit $fail
