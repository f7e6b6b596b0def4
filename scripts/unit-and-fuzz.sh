#!/usr/bin/env bash
# The unit tests of `make test`, and the fuzzers. Two passes run side by side from the start:
# every package with the race detector (scripts/unit-race.sh), and every package but the
# daemon's again as 32-bit x86 programs, the packages whose tests open their store through
# book/booktest on PostgreSQL (scripts/unit-386.sh). The second mostly waits, on PostgreSQL and
# on qemu-i386's translation of each test binary; one after the other, the two left a core idle
# for minutes. The fuzzers (scripts/fuzz.sh TIME, one worker a target) start at the lowest
# priority (nice 19) once the race pass is down to the packages that mostly wait; they run each
# target for a fixed time whatever the load, and take what the rest leaves. The browser tests,
# whose timing is the most sensitive, then run without them. Runs under scripts/pg.sh
# (CELLFORGE_TEST_POSTGRES set). The 32-bit pass's output is printed after the rest. Fails when
# any part failed.
# Usage: scripts/pg.sh scripts/unit-and-fuzz.sh [FUZZTIME]   (default 10s)
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
scripts/unit-386.sh > "$log" 2>&1 &
pass386=$!
race=0
scripts/unit-race.sh nice -n 19 scripts/fuzz.sh "$time" 1 || race=$?
status386=0
wait "$pass386" || status386=$?
echo "--- every package but the daemon's as 32-bit x86 programs, the book's on PostgreSQL"
cat "$log"
[ "$race" -eq 0 ] || echo "unit-race or fuzz: a test with the race detector or a fuzzer failed (above)" >&2
[ "$status386" -eq 0 ] || echo "unit-386: a 32-bit test failed (just above)" >&2
[ "$race" -eq 0 ] && [ "$status386" -eq 0 ]
