#!/usr/bin/env bash
# The last phase of `make test`: the browser tests (scripts/e2e.sh), with beside them, at the
# lowest priority (nice 19), the builds for the six platforms the daemon ships for
# (scripts/cross.sh) and the Debian package's check (scripts/deb-check.sh). The browser tests
# use about one core of two, waiting on their simulated floors; the builds and the package's
# check, which time nothing, take what they leave. (The 32-bit tests, make unit-386, ran here
# too for one run: the phase took minutes more, and make test more than 20.) Their output is
# printed after the browser tests'. Fails when any of them failed.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
nice -n 19 bash -c 'scripts/cross.sh && scripts/deb-check.sh' > "$log" 2>&1 &
builds=$!
e2e=0
scripts/e2e.sh || e2e=$?
built=0
wait "$builds" || built=$?
echo "--- the builds for every platform and the Debian package's check, run beside the browser tests"
cat "$log"
[ "$e2e" -eq 0 ] || echo "e2e: a browser test failed (above)" >&2
[ "$built" -eq 0 ] || echo "cross or deb-check failed (above)" >&2
[ "$e2e" -eq 0 ] && [ "$built" -eq 0 ]
