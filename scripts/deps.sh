#!/usr/bin/env bash
# Installs the programs that tests and benchmarks use as real peers, when they are missing.
# Usage: scripts/deps.sh NAME...   (known: wrk sqlite3 bc mbpoll socat)
set -euo pipefail

apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: $1 is missing and installing it needs root (apt-get install $1)" >&2
    exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

for dep in "$@"; do
  case "$dep" in
    wrk|sqlite3|bc|mbpoll|socat)
      command -v "$dep" >/dev/null || { echo "deps: installing $dep"; apt_install "$dep"; } ;;
    *)
      echo "deps: unknown dependency $dep" >&2; exit 1 ;;
  esac
done
