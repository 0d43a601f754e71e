#!/usr/bin/env bash
# Builds the libFuzzer harnesses of the file readers (tests/fuzz) with clang, ASan and UBSan in
# build-fuzz, and runs each for SECONDS (default 10) on a copy of its seed corpus. Prints, per
# harness, the executions and whether it crashed; exits non-zero on any crash.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]     e.g. scripts/fuzz.sh 600 fuzz_csv fuzz_npy
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (harnesses run at the same time,
# default 1), FUZZ_MAX_LEN (default 65536 bytes), FUZZ_ARGS (more libFuzzer flags).
# The seed corpora in tests/fuzz/corpus are never written to: new inputs go to
# $FUZZ_BUILD_DIR/fuzz-run/<harness>/corpus, crashes to $FUZZ_BUILD_DIR/fuzz-run/<harness>/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "fuzz: error: SECONDS must be a whole number >= 1, got '$seconds'" >&2
    exit 2
fi
all=(fuzz_csv fuzz_idx fuzz_npy fuzz_safetensors fuzz_json_model fuzz_json)
if [ "$#" -gt 0 ]; then harnesses=("$@"); else harnesses=("${all[@]}"); fi
for h in "${harnesses[@]}"; do
    if [ ! -d "tests/fuzz/corpus/$h" ]; then
        echo "fuzz: error: unknown harness '$h' (harnesses: ${all[*]})" >&2
        exit 2
    fi
done
build="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${FUZZ_JOBS:-1}"
max_len="${FUZZ_MAX_LEN:-65536}"

# ---- packages: the project's, then clang and its libFuzzer runtime --------------------------
./scripts/bootstrap.sh
packages=(clang libclang-rt-dev)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo)
    else
        echo "fuzz: error: not root; run: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "fuzz: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cc="${CC:-clang}"
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '%s\n' 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) {' \
    '    (void)d; (void)n; return 0; }' >"$probe/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" \
    2>"$probe/err"; then
    echo "fuzz: error: $cc cannot link a libFuzzer program (install clang and libclang-rt-dev):" >&2
    cat "$probe/err" >&2
    exit 1
fi

# ---- build ------------------------------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
    CC="$cc" cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
        -DCLTRAIN_FUZZ=ON >"$probe/cmake.log" || { cat "$probe/cmake.log" >&2; exit 1; }
fi
cmake --build "$build" --target fuzzers -j "$(nproc)" >"$probe/build.log" 2>&1 ||
    { cat "$probe/build.log" >&2; exit 1; }

# ---- run ----------------------------------------------------------------------------------------
run_root="$build/fuzz-run"
mkdir -p "$run_root"
scratch_parent=/dev/shm
[ -d /dev/shm ] && [ -w /dev/shm ] || scratch_parent="${TMPDIR:-/tmp}"

run_one() { # harness -> writes $run_root/$h/result (one line) and returns libFuzzer's status
    local h="$1" dir="$run_root/$1" rc=0
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    cp "tests/fuzz/corpus/$h"/* "$dir/corpus/"
    local seeds scratch
    seeds="$(find "$dir/corpus" -type f | wc -l)"
    scratch="$(mktemp -d "$scratch_parent/cltrain-fuzz.XXXXXX")"
    # shellcheck disable=SC2086
    TMPDIR="$scratch" "$build/tests/fuzz/$h" "$dir/corpus" -max_total_time="$seconds" \
        -max_len="$max_len" -timeout=30 -rss_limit_mb=2048 -detect_leaks=1 -use_value_profile=1 \
        -print_final_stats=1 -artifact_prefix="$dir/" ${FUZZ_ARGS:-} >"$dir/log" 2>&1 || rc=$?
    rm -rf "$scratch"
    local execs rate corpus verdict
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)"
    corpus="$(find "$dir/corpus" -type f | wc -l)"
    if [ "$rc" -eq 0 ]; then
        verdict="no crash"
    else
        verdict="CRASH (exit $rc): $(grep -m 1 -E 'ERROR|runtime error|fuzz:|Test unit written' \
            "$dir/log" || echo 'see the log') -- log: $dir/log"
    fi
    printf '%-17s %10s executions in %ss (%s/s), corpus %s -> %s inputs, %s\n' "$h" \
        "${execs:-?}" "$seconds" "${rate:-?}" "$seeds" "$corpus" "$verdict" >"$dir/result"
    return "$rc"
}

echo "fuzz: ${#harnesses[@]} harness(es), ${seconds}s each, -max_len=$max_len, $jobs at a time"
status=0
pids=()
names=()
for h in "${harnesses[@]}"; do
    run_one "$h" &
    pids+=("$!")
    names+=("$h")
    if [ "${#pids[@]}" -ge "$jobs" ]; then
        wait "${pids[0]}" || status=1
        cat "$run_root/${names[0]}/result"
        pids=("${pids[@]:1}")
        names=("${names[@]:1}")
    fi
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || status=1
    cat "$run_root/${names[$i]}/result"
done
if [ "$status" -ne 0 ]; then
    echo "fuzz: at least one harness crashed; reproduce with" \
        "$build/tests/fuzz/<harness> <crash file>" >&2
    for h in "${harnesses[@]}"; do
        for f in "$run_root/$h"/crash-* "$run_root/$h"/leak-* "$run_root/$h"/oom-* \
                 "$run_root/$h"/timeout-*; do
            [ -f "$f" ] && echo "  $f: $(head -c 64 "$f" | od -An -tx1 | tr -d ' \n')..." >&2
        done
    done
    exit 1
fi
echo "fuzz: no crash"
