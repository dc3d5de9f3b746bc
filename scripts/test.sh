#!/usr/bin/env bash
# Installs dependencies, then builds and runs every test twice: an optimised build, and a build with
# AddressSanitizer + UndefinedBehaviorSanitizer. Exits non-zero if anything fails; the last line is
# ctest's summary of the sanitizer run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="$(nproc)"
bash "$root/scripts/install-deps.sh"

echo "== optimised build (RelWithDebInfo)"
bash "$root/scripts/build.sh" "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir "$root/build" -j "$jobs" --output-on-failure --timeout 600

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
bash "$root/scripts/build.sh" "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCOFFER_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$root/build-asan" -j "$jobs" --output-on-failure --timeout 900
