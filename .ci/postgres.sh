#!/usr/bin/env bash
# Sourced by .ci/run and bench/run.sh: installs PostgreSQL when it is
# missing, starts its main cluster, makes the `gridgov` role, and sets
# `port` and `postgres_admin_url`.

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi
}

log "PostgreSQL"
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "not installed: installing from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$port"
as_postgres "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'gridgov'\"" | grep -q 1 \
  || as_postgres "psql -p $port -qc \"CREATE ROLE gridgov LOGIN PASSWORD 'gridgov' CREATEDB\""
postgres_admin_url="postgres://gridgov:gridgov@127.0.0.1:${port}/postgres"
echo "PostgreSQL $version on port $port"

