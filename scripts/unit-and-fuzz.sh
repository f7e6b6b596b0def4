#!/usr/bin/env bash
# The unit tests of `make test`, and the fuzzers: the first pass with the race detector
# (scripts/unit-race.sh), then the second as 32-bit programs on PostgreSQL
# (scripts/unit-386.sh), with the fuzzers (scripts/fuzz.sh TIME) beside it at the lowest
# priority (nice 19). The second pass leaves a core idle part of its time, waiting for its
# database, and the fuzzers, which run each target for a fixed time whatever the load, take
# what it leaves; the browser tests, whose timing is the most sensitive, then run without
# them. Runs under scripts/pg.sh (CELLFORGE_TEST_POSTGRES set). The fuzzers' output is printed
# whole after the pass's. Fails when either failed.
# Usage: scripts/pg.sh scripts/unit-and-fuzz.sh [FUZZTIME]   (default 10s)
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}

scripts/unit-race.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
nice -n 19 scripts/fuzz.sh "$time" > "$log" 2>&1 &
fuzz=$!
pass=0
scripts/unit-386.sh || pass=$?
fuzzed=0
wait "$fuzz" || fuzzed=$?
echo "--- the fuzzers, run beside the second pass"
cat "$log"
[ "$pass" -eq 0 ] || echo "unit-386: the tests as 32-bit programs on PostgreSQL failed (above)" >&2
[ "$fuzzed" -eq 0 ] || echo "fuzz: a fuzzer failed (above)" >&2
[ "$pass" -eq 0 ] && [ "$fuzzed" -eq 0 ]
