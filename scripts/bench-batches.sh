#!/usr/bin/env bash
# scripts/bench-batches.sh DIR: the daemon's memory while it refuses the batches that cost the
# most to refuse, each as large as the upload limit lets it be, beside the same daemon at rest.
# make bench runs it (scripts/bench.sh) with DIR holding the built cellforge and
# cellforge-batchbench and the bench config; it writes DIR/batches.md, a section of
# docs/BENCHMARKS.md. Each batch goes to a fresh daemon: its peak resident memory (VmHWM, reset
# when the batch is sent) is that batch's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$1
M=$B/batches
rm -rf "$M"
mkdir -p "$M"

# The bench config with ten products of one-letter SKUs and a drop selling them: the shortest
# good rows there can be ("id,A,1"), and room for millions of them (1,000,000 units a SKU, the
# most a window may hold).
awk '
  { print }
  /^products:/ { for (i = 0; i < 10; i++) printf "  - sku: %c\n    name: Short SKU %d\n    routing:\n      - capability: pack\n        unit_time: 1m\n\n", 65 + i, i }
  /^drops:/ { printf "  - id: mem\n    date: 2027-03-01\n    windows: {"; for (i = 0; i < 10; i++) printf "%s%c: 1000000", (i ? ", " : ""), 65 + i; print "}\n" }' \
  "$B/bench.yaml" > "$M/mem.yaml"
short=A,B,C,D,E,F,G,H,I,J
studio=$(grep -E '^  - sku: ' configs/demo.yaml | awk '{print $3}' | paste -sd, -)
limit=$((32 << 20)) # api.DefaultMaxBatchBytes

# shellcheck source=scripts/lib.sh
. scripts/lib.sh
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
# start DATA PLAN: serves the config from DATA, planning for PLAN; sets pid and url once it
# answers.
start() {
  mkdir -p "$1"
  serve "$1" --config "$M/mem.yaml" --log-level warn --plan-search "$2"
  curl -fs "$url/healthz" > /dev/null || { echo "the daemon does not answer:" >&2; cat "$1.log" >&2; exit 1; }
}
stop() { kill "$pid"; wait "$pid" || true; pid=""; }
# one NAME VIA SHAPE DROP SKUS BYTES PLAN [STORED [ROWS]]: a fresh daemon (planning for PLAN) takes
# one batch, of at most ROWS rows when given; with STORED, the book holds that many rows first,
# stored by a daemon before this one. The result goes to $M/NAME.json.
one() {
  local name=$1 via=$2 shape=$3 drop=$4 skus=$5 bytes=$6 plan=$7 stored=${8:-0} rows=${9:-0}
  if [ "$stored" -gt 0 ]; then
    start "$M/$name" 0
    "$B/batchbench" -url "$url" -store "$stored" -drop "$drop" -skus "$skus" -token demo-planner-token-0001
    stop
  fi
  start "$M/$name" "$plan"
  "$B/batchbench" -url "$url" -pid "$pid" -via "$via" -shape "$shape" -drop "$drop" -skus "$skus" -bytes "$bytes" \
    -stored "$stored" -rows "$rows" -token demo-planner-token-0001 -person kofi -password demo-planner-password | tee "$M/$name.json"
  stop
  rm -rf "${M:?}/$name"
}

echo "== refusing batches at the upload limit: the daemon's memory"
for shape in csv-empty-rows csv-unknown-sku csv-good-but-last csv-over-window csv-long-field csv-open-quote csv-long-header \
  json-empty-objects json-good-but-last json-long-string json-deep json-white-space; do
  one "api-$shape" api "$shape" mem "$short" "$limit" 0
done
# As many rows as a batch may have, all held: 999,999 good and the bad last one.
one api-csv-good-but-last-held api csv-good-but-last mem "$short" "$limit" 0 0 999999
one api-csv-stored-conflicts api csv-stored-conflicts mem "$short" "$limit" 0 100000 999999
for shape in csv-empty-rows csv-unknown-sku csv-good-but-last; do
  one "web-$shape" web "$shape" mem "$short" "$limit" 0
done
one web-csv-good-but-last-held web csv-good-but-last mem "$short" "$limit" 0 0 999999
# Good batches checked, not refused: as many of the shortest rows as a batch may have (too many
# to plan), and a studio's biggest batch, 100,000 rows of the demo's SKUs with customers and
# notes, planned, and again without a plan.
one promise-csv-good promise csv-good mem "$short" "$limit" 300ms 0 1000000
one web-csv-good web csv-good mem "$short" "$limit" 300ms 0 1000000
one web-csv-studio web csv-studio bench "$studio" "$limit" 300ms 0 100000
one web-csv-studio-unplanned web csv-studio bench "$studio" "$limit" 0 0 100000

go test -run='^$' -bench='Refuse1M' -benchtime=3x ./book/ | tee "$M/go-refuse.txt"

# row NAME WHAT: a table row of $M/NAME.json.
row() {
  jq -r --arg what "$2" '
    def n: tostring | if test("^[0-9]+$") then [scan("[0-9]{1,3}(?=(?:[0-9]{3})*$)")] | join(",") else . end;
    "| \($what) | \(.via) | \(.bytes | n) | \(.rows | n) | \(.status) \(if .problems >= 0 then "\(.listed | n) listed of \(.problems | n) problems in \(.bad_rows | n) bad row\(if .bad_rows == 1 then "" else "s" end)" elif .listed > 0 then "\(.listed | n) listed" else (.message // "" | .[0:90]) end) | \(.answer_bytes | n) | \(.idle_rss_mib) | **\(.peak_rss_mib)** | \((.peak_rss_mib / .idle_rss_mib) * 10 | round / 10) | \(.seconds * 10 | round / 10) | \(if .peak_rss_mib * 1.048576 < 300 then "met" else "**missed**" end) |"' "$M/$1.json"
}
# The refusals: every batch but the good ones checked.
worst=$(jq -s 'map(.peak_rss_mib) | max' "$M"/api-*.json "$M"/web-csv-empty-rows.json "$M"/web-csv-unknown-sku.json "$M"/web-csv-good-but-last*.json)
cat > "$B/batches.md" <<MD
## Refusing bad batches: memory

Measured by \`scripts/bench-batches.sh\` on $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD).
The daemon's peak resident memory (VmHWM of \`/proc/PID/status\`, reset through
\`/proc/PID/clear_refs\` as the batch is sent) while it takes one batch, beside the same daemon at
rest before it (VmRSS), each batch against a fresh daemon serving the bench config with planning
off. Every batch is as large as the upload limit lets it be, 32 MiB (\`api.DefaultMaxBatchBytes\`),
and shaped to cost the most memory to refuse: the densest problems (three in the three bytes
\`,,\\n\`, or \`{}\` in JSON), millions of distinct well-formed ids (each kept to find a later
duplicate), millions of the shortest good rows (\`id,A,1\`, one-letter SKUs, ids from \`0\` up)
held until the bad last row refuses them (and as many as a batch may have, all held), the same
rows each over the drop's window, 100,000 ids stored by an earlier daemon and sent again with
other content (a look-up in the store each), a field, a quoted field never closed and a header as
long as the batch, a JSON string, nesting and white space as long as the batch. Aim: under 300 MB
for every batch under the limit.

Command, for each row: \`cellforge-batchbench -url URL -pid PID -via VIA -shape SHAPE -drop mem
-skus A,...,J -bytes 33554432\` against \`cellforge serve --plan-search 0\` (\`scripts/bench-batches.sh\`).
The answer lists the first 1,000 problems by line (the API, \`api.Config.MaxErrors\`) or the first
100 (the planner's check page) and counts them all. A batch of more than 1,000,000 rows
(\`book.DefaultMaxRows\`) is refused at the first row past them, which is one of the problems;
the rows after it are still read and their own problems counted, but not held. A JSON batch
cannot be read past a value longer than 64 KiB, so the daemon answers before the rest is sent:
bytes are what was sent.

| batch | via | bytes | rows | answer | answer bytes | idle MiB | peak MiB | peak / idle | seconds | under 300 MB |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
$(row api-csv-empty-rows "3 problems a row: \`,,\`")
$(row api-csv-unknown-sku "distinct ids, unknown SKU")
$(row api-csv-good-but-last "shortest good rows, the last bad (refused at row 1,000,001)")
$(row api-csv-good-but-last-held "999,999 shortest good rows, the last bad: all held")
$(row api-csv-over-window "shortest good rows, each over the window")
$(row api-csv-stored-conflicts "100,000 stored ids with other content, then good rows to 1,000,000, the last bad")
$(row api-csv-long-field "one field as long as the batch")
$(row api-csv-open-quote "a quote never closed, then short lines")
$(row api-csv-long-header "a header of millions of columns")
$(row api-json-empty-objects "3 problems an object: \`{}\`")
$(row api-json-good-but-last "shortest good objects, the last bad")
$(row api-json-long-string "one string as long as the batch")
$(row api-json-deep "nesting as deep as the batch")
$(row api-json-white-space "white space as long as the batch")
$(row web-csv-empty-rows "3 problems a row: \`,,\`")
$(row web-csv-unknown-sku "distinct ids, unknown SKU")
$(row web-csv-good-but-last "shortest good rows, the last bad (refused at row 1,000,001)")
$(row web-csv-good-but-last-held "999,999 shortest good rows, the last bad: all held")

The worst batch took the daemon to **${worst} MiB** at its peak: $(awk -v v="$worst" 'BEGIN { print (v * 1.048576 < 300 ? "under 300 MB, met" : "over 300 MB, **missed**") }').
Before these changes (commit 6cff56b, measured once with the same tool and config) every problem
was kept and sent back, and every good row was held as an \`intake.Row\` with a map of ids, with no
bound on rows and a 256 MiB limit: the 32 MiB batch of the shortest good rows with a bad last one
took the daemon from 26 to 3,480 MiB; the 32 MiB batch of distinct ids with an unknown SKU to
1,373 MiB, answered with all 3,755,623 problems in 228 MB; 1 MB of \`,,\` rows (333,326 rows) to
326 MiB, answered in 63 MB.

Good batches, checked and not stored, with planning on (\`--plan-search 300ms\`): 1,000,000 of the
shortest rows, as many as a batch may have, are more new orders than a promise check plans
(100,000, \`book.MaxPreviewOrders\`), so they are counted and not planned; a studio's biggest batch, 100,000
rows of the demo's SKUs (4 to 7 operations each) with customers and quoted notes, is planned with
the open work, and checked again by a daemon that does not plan:

| batch | via | bytes | rows | answer | answer bytes | idle MiB | peak MiB | peak / idle | seconds | under 300 MB |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
$(row promise-csv-good "shortest good rows, promise check")
$(row web-csv-good "shortest good rows, the check page")
$(row web-csv-studio "100,000 studio rows, the check page, planned")
$(row web-csv-studio-unplanned "100,000 studio rows, the check page, no plan")

The promise check of a studio's biggest batch is the one check over the aim$(jq -r 'if .peak_rss_mib * 1.048576 < 300 then " (not in this run)" else "" end' "$M/web-csv-studio.json"):
the candidates it plans (an order and 4 to 7 operations each, $(jq -r '.peak_rss_mib' "$M/web-csv-studio-unplanned.json") MiB
at the peak without a plan) and the planner's promise, which builds the whole plan of the open
work and the 100,000 new work orders to answer for one drop (\`cells/planner\` \`Promise\`), take
the rest. Before these changes the same check peaked at 597 MiB. Making it smaller is the
planner's and the candidates' work, not the batch's.

Why 32 MiB and 1,000,000 rows: a batch is checked whole before any of it is stored, so its good
rows are held until its last row is read. Held packed (about 26 bytes a row for the shortest rows,
with the table of their ids), the most rows a batch may have take about 30 MB, and the most text
it may hold is its size. Without the bound on rows, the 3,755,623 packed rows of the 32 MiB batch
of the shortest good rows took the daemon to 220 MiB, and to 347 MiB with 100,000 orders stored
(commit 9c8a26a). A studio's biggest batch is about 100,000 rows: 7 MB as the bench's CSV, 16 MB
as the JSON of \`book/intake\`'s benchmark, one object a line.

In-process, without HTTP: refusing a batch of 1,000,000 rows, short good rows and a bad last one,
every row read, held and looked up in the store (\`go test -run='^\$' -bench=Refuse1M -benchtime=3x ./book/\`):

\`\`\`
$(grep -E '^Benchmark' "$M/go-refuse.txt")
\`\`\`
MD
echo "== wrote $B/batches.md"
