#!/usr/bin/env bash
# Coffer HTTP benchmark: coffer GET (direct, and through a grant) and durable PUT
# against an nginx static-file baseline and against a "one fsync per request" disk
# baseline, all measured in the same run on the same machine. See bench/README.md
# for what each number means.
#
#   bash bench/run.sh [--quick]
#
# Environment (all optional):
#   COFFER_BIN          use this coffer binary instead of building build-bench/src/coffer
#   BENCH_DURATION      wrk duration per measurement, in seconds (default 10s, 3s with --quick)
#   BENCH_TMPDIR        where the temporary data dir lives (default $TMPDIR or /tmp);
#                       the fsync baseline is measured on this filesystem
#   COFFER_SERVE_ARGS   extra flags for `coffer serve`, e.g. "--worker-threads 8"
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"
RESULTS_DIR="$BENCH_DIR/results"
CONCURRENCIES=(1 16 64)
CREDENTIAL_NAME="bench-get"

DURATION="10s"
DSYNC_WRITES=2000
WARMUP="1s"
# The two coffer GETs (direct and via grant) alternate in slices of this many
# seconds, so that both see the same machine; see measure_get_pair.
SLICE_SECONDS=2

# Filled in as the run goes; cleanup() reads them.
WORK_DIR=""
COFFER_PID=""
NGINX_PID=""

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

parse_args() {
  while (($#)); do
    case "$1" in
      --quick) DURATION="3s"; DSYNC_WRITES=1000; SLICE_SECONDS=1 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown argument: $1 (try --help)" ;;
    esac
    shift
  done
  DURATION="${BENCH_DURATION:-$DURATION}"
  # Whole seconds only: run_wrk derives its safety timeout from this number.
  [[ "$DURATION" =~ ^[1-9][0-9]*s$ ]] || die "BENCH_DURATION must look like 10s, not '$DURATION'"
}

# ---------------------------------------------------------------- processes --

# Stop one process we started: SIGTERM first so coffer and nginx shut down
# cleanly, SIGKILL if it has not exited within 10 s.
stop_process() {
  local pid="$1" name="$2"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM for 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_process "$NGINX_PID" nginx
  stop_process "$COFFER_PID" coffer
  # The temp dir holds a throwaway vault, its root key and its owner token.
  [[ -n "$WORK_DIR" && -d "$WORK_DIR" ]] && rm -rf -- "$WORK_DIR"
  exit "$status"
}

# Wait (bounded) until a command succeeds; fail if the watched process dies first.
wait_until() {
  local timeout_s="$1" pid="$2" what="$3"; shift 3
  local deadline=$((SECONDS + timeout_s))
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || die "timed out after ${timeout_s}s waiting for $what"
    sleep 0.1
  done
}

# ------------------------------------------------------------------- set-up --

# A fresh machine lacks not only wrk and nginx but the compilers and libraries the
# build below needs; the repo's one list of packages covers both (and is quick
# when everything is there).
install_missing_tools() {
  bash "$REPO_DIR/scripts/install-deps.sh"
}

# Release build in its own directory, so it never disturbs a developer's build/.
build_coffer() {
  if [[ -n "${COFFER_BIN:-}" ]]; then
    [[ -x "$COFFER_BIN" ]] || die "COFFER_BIN=$COFFER_BIN is not an executable"
    return 0
  fi
  local build_dir="$REPO_DIR/build-bench"
  local generator=() build_tool=(cmake --build "$build_dir" --target coffer -j "$(nproc)")
  command -v ninja >/dev/null && generator=(-G Ninja)
  log "building coffer (Release) in $build_dir"
  # No extra warning flags: the project's CMakeLists.txt itself keeps GCC 12's
  # -O3 false positives (stringop-overflow, stringop-overread, restrict) from
  # failing the build. CMAKE_CXX_FLAGS is passed empty on purpose: CMake caches
  # it, so a build-bench/ configured by an older run.sh would otherwise keep the
  # flags that run.sh used to add.
  cmake -S "$REPO_DIR" -B "$build_dir" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCOFFER_BUILD_TESTS=OFF "-DCMAKE_CXX_FLAGS=" >/dev/null
  "${build_tool[@]}" >"$WORK_DIR/build.log" 2>&1 || { grep -E -m 20 "FAILED|error" "$WORK_DIR/build.log" >&2; die "build failed"; }
  COFFER_BIN="$build_dir/src/coffer"
}

# A loopback port nobody listens on. nginx cannot pick one itself (coffer can,
# with port 0), so probe random high ports: connection refused means free.
pick_free_port() {
  local port _
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return 0
    fi
  done
  die "found no free loopback port in 50 attempts"
}

coffer_port_from_banner() {
  sed -n 's#^  Listening on *http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$WORK_DIR/coffer.log" | head -n 1
}

# Polled by wait_until: the banner appears once the listening socket is bound.
coffer_banner_printed() { [[ -n "$(coffer_port_from_banner)" ]]; }

start_coffer() {
  log "starting coffer ($COFFER_BIN)"
  # shellcheck disable=SC2086  # COFFER_SERVE_ARGS is a list of flags
  "$COFFER_BIN" serve --data-dir "$WORK_DIR/data" --listen 127.0.0.1:0 ${COFFER_SERVE_ARGS:-} \
    >"$WORK_DIR/coffer.log" 2>&1 &
  COFFER_PID=$!
  if ! wait_until 30 "$COFFER_PID" "coffer's banner" coffer_banner_printed; then
    # The banner shows the owner token once: keep it out of the error output.
    grep -v 'Owner token' "$WORK_DIR/coffer.log" >&2 || true
    die "coffer exited during start-up"
  fi
  COFFER_PORT="$(coffer_port_from_banner)"
  COFFER_URL="http://127.0.0.1:$COFFER_PORT"
  wait_until 10 "$COFFER_PID" "owner.token" test -s "$WORK_DIR/data/owner.token"
  OWNER_TOKEN="$(tr -d '[:space:]' <"$WORK_DIR/data/owner.token")"
  log "coffer listening on $COFFER_URL"
}

# api METHOD PATH TOKEN BODY STATUS...: one JSON request to coffer; prints the
# response body, and fails unless the HTTP status is one of STATUS. The body goes
# through a file in the 0700 temp dir, never through the log: it may hold a token.
api() {
  local method="$1" path="$2" token="$3" body="$4"; shift 4
  local status out="$WORK_DIR/api-response.json"
  status="$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 -X "$method" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data "$body" "$COFFER_URL$path")" || die "$method $path: curl failed"
  local expected
  for expected in "$@"; do
    if [[ "$status" == "$expected" ]]; then cat "$out"; rm -f "$out"; return 0; fi
  done
  # Error bodies hold a code and a message, never a token.
  die "$method $path returned HTTP $status: $(head -c 300 "$out")"
}

# json_string KEY: the first "KEY":"value" string in the JSON on stdin (coffer
# writes compact JSON; spaces around the colon are allowed too). Avoids a jq
# dependency.
json_string() {
  # No match prints nothing (the caller reports it); awk reads to the end, so
  # nothing upstream dies of SIGPIPE under pipefail.
  { grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" || true; } |
    awk 'NR == 1' | sed 's/.*:[[:space:]]*"\(.*\)"$/\1/'
}

# The identities behind the three GET workloads (see "Identities" in README.md):
#
#   owner (the org owner, from owner.token)
#     └─ bench-agent   (A)  owns the credential bench-get, in its own partition
#          └─ bench-sub (B)  holds a grant from A: vault:read on "bench-get"
#
# "coffer GET" reads bench-get with A's token (a direct read of its own row);
# "coffer GET via grant" reads the same URL with B's token, which finds nothing
# in B's partition and is resolved through A's grant to the same row. Same URL,
# same row, same response bytes: the difference is the delegation check.
set_up_identities() {
  local response agent_id sub_id
  response="$(api POST /v0/identities "$OWNER_TOKEN" '{"name":"bench-agent"}' 201)"
  agent_id="$(json_string id <<<"$response")"
  [[ "$agent_id" == idn_* ]] || die "POST /v0/identities: no identity id in the response"
  AGENT_TOKEN="$(api POST "/v0/identities/$agent_id/tokens" "$OWNER_TOKEN" '{"name":"bench"}' 201 | json_string token)"
  [[ -n "$AGENT_TOKEN" ]] || die "POST /v0/identities/$agent_id/tokens: no token in the response"

  # Created with A's token, so B is a child of A (A may then grant to it).
  response="$(api POST /v0/identities "$AGENT_TOKEN" '{"name":"bench-sub"}' 201)"
  sub_id="$(json_string id <<<"$response")"
  [[ "$sub_id" == idn_* ]] || die "POST /v0/identities (as bench-agent): no identity id in the response"
  SUB_TOKEN="$(api POST "/v0/identities/$sub_id/tokens" "$AGENT_TOKEN" '{"name":"bench"}' 201 | json_string token)"
  [[ -n "$SUB_TOKEN" ]] || die "POST /v0/identities/$sub_id/tokens: no token in the response"

  store_benchmark_credential
  # Before the grant, B must not be able to read A's credential...
  local status
  status="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $SUB_TOKEN" \
    "$COFFER_URL/v0/vault/$CREDENTIAL_NAME")"
  [[ "$status" == 404 || "$status" == 403 ]] || die "bench-sub reads $CREDENTIAL_NAME without a grant (HTTP $status)"
  api POST "/v0/identities/$agent_id/grants" "$AGENT_TOKEN" \
    "{\"granteeId\":\"$sub_id\",\"pattern\":\"$CREDENTIAL_NAME\",\"scopes\":[\"vault:read\"]}" 201 >/dev/null
  log "identities: bench-agent $agent_id owns $CREDENTIAL_NAME; bench-sub $sub_id reads it through a grant"
}

# One API_KEY credential of realistic size: a Stripe-like 45-character key plus
# the kind of metadata an agent platform attaches. Stored with A's token, so it
# lives in A's partition.
store_benchmark_credential() {
  local body
  body='{"type":"API_KEY","data":{"key":"sk_live_51HqLyjWDarjtT1zdp7dcXYZabc0123456789"},'
  body+='"metadata":{"service":"stripe","env":"production","owner":"billing-agent"}}'
  api PUT "/v0/vault/$CREDENTIAL_NAME" "$AGENT_TOKEN" "$body" 201 200 >/dev/null
}

# ...and after it, B must get the very bytes that A gets.
check_grant_read() {
  local direct via_grant
  direct="$(curl -sS --fail --max-time 10 -H "Authorization: Bearer $AGENT_TOKEN" "$COFFER_URL/v0/vault/$CREDENTIAL_NAME")" \
    || die "GET $CREDENTIAL_NAME as bench-agent failed"
  via_grant="$(curl -sS --fail --max-time 10 -H "Authorization: Bearer $SUB_TOKEN" "$COFFER_URL/v0/vault/$CREDENTIAL_NAME")" \
    || die "GET $CREDENTIAL_NAME as bench-sub (through the grant) failed"
  [[ "$direct" == "$via_grant" ]] || die "bench-sub reads different bytes than bench-agent for $CREDENTIAL_NAME"
}

# nginx serves, at the same URL path, a file holding exactly the bytes coffer
# returns for GET, so both servers send the same payload.
start_nginx() {
  local prefix="$WORK_DIR/nginx"
  local file="$prefix/www/v0/vault/$CREDENTIAL_NAME"
  mkdir -p "$(dirname "$file")" "$prefix/tmp"
  curl -sS --fail --max-time 10 -H "Authorization: Bearer $AGENT_TOKEN" \
    -o "$file" "$COFFER_URL/v0/vault/$CREDENTIAL_NAME"
  GET_BODY_BYTES="$(wc -c <"$file" | tr -d ' ')"

  NGINX_PORT="$(pick_free_port)"
  NGINX_URL="http://127.0.0.1:$NGINX_PORT"
  # As root, nginx would hand its workers to "nobody", who cannot read our 0700
  # temp dir; keep the workers as the invoking user instead.
  local user_line=""
  ((EUID == 0)) && user_line="user $(id -un) $(id -gn);"
  cat >"$prefix/nginx.conf" <<EOF
# Generated by bench/run.sh: a plain static-file server, default settings except
# where noted.
$user_line
worker_processes 2;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65s;
  # The default of 1000 would make wrk reconnect every 1000 requests; coffer
  # has no such limit, so lift it to compare keep-alive with keep-alive.
  keepalive_requests 1000000;
  default_type application/json;
  client_body_temp_path $prefix/tmp/body;
  proxy_temp_path $prefix/tmp/proxy;
  fastcgi_temp_path $prefix/tmp/fastcgi;
  uwsgi_temp_path $prefix/tmp/uwsgi;
  scgi_temp_path $prefix/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $prefix/www;
  }
}
EOF
  log "starting nginx on $NGINX_URL"
  # -e: without it nginx first tries to open /var/log/nginx/error.log.
  nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" >"$prefix/stdout.log" 2>&1 &
  NGINX_PID=$!
  if ! wait_until 10 "$NGINX_PID" "nginx" \
      curl -s -o /dev/null --fail --max-time 1 "$NGINX_URL/v0/vault/$CREDENTIAL_NAME"; then
    cat "$prefix/error.log" "$prefix/stdout.log" >&2 2>/dev/null || true
    die "nginx exited during start-up (port $NGINX_PORT taken?)"
  fi
  local served
  served="$(curl -s --max-time 5 "$NGINX_URL/v0/vault/$CREDENTIAL_NAME" | wc -c | tr -d ' ')"
  [[ "$served" == "$GET_BODY_BYTES" ]] || die "nginx serves $served bytes, coffer $GET_BODY_BYTES"
}

# --------------------------------------------------------------- measuring --

# The disk baseline: synchronous 512-byte writes (O_DSYNC, i.e. one flush to
# stable storage per write) on the filesystem that holds coffer's data dir.
# A server that fsyncs once per PUT cannot beat this rate; group commit should.
# Prints the rate in writes/s.
measure_dsync_rate() {
  local out seconds rate
  log "measuring one-fsync-per-write rate ($DSYNC_WRITES synchronous 512-byte writes)"
  out="$(LC_ALL=C timeout 300 dd if=/dev/zero of="$WORK_DIR/dsync.test" bs=512 \
    count="$DSYNC_WRITES" oflag=dsync 2>&1)" || die "dd failed: $out"
  rm -f "$WORK_DIR/dsync.test"
  # "1024000 bytes (1.0 MB, 1000 KiB) copied, 2.34 s, 438 kB/s"
  seconds="$(sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' <<<"$out")"
  [[ -n "$seconds" ]] || die "could not parse dd output: $out"
  rate="$(awk -v n="$DSYNC_WRITES" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')"
  log "  -> $rate synchronous writes/s"
  echo "$rate"
}

# run_wrk URL SCRIPT TOKEN CONNECTIONS DURATION [HISTOGRAM_FILE]: prints wrk's
# BENCH_RESULT line; with HISTOGRAM_FILE, also appends the latency histogram to it.
run_wrk() {
  local url="$1" script="$2" token="$3" connections="$4" duration="$5" histogram="${6:-}"
  local threads=$((connections < 2 ? connections : 2))
  local seconds="${duration%s}"
  local out
  # wrk stops itself after DURATION; the timeout only guards against a hang.
  # The scripts read the bearer token from COFFER_TOKEN.
  out="$(BENCH_LUA_DIR="$BENCH_DIR/wrk" BENCH_HISTOGRAM="$histogram" COFFER_TOKEN="$token" timeout $((seconds + 60)) \
    wrk -t "$threads" -c "$connections" -d "$duration" --latency -s "$BENCH_DIR/wrk/$script" "$url" 2>&1)" \
    || die "wrk failed against $url: $out"
  printf '### %s: %s %s c=%s -d %s\n%s\n\n' "${RAW_LABEL:-?}" "$script" "$url" "$connections" "$duration" "$out" \
    >>"$WORK_DIR/wrk-raw.txt"
  grep '^BENCH_RESULT ' <<<"$out" || die "no BENCH_RESULT line from wrk: $out"
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

declare -A RPS P99_US ERRORS URL SCRIPT TOKEN GRANT_ROUND_LO GRANT_ROUND_HI WRITES_PER_COMMIT
RAW_LABEL=""  # names the workload in latest-wrk-raw.txt
WORKLOADS=("nginx GET" "coffer GET" "coffer GET via grant" "coffer PUT")

# nginx gets A's token too (and ignores it), so its requests are byte for byte
# those of "coffer GET". PUT writes as the owner, as it always has.
define_workloads() {
  local get_url="$COFFER_URL/v0/vault/$CREDENTIAL_NAME"
  URL["nginx GET"]="$NGINX_URL/v0/vault/$CREDENTIAL_NAME"
  SCRIPT["nginx GET"]=get.lua;            TOKEN["nginx GET"]="$AGENT_TOKEN"
  URL["coffer GET"]="$get_url"
  SCRIPT["coffer GET"]=get.lua;           TOKEN["coffer GET"]="$AGENT_TOKEN"
  URL["coffer GET via grant"]="$get_url"
  SCRIPT["coffer GET via grant"]=get.lua; TOKEN["coffer GET via grant"]="$SUB_TOKEN"
  URL["coffer PUT"]="$COFFER_URL"
  SCRIPT["coffer PUT"]=put.lua;           TOKEN["coffer PUT"]="$OWNER_TOKEN"
}

# store_counter NAME: the store's "writes" or "commits" since coffer started, from
# GET /v0/status (shown to the owner): the writes over the commits of a PUT cell
# is how many PUTs shared each fsync.
store_counter() {
  # A failed read prints nothing (the cell then shows n/a) instead of ending the run.
  { curl -sS --fail --max-time 10 -H "Authorization: Bearer $OWNER_TOKEN" "$COFFER_URL/v0/status" || true; } |
    { grep -o "\"$1\":[0-9]*" || true; } | awk -F: 'NR == 1 { print $2 }'
}

measure_cell() {
  local workload="$1" c="$2" result writes_before commits_before
  log "$workload: $c connection(s) for $DURATION"
  RAW_LABEL="$workload"
  if [[ "$workload" == "coffer PUT" ]]; then
    writes_before="$(store_counter writes)"; commits_before="$(store_counter commits)"
  fi
  result="$(run_wrk "${URL[$workload]}" "${SCRIPT[$workload]}" "${TOKEN[$workload]}" "$c" "$DURATION")"
  if [[ "$workload" == "coffer PUT" ]]; then
    WRITES_PER_COMMIT[$c]="$(awk -v w="$(store_counter writes)" -v w0="$writes_before" \
      -v k="$(store_counter commits)" -v k0="$commits_before" \
      'BEGIN { if (k > k0 && w0 != "") printf "%.1f", (w - w0) / (k - k0); else print "n/a" }')"
  fi
  RPS[$workload:$c]="$(field rps "$result")"
  P99_US[$workload:$c]="$(field p99_us "$result")"
  ERRORS[$workload:$c]=$(( $(field non2xx "$result") + $(field socket_errors "$result") ))
  log "  -> ${RPS[$workload:$c]} req/s, p99 ${P99_US[$workload:$c]} us, errors ${ERRORS[$workload:$c]}"
}

# p99 of the merged histograms in FILE ("<us> <count>" lines), by wrk's own rule:
# the smallest latency whose cumulative count reaches round(0.99 * total + 0.5).
histogram_p99() {
  sort -n -k1,1 "$1" | awk '
    { value[NR] = $1; count[NR] = $2; total += $2 }
    END {
      rank = int(0.99 * total + 1); sum = 0
      for (i = 1; i <= NR; i++) { sum += count[i]; if (sum >= rank) { print value[i]; exit } }
      print 0
    }'
}

# The delegation cost is a difference of a few percent between two workloads,
# which, run one after the other, would be swamped by whatever else the machine
# does meanwhile (a build, another writer on the disk). So "coffer GET" and
# "coffer GET via grant" alternate in slices of SLICE_SECONDS, in ABBA order
# (A B, B A, A B, ...), adding up to DURATION each. Req/s is total requests over
# total time; p99 comes from the merged latency histograms of the slices.
measure_get_pair() {
  local c="$1" rounds round workload result
  local -a order round_ratios=()
  local -A requests micros errors histogram slice_rps
  rounds=$(( ${DURATION%s} / SLICE_SECONDS )); ((rounds >= 1)) || rounds=1
  log "coffer GET and coffer GET via grant: $c connection(s), $rounds alternating ${SLICE_SECONDS}s slices each"
  for workload in "coffer GET" "coffer GET via grant"; do
    requests[$workload]=0; micros[$workload]=0; errors[$workload]=0
    histogram[$workload]="$WORK_DIR/histogram-${workload// /-}-c$c.txt"
    : >"${histogram[$workload]}"
  done
  for ((round = 0; round < rounds; round++)); do
    if ((round % 2 == 0)); then order=("coffer GET" "coffer GET via grant")
    else order=("coffer GET via grant" "coffer GET"); fi
    for workload in "${order[@]}"; do
      RAW_LABEL="$workload (round $((round + 1)) of $rounds)"
      result="$(run_wrk "${URL[$workload]}" "${SCRIPT[$workload]}" "${TOKEN[$workload]}" "$c" \
        "${SLICE_SECONDS}s" "${histogram[$workload]}")"
      requests[$workload]=$(( ${requests[$workload]} + $(field requests "$result") ))
      micros[$workload]=$(( ${micros[$workload]} + $(field duration_us "$result") ))
      errors[$workload]=$(( ${errors[$workload]} + $(field non2xx "$result") + $(field socket_errors "$result") ))
      slice_rps[$workload]="$(field rps "$result")"
    done
    round_ratios+=("$(awk -v g="${slice_rps[coffer GET via grant]}" -v d="${slice_rps[coffer GET]}" \
      'BEGIN { if (d > 0) printf "%.4f", g / d; else print "" }')")
  done
  # The spread of the per-round ratios shows how far the machine let the two
  # workloads drift apart: a total ratio of 95% means little if rounds range
  # from 50% to 150%.
  GRANT_ROUND_LO[$c]="$(printf '%s\n' "${round_ratios[@]}" | sort -g | sed -n '/./{p;q}')"
  GRANT_ROUND_HI[$c]="$(printf '%s\n' "${round_ratios[@]}" | sort -g | tail -n 1)"
  for workload in "coffer GET" "coffer GET via grant"; do
    RPS[$workload:$c]="$(awk -v n="${requests[$workload]}" -v us="${micros[$workload]}" \
      'BEGIN { if (us > 0) printf "%.1f", n * 1e6 / us; else print 0 }')"
    P99_US[$workload:$c]="$(histogram_p99 "${histogram[$workload]}")"
    ERRORS[$workload:$c]="${errors[$workload]}"
    log "  $workload -> ${RPS[$workload:$c]} req/s, p99 ${P99_US[$workload:$c]} us, errors ${ERRORS[$workload:$c]}"
  done
}

# Concurrency-major order: the workloads run back to back at each concurrency,
# so the ratios in a row compare measurements taken within 40 s of each other
# (and the two coffer GETs, interleaved, within the same 20 s). On a shared
# machine, a burst of outside load then skews a few cells of one concurrency
# instead of one whole workload.
measure_all() {
  local workload c
  for workload in "${WORKLOADS[@]}"; do
    log "$workload: warm-up ($WARMUP at 16 connections, discarded)"
    RAW_LABEL="$workload (warm-up)"
    run_wrk "${URL[$workload]}" "${SCRIPT[$workload]}" "${TOKEN[$workload]}" 16 "$WARMUP" >/dev/null
  done
  for c in "${CONCURRENCIES[@]}"; do
    measure_cell "nginx GET" "$c"
    measure_get_pair "$c"
    measure_cell "coffer PUT" "$c"
  done
}

# ---------------------------------------------------------------- reporting --

load_average() { cut -d' ' -f1 /proc/loadavg; }

# The benchmark saturates the CPUs itself; any other busy process (a build, a
# test suite) takes its share and skews every row. Say so rather than refuse.
warn_if_busy() {
  if ge "$LOAD_BEFORE" "$(awk -v n="$(nproc)" 'BEGIN { print n / 2 }')"; then
    log "warning: load average is $LOAD_BEFORE on $(nproc) CPUs; other work will skew the results"
  fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

machine_facts() {
  local cpu
  cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  [[ -n "$cpu" ]] || cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)"
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- CPUs (nproc): $(nproc); CPU model: ${cpu:-unknown}"
  echo "- Kernel: $(uname -sr)"
  echo "- Data dir filesystem: $(df -T "$WORK_DIR" | awk 'NR == 2 { print $2 " on " $1 }')"
  echo "- coffer: $("$COFFER_BIN" --version 2>/dev/null | head -n 1 || echo '?'), commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_DIR" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "- Load generator: $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $(nginx -v 2>&1 | sed 's/^nginx version: //'); client and servers share the same $(nproc) CPUs"
  local rounds=$(( ${DURATION%s} / SLICE_SECONDS )); ((rounds >= 1)) || rounds=1
  echo "- Each cell: wrk -t min(2,c) -c c -d $DURATION, keep-alive, after a ${WARMUP} warm-up; GET body $GET_BODY_BYTES bytes"
  echo "- coffer GET (bench-agent's own credential) and coffer GET via grant (bench-sub, same credential): $rounds alternating ${SLICE_SECONDS}s slices each, ABBA order"
  echo "- One fsync per request (dd, $DSYNC_WRITES x 512 B, oflag=dsync): $DSYNC_RATE_BEFORE writes/s before the servers ran, $DSYNC_RATE_AFTER after; ratios use the faster, **$DSYNC_RATE writes/s**"
  echo "- Load average (1 min) at the start: $LOAD_BEFORE (a value near $(nproc) or above means other work, or the build just done, shared the machine)"
}

# Req/s of a via-grant read as a share of the direct read, with the cost spelled
# out: "93.1% (-6.9%)".
grant_vs_direct() {
  awk -v g="$1" -v d="$2" 'BEGIN { if (d > 0) printf "%.1f%% (%+.1f%%)", 100 * g / d, 100 * (g - d) / d; else print "n/a" }'
}

# "69–161%": the lowest and highest per-round via-grant/direct ratio at C.
grant_round_range() {
  awk -v lo="${GRANT_ROUND_LO[$1]:-}" -v hi="${GRANT_ROUND_HI[$1]:-}" \
    'BEGIN { if (lo != "" && hi != "") printf "%.0f–%.0f%%", 100 * lo, 100 * hi; else print "n/a" }'
}

# The delegation aim at C: "yes" or "no" only when the rounds agree to within
# 20 points (otherwise the machine moved more than the 10% being judged).
grant_aim() {
  local c="$1" g="${RPS[coffer GET via grant:$1]}" d="${RPS[coffer GET:$1]}"
  awk -v g="$g" -v d="$d" -v lo="${GRANT_ROUND_LO[$c]:-0}" -v hi="${GRANT_ROUND_HI[$c]:-9}" -v range="$(grant_round_range "$c")" '
    BEGIN {
      if (d <= 0) { print "n/a"; exit }
      verdict = (g > 0.9 * d) ? "yes" : "no"
      if (hi - lo > 0.2) verdict = "unclear"
      printf "%s (cost %.1f%%, rounds %s)", verdict, 100 * (d - g) / d, range
    }'
}

results_table() {
  local workload c rps p99 nginx_rps vs_fsync vs_direct
  echo "| Workload | Connections | Req/s | p99 latency | vs nginx GET | vs coffer GET (direct) | vs 1 fsync/request | Errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for workload in "${WORKLOADS[@]}"; do
    for c in "${CONCURRENCIES[@]}"; do
      rps="${RPS[$workload:$c]}"; p99="${P99_US[$workload:$c]}"; nginx_rps="${RPS[nginx GET:$c]}"
      vs_fsync="–"; vs_direct="–"
      [[ "$workload" == "coffer PUT" ]] &&
        vs_fsync="$(ratio "$rps" "$DSYNC_RATE")x (${WRITES_PER_COMMIT[$c]:-n/a} per fsync)"
      [[ "$workload" == "coffer GET via grant" ]] &&
        vs_direct="$(grant_vs_direct "$rps" "${RPS[coffer GET:$c]}"), rounds $(grant_round_range "$c")"
      printf '| %s | %s | %s | %s ms | %s | %s | %s | %s |\n' "$workload" "$c" \
        "$(awk -v r="$rps" 'BEGIN { printf "%.0f", r }')" \
        "$(awk -v u="$p99" 'BEGIN { printf "%.2f", u / 1000 }')" \
        "$(percent "$rps" "$nginx_rps")" "$vs_direct" "$vs_fsync" "${ERRORS[$workload:$c]}"
    done
  done
}

# The targets from the performance issue, checked per concurrency level.
aims_summary() {
  local c line_get="" line_grant="" line_put="" line_fsync="" mark
  for c in "${CONCURRENCIES[@]}"; do
    mark="no"; ge "$(ratio "${RPS[coffer GET:$c]}" "${RPS[nginx GET:$c]}")" 0.5 && mark="yes"
    line_get+=" c=$c: $mark;"
    line_grant+=" c=$c: $(grant_aim "$c");"
    mark="no"; ge "$(ratio "${RPS[coffer PUT:$c]}" "${RPS[nginx GET:$c]}")" 0.2 && mark="yes"
    line_put+=" c=$c: $mark;"
    mark="no"; ge "$(ratio "${RPS[coffer PUT:$c]}" "$DSYNC_RATE")" 5 && mark="yes"
    line_fsync+=" c=$c: $mark;"
  done
  echo "- coffer GET >= 50% of nginx GET:${line_get%;}"
  # The audit issue's own aim: every GET here already carries a durable audit record.
  mark="no"; ge "$(ratio "${RPS[coffer GET:64]}" "${RPS[nginx GET:64]}")" 0.4 && mark="yes"
  echo "- audited coffer GET >= 40% of nginx GET at 64 connections: $mark"
  echo "- coffer GET via grant costs < 10% of the direct read's req/s (unclear: rounds spread > 20 points):${line_grant%;}"
  echo "- coffer PUT >= 20% of nginx GET:${line_put%;}"
  echo "- coffer PUT >= 5x one fsync per request:${line_fsync%;}"
}

write_report() {
  local report
  report="$(
    echo "## Coffer benchmark"
    echo
    machine_facts
    echo
    results_table
    echo
    echo "Aims (the delegation one from the identities work, the 40% one from the audit work, the others from the performance issue):"
    echo
    aims_summary
  )"
  echo
  echo "$report"
  mkdir -p "$RESULTS_DIR"
  echo "$report" >"$RESULTS_DIR/latest.md"
  cp "$WORK_DIR/wrk-raw.txt" "$RESULTS_DIR/latest-wrk-raw.txt"
  echo
  log "written to ${RESULTS_DIR#"$REPO_DIR"/}/latest.md (raw wrk output: latest-wrk-raw.txt)"
}

main() {
  parse_args "$@"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  WORK_DIR="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/coffer-bench.XXXXXX")"
  : >"$WORK_DIR/wrk-raw.txt"

  install_missing_tools
  build_coffer
  LOAD_BEFORE="$(load_average)"
  warn_if_busy
  # Before any server runs, so our own servers do not compete for the disk.
  DSYNC_RATE_BEFORE="$(measure_dsync_rate)"
  start_coffer
  set_up_identities
  check_grant_read
  start_nginx

  define_workloads
  measure_all

  # Again once the servers are idle: fsync latency drifts (other writers, VM
  # host caches), and a single sample can be off by an order of magnitude.
  # The PUT ratio uses the faster of the two, so it errs on the strict side.
  DSYNC_RATE_AFTER="$(measure_dsync_rate)"
  DSYNC_RATE=$((DSYNC_RATE_BEFORE > DSYNC_RATE_AFTER ? DSYNC_RATE_BEFORE : DSYNC_RATE_AFTER))

  write_report
}

# bench/postgres.sh sources this file for its helpers (processes, wrk, the
# identities, the report's arithmetic); only a direct run measures.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
