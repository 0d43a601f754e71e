#!/usr/bin/env bash
# Writing to a full or read-only place fails with a clear message and keeps the old file.
# Needs a small tmpfs (mount, as root); exits 77 (skipped, and says why) where it cannot mount.
# usage: disk_cli.sh path/to/cltrain
set -u
bin="$1"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"
mnt="$tmp/mnt"
mkdir -p "$mnt"
cleanup() { umount "$mnt" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
if ! mount -t tmpfs -o size=96k tmpfs "$mnt" 2>"$tmp/mount.err"; then
    echo "SKIP: cannot mount a small tmpfs to fill ($(cat "$tmp/mount.err")); run as root to test a full disk"
    exit 77
fi

# expect NAME PATTERN FILE ARGS...: exit 1, one error line matching PATTERN, FILE still "keep me",
# no temporaries beside it
expect() {
    local name="$1" pattern="$2" file="$3"
    shift 3
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    local why=""
    [ $rc = 1 ] || why="exit $rc"
    grep -Eq -- "$pattern" "$tmp/err" || why="$why; no /$pattern/ in: $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/err")" = 1 ] || why="$why; stderr has $(wc -l <"$tmp/err") lines"
    [ "$(cat "$file")" = "keep me" ] || why="$why; $file changed"
    ls "$(dirname "$file")" | grep -q "\.tmp-" && why="$why; a temporary is left"
    if [ -z "$why" ]; then ok "$name: $(cat "$tmp/err")"; else bad "$name: $why"; fi
}

printf 'keep me' >"$mnt/model.safetensors"
printf 'keep me' >"$mnt/log.csv"
printf 'keep me' >"$mnt/plot.svg"
big=(train --data moons:n=200 --layers 256,256 --epochs 1 --quiet)
expect "--save on a full disk" "No space left on device" "$mnt/model.safetensors" "${big[@]}" --save "$mnt/model.safetensors"
dd if=/dev/zero of="$mnt/filler" bs=1k count=200 2>/dev/null # fill what is left
expect "--log on a full disk" "No space left on device" "$mnt/log.csv" "${big[@]}" --log "$mnt/log.csv"
expect "--plot on a full disk" "No space left on device" "$mnt/plot.svg" "${big[@]}" --plot "$mnt/plot.svg"
rm -f "$mnt/filler"
mount -o remount,ro "$mnt"
expect "--save on a read-only disk" "Read-only file system" "$mnt/model.safetensors" "${big[@]}" --save "$mnt/model.safetensors"
expect "--checkpoint on a read-only disk" "Read-only file system" "$mnt/model.safetensors" "${big[@]}" --checkpoint "$mnt/ck"
finish disk_cli
