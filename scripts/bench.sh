#!/usr/bin/env bash
# make bench: measures the batch import rate and the API's latency under load against a real
# daemon on loopback, each beside a peer measured in the same run, and writes docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
B=$root/.bench
rm -rf "$B"
mkdir -p "$B"
scripts/deps.sh wrk sqlite3 bc

echo "== building"
go build -o "$B/cellforge" ./cmd/cellforge
go build -o "$B/load" ./cmd/cellforge-load

# The demo studio with one drop big enough for every SKU of a 100,000-row batch.
{
  sed '/^drops:/,$d' configs/demo.yaml
  printf 'drops:\n  - id: bench\n    date: 2027-03-01\n    windows:\n'
  grep -E '^  - sku: ' configs/demo.yaml | awk '{print "      " $3 ": 1000000"}'
  sed -n '/^people:/,$p' configs/demo.yaml
} > "$B/bench.yaml"
skus=$(grep -E '^  - sku: ' configs/demo.yaml | awk '{print $3}' | paste -sd, -)
cells=$(sed -n '/^cells:/,/^products:/p' configs/demo.yaml | grep -E '^  - id: ' | awk '{print $3}')

# batch N FILE: N pre-order rows over the demo SKUs.
batch() {
  awk -v n="$1" -v skus="$skus" 'BEGIN {
    k = split(skus, s, ",")
    print "order_id,sku,quantity,customer,priority,notes"
    for (i = 1; i <= n; i++)
      printf "B-%07d,%s,%d,customer %d,%d,\"bench row %d, quoted\"\n", i, s[1 + i % k], 1 + i % 3, i, i % 3, i
  }' > "$2"
}
batch 100000 "$B/batch-100k.csv"
batch 10000 "$B/batch-10k.csv"

pid=""
url=""
# start_daemon DATA: serves the bench config on a free loopback port; sets pid and url.
start_daemon() {
  "$B/cellforge" serve --config "$B/bench.yaml" --data "$1" --listen 127.0.0.1:0 --log-level warn \
    > "$1.out" 2> "$1.log" &
  pid=$!
  for _ in $(seq 1 200); do
    url=$(grep -o 'http://[0-9.:]*' "$1.out" 2>/dev/null | head -1 || true)
    [ -n "$url" ] && curl -fs "$url/healthz" > /dev/null && return 0
    sleep 0.1
  done
  echo "the daemon did not start:"; cat "$1.log"; exit 1
}
stop_daemon() { kill "$pid"; wait "$pid" || true; }
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true' EXIT

seconds() { local s=$(date +%s.%N); "$@" > /dev/null; echo "$(date +%s.%N) - $s" | bc -l; }
fmt() { printf '%.*f' "${2:-2}" "$1"; }
field() { grep -o "\"$1\": *[0-9.]*" "$2" | head -1 | awk -F': *' '{print $2}'; }
token=demo-planner-token-0001

echo "== go benchmarks"
go test -run='^$' -bench='Import100k' -benchtime=1x -count=3 ./book/ | tee "$B/go-book.txt"
go test -run='^$' -bench=. -benchtime=10x ./book/intake/ | tee "$B/go-intake.txt"

echo "== import of 100,000 rows into the daemon, beside sqlite3's own .import"
start_daemon "$B/import"
t_import=$(seconds "$B/cellforge" import --server "$url" --token $token --drop bench --progress never "$B/batch-100k.csv")
t_reimport=$(seconds "$B/cellforge" import --server "$url" --token $token --drop bench --progress never "$B/batch-100k.csv")
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
ops_stored=$(curl -fs "$url/metrics" | awk '/^cellforge_operations\{/ {n += $2} END {printf "%d", n}')
events_stored=$(sqlite3 "$B/import/cellforge.db" "SELECT count(*) FROM events")
stop_daemon
t_sqlite=$(seconds sqlite3 "$B/peer.db" \
  "PRAGMA journal_mode=WAL;" "PRAGMA synchronous=FULL;" \
  "CREATE TABLE orders(order_id TEXT PRIMARY KEY, sku TEXT, quantity INTEGER, customer TEXT, priority INTEGER, notes TEXT);" \
  ".import --csv --skip 1 $B/batch-100k.csv orders")
csv_mb=$(du -m "$B/batch-100k.csv" | cut -f1)

echo "== API latency with 10,000 open work orders"
start_daemon "$B/latency"
"$B/cellforge" import --server "$url" --token $token --drop bench --progress never "$B/batch-10k.csv"
queue_urls=()
for c in $cells; do queue_urls+=("$url/api/v1/cells/$c/queue"); done
"$B/load" -rate 1000 -duration 20s "${queue_urls[@]}" | tee "$B/load-queue.json"
"$B/load" -rate 1000 -duration 20s "$url/healthz" | tee "$B/load-healthz.json"
first_cell=$(echo "$cells" | head -1)
queue_len=$(curl -fs "$url/api/v1/cells/$first_cell/queue?limit=10000" | grep -o '"order_id"' | wc -l)
wrk -t2 -c8 -d10s --latency "$url/api/v1/cells/$first_cell/queue" | tee "$B/wrk-queue.txt"
wrk -t2 -c8 -d10s --latency "$url/healthz" | tee "$B/wrk-healthz.txt"
stop_daemon
pid=""

wrk_rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
wrk_p99() { awk '$1 == "99%" {print $2}' "$1"; }
go_rate() { awk '/rows\/s/ {for (i = 1; i <= NF; i++) if ($(i+1) == "rows/s") print $i}' "$1" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

q_p99=$(field p99_ms "$B/load-queue.json"); h_p99=$(field p99_ms "$B/load-healthz.json")
q_p50=$(field p50_ms "$B/load-queue.json"); h_p50=$(field p50_ms "$B/load-healthz.json")

cat > docs/BENCHMARKS.md <<MD
# Benchmarks

Written by \`make bench\` (\`scripts/bench.sh\`) on $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD),
on this machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB.
The machine is shared and noisy, so every figure stands beside a peer measured in the same run,
and the ratio is what to compare between runs. The load tools run on the same two cores as the
daemon.

## Batch import

A 100,000-row CSV pre-order batch (${csv_mb} MB, every demo SKU, quoted notes) for one drop.

| what | time | rows/s |
| --- | --- | --- |
| \`cellforge import\` into a running daemon: HTTP upload, parse, check every row, one transaction storing 100,000 orders, work orders, their operations and events, and dispatching every first operation | $(fmt "$t_import") s | $(fmt "$(echo "100000 / $t_import" | bc -l)" 0) |
| the same batch sent again (every row recognised as already imported; nothing written) | $(fmt "$t_reimport") s | $(fmt "$(echo "100000 / $t_reimport" | bc -l)" 0) |
| peer: \`sqlite3\` \`.import\` of the same CSV into one plain table (WAL, synchronous=FULL) | $(fmt "$t_sqlite") s | $(fmt "$(echo "100000 / $t_sqlite" | bc -l)" 0) |

Ratio: the daemon's import takes **$(fmt "$(echo "$t_import / $t_sqlite" | bc -l)" 1)x** the time of sqlite3's bare
\`.import\`, while it validates every row and, for the 100,000 rows sqlite3 writes, stores 100,000
orders, 100,000 work orders, ${ops_stored} operations (the demo's routings have 4 to 7 steps) and
${events_stored} events, and updates the 100,000 first operations as it queues them. The daemon's peak resident memory over both imports was
$((rss_kb / 1024)) MiB. Aim: under 10 s.

Commands: \`cellforge import --drop bench --progress never batch-100k.csv\` and
\`sqlite3 peer.db "PRAGMA journal_mode=WAL;" "PRAGMA synchronous=FULL;" "CREATE TABLE ..." ".import --csv --skip 1 batch-100k.csv orders"\`.

In-process, without HTTP, on a smaller factory whose routings have 2 or 3 steps
(\`go test -run='^\$' -bench=Import100k -benchtime=1x -count=3 ./book/\`, median of 3):
**$(fmt "$(go_rate "$B/go-book.txt")" 0) rows/s**. Parsing alone
(\`go test -run='^\$' -bench=. -benchtime=10x ./book/intake/\`):

\`\`\`
$(grep -E '^Benchmark' "$B/go-intake.txt")
\`\`\`

## Queue reads under load

A fresh daemon holding 10,000 open work orders (a 10,000-row batch; every first operation
queued, ${queue_len} of them at \`$first_cell\`). Reads of \`GET /api/v1/cells/{cell}/queue\` (the
tablet's source: the first 100 entries), round-robin over every cell, beside \`GET /healthz\` (the
same HTTP stack without the store) as the peer.

Open loop at a fixed 1,000 requests/s for 20 s after a 2 s warm-up, latency from the moment each
request was due (\`cellforge-load -rate 1000 -duration 20s URL...\`):

| endpoint | p50 | p90 | p99 | p99.9 | max | errors |
| --- | --- | --- | --- | --- | --- | --- |
| queue | ${q_p50} ms | $(field p90_ms "$B/load-queue.json") ms | **${q_p99} ms** | $(field p999_ms "$B/load-queue.json") ms | $(field max_ms "$B/load-queue.json") ms | $(field errors "$B/load-queue.json") |
| healthz (peer) | ${h_p50} ms | $(field p90_ms "$B/load-healthz.json") ms | ${h_p99} ms | $(field p999_ms "$B/load-healthz.json") ms | $(field max_ms "$B/load-healthz.json") ms | $(field errors "$B/load-healthz.json") |

Ratio of p99: queue / healthz = **$(fmt "$(echo "$q_p99 / $h_p99" | bc -l)" 1)x**. Aim: queue p99 under 10 ms at 1,000 requests/s.

Closed loop, as fast as it goes (\`wrk -t2 -c8 -d10s --latency URL\`):

| endpoint | requests/s | p99 |
| --- | --- | --- |
| queue of \`$first_cell\` | $(wrk_rps "$B/wrk-queue.txt") | $(wrk_p99 "$B/wrk-queue.txt") |
| healthz (peer) | $(wrk_rps "$B/wrk-healthz.txt") | $(wrk_p99 "$B/wrk-healthz.txt") |

Ratio of throughput: queue / healthz = **$(fmt "$(echo "$(wrk_rps "$B/wrk-queue.txt") / $(wrk_rps "$B/wrk-healthz.txt")" | bc -l)" 2)**.
MD
echo "== wrote docs/BENCHMARKS.md"
