#!/usr/bin/env bash
# The unit tests of `make test`, and the fuzzers. The first pass runs every package with the
# race detector (scripts/unit-race.sh). The second starts as soon as the first is down to the
# packages that mostly wait (the daemon's longest tests): the packages whose tests open their
# store through book/booktest again on PostgreSQL (make unit-postgres), and beside them every
# other package but the daemon's as 32-bit x86 programs (scripts/unit-386.sh --not-booktest),
# with the fuzzers (scripts/fuzz.sh TIME) at the lowest priority (nice 19). The PostgreSQL
# tests leave a core idle much of their time, waiting for the database, and the fuzzers, which
# run each target for a fixed time whatever the load, take what the rest leaves; the browser
# tests, whose timing is the most sensitive, then run without them. Runs under scripts/pg.sh
# (CELLFORGE_TEST_POSTGRES set). The outputs are printed one after another. Fails when any part
# failed.
# Usage: scripts/pg.sh scripts/unit-and-fuzz.sh [FUZZTIME]   (default 10s)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --second ]; then
  exec scripts/unit-race.sh scripts/unit-and-fuzz.sh --second "${1:-10s}"
fi
time=$2

fuzz_log=$(mktemp)
pg_log=$(mktemp)
trap 'rm -f "$fuzz_log" "$pg_log"' EXIT
nice -n 19 scripts/fuzz.sh "$time" > "$fuzz_log" 2>&1 &
fuzz=$!
make --no-print-directory unit-postgres > "$pg_log" 2>&1 &
pg=$!
narrow=0
scripts/unit-386.sh --not-booktest || narrow=$?
on_pg=0
wait "$pg" || on_pg=$?
fuzzed=0
wait "$fuzz" || fuzzed=$?
echo "--- the book's packages on PostgreSQL, run beside the 32-bit pass"
cat "$pg_log"
echo "--- the fuzzers, run beside the second pass"
cat "$fuzz_log"
[ "$narrow" -eq 0 ] || echo "unit-386: a test as a 32-bit program failed (above)" >&2
[ "$on_pg" -eq 0 ] || echo "unit-postgres: a test on PostgreSQL failed (above)" >&2
[ "$fuzzed" -eq 0 ] || echo "fuzz: a fuzzer failed (above)" >&2
[ "$narrow" -eq 0 ] && [ "$on_pg" -eq 0 ] && [ "$fuzzed" -eq 0 ]
