#!/usr/bin/env bash
# Data-parallel scaling under mpirun on the suite's larger nets: time per training step with 1
# and 2 ranks (the same global batch), the speed-up and scaling efficiency, and the share of the
# step spent in the gradient allreduce. On a CPU-only machine each rank's PoCL gets one core
# (POCL_MAX_PTHREAD_COUNT=1, POCL_CPU_MAX_CU_COUNT=1), so 2 ranks on 2 cores compare with 1 rank
# on 1 core like two devices with one; the usual one-process run on every core is printed too.
# Step time: the median over runs of the median per-epoch time (from epoch 2, after the kernel
# build) divided by the steps per epoch. Allreduce: rank 0's time in the gradient sums (device
# read, MPI_Allreduce, write back) per step, over the whole run.
# usage: bench/mpi_scaling.sh [path/to/cltrain]   (REPEAT=3 runs per configuration)
set -euo pipefail
bin="${1:-build/cltrain}"
repeat="${REPEAT:-3}"
mpirun=$(command -v mpirun) || { echo "mpi_scaling: mpirun not found (Debian: openmpi-bin)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 PRTE_MCA_rmaps_default_mapping_policy=:oversubscribe
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name | data | layers | batch | epochs
nets=(
    "c 1000-500-200-100-10 b256|classification:n=8192,features=1000,informative=50,classes=10|500,200,100|256|4"
    "d 10000-5000-1000-100 b1024|classification:n=4096,features=10000,informative=50,classes=100|5000,1000|1024|3"
)

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run LABEL RANKS THREADS DATA LAYERS BATCH EPOCHS -> "step_ms allreduce_ms" (medians of REPEAT)
run() {
    local label="$1" ranks="$2" threads="$3" data="$4" layers="$5" batch="$6" epochs="$7"
    local steps_ms=() ar_ms=()
    for r in $(seq "$repeat"); do
        local env=()
        [ "$threads" != all ] && env=(env POCL_MAX_PTHREAD_COUNT="$threads" POCL_CPU_MAX_CU_COUNT="$threads")
        local cmd=("$bin" train --data "$data" --layers "$layers" --batch "$batch" --epochs "$epochs"
            --log "$tmp/log.csv")
        if [ "$ranks" = 0 ]; then
            "${env[@]}" "${cmd[@]}" >"$tmp/out" 2>&1
        else
            "${env[@]}" "$mpirun" -np "$ranks" "${cmd[@]}" >"$tmp/out" 2>&1
        fi || { echo "mpi_scaling: $label failed:" >&2; cat "$tmp/out" >&2; exit 1; }
        local spe
        spe=$(awk -F, 'NR == 2 { print $2 }' "$tmp/log.csv")
        steps_ms+=("$(awk -F, -v s="$spe" 'NR > 2 { print 1000 * $8 / s }' "$tmp/log.csv" | median)")
        ar_ms+=("$(sed -n 's/.*of which \([0-9.]*\) ms .*/\1/p' "$tmp/out")")
    done
    local s a
    s=$(printf '%s\n' "${steps_ms[@]}" | median)
    if [ -n "${ar_ms[0]}" ]; then a=$(printf '%s\n' "${ar_ms[@]}" | median); else a=-; fi
    echo "$s $a"
}

echo "mpi_scaling: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p'), $("$mpirun" --version | head -1), repeat $repeat"
printf '| %-28s | %-26s | %12s | %14s | %9s |\n' net configuration "ms per step" "allreduce ms" "share"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..30})" "$(printf -- '-%.0s' {1..28})" \
    "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..11})"
for spec in "${nets[@]}"; do
    IFS='|' read -r name data layers batch epochs <<<"$spec"
    read -r all _ < <(run "$name all" 0 all "$data" "$layers" "$batch" "$epochs")
    read -r one _ < <(run "$name 1x1" 1 1 "$data" "$layers" "$batch" "$epochs")
    read -r two ar < <(run "$name 2x1" 2 1 "$data" "$layers" "$batch" "$epochs")
    share=$(awk -v a="$ar" -v s="$two" 'BEGIN { printf "%.1f%%", 100 * a / s }')
    printf '| %-28s | %-26s | %12.1f | %14s | %9s |\n' "$name" "1 process, all cores" "$all" - -
    printf '| %-28s | %-26s | %12.1f | %14s | %9s |\n' "$name" "1 rank x 1 core" "$one" - -
    printf '| %-28s | %-26s | %12.1f | %14.1f | %9s |\n' "$name" "2 ranks x 1 core" "$two" "$ar" "$share"
    awk -v n="$name" -v a="$one" -v b="$two" 'BEGIN { printf "  %s: speed-up 2 ranks / 1 rank %.2fx, scaling efficiency %.0f%%\n", n, a / b, 50 * a / b }'
done
