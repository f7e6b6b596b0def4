#!/usr/bin/env bash
# Runs every fuzz target of the parsers of outside input for the given time each.
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}
targets=(
  "./configs FuzzParse"
  "./book/intake FuzzCSV"
  "./book/intake FuzzJSON"
  "./book/intake FuzzCSVRowLimit"
  "./firmware-sim/modbus FuzzTCPFrame"
  "./firmware-sim/modbus FuzzRTUFrame"
  "./firmware-sim/escpos FuzzESCPOS"
  "./firmware-sim/zpl FuzzZPL"
  "./drivers/modbus FuzzRTUAnswer"
  "./drivers/modbus FuzzTCPAnswer"
  "./scheduler FuzzParseFJS"
  "./telemetry FuzzDecode"
  "./telemetry/buffer FuzzFrames"
  "./telemetry/buffer FuzzCursor"
)
for t in "${targets[@]}"; do
  set -- $t
  echo "fuzzing $2 in $1 for $time"
  # A short minimisation, so that a failure found late is still reported as one.
  go test -run='^$' -fuzz="^$2\$" -fuzztime="$time" -fuzzminimizetime=100x "$1"
done
