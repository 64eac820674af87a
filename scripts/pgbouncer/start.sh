#!/usr/bin/env bash
# Starts PgBouncer (transaction mode) in front of the local PostgreSQL unless something already answers on its port.
#   scripts/pgbouncer/start.sh [--port 6432] [--pool-size 20] [--strict] [--stop]
# --strict: DISCARD ALL after every transaction (tests: any reliance on session state fails every time).
# --stop: stops the PgBouncer this script started on that port.
# The running copy of pgbouncer.ini and its log live in /tmp/fieldsync-pgbouncer-<port>/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port=6432
pool_size=20
strict=0
stop=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --pool-size) pool_size="$2"; shift 2 ;;
    --strict) strict=1; shift ;;
    --stop) stop=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
run_dir="/tmp/fieldsync-pgbouncer-$port"

if [ "$stop" = 1 ]; then
  if [ -f "$run_dir/pgbouncer.pid" ]; then kill "$(cat "$run_dir/pgbouncer.pid")" 2>/dev/null || true; fi
  exit 0
fi

if pg_isready -h 127.0.0.1 -p "$port" -q; then
  echo "PgBouncer (or something) already answers on port $port"
  exit 0
fi

bin="$(command -v pgbouncer || true)"
[ -z "$bin" ] && [ -x /usr/sbin/pgbouncer ] && bin=/usr/sbin/pgbouncer
if [ -z "$bin" ]; then
  echo "Installing Debian's pgbouncer"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer) >/dev/null
  bin=/usr/sbin/pgbouncer
fi

mkdir -p "$run_dir"
cp "$here/userlist.txt" "$run_dir/userlist.txt"
sed -e "s/^listen_port = .*/listen_port = $port/" \
  -e "s/^default_pool_size = .*/default_pool_size = $pool_size/" \
  -e "s/^server_reset_query_always = .*/server_reset_query_always = $strict/" \
  -e "s|^pidfile = .*|pidfile = $run_dir/pgbouncer.pid|" \
  -e "s|^logfile = .*|logfile = $run_dir/pgbouncer.log|" \
  -e "s|^auth_file = .*|auth_file = $run_dir/userlist.txt|" \
  "$here/pgbouncer.ini" >"$run_dir/pgbouncer.ini"

# PgBouncer refuses to run as root: -u drops to the postgres user, which must own its run folder.
user_flag=()
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$run_dir"
  user_flag=(-u postgres)
fi
"$bin" -d "${user_flag[@]}" "$run_dir/pgbouncer.ini"
for _ in $(seq 1 50); do pg_isready -h 127.0.0.1 -p "$port" -q && break; sleep 0.2; done
if ! pg_isready -h 127.0.0.1 -p "$port" -q; then
  echo "PgBouncer did not start on port $port:" >&2
  tail -n 20 "$run_dir/pgbouncer.log" >&2 || true
  exit 1
fi
echo "PgBouncer listening on 127.0.0.1:$port (transaction mode, pool $pool_size, strict=$strict)"
