#!/usr/bin/env bash
# Start-up time of `cltrain train`: seconds from launching the command to the end of its first
# training step (the first `--log-every 1` line), cold (empty cltrain and PoCL caches, so every
# kernel the run uses is compiled) and warm (the same caches again). Medians of REPEAT runs.
# The net is the suite's e (2-64-32-1, relu, sigmoid + BCE, Adam) on 64 rows of moons.
# usage: bench/cold_start.sh [path/to/cltrain]   (REPEAT=7 runs each)
set -euo pipefail
bin="${1:-build/cltrain}"
repeat="${REPEAT:-7}"
[ -x "$bin" ] || { echo "cold_start: no cltrain binary at $bin (build first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# first_step CACHE_DIR -> seconds to the first step's line
first_step() {
    local cache="$1" t0 line
    t0=$(date +%s.%N)
    while IFS= read -r line; do
        case "$line" in
        *"step 1 "*)
            awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.3f\n", a - b }'
            cat >/dev/null
            return 0
            ;;
        esac
    done < <(XDG_CACHE_HOME="$cache" POCL_CACHE_DIR="$cache/pocl" stdbuf -oL "$bin" train \
        --data moons:n=64 --layers 64,32 --epochs 1 --log-every 1 2>&1)
    echo "cold_start: no step line from $bin" >&2
    return 1
}

: >"$tmp/cold"
: >"$tmp/warm"
for i in $(seq "$repeat"); do
    first_step "$tmp/cache$i" >>"$tmp/cold"
    first_step "$tmp/cache$i" >>"$tmp/warm"
done
printf 'to the first step (median of %s): cold %.2f s, warm %.2f s\n' "$repeat" \
    "$(median <"$tmp/cold")" "$(median <"$tmp/warm")"
printf '  cold runs: %s\n  warm runs: %s\n' "$(sort -g "$tmp/cold" | tr '\n' ' ')" \
    "$(sort -g "$tmp/warm" | tr '\n' ' ')"
