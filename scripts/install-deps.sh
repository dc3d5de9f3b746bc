#!/usr/bin/env bash
# Installs what Coffer builds, tests and benchmarks with: Debian 12 packages only.
# Idempotent and quiet when everything is already there, so every other script can call it first.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries (see README "Dependencies" for why each one)
  libssl-dev libsodium-dev libsqlite3-dev libboost-dev libboost-system-dev
  nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev libgtest-dev
  # tests: the TLS test makes a certificate with openssl; the MCP and .env tests run node
  openssl nodejs npm ca-certificates
  # bench: the load generator and the nginx baseline
  wrk nginx-light
)

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
