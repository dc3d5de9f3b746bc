#!/usr/bin/env bash
# Coffer on PostgreSQL against coffer on SQLite, and against pgbench on the same
# PostgreSQL: the audited GET and the durable PUT of bench/run.sh, measured in
# one run on the same machine, with the server-side CPU time of every request.
# See "PostgreSQL" in bench/README.md for what each number means.
#
#   bash bench/postgres.sh [--quick]
#
# Measures, at 1, 16 and 64 connections:
#   SQLite                          one coffer, SQLite in its data dir (as run.sh)
#   PostgreSQL, 1 node              one coffer on a throwaway PostgreSQL cluster
#   PostgreSQL, 1 node via nginx    the same node behind nginx (the proxy's own cost)
#   PostgreSQL, 2 nodes via nginx   that node and a second one on the same database,
#                                   behind nginx (upstream, keep-alive, round robin)
#   pgbench -N                      pgbench's simple-update script, same cluster,
#                                   its own database, clients = connections
#
# Environment (all optional): COFFER_BIN, BENCH_DURATION, BENCH_TMPDIR and
# COFFER_SERVE_ARGS, as for bench/run.sh. The PostgreSQL cluster itself lives
# under /tmp (tests/postgres/pg_cluster.sh puts it where its unprivileged user
# can reach it), whatever BENCH_TMPDIR says.
set -euo pipefail

# The helpers (processes, build, wrk, identities, arithmetic) are run.sh's own;
# sourcing it defines them without running its benchmark.
# shellcheck source=bench/run.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/run.sh"

PG_CLUSTER_SH="$REPO_DIR/tests/postgres/pg_cluster.sh"
PG_DATABASE="coffer_bench"      # the coffer nodes' database
PGBENCH_DATABASE="pgbench_bench" # pgbench's: same cluster, none of coffer's tables
PGBENCH_SCALE=1                  # 100,000 accounts: 64 clients rarely touch the same row

CONFIGS=(sqlite pg1 pg1lb pg2lb)
declare -A CONFIG_NAME=(
  [sqlite]="SQLite"
  [pg1]="PostgreSQL, 1 node"
  [pg1lb]="PostgreSQL, 1 node via nginx"
  [pg2lb]="PostgreSQL, 2 nodes via nginx"
)
# Filled in by the set-up: the URL wrk drives, the tokens, the coffer processes
# whose CPU counts, and the nodes' own URLs (for the store counters).
declare -A CONFIG_URL CONFIG_AGENT_TOKEN CONFIG_OWNER_TOKEN CONFIG_PIDS CONFIG_NODE_URLS CONFIG_VIA_LB

# Filled in as the run goes; cleanup_all() reads them.
COFFER_PIDS=()
LB_PID=""
PG_DIR=""
PG_POSTMASTER_PID=""

# run.sh's parse_args (--quick, --help, BENCH_DURATION) with this script's own help text.
usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# Order matters: the load balancer first (it would retry a stopped node), the
# coffer nodes before the database (they would only log reconnect errors), the
# cluster before the temp dir that names it (pg_cluster.sh finds it through
# PG_DIR/cluster-path), and the temp dir last: it holds root keys and tokens.
cleanup_all() {
  local status=$? pid
  trap - EXIT INT TERM
  stop_process "$LB_PID" "nginx (load balancer)"
  for pid in "${COFFER_PIDS[@]}"; do stop_process "$pid" coffer; done
  if [[ -n "$PG_DIR" && -d "$PG_DIR" ]]; then
    bash "$PG_CLUSTER_SH" remove "$PG_DIR" >/dev/null 2>&1 ||
      log "warning: could not remove the PostgreSQL cluster in $(cat "$PG_DIR/cluster-path" 2>/dev/null || echo '?')"
  fi
  [[ -n "$WORK_DIR" && -d "$WORK_DIR" ]] && rm -rf -- "$WORK_DIR"
  exit "$status"
}

# ------------------------------------------------------------------ CPU time --

CLK_TCK="$(getconf CLK_TCK)"
TICKS=0
UNSTABLE=0

# add_ticks PID WITH_REAPED: adds PID's utime+stime (all its threads, in clock
# ticks) to TICKS, and with WITH_REAPED=1 also the CPU of its children that have
# exited and been waited for (cutime+cstime). No fork: called around every cell.
add_ticks() {
  local line
  local -a f
  { read -r line </proc/"$1"/stat; } 2>/dev/null || { UNSTABLE=1; return 0; }
  # Fields after "pid (comm) ": f[0] is field 3 (state), so utime (14) is f[11].
  line="${line##*) }"
  read -r -a f <<<"$line"
  TICKS=$((TICKS + f[11] + f[12]))
  if (($2)); then TICKS=$((TICKS + f[13] + f[14])); fi
  [[ "${f[0]}" == Z ]] && UNSTABLE=1
  return 0
}

# tree_ticks PID...: sets TICKS to the CPU used so far by each PID, its live
# children and its reaped ones. For the postmaster that is the whole cluster:
# every backend (including those the coffer pools closed since), the WAL writer,
# the checkpointer; for nginx, its workers.
#
# Backends exit all the time (a pool closing a connection, pgbench's clients at
# the end of a run), and a snapshot taken while one does would lose its CPU
# (read as a child, gone, then not yet in the parent's cutime) or count it
# twice, or see a zombie, whose CPU is neither its own nor its parent's yet. So
# the children are read, then the parent, then the children's list again, and
# the snapshot is retried (for up to 1 s) unless nothing changed meanwhile.
children_of() {
  local file out=""
  local -a kids
  for file in /proc/"$1"/task/*/children; do
    # The file has no trailing newline, so read "fails" even when it read pids.
    kids=()
    { read -r -a kids <"$file"; } 2>/dev/null || true
    out+="${kids[*]} "
  done
  CHILDREN="$out"
}
tree_ticks() {
  local pid child attempt before
  for ((attempt = 0; attempt < 20; attempt++)); do
    TICKS=0; UNSTABLE=0
    for pid; do
      children_of "$pid"; before="$CHILDREN"
      for child in $before; do add_ticks "$child" 0; done
      add_ticks "$pid" 1
      children_of "$pid"
      [[ "$CHILDREN" == "$before" ]] || UNSTABLE=1
    done
    ((UNSTABLE)) || return 0
    sleep 0.05
  done
}

# us_per_request TICKS REQUESTS
us_per_request() {
  awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "n/a" }'
}

# ------------------------------------------------------------------- set-up --

banner_port() {
  sed -n 's#^  Listening on *http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$1" | head -n 1
}
banner_printed() { [[ -n "$(banner_port "$1")" ]]; }

# start_node NAME DATA_DIR [ENV=VALUE...] -- [FLAGS...]: a coffer serve on a free
# loopback port (coffer binds port 0 itself). Sets NODE_PID and NODE_URL.
start_node() {
  local name="$1" data="$2"; shift 2
  local -a environment=()
  while (($#)) && [[ "$1" != "--" ]]; do environment+=("$1"); shift; done
  (($#)) && shift
  local logfile="$WORK_DIR/$name.log"
  log "starting coffer ($name)"
  # shellcheck disable=SC2086  # COFFER_SERVE_ARGS is a list of flags
  env "${environment[@]}" "$COFFER_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 \
    ${COFFER_SERVE_ARGS:-} "$@" >"$logfile" 2>&1 &
  NODE_PID=$!
  COFFER_PIDS+=("$NODE_PID")
  if ! wait_until 60 "$NODE_PID" "$name's banner" banner_printed "$logfile"; then
    grep -v 'Owner token' "$logfile" >&2 || true
    die "coffer ($name) exited during start-up"
  fi
  NODE_URL="http://127.0.0.1:$(banner_port "$logfile")"
  log "  $name listening on $NODE_URL"
}

# The libpq environment for pgbench, createdb and psql: TCP with the password,
# as the coffer nodes connect, and never on a command line.
pg_env() {
  PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER=coffer PGPASSWORD="$PG_PASSWORD" "$@"
}

start_postgres() {
  # shellcheck disable=SC2012  # Debian's version directories: digits only
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  PGBENCH="$PG_BIN/pgbench"
  [[ -x "$PGBENCH" ]] || die "no pgbench in /usr/lib/postgresql/*/bin (Debian's postgresql package ships it; scripts/install-deps.sh installs that)"
  PG_DIR="$WORK_DIR/pg"
  log "starting a throwaway PostgreSQL cluster (tests/postgres/pg_cluster.sh)"
  # pg_cluster.sh prints the URL, password included: keep it out of the output.
  bash "$PG_CLUSTER_SH" start "$PG_DIR" >/dev/null
  local url
  url="$(cat "$PG_DIR/url")"
  PG_PASSWORD="${url#postgres://coffer:}"; PG_PASSWORD="${PG_PASSWORD%%@*}"
  PG_PORT="$(cat "$PG_DIR/port")"
  PG_CLUSTER="$(cat "$PG_DIR/cluster-path")"
  PG_POSTMASTER_PID="$(head -n 1 "$PG_CLUSTER/data/postmaster.pid")"
  PG_VERSION="$(pg_env psql -XAtq -d postgres -c 'SHOW server_version' 2>/dev/null || echo '?')"
  pg_env "$PG_BIN/createdb" "$PG_DATABASE"
  pg_env "$PG_BIN/createdb" "$PGBENCH_DATABASE"
  log "initialising pgbench (scale $PGBENCH_SCALE) in database $PGBENCH_DATABASE"
  pg_env "$PGBENCH" -i -q -s "$PGBENCH_SCALE" "$PGBENCH_DATABASE" >"$WORK_DIR/pgbench-init.log" 2>&1 ||
    { cat "$WORK_DIR/pgbench-init.log" >&2; die "pgbench -i failed"; }
  # Every new connection leaves one line in the server log, so each cell can
  # say how many connections the nodes (or pgbench) opened during it: a pool
  # that closes and reopens connections pays a fork and a SCRAM exchange each.
  # log_lock_waits names every lock wait that outlasts deadlock_timeout (1 s),
  # the moment PostgreSQL checks for a deadlock: both show writes from two nodes
  # getting in each other's way.
  pg_env psql -XAtq -d postgres -c "ALTER SYSTEM SET log_connections = on" \
    -c "ALTER SYSTEM SET log_lock_waits = on" -c "SELECT pg_reload_conf()" >/dev/null
  log "PostgreSQL $PG_VERSION on 127.0.0.1:$PG_PORT, cluster in $PG_CLUSTER"
}

# pg_connections DATABASE: connections authorised to DATABASE so far.
pg_connections() { pg_log_count "connection authorized: user=coffer database=$1\b"; }

# pg_log_count PATTERN: lines of the server log so far that match PATTERN.
pg_log_count() {
  { grep -c "$1" "$PG_CLUSTER/server.log" || true; } | head -n 1
}

# identities_on CONFIG URL OWNER_TOKEN: bench-agent, its credential and its
# sub-agent, exactly as run.sh makes them; GET reads as bench-agent (A).
identities_on() {
  COFFER_URL="$2"; OWNER_TOKEN="$3"
  set_up_identities
  CONFIG_AGENT_TOKEN[$1]="$AGENT_TOKEN"; CONFIG_OWNER_TOKEN[$1]="$OWNER_TOKEN"
}

# One nginx with two listeners: one proxies to node A alone, the other to A and
# B in turn. Upstream keep-alive, as a production load balancer would have it:
# otherwise every request would pay a new TCP connection to coffer.
start_load_balancer() {
  local prefix="$WORK_DIR/lb" port_one port_two user_line=""
  mkdir -p "$prefix/tmp"
  port_one="$(pick_free_port)"; port_two="$(pick_free_port)"
  [[ "$port_one" != "$port_two" ]] || port_two="$(pick_free_port)"
  ((EUID == 0)) && user_line="user $(id -un) $(id -gn);"
  # shellcheck disable=SC2016  # $host is nginx's variable
  local proxy='proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;'
  cat >"$prefix/nginx.conf" <<EOF
# Generated by bench/postgres.sh: a load balancer in front of the PostgreSQL nodes.
$user_line
worker_processes 2;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  tcp_nodelay on;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  client_body_temp_path $prefix/tmp/body;
  proxy_temp_path $prefix/tmp/proxy;
  fastcgi_temp_path $prefix/tmp/fastcgi;
  uwsgi_temp_path $prefix/tmp/uwsgi;
  scgi_temp_path $prefix/tmp/scgi;
  upstream coffer_one {
    server ${PG_NODE_A_URL#http://};
    keepalive 64;
    keepalive_requests 1000000;
  }
  upstream coffer_two {
    server ${PG_NODE_A_URL#http://};
    server ${PG_NODE_B_URL#http://};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server { listen 127.0.0.1:$port_one; location / { proxy_pass http://coffer_one; $proxy } }
  server { listen 127.0.0.1:$port_two; location / { proxy_pass http://coffer_two; $proxy } }
}
EOF
  log "starting nginx (load balancer) on 127.0.0.1:$port_one (node A) and 127.0.0.1:$port_two (nodes A and B)"
  nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" >"$prefix/stdout.log" 2>&1 &
  LB_PID=$!
  LB_ONE_URL="http://127.0.0.1:$port_one"; LB_TWO_URL="http://127.0.0.1:$port_two"
  if ! wait_until 10 "$LB_PID" "nginx (load balancer)" \
      curl -s -o /dev/null --fail --max-time 1 "$LB_TWO_URL/healthz"; then
    cat "$prefix/error.log" "$prefix/stdout.log" >&2 2>/dev/null || true
    die "nginx (load balancer) exited during start-up (port taken?)"
  fi
}

# Every way of reaching the PostgreSQL nodes must return the bytes that the
# SQLite coffer's GET does not (another vault), but the same ones among themselves.
check_same_bytes() {
  local reference url got
  reference="$(curl -sS --fail --max-time 10 -H "Authorization: Bearer ${CONFIG_AGENT_TOKEN[pg1]}" \
    "$PG_NODE_A_URL/v0/vault/$CREDENTIAL_NAME")" || die "GET $CREDENTIAL_NAME on node A failed"
  for url in "$PG_NODE_B_URL" "$LB_ONE_URL" "$LB_TWO_URL" "$LB_TWO_URL"; do
    got="$(curl -sS --fail --max-time 10 -H "Authorization: Bearer ${CONFIG_AGENT_TOKEN[pg1]}" \
      "$url/v0/vault/$CREDENTIAL_NAME")" || die "GET $CREDENTIAL_NAME through $url failed"
    [[ "$got" == "$reference" ]] || die "$url returns other bytes than node A for $CREDENTIAL_NAME"
  done
}

set_up_all() {
  # SQLite: as run.sh.
  start_node sqlite "$WORK_DIR/sqlite-data"
  local sqlite_url="$NODE_URL" sqlite_pid="$NODE_PID"
  wait_until 10 "$sqlite_pid" "owner.token" test -s "$WORK_DIR/sqlite-data/owner.token"
  identities_on sqlite "$sqlite_url" "$(tr -d '[:space:]' <"$WORK_DIR/sqlite-data/owner.token")"

  # PostgreSQL: node A creates the org on the empty database; node B starts with
  # A's root key, as every further node must.
  start_postgres
  local -a store_env=("COFFER_STORE_URL=postgres://coffer@127.0.0.1:$PG_PORT/$PG_DATABASE"
                      "COFFER_STORE_PASSWORD=$PG_PASSWORD")
  start_node pg-node-a "$WORK_DIR/pg-node-a" "${store_env[@]}"
  PG_NODE_A_URL="$NODE_URL"; local pid_a="$NODE_PID"
  wait_until 10 "$pid_a" "owner.token" test -s "$WORK_DIR/pg-node-a/owner.token"
  start_node pg-node-b "$WORK_DIR/pg-node-b" "${store_env[@]}" -- --root-key-file "$WORK_DIR/pg-node-a/root.key"
  PG_NODE_B_URL="$NODE_URL"; local pid_b="$NODE_PID"
  identities_on pg1 "$PG_NODE_A_URL" "$(tr -d '[:space:]' <"$WORK_DIR/pg-node-a/owner.token")"
  start_load_balancer

  CONFIG_URL[sqlite]="$sqlite_url"; CONFIG_PIDS[sqlite]="$sqlite_pid"; CONFIG_NODE_URLS[sqlite]="$sqlite_url"
  CONFIG_URL[pg1]="$PG_NODE_A_URL"; CONFIG_PIDS[pg1]="$pid_a"; CONFIG_NODE_URLS[pg1]="$PG_NODE_A_URL"
  CONFIG_URL[pg1lb]="$LB_ONE_URL"; CONFIG_PIDS[pg1lb]="$pid_a"; CONFIG_NODE_URLS[pg1lb]="$PG_NODE_A_URL"
  CONFIG_URL[pg2lb]="$LB_TWO_URL"; CONFIG_PIDS[pg2lb]="$pid_a $pid_b"
  CONFIG_NODE_URLS[pg2lb]="$PG_NODE_A_URL $PG_NODE_B_URL"
  CONFIG_VIA_LB=([sqlite]=0 [pg1]=0 [pg1lb]=1 [pg2lb]=1)
  local config
  for config in pg1lb pg2lb; do
    CONFIG_AGENT_TOKEN[$config]="${CONFIG_AGENT_TOKEN[pg1]}"; CONFIG_OWNER_TOKEN[$config]="${CONFIG_OWNER_TOKEN[pg1]}"
  done
  check_same_bytes
}

# --------------------------------------------------------------- measuring --

# store_counters CONFIG NAME: the store's "writes" or "commits" counter summed
# over the config's nodes (each node counts its own), or nothing if unreadable.
store_counters() {
  local url total=0 value
  for url in ${CONFIG_NODE_URLS[$1]}; do
    value="$({ curl -sS --fail --max-time 10 -H "Authorization: Bearer ${CONFIG_OWNER_TOKEN[$1]}" "$url/v0/status" || true; } |
      { grep -o "\"$2\":[0-9]*" || true; } | awk -F: 'NR == 1 { print $2 }')"
    [[ -n "$value" ]] || return 0
    total=$((total + value))
  done
  echo "$total"
}

declare -A RPS P99_US ERRORS CPU_COFFER CPU_PG CPU_LB PER_COMMIT PG_CONNECTS PG_TROUBLE

# measure_coffer CONFIG WORKLOAD C [DURATION]: one wrk cell, with the CPU that
# coffer, the cluster and the load balancer spent on it.
measure_coffer() {
  local config="$1" workload="$2" c="$3" duration="${4:-$DURATION}" key="$1|$2|$3"
  local url script token result requests coffer0 pg0 lb0 writes0="" commits0=""
  if [[ "$workload" == GET ]]; then
    url="${CONFIG_URL[$config]}/v0/vault/$CREDENTIAL_NAME"; script=get.lua; token="${CONFIG_AGENT_TOKEN[$config]}"
  else
    url="${CONFIG_URL[$config]}"; script=put.lua; token="${CONFIG_OWNER_TOKEN[$config]}"
    writes0="$(store_counters "$config" writes)"; commits0="$(store_counters "$config" commits)"
  fi
  RAW_LABEL="${CONFIG_NAME[$config]} $workload"
  local connects0 deadlocks0 waits0
  connects0="$(pg_connections "$PG_DATABASE")"
  deadlocks0="$(pg_log_count 'ERROR:  deadlock detected')"; waits0="$(pg_log_count 'still waiting for')"
  # shellcheck disable=SC2086  # CONFIG_PIDS holds a list of pids
  tree_ticks ${CONFIG_PIDS[$config]}; coffer0=$TICKS
  tree_ticks "$PG_POSTMASTER_PID"; pg0=$TICKS
  tree_ticks "$LB_PID"; lb0=$TICKS
  result="$(run_wrk "$url" "$script" "$token" "$c" "$duration")"
  # shellcheck disable=SC2086
  tree_ticks ${CONFIG_PIDS[$config]}; local coffer1=$TICKS
  tree_ticks "$PG_POSTMASTER_PID"; local pg1=$TICKS
  tree_ticks "$LB_PID"; local lb1=$TICKS
  [[ "$duration" == "$DURATION" ]] || return 0  # a warm-up
  PG_CONNECTS[$key]=$(( $(pg_connections "$PG_DATABASE") - connects0 ))
  local deadlocks waits
  deadlocks=$(( $(pg_log_count 'ERROR:  deadlock detected') - deadlocks0 ))
  waits=$(( $(pg_log_count 'still waiting for') - waits0 ))
  PG_TROUBLE[$key]=""
  ((deadlocks + waits == 0)) || PG_TROUBLE[$key]=" (PostgreSQL: $deadlocks deadlocks, $waits lock waits > 1 s)"
  requests="$(field requests "$result")"
  RPS[$key]="$(field rps "$result")"
  P99_US[$key]="$(field p99_us "$result")"
  ERRORS[$key]=$(( $(field non2xx "$result") + $(field socket_errors "$result") ))
  CPU_COFFER[$key]="$(us_per_request $((coffer1 - coffer0)) "$requests")"
  CPU_PG[$key]="$(us_per_request $((pg1 - pg0)) "$requests")"
  CPU_LB[$key]="$(us_per_request $((lb1 - lb0)) "$requests")"
  if [[ "$workload" == PUT ]]; then
    PER_COMMIT[$key]="$(awk -v w="$(store_counters "$config" writes)" -v w0="$writes0" \
      -v k="$(store_counters "$config" commits)" -v k0="$commits0" \
      'BEGIN { if (w0 != "" && k0 != "" && k > k0) printf "%.1f", (w - w0) / (k - k0); else print "n/a" }')"
  fi
  log "  ${CONFIG_NAME[$config]} $workload c=$c -> ${RPS[$key]} req/s, p99 ${P99_US[$key]} us, errors ${ERRORS[$key]}, CPU/req coffer ${CPU_COFFER[$key]} us, PostgreSQL ${CPU_PG[$key]} us, nginx ${CPU_LB[$key]} us, new PostgreSQL connections ${PG_CONNECTS[$key]}${PG_TROUBLE[$key]}"
}

# measure_pgbench C [DURATION]: pgbench's built-in simple-update script (-N:
# UPDATE pgbench_accounts, SELECT it, INSERT INTO pgbench_history, one
# synchronous commit per transaction) from C clients, over TCP with the
# password like the coffer nodes. -n: no VACUUM before the run (it would count
# as the cluster's CPU). -l logs every transaction's latency, for the p99.
measure_pgbench() {
  local c="$1" duration="${2:-$DURATION}" key="pgbench|PUT|$1"
  local threads=$((c < 2 ? c : 2)) seconds="${duration%s}" out pg0 logs="$WORK_DIR/pgbench-log-c$c"
  mkdir -p "$logs"; rm -f "$logs"/*
  local connects0; connects0="$(pg_connections "$PGBENCH_DATABASE")"
  tree_ticks "$PG_POSTMASTER_PID"; pg0=$TICKS
  out="$(cd "$logs" && pg_env timeout $((seconds + 60)) "$PGBENCH" -n -N -c "$c" -j "$threads" -T "$seconds" \
    -l --log-prefix=tx "$PGBENCH_DATABASE" 2>&1)" || die "pgbench failed: $out"
  tree_ticks "$PG_POSTMASTER_PID"; local pg1=$TICKS
  printf '### pgbench -N c=%s -T %s\n%s\n\n' "$c" "$seconds" "$out" >>"$WORK_DIR/wrk-raw.txt"
  [[ "$duration" == "$DURATION" ]] || return 0  # a warm-up
  PG_CONNECTS[$key]=$(( $(pg_connections "$PGBENCH_DATABASE") - connects0 ))
  local transactions failed
  RPS[$key]="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' <<<"$out")"
  transactions="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")"
  failed="$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")"
  [[ -n "${RPS[$key]}" && -n "$transactions" ]] || die "could not parse pgbench's output: $out"
  # The per-transaction log: "client transaction latency_us script epoch epoch_us".
  P99_US[$key]="$(cat "$logs"/tx* | awk '{ print $3 }' | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit } r = int(0.99 * NR + 1); if (r > NR) r = NR; print v[r] }')"
  ERRORS[$key]="${failed:-0}"
  CPU_PG[$key]="$(us_per_request $((pg1 - pg0)) "$transactions")"
  rm -f "$logs"/*
  log "  pgbench -N c=$c -> ${RPS[$key]} TPS, p99 ${P99_US[$key]} us, failed ${ERRORS[$key]}, PostgreSQL CPU/tx ${CPU_PG[$key]} us, new connections ${PG_CONNECTS[$key]}"
}

# Concurrency-major, as run.sh: at each concurrency every configuration runs
# its GET, then its PUT, then pgbench, so one row's ratios were measured within
# a few minutes at most. The configurations' order flips at every concurrency,
# so none is always first (right after the other's PUT load) or last.
measure_everything() {
  local config workload c i=0
  local -a order
  for config in "${CONFIGS[@]}"; do
    for workload in GET PUT; do
      log "${CONFIG_NAME[$config]} $workload: warm-up ($WARMUP at 16 connections, discarded)"
      measure_coffer "$config" "$workload" 16 "$WARMUP"
    done
  done
  log "pgbench -N: warm-up ($WARMUP at 16 clients, discarded)"
  measure_pgbench 16 "$WARMUP"
  for c in "${CONCURRENCIES[@]}"; do
    if ((i++ % 2 == 0)); then order=("${CONFIGS[@]}"); else order=(pg2lb pg1lb pg1 sqlite); fi
    for workload in GET PUT; do
      for config in "${order[@]}"; do
        log "${CONFIG_NAME[$config]} $workload: $c connection(s) for $DURATION"
        measure_coffer "$config" "$workload" "$c"
      done
    done
    log "pgbench -N: $c client(s) for $DURATION"
    measure_pgbench "$c"
  done
}

# ---------------------------------------------------------------- reporting --

fmt_int() { awk -v r="$1" 'BEGIN { printf "%.0f", r }'; }
fmt_ms() { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }
sum_us() { awk 'BEGIN { s = 0; for (i = 1; i < ARGC; i++) { if (ARGV[i] == "n/a") { print "n/a"; exit } s += ARGV[i] } printf "%.0f", s }' "$@"; }

postgres_facts() {
  local cpu
  cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); CPUs (nproc): $(nproc); CPU model: ${cpu:-unknown}; kernel $(uname -sr)"
  echo "- coffer: $("$COFFER_BIN" --version 2>/dev/null | head -n 1 || echo '?'), commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_DIR" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "- SQLite data dir: $(df -T "$WORK_DIR" | awk 'NR == 2 { print $2 " on " $1 }'); PostgreSQL $PG_VERSION cluster (fsync=on, synchronous_commit=on, otherwise defaults): $(df -T "$PG_CLUSTER" | awk 'NR == 2 { print $2 " on " $1 }')"
  echo "- One fsync per request (dd, $DSYNC_WRITES x 512 B, oflag=dsync, in the SQLite data dir's filesystem): $DSYNC_RATE_BEFORE writes/s before, $DSYNC_RATE_AFTER after"
  echo "- Each coffer cell: wrk -t min(2,c) -c c -d $DURATION, keep-alive, after a $WARMUP warm-up; GET reads bench-agent's own credential (audited), PUT writes as the owner (durable)"
  echo "- Load balancer: $(nginx -v 2>&1 | sed 's/^nginx version: //'), 2 workers, upstream keep-alive, round robin; wrk, nginx, coffer and PostgreSQL share the same $(nproc) CPUs"
  echo "- pgbench: $("$PGBENCH" --version 2>/dev/null | head -n 1), -i -s $PGBENCH_SCALE, then -n -N -c c -j min(2,c) -T ${DURATION%s} in its own database on the same cluster"
  echo "- Load average (1 min) at the start: $LOAD_BEFORE"
}

postgres_table() {
  local workload config c key vs_sqlite vs_pgbench per_commit lb pg total connects
  echo "| Workload | Store | Conns | Req/s | p99 latency | vs SQLite | vs pgbench -N | PUTs per commit | CPU/req coffer | CPU/req PostgreSQL | CPU/req nginx | CPU/req total | New PG connections | Errors |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for workload in GET PUT; do
    for config in "${CONFIGS[@]}"; do
      for c in "${CONCURRENCIES[@]}"; do
        key="$config|$workload|$c"
        vs_sqlite="–"; vs_pgbench="–"; per_commit="–"; lb="–"
        [[ "$config" != sqlite ]] && vs_sqlite="$(percent "${RPS[$key]}" "${RPS[sqlite|$workload|$c]}")"
        if [[ "$workload" == PUT ]]; then
          vs_pgbench="$(percent "${RPS[$key]}" "${RPS[pgbench|PUT|$c]}")"
          per_commit="${PER_COMMIT[$key]:-n/a}"
        fi
        if [[ "$config" == sqlite ]]; then
          pg="–"; total="${CPU_COFFER[$key]} us"; connects="–"
        else
          pg="${CPU_PG[$key]} us"; connects="${PG_CONNECTS[$key]}"
          if ((CONFIG_VIA_LB[$config])); then
            lb="${CPU_LB[$key]} us"; total="$(sum_us "${CPU_COFFER[$key]}" "${CPU_PG[$key]}" "${CPU_LB[$key]}") us"
          else
            total="$(sum_us "${CPU_COFFER[$key]}" "${CPU_PG[$key]}") us"
          fi
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s us | %s | %s | %s | %s | %s |\n' \
          "$([[ $workload == GET ]] && echo "audited GET" || echo "durable PUT")" "${CONFIG_NAME[$config]}" "$c" \
          "$(fmt_int "${RPS[$key]}")" "$(fmt_ms "${P99_US[$key]}")" "$vs_sqlite" "$vs_pgbench" "$per_commit" \
          "${CPU_COFFER[$key]}" "$pg" "$lb" "$total" "$connects" "${ERRORS[$key]}${PG_TROUBLE[$key]:-}"
      done
    done
  done
  for c in "${CONCURRENCIES[@]}"; do
    key="pgbench|PUT|$c"
    printf '| pgbench -N (TPS) | PostgreSQL | %s | %s | %s | – | 100%% | – | – | %s us | – | %s us | %s | %s |\n' \
      "$c" "$(fmt_int "${RPS[$key]}")" "$(fmt_ms "${P99_US[$key]}")" "${CPU_PG[$key]}" "${CPU_PG[$key]}" \
      "${PG_CONNECTS[$key]}" "${ERRORS[$key]}"
  done
}

# The comparison in a few lines: each ratio at 1, 16 and 64 connections.
postgres_ratios() {
  local c line
  ratio_line() {  # LABEL NUMERATOR_KEY_PREFIX DENOMINATOR_KEY_PREFIX (keys without the "|c")
    line="- $1:"
    for c in "${CONCURRENCIES[@]}"; do line+=" c=$c $(percent "${RPS[$2|$c]}" "${RPS[$3|$c]}");"; done
    echo "${line%;}"
  }
  ratio_line "audited GET, PostgreSQL 1 node / SQLite" "pg1|GET" "sqlite|GET"
  ratio_line "audited GET, PostgreSQL 2 nodes via nginx / SQLite" "pg2lb|GET" "sqlite|GET"
  ratio_line "audited GET, PostgreSQL 2 nodes via nginx / 1 node via nginx" "pg2lb|GET" "pg1lb|GET"
  ratio_line "durable PUT, PostgreSQL 1 node / SQLite" "pg1|PUT" "sqlite|PUT"
  ratio_line "durable PUT, PostgreSQL 2 nodes via nginx / SQLite" "pg2lb|PUT" "sqlite|PUT"
  ratio_line "durable PUT, PostgreSQL 1 node / pgbench -N TPS" "pg1|PUT" "pgbench|PUT"
  ratio_line "durable PUT, PostgreSQL 2 nodes via nginx / pgbench -N TPS" "pg2lb|PUT" "pgbench|PUT"
  ratio_line "durable PUT, SQLite / pgbench -N TPS" "sqlite|PUT" "pgbench|PUT"
}

write_postgres_report() {
  local report stamp
  report="$(
    echo "## Coffer on PostgreSQL against SQLite and pgbench"
    echo
    postgres_facts
    echo
    postgres_table
    echo
    echo "Ratios (req/s over req/s at the same number of connections, same run):"
    echo
    postgres_ratios
  )"
  echo
  echo "$report"
  mkdir -p "$RESULTS_DIR"
  stamp="$(date -u '+%Y%m%d-%H%M%S')"
  echo "$report" >"$RESULTS_DIR/postgres-latest.md"
  cp "$RESULTS_DIR/postgres-latest.md" "$RESULTS_DIR/postgres-$stamp.md"
  cp "$WORK_DIR/wrk-raw.txt" "$RESULTS_DIR/postgres-latest-raw.txt"
  echo
  log "written to ${RESULTS_DIR#"$REPO_DIR"/}/postgres-latest.md and postgres-$stamp.md (raw wrk and pgbench output: postgres-latest-raw.txt)"
}

postgres_main() {
  parse_args "$@"
  trap cleanup_all EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  WORK_DIR="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/coffer-bench-pg.XXXXXX")"
  : >"$WORK_DIR/wrk-raw.txt"

  install_missing_tools
  build_coffer
  LOAD_BEFORE="$(load_average)"
  warn_if_busy
  DSYNC_RATE_BEFORE="$(measure_dsync_rate)"
  set_up_all
  measure_everything
  DSYNC_RATE_AFTER="$(measure_dsync_rate)"
  write_postgres_report
}

postgres_main "$@"
