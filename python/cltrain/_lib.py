"""The ctypes binding of libcltrain's public API (host/cltrain.h): the library, the structures a
call passes, statuses turned into exceptions, and small wrappers over devices, datasets and
models. Everything is computed by the library; this module only moves arrays in and out.

The library is found, in this order, at $CLTRAIN_LIBRARY (a path to libcltrain.so), beside this
file (where `pip install .` puts it), or in the build folder of a source checkout (build/).
"""
import ctypes
import os
import tempfile
import threading

import numpy as np

CT_MSG_LEN = 4096
CT_MAX_LAYERS = 16

# ct_status, in the order of the enum in cltrain.h
STATUS_NAMES = (
    "CT_OK",
    "CT_ERR_ARG",
    "CT_ERR_ALLOC",
    "CT_ERR_NO_PLATFORM",
    "CT_ERR_NO_DEVICE",
    "CT_ERR_OPENCL",
    "CT_ERR_BUILD",
    "CT_ERR_CLBLAST",
    "CT_ERR_IO",
    "CT_ERR_FORMAT",
    "CT_ERR_NUMERIC",
)
CT_TASK_CLASSIFICATION = 0
CT_TASK_REGRESSION = 1
CT_LOSS_AUTO = -1


# ---- errors -------------------------------------------------------------------------------


class Error(Exception):
    """A failure of libcltrain: the library's one-line message, its status in .status."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class InputError(Error, ValueError):
    """A bad argument, shape, option value, file content or a NaN / Inf (CT_ERR_ARG,
    CT_ERR_FORMAT, CT_ERR_NUMERIC)."""


class DeviceError(Error, RuntimeError):
    """No OpenCL platform or device, or an OpenCL, kernel build or CLBlast failure."""


class FileError(Error, OSError):
    """A file that could not be read or written (CT_ERR_IO)."""


class OutOfMemoryError(Error, MemoryError):
    """Host or device memory exhausted (CT_ERR_ALLOC)."""


_ERROR_CLASSES = {
    "CT_ERR_ARG": InputError,
    "CT_ERR_FORMAT": InputError,
    "CT_ERR_NUMERIC": InputError,
    "CT_ERR_ALLOC": OutOfMemoryError,
    "CT_ERR_IO": FileError,
}


def error(status, message):
    """The exception for a status and the library's message."""
    name = STATUS_NAMES[status] if 0 <= status < len(STATUS_NAMES) else "status %d" % status
    cls = _ERROR_CLASSES.get(name, DeviceError)
    return cls(message or name, name)


def _text(b):
    return b.decode("utf-8", "replace") if b else ""


# ---- structures (mirrors of cltrain.h; _check_layouts verifies them against the library) -----


class DeviceInfo(ctypes.Structure):
    _fields_ = [
        ("index", ctypes.c_int),
        ("platform", ctypes.c_char * 128),
        ("name", ctypes.c_char * 128),
        ("vendor", ctypes.c_char * 128),
        ("type", ctypes.c_char * 16),
        ("compute_units", ctypes.c_uint),
        ("global_mem", ctypes.c_ulonglong),
        ("local_mem", ctypes.c_ulonglong),
        ("max_alloc", ctypes.c_ulonglong),
        ("max_work_group", ctypes.c_size_t),
        ("opencl_c_version", ctypes.c_char * 64),
        ("fp64", ctypes.c_int),
        ("clblast", ctypes.c_int),
        ("clblast_note", ctypes.c_char * 160),
        ("profile", ctypes.c_char * 8),
    ]


class Arch(ctypes.Structure):
    _fields_ = [
        ("n_layers", ctypes.c_int),
        ("sizes", ctypes.c_int * (CT_MAX_LAYERS + 1)),
        ("act", ctypes.c_int * CT_MAX_LAYERS),
        ("alpha", ctypes.c_float * CT_MAX_LAYERS),
        ("dropout", ctypes.c_float * CT_MAX_LAYERS),
        ("loss", ctypes.c_int),
        ("huber_delta", ctypes.c_float),
        ("norm", ctypes.c_int * CT_MAX_LAYERS),
        ("norm_eps", ctypes.c_float * CT_MAX_LAYERS),
        ("norm_momentum", ctypes.c_float * CT_MAX_LAYERS),
    ]


class ArchBuf(ctypes.Union):
    """A ct_arch with room to spare: fields the library may append after the ones mirrored here
    stay zero (their "off" value) instead of being read from or written past the end."""

    _fields_ = [("arch", Arch), ("_room", ctypes.c_char * 8192)]


class OptimParams(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_int),
        ("lr", ctypes.c_float),
        ("momentum", ctypes.c_float),
        ("dampening", ctypes.c_float),
        ("beta1", ctypes.c_float),
        ("beta2", ctypes.c_float),
        ("rho", ctypes.c_float),
        ("eps", ctypes.c_float),
        ("weight_decay", ctypes.c_float),
        ("clip_norm", ctypes.c_float),
    ]


class Schedule(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_int),
        ("step_size", ctypes.c_int),
        ("gamma", ctypes.c_float),
        ("min_lr", ctypes.c_float),
        ("factor", ctypes.c_float),
        ("plateau_patience", ctypes.c_int),
        ("warmup_epochs", ctypes.c_int),
    ]


class EpochStats(ctypes.Structure):
    _fields_ = [
        ("epoch", ctypes.c_int),
        ("step", ctypes.c_longlong),
        ("train_loss", ctypes.c_double),
        ("train_acc", ctypes.c_double),
        ("val_loss", ctypes.c_double),
        ("val_acc", ctypes.c_double),
        ("lr", ctypes.c_double),
        ("seconds", ctypes.c_double),
        ("samples_per_sec", ctypes.c_double),
        ("improved", ctypes.c_int),
        ("train_mae", ctypes.c_double),
        ("val_mae", ctypes.c_double),
    ]


EPOCH_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(EpochStats), ctypes.c_void_p)


class TrainOptions(ctypes.Structure):
    _fields_ = [
        ("epochs", ctypes.c_int),
        ("batch", ctypes.c_int),
        ("seed", ctypes.c_uint64),
        ("optim", OptimParams),
        ("l2", ctypes.c_float),
        ("schedule", Schedule),
        ("patience", ctypes.c_int),
        ("min_delta", ctypes.c_float),
        ("restore_best", ctypes.c_int),
        ("standardize", ctypes.c_int),
        ("log_every", ctypes.c_int),
        ("verify_every", ctypes.c_int),
        ("verify_tol", ctypes.c_double),
        ("checkpoint", ctypes.c_char_p),
        ("checkpoint_every", ctypes.c_int),
        ("resume", ctypes.c_int),
        ("resume_tag", ctypes.c_char_p),
        ("on_epoch", EPOCH_FN),
        ("on_batch", ctypes.c_void_p),
        ("on_log", ctypes.c_void_p),
        ("on_verify", ctypes.c_void_p),
        ("on_plan", ctypes.c_void_p),
        ("user", ctypes.c_void_p),
        ("continue_run", ctypes.c_int),
        ("keep_order", ctypes.c_int),
        ("stop", ctypes.c_void_p),  # const volatile sig_atomic_t *
        ("checkpoint_note", ctypes.c_char_p),
        ("tensorboard_dir", ctypes.c_char_p),
        ("tensorboard_stats", ctypes.c_int),
        ("tensorboard_histograms", ctypes.c_int),
        ("on_progress", ctypes.c_void_p),
        ("progress_seconds", ctypes.c_double),
    ]


class TrainResult(ctypes.Structure):
    _fields_ = [
        ("epochs_run", ctypes.c_int),
        ("steps", ctypes.c_longlong),
        ("resumed_epoch", ctypes.c_int),
        ("resumed_step", ctypes.c_longlong),
        ("stopped_early", ctypes.c_int),
        ("restored_best", ctypes.c_int),
        ("best_epoch", ctypes.c_int),
        ("best_val_loss", ctypes.c_double),
        ("seconds", ctypes.c_double),
        ("last", EpochStats),
        ("stop_reason", ctypes.c_char * 160),
        ("interrupted", ctypes.c_int),
        ("stop_batch", ctypes.c_int),
        ("batches", ctypes.c_int),
    ]


# ---- the library --------------------------------------------------------------------------


def _candidates():
    env = os.environ.get("CLTRAIN_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    return [
        os.path.join(here, "libcltrain.so"),
        os.path.join(here, "..", "..", "build", "libcltrain.so"),  # a source checkout
    ]


def _load():
    tried = []
    for path in _candidates():
        if os.path.exists(path):
            return ctypes.CDLL(os.path.abspath(path)), os.path.abspath(path)
        tried.append(path)
    raise ImportError(
        "cltrain: libcltrain.so not found (looked at %s); install the package with "
        "`pip install .` from the cltrain source tree, or set CLTRAIN_LIBRARY to the library"
        % ", ".join(tried)
    )


lib, library_path = _load()

_P = ctypes.c_void_p
_MSG = ctypes.c_char_p  # a CT_MSG_LEN buffer

_SIGNATURES = {
    "ct_version": (ctypes.c_char_p, []),
    "ct_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "ct_device_list": (
        ctypes.c_int,
        [ctypes.POINTER(ctypes.POINTER(DeviceInfo)), ctypes.POINTER(ctypes.c_int), ctypes.c_int,
         _MSG],
    ),
    "ct_device_default": (ctypes.c_int, [ctypes.POINTER(DeviceInfo), ctypes.c_int]),
    "ct_device_create": (ctypes.c_int, [ctypes.POINTER(_P), ctypes.c_char_p, _MSG]),
    "ct_device_destroy": (None, [_P]),
    "ct_device_gives_common_bits": (ctypes.c_int, [_P, ctypes.c_void_p]),
    "ct_device_get_info": (ctypes.POINTER(DeviceInfo), [_P]),
    "ct_act_parse": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
    "ct_act_name": (ctypes.c_char_p, [ctypes.c_int]),
    "ct_act_list_text": (None, [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p]),
    "ct_optim_parse": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
    "ct_optim_list_text": (None, [ctypes.c_char_p, ctypes.c_size_t]),
    "ct_optim_defaults": (OptimParams, [ctypes.c_int]),
    "ct_data_from_arrays": (
        ctypes.c_int,
        [ctypes.POINTER(_P), ctypes.c_int, ctypes.c_int, _P, _P, ctypes.c_int, _P, ctypes.c_int,
         ctypes.c_char_p, _MSG],
    ),
    "ct_data_from_cells": (
        ctypes.c_int,
        [ctypes.POINTER(_P), ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
         ctypes.POINTER(ctypes.c_char_p), _P, ctypes.c_int, _P, ctypes.c_int, _P,
         ctypes.c_char_p, _MSG],
    ),
    "ct_data_features": (ctypes.c_int, [_P]),
    "ct_data_x": (ctypes.POINTER(ctypes.c_float), [_P]),
    "ct_data_split": (
        ctypes.c_int,
        [_P, ctypes.c_double, ctypes.c_uint64, ctypes.POINTER(_P), ctypes.POINTER(_P), _MSG],
    ),
    "ct_data_destroy": (None, [_P]),
    "ct_data_set_feature_names": (
        ctypes.c_int, [_P, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, _MSG]),
    "ct_data_rows": (ctypes.c_int, [_P]),
    "ct_data_outputs": (ctypes.c_int, [_P]),
    "ct_data_targets": (ctypes.POINTER(ctypes.c_float), [_P]),
    "ct_arch_mlp": (ArchBuf, [ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int]),
    "ct_arch_fit_data": (ctypes.c_int, [ctypes.POINTER(ArchBuf), _P, _MSG]),
    "ct_arch_validate": (ctypes.c_int, [ctypes.POINTER(ArchBuf), _MSG]),
    "ct_arch_params": (ctypes.c_size_t, [_P]),
    "ct_arch_describe": (None, [_P, ctypes.c_char_p, ctypes.c_size_t]),
    "ct_train_defaults": (None, [ctypes.POINTER(TrainOptions)]),
    "ct_model_create": (
        ctypes.c_int,
        [ctypes.POINTER(_P), _P, ctypes.POINTER(ArchBuf), _P, ctypes.c_uint64, _MSG],
    ),
    "ct_model_load": (ctypes.c_int, [ctypes.POINTER(_P), _P, ctypes.c_char_p, _MSG]),
    "ct_model_destroy": (None, [_P]),
    "ct_model_error": (ctypes.c_char_p, [_P]),
    "ct_model_save": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "ct_model_arch": (ctypes.POINTER(Arch), [_P]),
    "ct_model_task": (ctypes.c_int, [_P]),
    "ct_model_inputs": (ctypes.c_int, [_P]),
    "ct_model_outputs": (ctypes.c_int, [_P]),
    "ct_model_classes": (ctypes.c_int, [_P]),
    "ct_model_class_name": (ctypes.c_char_p, [_P, ctypes.c_int]),
    "ct_model_feature_name": (ctypes.c_char_p, [_P, ctypes.c_int]),
    "ct_model_match_columns": (
        ctypes.c_int,
        [_P, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.POINTER(ctypes.c_int),
         ctypes.POINTER(ctypes.c_int)],
    ),
    "ct_model_note": (ctypes.c_char_p, [_P]),
    "ct_model_data_from_cells": (
        ctypes.c_int,
        [_P, ctypes.POINTER(_P), ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
         ctypes.POINTER(ctypes.c_char_p), _P, _P],
    ),
    "ct_model_columns": (ctypes.c_int, [_P]),
    "ct_model_column_name": (ctypes.c_char_p, [_P, ctypes.c_int]),
    "ct_model_column_categorical": (ctypes.c_int, [_P, ctypes.c_int]),
    "ct_model_set_class_names": (ctypes.c_int, [_P, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]),
    "ct_model_get_params": (ctypes.c_int, [_P, _P]),
    "ct_model_predict_columns": (ctypes.c_int, [_P]),
    "ct_model_predict": (ctypes.c_int, [_P, _P, ctypes.c_int, _P]),
    "ct_model_train": (
        ctypes.c_int,
        [_P, _P, _P, ctypes.POINTER(TrainOptions), ctypes.POINTER(TrainResult)],
    ),
    "ct_model_set_lr": (ctypes.c_int, [_P, ctypes.c_double]),
}
for _name, (_res, _args) in _SIGNATURES.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args


def version():
    return _text(lib.ct_version())


def _msgbuf():
    return ctypes.create_string_buffer(CT_MSG_LEN)


def _check(status, message):
    if status != 0:
        raise error(status, _text(message.value if hasattr(message, "value") else message))


def _check_layouts():
    """Checks the mirrored structures against the library's defaults and arithmetic, so that a
    change of cltrain.h shows as one clear error here instead of wrong numbers later."""
    o = TrainOptions()
    lib.ct_train_defaults(ctypes.byref(o))
    adam = ctypes.c_int()
    lib.ct_optim_parse(b"adam", ctypes.byref(adam))
    want = (20, 32, 42, adam.value, 1, 1, 0, 0)
    got = (o.epochs, o.batch, o.seed, o.optim.kind, o.restore_best, o.checkpoint_every,
           o.continue_run, o.keep_order)
    ok = got == want and abs(o.verify_tol - 1e-3) < 1e-12 and abs(o.optim.lr - 1e-3) < 1e-9
    # the last field: its default where the mirror puts it (every field before it in place)
    ok = ok and abs(o.progress_seconds - 0.1) < 1e-12 and not o.tensorboard_dir
    relu = ctypes.c_int()
    lib.ct_act_parse(b"relu", ctypes.byref(relu))
    a = lib.ct_arch_mlp(1, (ctypes.c_int * 1)(5), relu.value)
    a.arch.sizes[0], a.arch.sizes[2], a.arch.loss = 3, 2, 0  # 3-5-2, softmax + cross-entropy
    ok = ok and a.arch.n_layers == 2 and a.arch.act[0] == relu.value and a.arch.loss == 0
    ok = ok and lib.ct_arch_validate(ctypes.byref(a), _msgbuf()) == 0
    ok = ok and lib.ct_arch_params(ctypes.byref(a)) == 3 * 5 + 5 + 5 * 2 + 2
    # the norm fields: ct_arch_mlp's defaults where the mirror puts them; a batch norm adds
    # gamma, beta, running mean and variance of the hidden layer
    ok = ok and a.arch.norm[0] == 0 and abs(a.arch.norm_eps[CT_MAX_LAYERS - 1] - 1e-5) < 1e-12
    ok = ok and abs(a.arch.norm_momentum[CT_MAX_LAYERS - 1] - 0.1) < 1e-8
    a.arch.norm[0] = 1
    ok = ok and lib.ct_arch_params(ctypes.byref(a)) == 3 * 5 + 5 + 5 * 2 + 2 + 4 * 5
    if not ok:
        raise ImportError(
            "cltrain: the structures in %s do not match the library at %s (cltrain.h changed?)"
            % (__file__, library_path)
        )


_check_layouts()


def act_code(name):
    """The library's code of an activation name, or InputError with the list of names."""
    code = ctypes.c_int()
    if not isinstance(name, str) or not lib.ct_act_parse(name.encode(), ctypes.byref(code)):
        buf = ctypes.create_string_buffer(512)
        lib.ct_act_list_text(buf, len(buf), 0, b"identity")
        raise InputError("unknown activation %r: one of %s or logistic" % (name, _text(buf.value)),
                         "CT_ERR_ARG")
    return code.value


def act_name(code):
    return _text(lib.ct_act_name(code))


def optim_code(name):
    code = ctypes.c_int()
    if not isinstance(name, str) or not lib.ct_optim_parse(name.encode(), ctypes.byref(code)):
        buf = ctypes.create_string_buffer(512)
        lib.ct_optim_list_text(buf, len(buf))
        raise InputError("unknown solver %r: one of %s" % (name, _text(buf.value)), "CT_ERR_ARG")
    return code.value


# ---- devices ------------------------------------------------------------------------------


def _info_dict(d):
    out = {
        "index": d.index,
        "platform": _text(d.platform),
        "name": _text(d.name),
        "vendor": _text(d.vendor),
        "type": _text(d.type),
        "compute_units": d.compute_units,
        "global_mem": d.global_mem,
        "local_mem": d.local_mem,
        "max_work_group": d.max_work_group,
        "opencl_c_version": _text(d.opencl_c_version),
        "profile": _text(d.profile),
        "fp64": bool(d.fp64),
        "clblast": None if d.clblast < 0 else bool(d.clblast),
    }
    if d.clblast == 0:
        out["clblast_note"] = _text(d.clblast_note)
    return out


class BitsFacts(ctypes.Structure):
    """ct_bits_facts: what the common bits' probe saw on a device."""
    _fields_ = [(name, ctypes.c_int) for name in
                ("probes", "contracted", "divide_sqrt", "cr_reported", "denorm_reported",
                 "mul_flushes", "fma_flushes", "add_flushes")]


def _bits_dict(index, out):
    """The common bits' probe of device `index` into out, as `cltrain devices --json` has it."""
    h = _P()
    msg = _msgbuf()
    if lib.ct_device_create(ctypes.byref(h), str(index).encode(), msg) != 0:
        out["common_bits"] = None
        out["common_bits_note"] = _text(msg.value)
        return
    try:
        f = BitsFacts()
        ok = lib.ct_device_gives_common_bits(h, ctypes.byref(f))
    finally:
        lib.ct_device_destroy(h)
    out["common_bits"] = bool(ok)
    out["bits_probe"] = {
        "probes": f.probes, "contracted": f.contracted, "divide_sqrt_wrong": f.divide_sqrt,
        "correctly_rounded_reported": bool(f.cr_reported),
        "denorm_reported": bool(f.denorm_reported), "flushes_mul": bool(f.mul_flushes),
        "flushes_fma": bool(f.fma_flushes), "flushes_add": bool(f.add_flushes)}


def device_list(probe_clblast=True, probe_bits=True):
    """{"default": i, "devices": [...]} as `cltrain devices --json` prints it (probe_bits: run
    the common bits' probe on each device, which builds the kernels there; --no-bits)."""
    infos = ctypes.POINTER(DeviceInfo)()
    n = ctypes.c_int()
    msg = _msgbuf()
    _check(lib.ct_device_list(ctypes.byref(infos), ctypes.byref(n), int(bool(probe_clblast)), msg),
           msg)
    try:
        devices = [_info_dict(infos[i]) for i in range(n.value)]
        default = lib.ct_device_default(infos, n.value)
    finally:
        if infos:
            ctypes.CDLL(None).free(infos)
    if probe_bits:
        for d in devices:
            _bits_dict(d["index"], d)
    return {"default": default, "devices": devices}


class Device:
    """An opened device (ct_device): its context, queue and built kernels. selector as
    ct_device_create: None -> $CLTRAIN_DEVICE, else the first GPU, else the first CPU; an index,
    "gpu", "cpu", "accelerator" or part of a device name. "reference" is the scalar reference
    in double precision (no OpenCL)."""

    def __init__(self, selector=None):
        self.selector = selector
        self.handle = None
        self.lock = threading.Lock()  # one call on a device at a time
        if selector == "reference":
            self.info = {"name": "reference", "type": "reference"}
            return
        h = _P()
        msg = _msgbuf()
        sel = None if selector is None else str(selector).encode()
        _check(lib.ct_device_create(ctypes.byref(h), sel, msg), msg)
        self.handle = h
        self.info = _info_dict(lib.ct_device_get_info(h).contents)

    def __del__(self):
        if getattr(self, "handle", None):
            lib.ct_device_destroy(self.handle)
            self.handle = None


_devices = {}
_devices_lock = threading.Lock()


def device(selector=None):
    """The Device for a selector, opened once per process (opening builds the kernels)."""
    key = None if selector is None else str(selector)
    with _devices_lock:
        d = _devices.get(key)
        if d is None:
            d = _devices[key] = Device(key)
        return d


# ---- datasets -----------------------------------------------------------------------------


def _cell_array(cells):
    """A C array of char pointers (the bytes stay referenced by the array)."""
    return (ctypes.c_char_p * max(1, len(cells)))(*cells)


class Dataset:
    """A ct_dataset made from arrays (copied by the library)."""

    def __init__(self, handle):
        self.handle = handle

    @classmethod
    def from_arrays(cls, X, labels=None, n_classes=0, Y=None, name="X"):
        X = np.ascontiguousarray(X, dtype=np.float32)
        n, f = X.shape
        h = _P()
        msg = _msgbuf()
        if labels is not None:
            labels = np.ascontiguousarray(labels, dtype=np.int32)
            st = lib.ct_data_from_arrays(ctypes.byref(h), n, f, X.ctypes.data, labels.ctypes.data,
                                         int(n_classes), None, 0, name.encode(), msg)
        else:
            Y = np.ascontiguousarray(Y, dtype=np.float32).reshape(n, -1)
            st = lib.ct_data_from_arrays(ctypes.byref(h), n, f, X.ctypes.data, None, 0,
                                         Y.ctypes.data, Y.shape[1], name.encode(), msg)
        _check(st, msg)
        return cls(h)

    @classmethod
    def from_cells(cls, cells, names, labels=None, n_classes=0, Y=None, name="X"):
        """A table from cells of text (a row-major list of n * len(names) bytes, None for a
        missing cell), read as the command line reads a CSV file: column kinds, categories,
        missing cells, the encoding fitted (ct_data_from_cells)."""
        ncol = len(names)
        n = len(cells) // ncol
        arr, hdr = _cell_array(cells), _cell_array([str(c).encode("utf-8") for c in names])
        h = _P()
        msg = _msgbuf()
        if labels is not None:
            labels = np.ascontiguousarray(labels, dtype=np.int32)
            st = lib.ct_data_from_cells(ctypes.byref(h), n, ncol, arr, hdr, labels.ctypes.data,
                                        int(n_classes), None, 0, None, name.encode(), msg)
        else:
            Y = np.ascontiguousarray(Y, dtype=np.float32).reshape(n, -1)
            st = lib.ct_data_from_cells(ctypes.byref(h), n, ncol, arr, hdr, None, 0,
                                        Y.ctypes.data, Y.shape[1], None, name.encode(), msg)
        _check(st, msg)
        return cls(h)

    def x(self):
        """A copy of the features X (rows, features) as the model takes them."""
        n, f = lib.ct_data_rows(self.handle), lib.ct_data_features(self.handle)
        return np.ctypeslib.as_array(lib.ct_data_x(self.handle), shape=(n, f)).copy()

    def set_feature_names(self, names):
        """Names the columns (as a CSV header would): a model trained on it keeps them."""
        arr = (ctypes.c_char_p * len(names))(*[str(n).encode("utf-8") for n in names])
        msg = _msgbuf()
        _check(lib.ct_data_set_feature_names(self.handle, arr, len(names), msg), msg)

    def split(self, fraction, seed):
        """(train, validation) by the library's seeded shuffle."""
        tr, va = _P(), _P()
        msg = _msgbuf()
        _check(lib.ct_data_split(self.handle, float(fraction), int(seed), ctypes.byref(tr),
                                 ctypes.byref(va), msg), msg)
        return Dataset(tr), Dataset(va)

    @property
    def rows(self):
        return lib.ct_data_rows(self.handle)

    def targets(self):
        n, k = lib.ct_data_rows(self.handle), lib.ct_data_outputs(self.handle)
        p = lib.ct_data_targets(self.handle)
        return np.ctypeslib.as_array(p, shape=(n, k)).copy()

    def __del__(self):
        if getattr(self, "handle", None):
            lib.ct_data_destroy(self.handle)
            self.handle = None


# ---- models -------------------------------------------------------------------------------


class Model:
    """A ct_model on a Device."""

    def __init__(self, handle, dev):
        self.handle = handle
        self.device = dev  # kept: the device must outlive the model

    def _dev(self):
        return self.device.handle

    def _fail(self, status):
        raise error(status, _text(lib.ct_model_error(self.handle)))

    @classmethod
    def create(cls, dev, hidden, act, dropout, data, seed, norm=0):
        """An MLP with hidden layers `hidden` (activation code act, dropout per hidden layer,
        norm code after each: 0 none, 1 batch, 2 layer) whose inputs, outputs and loss follow
        data."""
        hidden = [int(h) for h in hidden]
        a = lib.ct_arch_mlp(len(hidden), (ctypes.c_int * max(1, len(hidden)))(*hidden), act)
        if a.arch.n_layers != len(hidden) + 1:
            raise InputError("%d hidden layers: at most %d" % (len(hidden), CT_MAX_LAYERS - 1),
                             "CT_ERR_ARG")
        msg = _msgbuf()
        _check(lib.ct_arch_fit_data(ctypes.byref(a), data.handle, msg), msg)
        for i, p in enumerate(dropout):
            a.arch.dropout[i] = p
            a.arch.norm[i] = norm
        _check(lib.ct_arch_validate(ctypes.byref(a), msg), msg)
        h = _P()
        _check(lib.ct_model_create(ctypes.byref(h), dev.handle, ctypes.byref(a), None, int(seed),
                                   msg), msg)
        return cls(h, dev)

    @classmethod
    def load(cls, dev, path):
        h = _P()
        msg = _msgbuf()
        with dev.lock:
            _check(lib.ct_model_load(ctypes.byref(h), dev.handle, os.fsencode(path), msg), msg)
        return cls(h, dev)

    @classmethod
    def from_bytes(cls, dev, data):
        """A model from the bytes of a safetensors file (through a private temporary file)."""
        with tempfile.TemporaryDirectory(prefix="cltrain-") as d:
            path = os.path.join(d, "model.safetensors")
            with open(path, "wb") as f:
                f.write(data)
            return cls.load(dev, path)

    def save(self, path):
        with self.device.lock:
            st = lib.ct_model_save(self.handle, os.fsencode(path))
        if st:
            self._fail(st)

    def to_bytes(self):
        """The bytes of the model's safetensors file."""
        with tempfile.TemporaryDirectory(prefix="cltrain-") as d:
            path = os.path.join(d, "model.safetensors")
            self.save(path)
            with open(path, "rb") as f:
                return f.read()

    def arch(self):
        a = lib.ct_model_arch(self.handle).contents
        L = a.n_layers
        return {
            "sizes": [a.sizes[i] for i in range(L + 1)],
            "act": [a.act[i] for i in range(L - 1)],
            "dropout": [float(a.dropout[i]) for i in range(L - 1)],
            "norm": [a.norm[i] for i in range(L - 1)],
            "loss": a.loss,
        }

    def describe(self):
        buf = ctypes.create_string_buffer(512)
        lib.ct_arch_describe(lib.ct_model_arch(self.handle), buf, len(buf))
        return _text(buf.value)

    @property
    def task(self):
        return lib.ct_model_task(self.handle)

    @property
    def inputs(self):
        return lib.ct_model_inputs(self.handle)

    @property
    def outputs(self):
        return lib.ct_model_outputs(self.handle)

    def class_names(self):
        k = lib.ct_model_classes(self.handle)
        return [_text(lib.ct_model_class_name(self.handle, i)) for i in range(k)]

    def feature_names(self):
        return [_text(lib.ct_model_feature_name(self.handle, j)) for j in range(self.inputs)]

    def match_columns(self, names):
        """(map, note): map[j] is the index among names of the model's feature j (as the command
        line matches a CSV header); note names the columns left out ("" when none). A missing
        feature raises InputError (a ValueError) naming it."""
        arr = (ctypes.c_char_p * len(names))(*[str(n).encode("utf-8") for n in names])
        out = (ctypes.c_int * self.inputs)()
        st = lib.ct_model_match_columns(self.handle, arr, len(names), out, None)
        if st:
            self._fail(st)
        return list(out), _text(lib.ct_model_note(self.handle))

    def columns(self):
        """The columns of the table the model was trained on ([] when trained on numbers)."""
        return [_text(lib.ct_model_column_name(self.handle, j))
                for j in range(lib.ct_model_columns(self.handle))]

    def data_from_cells(self, cells, names, labels=None, Y=None):
        """(Dataset, note): cells (as Dataset.from_cells takes them) with the model's encoding,
        columns matched by name (ct_model_data_from_cells); note names columns left out and
        cells with categories training never saw ("" when none)."""
        ncol = len(names)
        n = len(cells) // ncol
        arr, hdr = _cell_array(cells), _cell_array([str(c).encode("utf-8") for c in names])
        lab = None if labels is None else np.ascontiguousarray(labels, dtype=np.int32)
        tg = None if Y is None else np.ascontiguousarray(Y, dtype=np.float32).reshape(n, -1)
        h = _P()
        st = lib.ct_model_data_from_cells(self.handle, ctypes.byref(h), n, ncol, arr, hdr,
                                          None if lab is None else lab.ctypes.data,
                                          None if tg is None else tg.ctypes.data)
        if st:
            self._fail(st)
        return Dataset(h), _text(lib.ct_model_note(self.handle))

    def set_class_names(self, names):
        arr = (ctypes.c_char_p * len(names))(*[n.encode("utf-8") for n in names])
        st = lib.ct_model_set_class_names(self.handle, arr, len(names))
        if st:
            self._fail(st)

    def params(self):
        n = lib.ct_arch_params(lib.ct_model_arch(self.handle))
        out = np.empty(n, dtype=np.float32)
        with self.device.lock:
            st = lib.ct_model_get_params(self.handle, out.ctypes.data)
        if st:
            self._fail(st)
        return out

    def predict(self, X):
        """The library's outputs of rows X: class probabilities or values, (n, columns)."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        n = X.shape[0]
        out = np.empty((n, lib.ct_model_predict_columns(self.handle)), dtype=np.float32)
        with self.device.lock:
            st = lib.ct_model_predict(self.handle, X.ctypes.data, n, out.ctypes.data)
        if st:
            self._fail(st)
        return out

    def train(self, train, val, options, on_epoch=None):
        """ct_model_train with TrainOptions; on_epoch(EpochStats) -> bool (stop) per epoch.
        An exception raised in on_epoch stops training and is raised again here."""
        raised = []

        def hook(stats, _user):
            try:
                return 1 if on_epoch(stats.contents) else 0
            except BaseException as e:  # noqa: B902 - carried across the C frames
                raised.append(e)
                return 1

        callback = EPOCH_FN(hook) if on_epoch else EPOCH_FN()
        options.on_epoch = callback
        res = TrainResult()
        with self.device.lock:
            st = lib.ct_model_train(self.handle, train.handle, val.handle if val else None,
                                    ctypes.byref(options), ctypes.byref(res))
        options.on_epoch = EPOCH_FN()
        if raised:
            raise raised[0]
        if st:
            self._fail(st)
        return res

    def set_lr(self, lr):
        """ct_model_set_lr: from within train's on_epoch, the base learning rate of the steps
        after it (kept by a run continued with continue_run). No lock: train holds it."""
        st = lib.ct_model_set_lr(self.handle, float(lr))
        if st:
            self._fail(st)

    def __del__(self):
        if getattr(self, "handle", None):
            lib.ct_model_destroy(self.handle)
            self.handle = None
