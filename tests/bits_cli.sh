#!/usr/bin/env bash
# The same bits on every OpenCL implementation (DESIGN.md principle 6, issue 25 item 4): a matrix
# of small seeded runs that together cover every activation, loss, optimizer, norm, dropout, L2,
# weight decay, clipping, warm-up and schedule trains on PoCL (cpu profile), PoCL with the gpu
# profile (the own product, a GPU's code paths), Mesa's rusticl (llvmpipe) and, for one run,
# oclgrind; the SHA-256 of every saved model must be the same on all of them. Prints a table.
# Also: the start line says "common bits", CLTRAIN_GEMM=clblast with --exact is an error.
#
# usage: bits_cli.sh path/to/cltrain [--no-rusticl] [--no-oclgrind]
#   --no-rusticl / --no-oclgrind: the build found no rusticl ICD / no oclgrind, or is a sanitizer
#   build, which runs on PoCL alone (CMake passes
#   them); without them a missing implementation is a failure, never a silent skip.
set -u
bin="$1"
shift
want_rusticl=1 want_oclgrind=1
for a in "$@"; do
    case "$a" in
    --no-rusticl) want_rusticl=0 ;;
    --no-oclgrind) want_oclgrind=0 ;;
    *) echo "bits_cli.sh: unknown option $a" >&2; exit 2 ;;
    esac
done
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"
unset CLTRAIN_GEMM CLTRAIN_EXACT CLTRAIN_KERNEL_CONFIG CLTRAIN_PROFILE CLTRAIN_DEVICE
start=$(date +%s)

# the runs (matrix: name|options) and the options they share (common)
# shellcheck source=tests/bits_matrix.sh
. "$(dirname "$0")/bits_matrix.sh"

# the implementations: name|environment
impls=("pocl-cpu|CLTRAIN_DEVICE=pthread" "pocl-gpu|CLTRAIN_DEVICE=pthread CLTRAIN_PROFILE=gpu")
if [ "$want_rusticl" = 1 ] &&
    RUSTICL_ENABLE=llvmpipe "$bin" devices --no-clblast --no-bits 2>/dev/null | grep -q rusticl; then
    impls+=("rusticl|RUSTICL_ENABLE=llvmpipe CLTRAIN_DEVICE=llvmpipe")
elif [ "$want_rusticl" = 1 ]; then
    bad "rusticl: no rusticl device (RUSTICL_ENABLE=llvmpipe; apt-get install mesa-opencl-icd, or configure with it absent so the test is told)"
else
    echo "note: rusticl not run (--no-rusticl: the build found no rusticl ICD, or is a sanitizer build): its column is left out"
fi

sha() { sha256sum "$1" | cut -c1-16; }
declare -A sum
for row in "${matrix[@]}"; do
    name=${row%%|*}
    read -r -a opts <<<"${row#*|}"
    for im in "${impls[@]}"; do
        iname=${im%%|*}
        read -r -a envs <<<"${im#*|}"
        f="$tmp/$name.$iname.safetensors"
        # a time limit per run: a hung driver fails the run by name instead of stalling (rusticl
        # compiles each kernel at its first launch, minutes for a run's kernels on a cold cache
        # and a busy machine)
        limit=120
        [ "$iname" = rusticl ] && limit=400
        if timeout "$limit" env "${envs[@]}" "$bin" train "${opts[@]}" "${common[@]}" --save "$f" >"$tmp/out" 2>"$tmp/err" &&
            grep -q ', common bits$' "$tmp/out"; then
            sum[$name.$iname]=$(sha "$f")
        else
            sum[$name.$iname]="failed"
            bad "$name on $iname: the run failed or its start line does not say 'common bits'"
            cat "$tmp/out" "$tmp/err" | head -20
        fi
    done
done

# oclgrind, one run (the simulator is slow): the CPU-shaped product, the cheapest to simulate
ocl_run=r5
if [ "$want_oclgrind" = 0 ]; then
    echo "oclgrind: not run (--no-oclgrind: the build was configured without it, or is a sanitizer build)"
elif command -v oclgrind >/dev/null 2>&1; then
    row=$(printf '%s\n' "${matrix[@]}" | grep "^$ocl_run|")
    read -r -a opts <<<"${row#*|}"
    f="$tmp/$ocl_run.oclgrind.safetensors"
    if CLTRAIN_DEVICE=oclgrind CLTRAIN_GEMM=cpu CLTRAIN_NO_PROGRAM_CACHE=1 \
        oclgrind "$bin" train "${opts[@]}" "${common[@]}" --save "$f" >"$tmp/out" 2>"$tmp/err"; then
        sum[$ocl_run.oclgrind]=$(sha "$f")
    else
        sum[$ocl_run.oclgrind]="failed"
        bad "$ocl_run on oclgrind: the run failed"
        cat "$tmp/out" "$tmp/err" | head -20
    fi
else
    bad "oclgrind: not installed (apt-get install oclgrind, or configure with it absent so the test is told)"
fi

# the table, and one check per run
printf '\n%-4s' run
for im in "${impls[@]}"; do printf ' %-16s' "${im%%|*}"; done
printf ' %-16s\n' oclgrind
for row in "${matrix[@]}"; do
    name=${row%%|*}
    ref="${sum[$name.pocl-cpu]}"
    same=1
    printf '%-4s' "$name"
    for im in "${impls[@]}"; do
        s="${sum[$name.${im%%|*}]}"
        printf ' %-16s' "$s"
        [ "$s" = "$ref" ] || same=0
    done
    s="${sum[$name.oclgrind]:--}"
    printf ' %-16s\n' "$s"
    [ "$s" = - ] || [ "$s" = "$ref" ] || same=0
    [ "$ref" != failed ] || same=0
    if [ "$same" = 1 ]; then ok "$name: the same SHA-256 everywhere"; else bad "$name: the SHA-256 differ"; fi
done
echo "(SHA-256, first 16 hex digits; options: ${common[*]} and, per run, the matrix in $0)"

# the start line and --exact
run "--exact with CLBlast forced is an error" 1 "contradict" CLTRAIN_GEMM=clblast CLTRAIN_EXACT=1 -- \
    train --data moons:n=64 --layers 8 --epochs 1 --quiet
run "--exact says common bits" 0 ", common bits" -- train --data moons:n=64 --layers 8 --epochs 1 --exact
echo "bits_cli: $(($(date +%s) - start)) s"
finish bits_cli
