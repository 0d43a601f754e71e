#!/usr/bin/env bash
# cltrain convert with the real binary: JSON -> safetensors -> JSON both ways, a second round
# trip byte-identical to the first (cmp), the hand-written XOR model evaluated through the
# scalar reference, and bad input (one line on stderr starting "cltrain: error: ").
# usage: convert_cli.sh path/to/cltrain path/to/examples
set -u
bin="$1"
examples="$2"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

run "convert --help" 0 "usage: cltrain convert IN OUT" -- convert --help
run "convert is in the command list" 0 "convert " -- --help

# both ways, twice: the second trip must give the same bytes as the first
for m in xor tiny_mse; do
    run "$m: json -> safetensors" 0 "^wrote $tmp/$m.safetensors \(2 layers, [0-9]+ parameters\)$" -- \
        convert "$examples/$m.json" "$tmp/$m.safetensors"
    run "$m: safetensors -> json" 0 "^wrote $tmp/$m.1.json \(2 layers, [0-9]+ parameters\)$" -- \
        convert "$tmp/$m.safetensors" "$tmp/$m.1.json"
    run "$m: json -> safetensors again" 0 "^wrote " -- convert "$tmp/$m.1.json" "$tmp/$m.2.safetensors"
    run "$m: safetensors -> json again" 0 "^wrote " -- convert "$tmp/$m.2.safetensors" "$tmp/$m.2.json"
    check "$m: second safetensors identical (cmp)" cmp "$tmp/$m.safetensors" "$tmp/$m.2.safetensors"
    check "$m: second json identical (cmp)" cmp "$tmp/$m.1.json" "$tmp/$m.2.json"
done
run "xor: 9 parameters" 0 "\(2 layers, 9 parameters\)" -- convert "$examples/xor.json" "$tmp/x.safetensors"
check "xor: written json has one layer per line" grep -q '^    {"weight": \[\[1, 1\], \[-1, -1\]\], "bias": \[0, 0\], "activation": "relu"},$' "$tmp/xor.1.json"
run "xor: the hand-set weights classify XOR (reference backend)" 0 '"accuracy": 1[,}]' -- \
    eval --model "$tmp/xor.safetensors" --data xor:n=400 --backend reference --json
# a model trained by cltrain, to JSON and back (reference backend: no device needed)
run "train a small model" 0 "saved the model" -- train --data moons:n=200 --layers 5 --epochs 2 --backend reference \
    --standardize --save "$tmp/moons.safetensors" --quiet
run "trained model -> json" 0 "^wrote " -- convert "$tmp/moons.safetensors" "$tmp/moons.json"
check "trained model json has the scaler" grep -q '"scaler": {"mean": \[' "$tmp/moons.json"
run "json -> safetensors" 0 "^wrote " -- convert "$tmp/moons.json" "$tmp/moons2.safetensors"
run "evaluates the trained model" 0 '"accuracy": ' -- eval --model "$tmp/moons.safetensors" --data moons:n=200 \
    --backend reference --json
cp "$tmp/out" "$tmp/eval1"
run "evaluates the converted model" 0 '"accuracy": ' -- eval --model "$tmp/moons2.safetensors" --data moons:n=200 \
    --backend reference --json
cp "$tmp/out" "$tmp/eval2"
check "same evaluation before and after (cmp)" cmp "$tmp/eval1" "$tmp/eval2"

# bad input: exit 1 for a bad file, 2 for bad usage; one line on stderr
printf '{"layers": [{"weight": [[1, 2], [3, 4, 5]], "activation": "relu"}], "loss": "mse"}' >"$tmp/ragged.json"
run "ragged weight" 1 "ragged.json: layer 0: weight row 1 has 3 numbers but row 0 has 2" -- \
    convert "$tmp/ragged.json" "$tmp/out.safetensors"
printf '{"layers": [{"weight": [[1, 2], [3, 4]], "activation": "relu"}, {"weight": [[1, 2, 3]]}], "loss": "bce"}' >"$tmp/chain.json"
run "sizes do not chain" 1 "chain.json: layer 1: weight has 3 columns but layer 0 has 2 outputs" -- \
    convert "$tmp/chain.json" "$tmp/out.safetensors"
printf '{"layers": [{"weight": [[1, 2]], "activation": "relu"}], "loss": "mse"}' >"$tmp/act.json"
run "output activation against the loss" 1 "act.json: layer 0: activation 'relu' on the output layer does not go with loss 'mse' \(use linear\)" -- \
    convert "$tmp/act.json" "$tmp/out.safetensors"
printf '{"layers": [{"weight": [[1, 2]]}], "loss": "mse", "extra": 1}' >"$tmp/key.json"
run "unknown key" 1 "key.json: unknown key 'extra'" -- convert "$tmp/key.json" "$tmp/out.safetensors"
printf '{"layers": [{"weight": [[1, 2]]}], "loss": "mse",}' >"$tmp/syntax.json"
run "JSON syntax error" 1 "syntax.json: line 1, column" -- convert "$tmp/syntax.json" "$tmp/out.safetensors"
printf 'not a model' >"$tmp/junk.safetensors"
run "bad safetensors" 1 "junk.safetensors" -- convert "$tmp/junk.safetensors" "$tmp/out.json"
run "missing input" 1 "nothere.json" -- convert "$tmp/nothere.json" "$tmp/out.safetensors"
run "output folder missing" 1 "cannot" -- convert "$examples/xor.json" "$tmp/no/such/dir/x.safetensors"
check "nothing written on failure" test ! -e "$tmp/out.safetensors" -a ! -e "$tmp/out.json"
run "same format both sides" 2 "converts .json to .safetensors or .safetensors to .json" -- \
    convert "$examples/xor.json" "$tmp/x.json"
run "unknown extension" 2 "converts .json to .safetensors" -- convert "$examples/xor.json" "$tmp/x.bin"
run "one argument" 2 "convert: expected IN OUT" -- convert "$examples/xor.json"
run "three arguments" 2 "too many arguments" -- convert a.json b.safetensors c
run "unknown option" 2 "unknown option '--fast'" -- convert --fast a.json b.safetensors

finish convert_cli
