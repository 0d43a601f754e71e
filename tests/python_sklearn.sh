#!/usr/bin/env bash
# The Python package as a user installs it: a virtual environment with the system's packages
# (Debian's NumPy and scikit-learn), `pip install` of a copy of the source tree offline (setuptools
# from Debian, no build isolation, no index: setup.py builds libcltrain with CMake into the
# package), then tests/python_estimators.py from outside the tree: scikit-learn's estimator checks
# on MLPClassifier and MLPRegressor, and the binding (devices, errors, pickling, files shared with
# the command line, the package without scikit-learn). Skipped (77) only when configure found no
# Python with NumPy; a Python without scikit-learn or venv fails, naming the package to install.
# usage: python_sklearn.sh SOURCE_DIR BUILD_DIR path/to/cltrain path/to/python (chosen by CMake)
set -u
src="$1"
build="$2"
bin="$3"
py="${4:-}"
if [ -z "$py" ]; then
    echo "python_sklearn: skipped: configure found no Python that can import NumPy" \
        "(scripts/bootstrap.sh installs python3-numpy; then run cmake again)"
    exit 77
fi
for need in "sklearn:python3-sklearn" "venv:python3-venv" "ensurepip:python3-venv" \
    "setuptools:python3-setuptools" "wheel:python3-wheel" "pandas:python3-pandas"; do
    if ! "$py" -c "import ${need%%:*}" >/dev/null 2>&1; then
        echo "python_sklearn: error: $py cannot import ${need%%:*}; install ${need#*:}" \
            "(scripts/bootstrap.sh does)" >&2
        exit 1
    fi
done
work="$build/python-test"
rm -rf "$work"
mkdir -p "$work/src"
# what `pip install .` needs of a checkout (tests/ and the rest stay out: BUILD_TESTING is off)
for f in pyproject.toml setup.py README.md CMakeLists.txt cmake host kernels python; do
    cp -r "$src/$f" "$work/src/" || exit 1
done
rm -rf "$work/src/python/"*.egg-info "$work/src/python/cltrain/__pycache__"
if ! "$py" -m venv --system-site-packages "$work/v" >"$work/venv.log" 2>&1; then
    echo "python_sklearn: error: $py -m venv failed:" >&2
    tail -5 "$work/venv.log" >&2
    exit 1
fi
start=$(date +%s)
if ! CMAKE_BUILD_PARALLEL_LEVEL=2 "$work/v/bin/pip" install --no-build-isolation --no-index \
    --no-deps "$work/src" >"$work/pip.log" 2>&1; then
    echo "python_sklearn: error: pip install of the package failed ($work/pip.log):" >&2
    tail -30 "$work/pip.log" >&2
    exit 1
fi
echo "python_sklearn: pip install (libcltrain built by CMake) took $(($(date +%s) - start)) s"
# the `cltrain` command the package puts on PATH (a launcher of the program built into it)
want="cltrain $("$work/v/bin/python" -c 'import cltrain; print(cltrain.__version__)' 2>&1)"
got=$(env PATH="$work/v/bin:/usr/bin:/bin" cltrain --version 2>&1)
if [ "$got" != "$want" ]; then
    echo "python_sklearn: error: \`cltrain --version\` from the virtual environment's PATH printed" \
        "'$got', expected '$want' (is $work/v/bin/cltrain installed?)" >&2
    exit 1
fi
if ! env PATH="$work/v/bin:/usr/bin:/bin" cltrain train --data xor --layers 4 --epochs 2 --batch 4 \
    >"$work/cli.log" 2>&1 || ! grep -q "^trained 2 epochs" "$work/cli.log"; then
    echo "python_sklearn: error: the installed cltrain command cannot train ($work/cli.log):" >&2
    tail -5 "$work/cli.log" >&2
    exit 1
fi
echo "python_sklearn: the installed command: $got, trains"
site="$("$work/v/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')"
cd "$work" || exit 1
exec "$work/v/bin/python" "$src/tests/python_estimators.py" "$bin" "$src/data" "$site"
