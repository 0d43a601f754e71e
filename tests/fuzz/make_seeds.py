#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into tests/fuzz/corpus/<harness>/.

The seeds are committed; run this only to change them (python3, standard library only):
    python3 tests/fuzz/make_seeds.py
It removes nothing: a file it no longer writes stays until you delete it (regression inputs
found by fuzzing are added by hand and must stay). The input layouts (option bytes before the
file) are described in each harness and in README.md.
"""
import gzip
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
EXAMPLES = os.path.join(HERE, "..", "..", "examples")


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


# ---- CSV: byte 0 options, byte 1 index/name, then the file ---------------------------------
# byte 0: bits 0-1 label (0 last, 1 index, 2 name, 3 ""), bit 2 require_labels,
#         bits 3-4 task (0 auto, 1 classification, 2 regression), bits 5-6 class names
#         (0 none, 1 iris species, 2 "0" "1", 3 "a"), bit 7 no extension.
def csv_opts(label=0, require=1, task=0, classes=0, noext=0):
    return label | require << 2 | task << 3 | classes << 5 | noext << 7


IRIS = (
    "sepal_length,sepal_width,petal_length,petal_width,species\n"
    "5.1,3.5,1.4,0.2,setosa\n"
    "7.0,3.2,4.7,1.4,versicolor\n"
    "6.3,3.3,6.0,2.5,virginica\n"
    "4.9,3.0,1.4,0.2,setosa\n"
)


def csv_seeds():
    def c(name, text, b0=csv_opts(), b1=0):
        raw = text.encode() if isinstance(text, str) else text
        put("fuzz_csv", name, bytes([b0, b1]) + raw)

    c("iris_header_strings.csv", IRIS)
    c("iris_label_by_name.csv", IRIS, csv_opts(label=2), 1)  # "species"
    c("iris_label_by_index.csv", IRIS, csv_opts(label=1), 4)
    c("iris_mapped_classes.csv", IRIS, csv_opts(classes=1))
    c("iris_unknown_class.csv", IRIS, csv_opts(classes=2))
    c("iris_predict_no_label.csv", "a,b\n1,2\n3,4\n", csv_opts(label=2, require=0), 0)
    c("regression.csv", "x,y\n" + "".join("%d,%g\n" % (i, i * 0.37 + 0.1) for i in range(30)),
      csv_opts(task=2))
    c("numbers_no_header.csv", "1,2,0\n3,4,1\n5,6,0\n7,8,1\n", csv_opts(task=1))
    c("ragged.csv", "a,b,c\n1,2,x\n3,4\n5,6,y,7\n")
    c("quoted.csv",
      'x,"value, with comma",label\n"1",1.5,"multi\nline"\n"2e3",2.5,"a ""q"", b"\n'
      '  -3 ,  3.5 ,"multi\nline"\n')
    c("quoted_text_feature.csv", 'name,value,label\n"a ""q"" b",1.5,x\n"c",2.5,y\n')
    c("unterminated_quote.csv", 'a,b\n1,"2\n3,4\n')
    c("after_quote.csv", 'a,b\n"1"x,2\n3,4\n')
    c("semicolon_crlf_bom.csv", "\ufeffa;b;label\r\n1.5;2;yes\r\n3;4;no\r\n\r\n5;6;yes\r\n")
    c("tab.tsv", "a\tb\tlabel\n1\t2\tcat\n3\t4\tdog\n")
    c("nan_inf.csv", "a,b,label\nnan,1,0\ninf,2,1\n1e39,3,0\n")
    c("nonfinite_label.csv", "a,label\n1,nan\n2,inf\n3,1\n", csv_opts(task=2))
    c("one_class.csv", "a,label\n1,x\n2,x\n")
    c("header_only.csv", "a,b,label\n")
    c("empty.csv", "")
    c("blank_lines.csv", "\n\n\na,b\n\n1,2\n\n3,4\n")
    c("one_column.csv", "label\na\nb\n")
    c("empty_fields.csv", "a,b,label\n,1,x\n2,,y\n")
    c("gzip.csv", gz(IRIS.encode()))
    c("sniffed_noext.csv", IRIS, csv_opts(noext=1))


# ---- IDX / NPY: byte 0 options, bytes 1-2 labels length (big-endian), labels, features ----
# byte 0: bit 0 require_labels, bit 1 no labels file, bits 2-3 task, bits 4-5 class names,
#         bit 6 features file without extension, bit 7 labels file named .npy
def bin_opts(require=1, nolabels=0, task=0, classes=0, noext=0, labels_npy=0):
    return require | nolabels << 1 | task << 2 | classes << 4 | noext << 6 | labels_npy << 7


def bin_input(b0, labels, features):
    return bytes([b0]) + struct.pack(">H", len(labels)) + labels + features


def idx(type_code, dims, payload):
    head = bytes([0, 0, type_code, len(dims)])
    return head + b"".join(struct.pack(">I", d) for d in dims) + payload


def idx_seeds():
    images = idx(0x08, [4, 2, 2], bytes(range(0, 160, 10)))
    labels = idx(0x08, [4], bytes([0, 1, 2, 1]))
    f4 = idx(0x0D, [3, 2], b"".join(struct.pack(">f", v) for v in [0.5, -1.0, 2.0, 3.5, 0, 1]))
    i4 = idx(0x0C, [3], b"".join(struct.pack(">i", v) for v in [-1, 7, -1]))
    f8 = idx(0x0E, [3], b"".join(struct.pack(">d", v) for v in [0.25, 1.5, 2.75]))
    s = lambda name, b0, lab, img: put("fuzz_idx", name, bin_input(b0, lab, img))
    s("u8_images_u8_labels", bin_opts(), labels, images)
    s("f4_images_i4_labels", bin_opts(), i4, f4)
    s("f4_images_f8_labels_regression", bin_opts(task=2), f8, f4)
    s("i2_images_4d", bin_opts(), idx(0x08, [2], b"\x00\x01"),
      idx(0x0B, [2, 1, 2, 2], b"".join(struct.pack(">h", v) for v in range(-4, 4))))
    s("i1_images_mapped", bin_opts(classes=2), idx(0x09, [2], b"\x00\x01"),
      idx(0x09, [2, 2], b"\x80\x7f\x00\xff"))
    s("no_labels", bin_opts(require=0, nolabels=1), b"", images)
    s("labels_required_missing", bin_opts(nolabels=1), b"", images)
    s("truncated_images", bin_opts(), labels, images[:-3])
    s("truncated_header", bin_opts(), labels, images[:9])
    s("label_count_mismatch", bin_opts(), idx(0x08, [3], b"\x00\x01\x00"), images)
    s("bad_magic", bin_opts(), labels, b"\x00\x00\x07\x03" + images[4:])
    s("labels_with_2_dims", bin_opts(), idx(0x08, [2, 2], b"\x00\x01\x00\x01"), images)
    s("gzip_images", bin_opts(), labels, gz(images))
    s("gzip_truncated", bin_opts(), labels, gz(images)[:-12])
    s("sniffed_noext", bin_opts(noext=1), labels, images)
    s("npy_labels", bin_opts(labels_npy=1), npy("<i4", (4,), struct.pack("<4i", 0, 1, 2, 1)),
      images)
    s("huge_dims", bin_opts(), labels, idx(0x08, [0x7FFFFFFF, 0x7FFFFFFF, 1], b""))
    s("zero_rows", bin_opts(), idx(0x08, [0], b""), idx(0x08, [0, 2], b""))
    s("nonfinite", bin_opts(), idx(0x08, [1], b"\x00"),
      idx(0x0D, [1, 2], struct.pack(">f", float("nan")) + struct.pack(">f", 1.0)))


def npy(descr, shape, payload, fortran=False, version=(1, 0), header=None):
    if header is None:
        shp = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
            descr, "True" if fortran else "False", shp)
    lenbytes = 2 if version[0] == 1 else 4
    total = 6 + 2 + lenbytes + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    n = struct.pack("<H", len(header)) if lenbytes == 2 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes(version) + n + header.encode() + payload


def npy_seeds():
    x4 = npy("<f4", (4, 3), struct.pack("<12f", *[0.5 * i - 2 for i in range(12)]))
    x8 = npy("<f8", (3, 2), struct.pack("<6d", 1.0, -2.5, 3.25, 0.0, 1e-3, 7.0))
    y4 = npy("<i4", (4,), struct.pack("<4i", 0, 1, 2, 1))
    yu1 = npy("|u1", (3,), bytes([3, 5, 3]))
    s = lambda name, b0, lab, feat: put("fuzz_npy", name, bin_input(b0, lab, feat))
    s("f4_features_i4_labels", bin_opts(labels_npy=1), y4, x4)
    s("f8_features_u1_labels", bin_opts(labels_npy=1), yu1, x8)
    s("f4_features_f8_labels_regression", bin_opts(task=2, labels_npy=1),
      npy("<f8", (4,), struct.pack("<4d", 0.1, 0.2, 0.3, 0.4)), x4)
    s("labels_n_by_1_big_endian", bin_opts(labels_npy=1),
      npy(">i8", (3, 1), struct.pack(">3q", 1, 0, 1)), x8)
    s("bool_labels", bin_opts(labels_npy=1), npy("|b1", (3,), b"\x00\x01\x01"), x8)
    s("i2_features_3d_v2", bin_opts(labels_npy=1), npy("<u2", (2,), struct.pack("<2H", 0, 1)),
      npy("<i2", (2, 2, 2), struct.pack("<8h", *range(-4, 4)), version=(2, 0)))
    s("v3_features", bin_opts(labels_npy=1), y4,
      npy("<f4", (4, 3), struct.pack("<12f", *range(12)), version=(3, 0)))
    s("fortran_order", bin_opts(labels_npy=1), y4,
      npy("<f4", (4, 3), struct.pack("<12f", *range(12)), fortran=True))
    s("truncated_data", bin_opts(labels_npy=1), y4, x4[:-5])
    s("truncated_header", bin_opts(labels_npy=1), y4, x4[:40])
    s("idx_labels", bin_opts(), idx(0x08, [4], bytes([0, 1, 0, 1])), x4)
    s("no_labels", bin_opts(require=0, nolabels=1), b"", x4)
    s("structured_dtype", bin_opts(labels_npy=1), y4,
      npy(None, None, b"\x00" * 8,
          header="{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, "
                 "'shape': (1,), }"))
    s("unsupported_dtype", bin_opts(labels_npy=1), y4, npy("<c8", (1, 1), b"\x00" * 8))
    s("scalar_shape", bin_opts(labels_npy=1), y4, npy("<f4", (), b"\x00" * 4))
    s("long_suffix_shape", bin_opts(labels_npy=1), y4,
      npy(None, None, struct.pack("<12f", *range(12)),
          header="{'descr': '<f4', 'fortran_order': False, 'shape': (4L, 3L), }"))
    s("bad_version", bin_opts(labels_npy=1), y4, b"\x93NUMPY\x09\x00" + x4[8:])
    s("labels_wrong_shape", bin_opts(labels_npy=1),
      npy("<i4", (2, 2), struct.pack("<4i", 0, 1, 0, 1)), x4)
    s("sniffed_noext", bin_opts(noext=1, labels_npy=1), y4, x4)
    s("gzip_features", bin_opts(labels_npy=1), y4, gz(x4))


# ---- safetensors: the file; models and checkpoints as cltrain writes them ------------------
def st(tensors, meta=None, dtype="F32"):
    """tensors: list of (name, shape, values)."""
    header, data = {}, b""
    if meta is not None:
        header["__metadata__"] = meta
    fmt = "<%df" if dtype == "F32" else "<%dd"
    for name, shape, values in tensors:
        raw = struct.pack(fmt % len(values), *values)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def arch(sizes, acts, loss):
    return json.dumps({"sizes": sizes, "activations": acts, "alpha": [0.00999999978] * len(acts),
                       "dropout": [0] * len(acts), "loss": loss, "huber_delta": 1},
                      separators=(",", ":"))


def model_meta(sizes, acts, loss, task, classes, features, targets=(), extra=None):
    m = {"format": "cltrain-1", "architecture": arch(sizes, acts, loss), "task": task,
         "label": "", "classes": json.dumps(list(classes), separators=(",", ":")),
         "features": json.dumps(list(features), separators=(",", ":")),
         "targets": json.dumps(list(targets), separators=(",", ":"))}
    m.update(extra or {})
    return m


def layers(sizes):
    out, k = [], 0.0
    for i in range(len(sizes) - 1):
        w = [((j * 7) % 5 - 2) * 0.25 for j in range(sizes[i] * sizes[i + 1])]
        out.append(("layers.%d.weight" % i, [sizes[i + 1], sizes[i]], w))
        out.append(("layers.%d.bias" % i, [sizes[i + 1]], [0.1 * j for j in range(sizes[i + 1])]))
    return out


def safetensors_seeds():
    s = lambda name, data: put("fuzz_safetensors", name, data)
    xor = st(layers([2, 2, 1]), model_meta([2, 2, 1], ["relu"], "sigmoid_bce", "classification",
                                           ["0", "1"], ["x1", "x2"]))
    s("xor_model", xor)
    n_params = 2 * 3 + 3 + 3 + 1
    state = json.dumps({"epoch": 2, "step": 4, "lr_scale": 1, "best_val": 0.94598549604415894,
                        "bad_epochs": 0, "plateau_bad": 0,
                        "config": "2-3-1 relu sigmoid+binary-cross-entropy|data=xor:n=64|val=0|"
                                  "val_data=|std=0|optimizer=adam|lr=0.001|batch=32|seed=42"},
                       separators=(",", ":"))
    ck = st(layers([2, 3, 1]) + [("optim.m", [n_params], [0.01] * n_params),
                                 ("optim.v", [n_params], [0.001] * n_params)],
            model_meta([2, 3, 1], ["relu"], "sigmoid_bce", "classification", ["0", "1"],
                       ["x0", "x1"], extra={"train_state": state}))
    s("xor_checkpoint", ck)
    iris = st(layers([4, 5, 3]) + [("scaler.mean", [4], [5.8, 3.0, 3.7, 1.2]),
                                   ("scaler.std", [4], [0.8, 0.4, 1.7, 0.7])],
              model_meta([4, 5, 3], ["tanh"], "softmax_ce", "classification",
                         ["setosa", "versicolor", "virginica"],
                         ["sepal_length", "sepal_width", "petal_length", "petal_width"]))
    s("iris_model_scaler", iris)
    reg = st(layers([3, 4, 4, 2]), model_meta([3, 4, 4, 2], ["leaky_relu", "elu"], "huber",
                                               "regression", [], ["a", "b", "c"], ["y", "z"]))
    s("regression_huber_3_layers", reg)
    s("f64_tensors", st(layers([2, 2, 1]), model_meta([2, 2, 1], ["gelu"], "sigmoid_bce",
                                                       "classification", ["n", "p"], ["u", "v"]),
                        dtype="F64"))
    s("plain_tensors_no_meta", st([("a", [2, 3], [1, 2, 3, 4, 5, 6]), ("s", [], [7]),
                                   ("e", [0, 4], [])]))
    s("truncated_data", xor[:-5])
    s("truncated_header", xor[:40])
    s("header_length_too_large", struct.pack("<Q", 1 << 40) + xor[8:])
    s("short_file", xor[:5])
    s("wrong_shape_for_arch", st(layers([2, 3, 1])[:2] + layers([2, 2, 1])[2:],
                                 model_meta([2, 2, 1], ["relu"], "sigmoid_bce", "classification",
                                            ["0", "1"], ["x1", "x2"])))
    s("missing_tensor", st(layers([2, 2, 1])[:3], model_meta([2, 2, 1], ["relu"], "sigmoid_bce",
                                                             "classification", ["0", "1"],
                                                             ["x1", "x2"])))
    s("nonfinite_weight", st([("layers.0.weight", [1, 2], [float("nan"), 1.0]),
                              ("layers.0.bias", [1], [0.0])],
                             model_meta([2, 1], [], "mse", "regression", [], ["p", "q"], ["t"])))
    hdr = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' \
          b'"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],' \
          b'"data_offsets":[0,4]}}'
    s("duplicate_key", struct.pack("<Q", len(hdr)) + hdr + b"\x00" * 8)
    hdr = b'{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}'
    s("unsupported_dtype", struct.pack("<Q", len(hdr)) + hdr + b"\x00" * 8)
    hdr = b'{"a":{"dtype":"F32","shape":[1,-2],"data_offsets":[8,0]}}'
    s("bad_shape_offsets", struct.pack("<Q", len(hdr)) + hdr + b"\x00" * 8)
    s("not_json_header", struct.pack("<Q", 6) + b"{\"a\":[" + b"\x00" * 8)
    # regression: a repeated __metadata__ key was accepted (ct_st_meta gave the first)
    hdr = b'{"__metadata__":{"format":"x","format":"cltrain-1"},' \
          b'"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    s("regress_duplicate_metadata_key", struct.pack("<Q", len(hdr)) + hdr + b"\x00" * 4)
    # regression: ct_model_load leaked the feature names when 'targets' did not parse
    s("regress_leak_bad_targets",
      st(layers([2, 2, 1]), dict(model_meta([2, 2, 1], ["relu"], "sigmoid_bce", "classification",
                                            ["0", "1"], ["u", "v"]), targets="[}")))


# ---- JSON models and JSON --------------------------------------------------------------------
def json_model_seeds():
    s = lambda name, text: put("fuzz_json_model", name, text)
    for f in sorted(os.listdir(EXAMPLES)):
        if f.endswith(".json"):
            with open(os.path.join(EXAMPLES, f), "rb") as fh:
                s("example_" + f[:-5], fh.read())
    s("ce_classes_scaler", json.dumps({
        "layers": [{"weight": [[0.5, -0.3, 1], [0.2, 0.8, -1]], "bias": [0.1, -0.1],
                    "activation": "tanh"},
                   {"weight": [[0.7, -0.5], [1, 1], [-1, 0]], "activation": "softmax"}],
        "loss": "ce", "classes": ["a", "b", "c"], "features": ["p", "q", "r"],
        "scaler": {"mean": [1, 2, 3], "std": [0.5, 1, 2]}}, indent=1))
    s("huber_elu_gelu", json.dumps({
        "layers": [{"weight": [[1e-30, -3.4e38]], "activation": "elu", "alpha": 0.5},
                   {"weight": [[2]], "bias": [0], "activation": "gelu"},
                   {"weight": [[1], [-1]], "activation": "identity"}],
        "loss": "huber", "huber_delta": 0.25, "targets": ["t0", "t1"]}))
    s("bce_default_names", '{"layers":[{"weight":[[1,2,3]],"bias":[0]}],"loss":"bce"}')
    s("unicode_names", '{"layers":[{"weight":[[1],[2]]}],"loss":"ce",'
                       '"classes":["caf\\u00e9","\\ud83d\\ude00"],"features":["\u00fc"]}')
    s("wrong_columns", '{"layers":[{"weight":[[1,2],[3,4]],"activation":"relu"},'
                       '{"weight":[[1,2,3]],"activation":"sigmoid"}],"loss":"bce"}')
    s("missing_loss", '{"layers":[{"weight":[[1]]}]}')
    s("unknown_key", '{"layers":[{"weight":[[1]]}],"loss":"mse","extra":1}')
    s("repeated_key", '{"layers":[{"weight":[[1]]}],"loss":"mse","loss":"mse"}')
    s("output_act_mismatch", '{"layers":[{"weight":[[1]],"activation":"relu"}],"loss":"mse"}')
    s("float_overflow", '{"layers":[{"weight":[[1e39]]}],"loss":"mse"}')
    s("bad_scaler", '{"layers":[{"weight":[[1]]}],"loss":"mse","scaler":{"mean":[0],"std":[0]}}')
    s("truncated", '{"layers":[{"weight":[[1,2],[3')
    s("not_an_object", '[1, 2, 3]')
    s("empty_layers", '{"layers":[],"loss":"mse"}')


def json_seeds():
    s = lambda name, text: put("fuzz_json", name, text)
    s("object", '{"a": [1, -2.5e10, 0.0, true, false, null], "b": {"c": "d"}, "": ""}')
    s("escapes", '["\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u00e9\\u20ac\\ud83d\\ude00", "\u00e9"]')
    s("numbers", '[0, -0, 1e308, 2.2250738585072014e-308, 1E+2, 123456789012345678901234567890]')
    s("nested", "[" * 40 + "]" * 40)
    s("too_deep", "[" * 300 + "]" * 300)
    s("bad_utf8", b'["\xc3\x28", "\xed\xa0\x80"]')
    s("lone_surrogate", '["\\ud800"]')
    s("nul_escape", '["a\\u0000b"]')
    s("trailing_comma", '{"a": 1,}')
    s("leading_zero", '[01]')
    s("duplicate_keys", '{"k": 1, "k": 2}')
    s("trailing_garbage", '{} x')
    s("overflow", '[1e400]')
    with open(os.path.join(EXAMPLES, "xor.json"), "rb") as fh:
        s("model_xor", fh.read())


def main():
    csv_seeds()
    idx_seeds()
    npy_seeds()
    safetensors_seeds()
    json_model_seeds()
    json_seeds()
    total = 0
    for root, _, files in os.walk(CORPUS):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("seed corpora in %s: %d bytes" % (CORPUS, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
