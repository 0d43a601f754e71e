"""cltrain from Python: scikit-learn's MLPClassifier and MLPRegressor trained by libcltrain on
any OpenCL device (AMD, Intel and NVIDIA GPUs, or the CPU through PoCL).

    import cltrain
    clf = cltrain.MLPClassifier(hidden_layer_sizes=(64,), max_iter=50, random_state=0)
    clf.fit(X_train, y_train)
    clf.score(X_test, y_test)
    clf.save("digits.safetensors")        # what `cltrain predict --model` reads

cltrain.devices() lists the OpenCL devices as `cltrain devices --json` does; the `device`
parameter of an estimator picks one (an index, "gpu", "cpu" or part of a name; None: the
CLTRAIN_DEVICE variable, else the first GPU, else the CPU). Library failures arrive as
cltrain.Error (InputError is also a ValueError) with the library's one-line message.
"""
from . import _lib
from ._estimators import HAVE_SKLEARN, MLPClassifier, MLPRegressor, NotFittedError
from ._lib import DeviceError, Error, FileError, InputError, OutOfMemoryError

__version__ = _lib.version()

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "devices",
    "load",
    "Error",
    "InputError",
    "DeviceError",
    "FileError",
    "OutOfMemoryError",
    "NotFittedError",
    "HAVE_SKLEARN",
]


def devices(probe_clblast=True, probe_bits=True):
    """Every OpenCL device: {"default": i, "devices": [{"index", "platform", "name", "vendor",
    "type", "compute_units", "global_mem", "local_mem", "max_work_group", "opencl_c_version",
    "profile", "fp64", "clblast", "common_bits", "bits_probe"}, ...]}, as `cltrain devices
    --json` prints it (probe_bits=False: as with --no-bits, no common bits' probe)."""
    return _lib.device_list(probe_clblast, probe_bits)


def load(path, device=None):
    """A fitted MLPClassifier or MLPRegressor from a model file the command line or save()
    wrote (safetensors, or a JSON model)."""
    from ._estimators import _from_model

    return _from_model(_lib.Model.load(_lib.device(device), path), device)
