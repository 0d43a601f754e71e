"""The `cltrain` command of the Python package: `pip install .` puts a launcher named cltrain on
PATH (pyproject.toml's [project.scripts]) that runs the command line built with the package
(cltrain/bin/cltrain, the same program as ./build/cltrain, with libcltrain linked in), so
`cltrain train ...`, `cltrain predict ...` and the rest work in the environment the package is
installed in."""
import os
import sys


def binary():
    """The path of the bundled command line program."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "cltrain")


def main():
    path = binary()
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        sys.stderr.write("cltrain: error: the command line program is not in this installation "
                         "(no executable %s); reinstall the package with `pip install .`, or "
                         "run ./build/cltrain of a source build\n" % path)
        return 1
    os.execv(path, ["cltrain"] + sys.argv[1:])
    return 1  # not reached: execv replaces this process or raises OSError


if __name__ == "__main__":
    sys.exit(main())
