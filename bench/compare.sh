#!/usr/bin/env bash
# Information comparison on the full city, on both backends: the demo city
# seeded with its registries (600,000 residents; registries of the same
# size), then each registry's comparison of the whole city timed as
# `gridgov compare run` (release build), with its peak memory.
#
# Knobs (environment): RESIDENTS (600000), SQLITE_DIR (target/bench/compare-sqlite).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

RESIDENTS=${RESIDENTS:-600000}
SQLITE_DIR=${SQLITE_DIR:-target/bench/compare-sqlite}
kinds="household deaths pensions wanted licences food_permits"

# shellcheck source=../.ci/postgres.sh
source .ci/postgres.sh

log "release build"
cargo build --release --quiet -p gridgov-api
gridgov=target/release/gridgov
url="postgres://gridgov:gridgov@127.0.0.1:${port}/gridgov_bench_compare"
as_postgres "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'gridgov_bench_compare'\"" | grep -q 1 \
  || as_postgres "psql -p $port -qc \"CREATE DATABASE gridgov_bench_compare OWNER gridgov\""

run() {
  local backend=$1; shift
  log "$backend: the city seeded with its registries ($RESIDENTS residents)"
  /usr/bin/time -f "seed, registries written, imported and compared: %e s, %M KiB" \
    "$gridgov" seed --reset --residents "$RESIDENTS" "$@"
  for kind in $kinds; do
    log "$backend: gridgov compare run --kind $kind"
    /usr/bin/time -f "$kind: %e s, %M KiB" "$gridgov" compare run --kind "$kind" "$@"
  done
}

mkdir -p "$SQLITE_DIR"
run SQLite --data-dir "$SQLITE_DIR"
run PostgreSQL --database-url "$url" --data-dir "$SQLITE_DIR/pg"
