#!/usr/bin/env bash
# Installs what the browser tests and the browser benchmark need when it is missing: Debian's
# chromium, Node.js and npm, and playwright-core at the version api/web/e2e/package-lock.json pins.
# Usage: scripts/browser-deps.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/deps.sh" nodejs npm chromium

e2e="$root/api/web/e2e"
# Like scripts/assets.sh: npm ci when node_modules is missing or older than the lockfile.
if [ ! -f "$e2e/node_modules/.package-lock.json" ] || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
  echo "browser-deps: npm ci in api/web/e2e"
  (cd "$e2e" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
