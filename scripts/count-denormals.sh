#!/usr/bin/env bash
# How often denormals arise in training: trains the seeded runs of tests/bits_matrix.sh and short
# runs of the bench suite's shapes (cltrain bench --help) with CLTRAIN_COUNT_DENORMALS set, so
# every kernel launch counts the float values it changed and how many of them are denormal
# (nonzero, below 2^-126 in magnitude), and prints per kind of operation and per kernel output
# a table in Markdown. Twice: with the kernels as they are, and with the explicit flush of the
# optimizers and the norms (kernels/common.cl's ct_fz, under ct_fm and ct_fa) taken out of a
# copy of kernels/ (CLTRAIN_KERNELS_DIR), which shows how often that flush has something to do.
#
#   scripts/count-denormals.sh [--cltrain BIN] [--quick]
#
# --quick: the matrix, the two smallest bench shapes and the long run only. The device is the
# default one (CLTRAIN_DEVICE selects another). Counting reads every written buffer back before
# and after each launch: the bench shapes train a few steps each (a: 3 epochs of 512 rows, c
# and d: 2 steps), and e once for 1200 steps (where dead ReLU units leave Adam's moments
# decaying).
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/cltrain" quick=0
while [ $# -gt 0 ]; do
    case "$1" in
    --cltrain) [ $# -ge 2 ] || { echo "count-denormals: --cltrain needs a path" >&2; exit 2; }; bin="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "count-denormals: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -x "$bin" ] || { echo "count-denormals: no cltrain binary at '$bin' (--cltrain)" >&2; exit 2; }
# shellcheck source=tests/bits_matrix.sh
. "$root/tests/bits_matrix.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the kernels without the flush of the optimizers and the norms: ct_fz(r) returns r
mkdir -p "$tmp/unflushed"
cp "$root"/kernels/*.cl "$tmp/unflushed/"
sed -i -e 's/return fabs(r) < 0x1p-126f ? copysign(0.0f, r) : r;/return r;/' "$tmp/unflushed/common.cl"
if grep -q '0x1p-126f' "$tmp/unflushed/common.cl" "$tmp/unflushed/optim.cl" "$tmp/unflushed/norm.cl"; then
    echo "count-denormals: the flush of kernels/common.cl no longer matches what this script takes out" >&2
    exit 2
fi

# name|options of the bench shapes (host/bench.c's suite: relu, softmax-CE or sigmoid-BCE, Adam)
cls() { echo "--data classification:n=$1,features=$2,informative=$3,classes=$4,seed=1"; }
bench=(
    "e 2-64-32-1 b64|--data moons:n=512,seed=1 --layers 64,32 --batch 64 --epochs 3"
    "b 100-50-10 b32|$(cls 512 100 20 10) --layers 50 --batch 32 --epochs 3"
    "a 784-256-128-10 b64|$(cls 512 784 40 10) --layers 256,128 --batch 64 --epochs 3"
    "c 1000-500-200-100-10 b256|$(cls 512 1000 40 10) --layers 500,200,100 --batch 256 --epochs 1"
    "d 10000-5000-1000-100 b1024|$(cls 2048 10000 40 100) --layers 5000,1000 --batch 1024 --epochs 1"
    "e, 1200 steps|--data moons:n=512,seed=1 --layers 64,32 --batch 64 --epochs 150"
)
[ $quick = 0 ] || bench=("${bench[@]:0:2}" "${bench[5]}")

# count SET VARIANT ENV... : trains every run of SET (matrix or bench) into $tmp/SET.VARIANT.tsv
count() {
    local set="$1" variant="$2" row name
    shift 2
    local f="$tmp/$set.$variant.tsv"
    : >"$f"
    if [ "$set" = matrix ]; then local rows=("${matrix[@]}"); else local rows=("${bench[@]}"); fi
    for row in "${rows[@]}"; do
        name=${row%%|*}
        read -r -a opts <<<"${row#*|}"
        if [ "$set" = matrix ]; then
            opts+=("${common[@]}")
        else
            opts+=(--optimizer adam --activation relu --seed 3 --quiet)
        fi
        if ! env "$@" CLTRAIN_COUNT_DENORMALS="$f" "$bin" train "${opts[@]}" >"$tmp/out" 2>&1; then
            echo "count-denormals: $set run '$name' failed:" >&2
            cat "$tmp/out" >&2
            exit 1
        fi
    done
}

for set in matrix bench; do
    count "$set" shipped
    count "$set" unflushed CLTRAIN_KERNELS_DIR="$tmp/unflushed" CLTRAIN_NO_PROGRAM_CACHE=1
done

# kind KERNEL ARG: the kind of operation an output belongs to
kinds='
function kind(k, a) {
    if (k ~ /^gemm/) return "products (matrix products: forward, input and weight gradients)"
    if (k ~ /^pack_/) return "packed copies of product inputs"
    if (k == "bits_probe") return "the common bits probe (denormal cases on purpose)"
    if (k ~ /_step$/) return (a == "P") ? "weights (optimizer step)" : "optimizer states (" a ")"
    if (k == "bias_act_forward" || k == "act_forward" || k == "norm_apply" || (k == "ln_forward" && (a == "Y" || a == "A")))
        return "activations (Z + bias, f(Z), norm output)"
    if (k == "dropout_forward") return "dropout outputs"
    if (k ~ /^(bn_moment|ln_stats|bn_running|bn_stats|ln_forward)$/) return "norm statistics (mean, var, running)"
    if (k ~ /^(softmax_ce|sigmoid_bce|mse_loss|huber_loss)$/) return (a == "dZ") ? "gradients" : "losses per row"
    if (k ~ /backward|_grads$/ || k == "scale" || k == "axpy") return "gradients"
    if (k ~ /^(reduce_sum|sum_squares_partial)$/) return "reductions (loss sum, gradient norm)"
    return "other (" k ")"
}'

# sums SET: "kind|kernel.output|written|denormal|unflushed written|unflushed denormal" lines
sums() {
    awk -F'\t' "$kinds"'
        FNR == 1 { v = (FILENAME ~ /unflushed/) ? 2 : 1 }
        /^#/ { next }
        { key = $1 "." $2; ch[v, key] += $4; dn[v, key] += $5; keys[key] = kind($1, $2) }
        END { for (k in keys) printf "%s|%s|%d|%d|%d|%d\n", keys[k], k, ch[1, k], dn[1, k], ch[2, k], dn[2, k] }
    ' "$tmp/$1.shipped.tsv" "$tmp/$1.unflushed.tsv" | sort
}

# table SET: per kind, then per kernel output (written at least once), both variants
table() {
    sums "$1" >"$tmp/sums"
    echo "| kind of operation | values written | denormal | unflushed: denormal |"
    echo "|---|---|---|---|"
    awk -F'|' '{ w[$1] += $3; d[$1] += $4; u[$1] += $6; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
        function pct(x, y) { return y ? sprintf("%.2g%%", 100 * x / y) : "-" }
        END { for (i = 0; i < n; i++) { k = order[i]
            printf "| %s | %d | %d (%s) | %d (%s) |\n", k, w[k], d[k], pct(d[k], w[k]), u[k], pct(u[k], w[k]) } }' "$tmp/sums"
    echo
    echo "| kernel.output | kind | values written | denormal | unflushed: denormal |"
    echo "|---|---|---|---|---|"
    awk -F'|' '$3 > 0 || $5 > 0 { printf "| %s | %s | %d | %d | %d |\n", $2, $1, $3, $4, $6 }' "$tmp/sums"
}

dev=$(grep -m1 '^# cltrain denormal counts: ' "$tmp/matrix.shipped.tsv" | cut -d: -f2- | sed 's/^ //')
echo "Denormals counted by scripts/count-denormals.sh$([ $quick = 1 ] && echo ' --quick') on $dev."
echo
echo "### The bit-identity matrix (tests/bits_matrix.sh: ${#matrix[@]} runs, ${common[*]})"
echo
table matrix
echo
echo "### The bench suite's shapes (short runs: Adam, relu, seed 3)"
echo
for row in "${bench[@]}"; do echo "- ${row%%|*}: ${row#*|}"; done
echo
table bench
