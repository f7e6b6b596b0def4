#!/usr/bin/env bash
# The web app's front-end libraries. api/web/vendor.txt lists the files the pages load from npm
# packages; they are committed under api/web/static/vendor/ (go:embed puts them into the
# binary), so that a plain `go build` or `go install` needs no npm.
#
# Usage:
#   scripts/assets.sh          install api/web's npm packages at the versions package-lock.json
#                              pins and copy the listed files to static/vendor/ (after changing
#                              the lock file; then commit them)
#   scripts/assets.sh --check  fail, naming the file, when a committed copy is missing or is not
#                              the file of the pinned package (what `make test` runs)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
web="$root/api/web"
vendor="$web/static/vendor"
manifest="$web/vendor.txt"

mode=update
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: scripts/assets.sh [--check]" >&2; exit 2 ;;
esac

command -v npm >/dev/null || "$root/scripts/deps.sh" nodejs npm

# npm ci writes node_modules/.package-lock.json last: its absence or an older time than the
# lockfile's means node_modules is missing, half-installed or from another lockfile.
if [ ! -f "$web/node_modules/.package-lock.json" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  echo "assets: npm ci in api/web"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

mkdir -p "$vendor"
status=0
n=0
while read -r src dst rest; do
  case "$src" in ""|"#"*) continue ;; esac
  n=$((n + 1))
  if [ -z "$dst" ] || [ -n "$rest" ]; then
    echo "assets: api/web/vendor.txt: want '<path under node_modules> <name under static/vendor>' in: $src $dst $rest" >&2
    exit 1
  fi
  from="$web/node_modules/$src" to="$vendor/$dst"
  [ -f "$from" ] || { echo "assets: $from is missing after npm ci" >&2; exit 1; }
  if cmp -s "$from" "$to"; then
    continue
  fi
  if [ "$mode" = check ]; then
    if [ -f "$to" ]; then
      echo "assets: api/web/static/vendor/$dst is not $src of the version package-lock.json pins: run 'make assets' and commit it" >&2
    else
      echo "assets: api/web/static/vendor/$dst is missing: run 'make assets' and commit it" >&2
    fi
    status=1
  else
    # cmp above keeps an up-to-date tree untouched, so go build's cache stays valid
    cp "$from" "$to"
    echo "assets: copied $src to api/web/static/vendor/$dst"
  fi
done < "$manifest"
[ "$n" -gt 0 ] || { echo "assets: api/web/vendor.txt lists no files" >&2; exit 1; }
exit "$status"
