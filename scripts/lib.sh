# shellcheck shell=bash
# scripts/lib.sh: what scripts/bench.sh and scripts/bench-batches.sh share, sourced by both:
# starting a daemon and reading the address it serves on. The script that sources it sets B, the
# directory holding the built cellforge, and kills "$pid" in its EXIT trap.

pid=""
# shellcheck disable=SC2034 # read by the scripts that source this one
url=""

# serving_url OUT [PID]: waits up to 60 s for the line in OUT where a daemon (process PID, when
# given) says where it serves, and prints the URL; fails when there is none or the process ended.
serving_url() {
  local u=""
  for _ in $(seq 1 6000); do
    u=$(grep -o 'http://[0-9.:]*' "$1" 2>/dev/null | head -1 || true)
    [ -n "$u" ] && { echo "$u"; return 0; }
    [ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

# serve DATA FLAG...: starts cellforge serve in the background on a free loopback port, with DATA
# as its data directory and FLAG... after, its output in DATA.out and its log in DATA.log; sets
# pid, and url once it serves. It exits the script when the daemon does not start. Call it from
# the script's own shell, not in a pipeline or $(...), so that pid reaches the EXIT trap.
serve() {
  local data=$1
  shift
  "$B/cellforge" serve --data "$data" --listen 127.0.0.1:0 "$@" > "$data.out" 2> "$data.log" &
  pid=$!
  # shellcheck disable=SC2034 # read by the scripts that source this one
  url=$(serving_url "$data.out" "$pid") || { echo "the daemon did not start:" >&2; cat "$data.log" >&2; exit 1; }
}

# seconds CMD...: runs CMD, its output discarded, and prints the seconds it took. It fails when
# CMD fails, and so does the assignment x=$(seconds CMD...), which ends the bench (set -e).
seconds() {
  local s e
  s=$(date +%s.%N)
  "$@" > /dev/null || { echo "bench: $* failed" >&2; return 1; }
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
fmt() { printf '%.*f' "${2:-2}" "$1"; }
field() { grep -o "\"$1\": *[0-9.]*" "$2" | head -1 | awk -F': *' '{print $2}'; }
