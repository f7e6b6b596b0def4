#!/usr/bin/env bash
# The last phase of `make test`: the browser tests (scripts/e2e.sh), with beside them, at the
# lowest priority (nice 19) and one after another, the builds for the six platforms the daemon
# ships for (scripts/cross.sh), the unit tests of every package that does not use the book's
# test store as 32-bit x86 programs (scripts/unit-386.sh --not-booktest; the book's packages
# ran on PostgreSQL as 64-bit programs before) and the Debian package's check
# (scripts/deb-check.sh). The browser tests use about one core of two, waiting on their
# simulated floors; the rest, which times nothing, takes what they leave. Its output is
# printed after the browser tests'. Fails when any part failed.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
nice -n 19 bash -c 'scripts/cross.sh && scripts/unit-386.sh --not-booktest && scripts/deb-check.sh' > "$log" 2>&1 &
beside=$!
e2e=0
scripts/e2e.sh || e2e=$?
built=0
wait "$beside" || built=$?
echo "--- the builds for every platform, the 32-bit tests and the Debian package's check, run beside the browser tests"
cat "$log"
[ "$e2e" -eq 0 ] || echo "e2e: a browser test failed (above)" >&2
[ "$built" -eq 0 ] || echo "cross, unit-386 or deb-check failed (above)" >&2
[ "$e2e" -eq 0 ] && [ "$built" -eq 0 ]
