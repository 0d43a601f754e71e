#!/usr/bin/env bash
# Bad input through the real command line: every case gets one clear line on stderr that names
# the thing (file, line, column, tensor, option) and what was expected, a non-zero exit, and no
# file written.
# usage: bad_input.sh path/to/cltrain
set -u
bin="$1"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0
fail=0

# bad NAME EXIT PATTERN ARGS...: exit code EXIT, one stderr line starting "cltrain: error: " and
# matching PATTERN (grep -E), nothing written to $t/out.safetensors
bad() {
    local name="$1" want="$2" pattern="$3"
    shift 3
    rm -f "$t/out.safetensors"
    "$bin" "$@" >"$t/stdout" 2>"$t/stderr"
    local rc=$? why=""
    [ "$rc" = "$want" ] || why="exit $rc, expected $want"
    [ "$(wc -l <"$t/stderr")" = 1 ] || why="$why; stderr has $(wc -l <"$t/stderr") lines"
    grep -q "^cltrain: error: " "$t/stderr" || why="$why; no 'cltrain: error: ' line"
    grep -Eq -- "$pattern" "$t/stderr" || why="$why; no /$pattern/"
    [ -e "$t/out.safetensors" ] && why="$why; a model was written"
    if [ -z "$why" ]; then
        pass=$((pass + 1))
        echo "ok   $name: $(cut -c1-150 "$t/stderr")"
    else
        fail=$((fail + 1))
        echo "FAIL $name: $why"
        head -c 2000 "$t/stderr"
    fi
}
train() { bad "$1" "$2" "$3" train --epochs 1 --quiet --save "$t/out.safetensors" "${@:4}"; }

# little-endian unsigned integers of 4 and 8 bytes, as printf escapes
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
le64() { printf '%s%s' "$(le32 $(($1 & 4294967295)))" "$(le32 $(($1 >> 32)))"; }
le16() { printf '\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)); }

# ---- CSV -----------------------------------------------------------------------------------
: >"$t/empty.csv"
printf 'a,b,label\n' >"$t/header.csv"
printf 'a,b,label\n1,2,x\n3,4\n5,6,y\n' >"$t/ragged.csv"
printf 'a,b,label\n1,2,x\n3,four,y\n' >"$t/text.csv"
printf 'a,b,label\n1,2,x\n3,nan,y\n' >"$t/nan.csv"
printf 'a,b,label\n1,2,x\ninf,4,y\n' >"$t/inf.csv"
printf 'a,b,label\n1,2,x\n3,4,x\n5,6,x\n' >"$t/oneclass.csv"
printf 'a,b,label\n1,2,x\n3,4,y\n' >"$t/good.csv"
printf 'a,b,label\n1,2,x\n' >"$t/hugeline.csv"
truncate -s 2147483700 "$t/hugeline.csv" # a 2 GB last line (of NUL bytes, sparse on disk)
# a last line of 68 MB of digits, past the reader's 64 MiB a record, gzipped to 0.3 MB
{ printf 'a,b,label\n1,2,x\n'; head -c 68000000 /dev/zero | tr '\0' 7; } | gzip -1 >"$t/longline.csv.gz"
printf 'a,b,label\n1,2,x\n3,4,y\n' >"$t/unreadable.csv"
chmod 000 "$t/unreadable.csv"
train "CSV: empty file" 1 "empty.csv.*empty" --data "$t/empty.csv"
train "CSV: header only" 1 "header.csv.*(header only|no data)" --data "$t/header.csv"
train "CSV: ragged row" 1 "ragged.csv:3.*expected 3 fields, found 2" --data "$t/ragged.csv"
train "CSV: non-numeric cell (--numeric)" 1 "text.csv:3, column 2 \('b'\).*expected a number.*four" --data "$t/text.csv" --numeric b
train "CSV: NaN (not missing with --na-values '')" 1 "nan.csv:3, column 2.*finite" --data "$t/nan.csv" --na-values ""
train "CSV: Inf" 1 "inf.csv:3, column 1.*finite" --data "$t/inf.csv"
train "CSV: label column absent" 1 "good.csv.*no column named 'target'.*a, b, label" --data "$t/good.csv" --label target
train "CSV: label index out of range" 1 "good.csv.*label column index 7" --data "$t/good.csv" --label 7
train "CSV: one class only" 1 "oneclass.csv.*one class" --data "$t/oneclass.csv"
train "CSV: a 2 GB line of NUL bytes" 1 "hugeline.csv:3, column 1: a NUL byte" --data "$t/hugeline.csv"
train "CSV: a line past 64 MiB" 1 "longline.csv.gz:3: a record longer than 64 MiB" \
    --data "$t/longline.csv.gz"
train "CSV: missing file" 1 "nosuch.csv.*No such file" --data "$t/nosuch.csv"
if [ "$(id -u)" = 0 ]; then
    echo "note: running as root, which reads a mode-000 file; the unreadable case is tested with a folder"
    train "CSV: unreadable (a folder)" 1 "notafile.csv" --data "$(mkdir -p "$t/notafile.csv" && echo "$t/notafile.csv")"
else
    train "CSV: unreadable file" 1 "unreadable.csv.*Permission denied" --data "$t/unreadable.csv"
fi

# ---- IDX -----------------------------------------------------------------------------------
printf "$(be32 2051)$(be32 3)$(be32 2)$(be32 2)" >"$t/img.idx"
head -c 12 /dev/urandom >>"$t/img.idx"
printf "$(be32 2049)$(be32 3)\x00\x01\x01" >"$t/lab.idx"
printf "$(be32 2049)$(be32 4)\x00\x01\x01\x00" >"$t/lab4.idx"
printf "$(be32 305419896)$(be32 3)$(be32 2)$(be32 2)" >"$t/magic.idx"
head -c 12 /dev/urandom >>"$t/magic.idx"
head -c 20 "$t/img.idx" >"$t/short.idx"
train "IDX: wrong magic" 1 "magic.idx.*magic" --data "$t/magic.idx" --labels "$t/lab.idx"
train "IDX: truncated data" 1 "short.idx.*(truncated|expected|bytes)" --data "$t/short.idx" --labels "$t/lab.idx"
train "IDX: images and labels disagree" 1 "(3 images|4 labels|count)" --data "$t/img.idx" --labels "$t/lab4.idx"
train "IDX: labels file missing" 1 "nolabels.idx" --data "$t/img.idx" --labels "$t/nolabels.idx"

# ---- NPY -----------------------------------------------------------------------------------
# npy FILE DESCR FORTRAN SHAPE: a version 1.0 header padded to 64 bytes
npy() {
    local h="{'descr': '$2', 'fortran_order': $3, 'shape': $4, }"
    while [ $(((10 + ${#h} + 1) % 64)) != 0 ]; do h="$h "; done
    printf "\x93NUMPY\x01\x00$(le16 $((${#h} + 1)))%s\n" "$h" >"$1"
}
npy "$t/X.npy" '<f4' False '(3, 2)'
head -c 24 /dev/zero >>"$t/X.npy"
npy "$t/y.npy" '<i4' False '(3,)'
head -c 12 /dev/zero >>"$t/y.npy"
printf '\x01\x00\x00\x00' | dd of="$t/y.npy" bs=1 seek=68 conv=notrunc 2>/dev/null # labels 0, 1, 0
npy "$t/c8.npy" '<c8' False '(3, 2)'
head -c 48 /dev/zero >>"$t/c8.npy"
npy "$t/fortran.npy" '<f4' True '(3, 2)'
head -c 24 /dev/zero >>"$t/fortran.npy"
npy "$t/shortX.npy" '<f4' False '(3, 2)'
head -c 10 /dev/zero >>"$t/shortX.npy"
npy "$t/y2d.npy" '<i4' False '(3, 2)'
head -c 24 /dev/zero >>"$t/y2d.npy"
npy "$t/y4.npy" '<i4' False '(4,)'
head -c 16 /dev/zero >>"$t/y4.npy"
train "NPY: unsupported dtype" 1 "c8.npy.*<c8" --data "$t/c8.npy" --labels "$t/y.npy"
train "NPY: Fortran order" 1 "fortran.npy.*[Ff]ortran" --data "$t/fortran.npy" --labels "$t/y.npy"
train "NPY: truncated" 1 "shortX.npy.*(truncated|expected|bytes)" --data "$t/shortX.npy" --labels "$t/y.npy"
train "NPY: labels of the wrong shape" 1 "y2d.npy" --data "$t/X.npy" --labels "$t/y2d.npy"
train "NPY: label count mismatch" 1 "(3|4).*(rows|labels)" --data "$t/X.npy" --labels "$t/y4.npy"

# ---- models: safetensors and JSON ----------------------------------------------------------
"$bin" train --data "$t/good.csv" --layers 4 --batch 2 --epochs 1 --quiet --save "$t/m.safetensors" >/dev/null 2>&1 ||
    echo "FAIL: could not train the model the model cases start from"
# st FILE HEADER [DATA BYTES]: a safetensors file with this JSON header
st() {
    printf "$(le64 ${#2})%s" "$2" >"$1"
    [ -n "${3:-}" ] && head -c "$3" /dev/zero >>"$1"
    return 0
}
size=$(stat -c %s "$t/m.safetensors")
head -c $((size / 2)) "$t/m.safetensors" >"$t/trunc.safetensors"
printf "$(le64 100000)" >"$t/hdrlen.safetensors"
printf '{}' >>"$t/hdrlen.safetensors"
meta='"__metadata__": {"format": "cltrain-1", "architecture": "{\"sizes\":[2,1],\"activations\":[],\"loss\":\"bce\"}", "task": "classification", "classes": "[\"x\",\"y\"]"}'
st "$t/offsets.safetensors" "{$meta, \"layers.0.weight\": {\"dtype\": \"F32\", \"shape\": [1, 2], \"data_offsets\": [0, 800]}, \"layers.0.bias\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}" 12
st "$t/shape.safetensors" "{$meta, \"layers.0.weight\": {\"dtype\": \"F32\", \"shape\": [1, 3], \"data_offsets\": [0, 12]}, \"layers.0.bias\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [12, 16]}}" 16
st "$t/dtype.safetensors" "{$meta, \"layers.0.weight\": {\"dtype\": \"I8\", \"shape\": [1, 2], \"data_offsets\": [0, 2]}, \"layers.0.bias\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}" 8
st "$t/absurd.safetensors" "{$meta, \"layers.0.weight\": {\"dtype\": \"F32\", \"shape\": [4000000000, 4000000000], \"data_offsets\": [0, 8]}, \"layers.0.bias\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}" 12
ev() { bad "$1" "$2" "$3" eval --data "$t/good.csv" "${@:4}"; }
ev "safetensors: truncated" 1 "trunc.safetensors" --model "$t/trunc.safetensors"
ev "safetensors: header length beyond the file" 1 "hdrlen.safetensors.*header" --model "$t/hdrlen.safetensors"
ev "safetensors: offsets out of range" 1 "offsets.safetensors.*layers.0.weight" --model "$t/offsets.safetensors"
ev "safetensors: shape against the architecture" 1 "shape.safetensors.*layers.0.weight.*\(1, 3\).*\(1, 2\)" --model "$t/shape.safetensors"
ev "safetensors: wrong dtype" 1 "dtype.safetensors.*layers.0.weight.*I8" --model "$t/dtype.safetensors"
ev "safetensors: absurd sizes" 1 "absurd.safetensors.*layers.0.weight" --model "$t/absurd.safetensors"
printf '{"layers": [{"weight": [[1, 2]], "bias": [0], "activation": "sigmoid"}], "loss": "bce"' >"$t/trunc.json"
printf '{"layers": [{"weight": [[1, 2], [3]], "activation": "relu"}, {"weight": [[1, 1]]}], "loss": "bce"}' >"$t/ragged.json"
printf '{"layers": [{"weight": [[1, 2, 3]], "activation": "relu"}, {"weight": [[1, 1]]}], "loss": "bce"}' >"$t/chain.json"
printf '{"layers": [{"weight": [[1, 2]], "bias": [0], "activation": "sigmoid"}], "loss": "bce", "extra": 1}' >"$t/key.json"
ev "JSON model: truncated" 1 "trunc.json.*line 1" --model "$t/trunc.json"
ev "JSON model: ragged weight" 1 "ragged.json.*layer 0" --model "$t/ragged.json"
ev "JSON model: sizes that do not chain" 1 "chain.json.*layer 1" --model "$t/chain.json"
ev "JSON model: unknown key" 1 "key.json.*extra" --model "$t/key.json"

# ---- options -------------------------------------------------------------------------------
train "unknown flag" 2 "unknown option '--learning-rate'" --data moons --learning-rate 0.1
train "missing value" 2 "option --epochs needs a value" --data moons --epochs
train "zero epochs" 2 "option --epochs expects" --data moons --epochs 0
train "negative batch" 2 "option --batch expects" --data moons --batch -5
train "zero layer size" 2 "option --layers" --data moons --layers 16,0
train "lr NaN" 2 "option --lr expects" --data moons --lr nan
train "lr negative" 2 "option --lr expects" --data moons --lr -0.1
train "dropout 1" 2 "option --dropout" --data moons --dropout 1
train "batch larger than the data" 1 "--batch 500 is larger than the 100 training rows" --data moons:n=100 --batch 500
train "device that does not exist" 1 "no OpenCL device with index 42" --data moons --device 42
bad "device index via --device before the command" 1 "no OpenCL device with index 42" --device 42 train --data moons --quiet

chmod 644 "$t/unreadable.csv"
echo "bad_input: $pass passed, $fail failed"
[ "$fail" = 0 ]
