#!/usr/bin/env bash
# The first pass of `make unit`: every package's tests with the race detector on. The packages
# that mostly wait start at once beside the others: the daemon's tests (cmd/cellforge: whole
# daemons, brokers and databases, the longest package by far), the bridge's (InfluxDB's
# outages) and the PostgreSQL store's (its server's). Left to go test's order they started
# last and ended the pass with a core idle. The daemon's longest tests (a database outage, the
# kill -9 tests, the reloads: each with its own daemons, ports and data) run four at a time
# (-parallel 4): one after another they took 210 of the package's 340 s.
# The waiting packages' output is printed after the others'. Fails when either part failed.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
waiting=(./cmd/cellforge ./telemetry/bridge ./store/postgres)
go test -race -count=1 -parallel 4 "${waiting[@]}" > "$log" 2>&1 &
waited=$!

rest=0
# shellcheck disable=SC2046 # one argument a package
go test -race -count=1 $(go list ./... | grep -v -e '/cmd/cellforge$' -e '/telemetry/bridge$' -e '/store/postgres$') || rest=$?
waiting_status=0
wait "$waited" || waiting_status=$?
cat "$log"
[ "$rest" -eq 0 ] && [ "$waiting_status" -eq 0 ]
