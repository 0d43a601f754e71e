#!/usr/bin/env python3
"""Loads a model saved by `cltrain train --save` with plain NumPy and predicts as `cltrain predict`.

A model is a safetensors file: an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw data. cltrain writes
    layers.<i>.weight (out, in), layers.<i>.bias (out)   float32
    layers.<i>.norm.weight, .norm.bias (out)               a hidden layer with --norm batch|layer
    layers.<i>.norm.running_mean, .norm.running_var (out)  batch norm
    scaler.mean, scaler.std (features)                     when trained with --standardize
and "__metadata__" strings: "format" = "cltrain-1", "architecture" (JSON: sizes, activations,
alpha, dropout, loss, huber_delta; norm, norm_eps, norm_momentum when a layer has a norm),
"task", "label", "classes", "features", "targets". A norm sits between a hidden layer's bias
and its activation; prediction uses batch norm's running statistics.
Nothing but NumPy is needed; this file can be copied next to a model and used as it is.

As a library:
    import load_model
    m = load_model.load("iris.safetensors")
    P = load_model.predict(m, X)        # X: (n, features); float64 probabilities (n, classes)
                                        # or values (n, outputs); the scaler is applied here
    names = load_model.predict_classes(m, X)   # classification: the class names

From the command line:
    load_model.py MODEL.safetensors DATA.csv [-o OUT.csv]
        prints the predictions in the CSV format of `cltrain predict` (a `class` column and
        p_<class> columns, or `value` columns), computed in float64
    load_model.py MODEL.safetensors DATA.csv --compare PRED.csv [--tol 1e-5]
        checks PRED.csv (written by `cltrain predict --model MODEL --data DATA.csv -o PRED.csv`)
        against the NumPy predictions: the same header and rows, every probability or value
        within the tolerance (absolute; for values, plus the same tolerance relative to their
        size), and the same predicted class except where the two most probable classes are
        within the tolerance of each other. Prints the largest difference found; exit 1 when
        any check fails.
When the `safetensors` package is importable, the file is also read with
safetensors.numpy.load_file and every tensor must be bit-identical to the plain-NumPy one; when
`torch` is importable, the forward pass is also run with torch in float64 and must agree with
NumPy's. Add --no-safetensors / --no-torch to skip those. The loaders used are printed (stderr).

DATA may be a CSV (with or without a header; the training label column, when present, is
dropped as cltrain does) or a .npy array of shape (n, features).
"""

import argparse
import csv
import json
import math
import struct
import sys

try:
    import numpy as np
except ImportError:  # one clear line, not a traceback
    sys.exit("load_model.py: error: NumPy is not installed for %s (pip install numpy, or on "
             "Debian apt-get install python3-numpy)" % sys.executable)

FORMAT = "cltrain-1"
DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I32": "<i4", "I64": "<i8", "U8": "u1"}
LOSSES = {"softmax_ce": "ce", "ce": "ce", "sigmoid_bce": "bce", "bce": "bce", "mse": "mse",
          "huber": "huber"}
GELU_C = 0.7978845608028654  # sqrt(2 / pi)
GELU_K = 0.044715


class ModelError(Exception):
    """A file that is not a readable cltrain model."""


# ---- reading ------------------------------------------------------------------------------

def read_safetensors(path):
    """Returns (tensors, metadata): {name: read-only ndarray}, {key: str}. Plain NumPy."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ModelError(f"{path}: {len(buf)} bytes, too short for a safetensors header")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise ModelError(f"{path}: the header claims {n} bytes, the file has {len(buf) - 8} after "
                         "the length")
    try:
        header = json.loads(buf[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ModelError(f"{path}: the header is not JSON: {e}") from None
    if not isinstance(header, dict):
        raise ModelError(f"{path}: the header is not a JSON object")
    data = memoryview(buf)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        try:
            dtype = np.dtype(DTYPES[info["dtype"]])
            shape = [int(s) for s in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ModelError(f"{path}: tensor '{name}': bad entry {info!r}") from None
        count = math.prod(shape)
        if not 0 <= begin <= end <= len(data) or end - begin != count * dtype.itemsize:
            raise ModelError(f"{path}: tensor '{name}': bytes [{begin}, {end}) do not hold "
                             f"{shape} {info['dtype']} in {len(data)} bytes of data")
        tensors[name] = np.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(shape)
    return tensors, metadata


def _json_meta(metadata, key, default, path):
    text = metadata.get(key)
    if text is None or text == "":
        return default
    try:
        return json.loads(text)
    except ValueError:
        raise ModelError(f"{path}: metadata '{key}' is not JSON: {text[:80]!r}") from None


def load(path):
    """Reads a cltrain model. Returns a dict:
    weights [W_i (out, in)], biases [b_i (out)] (float32 arrays, as stored), scaler (mean, std)
    or None, activations [hidden], alpha [hidden], loss ('ce', 'bce', 'mse' or 'huber'), task,
    classes, features, targets, label, sizes, architecture (the parsed JSON), metadata (raw
    strings), tensors (every tensor by name)."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != FORMAT or "architecture" not in meta:
        raise ModelError(f"{path}: not a cltrain model (metadata 'format' = '{FORMAT}' and "
                         "'architecture' expected)")
    arch = _json_meta(meta, "architecture", None, path)
    if not isinstance(arch, dict):
        raise ModelError(f"{path}: metadata 'architecture' is not a JSON object")
    sizes = [int(s) for s in arch.get("sizes", [])]
    layers = len(sizes) - 1
    if layers < 1:
        raise ModelError(f"{path}: architecture 'sizes' must list at least 2 sizes")
    acts = list(arch.get("activations", []))
    if len(acts) != layers - 1:
        raise ModelError(f"{path}: architecture 'activations' must list {layers - 1} names")
    alpha = [float(a) for a in arch.get("alpha", [])]
    alpha += [1.0 if a == "elu" else 0.01 for a in acts[len(alpha):]]
    loss = LOSSES.get(arch.get("loss"))
    if loss is None:
        raise ModelError(f"{path}: architecture 'loss' is missing or unknown: {arch.get('loss')!r}")
    weights, biases = [], []
    for i in range(layers):
        for name, want in ((f"layers.{i}.weight", [sizes[i + 1], sizes[i]]),
                           (f"layers.{i}.bias", [sizes[i + 1]])):
            t = tensors.get(name)
            if t is None:
                raise ModelError(f"{path}: tensor '{name}' is missing")
            if list(t.shape) != want:
                raise ModelError(f"{path}: tensor '{name}' has shape {list(t.shape)}, the "
                                 f"architecture needs {want}")
        weights.append(tensors[f"layers.{i}.weight"])
        biases.append(tensors[f"layers.{i}.bias"])
    norms = list(arch.get("norm", ["none"] * (layers - 1)))
    eps = [float(e) for e in arch.get("norm_eps", [1e-5] * (layers - 1))]
    if len(norms) != layers - 1 or len(eps) != layers - 1:
        raise ModelError(f"{path}: architecture 'norm' and 'norm_eps' must list {layers - 1} "
                         "entries")
    norm = []  # per hidden layer: None, or (kind, eps, gamma, beta, running mean, running var)
    for i, kind in enumerate(norms):
        if kind == "none":
            norm.append(None)
            continue
        if kind not in ("batch", "layer"):
            raise ModelError(f"{path}: architecture norm {i} is '{kind}'")
        names = ["weight", "bias"] + (["running_mean", "running_var"] if kind == "batch" else [])
        ts = []
        for n in names:
            t = tensors.get(f"layers.{i}.norm.{n}")
            if t is None or list(t.shape) != [sizes[i + 1]]:
                raise ModelError(f"{path}: tensor 'layers.{i}.norm.{n}' is missing or not of "
                                 f"shape [{sizes[i + 1]}]")
            ts.append(t)
        norm.append((kind, eps[i], *ts, *([None, None] if kind == "layer" else [])))
    scaler = None
    if "scaler.mean" in tensors:
        mean, std = tensors["scaler.mean"], tensors.get("scaler.std")
        if std is None or mean.shape != (sizes[0],) or std.shape != (sizes[0],):
            raise ModelError(f"{path}: scaler.mean and scaler.std must both have shape "
                             f"[{sizes[0]}]")
        scaler = (mean, std)
    task = meta.get("task", "classification" if loss in ("ce", "bce") else "regression")
    classes = [str(c) for c in _json_meta(meta, "classes", [], path)]
    if task == "classification" and not classes:
        classes = [str(k) for k in range(2 if loss == "bce" else sizes[-1])]
    return {
        "path": path, "sizes": sizes, "weights": weights, "biases": biases, "scaler": scaler,
        "activations": acts, "alpha": alpha, "loss": loss, "task": task, "classes": classes,
        "norm": norm,
        "features": [str(f) for f in _json_meta(meta, "features", [], path)],
        "targets": [str(t) for t in _json_meta(meta, "targets", [], path)],
        "label": meta.get("label", ""), "architecture": arch, "metadata": meta,
        "tensors": tensors,
    }


# ---- the forward pass ---------------------------------------------------------------------

def _sigmoid(z):
    # 1 / (1 + e^-z) without overflow: e^-|z| <= 1
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activation(name, z, alpha):
    """The hidden activations of cltrain (host/ref.c), float64."""
    if name == "identity":
        return z
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    if name == "elu":
        return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "gelu":  # the tanh approximation
        return 0.5 * z * (1.0 + np.tanh(GELU_C * (z + GELU_K * z * z * z)))
    if name == "silu":
        return z * _sigmoid(z)
    raise ModelError(f"unknown activation '{name}'")


def forward(model, X):
    """The output layer's raw outputs (logits, or values), float64, shape (n, outputs); X is
    scaled here when the model has a scaler."""
    A = np.asarray(X, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] != model["sizes"][0]:
        raise ModelError(f"the inputs have shape {A.shape}; the model takes "
                         f"{model['sizes'][0]} features per row")
    if model["scaler"] is not None:
        mean, std = model["scaler"]
        A = (A - mean.astype(np.float64)) / std.astype(np.float64)
    last = len(model["weights"]) - 1
    for i, (W, b) in enumerate(zip(model["weights"], model["biases"])):
        Z = A @ W.astype(np.float64).T + b.astype(np.float64)
        if i < last and model["norm"][i] is not None:
            kind, eps, g, be, rm, rv = model["norm"][i]
            if kind == "batch":  # evaluation: the running statistics
                mu, var = rm.astype(np.float64), rv.astype(np.float64)
            else:  # each row over its units, the biased variance
                mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
            Z = (Z - mu) / np.sqrt(var + eps) * g.astype(np.float64) + be.astype(np.float64)
        A = Z if i == last else activation(model["activations"][i], Z, model["alpha"][i])
    return A


def predict(model, X):
    """Classification: the probability of every class, (n, classes) (softmax for ce; for bce
    the columns 1 - p, p of the one sigmoid unit). Regression: the values, (n, outputs)."""
    Z = forward(model, X)
    if model["loss"] == "ce":
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)
    if model["loss"] == "bce":
        p = _sigmoid(Z[:, 0])
        return np.stack([1.0 - p, p], axis=1)
    return Z  # mse, huber: linear outputs


def predict_classes(model, X):
    """The predicted class names (classification models)."""
    P = predict(model, X)
    return [model["classes"][k] for k in P.argmax(axis=1)]


# ---- data and the CSV of predictions ------------------------------------------------------

def _number(s):
    try:
        return float(s)
    except ValueError:
        return None


def read_inputs(path, model):
    """The model's inputs from a CSV (header optional; the label column dropped as cltrain does:
    by the model's label name, else when there is one column too many, the first whose name
    is not a feature, else the last) or from a .npy array. Returns an (n, features) float64
    array."""
    F = model["sizes"][0]
    if path.endswith(".npy"):
        X = np.load(path).astype(np.float64)
        return X.reshape(len(X), -1)
    with open(path, newline="", encoding="utf-8-sig") as f:
        first = f.readline()
        f.seek(0)
        sep = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else ","
        rows = [r for r in csv.reader(f, delimiter=sep) if r and any(c.strip() for c in r)]
    if not rows:
        raise ModelError(f"{path}: empty file")
    # cltrain's rule: the first row is a header when one of its cells is not a number while the
    # second row's cell in that column is (a single row: when one cell is not a number)
    header = None
    r1, r2 = rows[0], rows[1] if len(rows) > 1 else None
    for j, cell in enumerate(r1):
        if _number(cell) is None and (r2 is None or (j < len(r2) and _number(r2[j]) is not None)):
            header = r1
            break
    body = rows[1:] if header else rows
    keep = list(range(len(r1)))
    if header and model["label"] and model["label"] in header:
        keep.remove(header.index(model["label"]))
    if len(keep) == F + 1:
        drop = keep[-1]
        if header and model["features"]:
            unknown = [j for j in keep if header[j] not in model["features"]]
            drop = unknown[0] if unknown else drop
        keep.remove(drop)
    if len(keep) != F:
        raise ModelError(f"{path} has {len(keep)} feature columns; the model takes {F}")
    X = np.empty((len(body), F))
    for i, row in enumerate(body):
        for k, j in enumerate(keep):
            v = _number(row[j]) if j < len(row) else None
            if v is None:
                raise ModelError(f"{path}: row {i + 1 + bool(header)}, column {j + 1}: "
                                 f"not a number: {row[j] if j < len(row) else ''!r}")
            X[i, k] = v
    return X


def _csv_field(s):
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\r\n') else s


def output_header(model):
    """The header `cltrain predict` writes, as a list of column names."""
    if model["task"] == "classification":
        return ["class"] + [f"p_{c}" for c in model["classes"]]
    C = model["sizes"][-1]
    if C == 1:
        return ["value"]
    if len(model["targets"]) == C:
        return [f"value_{t}" for t in model["targets"]]
    return [f"value_{j}" for j in range(C)]


def write_predictions(model, P, f):
    """Writes P (from predict) in the CSV format of `cltrain predict`."""
    f.write(",".join(_csv_field(h) for h in output_header(model)) + "\n")
    classify = model["task"] == "classification"
    for row in P:
        cells = ([_csv_field(model["classes"][int(np.argmax(row))])] if classify else [])
        cells += [f"{v:.6g}" if classify else f"{v:.9g}" for v in row]
        f.write(",".join(cells) + "\n")


def compare(model, P, pred_path, tol):
    """Checks cltrain's predictions against P. Returns (ok, report lines)."""
    with open(pred_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    lines, ok = [], True
    want = output_header(model)
    if not rows or rows[0] != want:
        return False, [f"{pred_path}: header {rows[0] if rows else None}, expected {want}"]
    body = rows[1:]
    if len(body) != len(P):
        return False, [f"{pred_path}: {len(body)} rows, the NumPy predictions {len(P)}"]
    classify = model["task"] == "classification"
    first = 1 if classify else 0
    try:
        Q = np.array([[float(c) for c in r[first:]] for r in body], dtype=np.float64)
    except ValueError as e:
        return False, [f"{pred_path}: not a number: {e}"]
    if Q.shape != P.shape:
        return False, [f"{pred_path}: {Q.shape[1] if Q.ndim == 2 else '?'} columns of numbers, "
                       f"expected {P.shape[1]}"]
    if not np.all(np.isfinite(Q)):
        return False, [f"{pred_path}: {int(np.sum(~np.isfinite(Q)))} numbers are not finite"]
    if P.size == 0:
        return False, [f"{pred_path}: no rows to compare"]
    diff = np.abs(Q - P)
    bound = tol if classify else tol + tol * np.abs(P)
    bad = np.argwhere(diff > bound)
    i, j = np.unravel_index(int(np.argmax(diff)), diff.shape)
    kind = "probability" if classify else "value"
    lines.append(f"max |numpy - cltrain| = {diff.max():.3g} per {kind} (row {i + 1}, "
                 f"column {want[first + j]}; tolerance {tol:g}{'' if classify else ' + relative'}"
                 f"), over {P.size} numbers in {len(P)} rows")
    if not classify:
        rel = diff / np.maximum(np.abs(P), 1e-30)
        lines.append(f"max relative difference = {rel.max():.3g}")
    if len(bad):
        ok = False
        for i, j in bad[:5]:
            lines.append(f"FAIL row {i + 1}, column {want[first + j]}: cltrain {Q[i, j]:.9g}, "
                         f"numpy {P[i, j]:.9g}, difference {diff[i, j]:.3g}")
        lines.append(f"FAIL {len(bad)} numbers differ by more than the tolerance")
    if classify:
        ours = P.argmax(axis=1)
        top2 = np.sort(P, axis=1)[:, -2:]
        near = (top2[:, 1] - top2[:, 0]) <= tol
        wrong = []
        for i, r in enumerate(body):
            if r[0] != model["classes"][ours[i]] and not near[i]:
                wrong.append(i)
        disagree = sum(r[0] != model["classes"][ours[i]] for i, r in enumerate(body))
        lines.append(f"classes agree on {len(body) - disagree}/{len(body)} rows "
                     f"({int(near.sum())} near-ties within the tolerance, where either is right)")
        if wrong:
            ok = False
            for i in wrong[:5]:
                probs = ", ".join(f"{v:.6g}" for v in P[i])
                lines.append(f"FAIL row {i + 1}: cltrain says '{body[i][0]}', numpy "
                             f"'{model['classes'][ours[i]]}' (p = {probs})")
            lines.append(f"FAIL {len(wrong)} rows predict another class")
    return ok, lines


# ---- the optional loaders -----------------------------------------------------------------

def check_safetensors_package(model):
    """Reads the file again with the safetensors package: the same tensors, bit for bit, and the
    same metadata. Returns (ok, line), or None when the package is absent."""
    try:
        from safetensors import safe_open
        from safetensors.numpy import load_file
    except ImportError:
        return None
    theirs = load_file(model["path"])
    ours = model["tensors"]
    problems = []
    if set(theirs) != set(ours):
        problems.append(f"tensor names differ: {sorted(theirs)} vs {sorted(ours)}")
    for name in sorted(set(theirs) & set(ours)):
        a, b = theirs[name], ours[name]
        if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
            problems.append(f"tensor '{name}' differs ({a.dtype}{list(a.shape)} vs "
                            f"{b.dtype}{list(b.shape)})")
    with safe_open(model["path"], framework="numpy") as f:
        meta = f.metadata() or {}
    if meta != model["metadata"]:
        problems.append("the metadata differs")
    if problems:
        return False, "safetensors.numpy.load_file: FAIL " + "; ".join(problems)
    return True, (f"safetensors.numpy.load_file: {len(theirs)} tensors bit-identical to the "
                  "plain-NumPy loader's, same metadata")


def torch_predict(model, X):
    """The forward pass with torch in float64 (torch.nn.functional); None without torch."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None

    def tensor(t):  # a float32 array from the file, as a float64 tensor (a copy: writable)
        return torch.from_numpy(np.array(t, dtype=np.float64))

    A = torch.from_numpy(np.asarray(X, dtype=np.float64))
    if model["scaler"] is not None:
        mean, std = (tensor(t) for t in model["scaler"])
        A = (A - mean) / std
    last = len(model["weights"]) - 1
    for i, (W, b) in enumerate(zip(model["weights"], model["biases"])):
        A = F.linear(A, tensor(W), tensor(b))
        if i == last:
            break
        if model["norm"][i] is not None:  # torch's own modules, loaded from the file's tensors
            kind, eps, g, be, rm, rv = model["norm"][i]
            n = A.shape[1]
            mod = (torch.nn.BatchNorm1d(n, eps=eps) if kind == "batch"
                   else torch.nn.LayerNorm(n, eps=eps)).double()
            state = {"weight": tensor(g), "bias": tensor(be)}
            if kind == "batch":
                state.update(running_mean=tensor(rm), running_var=tensor(rv))
            mod.load_state_dict(state, strict=kind == "layer")
            mod.eval()
            with torch.no_grad():
                A = mod(A)
        act, alpha = model["activations"][i], model["alpha"][i]
        A = {"identity": lambda z: z, "relu": F.relu, "tanh": torch.tanh,
             "sigmoid": torch.sigmoid,
             "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=alpha),
             "elu": lambda z: F.elu(z, alpha=alpha),
             "gelu": lambda z: F.gelu(z, approximate="tanh"), "silu": F.silu}[act](A)
    if model["loss"] == "ce":
        A = torch.softmax(A, dim=1)
    elif model["loss"] == "bce":
        p = torch.sigmoid(A[:, 0])
        A = torch.stack([1 - p, p], dim=1)
    return A.numpy(), torch.__version__


# ---- the command line ---------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Predict with a cltrain model using only NumPy, or check cltrain's "
                    "predictions against NumPy's.")
    ap.add_argument("model", help="a model saved by cltrain train --save (.safetensors)")
    ap.add_argument("data", help="the inputs: CSV (as given to cltrain predict) or .npy")
    ap.add_argument("-o", "--output", help="write the predictions here (default: stdout)")
    ap.add_argument("--compare", metavar="PRED.csv",
                    help="check these predictions of cltrain predict against NumPy's")
    ap.add_argument("--tol", type=float, default=1e-5,
                    help="absolute tolerance per probability or value (values: also relative); "
                         "default 1e-5")
    ap.add_argument("--torch-tol", type=float, default=1e-9,
                    help="largest |torch - numpy| difference, both float64 (default 1e-9)")
    ap.add_argument("--no-safetensors", action="store_true", help="skip the safetensors check")
    ap.add_argument("--no-torch", action="store_true", help="skip the torch check")
    a = ap.parse_args(argv)
    try:
        model = load(a.model)
        X = read_inputs(a.data, model)
        P = predict(model, X)
    except (ModelError, OSError) as e:
        print(f"load_model.py: error: {e}", file=sys.stderr)
        return 1
    ok = True
    log = sys.stdout if a.compare else sys.stderr
    loaders = ["plain NumPy " + np.__version__]
    desc = (f"{a.model}: {'-'.join(map(str, model['sizes']))} "
            f"{','.join(model['activations']) or 'no hidden layer'} -> {model['loss']}"
            f"{', standardized' if model['scaler'] is not None else ''}; {len(X)} rows")
    print(desc, file=log)
    if not a.no_safetensors:
        r = check_safetensors_package(model)
        if r is None:
            print("safetensors package: not installed, skipped", file=log)
        else:
            ok &= r[0]
            print(r[1], file=log)
            loaders.append("safetensors.numpy")
    if not a.no_torch:
        r = torch_predict(model, X)
        if r is None:
            print("torch: not installed, skipped", file=log)
        else:
            T, version = r
            d = float(np.max(np.abs(T - P))) if P.size else 0.0
            good = d <= a.torch_tol
            ok &= good
            print(f"torch {version} float64 forward: max |torch - numpy| = {d:.3g} "
                  f"(tolerance {a.torch_tol:g}){'' if good else ' FAIL'}", file=log)
            loaders.append("torch " + version)
    print("loaders: " + ", ".join(loaders), file=log)
    if a.compare:
        try:
            good, lines = compare(model, P, a.compare, a.tol)
        except OSError as e:
            good, lines = False, [f"{e}"]
        ok &= good
        for line in lines:
            print(line)
        print("compare: " + ("ok" if ok else "FAIL"))
    else:
        if a.output:
            with open(a.output, "w", encoding="utf-8", newline="") as f:
                write_predictions(model, P, f)
        else:
            write_predictions(model, P, sys.stdout)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
