#!/usr/bin/env bash
# Batch norm and layer norm through the command line, on the default device (PoCL in CI):
# training, the files (safetensors names, JSON fields), evaluation by the running statistics,
# determinism, resume, --verify, explain and gradcheck, the errors a user sees, and the README's
# demonstration (a deep sigmoid network that learns only with --norm batch).
# usage: norm_cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

json_num() { sed -n "s/.*\"$1\": \([-0-9.eE+]*\).*/\1/p" "$2" | head -1; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# ---- training and evaluation ----------------------------------------------------------------
for norm in batch layer; do
    if "$bin" train --data moons:n=800,noise=0.2 --layers 32,16 --norm "$norm" --epochs 25 --seed 5 \
        --quiet --save "$tmp/$norm.safetensors" >"$tmp/$norm.train" 2>&1 &&
        "$bin" eval --model "$tmp/$norm.safetensors" --data moons:n=800,noise=0.2,seed=9 --json \
            >"$tmp/$norm.eval" 2>&1; then
        acc=$(json_num accuracy "$tmp/$norm.eval")
        if at_least "$acc" 0.95; then ok "--norm $norm: held-out accuracy $acc >= 0.95"; else
            bad "--norm $norm: held-out accuracy $acc < 0.95"; fi
    else
        bad "--norm $norm: training or eval failed"; cat "$tmp/$norm.train" "$tmp/$norm.eval"
    fi
done

# the model's description and the file's tensors, under PyTorch's names
"$bin" train --data moons:n=200 --layers 8,4 --norm batch,layer --epochs 2 --seed 1 \
    --save "$tmp/mixed.safetensors" >"$tmp/mixed.out" 2>&1
grep -q "batchnorm+relu,layernorm+relu" "$tmp/mixed.out" &&
    ok "train describes the norms in the order they run (batchnorm+relu,layernorm+relu)" ||
    { bad "the model line names no norm"; cat "$tmp/mixed.out"; }
names=$(head -c 4096 "$tmp/mixed.safetensors" | tr -c '[:print:]' '\n' | grep -o 'layers\.[0-9]\.norm\.[a-z_]*' | sort -u | tr '\n' ' ')
want="layers.0.norm.bias layers.0.norm.running_mean layers.0.norm.running_var layers.0.norm.weight layers.1.norm.bias layers.1.norm.weight "
[ "$names" = "$want" ] && ok "safetensors: layers.<i>.norm.weight/bias, running_mean/var for batch norm only" ||
    bad "safetensors norm tensors: '$names', expected '$want'"

# determinism: the same seed gives the same bytes; another seed does not
"$bin" train --data moons:n=300 --layers 16,8 --norm batch --dropout 0.1 --epochs 3 --seed 4 --quiet --save "$tmp/d1.safetensors" >/dev/null 2>&1
"$bin" train --data moons:n=300 --layers 16,8 --norm batch --dropout 0.1 --epochs 3 --seed 4 --quiet --save "$tmp/d2.safetensors" >/dev/null 2>&1
"$bin" train --data moons:n=300 --layers 16,8 --norm batch --dropout 0.1 --epochs 3 --seed 6 --quiet --save "$tmp/d3.safetensors" >/dev/null 2>&1
cmp -s "$tmp/d1.safetensors" "$tmp/d2.safetensors" && ! cmp -s "$tmp/d1.safetensors" "$tmp/d3.safetensors" &&
    ok "same seed, same bytes (batch norm with dropout); another seed differs" || bad "batch-norm training is not deterministic"

# resume: 2 + 2 epochs from a checkpoint are 4 epochs, bit for bit (running statistics included)
"$bin" train --data moons:n=300 --layers 16,8 --norm batch --epochs 4 --seed 2 --quiet --save "$tmp/r4.safetensors" >/dev/null 2>&1
"$bin" train --data moons:n=300 --layers 16,8 --norm batch --epochs 2 --seed 2 --quiet --checkpoint "$tmp/ck" >/dev/null 2>&1
"$bin" train --data moons:n=300 --layers 16,8 --norm batch --epochs 4 --seed 2 --quiet --checkpoint "$tmp/ck" --resume --save "$tmp/r22.safetensors" >"$tmp/resume.out" 2>&1
cmp -s "$tmp/r4.safetensors" "$tmp/r22.safetensors" && ok "resume with batch norm: 2 + 2 epochs = 4 epochs, bit for bit" ||
    { bad "resume with batch norm differs from one run"; cat "$tmp/resume.out"; }

# --verify: every step on the reference too, the norms' tensors compared
if "$bin" train --data blobs:n=200,centers=3 --layers 12,9 --activation tanh --norm batch,layer --epochs 2 --verify 3 >"$tmp/verify.out" 2>&1 &&
    grep -q "batch norm (y)" "$tmp/verify.out" && grep -q "layer norm (y)" "$tmp/verify.out" &&
    grep -q "norm gamma and beta grads" "$tmp/verify.out"; then
    ok "--verify compares the norms' outputs and gradients with the reference"
else
    bad "--verify with norms"; tail -20 "$tmp/verify.out"
fi

# ---- JSON models ------------------------------------------------------------------------------
if "$bin" convert "$tmp/mixed.safetensors" "$tmp/mixed.json" >"$tmp/conv.out" 2>&1 &&
    grep -q '"norm": "batch"' "$tmp/mixed.json" && grep -q '"norm": "layer"' "$tmp/mixed.json" &&
    grep -q '"running_var"' "$tmp/mixed.json" && grep -q '"norm_weight"' "$tmp/mixed.json"; then
    ok "convert writes a JSON model with norm, norm_weight, norm_bias, running_mean, running_var"
else
    bad "convert to JSON with norms"; cat "$tmp/conv.out"
fi
"$bin" predict --model "$tmp/mixed.safetensors" --data moons:n=50,seed=3 -o "$tmp/p1.csv" >/dev/null 2>&1
"$bin" predict --model "$tmp/mixed.json" --data moons:n=50,seed=3 -o "$tmp/p2.csv" >/dev/null 2>&1
[ -s "$tmp/p1.csv" ] && cmp -s "$tmp/p1.csv" "$tmp/p2.csv" && ok "the JSON model predicts as the safetensors one" ||
    bad "JSON and safetensors predictions differ"

cat >"$tmp/bn.json" <<'EOF'
{"layers": [
  {"weight": [[1.0, -1.0], [0.5, 0.25]], "bias": [0.1, 0.0], "activation": "tanh",
   "norm": "batch", "norm_weight": [1.5, 0.5], "norm_bias": [0.0, 0.2],
   "running_mean": [0.2, -0.1], "running_var": [4.0, 0.25], "norm_eps": 0.001},
  {"weight": [[1.0, -2.0]], "bias": [0.3], "activation": "linear"}],
 "loss": "mse"}
EOF
printf 'x0,x1\n1,2\n-0.5,0.5\n' >"$tmp/bn_in.csv"
# by hand: z = W x + b; y = gamma (z - running_mean) / sqrt(running_var + eps) + beta; tanh; linear
want=$(awk 'BEGIN { split("1 2 -0.5 0.5", x, " ");
  for (r = 0; r < 2; r++) { a = x[2*r+1]; b = x[2*r+2];
    z0 = a - b + 0.1; z1 = 0.5*a + 0.25*b;
    y0 = 1.5*(z0 - 0.2)/sqrt(4.001); y1 = 0.5*(z1 + 0.1)/sqrt(0.251) + 0.2;
    h0 = (exp(2*y0)-1)/(exp(2*y0)+1); h1 = (exp(2*y1)-1)/(exp(2*y1)+1);
    printf "%.6f ", h0 - 2*h1 + 0.3 } }')
got=$("$bin" predict --model "$tmp/bn.json" --data "$tmp/bn_in.csv" 2>&1 | tail -n +2 | awk '{ printf "%.6f ", $1 }')
[ "$got" = "$want" ] && ok "a JSON batch-norm model predicts by its running statistics ($got)" ||
    bad "JSON batch norm: predicted '$got', worked by hand '$want'"

# ---- explain and gradcheck --------------------------------------------------------------------
printf 'x0,x1,label\n1,2,0\n-0.5,0.5,1\n0.3,-1,2\n' >"$tmp/ex.csv"
"$bin" train --data blobs:n=150,centers=3 --layers 4 --norm batch --epochs 1 --quiet --save "$tmp/ex.safetensors" >/dev/null 2>&1
if "$bin" explain --model "$tmp/ex.safetensors" --inputs "$tmp/ex.csv" --json >"$tmp/ex.json" 2>"$tmp/ex.err" &&
    grep -q '"mode": "train"' "$tmp/ex.json" && grep -q '"norm_out"' "$tmp/ex.json" &&
    grep -q '"grad_norm_weight"' "$tmp/ex.json" && grep -q '"grad_norm_bias"' "$tmp/ex.json" &&
    grep -q '"mean"' "$tmp/ex.json" && grep -q '"var"' "$tmp/ex.json" &&
    "$bin" explain --model "$tmp/ex.safetensors" --inputs "$tmp/ex.csv" --json --eval >"$tmp/ex_eval.json" 2>&1 &&
    grep -q '"mode": "eval"' "$tmp/ex_eval.json"; then
    ok "explain --json: norm_out, mean, var, grad_norm_weight, grad_norm_bias; --eval"
else
    bad "explain with a batch norm"; cat "$tmp/ex.err"; head -c 600 "$tmp/ex.json"
fi
"$bin" explain --model "$tmp/ex.safetensors" --inputs "$tmp/ex.csv" >"$tmp/ex.txt" 2>&1
largest=$(sed -n 's/^largest |device - reference|: //p' "$tmp/ex.txt")
[ -n "$largest" ] && at_least 1e-4 "$largest" && ok "explain: device and reference agree through the norm (largest difference $largest)" ||
    { bad "explain text: largest difference '$largest'"; tail -5 "$tmp/ex.txt"; }
# gradcheck at many seeds, never one picked to pass (issue 24: at the default seed the device's
# gamma gradient of 1.7e-5, a cancelled sum in a tensor at 4e-3, was off by 3.4e-8 relative to
# itself, 2e-3, though the float32 error of the whole tensor is 1.2e-5 of its scale; and at
# --norm none --seed 19 a leaky ReLU unit within the difference step made the reference "fail").
# The seeds: 1..6 and every one of 1..30 that failed before for some norm.
gc_fail=0
gc_runs=0
for args in "batch,layer 1" "batch,layer 2" "batch,layer 3" "batch,layer 4" "batch,layer 5" \
    "batch,layer 6" "batch,layer 8" "batch,layer 13" "batch,layer 16" "batch,layer 17" \
    "batch,layer 18" "batch,layer 28" "layer 1" "batch 3" "none 19" "none 27"; do
    read -r norm seed <<<"$args"
    gc_runs=$((gc_runs + 1))
    if ! "$bin" gradcheck --norm "$norm" --seed "$seed" >"$tmp/gc.out" 2>&1 ||
        ! grep -q "gradcheck: [0-9]* passed, 0 failed" "$tmp/gc.out"; then
        gc_fail=$((gc_fail + 1))
        echo "gradcheck --norm $norm --seed $seed:"; grep -E "^[a-z_]+ x |FAIL|gradcheck:" "$tmp/gc.out" | grep -B1 -E "FAIL|gradcheck:" | head
    fi
done
if [ "$gc_fail" = 0 ]; then
    ok "gradcheck passes at $gc_runs seeds and norms (none, batch, layer, batch,layer)"
else
    bad "gradcheck failed at $gc_fail of $gc_runs seeds and norms"
fi
# the check is not vacuous: at a tolerance below float32's reach the device fails
if "$bin" gradcheck --norm batch,layer --tol 1e-7 >"$tmp/gc.out" 2>&1; then
    bad "gradcheck --tol 1e-7 passes: the device's float32 errors went unseen"
else
    grep -q "gradcheck: [0-9]* passed, [1-9][0-9]* failed" "$tmp/gc.out" &&
        ok "gradcheck --tol 1e-7 fails the device: $(tail -1 "$tmp/gc.out")" ||
        { bad "gradcheck --tol 1e-7: no failure count"; tail -3 "$tmp/gc.out"; }
fi

# ---- denormals --------------------------------------------------------------------------------
# All-zero inputs: the batch statistics are exactly 0, so the running variance decays by
# (1 - momentum) a step from 1. With momentum 0.4 it passes below FLT_MIN after 171 steps;
# unflushed it stays denormal (3 x 2^-149 after 200 steps on PoCL, and 0.6 of 2^-149 rounds
# back up to it, so it never reaches 0). The kernels flush it (the denormal rule,
# kernels/common.cl): after 200 steps it is exactly 0, no norm kernel writes a denormal, and the
# gpu profile gives the same bytes. (Not run on rusticl here: 200 steps take it ~30 s, and its
# * and + keep denormals as PoCL's do, so it would show nothing more; bits_cli trains batch
# norm there.)
{ echo "x0,x1,x2,label"; for i in $(seq 64); do echo "0,0,0,$((i % 2))"; done; } >"$tmp/zeros.csv"
zeros=(train --data "$tmp/zeros.csv" --layers 4 --norm batch --norm-momentum 0.4 --batch 16 --epochs 50 --seed 3 --quiet)
if CLTRAIN_COUNT_DENORMALS="$tmp/zeros.count" "$bin" "${zeros[@]}" --save "$tmp/zeros.safetensors" >"$tmp/zeros.out" 2>&1 &&
    "$bin" convert "$tmp/zeros.safetensors" "$tmp/zeros.json" >>"$tmp/zeros.out" 2>&1; then
    rv=$(grep -o '"running_var": \[[^]]*\]' "$tmp/zeros.json")
    [ "$rv" = '"running_var": [0, 0, 0, 0]' ] && ok "all-zero inputs, 200 steps: the running variance is exactly 0 ($rv)" ||
        bad "all-zero inputs: running variance '$rv', expected exactly 0 (not denormal)"
    # the counts: kernel, argument, launches, values changed, denormal ones
    rv_changed=$(awk -F'\t' '$1 == "bn_stats" && $2 == "rv" { print $4 }' "$tmp/zeros.count")
    norm_denormal=$(awk -F'\t' '$1 ~ /^(bn_|ln_|norm_)/ && $5 > 0 { print $1 "." $2 " " $5 }' "$tmp/zeros.count" | tr '\n' ' ')
    [ -n "$rv_changed" ] && [ "$rv_changed" -gt 0 ] && [ -z "$norm_denormal" ] &&
        ok "all-zero inputs: the norm kernels wrote no denormal (bn_stats changed the running variance $rv_changed times)" ||
        { bad "all-zero inputs: denormals written: '$norm_denormal' (bn_stats.rv changed '$rv_changed')"; cat "$tmp/zeros.count"; }
else
    bad "all-zero inputs: training or convert failed"; cat "$tmp/zeros.out"
fi
CLTRAIN_PROFILE=gpu "$bin" "${zeros[@]}" --save "$tmp/zeros_gpu.safetensors" >/dev/null 2>&1
cmp -s "$tmp/zeros.safetensors" "$tmp/zeros_gpu.safetensors" && ok "all-zero inputs: the gpu profile gives the same bytes" ||
    bad "all-zero inputs: the gpu profile gives other bytes"

# ---- errors -----------------------------------------------------------------------------------
expect_error() { # NAME PATTERN ARGS...
    local name="$1" pattern="$2"
    shift 2
    if "$@" >"$tmp/err.out" 2>&1; then bad "$name: exit 0"; return; fi
    [ "$(wc -l <"$tmp/err.out")" -le 2 ] && grep -q -- "$pattern" "$tmp/err.out" && ok "$name: $(head -1 "$tmp/err.out")" ||
        { bad "$name: expected '$pattern'"; cat "$tmp/err.out"; }
}
expect_error "--norm foo" "option --norm expects batch, layer or none" "$bin" train --data moons:n=50 --norm foo
expect_error "--norm with 3 values for 2 layers" "3 values for 2 hidden layers" "$bin" train --data moons:n=50 --layers 4,4 --norm batch,layer,none
expect_error "--norm-eps 0" "--norm-eps" "$bin" train --data moons:n=50 --norm batch --norm-eps 0
expect_error "--norm-momentum 1.5" "--norm-momentum" "$bin" train --data moons:n=50 --norm batch --norm-momentum 1.5
sed 's/"activation": "linear"}/"activation": "linear", "norm": "batch"}/' "$tmp/bn.json" >"$tmp/bad1.json"
expect_error "JSON: a norm on the output layer" "not the output layer" "$bin" predict --model "$tmp/bad1.json" --data "$tmp/bn_in.csv"
sed 's/"running_var": \[4.0, 0.25\]/"running_var": [4.0, -0.25]/' "$tmp/bn.json" >"$tmp/bad2.json"
expect_error "JSON: a negative running variance" "running_var\[1\]" "$bin" predict --model "$tmp/bad2.json" --data "$tmp/bn_in.csv"
sed 's/"norm": "batch"/"norm": "group"/' "$tmp/bn.json" >"$tmp/bad3.json"
expect_error "JSON: an unknown norm" "expected \"batch\", \"layer\" or \"none\"" "$bin" predict --model "$tmp/bad3.json" --data "$tmp/bn_in.csv"
sed 's/"norm": "batch"/"norm": "layer"/' "$tmp/bn.json" >"$tmp/bad4.json"
expect_error "JSON: running statistics on a layer norm" "'running_mean' applies only with" "$bin" predict --model "$tmp/bad4.json" --data "$tmp/bn_in.csv"
sed 's/"norm_weight": \[1.5, 0.5\]/"norm_weight": [1.5]/' "$tmp/bn.json" >"$tmp/bad5.json"
expect_error "JSON: a norm_weight of the wrong length" "norm_weight is an array of 1, expected an array of 2" "$bin" predict --model "$tmp/bad5.json" --data "$tmp/bn_in.csv"

# ---- the README's demonstration: 8 sigmoid layers of 32 on spirals -----------------------------
demo=(--data spirals:n=600 --layers 32,32,32,32,32,32,32,32 --activation sigmoid --lr 0.01 --epochs 40 --val 0.2 --seed 1 --stats)
"$bin" train "${demo[@]}" >"$tmp/plain.out" 2>&1
"$bin" train "${demo[@]}" --norm batch >"$tmp/bn.out" 2>&1
acc_plain=$(sed -n 's/^validation: loss [^,]*, accuracy //p' "$tmp/plain.out")
acc_bn=$(sed -n 's/^validation: loss [^,]*, accuracy //p' "$tmp/bn.out")
# |dL/dW| of the first layer in the last table of --stats
g_plain=$(awk '$1 == "0" && $2 == "sigmoid" { g = $NF } END { print g }' "$tmp/plain.out")
g_bn=$(awk '$1 == "0" && $2 == "sigmoid" { g = $NF } END { print g }' "$tmp/bn.out")
if [ -n "$acc_plain" ] && [ -n "$acc_bn" ] && at_least 0.45 "$acc_plain" && at_least "$acc_bn" 0.55; then
    ok "deep sigmoid net: validation accuracy $acc_plain without a norm (3 classes), $acc_bn with --norm batch"
else
    bad "deep sigmoid demonstration: accuracy '$acc_plain' without, '$acc_bn' with --norm batch"
    tail -3 "$tmp/plain.out" "$tmp/bn.out"
fi
if [ -n "$g_plain" ] && [ -n "$g_bn" ] && at_least "$g_bn" "$(awk -v g="$g_plain" 'BEGIN { print 10 * g }')"; then
    ok "--stats: the first layer's |dL/dW| is $g_plain without a norm, $g_bn with batch norm"
else
    bad "--stats first-layer gradients: '$g_plain' without, '$g_bn' with batch norm"
fi

finish "norm_cli"
