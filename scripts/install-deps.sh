#!/usr/bin/env bash
# Installs what Coffer builds, tests and benchmarks with: Debian 12 packages only.
# Idempotent and quiet when everything is already there, so every other script can call it first.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries (see README "Dependencies" for why each one)
  libssl-dev libsodium-dev libsqlite3-dev libboost-dev libboost-system-dev
  nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev libgtest-dev libjemalloc-dev
  # tests: the TLS test makes a certificate with openssl, the audit test tampers with rows via
  # sqlite3 (node for the MCP and .env tests is handled below)
  openssl sqlite3 ca-certificates
  # bench: the load generator, the nginx baseline, Google Benchmark for bench/micro, curl to
  # drive the server while setting up
  wrk nginx-light libbenchmark-dev curl
  # root keys in an HSM: p11-kit's pkcs11.h to build the PKCS#11 provider (modules are dlopen'ed,
  # nothing is linked); SoftHSM2 and pkcs11-tool (opensc) for the test that makes its own token
  libp11-kit-dev softhsm2 opensc
  # PostgreSQL, the store for many nodes: libpq to build against, and the server, which the tests
  # start themselves on loopback (tests/postgres/pg_cluster.sh); python3 picks its free port.
  # The server package (postgresql-NN) also ships pgbench, which bench/postgres.sh runs.
  libpq-dev postgresql python3
)

# The MCP and .env tests run node and npm. Machines that already carry a Node.js (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package) keep theirs; others get Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [[ $EUID -ne 0 ]]; then sudo=sudo; else sudo=; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
