#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang, ASan + UBSan, -Dfuzz=true)
# and runs each for a bounded time, printing one line per target.
#
#   tests/fuzz/run.sh [--seconds N] [--jobs N] [--log FILE] [TARGET...]
#
# Each target starts from its seed corpus (tests/fuzz/corpus/NAME, read only)
# and from what earlier runs found (build-fuzz/corpus/NAME). A crash, leak,
# sanitizer report, invariant failure (abort) or a 10 s hang fails the target;
# the input that did it is kept as build-fuzz/artifacts/NAME-crash-… and is
# the starting point of a unit test. --log appends meson-style JSON lines so
# tests/summary.py counts the targets. Without clang every target is skipped.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
log=""
targets=()
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    -*) echo "usage: $0 [--seconds N] [--jobs N] [--log FILE] [TARGET...]" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$root"/tests/fuzz/fuzz_*.c; do
        t=$(basename "$f" .c)
        targets+=("${t#fuzz_}")
    done
fi
bf=${FUZZ_BUILD:-$root/build-fuzz}

record() { # name result seconds text
    [ -n "$log" ] || return 0
    python3 -c 'import json,sys; print(json.dumps({"name": "fuzz_" + sys.argv[1], "result": sys.argv[2],
        "duration": float(sys.argv[3]), "stdout": sys.argv[4]}))' "$1" "$2" "$3" "$4" >>"$log"
}

if ! command -v clang >/dev/null; then
    echo "fuzz: clang is not installed (scripts/bootstrap installs it); ${#targets[@]} targets skipped"
    for t in "${targets[@]}"; do record "$t" SKIP 0 "clang missing"; done
    exit 0
fi

if [ ! -f "$bf/build.ninja" ]; then
    # The library is instrumented for coverage too, or libFuzzer would see only the targets' own edges.
    CC=clang meson setup "$bf" "$root" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fsanitize=fuzzer-no-link -Dwerror=true >"$root/build-fuzz.setup.log" 2>&1 ||
        { cat "$root/build-fuzz.setup.log" >&2; echo "fuzz: cannot configure $bf" >&2; exit 1; }
    rm -f "$root/build-fuzz.setup.log"
fi
if ! ninja -C "$bf" fuzz >"$bf/fuzz-build.log" 2>&1; then
    grep -E 'error|FAILED' "$bf/fuzz-build.log" | head -20 >&2
    echo "fuzz: the targets do not build (log: $bf/fuzz-build.log)" >&2
    for t in "${targets[@]}"; do record "$t" FAIL 0 "build failed"; done
    exit 1
fi
mkdir -p "$bf/artifacts" "$bf/logs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Runs one target; prints its line and leaves its status in logs/NAME.status.
run_one() {
    local t=$1 exe="$bf/tests/fuzz/fuzz_$1" out="$bf/logs/$1.log" start end rc runs cov line
    mkdir -p "$bf/corpus/$t"
    rm -f "$bf/artifacts/$t-"*
    start=$(date +%s)
    "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$bf/artifacts/$t-" "$bf/corpus/$t" "$root/tests/fuzz/corpus/$t" >"$out" 2>&1
    rc=$?
    end=$(date +%s)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1 | cut -d' ' -f2)
    if [ $rc -eq 0 ]; then
        line=$(printf 'fuzz %-8s ok      %9s runs  cov %5s  corpus %4s  %3ss' "$t" "${runs:-?}" "${cov:-?}" \
               "$(ls "$bf/corpus/$t" | wc -l)" "$((end - start))")
        echo "$line"
        record "$t" OK "$((end - start))" "$line"
        echo 0 >"$bf/logs/$t.status"
    else
        local why art
        why=$(grep -m1 -E 'ERROR: |runtime error:|==ERROR|deadly signal|timeout after' "$out" || echo "exit $rc")
        art=$(ls "$bf/artifacts/$t-"* 2>/dev/null | head -1)
        line=$(printf 'fuzz %-8s FAILED  %s\n      reproduce: %s %s\n      log: %s' "$t" "$why" "$exe" "${art:-?}" "$out")
        echo "$line"
        record "$t" FAIL "$((end - start))" "$(cat "$out" | tail -60)"
        echo 1 >"$bf/logs/$t.status"
    fi
}

echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $jobs at a time (build: $bf)"
running=0
for t in "${targets[@]}"; do
    if [ ! -x "$bf/tests/fuzz/fuzz_$t" ]; then
        echo "fuzz $t: no such target" >&2
        exit 2
    fi
    run_one "$t" &
    running=$((running + 1))
    if [ $running -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
failed=0
for t in "${targets[@]}"; do
    [ "$(cat "$bf/logs/$t.status" 2>/dev/null)" = 0 ] || failed=$((failed + 1))
done
echo "fuzz: $(( ${#targets[@]} - failed )) passed, $failed failed"
[ $failed -eq 0 ]
