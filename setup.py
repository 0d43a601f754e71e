"""The build step of `pip install .` (pyproject.toml): configures the CMake project, builds the
shared library (cltrain_shared) and the command line (cltrain, linked to the static library so
that it needs no libcltrain.so.0 at run time; no tests) and puts them into the package as
cltrain/libcltrain.so, where cltrain/_lib.py loads it, and cltrain/bin/cltrain, which the
`cltrain` launcher on PATH (cltrain/_cli.py, pyproject.toml's [project.scripts]) runs.

It needs what a source build needs: cmake, a C compiler and the OpenCL, zlib (and, optionally,
CLBlast and OpenBLAS) development files; scripts/bootstrap.sh installs them on Debian.
Environment: CMAKE_BUILD_PARALLEL_LEVEL (jobs; default: the CPU count), CLTRAIN_CMAKE_ARGS
(extra arguments to the CMake configure step, split on spaces)."""
import os
import re
import shlex
import shutil

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def cmake_version():
    with open(os.path.join(HERE, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(cltrain\s+VERSION\s+([0-9.]+)", f.read())
    if not m:
        raise RuntimeError("cltrain: no `project(cltrain VERSION x.y.z)` in CMakeLists.txt")
    return m.group(1)


class BuildWithLibrary(build_py):
    """build_py, then libcltrain.so built by CMake into the package."""

    def run(self):
        super().run()
        cmake = shutil.which("cmake")
        if not cmake:
            raise RuntimeError("cltrain: building libcltrain needs cmake (Debian: run "
                               "scripts/bootstrap.sh, or apt-get install cmake)")
        base = self.get_finalized_command("build").build_base
        tree = os.path.abspath(os.path.join(base, "cmake"))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        configure = [cmake, "-S", HERE, "-B", tree, "-DCMAKE_BUILD_TYPE=Release",
                     "-DBUILD_TESTING=OFF", "-DCLTRAIN_WITH_MPI=OFF", "-DCLTRAIN_CLI_SHARED=OFF"]
        configure += shlex.split(os.environ.get("CLTRAIN_CMAKE_ARGS", ""))
        self.spawn(configure)
        self.spawn([cmake, "--build", tree, "--target", "cltrain_shared", "cltrain", "--parallel",
                    jobs])
        built = os.path.realpath(os.path.join(tree, "libcltrain.so"))
        if not os.path.isfile(built):
            raise RuntimeError("cltrain: CMake built no %s" % built)
        dest = os.path.join(self.build_lib, "cltrain", "libcltrain.so")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(built, dest)
        program = os.path.join(tree, "cltrain")
        if not os.path.isfile(program):
            raise RuntimeError("cltrain: CMake built no %s" % program)
        dest = os.path.join(self.build_lib, "cltrain", "bin", "cltrain")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(program, dest)
        os.chmod(dest, 0o755)


class BinaryDistribution(Distribution):
    """The package carries a compiled library: a platform wheel, installed as platlib."""

    def has_ext_modules(self):
        return True


setup(
    version=cmake_version(),
    cmdclass={"build_py": BuildWithLibrary},
    distclass=BinaryDistribution,
    # setuptools' own build folder inside build/ (ignored by git), beside a CMake build there
    options={"build": {"build_base": os.path.join("build", "python")}},
)
