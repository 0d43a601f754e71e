#!/usr/bin/env bash
# What the common bits (DESIGN.md principle 6) cost within today's code: the suite's training
# step with this build's kernels against the same binary running a copy of kernels/ with the
# common bits' per-operation rules undone (CLTRAIN_KERNELS_DIR), in turns, medians.
#
#   bench/exact_cost.sh [CLTRAIN] [ROUNDS] [NETS]     (defaults: build/cltrain 3 a64,a256,b,c,e)
#
# The bench outputs (with their per-kernel times) are kept in $EXACT_COST_KEEP when it is set.
# Last, optim_ab (bench/optim_ab.c, built beside cltrain) times adam_step from both copies in one
# process, in turns.
#
# The copy ("loose") differs in three ways, each checked to have taken:
#  - contraction allowed: #pragma OPENCL FP_CONTRACT ON (the compiler may fuse a * b + c);
#  - no denormal flush: ct_fz returns its argument (and so ct_fm, ct_fa are a plain * and +;
#    adam_step's floors on m and v go too);
#  - the built-in exp, expm1, log, log1p, tanh and erf instead of kernels/math.cl's.
# What stays: the fixed-order reductions (the code's structure, not a switch; their cost was
# measured against the commit before them, bench/RESULTS.md) and the build options: on PoCL's
# CPU device division and sqrt are correctly rounded with or without
# -cl-fp32-correctly-rounded-divide-sqrt (test_math checks them bit for bit against the host).
# The loose kernels give other bits; this only times them.
set -euo pipefail
cd "$(dirname "$0")/.."
cltrain=${1:-build/cltrain}
rounds=${2:-3}
nets=${3:-a64,a256,b,c,e}
[ -x "$cltrain" ] || { echo "exact_cost.sh: no executable $cltrain (build first)" >&2; exit 2; }

loose=$(mktemp -d)
trap 'rm -rf "$loose"' EXIT
cp kernels/*.cl "$loose/"
sed -i 's/^#pragma OPENCL FP_CONTRACT OFF$/#pragma OPENCL FP_CONTRACT ON/' "$loose/common.cl"
sed -i 's/^    return fabs(r) < 0x1p-126f ? 0.0f : r;$/    return r;/' "$loose/common.cl"
sed -i '/^    mt = fabs(mt) < m_floor ? 0.0f : mt; *\\$/d; /^    vt = vt < 0x1p-100f ? 0.0f : vt; *\\$/d' "$loose/optim.cl"
sed -i 's/^CT_M_FN float ct_\(expf\|expm1f\|logf\|log1pf\|tanhf\|erff\)(float x) {$/CT_M_FN float ct_own_\1(float x) {/' \
    "$loose/math.cl"
cat >>"$loose/math.cl" <<'EOF'
float ct_expf(float x) { return exp(x); }
float ct_expm1f(float x) { return expm1(x); }
float ct_logf(float x) { return log(x); }
float ct_log1pf(float x) { return log1p(x); }
float ct_tanhf(float x) { return tanh(x); }
float ct_erff(float x) { return erf(x); }
EOF
check() { # file, pattern, count expected
    local n
    n=$(grep -c -- "$2" "$loose/$1" || true)
    [ "$n" = "$3" ] || { echo "exact_cost.sh: the loose copy's edit of $1 did not take ('$2': $n, want $3)" >&2; exit 1; }
}
check common.cl '^#pragma OPENCL FP_CONTRACT ON$' 1
check common.cl '^    return r;$' 1
check optim.cl ' ? 0.0f : [mv]t;' 0
check math.cl '^CT_M_FN float ct_own_' 6

grep -o -w 'avx2\|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/^/CPU flags: /; s/ $/\n/'
out=$(mktemp -d)
trap 'rm -rf "$loose" "$out"' EXIT
run() { # kind round
    if [ "$1" = loose ]; then
        CLTRAIN_KERNELS_DIR="$loose" "$cltrain" bench --nets "$nets" --no-gemm --repeats 5 >"$out/$1.$2" 2>&1
    else
        "$cltrain" bench --nets "$nets" --no-gemm --repeats 5 >"$out/$1.$2" 2>&1
    fi
}
for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) = 1 ]; then run common "$r"; run loose "$r"; else run loose "$r"; run common "$r"; fi
    echo "round $r of $rounds done" >&2
done
if [ -n "${EXACT_COST_KEEP:-}" ]; then mkdir -p "$EXACT_COST_KEEP" && cp "$out"/* "$EXACT_COST_KEEP/"; fi
# the device's step (ms): the 4th field of a net's line in bench's step table
/usr/bin/env python3 - "$out" "$rounds" "$nets" <<'EOF'
import re, statistics, sys
out, rounds, nets = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
def steps(path):
    got, net = {}, None
    for line in open(path):
        f = line.split()
        if len(f) > 3 and f[0] in nets and re.fullmatch(r"b\d+", f[2]):
            net = f[0]
            got[net] = float(f[3])
            got[net + "/kernels"] = {}
        elif net and " ms" in line:  # the net's per-kernel times, from profiling events
            for k, ms in re.findall(r"(\w+) ([0-9.]+) ms", line):
                got[net + "/kernels"][k] = float(ms)
    missing = [n for n in nets if n not in got]
    if missing:
        sys.exit(f"exact_cost.sh: {path}: no step time for {','.join(missing)}")
    return got
c = [steps(f"{out}/common.{r}") for r in range(1, rounds + 1)]
l = [steps(f"{out}/loose.{r}") for r in range(1, rounds + 1)]
print(f"training step, ms, over {rounds} rounds in turns (cltrain bench --no-gemm --repeats 5):")
print("the median of the rounds, and the best round (the least disturbed by other work)")
print(f"{'net':6}{'common':>9}{'loose':>9}{'cost':>8}{'best common':>13}{'loose':>9}{'cost':>8}   per round")
for n in nets:
    mc = statistics.median(x[n] for x in c)
    ml = statistics.median(x[n] for x in l)
    bc = min(x[n] for x in c)
    bl = min(x[n] for x in l)
    per = " ".join(f"{a[n] / b[n] - 1:+.0%}" for a, b in zip(c, l))
    print(f"{n:6}{mc:9.3f}{ml:9.3f}{mc / ml - 1:+8.1%}{bc:13.3f}{bl:9.3f}{bc / bl - 1:+8.1%}   {per}")
# per kernel: the optimizer and the kernels with exp, log or a flush differ between the two;
# pack_b and the products are the same code in both, so their gap shows the noise
print("per kernel, ms, medians of the rounds (profiling events); common - loose, and its share of")
print("the common step")
for n in nets:
    names = sorted(set().union(*(x[n + "/kernels"] for x in c)))
    row = []
    for k in names:
        kc = statistics.median(x[n + "/kernels"].get(k, 0.0) for x in c)
        kl = statistics.median(x[n + "/kernels"].get(k, 0.0) for x in l)
        mc = statistics.median(x[n] for x in c)
        row.append(f"{k} {kc:.3f}/{kl:.3f} ({(kc - kl) / mc:+.1%})")
    print(f"{n}: " + ", ".join(row))
EOF
# adam_step, the kernel where the common bits cost most, in one process: both copies alternately
# (bench/optim_ab.c), which the round-to-round drift above does not reach
ab="$(dirname "$cltrain")/optim_ab"
if [ -x "$ab" ]; then
    echo "adam_step in one process, in turns (A: common bits, B: loose; $ab):"
    "$ab" - "$loose" 235146 300 adam
else
    echo "exact_cost.sh: no $ab (build it: cmake --build build --target optim_ab)" >&2
    exit 1
fi
