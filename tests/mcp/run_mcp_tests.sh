#!/usr/bin/env bash
# Runs the MCP integration tests: starts `COFFER_BIN serve` on an ephemeral loopback port with a
# fresh data directory, drives it with the official MCP TypeScript SDK (stdio and Streamable
# HTTP), stops it, and ends with "N passed, M failed". Exits non-zero on any failure.
#
#   tests/mcp/run_mcp_tests.sh build/src/coffer
set -uo pipefail

if [[ $# -ne 1 || ! -x "$1" ]]; then
  echo "usage: $0 COFFER_BIN   (the built coffer binary)" >&2
  exit 2
fi
COFFER_BIN="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "run_mcp_tests: node and npm are needed (apt-get install nodejs npm)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# Dependencies are pinned by package-lock.json and installed next to the test, once.
if [[ ! -d "$HERE/node_modules/@modelcontextprotocol/sdk" || ! -d "$HERE/node_modules/otplib" ||
      "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]]; then
  echo "run_mcp_tests: installing the MCP SDK and otplib (npm ci)" >&2
  if ! (cd "$HERE" && (npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error)) >&2; then
    echo "run_mcp_tests: npm could not install the test dependencies" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

DATA_DIR="$(mktemp -d)"
SERVER_LOG="$DATA_DIR/server.log"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

"$COFFER_BIN" serve --data-dir "$DATA_DIR/data" --listen 127.0.0.1:0 >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

PORT=""
for _ in $(seq 1 300); do
  PORT="$(sed -n 's|^  Listening on *http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$SERVER_LOG" | head -n 1)"
  [[ -n "$PORT" ]] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
  sleep 0.1
done
if [[ -z "$PORT" || ! -s "$DATA_DIR/data/owner.token" ]]; then
  echo "run_mcp_tests: coffer serve did not start; its output:" >&2
  cat "$SERVER_LOG" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

TAP="$DATA_DIR/results.tap"
COFFER_BIN="$COFFER_BIN" \
COFFER_URL="http://127.0.0.1:$PORT" \
COFFER_TOKEN="$(head -n 1 "$DATA_DIR/data/owner.token")" \
COFFER_SERVER_LOG="$SERVER_LOG" \
  node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TAP" \
    "$HERE/mcp_client_test.mjs"
NODE_RC=$?

count() { sed -n "s/^# $1 \([0-9][0-9]*\)$/\1/p" "$TAP" | tail -n 1; }
PASSED="$(count pass)"
FAILED="$(count fail)"
SKIPPED="$(count skipped)"
PASSED="${PASSED:-0}"
FAILED="${FAILED:-0}"
if [[ "$NODE_RC" -ne 0 && "$FAILED" -eq 0 ]]; then FAILED=1; fi  # node failed outside a test

echo "${PASSED} passed, ${FAILED} failed, ${SKIPPED:-0} skipped"
[[ "$NODE_RC" -eq 0 && "$FAILED" -eq 0 ]]
