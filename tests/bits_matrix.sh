# shellcheck shell=bash
# The seeded runs whose model files must be the same bits on every OpenCL implementation
# (DESIGN.md principle 6). Sourced by tests/bits_cli.sh and scripts/bits-check.sh (which the GPU
# check runs). Together they cover every activation (relu leaky_relu elu sigmoid tanh gelu silu,
# identity at the regression output), loss (ce bce mse huber), optimizer, norm, dropout, --l2,
# --weight-decay, --clip-norm, --warmup and schedule (step cosine plateau).
# matrix: name|options; common: the options every run adds.
# shellcheck disable=SC2034
matrix=(
    "r1|--data moons:n=64 --activation relu,tanh --loss ce --optimizer sgd --schedule step:size=1,gamma=0.5"
    "r2|--data moons:n=64 --activation leaky_relu,sigmoid --loss bce --optimizer momentum --l2 1e-3 --warmup 1"
    "r3|--data sine:n=64 --activation elu,gelu --loss mse --optimizer nesterov --norm batch --clip-norm 0.5 --weight-decay 1e-3"
    "r4|--data sine:n=64 --activation silu,tanh --loss huber --optimizer rmsprop --norm layer --dropout 0.2 --schedule cosine"
    "r5|--data moons:n=64 --activation gelu,silu --optimizer adam --norm batch,layer --dropout 0.1 --clip-norm 1"
    "r6|--data moons:n=80 --activation tanh,elu --optimizer adamw --schedule plateau:factor=0.5,patience=1 --val 0.2"
    "r7|--data moons:n=64 --activation sigmoid,relu --loss bce --optimizer lion --weight-decay 0.01 --l2 1e-4"
)
# shellcheck disable=SC2034
common=(--layers 8,6 --epochs 2 --batch 16 --seed 3 --quiet)
