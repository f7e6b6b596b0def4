#!/usr/bin/env bash
# The first pass of `make unit`: every package's tests with the race detector on. The daemon's
# tests (cmd/cellforge: whole daemons, brokers and databases, mostly waiting, and the longest
# package by far) start at once beside the others, which run two test binaries at a time: left
# to go test's order they started last and ended the pass alone. Their output is printed after
# the others'. Its longest tests (a database outage, the network of sites, the kill -9 tests,
# the reloads: each with its own daemons, ports and data) run four at a time (-parallel 4):
# one after another they took 280 of the package's 340 s, mostly waiting. Fails when either
# failed.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
go test -race -count=1 -parallel 4 ./cmd/cellforge > "$log" 2>&1 &
daemon=$!

rest=0
# shellcheck disable=SC2046 # one argument a package
go test -race -count=1 $(go list ./... | grep -v '/cmd/cellforge$') || rest=$?
daemon_status=0
wait "$daemon" || daemon_status=$?
cat "$log"
[ "$rest" -eq 0 ] && [ "$daemon_status" -eq 0 ]
