#!/usr/bin/env bash
# Runs the browser tests (scripts/e2e.sh) and the fuzzers (scripts/fuzz.sh TIME) at once, as
# `make test` does. The browser tests spend most of their time waiting for their simulated
# floors (they use under one core of two); the fuzzers, which run each target for a fixed time
# whatever the load, take the CPU the browser tests leave, at the lowest priority (nice 19), so
# that they do not slow the browser tests' daemons and pages. The fuzzers' output is printed
# whole after the browser tests'. Fails when either failed.
# Usage: scripts/e2e-and-fuzz.sh [FUZZTIME]   (default 10s)
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
nice -n 19 scripts/fuzz.sh "$time" > "$log" 2>&1 &
fuzz=$!

e2e=0
scripts/e2e.sh || e2e=$?
fuzzed=0
wait "$fuzz" || fuzzed=$?
echo "--- the fuzzers, run beside the browser tests"
cat "$log"
if [ "$e2e" -ne 0 ]; then
  echo "e2e: the browser tests failed (above)" >&2
fi
if [ "$fuzzed" -ne 0 ]; then
  echo "fuzz: a fuzzer failed (above)" >&2
fi
[ "$e2e" -eq 0 ] && [ "$fuzzed" -eq 0 ]
