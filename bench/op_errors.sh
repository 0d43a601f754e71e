#!/usr/bin/env bash
# The largest errors of every op against the scalar reference over the whole device test suite
# (fresh random inputs of odd sizes; each test prints one line per case).
# usage: bench/op_errors.sh [build-dir]   (prints a Markdown table)
set -euo pipefail
build="${1:-build}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in gemm activations loss dropout optim helpers stats; do
    "$build/tests/test_$t" >>"$out"
done
echo "| op | cases | largest relative error | largest absolute error | worst error / tolerance |"
echo "|---|---|---|---|---|"
awk '/^ok   / && / max rel / {
    what = $2
    if (what == "loss" || what == "optim" || what ~ /^act_/ || what == "bias_act_forward") what = what " " $3
    if (what == "gemm") { be = $0; sub(/.*\[/, "", be); sub(/\].*/, "", be); what = "gemm (" be ")" }
    if (what ~ /^dense_/) { be = $0; sub(/.*\[/, "", be); sub(/\].*/, "", be); what = what " (" be ")" }
    for (i = 1; i <= NF; i++) {
        if ($i == "max|diff|") a = $(i + 1)
        if ($i == "rel") r = $(i + 1)
        if ($i == "err/tol") w = $(i + 1)
    }
    n[what]++
    if (r + 0 > R[what]) R[what] = r + 0
    if (a + 0 > A[what]) A[what] = a + 0
    if (w + 0 > W[what]) W[what] = w + 0
} END { for (k in n) printf "| %s | %d | %.3g | %.3g | %.3f |\n", k, n[k], R[k], A[k], W[k] }' "$out" | sort
