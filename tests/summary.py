#!/usr/bin/env python3
"""Prints one line "N passed, N failed" for one or more meson testlog.json files.

A Criterion executable counts as the number of test cases it ran (from its
"Synthesis" line); any other test program counts as one. A skipped test
(exit 77) did not run, so it is not counted as passed: the line then ends
with ", N skipped" and the skipped tests are named above it. Exits 1 on a
failure.
"""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def main(paths):
    passed = failed = 0
    skipped = []
    for path in paths:
        with open(path) as f:
            for line in f:
                t = json.loads(line)
                if t["result"] == "SKIP":
                    skipped.append(t["name"])
                    continue
                ok = t["result"] in ("OK", "EXPECTEDFAIL")
                m = SYNTH.search(ANSI.sub("", (t.get("stdout") or "") + (t.get("stderr") or "")))
                if m:
                    tested, passing = int(m.group(1)), int(m.group(2))
                    passed += passing
                    failed += tested - passing
                    if not ok and tested == passing:
                        failed += 1  # the program failed outside its cases (sanitizer, leak)
                elif ok:
                    passed += 1
                else:
                    failed += 1
    if skipped:
        print("skipped (did not run): " + ", ".join(skipped))
        print(f"{passed} passed, {failed} failed, {len(skipped)} skipped")
    else:
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
