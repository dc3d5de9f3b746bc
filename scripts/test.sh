#!/usr/bin/env bash
# Installs dependencies, builds everything as the Quick start builds the server (Release, so its
# warnings are caught here too) and runs every test against that build, then builds everything
# again with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test once more under
# them. Both matter: the optimiser is free to order what the sanitizer build happens to order
# safely (an argument moved before another one read it lost audit targets in Release only).
# Exits non-zero if anything fails; the last line is ctest's summary of the sanitizer run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="$(nproc)"
bash "$root/scripts/install-deps.sh"

echo "== Release, as the Quick start builds the server: every test"
bash "$root/scripts/build.sh" "$root/build" -DCMAKE_BUILD_TYPE=Release -DCOFFER_BUILD_TESTS=ON
ctest --test-dir "$root/build" -j "$jobs" --output-on-failure --timeout 900

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
bash "$root/scripts/build.sh" "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCOFFER_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$root/build-asan" -j "$jobs" --output-on-failure --timeout 900
