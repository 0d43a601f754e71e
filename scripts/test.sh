#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, runs every test (CTest).
# Options (environment): BUILD_DIR (default build), CLTRAIN_SANITIZE=1 for an ASan+UBSan build,
# CTEST_ARGS for extra ctest arguments (e.g. "-L device").
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
build="${BUILD_DIR:-build}"
sanitize="${CLTRAIN_SANITIZE:-0}"
type=Release
if [ "$sanitize" = 1 ]; then type=Debug; fi
# The sanitizer build leaves MPI out: Open MPI's own allocations at MPI_Init would read as leaks.
# It so checks the build without MPI (and its refusal under mpirun); the data-parallel library
# code runs under the sanitizers in the `parallel` test (ranks as threads).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="$type" -DCLTRAIN_WERROR=ON \
      -DCLTRAIN_SANITIZE="$([ "$sanitize" = 1 ] && echo ON || echo OFF)" \
      -DCLTRAIN_WITH_MPI="$([ "$sanitize" = 1 ] && echo OFF || echo ON)"
cmake --build "$build" -j "$(nproc)"
cd "$build"
# shellcheck disable=SC2086
ctest --output-on-failure -j "$(nproc)" ${CTEST_ARGS:-}
