#!/usr/bin/env bash
# A run's first hour (issue 24): a checkpoint folder of another run is refused (its bytes kept)
# unless --overwrite; --resume takes the run's options from the checkpoint (a differing option is
# named; --epochs may grow) and ends where an uninterrupted run ends, bit for bit; a finished run
# says so; a bad --save is refused before training; SIGINT / SIGTERM stop after the current step
# with the checkpoint and --save written and the way to resume, and a second signal stops at once.
# usage: run_cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"
set -m # background jobs in their own process group, with SIGINT not ignored (a script's default)

# wait_for FILE PATTERN SECONDS: until PATTERN is in FILE
wait_for() {
    local i
    for i in $(seq $(($3 * 10))); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

# 1. another run's checkpoint: refused, its bytes unchanged; --overwrite replaces it
a=(train --data moons:n=2000 --layers 16 --epochs 3 --quiet)
"$bin" "${a[@]}" --checkpoint "$tmp/ck" --save "$tmp/a3.safetensors" >/dev/null 2>&1
cp "$tmp/ck/checkpoint.safetensors" "$tmp/ck.orig"
run "another run's checkpoint is refused" 1 \
    "ck holds the checkpoint of another run .*after epoch 3.*--resume.*another folder.*--overwrite" \
    -- train --data circles --layers 8 --epochs 2 --quiet --checkpoint "$tmp/ck"
if cmp -s "$tmp/ck/checkpoint.safetensors" "$tmp/ck.orig"; then ok "the refused folder's checkpoint is unchanged"; else
    bad "the refused run changed the checkpoint"; fi
cp -r "$tmp/ck" "$tmp/ck2"
run "--overwrite replaces it" 0 "trained 2 epochs" \
    -- train --data circles --layers 8 --epochs 2 --quiet --checkpoint "$tmp/ck2" --overwrite
if ! cmp -s "$tmp/ck2/checkpoint.safetensors" "$tmp/ck.orig"; then ok "--overwrite wrote the new run's checkpoint"; else
    bad "--overwrite left the old checkpoint"; fi

# 2. --resume alone: the options come from the checkpoint; raising --epochs trains on, and the
# result is the uninterrupted run's, bit for bit
"$bin" "${a[@]}" --epochs 6 --save "$tmp/a6.safetensors" >/dev/null 2>&1
cp -r "$tmp/ck" "$tmp/ckr"
run "--resume with no other options" 0 "resumed from .*after epoch 3 \(step 189\)" \
    -- train --checkpoint "$tmp/ckr" --resume --epochs 6 --save "$tmp/r6.safetensors"
if [ -s "$tmp/a6.safetensors" ] && cmp -s "$tmp/a6.safetensors" "$tmp/r6.safetensors"; then
    ok "3 epochs + --resume --epochs 6 == 6 epochs (identical files)"
else bad "the resumed run differs from the uninterrupted one"; fi
run "a differing option is named" 1 \
    "--layers 32 differs from the checkpoint's --layers 16 \(.*ck/checkpoint.safetensors\); drop it" \
    -- train --checkpoint "$tmp/ck" --resume --layers 32
run "an option the run did not set" 1 "--lr 0.5 differs from the checkpoint's run, which used the default" \
    -- train --checkpoint "$tmp/ck" --resume --lr 0.5
run "agreeing options are accepted" 0 "already holds all 3 epochs" \
    -- train --checkpoint "$tmp/ck" --resume --data moons:n=2000 --layers=16 --seed 42 --quiet

# 3. a finished run: nothing to train, exit 0, and --save still writes its model
run "resuming a finished run" 0 \
    "ck/checkpoint.safetensors already holds all 3 epochs \(step 189\); nothing to train \(raise --epochs to continue\)" \
    -- train --checkpoint "$tmp/ck" --resume --save "$tmp/fin.safetensors"
if cmp -s "$tmp/a3.safetensors" "$tmp/fin.safetensors"; then ok "the finished run's --save is the run's model"; else
    bad "the finished run's --save differs from the run's own"; fi
if grep -q "trained -" "$tmp/out"; then bad "a negative epoch count"; fi

# 4. a bad --save is refused before training, leaving no file
long=(train --data moons:n=2000 --epochs 100000 --quiet)
start=$(date +%s)
run "--save into a missing folder" 1 "--save .*/nope/m.safetensors: the folder .*/nope does not exist" \
    -- "${long[@]}" --save "$tmp/nope/m.safetensors"
run "--save naming a folder" 1 "--save .*: that is a folder; give a file name" -- "${long[@]}" --save "$tmp"
run "--log into a missing folder" 1 "--log .*: the folder .* does not exist" -- "${long[@]}" --log "$tmp/nope/l.csv"
run "--checkpoint naming a file" 1 "--checkpoint .*: that is a file, not a folder" \
    -- "${long[@]}" --checkpoint "$tmp/a3.safetensors"
if [ $(($(date +%s) - start)) -lt 30 ] && [ ! -e "$tmp/nope" ]; then ok "refused before training, nothing created"; else
    bad "the bad outputs took $(($(date +%s) - start)) s or left $tmp/nope"; fi

# 5. SIGINT within an epoch (--log-every 1: the host follows the device step by step), then
# --resume to the end == the uninterrupted run, weights and log rows
s=(train --data moons:n=40000 --layers 32,32 --dropout 0.1 --epochs 2 --log-every 1)
"$bin" "${s[@]}" --save "$tmp/s.safetensors" --log "$tmp/s.csv" >/dev/null 2>&1
"$bin" "${s[@]}" --checkpoint "$tmp/cks" --save "$tmp/si.safetensors" --log "$tmp/si.csv" \
    >"$tmp/si.out" 2>"$tmp/si.err" &
pid=$!
wait_for "$tmp/si.out" "^  epoch 1 step 40 " 60
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" = 130 ]; then ok "SIGINT: exit 130"; else bad "SIGINT: exit $rc"; cat "$tmp/si.err"; fi
line=$(grep "interrupted" "$tmp/si.err")
if echo "$line" | grep -Eq "^cltrain: interrupted \(SIGINT\) in epoch 1/2 at step [0-9]+ \(batch [0-9]+ of 1250\); .*cks/checkpoint.safetensors holds the run up to that step; saved the model to .*si.safetensors. Resume with: cltrain train --checkpoint .*cks --resume --save .*si.safetensors$"; then
    ok "SIGINT: '$(echo "$line" | cut -c1-120)...'"
else bad "SIGINT message: $(cat "$tmp/si.err")"; fi
if [ -s "$tmp/si.safetensors" ] && [ "$(ls "$tmp/cks")" = checkpoint.safetensors ]; then
    ok "SIGINT: --save and the checkpoint written, no temporaries"
else bad "SIGINT: files: $(ls "$tmp" "$tmp/cks" | tr '\n' ' ')"; fi
run "resume after SIGINT" 0 "resumed from .* in epoch 1 after batch [0-9]+ \(step [0-9]+\)" \
    -- train --checkpoint "$tmp/cks" --resume --save "$tmp/sr.safetensors" --log "$tmp/si.csv" --quiet
if cmp -s "$tmp/s.safetensors" "$tmp/sr.safetensors"; then
    ok "SIGINT within an epoch + --resume == the uninterrupted run (identical files)"
else bad "the run resumed after SIGINT differs from the uninterrupted one"; fi
if diff <(cut -d, -f1-4 "$tmp/s.csv") <(cut -d, -f1-4 "$tmp/si.csv") >/dev/null; then
    ok "and the same log rows (the interrupted epoch's loss and accuracy included)"
else bad "log rows differ: $(paste -d' ' "$tmp/s.csv" "$tmp/si.csv" | head -4)"; fi

# 6. SIGTERM: exit 143; without --checkpoint the message says the run cannot be resumed
"$bin" "${s[@]}" --save "$tmp/st.safetensors" >"$tmp/st.out" 2>"$tmp/st.err" &
pid=$!
wait_for "$tmp/st.out" "^  epoch 1 step 20 " 60
kill -TERM "$pid"
wait "$pid"
rc=$?
if [ "$rc" = 143 ] && grep -Eq "^cltrain: interrupted \(SIGTERM\) .*saved the model to .*st.safetensors; without --checkpoint the run cannot be resumed$" "$tmp/st.err" &&
    [ -s "$tmp/st.safetensors" ]; then
    ok "SIGTERM: exit 143, the model saved, no resume without --checkpoint"
else bad "SIGTERM: exit $rc: $(cat "$tmp/st.err")"; fi

# 6b. without --log-every the host may not run an epoch ahead of the device (it is paced: about
# 0.4 s of work queued), so SIGINT lands within the long first epoch and the run stops soon
long=(train --data moons:n=300000 --layers 64,64 --epochs 2 --quiet)
"$bin" "${long[@]}" --checkpoint "$tmp/ckp" >"$tmp/p.out" 2>"$tmp/p.err" &
pid=$!
wait_for "$tmp/p.out" "^optimizer:" 60
sleep 1.5
t0=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$rc" = 130 ] && grep -Eq "^cltrain: interrupted \(SIGINT\) in epoch 1/2 at step [0-9]+ \(batch [0-9]+ of 9375\)" "$tmp/p.err"; then
    ok "SIGINT without --log-every stops within the first epoch ($ms ms after the signal)"
else bad "SIGINT without --log-every: exit $rc after $ms ms: $(cat "$tmp/p.err")"; fi

# 7. a second SIGINT within a long step (the reference backend, one step of seconds) exits at once
slow=(train --data moons:n=4000 --layers 1024,1024 --batch 2000 --epochs 1 --backend reference)
"$bin" "${slow[@]}" --checkpoint "$tmp/ckq" --save "$tmp/q.safetensors" >"$tmp/q.out" 2>"$tmp/q.err" &
pid=$!
wait_for "$tmp/q.out" "^optimizer:" 60
sleep 1
kill -INT "$pid"
sleep 0.3
t0=$(date +%s%N)
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$rc" = 130 ] && [ "$ms" -lt 1500 ] && grep -q "stopped at once" "$tmp/q.err" &&
    [ ! -e "$tmp/q.safetensors" ] && [ -z "$(ls "$tmp/ckq" 2>/dev/null)" ]; then
    ok "a second SIGINT exits at once ($ms ms, exit 130, nothing written)"
else bad "second SIGINT: exit $rc after $ms ms: $(cat "$tmp/q.err"); files: $(ls "$tmp/ckq" 2>&1)"; fi

finish run_cli
