#!/usr/bin/env bash
# Installs the programs that tests and benchmarks use as real peers, when they are missing.
# Usage: scripts/deps.sh NAME...   (known: wrk sqlite3 bc jq mbpoll socat libmodbus-dev)
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
    wrk|sqlite3|bc|jq|mbpoll|socat)
      command -v "$dep" >/dev/null || { echo "deps: installing $dep"; apt_install "$dep"; } ;;
    libmodbus-dev)
      # A library, not a program: present when pkg-config knows it and a C compiler can use it.
      for tool in cc pkg-config; do
        command -v "$tool" >/dev/null || { echo "deps: installing $tool"; apt_install "$([ "$tool" = cc ] && echo gcc || echo pkg-config)"; }
      done
      pkg-config --exists libmodbus || { echo "deps: installing $dep"; apt_install "$dep"; }
      pkg-config --exists libmodbus || { echo "deps: $dep installed but pkg-config does not find libmodbus" >&2; exit 1; } ;;
    *)
      echo "deps: unknown dependency $dep" >&2; exit 1 ;;
  esac
done
