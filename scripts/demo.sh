#!/usr/bin/env bash
# Installs what is missing, builds, lists the OpenCL devices, checks every kernel on the default
# device, then trains a network on the 8x8 handwritten digits (data/digits.csv) and writes the
# model, the training log and a plot of the curves under build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "== cltrain devices"
./build/cltrain devices
echo
echo "== cltrain selftest (every kernel against the scalar reference)"
./build/cltrain selftest --quiet
echo
mkdir -p build/demo
echo "== cltrain train (handwritten digits, 1797 images of 8x8 pixels, 10 classes)"
./build/cltrain train --data data/digits.csv --standardize --layers 64,32 --dropout 0.1 \
    --epochs 30 --val 0.2 --patience 8 --seed 1 \
    --save build/demo/digits.safetensors --log build/demo/digits.csv --plot build/demo/digits.svg "$@"
echo
echo "== cltrain eval"
./build/cltrain eval --model build/demo/digits.safetensors --data data/digits.csv
