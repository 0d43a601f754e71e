#!/usr/bin/env bash
# Runs the kernel tests under oclgrind (apt-get install oclgrind), which reports out-of-bounds
# accesses, data races and reads of uninitialised memory in kernels, and misuse of the OpenCL
# API. Small sizes (CLTRAIN_TEST_SMALL=1) keep it to a few minutes on 2 cores.
#
#   scripts/oclgrind.sh [BUILD_DIR]     (default: build; the tests must be built there)
#
# One line per test with its time; each test's output and oclgrind's log are kept in
# BUILD_DIR/oclgrind/NAME.out and NAME.log. Fails when a test fails or a log is not empty.
# Exit 77 (a skip for CTest) when oclgrind is not installed. OCLGRIND_JOBS tests run at once
# (default: the number of cores, at most 4); OCLGRIND_TESTS and OCLGRIND_SHARD choose the tests
# (below).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
build="$(cd "$build" 2>/dev/null && pwd)" || { echo "oclgrind.sh: no build folder '${1:-build}'" >&2; exit 1; }
if ! command -v oclgrind >/dev/null 2>&1; then
    echo "oclgrind.sh: oclgrind is not installed (apt-get install oclgrind)" >&2
    exit 77
fi
out="$build/oclgrind"
mkdir -p "$out"

# Two faults of oclgrind 21.10, avoided by a shim that makes two release calls do nothing:
# - it keeps the shadow (initialised-or-not) memory of a released buffer and hands it to the
#   next buffer that gets the same slot, so a larger buffer reads as uninitialised beyond the
#   old size however completely a kernel wrote it (the CPU product's packed panels when they
#   grow, the buffers of a second network). Kept buffers give each new one a fresh slot and
#   shadow; the leak is small at these sizes.
# - its runtime frees a thread-local stack at exit before CLBlast's static program cache
#   releases its programs, and clReleaseProgram then writes to the freed stack (valgrind:
#   invalid write; the heap corruption aborts the process now and then).
# The shim must come before oclgrind's runtime in LD_PRELOAD, where the launcher puts its own.
keep="$out/keep_objects.so"
# (built under a name of this run's own, then renamed: ctest runs two of these scripts at once)
printf '%s\n' 'int clReleaseMemObject(void *m) { (void)m; return 0; }' \
    'int clReleaseProgram(void *p) { (void)p; return 0; }' >"$out/keep_objects.$$.c"
if ! "${CC:-cc}" -shared -fPIC -o "$keep.$$" "$out/keep_objects.$$.c" || ! mv -f "$keep.$$" "$keep"; then
    echo "oclgrind.sh: cannot build $keep" >&2
    exit 1
fi
rm -f "$out/keep_objects.$$.c"

# Under oclgrind only its own platform is visible ("Oclgrind Simulator", a GPU); selecting it
# by name makes a run on any other device fail instead of passing unchecked. Programs are
# built from source so that reports name the .cl file and line (the right line; the source
# text oclgrind quotes under it is the same line of all the kernels joined: ignore it).
# Products not forced to a backend (the networks of test_stats) use the CPU-shaped kernel, the
# cheapest to simulate; test_gemm, determinism (and selftest) force each backend (own,
# CPU-shaped, CLBlast) in turn.
export CLTRAIN_DEVICE=oclgrind CLTRAIN_TEST_SMALL=1 CLTRAIN_NO_PROGRAM_CACHE=1 CLTRAIN_GEMM=cpu
# The own product with small tiles (16 x 16, 8 deep, 4 x 4 per item; the same code as the
# default 64 x 64 tiles, which every test runs on PoCL): each product is padded to whole tiles,
# and simulating 64 x 64 tiles made test_gemm alone take minutes.
export CLTRAIN_KERNEL_CONFIG=ogm=16,ogn=16,ogk=8,ogwm=4,ogwn=4
unset CLTRAIN_KERNELS_DIR
flags=(--data-races --uninitialized --check-api)

# the longest first
# (norm_train: a short training run with batch norm and layer norm, for the fused norm kernels
# that only the engine launches; gemm_tile64: test_gemm's own-product cases with the default
# tile, 64 x 64 x 16 with 8 x 8 per item, whose code differs in what the small tile never
# reaches: a register tile of 8 x 8 and steps 16 deep, so the odd shapes have partial last steps
# (K % 16 != 0: K = 7, 17, 31, 53) in every transpose: the cases around the tiles and their
# bits (CLTRAIN_TEST_GEMM_ONLY=tiles; the other shapes, which the small tile runs above, took
# 121 s alone where these take 38); the CPU-shaped product and CLBlast are left out there,
# CLTRAIN_TEST_BACKENDS=own; selftest is not in the default list, ~50 s of
# simulation for kernels the tests above launch already: OCLGRIND_TESTS=selftest runs it)
tests=(${OCLGRIND_TESTS:-gemm gemm_tile64 determinism stats activations optim optim_bits loss dropout helpers
    norm_train})
# OCLGRIND_SHARD=i/n: only the tests at positions i, i + n, i + 2n, ... (1-based) of that list
# (CTest runs the list as two such shards, tests/CMakeLists.txt; taking every n-th name of a
# list in longest-first order gives shards of about the same time)
if [ -n "${OCLGRIND_SHARD:-}" ]; then
    if ! [[ "$OCLGRIND_SHARD" =~ ^([1-9][0-9]*)/([1-9][0-9]*)$ ]] ||
        [ "${BASH_REMATCH[1]}" -gt "${BASH_REMATCH[2]}" ]; then
        echo "oclgrind.sh: OCLGRIND_SHARD='$OCLGRIND_SHARD': expected i/n with 1 <= i <= n" >&2
        exit 1
    fi
    shard=() i=0
    for name in "${tests[@]}"; do
        [ $((i % BASH_REMATCH[2] + 1)) = "${BASH_REMATCH[1]}" ] && shard+=("$name")
        i=$((i + 1))
    done
    tests=("${shard[@]}")
fi

# Runs one test; prints its line; leaves 0 or 1 in NAME.status.
run_one() {
    local name=$1 log="$out/$1.log" res="$out/$1.out" cmd envs=() rc t0 secs reports=0 why=""
    if [ "$name" = selftest ]; then
        cmd=("$build/cltrain" selftest --quiet)
    elif [ "$name" = gemm_tile64 ]; then
        cmd=("$build/tests/test_gemm")
        envs=(-u CLTRAIN_KERNEL_CONFIG CLTRAIN_TEST_BACKENDS=own CLTRAIN_TEST_GEMM_ONLY=tiles)
    elif [ "$name" = norm_train ]; then
        cmd=("$build/cltrain" train --data moons:n=40 --layers 9,5 --norm batch,layer --epochs 2
             --batch 16 --val 0.25 --quiet)
    else
        cmd=("$build/tests/test_$name")
    fi
    rm -f "$log" "$res"
    if [ ! -x "${cmd[0]}" ]; then
        printf 'FAIL %-12s %s is not built\n' "$name" "${cmd[0]}"
        echo 1 >"$out/$name.status"
        return
    fi
    t0=$(date +%s.%N)
    # shellcheck disable=SC2016 # the inner sh expands LD_PRELOAD, as oclgrind set it
    env "${envs[@]}" oclgrind "${flags[@]}" --log "$log" \
        sh -c 'LD_PRELOAD="$0${LD_PRELOAD:+:$LD_PRELOAD}" exec "$@"' "$keep" "${cmd[@]}" >"$res" 2>&1
    rc=$?
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    [ -s "$log" ] && reports=$(grep -cE '^[A-Z]' "$log")
    [ "$rc" -ne 0 ] && why="exit $rc"
    [ "$reports" -gt 0 ] && why="${why:+$why, }$reports oclgrind reports"
    grep -q 'Oclgrind' "$res" || why="${why:+$why, }not run on oclgrind's device"
    if [ -z "$why" ]; then
        printf 'ok   %-12s %6.1f s  %s\n' "$name" "$secs" \
            "$(grep -E ': [0-9]+ (passed|checks|large cases skipped)' "$res" | tr '\n' ' ')"
        echo 0 >"$out/$name.status"
    else
        printf 'FAIL %-12s %6.1f s  %s (output %s, log %s)\n' "$name" "$secs" "$why" "$res" "$log"
        [ -s "$log" ] && sed -n '2,8p' "$log" | sed 's/^/     /'
        echo 1 >"$out/$name.status"
    fi
}

jobs="${OCLGRIND_JOBS:-$(nproc 2>/dev/null || echo 2)}"
case "$jobs" in '' | *[!0-9]*) jobs=2 ;; esac
[ "$jobs" -gt 4 ] && jobs=4
[ "$jobs" -lt 1 ] && jobs=1
t_all=$(date +%s.%N)
running=0
for name in "${tests[@]}"; do
    rm -f "$out/$name.status"
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$name" &
    running=$((running + 1))
done
wait
secs=$(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
failed=0
for name in "${tests[@]}"; do
    [ "$(cat "$out/$name.status" 2>/dev/null)" = 0 ] || failed=$((failed + 1))
done
if [ "$failed" -ne 0 ]; then
    echo "oclgrind: $failed of ${#tests[@]} runs FAILED (${secs} s, $jobs at once); see $out"
    exit 1
fi
echo "oclgrind: ${#tests[@]} runs clean, no reports (${secs} s, $jobs at once)"
