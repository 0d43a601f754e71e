#!/usr/bin/env python3
"""Batch norm and layer norm against PyTorch's own modules: torch.nn.BatchNorm1d and
torch.nn.LayerNorm in float64, forward and backward, training and evaluation mode, beside
`cltrain explain --json` (the reference's numbers and the device's).

usage: torch_norm.py path/to/cltrain
Exit 77 (a skip, with the reason) when torch or NumPy cannot be imported; 1 on a difference.
"""

import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"skipped: PyTorch or NumPy is not importable here ({e})")
    sys.exit(77)

REF_TOL = 1e-9  # the reference computes in double, as torch does here
DEV_TOL = 1e-4  # the device in float32, relative to each tensor's largest value


def explain(binary, model, inputs, mode_eval):
    cmd = [binary, "explain", "--model", model, "--inputs", inputs, "--json"]
    if mode_eval:
        cmd.append("--eval")
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(cmd)}: exit {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main():
    binary = sys.argv[1]
    rng = np.random.default_rng(int(os.environ.get("CT_TEST_SEED", "20261203")))
    n_in, h1, h2, n_out, B = 5, 7, 6, 3, 9
    W1, b1 = rng.normal(0, 0.6, (h1, n_in)), rng.normal(0, 0.2, h1)
    W2, b2 = rng.normal(0, 0.5, (h2, h1)), rng.normal(0, 0.2, h2)
    W3, b3 = rng.normal(0, 0.5, (n_out, h2)), rng.normal(0, 0.2, n_out)
    g1, be1 = rng.uniform(0.5, 1.5, h1), rng.normal(0, 0.3, h1)
    rm1, rv1 = rng.normal(0, 0.5, h1), rng.uniform(0.5, 2.0, h1)
    g2, be2 = rng.uniform(0.5, 1.5, h2), rng.normal(0, 0.3, h2)
    # the file's float32 values, which torch is given too
    eps1, eps2, mom = (float(np.float32(v)) for v in (1e-3, 1e-5, 0.3))
    # float32 values, as the model file holds them
    f32 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)
    W1, b1, W2, b2, W3, b3, g1, be1, rm1, rv1, g2, be2 = map(
        f32, (W1, b1, W2, b2, W3, b3, g1, be1, rm1, rv1, g2, be2))
    X = f32(rng.normal(0, 1, (B, n_in)))
    y = rng.integers(0, n_out, B)
    model = {"layers": [
        {"weight": W1.tolist(), "bias": b1.tolist(), "activation": "tanh", "norm": "batch",
         "norm_weight": g1.tolist(), "norm_bias": be1.tolist(), "running_mean": rm1.tolist(),
         "running_var": rv1.tolist(), "norm_eps": eps1, "norm_momentum": mom},
        {"weight": W2.tolist(), "bias": b2.tolist(), "activation": "gelu", "norm": "layer",
         "norm_weight": g2.tolist(), "norm_bias": be2.tolist(), "norm_eps": eps2},
        {"weight": W3.tolist(), "bias": b3.tolist(), "activation": "linear"}],
        "loss": "ce"}
    tmp = tempfile.mkdtemp()
    mpath, xpath = os.path.join(tmp, "m.json"), os.path.join(tmp, "x.csv")
    with open(mpath, "w") as f:
        json.dump(model, f)
    with open(xpath, "w") as f:
        f.write(",".join(f"x{j}" for j in range(n_in)) + ",label\n")
        for i in range(B):
            f.write(",".join(repr(float(v)) for v in X[i]) + f",{y[i]}\n")

    t = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)
    worst = {"reference": 0.0, "device": 0.0}
    failed = 0
    for mode_eval in (False, True):
        lin1, lin2, lin3 = (torch.nn.Linear(i, o).double() for i, o in
                            ((n_in, h1), (h1, h2), (h2, n_out)))
        bn = torch.nn.BatchNorm1d(h1, eps=eps1, momentum=mom).double()
        ln = torch.nn.LayerNorm(h2, eps=eps2).double()
        with torch.no_grad():
            for lin, W, b in ((lin1, W1, b1), (lin2, W2, b2), (lin3, W3, b3)):
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
            bn.weight.copy_(torch.from_numpy(g1))
            bn.bias.copy_(torch.from_numpy(be1))
            bn.running_mean.copy_(torch.from_numpy(rm1))
            bn.running_var.copy_(torch.from_numpy(rv1))
            ln.weight.copy_(torch.from_numpy(g2))
            ln.bias.copy_(torch.from_numpy(be2))
        bn.train(not mode_eval)
        ln.train(not mode_eval)
        xt = torch.from_numpy(X)
        z1 = lin1(xt)
        z1.retain_grad()
        y1 = bn(z1)
        a1 = torch.tanh(y1)
        z2 = lin2(a1)
        z2.retain_grad()
        y2 = ln(z2)
        a2 = F.gelu(y2, approximate="tanh")
        z3 = lin3(a2)
        loss = F.cross_entropy(z3, torch.from_numpy(y))
        loss.backward()
        want = {
            "loss": [loss.item()],
            "0.norm_out": y1, "0.a": a1, "0.delta": z1.grad,
            "0.grad_weight": lin1.weight.grad, "0.grad_bias": lin1.bias.grad,
            "0.grad_norm_weight": bn.weight.grad, "0.grad_norm_bias": bn.bias.grad,
            "0.running_mean": bn.running_mean, "0.running_var": bn.running_var,
            "1.norm_out": y2, "1.a": a2, "1.delta": z2.grad,
            "1.grad_weight": lin2.weight.grad, "1.grad_norm_weight": ln.weight.grad,
            "1.grad_norm_bias": ln.bias.grad, "2.grad_weight": lin3.weight.grad,
        }
        if not mode_eval:  # the batch's statistics: mean and biased variance
            want["0.mean"] = z1.mean(0)
            want["0.var"] = z1.var(0, unbiased=False)
            want["1.mean"] = z2.mean(1)
            want["1.var"] = z2.var(1, unbiased=False)
        got = explain(binary, mpath, xpath, mode_eval)
        for side, obj, tol in (("reference", got["reference"], REF_TOL), ("device", got, DEV_TOL)):
            for key, w in want.items():
                w = np.asarray(w.detach().numpy() if torch.is_tensor(w) else w, dtype=np.float64)
                if key == "loss":
                    g = np.asarray([obj["loss"]])
                else:
                    layer, name = key.split(".")
                    g = np.asarray(obj["layers"][int(layer)][name], dtype=np.float64)
                if g.shape != w.shape:
                    print(f"FAIL {side} {key}: shape {g.shape}, torch {w.shape}")
                    failed += 1
                    continue
                scale = np.max(np.abs(w))
                if key == "0.grad_bias" and not mode_eval:
                    # 0 by construction (the batch norm subtracts the batch mean): measured
                    # against the layer's weight gradient
                    scale = np.max(np.abs(want["0.grad_weight"].detach().numpy()))
                err = float(np.max(np.abs(g - w)) / max(scale, 1e-30))
                worst[side] = max(worst[side], err)
                if not err <= tol:
                    print(f"FAIL {'eval' if mode_eval else 'train'} {side} {key}: "
                          f"max |cltrain - torch| / max |torch| = {err:.3g} > {tol:g}")
                    failed += 1
        print(f"{'evaluation' if mode_eval else 'training'} mode: {len(want)} tensors against "
              f"torch {torch.__version__} BatchNorm1d / LayerNorm (float64)")
    print(f"largest error, relative to each tensor's largest value: reference "
          f"{worst['reference']:.3g} (tolerance {REF_TOL:g}), device {worst['device']:.3g} "
          f"(tolerance {DEV_TOL:g})")
    print(f"torch_norm: {'FAIL' if failed else 'ok'} ({failed} differences)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
