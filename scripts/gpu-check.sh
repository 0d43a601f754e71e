#!/usr/bin/env bash
# One command for a machine with a GPU and no network: makes the GPU's OpenCL driver reachable,
# then runs cltrain's checks and measurements on it and writes DIR/report.md with the raw logs.
#
#   scripts/gpu-check.sh [--out DIR] [--build DIR] [--reference DIR] [--dry-run]
#
# Steps, each under a timeout, all of them within a deadline of 450 s:
#   1. the OpenCL loader and CLBlast: used from the system, else unpacked (never installed) from
#      the .deb files carried in .gpu/ into a temporary folder on LD_LIBRARY_PATH;
#   2. the GPU's driver: if no GPU platform shows, the vendor library is looked for
#      (LD_LIBRARY_PATH, /usr/local/nvidia/lib64, the ldconfig cache, the usual folders) and
#      loaded through OCL_ICD_VENDORS=<its path>; what was searched and found goes in the report;
#   3. the build: --build DIR, else .gpu/build, else build (one holding a cltrain binary), else
#      a fresh Release build in .gpu/build;
#   4. on the GPU (CLTRAIN_DEVICE=gpu): cltrain devices, selftest, the device tests, bits, tune,
#      bench, and bench/compare_torch.py on CUDA (fp32, TF32 off) when PyTorch is there.
#      bits (scripts/bits-check.sh): the seeded runs of tests/bits_matrix.sh, trained with --exact
#      on the GPU, on a CPU device when one shows there, and compared with the files of
#      --reference DIR (default .gpu/bits-reference, trained here on PoCL): the report says
#      whether the model files are identical, else the first tensor and value that differ.
# --dry-run: the same sequence on the default device with small sizes and no driver search (CTest
# runs it on PoCL); bits compares the default device with itself under CLTRAIN_PROFILE=gpu.
# Exit status: 0 when every step passed (a step skipped for a stated reason, such as no PyTorch,
# does not fail it), 1 otherwise.
#
# Preparing here (a machine with Debian's packages), from the repository root:
#   echo /.gpu/ >> .git/info/exclude; mkdir -p .gpu
#   (cd .gpu && apt-get download ocl-icd-libopencl1 libclblast1)
#   cmake -S . -B .gpu/build -DCMAKE_BUILD_TYPE=Release -DCLTRAIN_WITH_MPI=OFF \
#       -DCLTRAIN_WITH_OPENBLAS=OFF && cmake --build .gpu/build -j2
#   scripts/bits-check.sh --cltrain .gpu/build/cltrain --dir .gpu/bits-reference 'pocl-cpu CLTRAIN_DEVICE=cpu'
# and there (the device tool: carry [".gpu"]): scripts/gpu-check.sh --out "$OUT"
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="" build="" ref="" dry=0
while [ $# -gt 0 ]; do
    case "$1" in
    --out) [ $# -ge 2 ] || { echo "gpu-check: --out needs a folder" >&2; exit 2; }; out="$2"; shift 2 ;;
    --build) [ $# -ge 2 ] || { echo "gpu-check: --build needs a folder" >&2; exit 2; }; build="$2"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --reference) [ $# -ge 2 ] || { echo "gpu-check: --reference needs a folder" >&2; exit 2; }; ref="$2"; shift 2 ;;
    -h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown option '$1' (usage: scripts/gpu-check.sh [--out DIR] [--build DIR] [--reference DIR] [--dry-run])" >&2; exit 2 ;;
    esac
done
out="${out:-$root/gpu-check-out}"
[ -n "$ref" ] || [ ! -d "$root/.gpu/bits-reference" ] || ref="$root/.gpu/bits-reference"
[ -z "$ref" ] || [ -d "$ref" ] || { echo "gpu-check: --reference '$ref' is no folder" >&2; exit 2; }
[ -z "$ref" ] || ref="$(cd "$ref" && pwd)"
mkdir -p "$out" || { echo "gpu-check: cannot create the folder '$out'" >&2; exit 2; }
out="$(cd "$out" && pwd)"
report="$out/report.md"
t_start=$(date +%s)
deadline=$((t_start + 450))
failed=0
: >"$out/steps.txt"

note() { echo "$*" | tee -a "$out/setup.log"; }

# step NAME CAP_SECONDS COMMAND...: runs under min(CAP, time left), log in $out/NAME.log
step() {
    local name="$1" cap="$2" left rc t0 t1
    shift 2
    left=$((deadline - $(date +%s)))
    [ "$left" -lt "$cap" ] && cap="$left"
    if [ "$cap" -le 5 ]; then
        echo "$name|skipped|0|the deadline of 450 s was reached" >>"$out/steps.txt"
        failed=1
        echo "gpu-check: $name: not run, the deadline was reached"
        return 1
    fi
    echo "gpu-check: $name (at most ${cap} s)"
    t0=$(date +%s.%N)
    timeout -k 5 "$cap" "$@" >"$out/$name.log" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    local secs
    secs=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
    if [ $rc -eq 0 ]; then
        echo "$name|passed|$secs|" >>"$out/steps.txt"
    elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo "$name|timed out|$secs|after ${cap} s" >>"$out/steps.txt"
        failed=1
    else
        echo "$name|failed|$secs|exit $rc: $(grep -m1 -i 'error\|fail' "$out/$name.log" | cut -c1-160)" >>"$out/steps.txt"
        failed=1
    fi
    echo "gpu-check: $name: $(tail -n1 "$out/steps.txt" | cut -d'|' -f2) in ${secs} s"
    return $rc
}

skip() { echo "$1|skipped|0|$2" >>"$out/steps.txt"; echo "gpu-check: $1: skipped: $2"; }

: >"$out/setup.log"
note "gpu-check: $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -n), $(nproc) cores$([ $dry = 1 ] && echo ', dry run')"

# ---- 1. the OpenCL loader and CLBlast ---------------------------------------------------------
lib_path="${LD_LIBRARY_PATH:-}"
has_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || { for d in ${lib_path//:/ }; do [ -e "$d/$1" ] && return 0; done; return 1; }; }
debs=("$root"/.gpu/*.deb)
if [ -e "${debs[0]}" ] && { ! has_lib libOpenCL.so.1 || ! has_lib libclblast.so.1; }; then
    unpack="$(mktemp -d /tmp/gpu-check-root.XXXXXX)"
    for f in "${debs[@]}"; do
        if command -v dpkg-deb >/dev/null 2>&1; then
            dpkg-deb -x "$f" "$unpack" || note "gpu-check: could not unpack $f"
        else # a .deb is an ar archive holding data.tar.*
            python3 - "$f" "$unpack" <<'EOF' || note "gpu-check: could not unpack $1"
import io, sys, tarfile
data = open(sys.argv[1], "rb").read()
pos = 8
while pos < len(data):
    name = data[pos:pos + 16].decode().strip().rstrip("/")
    size = int(data[pos + 48:pos + 58].decode().strip())
    body = data[pos + 60:pos + 60 + size]
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(body)).extractall(sys.argv[2])
    pos += 60 + size + (size & 1)
EOF
        fi
    done
    for d in "$unpack"/usr/lib/*-linux-gnu "$unpack"/usr/lib; do
        [ -d "$d" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" && lib_path="$LD_LIBRARY_PATH"
    done
    note "gpu-check: unpacked ${#debs[@]} carried package(s) into $unpack (LD_LIBRARY_PATH)"
fi
has_lib libOpenCL.so.1 && note "gpu-check: OpenCL loader: found" || note "gpu-check: OpenCL loader: NOT found (carry .gpu/*.deb, see the header of this script)"

# ---- 3. the build (before the driver search: the search uses cltrain devices) -----------------
bin=""
for b in ${build:+"$build"} "$root/.gpu/build" "$root/build"; do
    [ -x "$b/cltrain" ] && { build="$b"; bin="$b/cltrain"; break; }
done
if [ -z "$bin" ]; then
    build="$root/.gpu/build"
    note "gpu-check: no build with a cltrain binary; building in $build"
    step build 240 bash -c "cmake -S '$root' -B '$build' -DCMAKE_BUILD_TYPE=Release && cmake --build '$build' -j$(nproc)"
    [ -x "$build/cltrain" ] && bin="$build/cltrain"
fi
if [ -z "$bin" ]; then
    note "gpu-check: no cltrain binary: stopping"
    failed=1
fi
note "gpu-check: cltrain: ${bin:-none}"

# ---- 2. the GPU's OpenCL driver ---------------------------------------------------------------
gpu_shows() { "$bin" devices --no-clblast --json 2>/dev/null | grep -q '"type": "gpu"'; }
if [ -n "$bin" ] && [ $dry = 0 ]; then
    if gpu_shows; then
        note "gpu-check: a GPU platform is registered already"
    else
        note "gpu-check: no GPU platform registered; searching for a vendor OpenCL library"
        found=""
        dirs="${lib_path//:/ } /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /opt/rocm/lib"
        for lib in libnvidia-opencl.so.1 libamdocl64.so libigdrcl.so; do
            cands=""
            for d in $dirs; do [ -e "$d/$lib" ] && cands="$cands $d/$lib"; done
            cands="$cands $(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l { print $NF }')"
            note "gpu-check:   $lib: ${cands:- not found}"
            for c in $cands; do
                [ -n "$found" ] && break
                if OCL_ICD_VENDORS="$c" "$bin" devices --no-clblast --json 2>/dev/null | grep -q '"type": "gpu"'; then
                    found="$c"
                else
                    note "gpu-check:   $c does not give a GPU platform"
                fi
            done
        done
        if [ -n "$found" ]; then
            export OCL_ICD_VENDORS="$found"
            note "gpu-check: using OCL_ICD_VENDORS=$found"
        else
            note "gpu-check: no GPU driver found (searched: $dirs and the ldconfig cache)"
            failed=1
            no_gpu=1
        fi
    fi
fi

# ---- 4. the checks ----------------------------------------------------------------------------
if [ -n "$bin" ]; then
    if [ $dry = 1 ]; then
        export CLTRAIN_TEST_SMALL=1
        tests="test_device test_gemm"
        tune_args=(--layers 20,16,5 --batch 32 --budget 3)
        bench_args=(--nets b,e --repeats 2 --no-gemm)
        bits_impls=("default" "gpu-profile CLTRAIN_PROFILE=gpu")
        torch_args=(--nets b --repeats 2 --rounds 1 --threads 1)
    else
        export CLTRAIN_DEVICE=gpu
        tests="test_device test_gemm test_activations test_loss test_optim test_dropout test_helpers test_determinism test_train"
        tune_args=(--nets a256,c,d --budget 60)
        bench_args=(--repeats 5)
        torch_args=(--repeats 5 --rounds 3 --threads 0)
        bits_impls=("gpu CLTRAIN_DEVICE=gpu")
        "$bin" devices --no-clblast --no-bits --json 2>/dev/null | grep -q '"type": "cpu"' &&
            bits_impls+=("cpu CLTRAIN_DEVICE=cpu")
    fi
    step devices 60 "$bin" devices
    if [ "${no_gpu:-0}" = 1 ]; then
        for n in selftest device_tests bits tune bench compare_torch; do
            skip "$n" "no GPU platform (the search and the doctor's findings are above and in devices.log)"
        done
        tests="" tune_args=() bench_args=()
    fi
fi
if [ -n "$bin" ] && [ "${no_gpu:-0}" = 0 ]; then
    step selftest 120 "$bin" selftest
    ran=0
    for t in $tests; do
        if [ -x "$build/tests/$t" ]; then
            step "$t" 120 "$build/tests/$t"
            ran=1
        fi
    done
    [ $ran = 1 ] || skip device_tests "the build has no tests (configure with the tests on)"
    if [ ${#bits_impls[@]} -gt 1 ] || [ -n "$ref" ]; then
        step bits 150 bash "$root/scripts/bits-check.sh" --cltrain "$bin" --dir "$out/bits" \
            ${ref:+--reference "$ref"} "${bits_impls[@]}"
    else
        skip bits "no CPU device shows here and no reference files were carried (.gpu/bits-reference: see the header of this script)"
    fi
    step tune 120 "$bin" tune "${tune_args[@]}"
    step bench 200 "$bin" bench "${bench_args[@]}"
    py=""
    for p in python3 /usr/bin/python3; do
        if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch, numpy' >/dev/null 2>&1; then py="$p"; break; fi
    done
    if [ -n "$py" ]; then
        step compare_torch 200 env PYTHONUNBUFFERED=1 "$py" "$root/bench/compare_torch.py" --cltrain "$bin" "${torch_args[@]}"
    else
        skip compare_torch "no python3 here imports torch and numpy"
    fi
fi

# ---- the report -------------------------------------------------------------------------------
{
    echo "# cltrain GPU check$([ $dry = 1 ] && echo ' (dry run)'): $([ $failed = 0 ] && echo passed || echo FAILED)"
    echo
    echo '```'
    cat "$out/setup.log"
    echo '```'
    echo
    echo "| step | result | seconds | note |"
    echo "|---|---|---|---|"
    while IFS='|' read -r n r s w; do echo "| $n | $r | $s | $w |"; done <"$out/steps.txt"
    echo
    echo "## bits"
    echo
    if [ -s "$out/bits/bits.md" ]; then
        cat "$out/bits/bits.md"
    else
        echo "Not compared: $(grep '^bits|' "$out/steps.txt" | cut -d'|' -f2,4 | tr '|' ':')"
    fi
    for n in devices selftest tune bench compare_torch; do
        [ -s "$out/$n.log" ] || continue
        echo
        echo "## $n"
        echo
        echo '```'
        case "$n" in
        selftest) tail -n 5 "$out/$n.log" ;;
        tune) grep -v '^tune: shape\|^tune: activations\|^tune: .* x .* x' "$out/$n.log" | tail -n 8 ;;
        *) cat "$out/$n.log" ;;
        esac
        echo '```'
    done
    echo
    echo "Total: $(($(date +%s) - t_start)) s. Raw logs beside this file."
} >"$report"
verdict="passed"
[ $failed = 0 ] || verdict="FAILED$([ "${no_gpu:-0}" = 1 ] && echo ': no GPU platform')"
echo "gpu-check: $verdict; report in $report ($(grep -c '|passed|' "$out/steps.txt") steps passed, $(grep -c '|failed|\||timed out|' "$out/steps.txt") failed, $(grep -c '|skipped|' "$out/steps.txt") skipped)"
[ $failed = 0 ]
