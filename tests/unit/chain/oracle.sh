#!/usr/bin/env bash
# Cross-checks the C XDR encoder against @stellar/stellar-base 15.0.0 on
# randomised signed envelopes. The package is installed (pinned, test-only)
# into the build directory on first use.
# Usage: oracle.sh GENERATOR CHECK_JS BUILD_DIR
set -u
gen=$1 check=$2 dir=$3/stellar-base-oracle
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "SKIP: npm/node not installed; the @stellar/stellar-base cross-check needs them"
    exit 77
fi
pkg=$dir/node_modules/@stellar/stellar-base/package.json
if ! grep -q '"version": "15.0.0"' "$pkg" 2>/dev/null; then
    mkdir -p "$dir"
    if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error @stellar/stellar-base@15.0.0; then
        echo "FAIL: npm could not install @stellar/stellar-base@15.0.0 into $dir"
        exit 1
    fi
fi
"$gen" 1000 20261204 > "$dir/envelopes.jsonl" || { echo "FAIL: the generator failed"; exit 1; }
NODE_PATH=$dir/node_modules node "$check" "$dir/envelopes.jsonl"
