#!/usr/bin/env bash
# The GPU check's whole sequence, small, on the default device (scripts/gpu-check.sh --dry-run),
# with its bit comparison shown to find a difference: reference files are trained first
# (scripts/bits-check.sh, one implementation), one float of one of them is moved by one ulp, and
# the dry run compares against them. Every step must pass but bits, which must fail and name, in
# report.md, that run alone, the tensor, the index and both values' hex bits; the default device
# and its gpu profile must give the same bytes for every run. Then scripts/bits_diff.py alone:
# identical files, two differences (the first in file order is named), metadata, a bad file.
#
# usage: gpu_check_dry.sh BUILD_DIR OUT_DIR
set -u
build="$1" out="$2"
bin="$build/cltrain"
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=tests/harness.sh
. "$root/tests/harness.sh"
# shellcheck source=tests/bits_matrix.sh
. "$root/tests/bits_matrix.sh"
py=python3
diff_py="$root/scripts/bits_diff.py"

# flip.py FILE TENSOR FLAT: moves one float32 by one ulp (its lowest bit), prints
# "i, j|oldhex|newhex" (the index per dimension, the bits before and after)
cat >"$tmp/flip.py" <<'EOF'
import json, struct, sys
path, name, flat = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = bytearray(open(path, "rb").read())
n = struct.unpack("<Q", raw[:8])[0]
t = json.loads(raw[8:8 + n])[name]
o = 8 + n + t["data_offsets"][0] + 4 * flat
old = struct.unpack("<I", raw[o:o + 4])[0]
raw[o:o + 4] = struct.pack("<I", old ^ 1)
open(path, "wb").write(raw)
idx, rest = [], flat
for d in reversed(t["shape"]):
    idx.insert(0, rest % d)
    rest //= d
print(f"{', '.join(map(str, idx))}|0x{old:08x}|0x{old ^ 1:08x}")
EOF

# ---- the reference, with one value moved ----
ref="$tmp/ref"
check "bits-check trains the reference files" bash "$root/scripts/bits-check.sh" --cltrain "$bin" --dir "$ref" ref
n_files=$(find "$ref" -name 'r*.ref.safetensors' | wc -l)
report "one reference file per run (${#matrix[@]})" "$([ "$n_files" = ${#matrix[@]} ] && echo 1 || echo 0)" "found $n_files"
flip_run=r3 flip_tensor=layers.1.weight flip_flat=29
IFS='|' read -r idx old new < <($py "$tmp/flip.py" "$ref/$flip_run.ref.safetensors" "$flip_tensor" "$flip_flat")
echo "moved $flip_run's ${flip_tensor}[$idx] (flat $flip_flat): $old -> $new"

# ---- the dry run ----
rm -rf "$out"
bash "$root/scripts/gpu-check.sh" --dry-run --build "$build" --out "$out" --reference "$ref" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out"
report "the dry run fails (one reference file differs)" "$([ $rc = 1 ] && echo 1 || echo 0)" "exit $rc"
steps="$out/steps.txt"
others=$(grep -v '^bits|' "$steps" | grep -cv '|passed|\||skipped|')
report "every step but bits passed" "$([ "$others" = 0 ] && grep -q '^selftest|passed|' "$steps" && echo 1 || echo 0)" \
    "$(cat "$steps")"
report "the bits step failed" "$(grep -q '^bits|failed|' "$steps" && echo 1 || echo 0)" "$(grep '^bits|' "$steps")"
rep="$out/report.md"
section=$(sed -n '/^## bits$/,/^## devices$/p' "$rep")
report "report.md has the bits section" "$([ -n "$section" ] && echo 1 || echo 0)" "no '## bits' in $rep"
for row in "${matrix[@]}"; do
    run=${row%%|*}
    line=$(grep "^| $run |" <<<"$section")
    read -r -a cells <<<"$(tr -d '|`*' <<<"$line")"
    # cells: run, default, gpu-profile, carried, verdict
    good=1
    [ "${#cells[@]}" = 5 ] && [ "${cells[1]}" = "${cells[2]}" ] && [ ${#cells[1]} = 16 ] || good=0
    if [ "$run" = "$flip_run" ]; then
        [ "${cells[3]}" != "${cells[1]}" ] && [ "${cells[4]}" = NO ] || good=0
    else
        [ "${cells[3]}" = "${cells[1]}" ] && [ "${cells[4]}" = yes ] || good=0
    fi
    report "bits row $run: default = gpu profile, carried $([ "$run" = "$flip_run" ] && echo differs || echo equal)" "$good" "row: $line"
done
want="first difference: ${flip_tensor}[$idx] (flat index $flip_flat of "
got_first=$(grep '^first difference: ' <<<"$section")
report "the report names $flip_run, ${flip_tensor}[$idx] and both bits" \
    "$([ "$(grep -c '^### ' <<<"$section")" = 1 ] && grep -q "^### $flip_run: default (A) against ref (carried) (B)" <<<"$section" &&
        grep -qF "$want" <<<"$got_first" && grep -qF "($old) in A" <<<"$got_first" &&
        grep -qF "($new) in B; 1 ulp apart" <<<"$got_first" &&
        grep -q "^differ: 1 of [0-9]* tensors, 1 of [0-9]* values" <<<"$section" && echo 1 || echo 0)" \
    "expected '$want...($old) in A, ...($new) in B; 1 ulp apart' alone; the section: $section"

# ---- bits_diff.py alone ----
a="$out/bits/r1.default.safetensors"
b="$tmp/b.safetensors"
cp "$a" "$b"
$py "$diff_py" "$a" "$b" >"$tmp/out" 2>"$tmp/err"
rc=$?
report "bits_diff: a copy is identical (exit 0)" "$([ $rc = 0 ] && grep -q '^identical: ' "$tmp/out" && echo 1 || echo 0)" "$(cat "$tmp/out")"
# two values moved: the later tensor's first, then one earlier in the file: the earlier is named
IFS='|' read -r _ old2 new2 < <($py "$tmp/flip.py" "$b" layers.2.weight 3)
IFS='|' read -r _ old0 new0 < <($py "$tmp/flip.py" "$b" layers.0.bias 5)
$py "$diff_py" "$a" "$b" >"$tmp/out" 2>"$tmp/err"
rc=$?
report "bits_diff: two differences, the first in file order named (exit 1)" \
    "$([ $rc = 1 ] && grep -qF "first difference: layers.0.bias[5] (flat index 5 of 8): " "$tmp/out" &&
        grep -qF "($old0) in A" "$tmp/out" && grep -qF "($new0) in B" "$tmp/out" &&
        grep -q '^differ: 2 of [0-9]* tensors, 2 of [0-9]* values' "$tmp/out" &&
        grep -q '^  layers.2.weight: 1 of 12 values differ' "$tmp/out" && echo 1 || echo 0)" \
    "exit $rc, expected layers.0.bias[5] ($old0 -> $new0) first, then layers.2.weight ($old2 -> $new2)"
# the same tensors, another metadata value (same length, so the offsets stay)
$py -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d.replace(b"\"task\":\"classification\"", b"\"task\":\"classificatioN\"", 1))' "$a" "$b"
$py "$diff_py" "$a" "$b" >"$tmp/out" 2>"$tmp/err"
rc=$?
report "bits_diff: metadata alone differs (exit 1, names the key)" \
    "$([ $rc = 1 ] && ! cmp -s "$a" "$b" && grep -q 'the tensors are identical.*the metadata differs in: task$' "$tmp/out" && echo 1 || echo 0)" "exit $rc"
head -c 100 "$a" >"$b"
$py "$diff_py" "$a" "$b" >"$tmp/out" 2>"$tmp/err"
rc=$?
report "bits_diff: a truncated file is one error line naming it (exit 2)" \
    "$([ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qF "bits_diff: $b: the header claims" "$tmp/err" && echo 1 || echo 0)" "exit $rc"
finish gpu_check_dry
