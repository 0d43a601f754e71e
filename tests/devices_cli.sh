#!/usr/bin/env bash
# cltrain devices: the profile each device runs with (CLTRAIN_PROFILE), and the doctor: a fake
# NVIDIA library on a temporary LD_LIBRARY_PATH is found and the setting that loads it printed;
# a registered driver that does not load is named. Bad settings are one-line errors.
# usage: devices_cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

# profiles: the device's own (PoCL: cpu), or the one CLTRAIN_PROFILE names
run "devices names the profile" 0 'profile: cpu' -- devices --no-clblast
run "CLTRAIN_PROFILE=gpu shows" 0 'profile: gpu  \(CLTRAIN_PROFILE\)' CLTRAIN_PROFILE=gpu -- devices --no-clblast
run "profile in --json" 0 '"profile": "gpu"' CLTRAIN_PROFILE=gpu -- devices --no-clblast --json
run "bad CLTRAIN_PROFILE" 1 "CLTRAIN_PROFILE='fast' is not one of auto, cpu, gpu" CLTRAIN_PROFILE=fast -- devices --no-clblast
# a bad profile stops training too, before anything is written
run "bad CLTRAIN_PROFILE stops train" 1 "CLTRAIN_PROFILE" CLTRAIN_PROFILE=fast -- train --data moons:n=64 --layers 8 --epochs 1 --save "$tmp/m.safetensors"
report "nothing saved after a bad profile" "$([ ! -e "$tmp/m.safetensors" ] && echo 1 || echo 0)" "a model file was written"

# the doctor, with a fake vendor library (an empty file is enough: unregistered libraries are
# only looked at, never loaded)
mkdir -p "$tmp/lib"
: >"$tmp/lib/libnvidia-opencl.so.1"
run "doctor finds an unregistered NVIDIA library" 0 \
    "NVIDIA's OpenCL driver is installed but not registered: $tmp/lib/libnvidia-opencl.so.1\. Run with OCL_ICD_VENDORS=$tmp/lib/libnvidia-opencl.so.1" \
    LD_LIBRARY_PATH="$tmp/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" -- devices --no-clblast --doctor
: >"$tmp/lib/libamdocl64.so"
run "doctor finds AMD's too" 0 "AMD's OpenCL driver is installed but not registered: $tmp/lib/libamdocl64.so" \
    LD_LIBRARY_PATH="$tmp/lib" -- devices --no-clblast --doctor
# without a GPU the doctor runs by itself (CI has none; with a GPU it needs --doctor)
if "$bin" devices --no-clblast --json 2>/dev/null | grep -q '"type": "gpu"'; then
    run "doctor on request" 0 'doctor: ' -- devices --no-clblast --doctor
else
    run "doctor runs when no GPU is found" 0 'doctor: ' LD_LIBRARY_PATH="$tmp/lib" -- devices --no-clblast
fi

# a registration whose library is missing: no platform at all, an error, and the doctor names it
mkdir -p "$tmp/vendors"
echo "$tmp/nowhere/libbroken-opencl.so" >"$tmp/vendors/broken.icd"
OCL_ICD_VENDORS="$tmp/vendors" "$bin" devices --no-clblast >"$tmp/out" 2>"$tmp/err"
rc=$?
report "a broken registration fails" "$([ $rc != 0 ] && echo 1 || echo 0)" "exit $rc"
report "the error is one line" "$([ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^cltrain: error: ' "$tmp/err" && echo 1 || echo 0)" "stderr not one error line"
report "the doctor names the driver that does not load" \
    "$(grep -q "the driver $tmp/nowhere/libbroken-opencl.so registered in $tmp/vendors/broken.icd does not load" "$tmp/out" && echo 1 || echo 0)" "no such line"
# the common bits' probe: PoCL gives them; kernels built with contraction allowed do not
run "devices says whether a device gives the common bits" 0 'common bits     yes \(no contraction' -- devices --no-clblast
run "common bits in --json" 0 '"common_bits": true, "bits_probe": \{"probes": 4093, "contracted": 0' -- devices --no-clblast --json
mkdir -p "$tmp/kernels" && cp "$(dirname "$0")/../kernels/"*.cl "$tmp/kernels/" &&
    sed -i 's/^#pragma OPENCL FP_CONTRACT OFF//' "$tmp/kernels/common.cl"
run "contraction is seen" 0 'common bits     no: [0-9]+ of 4093 a \* b \+ c fused' \
    CLTRAIN_DEVICE=pthread CLTRAIN_KERNELS_DIR="$tmp/kernels" -- devices --no-clblast
run "unknown devices option" 2 "unknown option '--bogus'" -- devices --bogus

finish devices_cli
