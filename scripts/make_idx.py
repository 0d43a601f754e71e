#!/usr/bin/env python3
"""Writes a small MNIST-style IDX pair, images.idx.gz and labels.idx.gz, from the shipped
handwritten digits (data/digits.csv: 1797 images of 8x8 pixels, classes 0..9), so that the
README's IDX example runs as written without a download:

    python3 scripts/make_idx.py
    ./build/cltrain train --data images.idx.gz --labels labels.idx.gz --layers 256,128 --batch 64

The files have MNIST's layout: images are unsigned bytes (magic 0x00000803) of shape
(n, 8, 8), the pixel counts 0..16 scaled to 0..255 (cltrain reads uint8 IDX images as pixels
and scales them to [0, 1]); labels are unsigned bytes (magic 0x00000801) of shape (n,). For the
real MNIST, download its four files (train-images-idx3-ubyte.gz ...) and pass them the same way.

Python's standard library only (csv, gzip, struct): it runs with a python3 that lacks NumPy.
usage: make_idx.py [--data data/digits.csv] [--out DIR] [--rows N]
"""
import argparse
import csv
import gzip
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def read_digits(path, rows):
    """(pixels, labels): lists of 64 ints in 0..16 and ints in 0..9, from digits.csv."""
    pixels, labels = [], []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header or len(header) != 65:
            raise ValueError("%s: expected a header of 64 pixel columns and the digit, got %d "
                             "columns" % (path, len(header or [])))
        for line, row in enumerate(reader, start=2):
            if rows is not None and len(labels) >= rows:
                break
            try:
                values = [int(v) for v in row]
            except ValueError:
                raise ValueError("%s:%d: expected 65 integers" % (path, line)) from None
            if len(values) != 65 or not all(0 <= v <= 16 for v in values[:64]) or \
                    not 0 <= values[64] <= 9:
                raise ValueError("%s:%d: expected 64 pixels in 0..16 and a digit 0..9" % (path, line))
            pixels.append(values[:64])
            labels.append(values[64])
    if not labels:
        raise ValueError("%s: no rows" % path)
    return pixels, labels


def write_idx(path, magic, dims, payload):
    """An IDX file, gzip-compressed: the magic, the dimensions (big-endian int32), the bytes.
    Written to a temporary name first, so a failure leaves no half file."""
    tmp = path + ".tmp"
    with gzip.open(tmp, "wb") as f:
        f.write(struct.pack(">I", magic))
        f.write(struct.pack(">%dI" % len(dims), *dims))
        f.write(payload)
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description="Writes images.idx.gz and labels.idx.gz (MNIST's "
                                "IDX format) from the shipped 8x8 digits.")
    p.add_argument("--data", default=os.path.join(HERE, "..", "data", "digits.csv"),
                   help="the digits CSV (default: data/digits.csv of this repository)")
    p.add_argument("--out", default=".", help="the folder to write into (default: .)")
    p.add_argument("--rows", type=int, default=None, help="only the first N rows (default: all)")
    a = p.parse_args(argv)
    if a.rows is not None and a.rows < 1:
        p.error("--rows must be >= 1")
    try:
        pixels, labels = read_digits(a.data, a.rows)
        images = bytes(v * 255 // 16 for row in pixels for v in row)
        os.makedirs(a.out, exist_ok=True)
        write_idx(os.path.join(a.out, "images.idx.gz"), 0x00000803, (len(labels), 8, 8), images)
        write_idx(os.path.join(a.out, "labels.idx.gz"), 0x00000801, (len(labels),), bytes(labels))
    except (OSError, ValueError) as e:
        sys.stderr.write("make_idx: error: %s\n" % e)
        return 1
    print("wrote %s and %s: %d images of 8x8 pixels, classes 0..9"
          % (os.path.join(a.out, "images.idx.gz"), os.path.join(a.out, "labels.idx.gz"),
             len(labels)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
