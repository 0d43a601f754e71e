#!/usr/bin/env bash
# Runs the kernel tests under oclgrind (apt-get install oclgrind), which reports out-of-bounds
# accesses, data races and reads of uninitialised memory in kernels, and misuse of the OpenCL
# API. Small sizes (CLTRAIN_TEST_SMALL=1) keep it to a few minutes on 2 cores.
#
#   scripts/oclgrind.sh [BUILD_DIR]     (default: build; the tests must be built there)
#
# One line per test with its time; the output and oclgrind's log of each test are kept in
# BUILD_DIR/oclgrind/NAME.out and NAME.log. Fails when a test fails or any log is not empty.
# Exit 77 (a skip for CTest) when oclgrind is not installed.
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

# Under oclgrind only its own platform is visible ("Oclgrind Simulator", a GPU); the selection
# makes a run on any other device fail instead of passing unchecked. Programs are built from
# source so that reports name the .cl file and line.
export CLTRAIN_DEVICE=oclgrind CLTRAIN_TEST_SMALL=1 CLTRAIN_NO_PROGRAM_CACHE=1
unset CLTRAIN_GEMM CLTRAIN_KERNELS_DIR
flags=(--data-races --uninitialized --check-api)

# name and command; test_gemm covers the own, CPU-shaped and CLBlast products (CLBlast works
# under oclgrind), selftest all three on its own shapes
tests=(gemm activations loss dropout optim helpers determinism stats selftest)
cmd_of() {
    if [ "$1" = selftest ]; then echo "$build/cltrain selftest --quiet"; else echo "$build/tests/test_$1"; fi
}

failed=0
t_all=$(date +%s.%N)
for name in "${tests[@]}"; do
    read -r -a cmd <<<"$(cmd_of "$name")"
    log="$out/$name.log"
    rm -f "$log" "$out/$name.out"
    if [ ! -x "${cmd[0]}" ]; then
        printf 'FAIL %-12s %s is not built\n' "$name" "${cmd[0]}"
        failed=1
        continue
    fi
    t0=$(date +%s.%N)
    oclgrind "${flags[@]}" --log "$log" "${cmd[@]}" >"$out/$name.out" 2>&1
    rc=$?
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    reports=0
    [ -s "$log" ] && reports=$(grep -cE '^[A-Z]' "$log")
    why=""
    [ "$rc" -ne 0 ] && why="exit $rc"
    [ "$reports" -gt 0 ] && why="${why:+$why, }$reports oclgrind reports"
    grep -q 'Oclgrind' "$out/$name.out" || why="${why:+$why, }not run on oclgrind's device"
    if [ -z "$why" ]; then
        printf 'ok   %-12s %7.1f s  %s\n' "$name" "$secs" "$(grep -E '(passed|skipped)' "$out/$name.out" | tail -n 2 | tr '\n' ' ')"
    else
        failed=1
        printf 'FAIL %-12s %7.1f s  %s (output %s, log %s)\n' "$name" "$secs" "$why" "$out/$name.out" "$log"
        [ -s "$log" ] && sed -n '1,12p' "$log" | sed 's/^/     /'
    fi
done
secs=$(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
if [ "$failed" -ne 0 ]; then
    echo "oclgrind: FAILED (${secs} s); see $out"
    exit 1
fi
echo "oclgrind: ${#tests[@]} runs clean (${secs} s)"
