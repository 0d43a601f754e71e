#!/usr/bin/env bash
# gradcheck over every activation x loss, a wrong backward caught by gradcheck and by --verify,
# and --verify reporting per-op errors on a real training run.
# usage: inside_cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

# the activations as train's help lists them ("relu, ..., silu or identity"), identity too
acts=$("$bin" train --help | sed -n 's/^ *--activation A *//p' | tr ',' ' ' | sed 's/ or / /' | wc -w)
"$bin" gradcheck >"$tmp/gc.out" 2>&1
rc=$?
combos=$(grep -c " x .*batch" "$tmp/gc.out")
if [ $rc = 0 ] && [ "$acts" -ge 8 ] && [ "$combos" = $((acts * 4)) ] &&
    grep -q "gradcheck: $((acts * 24)) passed, 0 failed" "$tmp/gc.out"; then
    ok "gradcheck: $acts activations x 4 losses pass ($(grep "largest relative error" "$tmp/gc.out"))"
else
    bad "gradcheck (exit $rc, $combos combinations)"; tail -20 "$tmp/gc.out"
fi
CLTRAIN_FAULT=act_backward "$bin" gradcheck --activation tanh,gelu --loss mse,ce >"$tmp/fault.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "layers.0.weight .*device .*FAIL" "$tmp/fault.out" && ! grep -Eq "reference +[-0-9.e+]+ FAIL" "$tmp/fault.out"; then
    ok "gradcheck catches a wrong act_backward on the device (and only there)"
else
    bad "gradcheck missed the fault (exit $rc)"; cat "$tmp/fault.out"
fi
"$bin" gradcheck --backend reference --activation relu --loss huber >"$tmp/ref.out" 2>&1 && grep -q "reference" "$tmp/ref.out" && ! grep -q "device" "$tmp/ref.out" \
    && ok "gradcheck --backend reference" || bad "gradcheck --backend reference"

# --verify on a real run: one report per verified step, every op listed, errors tiny
"$bin" train --data moons:n=400 --layers 16,8 --dropout 0.1 --l2 0.001 --clip-norm 1 --epochs 3 --verify 10 \
    >"$tmp/v.out" 2>&1
rc=$?
reports=$(grep -c "^verify step" "$tmp/v.out")
if [ $rc = 0 ] && [ "$reports" -ge 3 ] && grep -q "layer 0 forward: dense + bias" "$tmp/v.out" && \
   grep -q "loss: sigmoid_bce" "$tmp/v.out" && grep -q "optimizer step: parameters" "$tmp/v.out"; then
    ok "--verify reports every op ($reports verified steps)"
else
    bad "--verify (exit $rc, $reports reports)"; tail -30 "$tmp/v.out"
fi
CLTRAIN_FAULT=act_backward "$bin" train --data moons:n=400 --layers 16,8 --epochs 3 --verify 10 >"$tmp/vf.out" 2>"$tmp/vf.err"
rc=$?
if [ $rc = 1 ] && grep -q "verify: step 10: layer .* backward: .*relu backward.* differs from the reference" "$tmp/vf.err"; then
    ok "--verify stops at a wrong act_backward, naming it"
else
    bad "--verify with a fault (exit $rc)"; cat "$tmp/vf.err"
fi
CLTRAIN_FAULT=nonsense "$bin" selftest >"$tmp/nf.out" 2>&1
if [ $? = 1 ] && grep -q "not a known test fault" "$tmp/nf.out"; then ok "an unknown CLTRAIN_FAULT is an error"; else bad "unknown fault"; cat "$tmp/nf.out"; fi

# explain as a person reads it
"$bin" explain --model "$(dirname "$0")/../examples/xor.json" --input 1,0 --target 1 --step adam:0.01 >"$tmp/e.out" 2>&1
if [ $? = 0 ] && grep -q "largest |device - reference|" "$tmp/e.out" && grep -q "m_hat_weight" "$tmp/e.out"; then ok "explain prints both columns and Adam's corrected moments"; else bad "explain"; cat "$tmp/e.out"; fi
"$bin" explain --model "$(dirname "$0")/../examples/xor.json" --input 1,2,3 --target 1 >"$tmp/e2.out" 2>&1
if [ $? = 2 ] && grep -q "takes 2 inputs, got 3" "$tmp/e2.out"; then ok "explain: wrong input size"; else bad "explain wrong input"; cat "$tmp/e2.out"; fi
finish inside_cli
