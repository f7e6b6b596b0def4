#!/usr/bin/env bash
# The unit tests of `make test`, and the fuzzers. The first pass runs every package with the
# race detector (scripts/unit-race.sh). The second starts as soon as the first is down to the
# packages that mostly wait (the daemon's longest tests): the packages whose tests open their
# store through book/booktest again, on PostgreSQL (make unit-postgres), with the fuzzers
# (scripts/fuzz.sh TIME, one worker a target) beside them at the lowest priority (nice 19). The
# PostgreSQL tests leave a core idle much of their time, waiting for the database, and the
# fuzzers, which run each target for a fixed time whatever the load, take what they leave; the
# browser tests, whose timing is the most sensitive, then run without them. Runs under
# scripts/pg.sh (CELLFORGE_TEST_POSTGRES set). The fuzzers' output is printed after the pass's.
# Fails when any part failed.
# Usage: scripts/pg.sh scripts/unit-and-fuzz.sh [FUZZTIME]   (default 10s)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --second ]; then
  exec scripts/unit-race.sh scripts/unit-and-fuzz.sh --second "${1:-10s}"
fi
time=$2

log=$(mktemp)
trap 'rm -f "$log"' EXIT
nice -n 19 scripts/fuzz.sh "$time" 1 > "$log" 2>&1 &
fuzz=$!
pass=0
make --no-print-directory unit-postgres || pass=$?
fuzzed=0
wait "$fuzz" || fuzzed=$?
echo "--- the fuzzers, run beside the second pass"
cat "$log"
[ "$pass" -eq 0 ] || echo "unit-postgres: a test on PostgreSQL failed (above)" >&2
[ "$fuzzed" -eq 0 ] || echo "fuzz: a fuzzer failed (above)" >&2
[ "$pass" -eq 0 ] && [ "$fuzzed" -eq 0 ]
