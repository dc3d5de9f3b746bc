#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: Debian's own server binaries, a fresh cluster in DIR,
# listening on 127.0.0.1 only, on a free port, as an unprivileged user (PostgreSQL refuses to run
# as root). Nothing leaves the machine.
#
#   pg_cluster.sh start DIR   initdb (first time) and start, on the port of the last start if
#                             there was one; writes DIR/url and prints it
#   pg_cluster.sh stop DIR    stop it (fast shutdown); the files stay for a look afterwards
#   pg_cluster.sh kill DIR    SIGKILL the postmaster, as a crash would
#   pg_cluster.sh remove DIR  stop it and delete the cluster
#
# DIR/url is postgres://coffer:PASSWORD@127.0.0.1:PORT/postgres: the superuser `coffer`, whose
# random password is checked with scram-sha-256 over TCP. Tests create their own databases in it.
# The cluster itself (data, log, socket) lives in a directory of its own under /tmp, named in
# DIR/cluster-path: the unprivileged user must reach it, and DIR may sit where it cannot (a
# checkout under /root).
set -euo pipefail
command=${1:?usage: pg_cluster.sh start|stop|kill|remove DIR}
dir=${2:?usage: pg_cluster.sh start|stop|kill|remove DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$bin/initdb" ]] || { echo "pg_cluster: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }
user=coffer-test

as_user() {
  if [[ $EUID -eq 0 ]]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

cluster_of() { [[ -f "$1/cluster-path" ]] && cat "$1/cluster-path"; }

case "$command" in
  start)
    if [[ $EUID -eq 0 ]] && ! id "$user" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    mkdir -p "$dir"
    url_dir=$(cd "$dir" && pwd)
    dir=$(cluster_of "$url_dir" || true)
    if [[ -z "$dir" || ! -d "$dir" ]]; then
      dir=$(mktemp -d /tmp/coffer-pg.XXXXXX)
      echo "$dir" > "$url_dir/cluster-path"
    fi
    if [[ $EUID -eq 0 ]]; then chown "$user" "$dir"; fi
    chmod 0700 "$dir"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      as_user sh -c "umask 077; head -c 18 /dev/urandom | base64 | tr '+/' 'xy' > '$dir/password'"
      as_user "$bin/initdb" -D "$dir/data" -U coffer --pwfile="$dir/password" --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # A cluster left running by an interrupted earlier run would hold the data directory.
    if [[ -f "$dir/data/postmaster.pid" ]]; then as_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    # The same port on a restart, so that clients (coffer nodes) can reconnect to the same URL.
    if [[ -f "$url_dir/port" ]]; then
      port=$(cat "$url_dir/port")
    else
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      echo "$port" > "$url_dir/port"
    fi
    # Durable like production (fsync, synchronous_commit on); the socket stays in DIR.
    as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=on -c synchronous_commit=on" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    (umask 077; echo "postgres://coffer:$(cat "$dir/password")@127.0.0.1:$port/postgres" > "$url_dir/url")
    cat "$url_dir/url"
    ;;
  stop)
    dir=$(cluster_of "$dir") || exit 0
    if [[ -f "$dir/data/postmaster.pid" ]]; then as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    ;;
  remove)
    cluster=$(cluster_of "$dir") || exit 0
    if [[ -f "$cluster/data/postmaster.pid" ]]; then as_user "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null; fi
    rm -rf "$cluster" "$dir/cluster-path"
    ;;
  kill)
    dir=$(cluster_of "$dir") || exit 0
    if [[ -f "$dir/data/postmaster.pid" ]]; then kill -9 "$(head -n 1 "$dir/data/postmaster.pid")"; fi
    ;;
  *)
    echo "usage: pg_cluster.sh start|stop|kill|remove DIR" >&2; exit 2 ;;
esac
