#!/usr/bin/env bash
# scripts/bench-postgres.sh DIR: the order book on PostgreSQL beside SQLite, in one run: the
# import of 100,000 rows into a daemon on each store, beside the bare bulk load of the same CSV
# by each database's own client (sqlite3's .import, psql's \copy); and the queue API's latency at
# 1,000 requests/s on each store. make bench runs it (scripts/bench.sh) under scripts/pg.sh
# with PG_FSYNC=on, with DIR holding the built cellforge and cellforge-load, the bench config and
# the batches; it writes DIR/postgres.md, a section of docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$1
P=$B/postgres
rm -rf "$P"
mkdir -p "$P"
[ -n "${CELLFORGE_TEST_POSTGRES:-}" ] || { echo "bench-postgres: run it under scripts/pg.sh (CELLFORGE_TEST_POSTGRES is not set)" >&2; exit 1; }
admin=$CELLFORGE_TEST_POSTGRES
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
scripts/deps.sh sqlite3 bc jq

# shellcheck source=scripts/lib.sh
. scripts/lib.sh
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT

# database NAME: a new database on the run's server; prints its URL.
database() {
  "$pgbin/psql" -qX "$admin" -c "CREATE DATABASE $1" > /dev/null
  echo "${admin%%/postgres\?*}/$1?sslmode=disable"
}
# start DATA STORE: serves the bench config with its book on STORE (sqlite or a URL), planning
# off; sets pid and url once it answers.
start() {
  serve "$1" --config "$B/bench.yaml" --log-level warn --plan-search 0 --store "$2"
  curl -fs "$url/healthz" > /dev/null || { echo "the daemon does not answer:" >&2; cat "$1.log" >&2; exit 1; }
}
stop() { kill "$pid"; wait "$pid" || true; pid=""; }
token=demo-planner-token-0001
bearer="Authorization: Bearer $token"
cells=$(sed -n '/^cells:/,/^products:/p' configs/demo.yaml | grep -E '^  - id: ' | awk '{print $3}')
first_cell=$(echo "$cells" | head -1)
import() { "$B/cellforge" import --server "$url" --token $token --drop bench --progress never "$1"; }
# med FILE: the median of the numbers in FILE.
med() { sort -g "$1" | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; printf "%.2f", a[int((NR + 1) / 2)] }'; }

echo "== the import of 100,000 rows on SQLite and on PostgreSQL, beside sqlite3's .import and psql's \\copy"
: > "$P/import-sqlite.txt"; : > "$P/import-pg.txt"; : > "$P/peer-sqlite.txt"; : > "$P/peer-pg.txt"
# Three rounds, each store in turn, so that both meet the same spells of load from the rest of
# the machine.
for round in 1 2 3; do
  start "$P/sqlite-$round" sqlite
  seconds import "$B/batch-100k.csv" | tee -a "$P/import-sqlite.txt"
  stop
  start "$P/pg-$round" "$(database "import_$round")"
  seconds import "$B/batch-100k.csv" | tee -a "$P/import-pg.txt"
  [ "$round" = 1 ] && pg_ops=$(curl -fs "$url/metrics" | awk '/^cellforge_operations\{/ {n += $2} END {printf "%d", n}' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
  stop
  seconds sqlite3 "$P/peer-$round.db" "PRAGMA journal_mode=WAL;" "PRAGMA synchronous=FULL;" \
    "CREATE TABLE orders(order_id TEXT PRIMARY KEY, sku TEXT, quantity INTEGER, customer TEXT, priority INTEGER, notes TEXT);" \
    ".import --csv --skip 1 $B/batch-100k.csv orders" | tee -a "$P/peer-sqlite.txt"
  peer=$(database "peer_$round")
  "$pgbin/psql" -qX "$peer" -c "CREATE TABLE orders(order_id TEXT PRIMARY KEY, sku TEXT, quantity BIGINT, customer TEXT, priority BIGINT, notes TEXT)" > /dev/null
  seconds "$pgbin/psql" -qX "$peer" -c "\\copy orders FROM '$B/batch-100k.csv' WITH (FORMAT csv, HEADER true)" | tee -a "$P/peer-pg.txt"
done
i_sqlite=$(med "$P/import-sqlite.txt"); i_pg=$(med "$P/import-pg.txt")
p_sqlite=$(med "$P/peer-sqlite.txt"); p_pg=$(med "$P/peer-pg.txt")

echo "== the queue API at 1,000 requests/s with 10,000 open work orders, on SQLite and on PostgreSQL"
queue() {
  local data=$1 store=$2 urls=() c
  start "$data" "$store"
  import "$B/batch-10k.csv" > /dev/null
  for c in $cells; do urls+=("$url/api/v1/cells/$c/queue"); done
  "$B/load" -rate 1000 -duration 20s -header "$bearer" "${urls[@]}" | tee "$data.json"
  stop
}
queue "$P/queue-sqlite" sqlite
queue "$P/queue-pg" "$(database queue)"
row() {
  echo "| $2 | $(field p50_ms "$1") ms | $(field p90_ms "$1") ms | **$(field p99_ms "$1") ms** | $(field p999_ms "$1") ms | $(field max_ms "$1") ms | $(field errors "$1") |"
}
q_sqlite=$(field p99_ms "$P/queue-sqlite.json"); q_pg=$(field p99_ms "$P/queue-pg.json")
pg_version=$("$pgbin/postgres" --version | awk '{print $3}')

cat > "$B/postgres.md" <<MD
## The order book on PostgreSQL

The same daemon with its book on SQLite (the default: a file in the data directory, WAL,
synchronous=FULL) and on PostgreSQL ${pg_version} (\`--store postgres://...\`; a server started for the
run on loopback by \`scripts/pg.sh\` with fsync on and synchronous_commit on, so that a commit is on
disk as SQLite's is).

A 100,000-row CSV pre-order batch imported into a fresh daemon (\`cellforge import --drop bench
--progress never batch-100k.csv\`: the upload, the check of every row, then 100,000 orders, work
orders, ${pg_ops} operations and their events stored, every first operation queued), beside each
database's own bulk load of the same CSV into one plain table with a primary key, as the peer:
\`sqlite3 peer.db ".import --csv --skip 1 batch-100k.csv orders"\` and
\`psql -c "\\copy orders FROM 'batch-100k.csv' WITH (FORMAT csv, HEADER true)"\`. Three rounds,
the stores in turn; medians:

| what | SQLite | PostgreSQL |
| --- | --- | --- |
| \`cellforge import\` into the daemon | $(fmt "$i_sqlite") s | **$(fmt "$i_pg") s** |
| peer: the database's bulk load (\`.import\`, \`\\copy\`) | $(fmt "$p_sqlite") s | $(fmt "$p_pg") s |
| ratio import / peer | $(fmt "$(echo "$i_sqlite / $p_sqlite" | bc -l)" 1)x | **$(fmt "$(echo "$i_pg / $p_pg" | bc -l)" 1)x** |

Ratio of the imports, PostgreSQL / SQLite: **$(fmt "$(echo "$i_pg / $i_sqlite" | bc -l)" 2)x**. On PostgreSQL the rows
go in with COPY in one transaction that holds the write lock only for the events and the last
step (dispatching), so the floor's writes go on meanwhile.

The queue API with 10,000 open work orders (a 10,000-row batch), \`GET /api/v1/cells/{cell}/queue\`
round-robin over every cell, open loop at a fixed 1,000 requests/s for 20 s after a 2 s warm-up,
latency from the moment each request was due (\`cellforge-load -rate 1000 -duration 20s URL...\`):

| store | p50 | p90 | p99 | p99.9 | max | errors |
| --- | --- | --- | --- | --- | --- | --- |
$(row "$P/queue-sqlite.json" SQLite)
$(row "$P/queue-pg.json" PostgreSQL)

Ratio of p99, PostgreSQL / SQLite: **$(fmt "$(echo "$q_pg / $q_sqlite" | bc -l)" 2)x**. Aim: p99 under 10 ms at 1,000
requests/s on both: SQLite $(awk -v v="$q_sqlite" 'BEGIN { print (v < 10 ? "met" : "**missed**") }'), PostgreSQL $(awk -v v="$q_pg" 'BEGIN { print (v < 10 ? "met" : "**missed**") }').
MD
cat "$B/postgres.md"
