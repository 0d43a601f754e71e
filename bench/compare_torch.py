#!/usr/bin/env python3
"""The benchmark suite in PyTorch beside cltrain, measured side by side in one run.

For each net of `cltrain bench` (a: 784-256-128-10 at batch 64 and 256, b: 100-50-10 b32,
c: 1000-500-200-100-10 b256, d: 10000-5000-1000-100 b1024, e: 2-64-32-1 b64) it times one
training step (forward, loss, backward, Adam) in PyTorch on the CPU with the best thread
setting (and on CUDA when there is a GPU), runs `cltrain bench --no-gemm` on the same nets, and
prints both with the ratio. The two are measured in turns, net by net, for --rounds rounds: the
table gives the median step times and the median (and range) of the rounds' ratios, so load
that comes and goes on a shared machine shows as spread instead of skewing one side. It also
checks that the first loss agrees: the same weights and the same batch go through
`cltrain explain --json` (device and reference) and through PyTorch.

usage: bench/compare_torch.py [--cltrain build/cltrain] [--nets a64,b] [--repeats 5] [--rounds 3]
needs: python3 with torch and numpy (pip install torch numpy)
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from statistics import median

try:
    import numpy as np
    import torch
except ImportError as e:  # a clear line, not a traceback
    sys.exit(f"compare_torch.py: error: {e.name} is not installed (pip install torch numpy)")

SUITE = {  # name: (sizes, batch, loss)
    "a64": ([784, 256, 128, 10], 64, "ce"),
    "a256": ([784, 256, 128, 10], 256, "ce"),
    "b": ([100, 50, 10], 32, "ce"),
    "c": ([1000, 500, 200, 100, 10], 256, "ce"),
    "d": ([10000, 5000, 1000, 100], 1024, "ce"),
    "e": ([2, 64, 32, 1], 64, "bce"),
}


def make_net(sizes, device):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(device)


def step_time(name, device, repeats, threads=None):
    """Median seconds of one training step, as cltrain bench measures it (4 batches cycled)."""
    sizes, batch, loss_kind = SUITE[name]
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = make_net(sizes, device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.rand(4 * batch, sizes[0], device=device) * 2 - 1
    if loss_kind == "ce":
        y = torch.randint(0, sizes[-1], (4 * batch,), device=device)
        lossf = torch.nn.CrossEntropyLoss()
    else:
        y = torch.randint(0, 2, (4 * batch, 1), device=device).float()
        lossf = torch.nn.BCEWithLogitsLoss()
    flops = sum(2 * batch * sizes[i] * sizes[i + 1] * (3 if i else 2) for i in range(len(sizes) - 1))
    steps = 1 if flops > 1e10 else 5 if flops > 1e8 else 40

    def run(n):
        for s in range(n):
            xb, yb = x[(s % 4) * batch:(s % 4 + 1) * batch], y[(s % 4) * batch:(s % 4 + 1) * batch]
            opt.zero_grad(set_to_none=True)
            loss = lossf(net(xb), yb)
            loss.backward()
            opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    run(2)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(steps)
        times.append((time.perf_counter() - t0) / steps)
    times.sort()
    return times[len(times) // 2]


def cltrain_bench(binary, nets, repeats):
    """Device step times (s) from `cltrain bench --no-gemm`."""
    out = subprocess.run([binary, "bench", "--no-gemm", "--nets", ",".join(nets), "--repeats", str(repeats)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        marked = [l.strip() for l in out.stdout.splitlines() if "!" in l or l.startswith("  copy in")]
        sys.exit(f"compare_torch.py: error: cltrain bench --nets {','.join(nets)} failed: "
                 f"{out.stderr.strip()}" + "".join(f"\n  {l}" for l in marked))
    result, header = {}, ""
    for line in out.stdout.splitlines():
        if line.startswith("cltrain bench on"):
            header = line
        m = re.match(r"^(\w+)\s+[\d-]+ b\d+\s+([\d.]+)\s+([\d.]+|skipped)", line)
        if m and m.group(1) in SUITE:
            result[m.group(1)] = (float(m.group(2)) / 1e3, None if m.group(3) == "skipped" else float(m.group(3)) / 1e3)
    return result, header


def first_loss_check(binary):
    """The same weights and batch through cltrain explain and through PyTorch: the losses agree."""
    torch.manual_seed(3)
    sizes = [20, 16, 8, 5]
    net = make_net(sizes, torch.device("cpu"))
    x = torch.rand(7, sizes[0]) * 2 - 1
    y = torch.randint(0, sizes[-1], (7,))
    loss = torch.nn.CrossEntropyLoss()(net(x), y).item()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    model = {"layers": [], "loss": "ce"}
    for i, m in enumerate(linears):
        layer = {"weight": m.weight.detach().numpy().astype(float).tolist(),
                 "bias": m.bias.detach().numpy().astype(float).tolist()}
        layer["activation"] = "relu" if i + 1 < len(linears) else "softmax"
        model["layers"].append(layer)
    with tempfile.TemporaryDirectory() as d:
        mpath, cpath = os.path.join(d, "m.json"), os.path.join(d, "batch.csv")
        with open(mpath, "w") as f:
            json.dump(model, f)
        with open(cpath, "w") as f:
            f.write(",".join(f"x{j}" for j in range(sizes[0])) + ",label\n")
            for r in range(7):
                f.write(",".join(repr(float(v)) for v in x[r].tolist()) + f",{int(y[r])}\n")
        out = subprocess.run([binary, "explain", "--model", mpath, "--inputs", cpath, "--json"],
                             capture_output=True, text=True)
    if out.returncode != 0:
        return f"first-loss check failed to run: {out.stderr.strip()}", False
    j = json.loads(out.stdout)
    dev, ref = j["loss"], j["reference"]["loss"]
    ok = abs(dev - loss) <= 1e-5 * max(1, abs(loss)) and abs(ref - loss) <= 1e-6 * max(1, abs(loss))
    return (f"first loss of a 20-16-8-5 net on one batch: PyTorch {loss:.8f}, cltrain device {dev:.8f}, "
            f"reference {ref:.8f} ({'agree' if ok else 'DISAGREE'})"), ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cltrain", default=os.path.join(os.path.dirname(__file__), "..", "build", "cltrain"))
    ap.add_argument("--nets", default=",".join(SUITE))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", default="1,2",
                    help="PyTorch CPU thread counts to try (best is kept); 0: no CPU timing (GPU checks)")
    ap.add_argument("--rounds", type=int, default=3, help="turns of cltrain and PyTorch per net (medians)")
    a = ap.parse_args()
    if a.rounds < 1 or a.repeats < 1:
        sys.exit("compare_torch.py: error: --rounds and --repeats must be at least 1")
    nets = a.nets.split(",")
    for n in nets:
        if n not in SUITE:
            sys.exit(f"compare_torch.py: error: unknown net '{n}' ({', '.join(SUITE)})")
    if not os.access(a.cltrain, os.X_OK):
        sys.exit(f"compare_torch.py: error: no cltrain binary at {a.cltrain} (build first, or --cltrain PATH)")

    msg, ok = first_loss_check(a.cltrain)
    print(msg)
    cuda = torch.cuda.is_available()
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    try:
        threads = [int(v) for v in a.threads.split(",")]
    except ValueError:
        sys.exit(f"compare_torch.py: error: --threads takes counts such as 1,2 (got '{a.threads}')")
    if threads == [0]:
        threads = []
    elif any(t < 1 for t in threads):
        sys.exit("compare_torch.py: error: --threads counts must be at least 1 (or just 0)")
    rows, header = {}, ""
    for n in nets:
        r = rows[n] = {"dev": [], "cpu": [], "thr": [], "ratio": [], "cuda": []}
        for _ in range(a.rounds):
            cl, header = cltrain_bench(a.cltrain, [n], a.repeats)
            dev = cl.get(n, (float("nan"), None))[0]
            best, best_t = None, None
            for t in threads:
                s = step_time(n, torch.device("cpu"), a.repeats, t)
                if best is None or s < best:
                    best, best_t = s, t
            r["dev"].append(dev)
            if best is not None:
                r["cpu"].append(best)
                r["thr"].append(best_t)
                r["ratio"].append(best / dev)
            if cuda:
                r["cuda"].append(step_time(n, torch.device("cuda"), a.repeats))
    print(header)
    print(f"PyTorch {torch.__version__}, CPU threads tried: {a.threads}; CUDA: {cuda}; "
          f"{a.rounds} rounds, medians")
    cols = "net    cltrain ms  torch cpu ms (threads)  torch/cltrain (range)"
    print(cols + ("  torch cuda ms  cuda/cltrain" if cuda else ""))
    for n in nets:
        r = rows[n]
        if r["cpu"]:
            thr = max(set(r["thr"]), key=r["thr"].count)
            lo, hi = min(r["ratio"]), max(r["ratio"])
            line = (f"{n:6} {median(r['dev']) * 1e3:10.3f}  {median(r['cpu']) * 1e3:12.3f} ({thr})  "
                    f"{median(r['ratio']):12.2f}x ({lo:.2f}-{hi:.2f})")
        else:
            line = f"{n:6} {median(r['dev']) * 1e3:10.3f}  {'not timed':>16}  {'-':>20}"
        if cuda:
            g = median(r["cuda"])
            line += f"  {g * 1e3:13.3f}  {g / median(r['dev']):11.2f}x"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
