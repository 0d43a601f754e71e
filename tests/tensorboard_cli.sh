#!/usr/bin/env bash
# Watching a run (issue 28): --tensorboard event files and the progress line.
# Trains a classification with --val, --stats and --tensorboard-histograms, two regressions (their
# epoch_mae; one with --val-data, whose last validation MAE is recomputed from cltrain predict's
# output), a run resumed from its checkpoint (a second file in the same runs, steps going on), and
# an lr-find, then reads every event file back twice (tests/tensorboard_check.py) and compares each
# value with the --log CSVs, the --stats tables and the saved model:
#   1. an independent reader in Python's standard library (the TFRecord framing with both masked
#      CRC-32C checksums of every record, the protobuf wire format field by field);
#   2. TensorBoard's own event_accumulator, from the `tensorboard` package pip-installed into a
#      virtual environment kept in the build folder (BUILD/tensorboard-venv; made once, then
#      reused). When it cannot be installed (no network), the test fails saying so, after the
#      independent reader has run.
# The progress line: under a pseudo-terminal (script(1)) it shows samples/s, the loss and the
# time left; through a pipe, nothing of it; --progress forces it into a file (throttled),
# --no-progress keeps it off a terminal.
# usage: tensorboard_cli.sh path/to/cltrain BUILD_DIR path/to/python3
set -u
bin="$1"
build="$2"
py="${3:-/usr/bin/python3}"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tests/harness.sh
. "$here/harness.sh"
status=0
t0=$(date +%s)

train() { # name, then the train options
    local name="$1"
    shift
    if ! "$bin" train "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
        bad "cltrain train $* failed:"
        tail -5 "$tmp/$name.err"
        status=1
    fi
}
train class --data moons:n=3000 --layers 16,12 --epochs 4 --val 0.2 --stats \
    --tensorboard-histograms --tensorboard "$tmp/tb_class" --log "$tmp/class.csv" \
    --save "$tmp/class.safetensors"
train reg --data sine:n=2000 --layers 16 --epochs 3 --val 0.25 --tensorboard "$tmp/tb_reg" \
    --log "$tmp/reg.csv"
# a Huber regression on CSV files with --val-data, whose last validation MAE the check recomputes
# from cltrain predict's output for the validation file
"$py" - "$tmp" <<'PYEOF'
import math, random, sys
r = random.Random(5)
for name, n in (("reg2_train.csv", 900), ("reg2_val.csv", 301)):
    with open(sys.argv[1] + "/" + name, "w") as f:
        f.write("a,b,c,y\n")
        for _ in range(n):
            a, b, c = (r.uniform(-2, 2) for _ in range(3))
            f.write("%.6f,%.6f,%.6f,%.6f\n" % (a, b, c, 2 * a + math.sin(3 * b) - c * c))
PYEOF
train reg2 --data "$tmp/reg2_train.csv" --val-data "$tmp/reg2_val.csv" --task regression \
    --loss huber --layers 12 --epochs 3 --batch 17 --tensorboard "$tmp/tb_reg2" \
    --log "$tmp/reg2.csv" --save "$tmp/reg2.safetensors"
if ! "$bin" predict --model "$tmp/reg2.safetensors" --data "$tmp/reg2_val.csv" \
    -o "$tmp/reg2_pred.csv" >"$tmp/reg2_pred.out" 2>&1; then
    bad "cltrain predict on the validation file failed:"
    tail -3 "$tmp/reg2_pred.out"
    status=1
fi
train resume1 --data circles:n=1500 --layers 8 --epochs 2 --checkpoint "$tmp/ck" \
    --tensorboard "$tmp/tb_resume" --log "$tmp/resume.csv"
train resume2 --epochs 4 --checkpoint "$tmp/ck" --resume --tensorboard "$tmp/tb_resume" \
    --log "$tmp/resume.csv"
if ! "$bin" lr-find --data moons:n=2000 --layers 16 --steps 60 --tensorboard "$tmp/tb_lrfind" \
    --log "$tmp/lrfind.csv" >"$tmp/lrfind.out" 2>&1; then
    # exit 1 only when no rate can be suggested; the files are written before that
    grep -q "wrote TensorBoard event files" "$tmp/lrfind.out" || {
        bad "cltrain lr-find --tensorboard failed:"
        tail -5 "$tmp/lrfind.out"
        status=1
    }
fi
[ $status -eq 0 ] && ok "trained: classification, two regressions (MSE, Huber with --val-data), a resumed run, lr-find ($(($(date +%s) - t0)) s)"

# 1. the independent reader (standard library only)
if "$py" "$here/tensorboard_check.py" independent "$tmp"; then
    ok "the independent reader (framing, checksums, protobuf) agrees with the CSV logs"
else
    bad "the independent reader disagrees"
    status=1
fi

# 2. TensorBoard's own reader
venv="$build/tensorboard-venv"
if ! "$venv/bin/python" -c "import tensorboard.backend.event_processing.event_accumulator" \
    >/dev/null 2>&1; then
    s=$(date +%s)
    rm -rf "$venv"
    if "$py" -m venv --system-site-packages "$venv" >"$tmp/venv.log" 2>&1 &&
        "$venv/bin/pip" install --disable-pip-version-check -q tensorboard >"$tmp/pip.log" 2>&1; then
        ok "pip install tensorboard into $venv took $(($(date +%s) - s)) s (kept for the next runs)"
    else
        bad "cannot install the tensorboard package from PyPI into $venv (no network?), so TensorBoard's own reader did not run; the last lines:"
        tail -3 "$tmp/venv.log" "$tmp/pip.log" 2>/dev/null
        rm -rf "$venv"
        status=1
    fi
fi
if [ -x "$venv/bin/python" ]; then
    if "$venv/bin/python" -W ignore "$here/tensorboard_check.py" tensorboard "$tmp" 2>"$tmp/tb.err"; then
        ok "TensorBoard's event_accumulator reads the same values ($("$venv/bin/python" -c \
            'import tensorboard; print("tensorboard", tensorboard.__version__)'))"
    else
        bad "TensorBoard's event_accumulator disagrees:"
        tail -5 "$tmp/tb.err"
        status=1
    fi
fi

# 3. the progress line: on a terminal, with its rate, loss and time left; never through a pipe
if command -v script >/dev/null 2>&1; then
    script -qec "'$bin' train --data moons:n=20000 --layers 64,64 --epochs 2 --batch 16" \
        "$tmp/tty.log" >/dev/null 2>&1
    if grep -aEq 'epoch 1/2 \[[=> ]+\] [0-9]+/1250  [0-9]+ samples/s  loss [0-9.]+  [0-9]+:[0-9]{2} eta [0-9]+:[0-9]{2}' "$tmp/tty.log"; then
        ok "the progress line on a terminal: $(tr '\r' '\n' <"$tmp/tty.log" | grep -a 'samples/s' |
            sed 's/\x1b\[K//g' | sed -n 3p)"
    else
        bad "no progress line with samples/s, loss and eta on a terminal:"
        tr '\r' '\n' <"$tmp/tty.log" | tail -5
        status=1
    fi
else
    bad "script(1) (util-linux) is missing: the progress line on a terminal was not tested"
    status=1
fi
if grep -aq "samples/s  loss\|eta" "$tmp/class.err" "$tmp/class.out"; then
    bad "a progress line went into a pipe"
    status=1
else
    ok "no progress line when the output is not a terminal"
fi
# --progress: the line into a file as well, at most about 10 times a second; --no-progress: none
# on a terminal (the epoch lines stay)
s=$(date +%s%N)
"$bin" train --data moons:n=20000 --layers 64,64 --epochs 2 --batch 16 --progress \
    >"$tmp/forced.out" 2>"$tmp/forced.err"
ms=$((($(date +%s%N) - s) / 1000000))
tr '\r' '\n' <"$tmp/forced.err" | sed 's/\x1b\[K//g' | grep -a . >"$tmp/forced.lines"
n=$(wc -l <"$tmp/forced.lines")
if [ "$n" -ge 2 ] && [ "$n" -le $((ms / 100 + 4)) ] &&
    ! grep -aEvq '^epoch [12]/2 \[[=> ]{30}\] [0-9]+/1250  [0-9]+ samples/s  loss [0-9.]+  [0-9]+(:[0-9]{2}){1,2} eta [0-9]+(:[0-9]{2}){1,2}$' "$tmp/forced.lines" &&
    [ "$(grep -ac '1250/1250' "$tmp/forced.lines")" = 2 ]; then
    ok "--progress into a file: $n lines in $ms ms, each with samples/s, loss and eta"
else
    bad "--progress into a file: $n lines in $ms ms:"
    head -3 "$tmp/forced.lines"
    status=1
fi
if command -v script >/dev/null 2>&1; then
    script -qec "'$bin' train --data moons:n=5000 --layers 16 --epochs 2 --no-progress" \
        "$tmp/tty2.log" >/dev/null 2>&1
    if grep -aq '^epoch 2/2  loss' "$tmp/tty2.log" && ! grep -aq 'samples/s  loss' "$tmp/tty2.log"; then
        ok "--no-progress on a terminal: the epoch lines alone"
    else
        bad "--no-progress on a terminal:"
        tr '\r' '\n' <"$tmp/tty2.log" | tail -3
        status=1
    fi
fi
echo "tensorboard_cli: $(($(date +%s) - t0)) s"
exit $status
