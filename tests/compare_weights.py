#!/usr/bin/env python3
"""Compares the weights of two cltrain models (safetensors, read with NumPy only).

usage: compare_weights.py A B [--tol REL] [--identical]
Prints the largest |A - B| over every weight and bias, and that over the largest |A| (rel).
Exit 0 when rel <= REL (or, with --identical, when every tensor is bit-identical), else 1.
"""
import json
import struct
import sys

import numpy as np


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        s, e = t["data_offsets"]
        out[name] = np.frombuffer(data[s:e], dtype=np.float32).reshape(t["shape"])
    return out


def main():
    args = sys.argv[1:]
    tol, identical = None, False
    if "--identical" in args:
        identical = True
        args.remove("--identical")
    if "--tol" in args:
        i = args.index("--tol")
        tol = float(args[i + 1])
        del args[i : i + 2]
    if len(args) != 2 or (tol is None and not identical):
        print(__doc__, file=sys.stderr)
        return 2
    a, b = load(args[0]), load(args[1])
    names = sorted(k for k in a if k.startswith("layers."))
    if not names or names != sorted(k for k in b if k.startswith("layers.")):
        print(f"compare_weights: the models have different tensors: {sorted(a)} vs {sorted(b)}")
        return 1
    for k in names:
        if a[k].shape != b[k].shape:
            print(f"compare_weights: {k} has shape {a[k].shape} vs {b[k].shape}")
            return 1
    diff = max(float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in names)
    scale = max(float(np.max(np.abs(a[k]))) for k in names)
    rel = diff / scale if scale > 0 else diff
    same = all(np.array_equal(a[k], b[k]) for k in names)
    print(f"{len(names)} tensors: max |diff| {diff:.3g}, relative {rel:.3g}, bit-identical {same}")
    if identical:
        return 0 if same else 1
    return 0 if rel <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
