#!/usr/bin/env bash
# Installs what is missing, builds, lists the OpenCL devices and checks every kernel on the
# default device against the scalar reference. (The trainer will take over this script's last
# step once it exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "== cltrain devices"
./build/cltrain devices
echo
echo "== cltrain selftest (default device)"
./build/cltrain selftest "$@"
