#!/usr/bin/env bash
# Trains for real through the command line, on the default device (PoCL in CI), and checks
# accuracies, determinism, resume, the model files and the errors a user sees.
# usage: train_cli.sh path/to/cltrain path/to/data-folder
set -u
bin="$1"
data="$2"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"


# json_num KEY FILE: the number after "KEY": in a one-line JSON object
json_num() { sed -n "s/.*\"$1\": \([-0-9.eE+]*\).*/\1/p" "$2"; }
# at_least A B: A >= B (decimals)
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# train NAME MIN_METRIC METRIC TRAIN_ARGS... -- EVAL_DATA: trains, saves, evaluates with --json
# and checks METRIC (accuracy or r2) >= MIN_METRIC.
train_eval() {
    local name="$1" min="$2" metric="$3"
    shift 3
    local args=()
    while [ "$1" != "--" ]; do args+=("$1"); shift; done
    shift
    if ! "$bin" train "${args[@]}" --quiet --save "$tmp/$name.safetensors" >"$tmp/$name.train" 2>&1; then
        bad "$name: training failed"; cat "$tmp/$name.train"; return
    fi
    if ! "$bin" eval --model "$tmp/$name.safetensors" --data "$1" --json >"$tmp/$name.json" 2>&1; then
        bad "$name: eval failed"; cat "$tmp/$name.json"; return
    fi
    local got
    got=$(json_num "$metric" "$tmp/$name.json")
    if [ -n "$got" ] && at_least "$got" "$min"; then
        ok "$name: $metric $got >= $min"
    else
        bad "$name: $metric '$got' < $min"; cat "$tmp/$name.train" "$tmp/$name.json"
    fi
}

# The targets of the trainer. Validation data is a fresh draw (another seed) of the generator.
train_eval xor 1.0 accuracy --data xor --layers 8 --activation tanh --lr 0.05 --epochs 300 --batch 4 -- xor
train_eval moons 0.95 accuracy --data moons:n=1000,noise=0.2 --val 0.2 --epochs 60 \
    -- moons:n=1000,noise=0.2,seed=7
train_eval classification 0.90 accuracy \
    --data classification:n=2000,features=20,informative=10,redundant=5 --layers 64,32 --activation relu \
    --optimizer adam --l2 0.0001 --patience 10 --epochs 200 --val 0.2 --standardize \
    -- classification:n=2000,features=20,informative=10,redundant=5,seed=42
train_eval iris 0.93 accuracy --data "$data/iris.csv" --standardize --layers 16 --epochs 150 --lr 0.01 \
    --val 0.2 -- "$data/iris.csv"
train_eval digits 0.97 accuracy --data "$data/digits.csv" --standardize --layers 64 --epochs 40 \
    --val 0.2 -- "$data/digits.csv"
train_eval sine 0.95 r2 --data sine:n=1000,noise=0.1 --layers 32,32 --activation tanh --lr 0.01 \
    --epochs 100 -- sine:n=1000,noise=0.1,seed=9
# SiLU and Lion (sign updates: a smaller lr than Adam's)
train_eval silu-lion 0.95 accuracy --data moons:n=1000,noise=0.2 --layers 32,16 --activation silu \
    --optimizer lion --lr 0.001 --epochs 60 -- moons:n=1000,noise=0.2,seed=7
train_eval reference-backend 0.95 accuracy --data moons:n=400,noise=0.1 --layers 16 --epochs 60 --lr 0.01 \
    --backend reference -- moons:n=400,noise=0.1,seed=3

# the shipped datasets, on their held-out part (the validation line of the training output)
val_acc() { sed -n 's/^validation: loss [^,]*, accuracy \([0-9.]*\)$/\1/p' "$1"; }
for pair in "iris 0.90" "digits 0.95"; do
    set -- $pair
    got=$(val_acc "$tmp/$1.train")
    if [ -n "$got" ] && at_least "$got" "$2"; then ok "$1: held-out accuracy $got >= $2"; else bad "$1: held-out accuracy '$got' < $2"; fi
done

# --log-every: a line every N steps within the epochs
"$bin" train --data moons:n=200 --layers 8 --epochs 2 --batch 20 --log-every 5 >"$tmp/le.out" 2>&1
if [ "$(grep -c "^  epoch .* step .* loss" "$tmp/le.out")" = 4 ]; then ok "--log-every 5: 4 lines over 20 steps"; else bad "--log-every"; cat "$tmp/le.out"; fi

# --val-data and --test-data
"$bin" train --data moons:n=300 --val-data moons:n=100,seed=5 --test-data moons:n=100,seed=6 --layers 8 --epochs 2 --quiet >"$tmp/vt.out" 2>&1
if grep -q "^validation: loss" "$tmp/vt.out" && grep -q "^test: loss" "$tmp/vt.out"; then ok "--val-data and --test-data"; else bad "--val-data/--test-data"; cat "$tmp/vt.out"; fi

# the same seed twice: bit-identical model files
common=(--data moons:n=300 --layers 16,8 --dropout 0.1 --epochs 4 --quiet)
"$bin" train "${common[@]}" --save "$tmp/a.safetensors" >/dev/null 2>&1
"$bin" train "${common[@]}" --save "$tmp/b.safetensors" >/dev/null 2>&1
if [ -s "$tmp/a.safetensors" ] && cmp -s "$tmp/a.safetensors" "$tmp/b.safetensors"; then ok "same seed: identical model files"; else bad "same seed: model files differ"; fi
"$bin" train "${common[@]}" --seed 7 --save "$tmp/c.safetensors" >/dev/null 2>&1
if [ -s "$tmp/c.safetensors" ] && ! cmp -s "$tmp/a.safetensors" "$tmp/c.safetensors"; then ok "another seed: other weights"; else bad "another seed gave the same file"; fi

# resume: 6 epochs in one run == 3 epochs, then --resume to 6 (bit-identical)
rs=(--data moons:n=300 --layers 16 --dropout 0.1 --quiet)
"$bin" train "${rs[@]}" --epochs 6 --save "$tmp/full.safetensors" >/dev/null 2>&1
"$bin" train "${rs[@]}" --epochs 3 --checkpoint "$tmp/ck" >/dev/null 2>&1
"$bin" train "${rs[@]}" --epochs 6 --checkpoint "$tmp/ck" --resume --save "$tmp/resumed.safetensors" >"$tmp/resume.out" 2>&1
if grep -q "resumed from" "$tmp/resume.out" && [ -s "$tmp/full.safetensors" ] && cmp -s "$tmp/full.safetensors" "$tmp/resumed.safetensors"; then
    ok "3 + 3 epochs with --resume == 6 epochs (identical files)"
else
    bad "resume differs"; cat "$tmp/resume.out"
fi
"$bin" train --data moons:n=300 --layers 16 --epochs 6 --lr 0.5 --checkpoint "$tmp/ck" --resume --quiet >"$tmp/r2.out" 2>&1
if [ $? = 1 ] && grep -q "^cltrain: error: --lr 0.5 differs from the checkpoint's run" "$tmp/r2.out"; then ok "resume with other settings is refused"; else bad "resume with other settings"; cat "$tmp/r2.out"; fi

# outputs: log, plot, predict
"$bin" train --data iris:placeholder >/dev/null 2>&1 # (an unknown generator; checked below)
"$bin" train --data "$data/iris.csv" --standardize --layers 8 --epochs 5 --quiet --log "$tmp/log.csv" \
    --plot "$tmp/plot.svg" --save "$tmp/iris.safetensors" >/dev/null 2>&1
if [ "$(wc -l <"$tmp/log.csv")" = 6 ] && head -1 "$tmp/log.csv" | grep -q "^epoch,step,train_loss,train_acc,val_loss,val_acc,lr"; then ok "--log: a header and 5 rows"; else bad "--log"; cat "$tmp/log.csv"; fi
if grep -q "<svg" "$tmp/plot.svg" && grep -q "train loss" "$tmp/plot.svg" && grep -q "</svg>" "$tmp/plot.svg"; then ok "--plot writes an SVG"; else bad "--plot"; fi
"$bin" predict --model "$tmp/iris.safetensors" --data "$data/iris.csv" -o "$tmp/pred.csv" 2>/dev/null
if [ "$(head -1 "$tmp/pred.csv")" = "class,p_setosa,p_versicolor,p_virginica" ] && [ "$(wc -l <"$tmp/pred.csv")" = 151 ]; then
    ok "predict: class and p_<label> columns, one row per input"
else
    bad "predict output"; head -3 "$tmp/pred.csv"
fi
"$bin" train --data sine:n=200 --layers 8 --epochs 3 --quiet --save "$tmp/sine.safetensors" >/dev/null 2>&1
"$bin" predict --model "$tmp/sine.safetensors" --data sine:n=10,seed=5 >"$tmp/sine.csv" 2>/dev/null
if [ "$(head -1 "$tmp/sine.csv")" = "value" ] && [ "$(wc -l <"$tmp/sine.csv")" = 11 ]; then ok "predict regression: a value column"; else bad "predict regression"; head -3 "$tmp/sine.csv"; fi

# errors a user sees: one line, a non-zero exit, nothing written
expect_error() {
    local name="$1" code="$2" pattern="$3"
    shift 3
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" = "$code" ] && grep -Eq -- "$pattern" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ]; then
        ok "$name"
    else
        bad "$name (exit $got, expected $code)"; cat "$tmp/err"
    fi
}
printf 'a,b,label\n1,2,x\n3,4\n' >"$tmp/ragged.csv"
printf 'a,b,label\n1,2,x\n3,abc,y\n' >"$tmp/text.csv"
expect_error "no --data" 2 "--data is required" train
expect_error "unknown option" 2 "unknown option '--bogus'" train --data moons --bogus
expect_error "missing file" 1 "nonexistent.csv" train --data "$tmp/nonexistent.csv"
expect_error "ragged CSV" 1 "ragged.csv:3" train --data "$tmp/ragged.csv"
expect_error "non-numeric cell" 1 "text.csv:3.*column 2" train --data "$tmp/text.csv" --numeric b
expect_error "lr NaN" 2 "option --lr expects" train --data moons --lr nan
expect_error "batch 0" 2 "option --batch expects" train --data moons --batch 0
expect_error "negative epochs" 2 "option --epochs expects" train --data moons --epochs -3
expect_error "bad layers" 2 "option --layers" train --data moons --layers 8,abc
expect_error "bad activation" 2 "unknown activation 'softsign'" train --data moons --activation softsign
expect_error "bad optimizer" 2 "option --optimizer" train --data moons --optimizer lbfgs
expect_error "bad schedule" 2 "unknown schedule" train --data moons --schedule linear
expect_error "val out of range" 2 "option --val" train --data moons --val 2
expect_error "bce with 3 classes" 1 "needs 2 classes" train --data blobs --loss bce
expect_error "resume without checkpoint" 2 "--resume needs --checkpoint" train --data moons --resume
expect_error "unknown generator" 1 "iris:placeholder" train --data iris:placeholder
expect_error "bad device" 1 "no OpenCL device with index 99" --device 99 train --data moons
expect_error "eval: not a model" 1 "ragged.csv" eval --model "$tmp/ragged.csv" --data moons
expect_error "eval: wrong features" 1 "feature columns; the model takes 4" eval --model "$tmp/iris.safetensors" --data moons
printf 'keep me' >"$tmp/keep.safetensors"
expect_error "save into a missing folder" 1 "cannot write|No such file|does not exist" train --data moons:n=50 --epochs 1 --quiet --save "$tmp/no/such/dir/m.safetensors"
if [ "$(cat "$tmp/keep.safetensors")" = "keep me" ]; then ok "an existing file is untouched by a failed run"; else bad "file changed"; fi

if "$bin" train --help | grep -q -- "--checkpoint-every"; then ok "train --help lists the options"; else bad "train --help"; fi
finish train_cli
