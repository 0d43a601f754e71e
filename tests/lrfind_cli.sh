#!/usr/bin/env bash
# cltrain lr-find through the command line, on the default device (PoCL in CI): the suggested
# learning rate trains moons well, --log and --plot write their files, bad options are one-line
# errors with exit 2.
# usage: lrfind_cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

# at_least A B: A >= B (decimals)
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# 1. the range test on moons prints a suggestion
data="moons:n=1000,noise=0.2"
if "$bin" lr-find --data "$data" --layers 64,32 --log "$tmp/lr.csv" --plot "$tmp/lr.svg" \
    >"$tmp/find.out" 2>&1; then
    ok "lr-find on moons exits 0"
else
    bad "lr-find on moons failed"; cat "$tmp/find.out"
fi
lr=$(sed -n 's/^suggested learning rate: \([-0-9.eE+]*\) (steepest descent of the smoothed loss)$/\1/p' \
    "$tmp/find.out")
if [ -n "$lr" ] && at_least "$lr" 1e-6 && at_least 1 "$lr"; then
    ok "suggested learning rate $lr (between 1e-6 and 1)"
else
    bad "no sensible suggestion: '$lr'"; cat "$tmp/find.out"
fi
rows=$(grep -cE '^ +[0-9]+ +[-0-9.e+]+ +[-0-9.e+]+ +[-0-9.e+]+' "$tmp/find.out")
if [ "$rows" -ge 5 ] && [ "$rows" -le 40 ]; then ok "a table of $rows rows"; else bad "table of $rows rows"; cat "$tmp/find.out"; fi

# 2. training with it for 20 epochs reaches 90% on the held-out part
if [ -n "$lr" ]; then
    "$bin" train --data "$data" --layers 64,32 --lr "$lr" --epochs 20 --val 0.2 --quiet \
        >"$tmp/train.out" 2>&1
    acc=$(sed -n 's/^validation: loss [^,]*, accuracy \([0-9.]*\)$/\1/p' "$tmp/train.out")
    if [ -n "$acc" ] && at_least "$acc" 0.9; then
        ok "train --lr $lr: validation accuracy $acc >= 0.9"
    else
        bad "train --lr $lr: validation accuracy '$acc' < 0.9"; cat "$tmp/train.out"
    fi
fi

# 2b. digits (issue 24): the smoothed loss's minimum at lr 0.193, then a divergence whose loss
# swings back down; the suggestion was 3.73, past the minimum, and trained to 0.0975. It must
# lie before the minimum, and train well.
digits="$(dirname "$0")/../data/digits.csv"
if "$bin" lr-find --data "$digits" --standardize --plot "$tmp/digits.svg" >"$tmp/digits.out" 2>&1; then
    dlr=$(sed -n 's/^suggested learning rate: \([-0-9.eE+]*\) .*/\1/p' "$tmp/digits.out")
    dmin=$(sed -n 's/^minimum of the smoothed loss: [-0-9.eE+]* at lr \([-0-9.eE+]*\)$/\1/p' "$tmp/digits.out")
    if [ -n "$dlr" ] && [ -n "$dmin" ] && awk -v a="$dlr" -v b="$dmin" 'BEGIN { exit !(a + 0 < b + 0) }'; then
        ok "digits: suggested lr $dlr lies before the minimum at lr $dmin"
    else
        bad "digits: suggested lr '$dlr', minimum at lr '$dmin'"; tail -4 "$tmp/digits.out"
    fi
    grep -q "suggested lr $dlr" "$tmp/digits.svg" && ok "digits: the plot marks the suggestion" ||
        bad "digits: the plot does not mark 'suggested lr $dlr'"
    if [ -n "$dlr" ]; then
        "$bin" train --data "$digits" --standardize --lr "$dlr" --val 0.2 --quiet >"$tmp/dtrain.out" 2>&1
        acc=$(sed -n 's/^validation: loss [^,]*, accuracy \([0-9.]*\)$/\1/p' "$tmp/dtrain.out")
        if [ -n "$acc" ] && at_least "$acc" 0.9; then
            ok "digits: train --lr $dlr: validation accuracy $acc >= 0.9"
        else
            bad "digits: train --lr $dlr: validation accuracy '$acc' < 0.9"; tail -3 "$tmp/dtrain.out"
        fi
    fi
else
    bad "lr-find on digits failed"; tail -3 "$tmp/digits.out"
fi

# 3. --log: the header and one row per recorded step; --plot: an SVG
if [ -f "$tmp/lr.csv" ] && [ "$(head -1 "$tmp/lr.csv")" = "step,lr,loss,smoothed_loss" ] &&
    [ "$(tail -n +2 "$tmp/lr.csv" | grep -cE '^[0-9]+,[-0-9.e+]+,[-0-9.e+]+,[-0-9.e+]+$')" -ge 10 ]; then
    ok "--log: header and $(($(wc -l <"$tmp/lr.csv") - 1)) rows"
else
    bad "--log file"; head -3 "$tmp/lr.csv" 2>/dev/null
fi
if [ -f "$tmp/lr.svg" ] && head -c 200 "$tmp/lr.svg" | grep -q "<svg" && grep -q "</svg>" "$tmp/lr.svg" &&
    grep -q "suggested lr" "$tmp/lr.svg"; then
    ok "--plot: an SVG with the suggestion"
else
    bad "--plot file"
fi

# 4. the reference backend and explicit options
if "$bin" lr-find --data moons:n=200 --layers 8 --backend reference --steps 40 --optimizer sgd \
    --start-lr 1e-4 --end-lr 100 --smooth 0.9 --diverge 3 >"$tmp/ref.out" 2>&1 &&
    grep -q "^suggested learning rate: " "$tmp/ref.out"; then
    ok "--backend reference with explicit options"
else
    bad "--backend reference"; cat "$tmp/ref.out"
fi

# 5. no suggestion (diverges at once) is a failure: exit 1, one line on stderr
"$bin" lr-find --data moons:n=200 --layers 8 --optimizer sgd --start-lr 1e5 --end-lr 1e6 --steps 20 \
    >"$tmp/div.out" 2>"$tmp/div.err"
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l <"$tmp/div.err")" = 1 ] && grep -q "no learning rate to suggest" "$tmp/div.err"; then
    ok "diverging at once: exit 1, $(cat "$tmp/div.err")"
else
    bad "diverging at once: exit $rc"; cat "$tmp/div.out" "$tmp/div.err"
fi

# 6. bad options: one line on stderr, exit 2, naming the problem
expect_usage() {
    local what="$1" pattern="$2"
    shift 2
    "$bin" lr-find "$@" >"$tmp/u.out" 2>"$tmp/u.err"
    local rc=$?
    if [ "$rc" = 2 ] && [ "$(wc -l <"$tmp/u.err")" = 1 ] && grep -q -- "$pattern" "$tmp/u.err"; then
        ok "$what: exit 2, $(cat "$tmp/u.err")"
    else
        bad "$what: exit $rc"; cat "$tmp/u.err"
    fi
}
expect_usage "no --data" "--data is required"
expect_usage "unknown option" "unknown option '--bogus'" --data moons --bogus
expect_usage "--lr does not apply" "does not apply" --data moons --lr 0.1
expect_usage "bad --start-lr" "--start-lr" --data moons --start-lr -1
expect_usage "end below start" "must be larger than --start-lr" --data moons --start-lr 1 --end-lr 0.1
expect_usage "bad --steps" "--steps" --data moons --steps 1
expect_usage "bad --smooth" "--smooth" --data moons --smooth 1
expect_usage "bad --diverge" "--diverge" --data moons --diverge 0.5
expect_usage "bad --optimizer" "--optimizer" --data moons --optimizer adagrad
expect_usage "bad --activation" "unknown activation" --data moons --activation softsign
expect_usage "missing value" "needs a value" --data moons --steps
expect_usage "bad --backend" "--backend" --data moons --backend cuda
if "$bin" lr-find --help | grep -q "^usage: cltrain \[--device SEL\] lr-find"; then ok "--help"; else bad "--help"; fi

finish lrfind_cli
