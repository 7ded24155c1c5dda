#!/usr/bin/env bash
# `meson install` puts the dashboard beside the binary, and the installed
# binary serves that copy with no KALEWX_WEB_DIR set: the test marks the
# installed index.html so it cannot be mistaken for the source tree's.
set -u
. "$(dirname "$0")/lib.sh"
: "${BUILD_DIR:?BUILD_DIR must point at the build directory}"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait; rm -rf "$tmp"' EXIT

check install 0 meson install -C "$BUILD_DIR" --destdir "$tmp/root" --no-rebuild --quiet
bin=$(find "$tmp/root" -path '*/bin/kalewx' -type f)
web=$(find "$tmp/root" -path '*/share/kalewx/web' -type d)
[ -x "$bin" ] && [ -f "$web/index.html" ] && [ -f "$web/app.js" ] || { echo "FAIL: installed tree lacks the binary or web/"; find "$tmp/root"; exit 1; }
echo '<!doctype html><title>the installed copy</title>' > "$web/index.html"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u KALEWX_WEB_DIR PORT="$port" KALEWX_DATA_DIR="$tmp/data" DATABASE_URL= KALEWX_ENV=test LOG_LEVEL=warn \
    "$bin" serve > "$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/health" > /dev/null && break
    sleep 0.1
done
check index 0 curl -sf "http://127.0.0.1:$port/"; contains "the installed copy"
check script 0 curl -sf "http://127.0.0.1:$port/static/app.js"; contains "import"
[ "$fail" -eq 0 ] || cat "$tmp/serve.log"
exit $fail
