#!/usr/bin/env bash
# The second half of `make test`: the browser tests (scripts/e2e.sh), and beside them the unit
# tests' second pass on PostgreSQL (make unit-postgres, on a server of its own that scripts/pg.sh
# starts) and the fuzzers (scripts/fuzz.sh TIME). The browser tests spend most of their time
# waiting for their simulated floors (under one core of two), and their timing is what the
# others must not upset: the PostgreSQL pass runs at a lower priority (nice 10), the fuzzers,
# which run each target for a fixed time whatever the load, at the lowest (nice 19), so each
# takes the CPU the browser tests leave. The other two's output is printed whole after the
# browser tests'. Fails when any failed.
# Usage: scripts/e2e-and-fuzz.sh [FUZZTIME]   (default 10s)
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}

pglog=$(mktemp)
fuzzlog=$(mktemp)
trap 'rm -f "$pglog" "$fuzzlog"' EXIT
nice -n 10 scripts/pg.sh make --no-print-directory unit-postgres > "$pglog" 2>&1 &
pg=$!
nice -n 19 scripts/fuzz.sh "$time" > "$fuzzlog" 2>&1 &
fuzz=$!

e2e=0
scripts/e2e.sh || e2e=$?
pass=0
wait "$pg" || pass=$?
fuzzed=0
wait "$fuzz" || fuzzed=$?
echo "--- the unit tests on PostgreSQL, run beside the browser tests"
cat "$pglog"
echo "--- the fuzzers, run beside the browser tests"
cat "$fuzzlog"
[ "$e2e" -eq 0 ] || echo "e2e: the browser tests failed (above)" >&2
[ "$pass" -eq 0 ] || echo "unit-postgres: the tests on PostgreSQL failed (above)" >&2
[ "$fuzzed" -eq 0 ] || echo "fuzz: a fuzzer failed (above)" >&2
[ "$e2e" -eq 0 ] && [ "$pass" -eq 0 ] && [ "$fuzzed" -eq 0 ]
