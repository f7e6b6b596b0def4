#!/usr/bin/env bash
# Vendors the web app's front-end libraries: installs api/web's npm packages at the versions its
# package-lock.json pins, then copies the files the pages load into api/web/static/vendor/, which
# is git-ignored and embedded into the binary by go:embed (so `make build`, `vet` and `unit` run
# this first). Quick and silent when everything is up to date.
# Usage: scripts/assets.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
web="$root/api/web"
vendor="$web/static/vendor"

command -v npm >/dev/null || "$root/scripts/deps.sh" nodejs npm

# npm ci writes node_modules/.package-lock.json last: its absence or an older time than the
# lockfile's means node_modules is missing, half-installed or from another lockfile.
if [ ! -f "$web/node_modules/.package-lock.json" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  echo "assets: npm ci in api/web"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

mkdir -p "$vendor"
# vendor_file SRC DST: copy a file from node_modules when it differs (cmp keeps an up-to-date
# tree untouched, so go build's cache stays valid).
vendor_file() {
  local src="$web/node_modules/$1" dst="$vendor/$2"
  [ -f "$src" ] || { echo "assets: $src is missing after npm ci" >&2; exit 1; }
  cmp -s "$src" "$dst" 2>/dev/null || cp "$src" "$dst"
}
vendor_file htmx.org/dist/htmx.min.js htmx.min.js
