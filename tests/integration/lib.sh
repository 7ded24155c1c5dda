# Helpers of the shell integration tests: `. "$(dirname "$0")/lib.sh"`.
# check NAME EXPECTED_EXIT COMMAND... runs the command with stdout+stderr in $out;
# contains TEXT looks for TEXT in $out. Both set fail=1 on a mismatch.
k=${KALEWX:?KALEWX must point at the kalewx binary}
fail=0
check() {
    local name=$1 want=$2; shift 2
    out=$("$@" 2>&1); local got=$?
    if [ "$got" -ne "$want" ]; then echo "FAIL $name: exit $got, want $want"; echo "$out"; fail=1; fi
}
contains() { case "$out" in *"$1"*) ;; *) echo "FAIL: output lacks '$1'"; echo "$out"; fail=1;; esac; }
