#!/usr/bin/env bash
# make unit-arm: every package's tests again, built as a 32-bit ARM program (a
# Raspberry Pi's 32-bit OS: int is 32 bits there) and run under qemu-arm (scripts/deps.sh
# qemu-arm), without the race detector, the tests of the packages that use book/booktest on
# PostgreSQL (make test's first pass runs them on SQLite). make unit-386 runs them
# as 32-bit x86 programs (scripts/unit-386.sh); this is the other 32-bit target, a Pi's.
# The daemon's tests (cmd/cellforge), which start whole daemons, are left out.
# The longest packages, which mostly wait (on PostgreSQL's and InfluxDB's outages), start at
# once beside the others, as make test's first pass does with the daemon's. Runs under
# scripts/pg.sh (make unit-arm). Not part of make test: under emulation it takes longer than
# the rest of make test together (14 minutes and more on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh qemu-arm
export GOARCH=arm GOARM=7 CELLFORGE_TEST_STORE=postgres

waiting=(./store/postgres ./telemetry/bridge)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
go test -count=1 "${waiting[@]}" > "$log" 2>&1 &
long=$!

rest=0
# shellcheck disable=SC2046 # one argument a package
go test -count=1 $(go list ./... | grep -v -e '/cmd/cellforge$' -e '/store/postgres$' -e '/telemetry/bridge$') || rest=$?
long_status=0
wait "$long" || long_status=$?
cat "$log"
[ "$rest" -eq 0 ] && [ "$long_status" -eq 0 ]
