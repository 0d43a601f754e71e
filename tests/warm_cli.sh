#!/usr/bin/env bash
# cltrain warm and the kernel warm-up helper of train: a plan is read and compiled (bad plans are
# one clear error); on PoCL with two or more compute units and empty caches, train starts the
# helper, which compiles the first step's kernels; a warm start starts none, CLTRAIN_PREWARM=0
# none; and the trained model is the same, bit for bit, with and without it.
# usage: warm_cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

# the plan format and its errors
printf 'gather_perm 2 1 64 1\nadam_step 1 64 1 1\n' >"$tmp/plan"
run "warm --help" 0 "usage: cltrain \[--device SEL\] warm" -- warm --help
run "a plan from a file" 0 "^warm: 2 kernels launched" -- warm --plan "$tmp/plan"
run "a plan on stdin (empty)" 0 "^warm: 0 kernels launched" -- warm --plan /dev/null
printf 'adam_step 1 64 1 1\nno_such_kernel 1 1 1 1\n' >"$tmp/bad1"
run "an unknown kernel" 1 "plan line 2: no kernel named 'no_such_kernel'" -- warm --plan "$tmp/bad1"
printf 'adam_step 1 64\n' >"$tmp/bad2"
run "a short line" 1 "plan line 1: 'adam_step 1 64' is not 'kernel dims l0 l1 l2'" -- \
    warm --plan "$tmp/bad2"
printf 'adam_step 4 64 1 1\n' >"$tmp/bad3"
run "four dimensions" 1 "plan line 1: 'adam_step 4 64 1 1' is not" -- warm --plan "$tmp/bad3"
run "a missing plan file" 1 "warm: cannot open $tmp/none: No such file" -- warm --plan "$tmp/none"
run "an unknown option" 2 "warm: unknown option '--fast'" -- warm --fast

# train DIR MODEL [ENV=VAL ...]: a short run on the cltrain and PoCL caches in DIR, the helper's
# output (if one starts) appended to DIR/warm.log
train() {
    local dir="$1" model="$2"
    shift 2
    mkdir -p "$dir"
    env XDG_CACHE_HOME="$dir" POCL_CACHE_DIR="$dir/pocl" CLTRAIN_WARM_LOG="$dir/warm.log" "$@" \
        "$bin" train --data moons:n=97 --layers 13,6 --batch 16 --epochs 2 --dropout 0.1 \
        --seed 5 --quiet --save "$model" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    report "train $(basename "$model") ($*)" "$([ "$rc" = 0 ] && echo 1)" "exit $rc"
}
launched() { sed -n 's/^warm: \([0-9]*\) kernels launched.*/\1/p' "$1" 2>/dev/null | tail -1; }

platform=$("$bin" devices 2>/dev/null | awk '/\*default/ { d = 1 } d && /platform/ { $1 = ""; print; exit }')
units=$("$bin" devices 2>/dev/null | awk '/\*default/ { d = 1 } d && /compute units/ { print $3; exit }')
echo "default device:$platform, ${units:-?} compute units"
helper=0
case "$platform" in *"Portable Computing Language"*) [ "${units:-0}" -ge 2 ] && helper=1 ;; esac

train "$tmp/a" "$tmp/a.safetensors"
if [ "$helper" = 1 ]; then
    n=$(launched "$tmp/a/warm.log")
    report "cold PoCL caches: the helper compiled the step's kernels" \
        "$([ "${n:-0}" -ge 5 ] && echo 1)" "helper log: $(cat "$tmp/a/warm.log" 2>/dev/null)"
else
    report "no helper on this device" "$([ ! -e "$tmp/a/warm.log" ] && echo 1)" \
        "a helper ran: $(cat "$tmp/a/warm.log")"
fi
rm -f "$tmp/a/warm.log"
train "$tmp/a" "$tmp/b.safetensors"
report "a warm start starts no helper" "$([ ! -e "$tmp/a/warm.log" ] && echo 1)" \
    "a helper ran: $(cat "$tmp/a/warm.log" 2>/dev/null)"
train "$tmp/c" "$tmp/c.safetensors" CLTRAIN_PREWARM=0
report "CLTRAIN_PREWARM=0: no helper" "$([ ! -e "$tmp/c/warm.log" ] && echo 1)" \
    "a helper ran: $(cat "$tmp/c/warm.log" 2>/dev/null)"
for m in b c; do
    report "$m identical to the run with the helper" \
        "$(cmp -s "$tmp/a.safetensors" "$tmp/$m.safetensors" && echo 1)" "models differ"
done

finish warm_cli
