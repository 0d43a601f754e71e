#!/usr/bin/env bash
# A cltrain built without MPI, started by mpirun as 2 processes, refuses with one clear line
# (instead of training two separate models into the same files), and one process under mpirun
# trains as usual.
# usage: mpi_absent.sh path/to/cltrain path/to/mpirun
set -u
bin="$1"
mpirun="$2"
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/harness.sh"
# shellcheck source=tests/mpi_env.sh
. "$(dirname "$0")/mpi_env.sh"

timeout 120 "$mpirun" -np 2 "$bin" train --data moons:n=200 --epochs 1 --batch 20 \
    --save "$tmp/m.safetensors" >"$tmp/out" 2>&1
rc=$?
lines=$(grep -c '^cltrain: error' "$tmp/out")
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$lines" = 1 ] &&
    grep -q '^cltrain: error: started as 2 processes (mpirun), but this cltrain was built without MPI' "$tmp/out" &&
    [ ! -e "$tmp/m.safetensors" ]; then
    ok "2 processes refused, nothing written: $(grep '^cltrain: error' "$tmp/out" | cut -c1-90)..."
else
    bad "exit $rc, $lines error lines"; cat "$tmp/out"
fi
if timeout 120 "$mpirun" -np 1 "$bin" train --data moons:n=200 --epochs 1 --batch 20 --quiet \
    --save "$tmp/m.safetensors" >"$tmp/out1" 2>&1 && [ -s "$tmp/m.safetensors" ]; then
    ok "one process under mpirun trains"
else
    bad "one process under mpirun"; cat "$tmp/out1"
fi
finish mpi_absent
