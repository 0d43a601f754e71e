#!/usr/bin/env bash
# The README's IDX example as written: `python3 scripts/make_idx.py` (Python's standard library
# only: run here with -S -I, so no site package such as NumPy is importable) writes
# images.idx.gz and labels.idx.gz from data/digits.csv in MNIST's IDX format, then the README's
# `./build/cltrain train --data images.idx.gz --labels labels.idx.gz ...` line trains on them.
# usage: idx_example.sh path/to/cltrain SOURCE_DIR path/to/python3
set -u
bin="$1"
src="$2"
py="${3:-}"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

if [ -z "$py" ] || ! "$py" -c 'import gzip, struct' >/dev/null 2>&1; then
    echo "idx_example: error: no python3 ('$py'); scripts/bootstrap.sh installs python3" >&2
    exit 1
fi
readme="$src/README.md"
make_line=$(grep -m1 '^python3 scripts/make_idx.py' "$readme")
train_line=$(grep -m1 '^\./build/cltrain train --data images\.idx\.gz --labels labels\.idx\.gz' "$readme")
report "the README makes the IDX pair before training on it" \
    "$([ -n "$make_line" ] && [ -n "$train_line" ] && echo 1 || echo 0)" \
    "README lines: make_idx: '$make_line'; train: '$train_line'"

# the script, as the README runs it (from the folder the files go to, its default --out)
mkdir -p "$tmp/run"
(cd "$tmp/run" && "$py" -S -I "$src/scripts/make_idx.py") >"$tmp/out" 2>"$tmp/err"
rc=$?
report "make_idx.py writes images.idx.gz and labels.idx.gz without site packages" \
    "$([ "$rc" = 0 ] && [ -s "$tmp/run/images.idx.gz" ] && [ -s "$tmp/run/labels.idx.gz" ] && echo 1 || echo 0)" \
    "exit $rc, or a file missing"
# MNIST's headers: 0x00000803 (n, 8, 8) uint8 images, 0x00000801 (n) uint8 labels
img=$(gzip -dc "$tmp/run/images.idx.gz" 2>/dev/null | head -c 16 | od -An -tx1 | tr -d ' \n')
lab=$(gzip -dc "$tmp/run/labels.idx.gz" 2>/dev/null | head -c 8 | od -An -tx1 | tr -d ' \n')
report "IDX headers: images (1797, 8, 8), labels (1797)" \
    "$([ "$img" = "00000803000007050000000800000008" ] && [ "$lab" = "0000080100000705" ] && echo 1 || echo 0)" \
    "images header $img, labels header $lab"
size=$(gzip -dc "$tmp/run/images.idx.gz" | wc -c)
report "images hold 1797 x 64 pixels after the header" "$([ "$size" = $((16 + 1797 * 64)) ] && echo 1 || echo 0)" \
    "$size bytes"

# the README's training line, as written (./build/cltrain: the binary under test)
read -r -a args <<<"${train_line#./build/cltrain }"
(cd "$tmp/run" && "$bin" "${args[@]}") >"$tmp/out" 2>"$tmp/err"
rc=$?
report "the README's IDX training line runs" "$([ "$rc" = 0 ] && echo 1 || echo 0)" "exit $rc"
report "it reads 1797 images of 64 pixels in 10 classes" \
    "$(grep -q 'images.idx.gz (1797 rows, 64 features, 10 classes)' "$tmp/out" && echo 1 || echo 0)" \
    "no such data line"
acc=$(sed -n 's/^epoch [0-9]*\/[0-9]* .* acc \([0-9.]*\) .*/\1/p' "$tmp/out" | tail -1)
report "it trains: the last epoch's training accuracy $acc >= 0.95" \
    "$(awk -v a="${acc:-0}" 'BEGIN { print (a + 0 >= 0.95) ? 1 : 0 }')" "accuracy '$acc'"

# bad input: one line, exit 1
(cd "$tmp/run" && "$py" -S -I "$src/scripts/make_idx.py" --data "$tmp/none.csv") >"$tmp/out" 2>"$tmp/err"
rc=$?
report "make_idx.py: a missing CSV is one error line, exit 1" \
    "$([ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^make_idx: error: .*none.csv' "$tmp/err" && echo 1 || echo 0)" \
    "exit $rc"
finish idx_example
