#!/usr/bin/env bash
# Real tables from the command line (issue 27): a generated census-style CSV with numeric and
# string columns, every default spelling of a missing cell, an id column, and a test file with
# a category training never saw. Trains (kinds from the data, --drop, medians, one-hot), checks
# the start line, evaluates and predicts (the unseen category counted in a note), compares the
# safetensors and JSON models' predictions (the encoding stored in both), the options
# (--categorical, --numeric, --impute mean, --missing-indicator, --na-values, --max-categories,
# --drop-missing-labels), and the bad input that must stay one clear line.
# usage: table_cli.sh path/to/cltrain
set -u
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" # the folder changes below
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"
src="$(cd "$(dirname "$0")/.." && pwd)"
cd "$tmp" || exit 1
python3 "$src/tests/table_gen.py" t 1200 1 || { echo "table_cli: the generator failed"; exit 1; }

# 1. train: the kinds found, the missing cells filled, the categories counted
run "train: kinds from the data, --drop id" 0 \
    "^columns: 3 numeric \(2 with missing cells, filled with medians\), 2 categorical \(15 categories\) -> 18 inputs, dropped: id$" \
    -- train --data t/train.csv --label income --drop id --standardize --layers 16 --lr 0.01 \
    --epochs 30 --patience 5 --save m.safetensors
run "eval on the test file: accuracy, the unseen category counted" 0 \
    "test.csv: [0-9]+ cells? held a category not seen in training \(workclass: [0-9]+\); encoded as all zeros" \
    -- eval --model m.safetensors --data t/test.csv
acc=$(grep -Eo '^accuracy +[0-9.]+' "$tmp/out" | awk '{print $2}')
report "eval: accuracy above 0.75 ($acc)" "$(awk -v a="${acc:-0}" 'BEGIN{print (a > 0.75) ? 1 : 0}')" \
    "accuracy $acc"
run "predict" 0 "wrote 300 predictions to p.csv" -- predict --model m.safetensors \
    --data t/test.csv -o p.csv
report "predict: the unseen category counted" \
    "$(grep -Eq 'held a category not seen in training \(workclass' "$tmp/err" && echo 1 || echo 0)" \
    "no note"
meta=$(python3 -c '
import json, struct
b = open("m.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
m = json.loads(json.loads(b[8:8 + n])["__metadata__"]["columns"])
c = {x["name"]: x for x in m["columns"]}
print(c["workclass"]["kind"], ",".join(c["workclass"]["categories"]), c["workclass"]["missing"] > 0,
      c["age"]["kind"], c["age"]["fill"] == int(c["age"]["fill"]), m["na_values"] == ["NA", "N/A", "NaN", "nan", "null", "?"])')
report "the model stores the encoding: $meta" \
    "$([ "$meta" = "categorical Federal-gov,Local-gov,Private,Self-emp,State-gov,Without-pay True numeric True True" ] && echo 1 || echo 0)" \
    "metadata columns: $meta"

# 2. the JSON model: the same encoding, the same predictions; and back to safetensors
check "convert to JSON" "$bin" convert m.safetensors m.json
run "predict from the JSON model" 0 "wrote 300" -- predict --model m.json --data t/test.csv -o pj.csv
report "JSON model: the same predictions" "$(cmp -s p.csv pj.csv && echo 1 || echo 0)" "pj.csv differs"
check "convert back" "$bin" convert m.json m2.safetensors
run "predict from the converted model" 0 "wrote 300" -- predict --model m2.safetensors \
    --data t/test.csv -o p2.csv
report "converted back: the same predictions" "$(cmp -s p.csv p2.csv && echo 1 || echo 0)" "p2.csv differs"
# columns in another order, the id and label left out: the same predictions
python3 -c '
import csv
r = list(csv.reader(open("t/test.csv")))
w = csv.writer(open("shuffled.csv", "w"), lineterminator="\n")
for x in r: w.writerow([x[5], x[3], x[1], x[4], x[2]])'
run "predict, columns shuffled, no label" 0 "wrote 300" -- predict --model m.safetensors \
    --data shuffled.csv -o ps.csv
report "shuffled: the same predictions" "$(cmp -s p.csv ps.csv && echo 1 || echo 0)" "ps.csv differs"

# 3. the options
run "--impute mean --missing-indicator --categorical hours (by index)" 0 \
    "^columns: 2 numeric \(1 with missing cells, filled with means, and missing indicators\), 3 categorical" \
    -- train --data t/train.csv --label income --drop 0 --impute mean --missing-indicator \
    --categorical 4 --epochs 1 --layers 8 --save mi.safetensors
names=$(python3 -c '
import json, struct
b = open("mi.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
f = json.loads(json.loads(b[8:8 + n])["__metadata__"]["features"])
print(f[:2], "hours=<missing>" in f, "hours=40" in f)')
report "--missing-indicator: age=<missing> follows age; hours one-hot: $names" \
    "$([ "$names" = "['age', 'age=<missing>'] True True" ] && echo 1 || echo 0)" "features: $names"
run "--numeric on a string column: one line naming the cell" 1 \
    "train.csv:2, column 3 \('workclass'\): expected a number \(--numeric\), found 'State-gov'" \
    -- train --data t/train.csv --label income --numeric workclass --epochs 1
run "--max-categories: the column, its count and the ways out" 1 \
    "column 6 \('gain'\) has [0-9]+ distinct values, more than --max-categories 100 allows; leave it out with --drop 'gain', or raise --max-categories" \
    -- train --data t/train.csv --label income --categorical gain --epochs 1
run "--drop of an unknown column" 1 "--drop names no column 'idx' \(columns: id, age," \
    -- train --data t/train.csv --label income --drop idx --epochs 1
run "--na-values without '?': a category of its own then" 0 "2 categorical" \
    -- train --data t/train.csv --label income --drop id,age,hours --na-values NA,N/A,NaN,nan,null \
    --epochs 1 --layers 4 --save na.safetensors
check "convert the --na-values model" "$bin" convert na.safetensors na.json
report "--na-values: '?' is a category, stored with the spellings" \
    "$(python3 -c '
import json
c = json.load(open("na.json"))["columns"]
e = [x for x in c["columns"] if x["name"] == "education"][0]
print(1 if "?" in e["categories"] and c["na_values"] == ["NA", "N/A", "NaN", "nan", "null"] else 0)')" \
    "na.json lacks '?' among the categories"
# 4. labels: missing is an error naming the row, unless --drop-missing-labels
awk -F, 'NR == 5 { $7 = "?" } NR == 9 { $7 = "" } 1' OFS=, t/train.csv >nolabel.csv
run "a missing label: one line naming the row" 1 \
    "nolabel.csv:5, column 7 \('income'\): the label is missing \('\?'\); leave such rows out with --drop-missing-labels" \
    -- train --data nolabel.csv --label income --epochs 1
run "--drop-missing-labels" 0 "2 rows without a label left out" \
    -- train --data nolabel.csv --label income --drop id --drop-missing-labels --epochs 1 --layers 4

# 5. bad input at predict time: one line
awk -F, 'NR == 4 { $2 = "old" } 1' OFS=, t/test.csv >badnum.csv
run "a numeric column holds a string" 1 \
    "badnum.csv:4, column 2 \('age'\): expected a number \(the column was numeric in training\), found 'old'" \
    -- predict --model m.safetensors --data badnum.csv
cut -d, -f1,2,4- t/test.csv >nowork.csv
run "a column of the training data is missing: named" 1 "nowork.csv: no column 'workclass'" \
    -- predict --model m.safetensors --data nowork.csv
awk -F, '{ print $0 "," (NR == 1 ? "extra" : "x") }' t/test.csv >extra.csv
run "an extra column: ignored with a note" 0 "column.* 'id', 'extra' are not features of the model; ignored" \
    -- predict --model m.safetensors --data extra.csv -o pe.csv
report "extra column: the same predictions" "$(cmp -s p.csv pe.csv && echo 1 || echo 0)" "pe.csv differs"
finish table_cli
