#!/usr/bin/env bash
# Columns matched by name in eval and predict, on iris: the README's own commands as written,
# the feature columns reordered (the same predictions byte for byte), a missing column (one line
# naming it), an extra column (ignored, with a note), files without a header (by position, the
# count checked), the label column stored in the model however it was chosen (default, --label
# NAME, --label INDEX), and an old model that does not record it.
# usage: columns_cli.sh path/to/cltrain
set -u
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" # the folder changes below
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"
src="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$tmp/data"
cp "$src/data/iris.csv" "$tmp/data/iris.csv"
cd "$tmp" || exit 1

# the variants of iris: columns moved, dropped, added, no header
python3 - <<'EOF' || { echo "columns_cli: python3 failed to write the files"; exit 1; }
import csv
rows = list(csv.reader(open("data/iris.csv")))
def put(name, f, header=True):
    with open(name, "w") as out:
        w = csv.writer(out, lineterminator="\n")
        for i, r in enumerate(rows):
            if i or header:
                w.writerow(f(i, r))
put("reversed.csv", lambda i, r: r[3::-1] + [r[4]])          # features reversed, header and all
put("shuffled.csv", lambda i, r: [r[2], r[4], r[0], r[3], r[1]])  # the label in the middle
put("extra.csv", lambda i, r: ["id" if i == 0 else str(i)] + r + ["note" if i == 0 else "x y"])
put("missing.csv", lambda i, r: r[:3] + [r[4]])              # no petal_width
put("features.csv", lambda i, r: r[:4])                       # no label column
put("nohdr.csv", lambda i, r: r, header=False)                # five columns, no header
put("nohdr4.csv", lambda i, r: r[:4], header=False)
put("nohdr3.csv", lambda i, r: r[:3], header=False)
put("first.csv", lambda i, r: [r[4]] + r[:4])                 # the label first
EOF

# 1. the README's commands, as written (./build/cltrain is $bin)
check "README: train --save iris.safetensors" "$bin" train --data data/iris.csv --standardize \
    --layers 16 --lr 0.01 --epochs 150 --val 0.2 --save iris.safetensors
run "README: eval" 0 "^accuracy +0\.9" -- eval --model iris.safetensors --data data/iris.csv
run "README: eval --json" 0 '"accuracy": 0\.9' -- eval --model iris.safetensors \
    --data data/iris.csv --json
run "README: predict -o predictions.csv" 0 "wrote 150 predictions to predictions.csv" -- \
    predict --model iris.safetensors --data data/iris.csv -o predictions.csv
label=$(python3 -c '
import json, struct, sys
b = open("iris.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
m = json.loads(b[8:8 + n])["__metadata__"]
print(m.get("label"), m.get("label_index"))')
report "the model stores its label column: '$label'" "$([ "$label" = "species 4" ] && echo 1 || echo 0)" \
    "metadata label, label_index: $label"

# 2. columns by name: reordered, the label moved, extra columns, no label: the same predictions
same() { # NAME FILE: predict on FILE equals predictions.csv byte for byte, silently
    run "$1: predict" 0 "wrote 150 predictions" -- predict --model iris.safetensors --data "$2" \
        -o "p_$2"
    report "$1: the same predictions byte for byte" \
        "$(cmp -s predictions.csv "p_$2" && echo 1 || echo 0)" "p_$2 differs from predictions.csv"
}
same "feature columns reversed" reversed.csv
report "reversed: no note" "$(grep -q note "$tmp/err" && echo 0 || echo 1)" "a note on stderr"
same "columns shuffled, the label in the middle" shuffled.csv
same "extra columns" extra.csv
note="cltrain: note: extra.csv: columns 'id', 'note' are not features of the model; ignored"
report "extra columns: one note naming them" "$(grep -cxF "$note" "$tmp/err" | grep -qx 1 && echo 1 || echo 0)" \
    "expected '$note'"
same "no label column" features.csv
same "no header, five columns (the label by its index)" nohdr.csv
same "no header, four columns" nohdr4.csv
run "eval, columns reversed" 0 "^accuracy +0\.9" -- eval --model iris.safetensors --data reversed.csv
run "eval, label in the middle" 0 "^accuracy +0\.9" -- eval --model iris.safetensors --data shuffled.csv
run "eval, no header" 0 "^accuracy +0\.9" -- eval --model iris.safetensors --data nohdr.csv

# 3. errors: one line naming what is wrong
run "predict: a missing column is named" 1 \
    "missing.csv: no column 'petal_width', a feature of the model \(columns: sepal_length, sepal_width, petal_length, species\)" \
    -- predict --model iris.safetensors --data missing.csv
run "eval: a missing column is named" 1 "missing.csv: no column 'petal_width'" -- \
    eval --model iris.safetensors --data missing.csv
run "eval: no label column" 1 "features.csv: no label column 'species'" -- \
    eval --model iris.safetensors --data features.csv
run "predict: no header, wrong count" 1 \
    "nohdr3.csv has 3 feature columns; the model takes 4 \(the file has no header: columns by position\)" \
    -- predict --model iris.safetensors --data nohdr3.csv

# 4. the label column as chosen at training: --label NAME, --label INDEX, none of a header
for how in "species" "0"; do
    check "train --label $how (the label first)" "$bin" train --data first.csv --label "$how" \
        --standardize --layers 16 --lr 0.01 --epochs 60 --save "first$how.safetensors"
    run "eval without --label ($how)" 0 "^accuracy +0\.9" -- eval --model "first$how.safetensors" \
        --data first.csv
    run "eval on the usual order ($how)" 0 "^accuracy +0\.9" -- eval \
        --model "first$how.safetensors" --data data/iris.csv
    run "predict on first.csv ($how)" 0 "wrote 150" -- predict --model "first$how.safetensors" \
        --data first.csv -o a.csv
    run "predict on iris.csv ($how)" 0 "wrote 150" -- predict --model "first$how.safetensors" \
        --data data/iris.csv -o b.csv
    report "the same predictions either way ($how)" "$(cmp -s a.csv b.csv && echo 1 || echo 0)" \
        "a.csv and b.csv differ"
done
check "train on a file without a header" "$bin" train --data nohdr.csv --standardize --layers 16 \
    --lr 0.01 --epochs 60 --save nohdr.safetensors
run "predict: no header, by position" 0 "wrote 150" -- predict --model nohdr.safetensors \
    --data nohdr4.csv -o a.csv
run "predict: a header and the model's default names, by position" 0 "wrote 150" -- predict \
    --model nohdr.safetensors --data data/iris.csv -o b.csv
report "the same predictions either way (no header)" "$(cmp -s a.csv b.csv && echo 1 || echo 0)" \
    "a.csv and b.csv differ"
run "eval: no header" 0 "^accuracy +0\.9" -- eval --model nohdr.safetensors --data nohdr.csv

# 5. a model that does not record its label column (as files before it did): the old rules
check "train --save iris.json" "$bin" train --data data/iris.csv --standardize --layers 16 \
    --lr 0.01 --epochs 60 --save iris.json
grep -v '"label' iris.json >old.json
run "old model: predict" 0 "wrote 150" -- predict --model iris.json --data data/iris.csv -o a.csv
run "old model: predict" 0 "wrote 150" -- predict --model old.json --data data/iris.csv -o b.csv
report "old model: the same predictions" "$(cmp -s a.csv b.csv && echo 1 || echo 0)" "differ"
run "old model: predict without a header" 0 "wrote 150" -- predict --model old.json \
    --data nohdr.csv -o c.csv
report "old model: the same predictions without a header" \
    "$(cmp -s a.csv c.csv && echo 1 || echo 0)" "differ"
run "old model: eval (the last column)" 0 "^accuracy +0\.9" -- eval --model old.json \
    --data data/iris.csv

finish columns_cli
