#!/usr/bin/env bash
# make unit-386: every package's tests but the daemon's (cmd/cellforge, which starts whole
# 64-bit daemons), built as 32-bit x86 programs (GOARCH=386: int and uintptr of 32 bits, as on
# a 32-bit edge box) and run under qemu-i386, which scripts/deps.sh qemu-i386 fetches and
# registers with the kernel (this machine's kernel runs no 32-bit x86 program itself), without
# the race detector. The packages that open their store through book/booktest do so on
# PostgreSQL (CELLFORGE_TEST_STORE=postgres; under scripts/pg.sh, on its server). The packages
# that mostly wait (on PostgreSQL and InfluxDB taken away) are named first, so that go test
# starts them first, and four packages run at once (-p 4, not one a core): the book's packages
# on PostgreSQL mostly wait on the database too. Not part of make test, which it took past
# 20 minutes on 2 cores (README, Platforms).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh qemu-i386
export GOARCH=386 CELLFORGE_TEST_STORE=postgres

module=$(go list -m)
first=("$module/store/postgres" "$module/telemetry/bridge" "$module/book" "$module/cells" "$module/api/web" "$module/api")
packages=()
while read -r pkg; do
  [ "$pkg" = "$module/cmd/cellforge" ] || packages+=("$pkg")
done < <(go list ./...)
ordered=()
for f in "${first[@]}"; do
  for p in "${packages[@]}"; do
    [ "$p" = "$f" ] && ordered+=("$p")
  done
done
for p in "${packages[@]}"; do
  [[ " ${first[*]} " == *" $p "* ]] || ordered+=("$p")
done
go test -p 4 -vet=off -count=1 "${ordered[@]}"
