#!/usr/bin/env bash
# The dashboard in a real browser: Debian's Chromium driven by playwright-core
# (a test-only npm package, installed pinned into the build directory) against
# a real `kalewx serve` on the fast devnet. See dashboard.test.mjs.
# Exits 77 (a skip, which tests/summary.py does not count as passed) when
# Chromium or Node.js is missing: `scripts/bootstrap` installs both.
set -euo pipefail
PLAYWRIGHT_VERSION=1.64.1
: "${KALEWX:?KALEWX must point at the kalewx binary}"
: "${BUILD_DIR:?BUILD_DIR must point at the build directory}"
here=$(cd "$(dirname "$0")" && pwd)

for need in /usr/bin/chromium node npm; do
    if ! command -v "$need" >/dev/null; then
        echo "SKIP browser tests: $need is not installed (run scripts/bootstrap)"
        exit 77
    fi
done

if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    echo "SKIP browser tests: playwright-core $PLAYWRIGHT_VERSION needs Node.js 20 or later, this is $(node --version)"
    exit 77
fi

dir="$BUILD_DIR/browser"
mkdir -p "$dir/screenshots"
installed=$(node -p "try { require('$dir/node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$installed" != "$PLAYWRIGHT_VERSION" ]; then
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION"
fi
PLAYWRIGHT_DIR="$dir" SCREENSHOTS="$dir/screenshots" exec node "$here/dashboard.test.mjs"
