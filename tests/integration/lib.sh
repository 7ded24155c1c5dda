# Helpers shared by the shell integration tests; source it, then use
# check/contains and `exit $fail` at the end.
fail=0
check() { # check NAME EXPECTED_EXIT COMMAND... ; stdout+stderr in $out
    local name=$1 want=$2; shift 2
    out=$("$@" 2>&1); local got=$?
    if [ "$got" -ne "$want" ]; then echo "FAIL $name: exit $got, want $want"; echo "$out"; fail=1; fi
}
contains() { case "$out" in *"$1"*) ;; *) echo "FAIL: output lacks '$1'"; echo "$out"; fail=1;; esac; }
