#!/usr/bin/env bash
# Unit tests built as 32-bit x86 programs (GOARCH=386: int and uintptr of 32 bits, as on a
# 32-bit edge box) and run under qemu-i386, which scripts/deps.sh qemu-i386 fetches and
# registers with the kernel (this machine's kernel runs no 32-bit x86 program itself), without
# the race detector. The packages that open their store through book/booktest do so on
# PostgreSQL (CELLFORGE_TEST_STORE=postgres; under scripts/pg.sh, on its server).
# Usage: scripts/unit-386.sh [--not-booktest]
#   every package's tests but the daemon's (cmd/cellforge, which starts whole 64-bit daemons);
#   with --not-booktest, only those of the packages that do not use book/booktest: what make
#   test runs (scripts/e2e-and-builds.sh), where the others run on PostgreSQL as 64-bit
#   programs (make unit-postgres) and emulating them too took minutes more.
# The packages that mostly wait (on PostgreSQL and InfluxDB taken away) are named first, so
# that go test starts them first.
set -euo pipefail
cd "$(dirname "$0")/.."

only_not_booktest=0
case "${1:-}" in
  "") ;;
  --not-booktest) only_not_booktest=1 ;;
  *) echo "usage: scripts/unit-386.sh [--not-booktest]" >&2; exit 2 ;;
esac

scripts/deps.sh qemu-i386
export GOARCH=386 CELLFORGE_TEST_STORE=postgres

module=$(go list -m)
first=("$module/store/postgres" "$module/telemetry/bridge" "$module/book" "$module/cells" "$module/api/web" "$module/api")
packages=()
while read -r pkg imports; do
  [ "$pkg" = "$module/cmd/cellforge" ] && continue
  [ "$only_not_booktest" = 1 ] && [[ " $imports " == *" $module/book/booktest "* ]] && continue
  packages+=("$pkg")
done < <(go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./...)
ordered=()
for f in "${first[@]}"; do
  for p in "${packages[@]}"; do
    [ "$p" = "$f" ] && ordered+=("$p")
  done
done
for p in "${packages[@]}"; do
  [[ " ${first[*]} " == *" $p "* ]] || ordered+=("$p")
done
go test -count=1 "${ordered[@]}"
