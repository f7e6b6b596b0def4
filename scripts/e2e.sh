#!/usr/bin/env bash
# Runs the web app's browser tests (api/web/e2e/*.test.mjs): each spec starts its own daemon on a
# free loopback port with a fresh data directory and drives Debian's chromium through
# playwright-core (network.test.mjs starts the hub of cmd/cellforge/testdata/net with two of its
# sites, and a PostgreSQL and a Mosquitto of its own, which it installs with scripts/deps.sh when
# missing). Installs what is missing first (chromium, Node.js and npm from Debian, the
# vendored front-end assets, playwright-core from npm) and builds bin/cellforge.
# Screenshots go to out/e2e/.
# Usage: scripts/e2e.sh [node --test arguments...]   (default: every spec in api/web/e2e/)
#   CELLFORGE_BIN=PATH     test that binary instead of building bin/cellforge
#   CELLFORGE_CONFIG=FILE  serve that factory file instead of configs/demo.yaml
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Debian's chromium, Node.js and npm, and playwright-core as api/web/e2e/package-lock.json pins it.
scripts/browser-deps.sh

if [ -z "${CELLFORGE_BIN:-}" ]; then
  # go build, which is quick when nothing changed
  make -s build
  export CELLFORGE_BIN="$root/bin/cellforge"
fi

mkdir -p out/e2e
if [ "$#" -eq 0 ]; then
  set -- api/web/e2e/
fi
# Two specs at a time: each has its own daemon, data directory, ports and browser, and a spec
# spends most of its time waiting for the simulated floor (the whole run used 0.45 of a core at
# one spec at a time, 0.9 at two). At three, the floors' timing slipped under the load: a
# loom's stop asked about mid-test, a double tap answered late.
exec node --test --test-concurrency=2 "$@"
