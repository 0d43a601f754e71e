#!/usr/bin/env python3
"""Compares two cltrain model files (safetensors) bit for bit, with Python's standard library
alone (no NumPy: the GPU check runs it on machines that may lack it).

usage: bits_diff.py A B

Prints one line 'identical: ...' when every tensor and the metadata are the same bits, else
'differ: ...' and the first tensor and value that differ, in the order the tensors lie in A:
its name, its index (per dimension and flat), both values (9 significant digits, which tell any
two floats apart) with their hex bits and the distance in units in the last place, then one line
per tensor that differs (how many values, the largest |A - B|). Exit 0 identical, 1 different,
2 when a file cannot be read or is no safetensors file (one line naming the file and why).
"""
import json
import math
import struct
import sys

# bytes per element of the dtypes safetensors defines
SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
         "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1}


class BadFile(Exception):
    pass


def load(path):
    """(metadata dict, [(name, dtype, shape, bytes)] in file order, the raw bytes)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise BadFile(f"{path}: cannot read: {e.strerror}")
    if len(raw) < 8:
        raise BadFile(f"{path}: {len(raw)} bytes, shorter than a safetensors header's length")
    n = struct.unpack("<Q", raw[:8])[0]
    if 8 + n > len(raw):
        raise BadFile(f"{path}: the header claims {n} bytes, the file has {len(raw) - 8} after its length")
    try:
        header = json.loads(raw[8:8 + n])
    except ValueError as e:
        raise BadFile(f"{path}: the header is not JSON ({e})")
    if not isinstance(header, dict):
        raise BadFile(f"{path}: the header is not a JSON object")
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = []
    for name, t in header.items():
        try:
            dtype, shape, (s, e) = t["dtype"], list(t["shape"]), t["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise BadFile(f"{path}: tensor '{name}' lacks dtype, shape or data_offsets")
        if dtype not in SIZES:
            raise BadFile(f"{path}: tensor '{name}' has the unknown dtype {dtype}")
        count = math.prod(shape)
        if not (0 <= s <= e <= len(data)) or e - s != count * SIZES[dtype]:
            raise BadFile(f"{path}: tensor '{name}' ({dtype} {shape}) has data_offsets [{s}, {e}] "
                          f"that do not fit it or the file's {len(data)} data bytes")
        tensors.append((name, dtype, shape, data[s:e]))
    tensors.sort(key=lambda t: header[t[0]]["data_offsets"][0])
    return meta, tensors, raw


def unravel(flat, shape):
    idx = []
    for d in reversed(shape):
        idx.append(flat % d if d else 0)
        flat = flat // d if d else 0
    return list(reversed(idx))


def ordered(bits):
    """float32 bits -> an integer that orders as the floats do (+0 and -0 both 0)."""
    return bits if bits < 0x80000000 else -(bits & 0x7FFFFFFF)


def describe_f32(bits):
    v = struct.unpack("<f", struct.pack("<I", bits))[0]
    return f"{v:.9g} (0x{bits:08x})"


def compare_tensor(name, dtype, shape, a, b):
    """(first difference as text, values that differ, largest |diff| as text) for one tensor."""
    size = SIZES[dtype]
    count = len(a) // size
    if dtype == "F32":
        ua = struct.unpack(f"<{count}I", a)
        ub = struct.unpack(f"<{count}I", b)
        fa = struct.unpack(f"<{count}f", a)
        fb = struct.unpack(f"<{count}f", b)
        diffs = [i for i in range(count) if ua[i] != ub[i]]
        i = diffs[0]
        ulp = ""
        if not (math.isnan(fa[i]) or math.isnan(fb[i])):
            ulp = f"; {abs(ordered(ua[i]) - ordered(ub[i]))} ulp apart"
        first = (f"{name}{unravel(i, shape)} (flat index {i} of {count}): "
                 f"{describe_f32(ua[i])} in A, {describe_f32(ub[i])} in B{ulp}")
        worst = max(abs(fa[j] - fb[j]) for j in diffs)
        return first, len(diffs), f"largest |A - B| {worst:.3g}"
    ea = [a[j * size:(j + 1) * size] for j in range(count)]
    eb = [b[j * size:(j + 1) * size] for j in range(count)]
    diffs = [j for j in range(count) if ea[j] != eb[j]]
    i = diffs[0]
    first = (f"{name}{unravel(i, shape)} (flat index {i} of {count}, {dtype}): "
             f"bytes {ea[i][::-1].hex()} in A, {eb[i][::-1].hex()} in B (little-endian, shown high byte first)")
    return first, len(diffs), dtype


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        ma, ta, ra = load(sys.argv[1])
        mb, tb, rb = load(sys.argv[2])
    except BadFile as e:
        print(f"bits_diff: {e}", file=sys.stderr)
        return 2
    values = sum(len(t[3]) // SIZES[t[1]] for t in ta)
    if ra == rb:
        print(f"identical: {len(ta)} tensors, {values} values, the same bytes")
        return 0
    by_name = {t[0]: t for t in tb}
    names_a = [t[0] for t in ta]
    missing = [n for n in names_a if n not in by_name]
    extra = [t[0] for t in tb if t[0] not in set(names_a)]
    if missing or extra:
        print(f"differ: other tensors: only in A: {missing or 'none'}; only in B: {extra or 'none'}")
        return 1
    for name, dtype, shape, _ in ta:
        _, dt, sh, _ = by_name[name]
        if (dtype, shape) != (dt, sh):
            print(f"differ: tensor '{name}' is {dtype} {shape} in A, {dt} {sh} in B")
            return 1
    first, lines, ndiff = None, [], 0
    for name, dtype, shape, a in ta:
        b = by_name[name][3]
        if a == b:
            continue
        text, n, worst = compare_tensor(name, dtype, shape, a, b)
        first = first or text
        ndiff += n
        lines.append(f"  {name}: {n} of {len(a) // SIZES[dtype]} values differ, {worst}")
    meta_keys = sorted(k for k in set(ma) | set(mb) if ma.get(k) != mb.get(k))
    if first is None and not meta_keys:
        print(f"identical: {len(ta)} tensors, {values} values and the metadata the same; "
              f"only the header's layout differs (its key order or spacing)")
        return 0
    if first is None:
        print(f"differ: the tensors are identical ({len(ta)} tensors, {values} values); "
              f"the metadata differs in: {', '.join(meta_keys)}")
        return 1
    print(f"differ: {len(lines)} of {len(ta)} tensors, {ndiff} of {values} values"
          + (f"; the metadata differs too in: {', '.join(meta_keys)}" if meta_keys else ""))
    print(f"first difference: {first}")
    print("\n".join(lines))
    return 1


if __name__ == "__main__":
    sys.exit(main())
