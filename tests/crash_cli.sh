#!/usr/bin/env bash
# Killing the trainer (SIGKILL) at random moments, mostly while it writes its checkpoint, always
# leaves a checkpoint that loads, and resuming after all the kills reaches the same final
# weights as a run that was never interrupted.
# usage: crash_cli.sh path/to/cltrain [tries]
set -u
bin="$1"
tries="${2:-20}"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

# One step per epoch and about a million parameters: a checkpoint (weights, m, v: ~13 MB) is
# written after every epoch, so most of the run's time is spent saving.
args=(train --data moons:n=64,seed=3 --layers 1024,1024 --batch 64 --epochs 300 --dropout 0.1 --quiet
      --checkpoint "$tmp/ck" --checkpoint-every 1)
"$bin" "${args[@]}" --checkpoint "$tmp/full" --save "$tmp/full.safetensors" >/dev/null 2>&1 \
    || { bad "the uninterrupted run failed"; exit 1; }

kills=0 loaded=0 during=0
for i in $(seq 1 "$tries"); do
    resume=()
    [ -f "$tmp/ck/checkpoint.safetensors" ] && resume=(--resume)
    "$bin" "${args[@]}" "${resume[@]}" >"$tmp/run.out" 2>&1 &
    pid=$!
    # a random moment 0.15-0.55 s after the start (an epoch with its save takes about 25 ms;
    # the whole run several seconds)
    sleep "0.$(printf '%03d' $((150 + RANDOM % 400)))"
    # count the kills that hit while a temporary checkpoint file was being written
    ls "$tmp/ck" 2>/dev/null | grep -q "\.tmp-" && during=$((during + 1))
    kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null
    if [ -f "$tmp/ck/checkpoint.safetensors" ]; then
        if "$bin" eval --model "$tmp/ck/checkpoint.safetensors" --data moons:n=64,seed=3 --json >"$tmp/eval.out" 2>&1; then
            loaded=$((loaded + 1))
        else
            bad "try $i: the checkpoint left by the kill does not load: $(cat "$tmp/eval.out")"
        fi
    fi
done
echo "kills: $kills of $tries tries landed while running, $during of them while a checkpoint was being written (a temporary present); checkpoints that loaded after a kill: $loaded"
if [ "$kills" -ge 1 ] && [ "$fail" = 0 ]; then ok "every checkpoint left by a SIGKILL loads ($loaded of $tries tries)"; fi

# finish from whatever the kills left and compare with the uninterrupted run; the run also
# removes the temporaries that the killed saves left behind
resume=()
[ -f "$tmp/ck/checkpoint.safetensors" ] && resume=(--resume)
"$bin" "${args[@]}" "${resume[@]}" --save "$tmp/resumed.safetensors" >"$tmp/final.out" 2>&1
if ls "$tmp/ck" | grep -q "\.tmp-"; then bad "temporaries of killed saves are left: $(ls "$tmp/ck")"; fi
if cmp -s "$tmp/full.safetensors" "$tmp/resumed.safetensors"; then
    ok "after $kills kills, resuming gives the same final weights as the uninterrupted run (identical files)"
else
    bad "the resumed run differs from the uninterrupted one"; cat "$tmp/final.out"
fi
# divergence: a run that blows up in epoch 3 stops with a message naming the step, and the
# checkpoint of epoch 2 stays exactly as a 2-epoch run writes it (its tensors: the header also
# keeps the run's options, --epochs among them)
tensors() { tail -c +$((9 + $(od -An -tu8 -N8 "$1" | tr -d ' '))) "$1"; }
dv=(train --data sine:n=200 --layers 16 --optimizer sgd --lr 0.5 --warmup 10 --quiet)
"$bin" "${dv[@]}" --epochs 10 --checkpoint "$tmp/dv" >"$tmp/dv.out" 2>"$tmp/dv.err"
rc=$?
"$bin" "${dv[@]}" --epochs 2 --checkpoint "$tmp/dv2" >/dev/null 2>&1
if [ $rc = 1 ] && grep -q "training diverged: the loss became .* at epoch 3, step [0-9]*" "$tmp/dv.err" &&
   cmp -s <(tensors "$tmp/dv/checkpoint.safetensors") <(tensors "$tmp/dv2/checkpoint.safetensors") &&
   grep -aq 'train_state":"{\\"epoch\\":2,' "$tmp/dv/checkpoint.safetensors"; then
    ok "divergence stops with '$(cut -c1-90 "$tmp/dv.err")...', the epoch-2 checkpoint untouched"
else
    bad "divergence (exit $rc)"; cat "$tmp/dv.err"
fi
finish crash_cli
