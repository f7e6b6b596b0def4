#!/usr/bin/env bash
# The first pass of `make unit`: every package's tests with the race detector on. The packages
# that mostly wait start at once beside the others: the daemon's tests (cmd/cellforge: whole
# daemons, brokers and databases, the longest package by far), the bridge's (InfluxDB's
# outages) and the PostgreSQL store's (its server's). Left to go test's order they started
# last and ended the pass with a core idle. The daemon's longest tests (a database outage, the
# kill -9 tests, the reloads: each with its own daemons, ports and data) run four at a time
# (-parallel 4): one after another they took 210 of the package's 340 s.
# With a command (scripts/unit-race.sh COMMAND [ARG...]), the command starts as soon as the
# others are done, beside the waiting packages' last minutes (make test's second pass: a core
# was idle then). The others' and the command's output come as they run, the waiting
# packages' after them. Fails when any part failed.
#
# The SQLite engine (modernc.org/sqlite, SQLite's C translated to Go, with its libc and memory
# allocator: every package under modernc.org/) is built without the race detector's
# instrumentation. Our code's accesses are still all checked, and what crosses into the engine
# is copied there; instrumenting the engine's own memory made every test of the book on SQLite
# five times the work (store/sqlite's tests: 47 s of CPU against 10).
set -euo pipefail
cd "$(dirname "$0")/.."
race=(-race -gcflags='modernc.org/...=-race=false')

log=$(mktemp)
trap 'rm -f "$log"' EXIT
waiting=(./cmd/cellforge ./telemetry/bridge ./store/postgres)
go test "${race[@]}" -count=1 -parallel 4 "${waiting[@]}" > "$log" 2>&1 &
waited=$!

rest=0
# shellcheck disable=SC2046 # one argument a package
go test "${race[@]}" -count=1 $(go list ./... | grep -v -x -F -f <(printf "$(go list -m)/%s\n" "${waiting[@]#./}")) || rest=$?

then=0
if [ "$#" -gt 0 ]; then
  if [ "$rest" -eq 0 ]; then
    "$@" || then=$?
  else
    echo "unit-race: the race pass failed (above): $* not run" >&2
    then=1
  fi
fi
waiting_status=0
wait "$waited" || waiting_status=$?
echo "--- the packages that mostly wait, with the race detector on"
cat "$log"
[ "$waiting_status" -eq 0 ] || echo "unit-race: a package that mostly waits failed (just above)" >&2
[ "$rest" -eq 0 ] && [ "$waiting_status" -eq 0 ] && [ "$then" -eq 0 ]
