#!/usr/bin/env python3
"""cltrain on a census-style table (tests/table_gen.py: numeric and string columns, every
missing spelling, an unseen category in the test file) against scikit-learn's pipeline:
ColumnTransformer(SimpleImputer(median) + StandardScaler on numeric columns,
OneHotEncoder(handle_unknown='ignore') on string columns) + MLPClassifier with the same hidden
sizes, batch, learning rate and early stopping. Test accuracy, median of 3 seeds.
usage: compare_table.py path/to/cltrain [ROWS]   (needs scikit-learn and pandas)"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
LAYERS = (64, 32)
BATCH, LR, PATIENCE, VAL = 200, 0.001, 10, 0.1


def cltrain_acc(binary, d, seed):
    model = os.path.join(d, "m%d.safetensors" % seed)
    t = time.time()
    subprocess.run([binary, "train", "--data", os.path.join(d, "train.csv"), "--label", "income",
                    "--drop", "id", "--standardize", "--layers", ",".join(map(str, LAYERS)),
                    "--batch", str(BATCH), "--lr", str(LR), "--epochs", "200", "--patience",
                    str(PATIENCE), "--val", str(VAL), "--seed", str(seed), "--save", model,
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)
    secs = time.time() - t
    out = subprocess.run([binary, "eval", "--model", model, "--data",
                          os.path.join(d, "test.csv")], check=True, capture_output=True,
                         text=True).stdout
    return float(re.search(r"^accuracy\s+([0-9.]+)", out, re.M).group(1)), secs


def sklearn_acc(d, seed):
    read = lambda f: pd.read_csv(os.path.join(d, f), na_values=["?"], keep_default_na=True)
    tr, te = read("train.csv"), read("test.csv")
    y, yt = tr.pop("income"), te.pop("income")
    tr, te = tr.drop(columns=["id"]), te.drop(columns=["id"])
    num = [c for c in tr.columns if tr[c].dtype.kind in "if"]
    cat = [c for c in tr.columns if c not in num]
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat)])
    clf = MLPClassifier(hidden_layer_sizes=LAYERS, batch_size=BATCH, learning_rate_init=LR,
                        max_iter=200, early_stopping=True, validation_fraction=VAL,
                        n_iter_no_change=PATIENCE, random_state=seed)
    p = Pipeline([("pre", pre), ("mlp", clf)])
    t = time.time()
    p.fit(tr, y)
    secs = time.time() - t
    return float((p.predict(te) == yt).mean()), secs


def main():
    binary = os.path.abspath(sys.argv[1])
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(HERE, "..", "tests", "table_gen.py"), d,
                        str(rows), "1"], check=True)
        ours, theirs = [], []
        for seed in (1, 2, 3):
            a, s = cltrain_acc(binary, d, seed)
            b, t = sklearn_acc(d, seed)
            ours.append(a)
            theirs.append(b)
            print("seed %d: cltrain %.4f (%.1f s), scikit-learn %.4f (%.1f s)" % (seed, a, s, b, t))
        m1, m2 = statistics.median(ours), statistics.median(theirs)
        print("median of 3 seeds: cltrain %.4f, scikit-learn %.4f, difference %+.2f points"
              % (m1, m2, 100 * (m1 - m2)))
        return 0 if abs(m1 - m2) <= 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
