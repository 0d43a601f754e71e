#!/usr/bin/env bash
# Runs one test on Mesa's rusticl, on its CPU driver llvmpipe (RUSTICL_ENABLE=llvmpipe,
# CLTRAIN_DEVICE=llvmpipe): a second OpenCL implementation beside PoCL, with its own compiler.
#
#   tests/rusticl.sh CLTRAIN COMMAND [ARGS...]
#
# Exit 77 (a skip, with the reason) only when Mesa's OpenCL driver is not installed at all
# (apt-get install mesa-opencl-icd; scripts/bootstrap.sh installs it, so CI runs these tests).
# Fails when it is installed but `cltrain devices` shows no llvmpipe device, when the command
# fails, or when its output does not name llvmpipe (it ran on another device).
set -uo pipefail
cltrain=$1
shift
vendors="${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}"
if ! ls "$vendors"/*rusticl*.icd >/dev/null 2>&1; then
    echo "rusticl.sh: SKIP: Mesa's OpenCL driver is not registered (no $vendors/rusticl.icd);" \
        "apt-get install mesa-opencl-icd (scripts/bootstrap.sh installs it)"
    exit 77
fi
export RUSTICL_ENABLE=llvmpipe CLTRAIN_DEVICE=llvmpipe
if ! "$cltrain" devices 2>&1 | grep -q 'llvmpipe'; then
    echo "rusticl.sh: FAIL: $vendors has rusticl's driver, but with RUSTICL_ENABLE=llvmpipe" \
        "'cltrain devices' lists no llvmpipe device:"
    "$cltrain" devices 2>&1 | sed 's/^/    /'
    exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
t0=$(date +%s)
"$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
echo "rusticl.sh: exit $rc after $(($(date +%s) - t0)) s: $*"
if [ "$rc" -ne 0 ]; then
    exit 1
fi
if ! grep -q 'llvmpipe' "$out"; then
    echo "rusticl.sh: FAIL: the output does not name the llvmpipe device; it ran elsewhere"
    exit 1
fi
