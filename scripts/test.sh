#!/usr/bin/env bash
# Installs dependencies, builds the server as the Quick start does (Release, so its warnings are
# caught here too), then builds everything with AddressSanitizer + UndefinedBehaviorSanitizer and
# runs every test once under them. Exits non-zero if anything fails; the last line is ctest's
# summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="$(nproc)"
bash "$root/scripts/install-deps.sh"

echo "== the server as the Quick start builds it (Release): must compile cleanly"
bash "$root/scripts/build.sh" "$root/build" -DCMAKE_BUILD_TYPE=Release -DCOFFER_BUILD_TESTS=OFF

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
bash "$root/scripts/build.sh" "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCOFFER_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$root/build-asan" -j "$jobs" --output-on-failure --timeout 900
