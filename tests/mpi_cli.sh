#!/usr/bin/env bash
# Data-parallel training under mpirun (2 ranks on the default device: PoCL in CI): two ranks train
# the same weights as one process with the same batch (within a stated tolerance; bit-identical
# across repeated runs and with one rank), only rank 0 prints and writes (the progress line too,
# with the loss summed over the ranks; on a terminal without options, into a file with
# --progress), a regression's mean absolute error agrees with one process's, checkpoints resume
# with the same number of ranks, and a rank that fails or dies ends the whole job with a clear
# error instead of a hang.
# usage: mpi_cli.sh path/to/cltrain path/to/mpirun path/to/compare_weights.py path/to/python
# (the Python with NumPy that CMake chose; empty when there is none, and the comparisons fail)
set -u
bin="$1"
mpirun="$2"
compare="$3"
py="${4:-}"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"


# shellcheck source=tests/mpi_env.sh
. "$(dirname "$0")/mpi_env.sh"
# every run is bounded: a hang fails the test instead of blocking CI
mpi() { timeout 120 "$mpirun" "$@"; }

# tolerance for 2 ranks vs 1 process: the gradient of a batch is summed in another order (two
# half sums, then their sum), so weights differ by float rounding that training carries along;
# measured 2.7e-8 (moons with dropout), see the printed values
tol=1e-5

# compare NAME A B [--tol X | --identical]
compare() {
    local name="$1" a="$2" b="$3"
    shift 3
    local out
    if [ -z "$py" ]; then
        bad "$name: configure found no Python that can import NumPy to compare the weights" \
            "(scripts/bootstrap.sh installs python3-numpy)"
    elif out=$("$py" "$compare" "$a" "$b" "$@" 2>&1); then
        ok "$name: $out"
    else
        bad "$name: $out"
    fi
}

# 1. two ranks = one process, on three problems (dropout + validation; momentum + l2 +
#    clipping + softmax-CE with a batch that 2 ranks share unevenly and a partial last batch;
#    regression with MSE)
run_both() { # NAME ARGS...
    local name="$1"
    shift
    if ! "$bin" train "$@" --quiet --save "$tmp/$name.1.safetensors" >"$tmp/$name.1.out" 2>&1; then
        bad "$name: one process failed"; cat "$tmp/$name.1.out"; return
    fi
    if ! mpi -np 2 "$bin" train "$@" --save "$tmp/$name.2.safetensors" >"$tmp/$name.2.out" 2>"$tmp/$name.2.err"; then
        bad "$name: 2 ranks failed"; cat "$tmp/$name.2.out" "$tmp/$name.2.err"; return
    fi
    compare "$name: 2 ranks vs 1 process (tolerance $tol of the largest weight)" \
        "$tmp/$name.1.safetensors" "$tmp/$name.2.safetensors" --tol "$tol"
}
run_both moons --data moons:n=1000 --layers 32,16 --dropout 0.2 --epochs 5 --batch 64 --val 0.2
run_both blobs --data blobs:n=700,centers=5 --layers 24 --optimizer momentum --l2 1e-3 \
    --clip-norm 0.5 --epochs 4 --batch 31
run_both sine --data sine:n=500 --layers 16,16 --activation tanh --epochs 4 --batch 50

# 2. only rank 0 prints: one line per epoch, and the data-parallel summary
out="$tmp/moons.2.out"
n=$(grep -c '^epoch ' "$out")
if [ "$n" = 5 ]; then ok "5 epoch lines from 2 ranks (rank 0 prints)"; else bad "$n epoch lines"; cat "$out"; fi
if grep -q '^data-parallel: 2 ranks, each step.s batch of 64 rows shared (32 per rank)' "$out" &&
    grep -q '^  rank 1: ' "$out" &&
    grep -qE '^data-parallel: 2 ranks, [0-9.]+ ms per step, of which [0-9.]+ ms \([0-9.]+%\) in the gradient allreduce \(rank 0\); weights identical on every rank$' "$out"; then
    ok "the data-parallel lines: ranks, devices, time per step and allreduce share"
else
    bad "data-parallel lines missing"; cat "$out"
fi
if [ ! -s "$tmp/moons.2.err" ]; then ok "nothing on stderr"; else bad "stderr:"; cat "$tmp/moons.2.err"; fi

# 3. deterministic: the same 2-rank run twice is bit-identical; one rank under mpirun is the
#    one-process run, bit for bit
mpi -np 2 "$bin" train --data moons:n=1000 --layers 32,16 --dropout 0.2 --epochs 5 --batch 64 --val 0.2 \
    --quiet --save "$tmp/again.safetensors" >/dev/null 2>&1
compare "2 ranks twice" "$tmp/moons.2.safetensors" "$tmp/again.safetensors" --identical
mpi -np 1 "$bin" train --data moons:n=1000 --layers 32,16 --dropout 0.2 --epochs 5 --batch 64 --val 0.2 \
    --quiet --save "$tmp/one.safetensors" >/dev/null 2>&1
compare "1 rank under mpirun vs no mpirun" "$tmp/moons.1.safetensors" "$tmp/one.safetensors" --identical

# 4. the reference backend (double precision): the summation order matters far less
args=(--data moons:n=300 --layers 8 --epochs 3 --batch 30 --backend reference --quiet)
"$bin" train "${args[@]}" --save "$tmp/ref1.safetensors" >/dev/null 2>&1
mpi -np 2 "$bin" train "${args[@]}" --save "$tmp/ref2.safetensors" >/dev/null 2>&1
compare "reference backend: 2 ranks vs 1 process (tolerance 1e-6)" "$tmp/ref1.safetensors" \
    "$tmp/ref2.safetensors" --tol 1e-6

# 5. logs and plots come from rank 0, once
mpi -np 2 "$bin" train --data moons:n=400 --layers 8 --epochs 3 --batch 40 --quiet \
    --log "$tmp/log.csv" --plot "$tmp/plot.svg" >/dev/null 2>&1
if [ "$(wc -l <"$tmp/log.csv")" = 4 ] && grep -q '</svg>' "$tmp/plot.svg"; then
    ok "--log (3 epochs) and --plot written"
else
    bad "--log / --plot"; cat "$tmp/log.csv"
fi

# ... and a regression's mean absolute error, summed over the ranks as the loss is: the 2-rank
#     log's train_mae and val_mae equal the one process's within the weights' tolerance
rargs=(--data sine:n=600 --layers 16 --epochs 3 --batch 40 --val 0.25 --quiet)
"$bin" train "${rargs[@]}" --log "$tmp/mae1.csv" >/dev/null 2>&1
mpi -np 2 "$bin" train "${rargs[@]}" --log "$tmp/mae2.csv" >/dev/null 2>&1
if out=$(paste -d, "$tmp/mae1.csv" "$tmp/mae2.csv" | awk -F, '
    NR == 1 { ok = ($10 == "train_mae" && $11 == "val_mae"); next }
    { for (k = 10; k <= 11; k++) { a = $k; b = $(k + 11); n++
        if (a == "" || b == "" || a - b > 1e-4 * a || b - a > 1e-4 * a) ok = 0
        printf "%s/%s ", a, b } }
    END { exit !(ok && n == 6) }'); then
    ok "regression MAE, 1 process / 2 ranks: $out"
else
    bad "regression MAE of 1 process and 2 ranks: $out"; cat "$tmp/mae1.csv" "$tmp/mae2.csv"
fi

# 6. checkpoint and resume with 2 ranks: 2 epochs + resume to 4 = 4 epochs, bit for bit
cargs=(--data moons:n=600 --layers 16 --dropout 0.1 --batch 50 --quiet)
mpi -np 2 "$bin" train "${cargs[@]}" --epochs 4 --save "$tmp/full.safetensors" >/dev/null 2>&1
mpi -np 2 "$bin" train "${cargs[@]}" --epochs 2 --checkpoint "$tmp/ck" >/dev/null 2>&1
if mpi -np 2 "$bin" train "${cargs[@]}" --epochs 4 --checkpoint "$tmp/ck" --resume \
    --save "$tmp/resumed.safetensors" >"$tmp/resume.out" 2>&1; then
    compare "2 ranks: 2 epochs, resume to 4 = 4 epochs" "$tmp/full.safetensors" \
        "$tmp/resumed.safetensors" --identical
    if grep -q "^resumed from $tmp/ck/checkpoint.safetensors after epoch 2" "$tmp/resume.out"; then
        ok "the resume line"
    else bad "no resume line"; cat "$tmp/resume.out"; fi
else
    bad "resume with 2 ranks failed"; cat "$tmp/resume.out"
fi
ls "$tmp/ck" >"$tmp/ck.ls"
if [ "$(cat "$tmp/ck.ls")" = checkpoint.safetensors ]; then ok "one checkpoint file, no temporaries"; else
    bad "checkpoint folder:"; cat "$tmp/ck.ls"; fi
# ... and a resume with another number of ranks is refused, naming the number
if "$bin" train "${cargs[@]}" --epochs 5 --checkpoint "$tmp/ck" --resume >"$tmp/r1.out" 2>&1; then
    bad "resuming a 2-rank checkpoint in one process succeeded"
elif grep -q "was written by a run on 2 ranks; this run has 1: resume with the same number (mpirun -np 2)" "$tmp/r1.out"; then
    ok "resume with 1 process refused: $(grep error "$tmp/r1.out" | cut -c1-100)..."
else
    bad "resume with 1 process:"; cat "$tmp/r1.out"
fi

# 7. a rank that fails (an absent device on rank 1 only) ends the job: non-zero, one error line
#    naming the rank and the device, well before the timeout
targs=(train --data moons:n=2000 --layers 32 --epochs 50 --batch 32 --quiet)
start=$(date +%s)
mpi -np 1 "$bin" --device 0 "${targs[@]}" : -np 1 "$bin" --device 7 "${targs[@]}" >"$tmp/f.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$took" -lt 60 ] &&
    grep -q '^cltrain: error: rank 1 of 2: no OpenCL device with index 7' "$tmp/f.out"; then
    ok "a failing rank ends the job in ${took} s (exit $rc) with: $(grep '^cltrain: error' "$tmp/f.out")"
else
    bad "failing rank: exit $rc after ${took} s"; cat "$tmp/f.out"
fi

# 8. a rank killed while training ends the job (no hang), and the checkpoint stays loadable
mpi -np 2 "$bin" "${targs[@]}" --epochs 100000 --checkpoint "$tmp/kill" >"$tmp/k.out" 2>&1 &
job=$!
for _ in $(seq 100); do [ -s "$tmp/kill/checkpoint.safetensors" ] && break; sleep 0.2; done
victim=$(pgrep -f -- "--checkpoint $tmp/kill" | while read -r p; do
    [ "$(cat /proc/"$p"/comm 2>/dev/null)" = cltrain ] && echo "$p"; done | tail -1)
start=$(date +%s)
if [ -n "$victim" ]; then kill -9 "$victim"; fi
wait "$job"
rc=$?
took=$(($(date +%s) - start))
if [ -n "$victim" ] && [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$took" -lt 30 ]; then
    ok "a killed rank ends the job in ${took} s (exit $rc)"
else
    bad "killed rank: victim '$victim', exit $rc after ${took} s"; cat "$tmp/k.out"
fi
if "$bin" eval --model "$tmp/kill/checkpoint.safetensors" --data moons:n=200 >"$tmp/ke.out" 2>&1; then
    ok "the checkpoint of the killed job loads"
else bad "the killed job's checkpoint"; cat "$tmp/ke.out"; fi

# 9. the progress line: rank 0's alone. On a terminal it shows when mpirun's stderr is one (the
#    ranks get pipes); --progress forces it into a file, still at most about 10 times a second.
#    Its loss is summed over the ranks: at an epoch's end it is the epoch line's loss.
# the redraws of the line (on a terminal the epoch lines come between them)
progress_lines() { tr '\r' '\n' <"$1" | sed 's/\x1b\[K//g' | grep -aE '^epoch [0-9]+/[0-9]+ \['; }
pargs=(train --data moons:n=20000 --layers 32 --epochs 2 --batch 16)
start=$(date +%s%N)
mpi -np 2 "$bin" "${pargs[@]}" --progress >"$tmp/p.out" 2>"$tmp/p.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
progress_lines "$tmp/p.err" >"$tmp/p.lines"
n=$(wc -l <"$tmp/p.lines")
form='^epoch [12]/2 \[[=> ]{30}\] [0-9]+/1250  [0-9]+ samples/s  loss [0-9.]+  [0-9]+(:[0-9]{2}){1,2} eta [0-9]+(:[0-9]{2}){1,2}$'
ends=$(grep -Ec '^epoch [12]/2 \[=+\] 1250/1250 ' "$tmp/p.lines")
same_loss=1
for e in 1 2; do
    at_end=$(grep -E "^epoch $e/2 \[=+\] 1250/1250 " "$tmp/p.lines" | sed 's/.*  loss \([0-9.]*\) .*/\1/')
    line=$(grep -E "^epoch $e/2  loss" "$tmp/p.out" | sed 's/^epoch [0-9]\/2  loss \([0-9.]*\) .*/\1/')
    [ -n "$at_end" ] && [ "$at_end" = "$line" ] || same_loss=0
done
if [ "$rc" = 0 ] && [ "$n" -ge 2 ] && ! grep -Evq "$form" "$tmp/p.lines" && [ "$ends" = 2 ] &&
    [ "$n" -le $((ms / 100 + 4)) ] && [ "$same_loss" = 1 ]; then
    ok "--progress on 2 ranks: $n lines in $ms ms, one per epoch's end (rank 0's), the epochs' losses; e.g. '$(sed -n 2p "$tmp/p.lines")'"
else
    bad "--progress on 2 ranks: exit $rc, $n lines in $ms ms, $ends epoch ends, losses equal: $same_loss"
    head -3 "$tmp/p.lines"; grep -Ev "$form" "$tmp/p.lines" | head -3; cat "$tmp/p.out"
fi
if command -v script >/dev/null 2>&1; then
    timeout 120 script -qec "'$mpirun' -np 2 '$bin' ${pargs[*]}" "$tmp/tty.log" >/dev/null 2>&1
    progress_lines "$tmp/tty.log" >"$tmp/tty.lines"
    ends=$(grep -Ec '^epoch [12]/2 \[=+\] 1250/1250 ' "$tmp/tty.lines")
    if [ "$ends" = 2 ] && ! grep -Evq "$form" "$tmp/tty.lines"; then
        ok "mpirun on a terminal: rank 0's progress line, $(wc -l <"$tmp/tty.lines") redraws"
    else
        bad "mpirun on a terminal: $ends epoch ends of the progress line"; head -3 "$tmp/tty.lines"
    fi
    timeout 120 script -qec "'$mpirun' -np 2 '$bin' ${pargs[*]} --no-progress" "$tmp/tty2.log" \
        >/dev/null 2>&1
    if grep -aq '^epoch 2/2  loss' "$tmp/tty2.log" && ! grep -aq 'samples/s  loss' "$tmp/tty2.log"; then
        ok "--no-progress on a terminal: the epoch lines alone"
    else
        bad "--no-progress on a terminal:"; tr '\r' '\n' <"$tmp/tty2.log" | tail -3
    fi
else
    bad "script(1) (util-linux) is missing: mpirun on a terminal was not tested"
fi

# 10. usage errors: one line from rank 0, exit 2; other commands and options that do not run
#    data-parallel are refused
expect_one_error() { # NAME PATTERN ARGS...
    local name="$1" pattern="$2"
    shift 2
    mpi -np 2 "$bin" "$@" >"$tmp/u.out" 2>&1
    local rc=$? lines
    lines=$(grep -c '^cltrain: error' "$tmp/u.out")
    if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$lines" = 1 ] && grep -q "^cltrain: error: .*$pattern" "$tmp/u.out"; then
        ok "$name: $(grep '^cltrain: error' "$tmp/u.out")"
    else
        bad "$name: exit $rc, $lines error lines"; cat "$tmp/u.out"
    fi
}
expect_one_error "unknown option" "unknown option '--bogus'" train --data moons --bogus
expect_one_error "eval" "eval does not run as 2 processes (mpirun): only train is data-parallel" \
    eval --model "$tmp/one.safetensors" --data moons
expect_one_error "--verify" "--verify does not run data-parallel" train --data moons --verify 5
expect_one_error "batch of 1 on 2 ranks" "a batch of 1 row cannot be shared by 2 ranks" \
    train --data moons:n=100 --batch 1 --epochs 1

finish mpi_cli
