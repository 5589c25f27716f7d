#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests, on loopback only.
#   cluster.sh start STATE_FILE   initdb in a new temporary directory, start it on a free
#                                 127.0.0.1 port, wait until it accepts connections, and
#                                 write STATE_FILE (shell assignments: LCE_PG_DIR, LCE_PG_DSN,
#                                 LCE_PG_PASSWORD_FILE)
#   cluster.sh stop STATE_FILE    stop that cluster (fast shutdown) and delete its directory
#   cluster.sh pause STATE_FILE   stop the server only (an outage), keeping its data
#   cluster.sh resume STATE_FILE  start it again on the same port
# PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the
# `postgres` user (Debian's package creates it) in a directory it owns.
# Connections over TCP need the password (scram-sha-256), which the tests
# read from LCE_PG_PASSWORD_FILE, as the exporter reads storage.postgres.password_file.
set -euo pipefail

action=${1:?usage: cluster.sh start|stop STATE_FILE}
state=${2:?usage: cluster.sh start|stop STATE_FILE}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$bindir/initdb" ]] || { echo "cluster.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local dir port password
  dir=$(mktemp -d /tmp/lce-pg.XXXXXX)
  chmod 755 "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$password" >"$dir/password"
  chmod 644 "$dir/password"  # the tests (maybe another user than postgres) read it
  as_owner "$bindir/initdb" -D "$dir/data" -U lce --pwfile="$dir/password" \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # A port taken between free_port and the bind makes pg_ctl fail: try a few.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "$(server_options "$port" "$dir")" start >/dev/null; then
      cat >"$state" <<STATE
LCE_PG_DIR=$dir
LCE_PG_DSN='host=127.0.0.1 port=$port user=lce dbname=postgres'
LCE_PG_PASSWORD_FILE=$dir/password
LCE_PG_PORT=$port
STATE
      return 0
    fi
    echo "cluster.sh: start on port $port failed (attempt $attempt)" >&2
    tail -n 5 "$dir/server.log" >&2 || true
  done
  exit 1
}

stop() {
  [[ -f "$state" ]] || return 0
  # shellcheck disable=SC1090
  source "$state"
  as_owner "$bindir/pg_ctl" -D "$LCE_PG_DIR/data" -m fast -w -t 60 stop >/dev/null || true
  rm -rf "$LCE_PG_DIR" "$state"
}

server_options() {
  echo "-c listen_addresses=127.0.0.1 -p $1 -c unix_socket_directories=$2 -c fsync=off \
        -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
}

pause() {
  # shellcheck disable=SC1090
  source "$state"
  as_owner "$bindir/pg_ctl" -D "$LCE_PG_DIR/data" -m fast -w -t 60 stop >/dev/null
}

resume() {
  # shellcheck disable=SC1090
  source "$state"
  as_owner "$bindir/pg_ctl" -D "$LCE_PG_DIR/data" -l "$LCE_PG_DIR/server.log" -w -t 60 \
    -o "$(server_options "$LCE_PG_PORT" "$LCE_PG_DIR")" start >/dev/null
}

case "$action" in
  start) start ;;
  stop) stop ;;
  pause) pause ;;
  resume) resume ;;
  *) echo "usage: cluster.sh start|stop|pause|resume STATE_FILE" >&2; exit 2 ;;
esac
