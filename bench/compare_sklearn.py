#!/usr/bin/env python3
"""cltrain.MLPClassifier against scikit-learn's MLPClassifier on the shipped digits data, with the
same hyperparameters: held-out accuracy and fit wall time of each (the median of the repeats).

    python3 bench/compare_sklearn.py [--epochs 200] [--repeats 5] [--hidden 64] [--device SEL]

Both train every epoch (tol 0 and n_iter_no_change = epochs, so neither stops early) on the same
75 % of data/digits.csv (stratified split, seed 0; pixels / 16) and are scored on the other 25 %.
One untimed fit of each comes first (imports, cltrain's device and kernel start-up); its time is
printed as the cold start. Needs NumPy and scikit-learn, and cltrain installed (pip install .) or
CLTRAIN_LIBRARY pointing at a build's libcltrain.so with python/ on PYTHONPATH."""
import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "python"))  # a source checkout without pip install

import cltrain  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLP  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--epochs", type=int, default=200)
ap.add_argument("--repeats", type=int, default=5)
ap.add_argument("--hidden", default="64", help="hidden layer sizes, comma-separated")
ap.add_argument("--device", default=None, help="cltrain's device (default: its default choice)")
args = ap.parse_args()
warnings.simplefilter("ignore")  # the ConvergenceWarning of a fixed number of epochs

data = np.loadtxt(os.path.join(here, "..", "data", "digits.csv"), delimiter=",", skiprows=1)
X, y = data[:, :-1] / 16.0, data[:, -1].astype(int)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
hidden = tuple(int(h) for h in args.hidden.split(","))
common = dict(hidden_layer_sizes=hidden, activation="relu", solver="adam", alpha=1e-4,
              batch_size=200, learning_rate_init=1e-3, max_iter=args.epochs, tol=0.0,
              n_iter_no_change=args.epochs, shuffle=True)


def run(make):
    cold = time.perf_counter()
    make(0).fit(Xtr, ytr)
    cold = time.perf_counter() - cold
    times, accs = [], []
    for seed in range(args.repeats):
        m = make(seed)
        t = time.perf_counter()
        m.fit(Xtr, ytr)
        times.append(time.perf_counter() - t)
        accs.append(m.score(Xte, yte))
        assert m.n_iter_ == args.epochs, m.n_iter_
    return cold, times, accs


results = {
    "scikit-learn": run(lambda s: SkMLP(random_state=s, **common)),
    "cltrain": run(lambda s: cltrain.MLPClassifier(random_state=s, device=args.device, **common)),
}
dev = cltrain._lib.device(args.device).info
print("digits: %d training rows, %d held out; hidden %s relu, adam lr 1e-3, batch 200, alpha 1e-4, "
      "%d epochs; %d repeats (seeds 0..%d)" % (len(ytr), len(yte), hidden, args.epochs,
                                             args.repeats, args.repeats - 1))
print("cltrain device: %s (%s)" % (dev.get("name"), dev.get("type")))
print("%-13s %9s %9s %9s %9s %9s" % ("", "acc mean", "acc min", "acc max", "fit s med", "cold s"))
for name, (cold, times, accs) in results.items():
    print("%-13s %9.4f %9.4f %9.4f %9.3f %9.3f" % (name, statistics.mean(accs), min(accs),
                                                   max(accs), statistics.median(times), cold))
sk, cl = results["scikit-learn"], results["cltrain"]
gap = 100 * (statistics.mean(cl[2]) - statistics.mean(sk[2]))
speed = statistics.median(sk[1]) / statistics.median(cl[1])
print("accuracy: cltrain - scikit-learn = %+.2f points; fit: cltrain %.2fx as fast" % (gap, speed))
