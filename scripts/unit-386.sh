#!/usr/bin/env bash
# The second pass of `make unit`: every package's tests but the daemon's, built as 32-bit x86
# programs (GOARCH=386: int and uintptr of 32 bits, as on a 32-bit edge box) and run under
# qemu-i386, which scripts/deps.sh qemu-i386 fetches and registers with the kernel (this
# machine's kernel runs no 32-bit x86 program itself). Without the race detector, whose cost
# the first pass paid, and with the packages that open their store through book/booktest on
# PostgreSQL (CELLFORGE_TEST_STORE=postgres; the first pass ran them on SQLite): what is new
# to a package here is its integers' width and which store answers. The daemon's tests
# (cmd/cellforge), which start whole 64-bit daemons, run in the first pass only. The tests of
# the largest inputs, which race nothing, run here only.
# The longest packages, which mostly wait on the database, are named first, so that go test
# starts them first; three test binaries run at a time. Runs under scripts/pg.sh
# (CELLFORGE_TEST_POSTGRES set).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh qemu-i386
export GOARCH=386 CELLFORGE_TEST_STORE=postgres

first=(./book ./cells ./api/web ./api ./store/postgres ./api/hub ./telemetry/bridge ./cells/planner)
rest=()
for p in $(go list ./... | grep -v '/cmd/cellforge$'); do
  skip=0
  for f in "${first[@]}"; do
    [ "$p" = "github.com/cellforge/cellforge/${f#./}" ] && skip=1
  done
  [ "$skip" = 1 ] || rest+=("$p")
done
go test -count=1 -p 3 "${first[@]}" "${rest[@]}"
