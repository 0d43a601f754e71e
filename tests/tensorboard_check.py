"""Reads the TensorBoard event files that tests/tensorboard_cli.sh made and compares every point with
the run's --log CSV (and the --stats table, the saved model, the lr-find CSV).

usage: tensorboard_check.py independent|tensorboard WORK

independent: a reader of our own in the standard library alone: the TFRecord framing with both
masked CRC-32C checksums of every record checked, and the protobuf wire format of Event, Summary,
Summary.Value and HistogramProto parsed field by field (an unknown field is an error).
tensorboard: TensorBoard's own event_accumulator (the `tensorboard` package).
Exit 0 when every value agrees, 1 with one line per difference otherwise."""
import csv
import glob
import json
import math
import os
import re
import struct
import sys

errors = []


def fail(text):
    errors.append(text)
    print("tensorboard_check: error: " + text)


# ---- the independent reader -------------------------------------------------------------------


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283, "CRC-32C of the check string"


def varint(b, i):
    v = shift = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return v, i


def fields(b):
    """(field, wire, value) of a message: value an int (varint), bytes (length-delimited) or the
    raw 4 or 8 bytes."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        elif w == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % w)
        yield f, w, v


def read_histo(b):
    h = {"bucket_limit": [], "bucket": []}
    names = {1: "min", 2: "max", 3: "num", 4: "sum", 5: "sum_squares"}
    for f, w, v in fields(b):
        if f in names and w == 1:
            h[names[f]] = struct.unpack("<d", v)[0]
        elif f in (6, 7) and w == 2:
            h["bucket_limit" if f == 6 else "bucket"] += list(struct.unpack("<%dd" % (len(v) // 8), v))
        else:
            raise ValueError("HistogramProto field %d" % f)
    return h


def read_file_independent(path):
    """[(step, tag, kind, value)] of one event file; the framing and checksums checked."""
    data = open(path, "rb").read()
    out, i, first = [], 0, True
    while i < len(data):
        if i + 12 > len(data):
            raise ValueError("%s: a truncated record header at byte %d" % (path, i))
        head = data[i:i + 8]
        (n,) = struct.unpack("<Q", head)
        (lc,) = struct.unpack("<I", data[i + 8:i + 12])
        if lc != masked(head):
            raise ValueError("%s: the length checksum of the record at byte %d is wrong" % (path, i))
        body = data[i + 12:i + 12 + n]
        (dc,) = struct.unpack("<I", data[i + 12 + n:i + 16 + n])
        if len(body) != n or dc != masked(body):
            raise ValueError("%s: the data checksum of the record at byte %d is wrong" % (path, i))
        i += 16 + n
        step, version, summary = 0, None, None
        for f, w, v in fields(body):
            if f == 1 and w == 1:
                wall = struct.unpack("<d", v)[0]
                if not wall > 1e9:
                    raise ValueError("%s: wall_time %r" % (path, wall))
            elif f == 2 and w == 0:
                step = v
            elif f == 3 and w == 2:
                version = v.decode()
            elif f == 5 and w == 2:
                summary = v
            else:
                raise ValueError("%s: Event field %d (wire %d)" % (path, f, w))
        if first:
            if version != "brain.Event:2":
                raise ValueError("%s: the first record is not file_version brain.Event:2" % path)
            first = False
            continue
        if summary is None:
            raise ValueError("%s: an Event without a summary" % path)
        for f, w, v in fields(summary):
            if f != 1 or w != 2:
                raise ValueError("%s: Summary field %d" % (path, f))
            tag, val, kind = None, None, None
            for g, w2, x in fields(v):
                if g == 1 and w2 == 2:
                    tag = x.decode()
                elif g == 2 and w2 == 5:
                    val, kind = struct.unpack("<f", x)[0], "scalar"
                elif g == 5 and w2 == 2:
                    val, kind = read_histo(x), "histo"
                else:
                    raise ValueError("%s: Summary.Value field %d" % (path, g))
            out.append((step, tag, kind, val))
    return out


def load_independent(rundir):
    """{tag: [(step, value)]} over the run's files in name order; steps must not go back."""
    runs = {}
    files = sorted(glob.glob(os.path.join(rundir, "events.out.tfevents.*")))
    if not files:
        fail("%s: no event file" % rundir)
    for path in files:
        for step, tag, kind, val in read_file_independent(path):
            runs.setdefault(tag, []).append((step, val))
    return runs, len(files)


# ---- TensorBoard's reader ---------------------------------------------------------------------


def load_tensorboard(rundir):
    from tensorboard.backend.event_processing import event_accumulator as ea

    acc = ea.EventAccumulator(rundir, size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0})
    acc.Reload()
    runs = {}
    for tag in acc.Tags()["scalars"]:
        runs[tag] = [(e.step, e.value) for e in acc.Scalars(tag)]
    for tag in acc.Tags()["histograms"]:
        runs[tag] = [(e.step, {"min": e.histogram_value.min, "max": e.histogram_value.max,
                               "num": e.histogram_value.num, "sum": e.histogram_value.sum,
                               "sum_squares": e.histogram_value.sum_squares,
                               "bucket_limit": list(e.histogram_value.bucket_limit),
                               "bucket": list(e.histogram_value.bucket)})
                     for e in acc.Histograms(tag)]
    files = len(glob.glob(os.path.join(rundir, "events.out.tfevents.*")))
    return runs, files


# ---- comparisons ------------------------------------------------------------------------------


def close(got, want, rel, ab=0.0):
    return abs(got - want) <= ab + rel * abs(want)


def csv_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def check_series(where, run, tag, want, rel=1e-6, ab=0.0):
    """want: [(step, value)] in order; the run's points must be exactly these."""
    got = run.get(tag)
    if got is None:
        fail("%s: no tag %s (tags: %s)" % (where, tag, ", ".join(sorted(run))))
        return
    if [s for s, _ in got] != [s for s, _ in want]:
        fail("%s %s: steps %s, expected %s" % (where, tag, [s for s, _ in got], [s for s, _ in want]))
        return
    for (s, g), (_, w) in zip(got, want):
        # a float32 point against the CSV's decimal text
        if not close(g, w, rel + 6e-8, ab):
            fail("%s %s step %d: %.9g, the CSV has %.9g" % (where, tag, s, g, w))


def num(x):
    return float(x) if x != "" else math.nan


def check_epochs(where, runs, log, classification, has_val):
    rows = csv_rows(log)
    if rows and not {"train_mae", "val_mae"} <= set(rows[0]):
        fail("%s: %s has no train_mae and val_mae columns (%s)" % (where, log, ", ".join(rows[0])))
        return len(rows)
    train = runs["train"]
    check_series(where + " train", train, "epoch_loss",
                 [(int(r["epoch"]) - 1, num(r["train_loss"])) for r in rows])
    check_series(where + " train", train, "epoch_learning_rate",
                 [(int(r["epoch"]) - 1, num(r["lr"])) for r in rows])
    if classification:
        check_series(where + " train", train, "epoch_accuracy",
                     [(int(r["epoch"]) - 1, num(r["train_acc"])) for r in rows], 0, 1e-6)
        if "epoch_mae" in train or any(r["train_mae"] or r["val_mae"] for r in rows):
            fail("%s: a classification run has a mean absolute error" % where)
    else:
        check_series(where + " train", train, "epoch_mae",
                     [(int(r["epoch"]) - 1, num(r["train_mae"])) for r in rows])
        if "epoch_accuracy" in train:
            fail("%s: a regression run has epoch_accuracy" % where)
    if has_val:
        val = runs["validation"]
        check_series(where + " validation", val, "epoch_loss",
                     [(int(r["epoch"]) - 1, num(r["val_loss"])) for r in rows])
        if classification:
            check_series(where + " validation", val, "epoch_accuracy",
                         [(int(r["epoch"]) - 1, num(r["val_acc"])) for r in rows], 0, 1e-6)
        else:
            check_series(where + " validation", val, "epoch_mae",
                         [(int(r["epoch"]) - 1, num(r["val_mae"])) for r in rows])
    elif "validation" in runs:
        fail("%s: a validation run without validation data" % where)
    return len(rows)


def stats_tables(out):
    """[[(mean, std, dead or None, grad)] per layer] per epoch, from the --stats output."""
    tables, cur = [], None
    for line in open(out):
        if line.strip().startswith("layer  activation"):
            cur = []
            tables.append(cur)
            continue
        m = re.match(r"^\s{4}(\d+)\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", line)
        if m and cur is not None:
            dead = None if m.group(4) == "-" else float(m.group(4).rstrip("%")) / 100
            cur.append((float(m.group(2)), float(m.group(3)), dead, float(m.group(5))))
        else:
            cur = None
    return tables


def check_stats(where, train, out):
    tables = stats_tables(out)
    if not tables:
        fail("%s: no --stats table in %s" % (where, out))
    for e, table in enumerate(tables):
        for l, (mean, std, dead, grad) in enumerate(table):
            for name, want in (("activation_mean", mean), ("activation_std", std),
                               ("dead_fraction", dead), ("weight_gradient_norm", grad)):
                tag = "layer_%d/%s" % (l, name)
                pts = dict(train.get(tag, []))
                if want is None:
                    if pts:
                        fail("%s: %s for a layer without dead units" % (where, tag))
                    continue
                if e not in pts:
                    fail("%s: no %s at step %d" % (where, tag, e))
                elif not close(pts[e], want, 6e-4, 6e-4 if name == "dead_fraction" else 1e-12):
                    fail("%s: %s step %d: %.6g, --stats printed %.4g" % (where, tag, e, pts[e], want))


def safetensors(path):
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    head = json.loads(b[8:8 + n])
    out = {}
    for name, t in head.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        lo, hi = t["data_offsets"]
        raw = b[8 + n + lo:8 + n + hi]
        out[name] = struct.unpack("<%df" % (len(raw) // 4), raw)
    return out


def check_histograms(where, train, model, epochs):
    tensors = safetensors(model)
    for l in range(16):
        for part in ("weight", "bias"):
            tag, name = "layer_%d/%s" % (l, part), "layers.%d.%s" % (l, part)
            if name not in tensors:
                continue
            pts = train.get(tag)
            if not pts or [s for s, _ in pts] != list(range(epochs)):
                fail("%s: %s at steps %s, expected 0..%d" % (where, tag, pts and [s for s, _ in pts], epochs - 1))
                continue
            w = tensors[name]
            h = pts[-1][1]
            want = {"min": min(w), "max": max(w), "num": len(w), "sum": math.fsum(w),
                    "sum_squares": math.fsum(x * x for x in w)}
            for k, v in want.items():
                if not close(h[k], v, 1e-9, 1e-9):
                    fail("%s: %s last epoch %s %.9g, the saved model gives %.9g" % (where, tag, k, h[k], v))
            if sum(h["bucket"]) != len(w) or len(h["bucket"]) != len(h["bucket_limit"]):
                fail("%s: %s buckets hold %g values of %d" % (where, tag, sum(h["bucket"]), len(w)))
            if h["bucket_limit"][-1] != h["max"]:
                fail("%s: %s the last bucket ends at %g, not the max %g" % (where, tag, h["bucket_limit"][-1], h["max"]))
            for i, limit in enumerate(h["bucket_limit"]):
                lower = h["bucket_limit"][i - 1] if i else -math.inf
                count = sum(1 for x in w if lower < x <= limit or (i == 0 and x == h["min"]))
                if count != h["bucket"][i]:
                    fail("%s: %s bucket %d holds %g, the weights give %d" % (where, tag, i, h["bucket"][i], count))
                    break


def main():
    mode, work = sys.argv[1], sys.argv[2]
    load = load_independent if mode == "independent" else load_tensorboard

    def runs_of(d):
        out, files = {}, {}
        for run in ("train", "validation"):
            if os.path.isdir(os.path.join(d, run)):
                out[run], files[run] = load(os.path.join(d, run))
        return out, files

    # classification with validation, --stats and --tensorboard-histograms
    runs, _ = runs_of(os.path.join(work, "tb_class"))
    n = check_epochs("classification", runs, os.path.join(work, "class.csv"), True, True)
    check_stats("classification", runs["train"], os.path.join(work, "class.out"))
    check_histograms("classification", runs["train"], os.path.join(work, "class.safetensors"), n)
    # regression with validation
    runs, _ = runs_of(os.path.join(work, "tb_reg"))
    check_epochs("regression", runs, os.path.join(work, "reg.csv"), False, True)
    # a Huber regression with --val-data: the last epoch's validation MAE is the mean of
    # |prediction - target| over the validation rows (cltrain predict's output of the saved model)
    runs, _ = runs_of(os.path.join(work, "tb_reg2"))
    rows = csv_rows(os.path.join(work, "reg2.csv"))
    check_epochs("huber regression", runs, os.path.join(work, "reg2.csv"), False, True)
    want = csv_rows(os.path.join(work, "reg2_val.csv"))
    got = csv_rows(os.path.join(work, "reg2_pred.csv"))
    if len(got) != len(want) or not want or "value" not in got[0]:
        fail("huber regression: %d predictions of %d rows (columns %s)"
             % (len(got), len(want), got and list(got[0])))
    else:
        mae = math.fsum(abs(float(g["value"]) - float(w["y"])) for g, w in zip(got, want)) / len(want)
        last = float(rows[-1]["val_mae"])
        if not close(last, mae, 1e-5):
            fail("huber regression: the last val_mae %.9g, the predictions give %.9g" % (last, mae))
    # a resumed run: a second file in each run, its steps after the first's
    runs, files = runs_of(os.path.join(work, "tb_resume"))
    n = check_epochs("resumed", runs, os.path.join(work, "resume.csv"), True, False)
    if files.get("train") != 2 or n != 4:
        fail("resumed: %s event files in train and %d epochs, expected 2 files and 4 epochs" % (files.get("train"), n))
    # lr-find
    runs, _ = runs_of(os.path.join(work, "tb_lrfind"))
    rows = csv_rows(os.path.join(work, "lrfind.csv"))
    for tag, col in (("lr_find/loss", "loss"), ("lr_find/smoothed_loss", "smoothed_loss"),
                     ("lr_find/learning_rate", "lr")):
        check_series("lr-find", runs.get("train", {}), tag,
                     [(int(r["step"]) - 1, float(r[col])) for r in rows])
    points = sum(len(v) for r in runs.values() for v in r.values())
    if errors:
        print("tensorboard_check (%s reader): %d differences" % (mode, len(errors)))
        return 1
    print("tensorboard_check (%s reader): every value agrees (the last part read: %d points)" % (mode, points))
    return 0


if __name__ == "__main__":
    sys.exit(main())
