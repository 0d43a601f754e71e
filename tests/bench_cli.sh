#!/usr/bin/env bash
# cltrain bench: every "of peak" and "of copy" figure it prints is at most 100% of its ceiling;
# on a CPU device the ceilings are measured natively and the output says how; OpenBLAS and the
# reference are timed in a process of their own before any OpenCL runtime starts; and a figure
# above its ceiling fails the command (ceilings scaled down with the test-only
# CLTRAIN_BENCH_CEILING_SCALE).
# usage: bench_cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

# 1. one repeat of e with the GEMM table and of a64 (the suite's products nearest the peak at a
#    short run: its step's products by the events) without: exit 0, every figure at most 100%
: >"$tmp/all"
for args in "--nets e" "--nets a64 --no-gemm"; do
    # shellcheck disable=SC2086
    "$bin" bench $args --repeats 1 >"$tmp/out" 2>"$tmp/err"
    rc=$?
    cat "$tmp/out" | tee -a "$tmp/all"
    report "bench $args exits 0" "$([ "$rc" = 0 ] && echo 1)" "exit $rc"
done
cp "$tmp/all" "$tmp/out"
# the figures: a number and '%' (with the '!' bench puts after one above its ceiling)
grep -oE '[0-9.]+%!?' "$tmp/out" | tr -d '%' >"$tmp/pct"
n=$(wc -l <"$tmp/pct")
# at least one per product of e (8), each step (2), each step's products by the events (2) and
# 3 kernels of each step (6)
report "the figures are printed ($n)" "$([ "$n" -ge 18 ] && echo 1)" "$n figures"
over=$(awk '{ v = $1; sub(/!/, "", v); if (v + 0 > 100 || $1 ~ /!/) print $1 }' "$tmp/pct" | tr '\n' ' ')
report "no figure above 100% of its ceiling" "$([ -z "$over" ] && echo 1)" "above: $over"
type=$("$bin" devices 2>/dev/null | awk '/\*default/ { d = 1 } d && /type/ { print $2; exit }')
if [ "$type" = cpu ]; then
    for c in "FMA peak" "copy in L1" "copy in L2" "copy in DRAM"; do
        report "CPU device: $c measured natively" \
            "$(grep -E "^  $c .* native " "$tmp/out" >/dev/null && echo 1)" "no native '$c' line"
    done
    # the last-level cache's own copy where it is larger than all the level-2 caches together
    # (sysfs sizes, "512K"; PoCL's compute units are the CPUs)
    kib() { awk '{ v = $1 + 0; if ($1 ~ /M$/) v *= 1024; print v }' "$1" 2>/dev/null || echo 0; }
    l2=$(kib /sys/devices/system/cpu/cpu0/cache/index2/size)
    l3=$(kib /sys/devices/system/cpu/cpu0/cache/index3/size)
    if [ "${l3:-0}" -gt $(( ${l2:-0} * $(nproc) )) ] && [ "${l2:-0}" -gt 0 ]; then
        report "CPU device with an L3 cache: copy in L3 measured natively" \
            "$(grep -E "^  copy in L3 .* native " "$tmp/out" >/dev/null && echo 1)" \
            "no native 'copy in L3' line (L2 $l2 KiB, L3 $l3 KiB)"
    fi
fi
report "OpenBLAS timed apart, before OpenCL" \
    "$(grep -q 'timed first, in a child process, before any OpenCL runtime started' "$tmp/out" && echo 1)" \
    "no line saying how OpenBLAS was timed"

# 2. ceilings a thousand times too low: the figures are marked and the command fails
run "a figure above its ceiling fails bench" 1 "exceed the device's ceilings" \
    CLTRAIN_BENCH_CEILING_SCALE=0.001 -- bench --nets e --repeats 1 --no-gemm
report "the figures above are marked '!'" "$(grep -qE '[0-9]+%!' "$tmp/out" && echo 1)" \
    "no '!' in the output"

finish bench_cli
