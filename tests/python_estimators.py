"""cltrain's Python package as a user meets it, after `pip install .` (tests/python_sklearn.sh):
scikit-learn's estimator checks on MLPClassifier and MLPRegressor, then the binding itself:
devices, errors with the library's messages, determinism, pickling, partial_fit, early stopping,
files shared with the command line, and the package without scikit-learn.

    python_estimators.py CLTRAIN DATA_DIR PACKAGE_DIR

CLTRAIN: the command (for `devices --json`, `train`, `predict`); DATA_DIR: data/; PACKAGE_DIR:
where the package under test must have been imported from. Exit 0 pass, 1 fail."""
import csv
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits; caught where tested

cli, data_dir, package_dir = sys.argv[1:4]
failures = []
checks = 0


def expect(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def raises(exc, fn, *contains):
    """The exception fn raises, expected of type exc with every text of contains in it."""
    try:
        fn()
    except exc as e:
        text = str(e)
        expect(all(c in text for c in contains) and "\n" not in text,
               "%s: message %r lacks %r (or is not one line)" % (exc.__name__, text, contains))
        return e
    except Exception as e:  # noqa: BLE001
        expect(False, "expected %s, got %s: %s" % (exc.__name__, type(e).__name__, e))
        return e
    expect(False, "expected %s, nothing raised (%r)" % (exc.__name__, contains))
    return None


import cltrain  # noqa: E402
import sklearn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

here = os.path.realpath(os.path.dirname(cltrain.__file__))
expect(here.startswith(os.path.realpath(package_dir)),
       "cltrain imported from %s, not from the installed package in %s" % (here, package_dir))
expect(os.path.dirname(os.path.realpath(cltrain._lib.library_path)) == here,
       "libcltrain loaded from %s, not from the package" % cltrain._lib.library_path)
expect(cltrain.HAVE_SKLEARN, "scikit-learn %s importable but not used" % sklearn.__version__)
print("cltrain %s from %s; scikit-learn %s" % (cltrain.__version__, here, sklearn.__version__))

# ---- scikit-learn's estimator checks -----------------------------------------------------------
for est in (cltrain.MLPClassifier(), cltrain.MLPRegressor()):
    t0, ran, skipped = time.time(), 0, []
    for e, check in check_estimator(est, generate_only=True):
        name = getattr(check, "func", check).__name__
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check(e)
            ran += 1
        except Exception as ex:  # noqa: BLE001
            if type(ex).__name__ == "SkipTest":  # pandas absent: its half of a check skipped
                skipped.append("%s (%s)" % (name, ex))
                continue
            expect(False, "%s: %s: %s: %s" % (type(est).__name__, name, type(ex).__name__, ex))
    print("%s: %d estimator checks passed in %.1f s%s" % (
        type(est).__name__, ran, time.time() - t0,
        "; skipped by scikit-learn: " + "; ".join(skipped) if skipped else ""))
    expect(ran >= 40, "%s: only %d estimator checks ran" % (type(est).__name__, ran))

# ---- data --------------------------------------------------------------------------------------
digits = np.loadtxt(os.path.join(data_dir, "digits.csv"), delimiter=",", skiprows=1)
X, y = digits[:, :-1] / 16, digits[:, -1].astype(int)
Xtr, ytr, Xte, yte = X[:1400], y[:1400], X[1400:], y[1400:]
with open(os.path.join(data_dir, "iris.csv")) as f:
    rows = list(csv.reader(f))[1:]
iX = np.array([[float(v) for v in r[:4]] for r in rows])
iy = np.array([r[4] for r in rows])

# ---- devices: the same as `cltrain devices --json` ---------------------------------------------
out = subprocess.run([cli, "devices", "--json"], capture_output=True, text=True, check=True).stdout
expect(cltrain.devices() == json.loads(out), "cltrain.devices() differs from `cltrain devices "
       "--json`: %r vs %s" % (cltrain.devices(), out))

# ---- training, determinism, attributes ---------------------------------------------------------
params = dict(hidden_layer_sizes=(32,), max_iter=25, learning_rate_init=0.01, random_state=3)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    a = cltrain.MLPClassifier(**params).fit(Xtr, ytr)
expect(any(w.category.__name__ == "ConvergenceWarning" for w in caught),
       "no ConvergenceWarning after max_iter epochs")
acc = a.score(Xte, yte)
expect(acc > 0.88, "digits: accuracy %.3f after 25 epochs" % acc)
expect(a.n_iter_ == 25 and len(a.loss_curve_) == 25 and a.loss_ == a.loss_curve_[-1] and
       a.best_loss_ == min(a.loss_curve_) and a.loss_curve_[-1] < a.loss_curve_[0],
       "attributes: n_iter_ %s, %d losses, loss_ %s, best_loss_ %s" % (
           a.n_iter_, len(a.loss_curve_), a.loss_, a.best_loss_))
expect(a.n_features_in_ == 64 and list(a.classes_) == list(range(10)) and a.t_ == 25 * 1400,
       "n_features_in_ %s, classes_ %s, t_ %s" % (a.n_features_in_, a.classes_, a.t_))
expect([c.shape for c in a.coefs_] == [(64, 32), (32, 10)] and
       [b.shape for b in a.intercepts_] == [(32,), (10,)], "coefs_ / intercepts_ shapes")
b = cltrain.MLPClassifier(**params).fit(Xtr, ytr)
expect(all(np.array_equal(p, q) for p, q in zip(a.coefs_, b.coefs_)),
       "the same random_state gave different weights")
c = cltrain.MLPClassifier(**dict(params, random_state=4)).fit(Xtr, ytr)
expect(not np.array_equal(a.coefs_[0], c.coefs_[0]), "another random_state gave the same weights")
d = cltrain.MLPClassifier(**dict(params, shuffle=False)).fit(Xtr, ytr)
d2 = cltrain.MLPClassifier(**dict(params, shuffle=False)).fit(Xtr, ytr)
expect(np.array_equal(d.coefs_[0], d2.coefs_[0]) and not np.array_equal(d.coefs_[0], a.coefs_[0]),
       "shuffle=False: not deterministic, or the same as shuffled")
for solver in ("sgd", "momentum", "rmsprop", "adamw", "lion"):
    lr = 1e-3 if solver == "lion" else 0.01
    s = cltrain.MLPClassifier(**dict(params, solver=solver, learning_rate_init=lr))
    expect(s.fit(Xtr, ytr).score(Xte, yte) > 0.8, "solver %s does not learn digits" % solver)
drop = cltrain.MLPClassifier(**dict(params, dropout=0.2, clip_norm=1.0)).fit(Xtr, ytr)
acc = drop.score(Xte, yte)
expect(acc > 0.85, "dropout 0.2 and clip_norm 1: accuracy %.3f" % acc)

for norm in ("batch", "layer"):
    nm = cltrain.MLPClassifier(**dict(params, hidden_layer_sizes=(32, 16), norm=norm))
    acc = nm.fit(Xtr, ytr).score(Xte, yte)
    expect(acc > 0.88 and nm.get_params()["norm"] == norm and
           [c.shape for c in nm.coefs_] == [(64, 32), (32, 16), (16, 10)],
           "norm=%r: accuracy %.3f, or its parameters or coefs_" % (norm, acc))
    again = pickle.loads(pickle.dumps(nm))
    expect(again.norm == norm and np.array_equal(again.predict_proba(Xte), nm.predict_proba(Xte)),
           "norm=%r: the pickled estimator predicts otherwise" % norm)
raises(ValueError, lambda: cltrain.MLPClassifier(norm="group").fit(Xtr, ytr), "norm", "group")

# partial_fit: three calls of one epoch are the same run as one fit of three epochs
full = cltrain.MLPClassifier(**dict(params, max_iter=3)).fit(Xtr, ytr)
inc = cltrain.MLPClassifier(**params)
for _ in range(3):
    inc.partial_fit(Xtr, ytr, classes=np.arange(10))
expect(inc.n_iter_ == 3 and all(np.array_equal(p, q) for p, q in zip(full.coefs_, inc.coefs_)),
       "3 x partial_fit differs from fit(max_iter=3) (n_iter_ %d)" % inc.n_iter_)
raises(ValueError, lambda: cltrain.MLPClassifier().partial_fit(Xtr, ytr), "classes")
inc.partial_fit(Xtr[:50], ytr[:50])  # a smaller chunk: a smaller batch, the state goes on
expect(inc.n_iter_ == 4 and len(inc.loss_curve_) == 4 and inc.t_ == 3 * 1400 + 50,
       "partial_fit on a chunk: n_iter_ %d, t_ %d" % (inc.n_iter_, inc.t_))

# early stopping: validation scores per epoch, the best weights kept
es = cltrain.MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, early_stopping=True,
                           n_iter_no_change=3, random_state=0).fit(Xtr, ytr)
expect(es.n_iter_ < 300 and len(es.validation_scores_) == es.n_iter_ and
       es.best_validation_score_ == max(es.validation_scores_) and es.best_loss_ is None and
       0.85 < es.best_validation_score_ <= 1, "early stopping: n_iter_ %d, %d scores, best %s" % (
           es.n_iter_, len(es.validation_scores_), es.best_validation_score_))

# regression, one and two outputs; R^2 of early stopping from the validation loss
rng = np.random.RandomState(0)
rX = rng.uniform(-3, 3, size=(600, 2))
ry = np.sin(rX[:, 0]) + 0.5 * rX[:, 1]
r = cltrain.MLPRegressor(hidden_layer_sizes=(32, 32), max_iter=200, random_state=0,
                         learning_rate_init=0.01).fit(rX, ry)
expect(r.predict(rX).shape == (600,) and r.score(rX, ry) > 0.95,
       "regression R^2 %.3f" % r.score(rX, ry))
r2 = cltrain.MLPRegressor(hidden_layer_sizes=(32,), max_iter=50, random_state=0,
                          early_stopping=True).fit(rX, np.c_[ry, -ry])
expect(r2.predict(rX).shape == (600, 2) and r2.validation_scores_[-1] <= 1 and
       r2.validation_scores_[-1] > r2.validation_scores_[0],
       "two outputs with early stopping: %s" % (r2.validation_scores_[:3],))

# ---- learning_rate: 'constant', 'invscaling' (power_t), 'adaptive', as scikit-learn's ----------
# Only solver 'sgd' follows it, as in scikit-learn; the rate an epoch trained with is what the
# library reports for it (_epoch_lrs), learning_rate_ the rate of the next epoch (scikit-learn's
# _optimizer.learning_rate).
import contextlib  # noqa: E402
import io  # noqa: E402

from sklearn.neural_network import MLPClassifier as SkMLP  # noqa: E402


def close(a, b, rel=1e-6):
    return abs(a - b) <= rel * abs(b)


Xs, ys = Xtr[:600], ytr[:600]
lr_args = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.05, random_state=0)
m = cltrain.MLPClassifier(**lr_args, learning_rate="invscaling", power_t=0.25)
expect(m.get_params()["learning_rate"] == "invscaling" and m.get_params()["power_t"] == 0.25 and
       clone(m).get_params() == m.get_params() and
       cltrain.MLPClassifier().get_params()["learning_rate"] == "constant" and
       cltrain.MLPClassifier().get_params()["power_t"] == 0.5,
       "learning_rate / power_t: get_params, clone or the defaults")
expect(clone(m).set_params(learning_rate="adaptive").learning_rate == "adaptive", "set_params")
# invscaling: after each epoch learning_rate_init / (t_ + 1) ** power_t, t_ the samples so far
m.set_params(max_iter=5, n_iter_no_change=100).fit(Xs, ys)
sk = SkMLP(**lr_args, learning_rate="invscaling", power_t=0.25, max_iter=5,
           n_iter_no_change=100).fit(Xs, ys)
want = [0.05 / (k * 600 + 1) ** 0.25 for k in range(5)]
expect(m.n_iter_ == sk.n_iter_ == 5 and close(m.learning_rate_, sk._optimizer.learning_rate) and
       len(m._epoch_lrs) == 5 and all(close(a, b) for a, b in zip(m._epoch_lrs, want)),
       "invscaling: learning_rate_ %s (scikit-learn %s), the epochs trained at %s, expected %s" %
       (m.learning_rate_, sk._optimizer.learning_rate, m._epoch_lrs, want))
const = cltrain.MLPClassifier(**lr_args, max_iter=5, n_iter_no_change=100).fit(Xs, ys)
expect(m.loss_curve_[0] == const.loss_curve_[0] and m.loss_curve_[1:] != const.loss_curve_[1:],
       "invscaling: the first epoch (at learning_rate_init) differs from 'constant', or the later "
       "ones do not: %s vs %s" % (m.loss_curve_, const.loss_curve_))
# partial_fit goes on with the rate, as scikit-learn's kept optimizer: 3 calls = fit of 3 epochs
f3 = cltrain.MLPClassifier(**lr_args, learning_rate="invscaling", max_iter=3,
                           n_iter_no_change=100).fit(Xs, ys)
p3 = cltrain.MLPClassifier(**lr_args, learning_rate="invscaling")
for _ in range(3):
    p3.partial_fit(Xs, ys, classes=np.arange(10))
expect(all(np.array_equal(p, q) for p, q in zip(f3.coefs_, p3.coefs_)) and
       close(p3.learning_rate_, 0.05 / 1801 ** 0.5) and close(p3._epoch_lrs[2], 0.05 / 1201 ** 0.5),
       "invscaling: 3 x partial_fit differs from fit(max_iter=3) (rates %s)" % p3._epoch_lrs)
# adaptive: with tol so large that no epoch counts as a gain, the rate is divided by 5 after every
# n_iter_no_change + 1 epochs without one, and training stops when it is at or below 1e-6;
# scikit-learn takes the same epochs to the same rate
ad_args = dict(lr_args, learning_rate="adaptive", tol=1e9, n_iter_no_change=2, max_iter=100)
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    ad = cltrain.MLPClassifier(**ad_args, verbose=True).fit(Xs, ys)
sk = SkMLP(**ad_args).fit(Xs, ys)
want, lr, count = [], 0.05, 0
for epoch in range(1, 101):
    want.append(lr)
    count = 0 if epoch == 1 else count + 1
    if count > 2:
        if lr <= 1e-6:
            break
        lr, count = lr / 5, 0
expect(ad.n_iter_ == sk.n_iter_ == len(want) and
       close(ad.learning_rate_, sk._optimizer.learning_rate) and
       all(close(a, b) for a, b in zip(ad._epoch_lrs, want)),
       "adaptive: n_iter_ %d (scikit-learn %d, expected %d), learning_rate_ %s (scikit-learn %s), "
       "the epochs trained at %s" % (ad.n_iter_, sk.n_iter_, len(want), ad.learning_rate_,
                                     sk._optimizer.learning_rate, ad._epoch_lrs))
expect("Training loss did not improve more than tol=1000000000.000000 for 2 consecutive epochs. "
       "Setting learning rate to 0.010000" in buf.getvalue() and
       "Learning rate too small. Stopping." in buf.getvalue(),
       "adaptive, verbose: scikit-learn's messages missing from %r" % buf.getvalue()[-500:])
# with early stopping it watches the validation score
ade = cltrain.MLPClassifier(**dict(ad_args, early_stopping=True)).fit(Xs, ys)
expect(ade.n_iter_ == len(want) and close(ade.learning_rate_, sk._optimizer.learning_rate),
       "adaptive with early stopping: n_iter_ %d, learning_rate_ %s" %
       (ade.n_iter_, ade.learning_rate_))
# 'constant' stops at the first stall, as scikit-learn; adam accepts learning_rate and ignores it
for solver, rate in (("sgd", "constant"), ("adam", "adaptive"), ("adam", "invscaling")):
    args = dict(ad_args, solver=solver, learning_rate=rate)
    ours = cltrain.MLPClassifier(**args).fit(Xs, ys)
    theirs = SkMLP(**args).fit(Xs, ys)
    expect(ours.n_iter_ == theirs.n_iter_ == 4 and ours.learning_rate_ == 0.05 and
           all(close(v, 0.05) for v in ours._epoch_lrs), "solver %s, learning_rate %r: n_iter_ %d (scikit-learn "
           "%d), rates %s" % (solver, rate, ours.n_iter_, theirs.n_iter_, ours._epoch_lrs))
raises(ValueError, lambda: cltrain.MLPClassifier(learning_rate="cyclic").fit(Xs, ys),
       "learning_rate", "'cyclic'")
raises(ValueError, lambda: cltrain.MLPClassifier(solver="sgd", learning_rate="invscaling",
                                                 power_t=-1).fit(Xs, ys), "power_t")

# ---- errors: one line, the library's message ---------------------------------------------------
Xnan = Xtr.copy()
Xnan[7, 5] = np.nan
e = raises(ValueError, lambda: cltrain.MLPClassifier(max_iter=2).fit(Xnan, ytr),
           "row 7 column 5 is NaN")
expect(isinstance(e, cltrain.InputError) and e.status == "CT_ERR_NUMERIC",
       "a NaN is the library's CT_ERR_NUMERIC: %r" % (e,))
raises(ValueError, lambda: a.predict(np.full((2, 64), np.inf)), "row 0 column 0 is inf")
raises(ValueError, lambda: a.predict(Xte[:, :10]), "X has 10 features", "expecting 64")
raises(ValueError, lambda: a.predict(Xte[0]), "Reshape your data")
raises(ValueError, lambda: cltrain.MLPClassifier(activation="swish2").fit(Xtr, ytr),
       "unknown activation 'swish2'", "relu")
raises(ValueError, lambda: cltrain.MLPClassifier(solver="lbfgs").fit(Xtr, ytr), "lbfgs")
raises(ValueError, lambda: cltrain.MLPClassifier(solver="adagrad").fit(Xtr, ytr),
       "unknown solver 'adagrad'", "adam")
raises(ValueError, lambda: cltrain.MLPClassifier(hidden_layer_sizes=(0,)).fit(Xtr, ytr), "> 0")
raises(ValueError, lambda: cltrain.MLPClassifier(hidden_layer_sizes=(4,) * 16).fit(Xtr, ytr),
       "16 hidden layers")
raises(ValueError, lambda: cltrain.MLPClassifier(dropout=1.5).fit(Xtr, ytr), "dropout")
raises(ValueError, lambda: cltrain.MLPClassifier().fit(Xtr, ytr[:5]), "inconsistent")
raises(ValueError, lambda: cltrain.MLPRegressor(max_iter=2).fit(rX, np.r_[ry[:-1], np.inf]),
       "Y row 599 column 0 is inf")
e = raises(cltrain.DeviceError, lambda: cltrain.MLPClassifier(device="no-such-device-xyz")
           .fit(Xtr, ytr), "no-such-device-xyz")
expect(e is not None and getattr(e, "status", "") == "CT_ERR_NO_DEVICE",
       "unknown device: %r" % (e,))
raises(cltrain.NotFittedError, lambda: cltrain.MLPRegressor().predict(rX), "not fitted")

# ---- pickling and files ------------------------------------------------------------------------
blob = pickle.dumps(a)
state = a.__getstate__()
expect(state["_model_bytes"][8:9] == b"{" and "_model" not in state,
       "the pickled model is not a safetensors file's bytes")
back = pickle.loads(blob)
expect(np.array_equal(back.predict_proba(Xte), a.predict_proba(Xte)) and
       back.get_params() == a.get_params(), "the unpickled estimator predicts differently")
expect(clone(a).get_params() == a.get_params(), "clone")

with tempfile.TemporaryDirectory() as tmp:
    # a model from Python, predicted by the command line
    iris = cltrain.MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01,
                                 random_state=0).fit(iX, iy)
    path = os.path.join(tmp, "iris.safetensors")
    iris.save(path)
    feats = os.path.join(tmp, "features.csv")
    np.savetxt(feats, iX, delimiter=",", header="sepal_length,sepal_width,petal_length,petal_width",
               comments="", fmt="%.9g")  # matched by name to a model of iris.csv
    pred = os.path.join(tmp, "pred.csv")
    subprocess.run([cli, "predict", "--model", path, "--data", feats, "-o", pred], check=True,
                   capture_output=True)
    with open(pred) as f:
        table = list(csv.reader(f))
    expect(table[0] == ["class", "p_setosa", "p_versicolor", "p_virginica"],
           "the command line names the classes: %s" % table[0])
    cli_p = np.array([[float(v) for v in row[1:]] for row in table[1:]])
    expect(np.abs(cli_p - iris.predict_proba(iX)).max() < 1e-5 and
           [row[0] for row in table[1:]] == list(iris.predict(iX)),
           "cltrain predict and the Python estimator disagree")
    # a model from the command line, loaded in Python
    cpath = os.path.join(tmp, "cli.safetensors")
    subprocess.run([cli, "train", "--data", os.path.join(data_dir, "iris.csv"), "--layers", "8",
                    "--epochs", "20", "--standardize", "--save", cpath], check=True,
                   capture_output=True)
    subprocess.run([cli, "predict", "--model", cpath, "--data", feats, "-o", pred], check=True,
                   capture_output=True)
    with open(pred) as f:
        table = list(csv.reader(f))[1:]
    loaded = cltrain.load(cpath)
    expect(type(loaded) is cltrain.MLPClassifier and list(loaded.classes_) ==
           ["setosa", "versicolor", "virginica"] and loaded.hidden_layer_sizes == (8,),
           "cltrain.load: %r, classes %s" % (loaded, getattr(loaded, "classes_", None)))
    expect(list(loaded.predict(iX)) == [row[0] for row in table] and np.abs(
        loaded.predict_proba(iX) - np.array([[float(v) for v in row[1:]] for row in table])
    ).max() < 1e-5, "a model of the command line predicts differently in Python")
    raises(ValueError, lambda: cltrain.MLPRegressor.load(cpath), "classification", "MLPClassifier")
    again = cltrain.MLPClassifier.load(path)
    expect(np.array_equal(again.predict_proba(iX), iris.predict_proba(iX)) and
           list(again.classes_) == list(iris.classes_), "save / load round trip")
    raises(cltrain.FileError, lambda: cltrain.load(os.path.join(tmp, "absent.safetensors")),
           "absent.safetensors")
    bad = os.path.join(tmp, "bad.safetensors")
    with open(bad, "wb") as f:
        f.write(b"\x05\x00\x00\x00\x00\x00\x00\x00{}")
    raises(ValueError, lambda: cltrain.load(bad), "bad.safetensors")

# ---- pandas DataFrames: columns matched by name, as the command line matches a CSV header -------
import pandas as pd  # noqa: E402  (python_sklearn.sh requires it: python3-pandas)

names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
df = pd.DataFrame(iX, columns=names)
expect(not hasattr(iris, "feature_names_in_"), "fitted from NumPy, yet feature_names_in_ is set")
fr = cltrain.MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01,
                           random_state=0).fit(df, iy)
expect(isinstance(fr.feature_names_in_, np.ndarray) and fr.feature_names_in_.dtype == object and
       list(fr.feature_names_in_) == names, "feature_names_in_ %r" %
       (getattr(fr, "feature_names_in_", None),))
p0 = fr.predict_proba(df)
expect(np.array_equal(fr.predict_proba(df[names[::-1]]), p0),
       "a DataFrame with its columns reversed predicts differently")
expect(np.array_equal(fr.predict_proba(iX), p0), "a NumPy array (by position) predicts differently")
extra = df.assign(id=np.arange(len(df)), note="text")[["id"] + names[::-1] + ["note"]]
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    pe = fr.predict_proba(extra)
notes = [str(w.message) for w in seen if "not features of the model" in str(w.message)]
expect(np.array_equal(pe, p0) and len(notes) == 1 and "'id', 'note'" in notes[0],
       "extra columns: ignored with one warning naming them: %r" % [str(w.message) for w in seen])
raises(ValueError, lambda: fr.predict(df[names[:3]]), "no column 'petal_width'",
       "a feature of the model")
expect(fr.score(df[names[::-1]], iy) == fr.score(df, iy), "score of a reordered DataFrame")
refit = clone(fr).fit(df, iy).fit(iX, iy)
expect(not hasattr(refit, "feature_names_in_"), "a refit from NumPy keeps feature_names_in_")
# partial_fit on reordered columns continues as on the columns in order
pa = cltrain.MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
pb = clone(pa)
pa.partial_fit(df, iy, classes=np.unique(iy)).partial_fit(df[names[::-1]], iy)
pb.partial_fit(df, iy, classes=np.unique(iy)).partial_fit(df, iy)
expect(np.array_equal(pa.predict_proba(df), pb.predict_proba(df)),
       "partial_fit on reordered columns trains differently")
back = pickle.loads(pickle.dumps(fr))
expect(list(back.feature_names_in_) == names and
       np.array_equal(back.predict_proba(df[names[::-1]]), p0), "pickled: names or order lost")
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "frame.safetensors")
    fr.save(path)
    loaded = cltrain.load(path)
    expect(list(getattr(loaded, "feature_names_in_", [])) == names and
           np.array_equal(loaded.predict_proba(df[names[::-1]]), p0),
           "a saved model loses its feature names")
    rev = os.path.join(tmp, "reversed.csv")
    df[names[::-1]].assign(species=iy).to_csv(rev, index=False, float_format="%.9g")
    pred = os.path.join(tmp, "pred.csv")
    res = subprocess.run([cli, "predict", "--model", path, "--data", rev, "-o", pred],
                         capture_output=True, text=True)
    expect(res.returncode == 0, "cltrain predict on reversed columns: %s" % res.stderr)
    if res.returncode == 0:
        with open(pred) as f:
            table = list(csv.reader(f))[1:]
        cli_p = np.array([[float(v) for v in row[1:]] for row in table])
        expect(np.abs(cli_p - p0).max() < 1e-5, "the command line, columns reversed, disagrees")
print("pandas %s: DataFrames by column name: ok" % pd.__version__)

# ---- tables: string columns and missing cells, the command line's rules (issue 27) -------------
# tests/table_gen.py's census-style table: numeric and string columns, every missing spelling,
# a category in test.csv that training never saw. pandas reads it with cltrain's spellings.
MISSING = ["", "NA", "N/A", "NaN", "nan", "null", "?"]


def read_table(path):
    return pd.read_csv(path, keep_default_na=False, na_values=MISSING)


def cli_probs(model, data, out):
    res = subprocess.run([cli, "predict", "--model", model, "--data", data, "-o", out],
                         capture_output=True, text=True)
    expect(res.returncode == 0, "cltrain predict --model %s: %s" % (model, res.stderr))
    if res.returncode:
        return None, None, res.stderr
    with open(out) as f:
        rows_ = list(csv.reader(f))
    return rows_[0], np.array([[float(v) for v in r[1:]] for r in rows_[1:]]), res.stderr


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "table_gen.py"), tmp, "600", "3"], check=True)
    trp, tep = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
    ttr, tte = read_table(trp), read_table(tep)
    cols = ["id", "age", "workclass", "education", "hours", "gain"]
    Xt, yt, Xe = ttr[cols], ttr["income"], tte[cols]
    expect(ttr["age"].isna().sum() >= 7 and ttr["education"].isna().sum() >= 7,
           "pandas did not read every missing spelling as missing")
    # (1) trained in Python from the DataFrame, predicted by the command line from the CSV
    tp = cltrain.MLPClassifier(hidden_layer_sizes=(16,), max_iter=8, learning_rate_init=0.01,
                               random_state=0).fit(Xt, yt)
    expect(tp.n_features_in_ == 6 and list(tp.feature_names_in_) == cols and
           tp.feature_names_in_.dtype == object,
           "table: n_features_in_ %r, feature_names_in_ %r" % (
               tp.n_features_in_, getattr(tp, "feature_names_in_", None)))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        pp = tp.predict_proba(Xe)
    unseen = [str(w.message) for w in seen if "not seen in training" in str(w.message)]
    expect(len(unseen) == 1 and "workclass" in unseen[0],
           "table: the unseen category is not named in one warning: %r"
           % [str(w.message) for w in seen])
    mp = os.path.join(tmp, "py.safetensors")
    tp.save(mp)
    head, cp, err = cli_probs(mp, tep, os.path.join(tmp, "py_pred.csv"))
    if cp is not None:
        expect(head == ["class", "p_<=50K", "p_>50K"] and cp.shape == pp.shape and
               np.abs(cp - pp).max() < 1e-6,
               "table: trained in Python, the command line predicts differently (max %.3g)"
               % (np.abs(cp - pp).max() if cp.shape == pp.shape else np.inf))
        expect("not seen in training" in err, "table: cltrain predict lacks the unseen note")
    # the same column order does not matter, nor an extra column (the label, here)
    expect(np.array_equal(tp.predict_proba(tte[cols[::-1] + ["income"]]), pp),
           "table: reordered columns predict differently")
    # (2) trained by the command line, predicted in Python from the DataFrame
    cm = os.path.join(tmp, "cli.safetensors")
    res = subprocess.run([cli, "train", "--data", trp, "--label", "income", "--layers", "16",
                          "--epochs", "3", "--save", cm], capture_output=True, text=True)
    expect(res.returncode == 0, "cltrain train on the table: %s" % res.stderr)
    if res.returncode == 0:
        lm = cltrain.load(cm)
        expect(isinstance(lm, cltrain.MLPClassifier) and lm.n_features_in_ == 6 and
               list(lm.feature_names_in_) == cols and list(lm.classes_) == ["<=50K", ">50K"],
               "table: a command-line model loads with n_features_in_ %r, names %r, classes %r"
               % (lm.n_features_in_, getattr(lm, "feature_names_in_", None), lm.classes_))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lp = lm.predict_proba(tte)  # the label column among them: left out
        head, cp2, _ = cli_probs(cm, tep, os.path.join(tmp, "cli_pred.csv"))
        if cp2 is not None:
            expect(cp2.shape == lp.shape and np.abs(cp2 - lp).max() < 1e-6,
                   "table: trained by the command line, Python predicts differently (max %.3g)"
                   % (np.abs(cp2 - lp).max() if cp2.shape == lp.shape else np.inf))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            acc = lm.score(Xe, tte["income"])
        res = subprocess.run([cli, "eval", "--model", cm, "--data", tep], capture_output=True,
                             text=True)
        expect(res.returncode == 0 and ("%.4f" % acc) in res.stdout,
               "table: score %.4f, cltrain eval says %s%s" % (acc, res.stdout, res.stderr))
        raises(ValueError, lambda: lm.predict(Xe.drop(columns="education")), "no column",
               "'education'")
    # (3) an object NumPy array with None and NaN: the same rules, by position
    Xo = Xe.to_numpy(dtype=object)
    for i, j in ((0, 1), (1, 2), (2, 4)):
        Xo[i, j] = None
    Xo[3, 1], Xo[4, 3] = float("nan"), np.nan
    Xd = Xe.copy()
    for i, j in ((0, 1), (1, 2), (2, 4), (3, 1), (4, 3)):
        Xd.iat[i, j] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        po, pd_ = tp.predict_proba(Xo), tp.predict_proba(Xd)
    expect(np.array_equal(po, pd_), "table: an object array with None and NaN predicts unlike "
           "the DataFrame with missing cells")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to = cltrain.MLPClassifier(hidden_layer_sizes=(16,), max_iter=8,
                                   learning_rate_init=0.01, random_state=0).fit(
            Xt.to_numpy(dtype=object), yt.to_numpy())
        expect(to.n_features_in_ == 6 and not hasattr(to, "feature_names_in_") and
               np.array_equal(to.predict_proba(Xe.to_numpy(dtype=object)), pp),
               "table: an object array trains unlike the DataFrame")
    # (4) the unseen category encodes as all zeros: as if that cell's column had none of its
    # categories (the same output whatever the unseen text)
    Xu, Xv = Xe.iloc[:5].copy(), Xe.iloc[:5].copy()
    Xu["workclass"], Xv["workclass"] = "Never-worked", "Astronaut"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expect(np.array_equal(tp.predict_proba(Xu), tp.predict_proba(Xv)),
               "table: two unseen categories predict differently")
    # a regressor from a table; warm start keeps the encoding; pickling keeps it
    tr_ = cltrain.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0,
                               warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr_.fit(Xt[cols[1:]], ttr["gain"].astype(float) / 1000)
        r0 = tr_.predict(Xe[cols[1:]])
        tr_.fit(Xt[cols[1:]][::-1], ttr["gain"].astype(float)[::-1] / 1000)
        back = pickle.loads(pickle.dumps(tr_))
        expect(r0.shape == (len(Xe),) and back.n_features_in_ == 5 and
               np.array_equal(back.predict(Xe[cols[1:]]), tr_.predict(Xe[cols[1:]])),
               "table: regressor, warm start or pickling")
    raises(TypeError, lambda: cltrain.MLPClassifier(max_iter=1).fit(
        np.array([[{"a": 1}], ["x"]], dtype=object), [0, 1]), "string or a number")
print("tables: DataFrames and object arrays with string columns and missing cells: ok")

# ---- NumPy only: the package without scikit-learn ----------------------------------------------
# tensorboard_dir: the library's event files, read back by the test's independent reader
# (tests/tensorboard_check.py: framing, checksums, protobuf); a partial_fit's steps go on
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tensorboard_check  # noqa: E402

with tempfile.TemporaryDirectory() as tbd:
    tb = cltrain.MLPClassifier(hidden_layer_sizes=(16,), max_iter=6, n_iter_no_change=100,
                               early_stopping=True, random_state=0, tensorboard_dir=tbd)
    expect(tb.get_params()["tensorboard_dir"] == tbd, "get_params lacks tensorboard_dir")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tb.fit(Xtr, ytr)
        tb.partial_fit(Xtr, ytr)
    tr, tr_files = tensorboard_check.load_independent(os.path.join(tbd, "train"))
    va, _ = tensorboard_check.load_independent(os.path.join(tbd, "validation"))
    steps = [st for st, _ in tr.get("epoch_loss", [])]
    expect(steps == list(range(7)) and tr_files == 2,
           "tensorboard_dir: train epoch_loss at steps %s in %d files, expected 0..6 in 2 (fit, "
           "partial_fit)" % (steps, tr_files))
    expect([st for st, _ in va.get("epoch_accuracy", [])] == list(range(6)) and
           all(abs(v - w) < 1e-6 for (_, v), w in zip(va["epoch_accuracy"], tb.validation_scores_)),
           "tensorboard_dir: validation epoch_accuracy %s, validation_scores_ %s"
           % (va.get("epoch_accuracy"), tb.validation_scores_))
    expect("epoch_learning_rate" in tr and "epoch_accuracy" in tr and "epoch_mae" not in tr,
           "tensorboard_dir: train tags %s" % sorted(tr))
# a regressor: epoch_mae (train and validation) instead of epoch_accuracy; the mean absolute
# error is at most the root of the mean squared error (the MSE loss), and above 0
with tempfile.TemporaryDirectory() as tbd:
    tr_reg = cltrain.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, n_iter_no_change=100,
                                  early_stopping=True, random_state=0, tensorboard_dir=tbd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr_reg.fit(rX, ry)
    runs = {k: tensorboard_check.load_independent(os.path.join(tbd, k))[0]
            for k in ("train", "validation")}
    for k, run in runs.items():
        mae, loss = run.get("epoch_mae", []), dict(run.get("epoch_loss", []))
        expect([st for st, _ in mae] == [0, 1, 2] and "epoch_accuracy" not in run and
               all(0 < v <= loss[st] ** 0.5 * (1 + 1e-6) for st, v in mae),
               "tensorboard_dir, regression %s: epoch_mae %s, epoch_loss %s, tags %s"
               % (k, mae, sorted(loss.items()), sorted(run)))

numpy_only = r'''
import pickle, sys
sys.modules["sklearn"] = None  # import sklearn fails
import warnings
import numpy as np, cltrain
warnings.simplefilter("ignore")
assert not cltrain.HAVE_SKLEARN
rng = np.random.RandomState(1)
X = rng.normal(size=(300, 4)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
m = cltrain.MLPClassifier(hidden_layer_sizes=(8,), max_iter=40, random_state=0)
assert m.get_params()["hidden_layer_sizes"] == (8,)
m.set_params(learning_rate_init=0.01).fit(X, y)
assert m.score(X, y) > 0.9, m.score(X, y)
assert np.array_equal(pickle.loads(pickle.dumps(m)).predict(X), m.predict(X))
r = cltrain.MLPRegressor(max_iter=100, random_state=0).fit(X, X[:, 0])
assert r.score(X, X[:, 0]) > 0.8, r.score(X, X[:, 0])
try:
    m.set_params(nope=1)
except ValueError as e:
    assert "nope" in str(e)
else:
    raise AssertionError("set_params accepted an unknown parameter")
print("numpy only: ok")
'''
res = subprocess.run([sys.executable, "-c", numpy_only], capture_output=True, text=True)
expect(res.returncode == 0 and "numpy only: ok" in res.stdout,
       "without scikit-learn: %s%s" % (res.stdout, res.stderr[-2000:]))

print("python: %d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
