#!/usr/bin/env bash
# Runs a command with one PostgreSQL server of its own: the server is made in a temporary
# directory and listens on a free loopback port; CELLFORGE_TEST_POSTGRES holds its URL (a
# superuser that may create databases: store/postgres/pgtest makes one per test on it) while
# the command runs; then the server is stopped and its directory removed, however the command
# ended. It exits with the command's status.
# Usage: scripts/pg.sh COMMAND [ARG...]
# PG_FSYNC=on makes the server wait for the disk at every commit, as a real one does: for
# benchmarks beside SQLite's synchronous=FULL (make bench); tests leave it off.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: scripts/pg.sh COMMAND [ARG...]" >&2; exit 2; }

scripts/deps.sh postgresql
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

# The name and the lock of owner.lock are pgtest's: should this script be killed before it
# removes the directory, the next test binary that starts a server removes it.
dir=$(mktemp -d "${TMPDIR:-/tmp}/cellforge-pgtest-run-XXXXXX")
if command -v flock >/dev/null; then
  exec 8>"$dir/owner.lock"
  flock -n 8
fi
# As root, the server runs as the postgres user: PostgreSQL refuses to run as root.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as_pg=(runuser -u postgres --)
fi

stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_pg[@]}" "$bin/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null 2>&1 ||
      "${as_pg[@]}" "$bin/pg_ctl" stop -D "$dir/data" -m immediate -w -t 30 >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync \
  > "$dir/initdb.log" 2>&1 || { echo "pg: initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }

# free_port: a loopback port nothing answers on now. Another process may take it before the
# server binds it, so the start below tries again on another port when it fails.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# fsync=off unless PG_FSYNC=on: the server lives as long as the run and is never crashed (the
# tests that kill PostgreSQL start servers of their own), so waiting for the disk would only
# slow the tests.
fsync=${PG_FSYNC:-off}
[ "$fsync" = on ] || [ "$fsync" = off ] || { echo "pg: PG_FSYNC=$fsync: want on or off" >&2; exit 2; }
started=0
for _ in 1 2 3 4 5; do
  port=$(free_port) || break
  if "${as_pg[@]}" "$bin/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
    "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=300 -c shared_buffers=128MB -c fsync=$fsync" \
    > /dev/null 2>&1; then
    started=1
    break
  fi
done
if [ "$started" -ne 1 ]; then
  echo "pg: the server did not start:" >&2
  cat "$dir/server.log" >&2 2>/dev/null || true
  exit 1
fi

export CELLFORGE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "pg: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port for this run" >&2
status=0
"$@" || status=$?
exit "$status"
