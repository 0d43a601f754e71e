#!/usr/bin/env bash
# A saved model from Python: models trained by the real binary (softmax + CE with a scaler, sigmoid
# + BCE, MSE and Huber regressions, several hidden layers of leaky_relu/elu/gelu/silu/tanh/sigmoid, no
# hidden layer) are read by tests/load_model.py with plain NumPy (and with the safetensors package
# and torch when importable), whose float64 predictions must match `cltrain predict` (every
# backend that runs here) within 1e-5 per probability or value, with the same classes. Corrupted
# predictions (one number, one class, a missing row, another model's) and corrupted model files
# must be rejected. Skipped (77) only when configure found no Python with NumPy.
# usage: python_cli.sh path/to/cltrain path/to/data path/to/python (with NumPy; chosen by CMake)
set -u
bin="$1"
data="$2"
loader="$(cd "$(dirname "$0")" && pwd)/load_model.py"
py="${3:-}"
if [ -z "$py" ]; then
    echo "python_cli: skipped: configure found no Python that can import NumPy" \
        "(scripts/bootstrap.sh installs python3-numpy; then run cmake again)"
    exit 77
fi
if ! "$py" -c 'import numpy' >/dev/null 2>&1; then
    echo "python_cli: error: NumPy is not importable by $py, the Python chosen at configure time" >&2
    exit 1
fi
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

# reject NAME PATTERN COMMAND...: passes when the command exits 1 and PATTERN (grep -E) is in its
# stdout+stderr
reject() {
    local name="$1" pattern="$2"
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$? ok=1 why=""
    if [ "$got" != 1 ]; then ok=0; why="exit $got, expected 1"; fi
    if ! cat "$tmp/out" "$tmp/err" | grep -Eq -- "$pattern"; then ok=0; why="$why; output lacks /$pattern/"; fi
    report "$name" "$ok" "$why"
}

# The device backend when an OpenCL device is there; the reference (double, on the host) always.
if "$bin" devices >/dev/null 2>&1; then
    train_backend=opencl
    backends="opencl reference"
else
    train_backend=reference
    backends="reference"
    echo "note: no OpenCL device; training and predicting with --backend reference only"
fi

# Inputs to predict on for the generator-trained models: grids over (and beyond) the data.
"$py" - "$tmp" <<'EOF' || { echo "FAIL: cannot write the input grids"; exit 1; }
import sys
import numpy as np
d = sys.argv[1]
g = np.array([(a, b) for a in np.linspace(-2.0, 3.0, 51) for b in np.linspace(-1.5, 2.0, 36)])
np.savetxt(f"{d}/moons_grid.csv", g, delimiter=",", header="x0,x1", comments="", fmt="%.9g")
np.savetxt(f"{d}/sine_grid.csv", np.linspace(-4.0, 4.0, 401), header="x", comments="", fmt="%.9g")
b = np.random.default_rng(1).uniform(-12.0, 12.0, size=(300, 2))
np.savetxt(f"{d}/blobs_grid.csv", b, delimiter=",", header="x0,x1", comments="", fmt="%.9g")
EOF

# name | training options | inputs to predict on
models=(
    "iris|--data $data/iris.csv --standardize --layers 16 --epochs 30|$data/iris.csv"
    "moons|--data moons:n=400 --activation tanh --layers 16,16 --epochs 15|$tmp/moons_grid.csv"
    "sine|--data sine:n=400 --activation gelu --layers 32,16 --epochs 15|$tmp/sine_grid.csv"
    "digits|--data $data/digits.csv --standardize --layers 32,16,16 --activation leaky_relu,elu,leaky_relu --alpha 0.1 --epochs 4|$data/digits.csv"
    "huber|--data sine:n=400 --loss huber --huber-delta 0.5 --activation elu,sigmoid --layers 16,8 --epochs 15|$tmp/sine_grid.csv"
    "silu|--data blobs:n=300,centers=3 --activation silu --layers 16,8 --epochs 10|$tmp/blobs_grid.csv"
    "linear|--data blobs:n=300,centers=4 --layers 0 --epochs 10|$tmp/blobs_grid.csv"
    "batchnorm|--data moons:n=400 --layers 16,16 --norm batch --norm-momentum 0.2 --epochs 8|$tmp/moons_grid.csv"
    "layernorm|--data sine:n=400 --activation tanh --layers 16,8 --norm layer --epochs 8|$tmp/sine_grid.csv"
)
summary=()
for spec in "${models[@]}"; do
    IFS='|' read -r name opts inputs <<<"$spec"
    # shellcheck disable=SC2086 # opts is a list of options
    check "$name: train ($train_backend)" "$bin" train $opts --backend "$train_backend" --seed 3 \
        --quiet --save "$tmp/$name.safetensors"
    for b in $backends; do
        check "$name: cltrain predict --backend $b" "$bin" predict --model "$tmp/$name.safetensors" \
            --data "$inputs" --backend "$b" -o "$tmp/$name.$b.csv"
        check "$name: NumPy predictions match cltrain predict --backend $b" \
            "$py" "$loader" "$tmp/$name.safetensors" "$inputs" --compare "$tmp/$name.$b.csv"
        cat "$tmp/out"
        loaders=$(grep -E '^loaders: plain NumPy' "$tmp/out")
        diff=$(grep -Eo 'max \|numpy - cltrain\| = [^ ]+' "$tmp/out" | sed 's/.* = //')
        summary+=("$name ($b): max |numpy - cltrain| = ${diff:-?}")
    done
    # printing mode: the same header and as many rows as cltrain writes
    b=${backends%% *}
    check "$name: load_model.py prints predictions" "$py" "$loader" "$tmp/$name.safetensors" \
        "$inputs" -o "$tmp/$name.py.csv" --no-torch
    check "$name: same header as cltrain predict" \
        test "$(head -1 "$tmp/$name.py.csv")" = "$(head -1 "$tmp/$name.$b.csv")"
    check "$name: as many rows as cltrain predict" \
        test "$(wc -l <"$tmp/$name.py.csv")" = "$(wc -l <"$tmp/$name.$b.csv")"
done
report "the loaders used are reported" "$([ -n "${loaders:-}" ] && echo 1)" "no 'loaders: plain NumPy' line"

# The comparison must fail on wrong predictions. iris.reference.csv: 150 rows after the header.
ref="$tmp/iris.reference.csv"
# one probability moved by 2e-4 (20 tolerances)
"$py" - "$ref" "$tmp/nudged.csv" <<'EOF'
import sys
rows = open(sys.argv[1]).read().splitlines()
cells = rows[11].split(",")
cells[1] = f"{float(cells[1]) + 2e-4:.6g}"
rows[11] = ",".join(cells)
open(sys.argv[2], "w").write("\n".join(rows) + "\n")
EOF
reject "a probability off by 2e-4 is rejected" "FAIL row 11, column p_" \
    "$py" "$loader" "$tmp/iris.safetensors" "$data/iris.csv" --compare "$tmp/nudged.csv" --no-torch
# one row's class changed to one that is not its most probable
"$py" - "$ref" "$tmp/reclassed.csv" <<'EOF'
import sys
rows = open(sys.argv[1]).read().splitlines()
names = [h[2:] for h in rows[0].split(",")[1:]]
for i in range(1, len(rows)):
    cells = rows[i].split(",")
    p = [float(c) for c in cells[1:]]
    if max(p) - sorted(p)[-2] > 0.1:  # a clear winner
        cells[0] = names[min(range(len(p)), key=p.__getitem__)]
        rows[i] = ",".join(cells)
        break
open(sys.argv[2], "w").write("\n".join(rows) + "\n")
EOF
reject "a wrong class is rejected" "rows predict another class" \
    "$py" "$loader" "$tmp/iris.safetensors" "$data/iris.csv" --compare "$tmp/reclassed.csv" --no-torch
head -n 150 "$ref" >"$tmp/short.csv"
reject "a missing row is rejected" "149 rows, the NumPy predictions 150" \
    "$py" "$loader" "$tmp/iris.safetensors" "$data/iris.csv" --compare "$tmp/short.csv" --no-torch
# another model's predictions: the same data and header, other weights (another seed)
check "iris: train another model (seed 4)" "$bin" train --data "$data/iris.csv" --standardize \
    --layers 16 --epochs 30 --backend reference --seed 4 --quiet --save "$tmp/iris4.safetensors"
check "iris: its predictions" "$bin" predict --model "$tmp/iris4.safetensors" --data "$data/iris.csv" \
    --backend reference -o "$tmp/iris4.csv"
reject "another model's predictions are rejected" "numbers differ by more than the tolerance" \
    "$py" "$loader" "$tmp/iris.safetensors" "$data/iris.csv" --compare "$tmp/iris4.csv" --no-torch
# a regression value off by 1e-3 relative
"$py" - "$tmp/sine.reference.csv" "$tmp/sine_off.csv" <<'EOF'
import sys
rows = open(sys.argv[1]).read().splitlines()
rows[200] = f"{float(rows[200]) * 1.001 + 1e-3:.9g}"
open(sys.argv[2], "w").write("\n".join(rows) + "\n")
EOF
reject "a regression value off by 1e-3 is rejected" "FAIL row 200, column value" \
    "$py" "$loader" "$tmp/sine.safetensors" "$tmp/sine_grid.csv" --compare "$tmp/sine_off.csv" --no-torch
reject "a wrong header is rejected" "header" \
    "$py" "$loader" "$tmp/sine.safetensors" "$tmp/sine_grid.csv" --compare "$tmp/moons.reference.csv" --no-torch

# Corrupted model files: one weight changed by 1% (the predictions no longer match), a truncated
# file, a header length beyond the end, a file that is not a cltrain model.
"$py" - "$tmp/iris.safetensors" "$tmp/tweaked.safetensors" <<'EOF'
import json, struct, sys
import numpy as np
buf = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", buf[:8])[0]
h = json.loads(buf[8:8 + n])
begin = 8 + n + h["layers.1.weight"]["data_offsets"][0]
w = np.frombuffer(bytes(buf[begin:begin + 4]), "<f4")[0]
buf[begin:begin + 4] = np.array([w * 1.01 + 0.01], "<f4").tobytes()
open(sys.argv[2], "wb").write(bytes(buf))
EOF
reject "a model with one weight changed does not match cltrain's predictions" "differ by more than" \
    "$py" "$loader" "$tmp/tweaked.safetensors" "$data/iris.csv" --compare "$ref" --no-torch
head -c 200 "$tmp/iris.safetensors" >"$tmp/truncated.safetensors"
reject "a truncated model is refused" "load_model.py: error: .*truncated.safetensors" \
    "$py" "$loader" "$tmp/truncated.safetensors" "$data/iris.csv"
size=$(wc -c <"$tmp/iris.safetensors")
head -c $((size - 4)) "$tmp/iris.safetensors" >"$tmp/short.safetensors"
reject "a model missing its last bytes is refused" "load_model.py: error: .*scaler.std.*bytes" \
    "$py" "$loader" "$tmp/short.safetensors" "$data/iris.csv"
printf '\377\377\377\377\000\000\000\000{}' >"$tmp/huge.safetensors"
reject "a header length beyond the end is refused" "load_model.py: error: .*header claims" \
    "$py" "$loader" "$tmp/huge.safetensors" "$data/iris.csv"
printf '\002\000\000\000\000\000\000\000{}' >"$tmp/empty.safetensors"
reject "a file that is not a cltrain model is refused" "not a cltrain model" \
    "$py" "$loader" "$tmp/empty.safetensors" "$data/iris.csv"
# without NumPy (a stand-in package that fails to import, first on the path): one line, exit 1
mkdir -p "$tmp/nonumpy/numpy"
echo 'raise ModuleNotFoundError("No module named numpy", name="numpy")' >"$tmp/nonumpy/numpy/__init__.py"
PYTHONPATH="$tmp/nonumpy" "$py" "$loader" "$tmp/iris.safetensors" "$data/iris.csv" >"$tmp/out" 2>"$tmp/err"
got=$?
report "without NumPy: one error line and exit 1" \
    "$([ "$got" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
        grep -q '^load_model.py: error: NumPy is not installed' "$tmp/err" && echo 1 || echo 0)" \
    "exit $got, stderr: $(head -c 300 "$tmp/err")"

echo "measured (tolerance 1e-5):"
for s in "${summary[@]}"; do echo "  $s"; done
echo "$loaders"
finish python_cli
