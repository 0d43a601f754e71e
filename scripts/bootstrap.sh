#!/usr/bin/env bash
# Installs, with apt-get, only the system packages cltrain needs that are missing. Idempotent.
# Without root (and without sudo), prints the exact command to run instead and fails.
set -euo pipefail

packages=(cmake make gcc libc6-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev zlib1g-dev libopenblas-dev pkg-config clinfo
          clang libclang-rt-dev oclgrind binutils python3 python3-numpy libopenmpi-dev openmpi-bin
          python3-sklearn python3-venv python3-setuptools python3-wheel python3-pandas
          mesa-opencl-icd)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
# The tests run Debian's Python (CMake chooses it: tests/CMakeLists.txt), whatever python3 comes
# first on PATH; it must import NumPy.
numpy_check() {
    if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
        echo "bootstrap: error: /usr/bin/python3 cannot import NumPy although python3-numpy is" \
            "installed; run: /usr/bin/python3 -c 'import numpy' to see why" >&2
        exit 1
    fi
}
if [ "${#missing[@]}" -eq 0 ]; then
    numpy_check
    echo "bootstrap: every package is installed (${packages[*]})"
    exit 0
fi
echo "bootstrap: missing: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: error: apt-get not found; install the equivalents of: ${missing[*]}" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    echo "bootstrap: error: not root; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
numpy_check
echo "bootstrap: installed ${missing[*]}"
