#!/usr/bin/env bash
# Finds or starts the Postgres that `make run` and `make test` use, and prints shell exports
# for it on stdout (messages go to stderr):
#   scripts/postgres.sh env DBNAME   ->  export DATABASE_URL=...  (DBNAME created if missing)
#   scripts/postgres.sh env DBNAME fresh  ->  the same, with DBNAME dropped and made anew
#   scripts/postgres.sh stop         ->  stops the private cluster, if this script started one
# Order of preference: DATABASE_URL when set; a server answering on 127.0.0.1:5432; otherwise
# a private cluster under .pgdata/ (git-ignored), made with the locally installed initdb.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
datadir="$root/.pgdata"
port=${GATEWAY_PRIVATE_PG_PORT:-54329}

say() { printf '%s\n' "$*" >&2; }

pgbin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$found" ] || { say "postgres: $name not found; install PostgreSQL (Debian: apt-get install postgresql)"; exit 1; }
  echo "$found"
}

# as_owner runs a command as the cluster's owner: postgres refuses to run as root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local runuser
    runuser=$(PATH="$PATH:/usr/sbin:/sbin" command -v runuser) || { say "postgres: runuser not found (util-linux)"; exit 1; }
    "$runuser" -u postgres -- "$@"
  else "$@"; fi
}

answers() { "$(pgbin pg_isready)" -q -h 127.0.0.1 -p "$1" -t 2 >/dev/null 2>&1; }

start_private() {
  if answers "$port"; then return; fi
  if [ ! -s "$datadir/PG_VERSION" ]; then
    say "postgres: nothing answers on 127.0.0.1:5432; creating a private cluster in .pgdata/"
    mkdir -p "$datadir"
    [ "$(id -u)" = 0 ] && chown postgres: "$datadir"
    as_owner "$(pgbin initdb)" -D "$datadir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  say "postgres: starting the private cluster on 127.0.0.1:$port (stop it with: scripts/postgres.sh stop)"
  as_owner "$(pgbin pg_ctl)" -D "$datadir" -l "$datadir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $datadir -c max_connections=300 -c fsync=off" start >/dev/null
}

case "${1:-}" in
  env)
    db=${2:?database name}
    if [ -n "${DATABASE_URL:-}" ]; then
      base=${DATABASE_URL%%\?*}; base=${base%/*}; query=""
      [[ "$DATABASE_URL" == *\?* ]] && query="?${DATABASE_URL#*\?}"
    elif answers 5432; then
      base="postgres://postgres@127.0.0.1:5432"; query="?sslmode=disable"
    else
      start_private
      base="postgres://postgres@127.0.0.1:$port"; query="?sslmode=disable"
    fi
    url="$base/$db$query"
    if [ "${3:-}" = fresh ]; then
      "$(pgbin psql)" "$base/postgres$query" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    fi
    if ! "$(pgbin psql)" "$url" -qtAc 'select 1' >/dev/null 2>&1; then
      "$(pgbin psql)" "$base/postgres$query" -qc "CREATE DATABASE \"$db\"" >/dev/null
      say "postgres: created database $db"
    fi
    printf 'export DATABASE_URL=%q\n' "$url"
    ;;
  stop)
    if [ -s "$datadir/PG_VERSION" ] && answers "$port"; then
      as_owner "$(pgbin pg_ctl)" -D "$datadir" -m fast stop >/dev/null && say "postgres: private cluster stopped"
    fi
    ;;
  *) say "usage: scripts/postgres.sh env DBNAME | stop"; exit 2 ;;
esac
