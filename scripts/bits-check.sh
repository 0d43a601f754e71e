#!/usr/bin/env bash
# Trains the seeded runs of tests/bits_matrix.sh on each OpenCL implementation named (with
# --exact: the common bits, DESIGN.md principle 6) and compares the model files bit for bit.
# Writes DIR/RUN.NAME.safetensors and DIR/bits.md: a table of SHA-256 per run and implementation
# and, for each file that differs from the first implementation's, the first tensor and value
# that differ (scripts/bits_diff.py: name, index, both values and their hex bits).
#
#   scripts/bits-check.sh --cltrain BIN --dir DIR [--reference REFDIR] 'NAME [VAR=VALUE...]'...
#
# Each implementation is a name and the environment that selects it, in one argument, e.g.
# 'gpu CLTRAIN_DEVICE=gpu' or 'pocl-gpu CLTRAIN_DEVICE=cpu CLTRAIN_PROFILE=gpu'.
# --reference REFDIR: files trained elsewhere (REFDIR/RUN.NAME.safetensors, as this script
# writes them; one NAME), compared as one more column, 'NAME (carried)'. With one implementation
# and no reference, the files are written and listed (a reference to carry elsewhere).
# Exit 0 when every run gives the same bytes everywhere, 1 when one differs or fails, 2 on usage.
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="" dir="" ref="" impls=()
while [ $# -gt 0 ]; do
    case "$1" in
    --cltrain | --dir | --reference)
        [ $# -ge 2 ] || { echo "bits-check: $1 needs a value" >&2; exit 2; }
        case "$1" in --cltrain) bin="$2" ;; --dir) dir="$2" ;; *) ref="$2" ;; esac
        shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bits-check: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) impls+=("$1"); shift ;;
    esac
done
[ -n "$bin" ] && [ -x "$bin" ] || { echo "bits-check: --cltrain '$bin' is no executable" >&2; exit 2; }
[ -n "$dir" ] || { echo "bits-check: --dir is required" >&2; exit 2; }
[ ${#impls[@]} -ge 1 ] || { echo "bits-check: name at least one implementation (see --help)" >&2; exit 2; }
[ -z "$ref" ] || [ -d "$ref" ] || { echo "bits-check: --reference '$ref' is no folder" >&2; exit 2; }
mkdir -p "$dir" || { echo "bits-check: cannot create '$dir'" >&2; exit 2; }
# shellcheck source=tests/bits_matrix.sh
. "$root/tests/bits_matrix.sh"
unset CLTRAIN_GEMM CLTRAIN_EXACT CLTRAIN_KERNEL_CONFIG CLTRAIN_PROFILE

py=""
for p in python3 /usr/bin/python3; do
    command -v "$p" >/dev/null 2>&1 && "$p" -c 'import json, struct, math; math.prod' >/dev/null 2>&1 && { py="$p"; break; }
done

declare -A sum file
cols=() failed=0 devline=()
for im in "${impls[@]}"; do
    read -r -a words <<<"$im"
    name="${words[0]}"
    cols+=("$name")
    envs=("${words[@]:1}")
    devline+=("")
    for row in "${matrix[@]}"; do
        run=${row%%|*}
        read -r -a opts <<<"${row#*|}"
        f="$dir/$run.$name.safetensors"
        rm -f "$f"
        # a time limit per run: a hung driver fails the run by name instead of stalling
        if timeout -k 5 120 env ${envs[@]+"${envs[@]}"} "$bin" train "${opts[@]}" "${common[@]}" --exact \
            --save "$f" >"$dir/$run.$name.log" 2>&1 && grep -q ', common bits$' "$dir/$run.$name.log"; then
            sum[$run.$name]=$(sha256sum "$f" | cut -c1-16)
            file[$run.$name]="$f"
        else
            sum[$run.$name]="failed"
            echo "bits-check: $run on $name failed or its start line lacks 'common bits' (log: $dir/$run.$name.log)"
            failed=1
        fi
        [ -n "${devline[-1]}" ] || devline[-1]=$(grep -m1 '^device: ' "$dir/$run.$name.log" | cut -c9-)
    done
done
if [ -n "$ref" ]; then
    rname=""
    for row in "${matrix[@]}"; do
        run=${row%%|*}
        set -- "$ref/$run".*.safetensors
        if [ $# = 1 ] && [ -e "$1" ]; then
            n=${1##*/"$run".}
            n=${n%.safetensors}
            [ -n "$rname" ] || rname="$n (carried)"
            sum[$run.ref]=$(sha256sum "$1" | cut -c1-16)
            file[$run.ref]="$1"
        else
            sum[$run.ref]="missing"
            echo "bits-check: $ref holds $([ -e "$1" ] && echo "$# files" || echo no file) $run.*.safetensors (one wanted)"
            failed=1
        fi
    done
    cols+=(ref)
fi

# the table, then the first difference of every file that differs from the first column's
first="${cols[0]}"
same_runs=0 details="" differ=""
{
    echo "Seeded runs of tests/bits_matrix.sh, each trained with --exact on every implementation;"
    echo "SHA-256 of the saved model (first 16 hex digits). Every run shares: ${common[*]}."
    echo
    for i in "${!impls[@]}"; do
        e="${impls[$i]#"${cols[$i]}"}"
        e="${e# }"
        echo "- ${cols[$i]} (${e:-the default device}): ${devline[$i]:-no run started}"
    done
    [ -z "$ref" ] || echo "- ${rname:-carried}: the files in $ref"
    echo
    printf '| run |'; for c in "${cols[@]}"; do printf ' %s |' "$([ "$c" = ref ] && echo "${rname:-carried}" || echo "$c")"; done; echo ' same bits |'
    printf '|---|'; for _ in "${cols[@]}"; do printf -- '---|'; done; echo '---|'
} >"$dir/bits.md"
for row in "${matrix[@]}"; do
    run=${row%%|*}
    base="${sum[$run.$first]}"
    same=1
    line="| $run |"
    for c in "${cols[@]}"; do
        s="${sum[$run.$c]}"
        line="$line \`$s\` |"
        if [ "$s" != "$base" ] || [ "$s" = failed ] || [ "$s" = missing ]; then same=0; fi
        if [ "$c" != "$first" ] && [ -n "${file[$run.$c]:-}" ] && [ -n "${file[$run.$first]:-}" ] && [ "$s" != "$base" ]; then
            label="$([ "$c" = ref ] && echo "${rname:-carried}" || echo "$c")"
            if [ -n "$py" ]; then
                d=$("$py" "$root/scripts/bits_diff.py" "${file[$run.$first]}" "${file[$run.$c]}" 2>&1)
            else
                d="(no python3 here to find the tensor) $(cmp "${file[$run.$first]}" "${file[$run.$c]}" 2>&1 | head -1)"
            fi
            details="$details${details:+$'\n'}### $run: $first (A) against $label (B)"$'\n\n```\n'"$d"$'\n```\n'
        fi
    done
    [ ${#cols[@]} -gt 1 ] || same=1
    [ "${sum[$run.$first]}" != failed ] || same=0
    if [ "$same" = 1 ]; then same_runs=$((same_runs + 1)); line="$line yes |"; else failed=1; line="$line **NO** |"; differ="$differ $run"; fi
    echo "$line" >>"$dir/bits.md"
done
names=""
for c in "${cols[@]}"; do names="$names${names:+, }$([ "$c" = ref ] && echo "${rname:-carried}" || echo "$c")"; done
summary="bits: $same_runs of ${#matrix[@]} runs give the same bytes on $names"
[ -z "$differ" ] || summary="$summary; failed (the bytes differ, or a run failed):$differ"
[ ${#cols[@]} -gt 1 ] || summary="bits: ${#matrix[@]} runs trained on $names (nothing to compare with): $dir"
{
    echo
    echo "$summary"
    [ -z "$details" ] || printf '\n%s\n' "$details"
} >>"$dir/bits.md"
echo "$summary"
[ -z "$details" ] || printf '%s\n' "$details"
exit $failed
