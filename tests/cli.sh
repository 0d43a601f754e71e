#!/usr/bin/env bash
# Command-line tests: good input works, bad input gets one clear line and a non-zero exit.
# usage: cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

run "help" 0 "selftest" -- --help
run "version" 0 "^cltrain [0-9]+\.[0-9]+\.[0-9]+" -- --version
# what the help and the messages say matches what happens (issue 24)
run "help lists every CLTRAIN_GEMM value" 0 "clblast, own, cpu" -- --help
run "train --help: a batch larger than the data is an error" 0 "larger batch is an error" -- train --help
run "a batch larger than the data is the error train --help announces" 1 \
    "--batch 64 is larger than the 50 training rows" -- train --data moons:n=50 --batch 64 --epochs 1
run "one epoch in the optimizer line" 0 "batch 50, 1 epoch, seed" -- train --data moons:n=50 --batch 50 --epochs 1
run "one epoch and one step trained" 0 "trained 1 epoch \(1 step\)" -- train --data moons:n=50 --batch 50 --epochs 1
run "two epochs and steps" 0 "trained 2 epochs \(4 steps\)" -- train --data moons:n=50 --batch 25 --epochs 2
run "one feature in the data line" 0 "\(200 rows, 1 feature, regression" -- train --data sine:n=200 --epochs 1
run "early stopping after 1 epoch without gain" 0 "for 1 epoch \(best" -- \
    train --data moons:n=50 --val 0.2 --patience 1 --min-delta 100 --epochs 5
run "the model line names the norm first, as it runs" 0 "2-4-1 batchnorm\+sigmoid sigmoid" -- \
    train --data moons:n=50 --layers 4 --norm batch --activation sigmoid --epochs 1
run "--stats: no dead-unit figure for a sigmoid layer" 0 "^    0 +sigmoid +[^ ]+ +[^ ]+ +- +[^ ]+$" -- \
    train --data moons:n=50 --layers 4 --activation sigmoid --epochs 1 --stats
run "--stats: no dead-unit figure for the logits" 0 "^    1 +\(logits\) +[^ ]+ +[^ ]+ +- +[^ ]+$" -- \
    train --data moons:n=50 --layers 4 --activation relu --epochs 1 --stats
run "--stats: the dead-unit figure of a relu layer" 0 "^    0 +relu +[^ ]+ +[^ ]+ +[0-9.]+% +[^ ]+$" -- \
    train --data moons:n=50 --layers 4 --activation relu --epochs 1 --stats
run "devices lists a device with every field" 0 "compute units.*" -- devices
for field in platform vendor type "compute units" "global memory" "local memory" "max work-group" "OpenCL C" fp64 CLBlast; do
    run "devices shows '$field'" 0 "^    $field " -- devices
done
run "devices marks the default" 0 "\*default" -- devices
run "devices --json" 0 '^\{"default": [0-9]+, "devices": \[' -- devices --json
run "selftest passes" 0 "^selftest: [0-9]+ passed, 0 failed$" -- selftest --quiet
run "selftest with the own GEMM" 0 "^selftest: [0-9]+ passed, 0 failed$" -- selftest --quiet --gemm own
run "selftest on device 0" 0 "^selftest on \[0\]" -- --device 0 selftest --quiet
run "selftest --device=cpu" 0 "^selftest on \[[0-9]+\]" -- --device=cpu selftest --quiet

# bad input
run "unknown option" 2 "unknown option '--bogus'" -- --bogus
run "unknown command" 2 "unknown command 'frobnicate'" -- frobnicate
run "no command" 2 "no command given" --
run "--device without a value" 2 "option --device needs a value" -- --device
run "selftest --seed not a number" 2 "--seed expects a non-negative integer, got 'abc'" -- selftest --seed abc
run "selftest unknown option" 2 "unknown option '--fast'" -- selftest --fast
run "selftest --gemm bad" 2 "--gemm expects auto, clblast, own or cpu" -- selftest --gemm blas
run "selftest with the CPU GEMM" 0 "^selftest: [0-9]+ passed, 0 failed$" -- selftest --quiet --gemm cpu
run "devices --device" 2 "--device does not apply" -- --device 0 devices
run "device index out of range" 1 "no OpenCL device with index 99" -- --device 99 selftest
run "device name matches nothing" 1 "no OpenCL device matches 'nosuchgpu'" -- --device nosuchgpu selftest
run "CLTRAIN_DEVICE matches nothing" 1 "from CLTRAIN_DEVICE" CLTRAIN_DEVICE=nosuchgpu -- selftest
run "CLTRAIN_GEMM bad" 1 "CLTRAIN_GEMM='blas'" CLTRAIN_GEMM=blas -- selftest
mkdir -p "$tmp/empty"
run "no OpenCL platform (devices)" 1 "no OpenCL platform found.*pocl-opencl-icd" OCL_ICD_VENDORS="$tmp/empty" -- devices
run "no OpenCL platform (selftest)" 1 "no OpenCL platform found.*pocl-opencl-icd" OCL_ICD_VENDORS="$tmp/empty" -- selftest

# tune: a small model's shapes measured and kept in the tuning file, which train then loads;
# every kernel shape trains bit-identical weights
run "tune a small model" 0 "^tune: kept in $tmp/tune.txt" CLTRAIN_TUNE_FILE="$tmp/tune.txt" -- \
    tune --layers 20,17,3 --batch 33 --budget 5
report "tune writes the shape into its file" "$(grep -c '^config vw=[0-9]*,rm=' "$tmp/tune.txt" 2>/dev/null)" \
    "no config line in $tmp/tune.txt"
run "train loads the tuned shape" 0 "kernel shape vw=.* \(tuned\)" CLTRAIN_TUNE_FILE="$tmp/tune.txt" -- \
    train --data moons:n=200 --layers 17 --epochs 3 --seed 5 --save "$tmp/tuned.safetensors"
run "train with another shape" 0 "kernel shape vw=4,rm=3,nv=3,block=5,ew=4,ogm=[0-9]+[^ ]* \(CLTRAIN_KERNEL_CONFIG\)" \
    CLTRAIN_KERNEL_CONFIG=vw=4,rm=3,nv=3,block=5,ew=4 -- \
    train --data moons:n=200 --layers 17 --epochs 3 --seed 5 --save "$tmp/other.safetensors"
report "two kernel shapes train bit-identical weights" \
    "$(cmp -s "$tmp/tuned.safetensors" "$tmp/other.safetensors" && echo 1 || echo 0)" \
    "the models differ"
run "tune: an unknown net" 2 "unknown net 'zz'" -- tune --nets zz
run "tune: a negative budget" 2 "option --budget" -- tune --budget -1
run "a bad CLTRAIN_KERNEL_CONFIG" 1 "CLTRAIN_KERNEL_CONFIG: kernel shape 'vw=5': vw must be 4, 8 or 16" \
    CLTRAIN_KERNEL_CONFIG=vw=5 -- selftest
# the own (GPU-class) product's tile: checked, and fitted to the device
run "an own-product tile that does not divide" 1 "ogm and ogn must be multiples of ogwm and ogwn" \
    CLTRAIN_KERNEL_CONFIG=ogm=12,ogwm=5 -- selftest
run "an own-product tile too large for the device" 1 \
    "CLTRAIN_KERNEL_CONFIG: the own product's tile takes 8192 work-items, more than the device's" \
    CLTRAIN_KERNEL_CONFIG=ogm=128,ogn=128,ogk=64,ogwm=1,ogwn=2 -- selftest
# under the gpu profile the tuner measures the own product's tiles, then own against CLBlast
run "gpu profile: tune measures own-product tiles" 0 "tune: shape 2/[0-9]+ .*ogm=" \
    CLTRAIN_PROFILE=gpu CLTRAIN_TUNE_FILE="$tmp/gtune.txt" -- tune --layers 20,16,5 --batch 32 --budget 60
report "gpu profile: the tuned tile is kept" "$(grep -c '^config .*ogm=' "$tmp/gtune.txt" 2>/dev/null)" \
    "no config line with the own product's tile in $tmp/gtune.txt"

finish cli
