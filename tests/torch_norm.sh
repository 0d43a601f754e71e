#!/usr/bin/env bash
# Runs torch_norm.py with the first python3 that imports torch and NumPy (the one first on PATH,
# then Debian's); exit 77 (CTest: skipped, with the reason) where none does.
# usage: torch_norm.sh path/to/cltrain
set -u
for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import numpy, torch' >/dev/null 2>&1; then
        exec "$py" "$(dirname "$0")/torch_norm.py" "$1"
    fi
done
echo "skipped: no python3 here imports torch and NumPy (apt-get install python3-torch to run it)"
exit 77
