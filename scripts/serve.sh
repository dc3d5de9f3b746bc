#!/usr/bin/env bash
# Quick start: install dependencies, build, and run `coffer serve` on its embedded defaults
# (SQLite in ./coffer-data, a generated root key file, http://127.0.0.1:8720). Extra arguments go
# to `coffer serve`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$root/build" -DCMAKE_BUILD_TYPE=Release -DCOFFER_BUILD_TESTS=OFF
exec "$root/build/src/coffer" serve "$@"
