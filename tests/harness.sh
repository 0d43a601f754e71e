# shellcheck shell=bash
# Shared by the shell tests (sourced after they set $bin, the cltrain binary): a temporary folder
# $tmp removed at exit, pass and fail counters, and the ways to count a check.
#   ok NAME / bad NAME                  count a check decided by the caller
#   report NAME PASSED(1|0) WHY         count one; a failure prints WHY and $tmp/out, $tmp/err
#   check NAME COMMAND...               passes when the command succeeds
#   run NAME WANT_EXIT PATTERN [ENV=VAL ...] -- ARGS...
#                                       runs cltrain ARGS: the exit code must be WANT_EXIT and
#                                       PATTERN (grep -E) in stdout+stderr; on an error exit,
#                                       stderr must be one line starting "cltrain: error: "
#   finish NAME                         the summary line; the script's exit status
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

report() {
    if [ "$2" = 1 ]; then
        ok "$1"
    else
        bad "$1: $3"
        echo "---- stdout"; head -c 3000 "$tmp/out"; echo "---- stderr"; head -c 3000 "$tmp/err"
    fi
}

check() {
    local name="$1"
    shift
    if "$@" >"$tmp/out" 2>"$tmp/err"; then report "$name" 1 ""; else report "$name" 0 "command failed: $*"; fi
}

run() {
    local name="$1" want="$2" pattern="$3"
    shift 3
    local envs=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$? ok=1 why=""
    if [ "$got" != "$want" ]; then ok=0; why="exit $got, expected $want"; fi
    if ! cat "$tmp/out" "$tmp/err" | grep -Eq -- "$pattern"; then ok=0; why="$why; output lacks /$pattern/"; fi
    if [ "$want" != 0 ]; then
        local lines
        lines=$(wc -l <"$tmp/err")
        if [ "$lines" != 1 ]; then ok=0; why="$why; stderr has $lines lines, expected 1"; fi
        if ! grep -q '^cltrain: error: ' "$tmp/err"; then ok=0; why="$why; stderr does not start with 'cltrain: error: '"; fi
    fi
    report "$name" "$ok" "$why"
}

finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" = 0 ]
}
