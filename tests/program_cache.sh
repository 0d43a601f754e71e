#!/usr/bin/env bash
# The built-program cache ($XDG_CACHE_HOME/cltrain/programs): on PoCL with its own kernel cache
# cltrain writes no program binary (PoCL keeps the compiled kernels); elsewhere, and on PoCL
# with POCL_KERNEL_CACHE=0, it writes one, a later run builds from it, and a damaged binary is
# rebuilt from source. Every run trains the same model, bit for bit.
# usage: program_cache.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"

# train CACHE_HOME MODEL [ENV=VAL ...]: a short run on its own cltrain and PoCL caches
train() {
    local home="$1" model="$2"
    shift 2
    env XDG_CACHE_HOME="$home" POCL_CACHE_DIR="$home/pocl" "$@" "$bin" train --data xor \
        --epochs 3 --seed 7 --quiet --save "$model" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    report "train $(basename "$model") ($*)" "$([ "$rc" = 0 ] && echo 1)" "exit $rc"
}
binaries() { find "$1/cltrain/programs" -name '*.bin' 2>/dev/null | wc -l; }

platform=$("$bin" devices 2>/dev/null | awk '/\*default/ { d = 1 } d && /platform/ { $1 = ""; print; exit }')
pocl=0
case "$platform" in *"Portable Computing Language"*) pocl=1 ;; esac
echo "default device's platform:$platform"

# 1. the default setting
train "$tmp/a" "$tmp/m1.safetensors"
n=$(binaries "$tmp/a")
if [ "$pocl" = 1 ]; then
    report "PoCL: no program binary of ours" "$([ "$n" = 0 ] && echo 1)" "$n written"
    k=$(find "$tmp/a/pocl" -name '*.so' | wc -l)
    report "PoCL: its cache holds the compiled kernels" "$([ "$k" -gt 0 ] && echo 1)" \
        "no kernel in $tmp/a/pocl"
else
    report "one program binary written" "$([ "$n" = 1 ] && echo 1)" "$n written"
fi

# 2. our cache in use (PoCL without its kernel cache): written once, then built from
extra=()
[ "$pocl" = 1 ] && extra=(POCL_KERNEL_CACHE=0)
train "$tmp/b" "$tmp/m2.safetensors" "${extra[@]}"
n=$(binaries "$tmp/b")
report "program binary written" "$([ "$n" = 1 ] && echo 1)" "$n written"
f=$(find "$tmp/b/cltrain/programs" -name '*.bin' | head -1)
before=$(stat -c %Y.%s "$f" 2>/dev/null)
sleep 1
train "$tmp/b" "$tmp/m3.safetensors" "${extra[@]}"
report "the second run builds from it (not rewritten)" \
    "$([ "$(stat -c %Y.%s "$f" 2>/dev/null)" = "$before" ] && echo 1)" "rewritten"

# 3. a damaged binary is rebuilt from source and replaced
printf 'not a program' >"$f"
train "$tmp/b" "$tmp/m4.safetensors" "${extra[@]}"
size=$(stat -c %s "$f" 2>/dev/null || echo 0)
report "a damaged binary is replaced" "$([ "$size" -gt 13 ] && echo 1)" "size $size"
left=$(find "$tmp/b/cltrain/programs" -type f ! -name '*.bin' | wc -l)
report "no temporary files left" "$([ "$left" = 0 ] && echo 1)" "$left left"

# 4. the same model every time
for m in m2 m3 m4; do
    report "$m identical to m1" "$(cmp -s "$tmp/m1.safetensors" "$tmp/$m.safetensors" && echo 1)" \
        "models differ"
done

finish program_cache
