#!/usr/bin/env bash
# scripts/cross.sh [--vet]: builds every package for each platform the daemon ships for
# (64-bit Linux on PCs and a Raspberry Pi's 64-bit OS, a Raspberry Pi's 32-bit OS, macOS on
# Apple silicon and Intel, Windows), and with --vet also vets them, test files included.
# Fails naming each target that failed, after trying them all.
set -euo pipefail
cd "$(dirname "$0")/.."

vet=0
case "${1:-}" in
  "") ;;
  --vet) vet=1 ;;
  *) echo "usage: scripts/cross.sh [--vet]" >&2; exit 2 ;;
esac

targets=(linux/amd64 linux/arm64 linux/arm darwin/arm64 darwin/amd64 windows/amd64)
failed=()
for t in "${targets[@]}"; do
  os=${t%/*} arch=${t#*/}
  # GOARM=7: the Raspberry Pi 2 and later under a 32-bit OS (ignored by the other targets)
  if ! GOOS=$os GOARCH=$arch GOARM=7 go build -o /dev/null ./... ; then
    echo "cross: go build failed for $t" >&2
    failed+=("$t")
    continue
  fi
  if [ "$vet" = 1 ] && ! GOOS=$os GOARCH=$arch GOARM=7 go vet ./... ; then
    echo "cross: go vet failed for $t" >&2
    failed+=("$t")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "cross: failed for ${failed[*]}" >&2
  exit 1
fi
echo "cross: ${targets[*]} built$([ "$vet" = 1 ] && echo ' and vetted')"
