"""MLPClassifier and MLPRegressor with scikit-learn's parameters, trained by libcltrain on any
OpenCL device. With scikit-learn importable they derive from its base classes (clone, pipelines,
grid search, its estimator checks); without it they work with NumPy alone."""
import numbers
import os
import warnings

import numpy as np

from . import _lib

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError

    HAVE_SKLEARN = True
except ImportError:  # NumPy only
    HAVE_SKLEARN = False
    import inspect

    class ConvergenceWarning(UserWarning):
        """Training stopped at max_iter before the loss stopped improving."""

    class DataConversionWarning(UserWarning):
        """The input was converted (a column vector y raveled)."""

    class NotFittedError(ValueError, AttributeError):
        """The estimator is used before fit."""

    class BaseEstimator:
        @classmethod
        def _get_param_names(cls):
            sig = inspect.signature(cls.__init__)
            return sorted(p.name for p in sig.parameters.values() if p.name != "self")

        def get_params(self, deep=True):
            return {k: getattr(self, k) for k in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for k, v in params.items():
                if k not in valid:
                    raise ValueError("Invalid parameter %r for estimator %s. Valid parameters "
                                     "are: %s." % (k, type(self).__name__, valid))
                setattr(self, k, v)
            return self

        def __repr__(self):
            args = ", ".join("%s=%r" % kv for kv in self.get_params().items())
            return "%s(%s)" % (type(self).__name__, args)

    class ClassifierMixin:
        _estimator_type = "classifier"

        def score(self, X, y, sample_weight=None):
            w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
            return float(np.average(self.predict(X) == np.asarray(y), weights=w))

    class RegressorMixin:
        _estimator_type = "regressor"

        def score(self, X, y, sample_weight=None):
            y = np.asarray(y, dtype=float)
            p = self.predict(X).reshape(y.shape)
            y2, p2 = y.reshape(len(y), -1), p.reshape(len(p), -1)
            w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
            w = w[:, None]
            res = (w * (y2 - p2) ** 2).sum(axis=0)
            tot = (w * (y2 - np.average(y2, axis=0, weights=w[:, 0])) ** 2).sum(axis=0)
            r2 = np.where(tot > 0, 1 - res / np.where(tot > 0, tot, 1), np.where(res > 0, 0.0, 1.0))
            return float(r2.mean())

    class MultiOutputMixin:
        pass


# sklearn's activation names that differ from cltrain's
_ACTIVATIONS = {"logistic": "sigmoid"}
_ACTIVATION_BACK = {"sigmoid": "logistic"}


def _check_X(X, name="X"):
    """X as a 2-d float array (not yet float32: the library checks the values)."""
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):
        raise TypeError("A sparse matrix was passed, but cltrain needs dense data: use "
                        "X.toarray() to convert it to a dense array")
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise ValueError("Complex data not supported: %s is %s" % (name, X.dtype))
    if X.dtype.kind not in "fiub":
        X = X.astype(np.float64)  # strings, objects: NumPy's TypeError or ValueError names them
    if X.ndim != 2:
        raise ValueError("Expected a 2-d array %s (n_samples, n_features), got a %d-d array of "
                         "shape %s. Reshape your data either using %s.reshape(-1, 1) if it has a "
                         "single feature or %s.reshape(1, -1) if it is a single sample."
                         % (name, X.ndim, X.shape, name, name))
    if X.shape[0] < 1:
        raise ValueError("Found array with 0 sample(s) (shape=%s) while a minimum of 1 is "
                         "required." % (X.shape,))
    if X.shape[1] < 1:
        raise ValueError("Found array with 0 feature(s) (shape=%s) while a minimum of 1 is "
                         "required." % (X.shape,))
    return X


def _column_names(X):
    """The column names of a pandas DataFrame X when they are all strings (as scikit-learn takes
    them), else None."""
    cols = getattr(X, "columns", None)
    if cols is None or not hasattr(X, "iloc"):
        return None
    names = list(cols)
    if not names or not all(isinstance(c, str) for c in names):
        return None
    return names


def _is_table(X):
    """True when X goes the way of a table (column kinds, categories, missing cells, as the
    command line reads a CSV): a pandas DataFrame, or an array of objects or strings."""
    if hasattr(X, "iloc") and hasattr(X, "columns") and hasattr(X, "dtypes"):
        return True
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):
        return False
    dt = getattr(X, "dtype", None)
    if dt is None:
        try:
            dt = np.asarray(X).dtype
        except Exception:  # noqa: BLE001 - ragged lists and the like: _check_X names them
            return False
    return dt.kind in "OUS"


def _cell(v):
    """One cell as the library takes it: text, None for a missing cell (None, NaN, pandas' NA
    and NaT), numbers written so they read back exactly."""
    if v is None:
        return None
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, bytes):
        return v
    if isinstance(v, (bool, np.bool_)):
        return b"True" if v else b"False"
    if isinstance(v, numbers.Integral):
        return str(int(v)).encode()
    if isinstance(v, numbers.Real):
        f = float(v)
        return None if f != f else repr(f).encode()
    try:
        if v != v:  # NaT
            return None
    except TypeError:  # pandas.NA: its truth is ambiguous
        return None
    raise TypeError("argument must be a string or a number, not '%s' (a cell of X)"
                    % type(v).__name__)


def _column_cells(v):
    """The cells of one column (a 1-d array) as a list of bytes or None."""
    if v.dtype.kind == "f":
        text = v.astype(str)  # the shortest text that reads back as the same number
        miss = np.isnan(v)
        return [None if m else t.encode() for m, t in zip(miss.tolist(), text.tolist())]
    if v.dtype.kind in "iu":
        return [t.encode() for t in v.astype(str).tolist()]
    return [_cell(c) for c in v.tolist()]


def _table_cells(X):
    """(names, n, ncol, cells) of a table X: the column names of a DataFrame (None when they
    are not all strings, or for an array), the cells row-major."""
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        names = _column_names(X)
        n, ncol = X.shape
        cols = []
        for j in range(ncol):
            c = X.iloc[:, j]
            v = c.to_numpy()
            if v.dtype.kind not in "fiu":
                v = c.to_numpy(dtype=object)
            cols.append(_column_cells(v))
    else:
        X = np.asarray(X)
        if X.ndim != 2:
            X = _check_X(X)  # its message
        names = None
        n, ncol = X.shape
        cols = [_column_cells(X[:, j]) for j in range(ncol)]
    if n < 1 or ncol < 1:
        raise ValueError("Found array with %d sample(s) and %d feature(s) (shape=(%d, %d)) while "
                         "a minimum of 1 is required." % (n, ncol, n, ncol))
    cells = [None] * (n * ncol)
    for j, c in enumerate(cols):
        cells[j::ncol] = c
    return names, n, ncol, cells


def _check_lengths(X, y):
    if len(y) != X.shape[0]:
        raise ValueError("Found input variables with inconsistent numbers of samples: [%d, %d]"
                         % (X.shape[0], len(y)))


def _check_y_given(y):
    if y is None:
        raise ValueError("cltrain's MLP requires y to be passed, but the target y is None")


def _check_labels(y):
    """y as a 1-d array of class labels (a column vector is raveled with a warning)."""
    _check_y_given(y)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change "
                      "the shape of y to (n_samples, ), for example using ravel().",
                      DataConversionWarning, stacklevel=3)
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError("y should be a 1d array of class labels, got shape %s (multilabel and "
                         "multioutput targets are not supported by cltrain.MLPClassifier)"
                         % (y.shape,))
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise ValueError("Input y contains NaN or infinity: class labels must be finite")
        if np.any(y != np.round(y)):
            raise ValueError("Unknown label type: 'continuous'; a classifier takes class labels "
                             "(use MLPRegressor for a numeric target)")
    return y


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: the parameters, training and prediction."""

    _classifier = False

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, device=None, dropout=0.0, norm=None, clip_norm=None,
                 tensorboard_dir=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.dropout = dropout
        self.norm = norm
        self.clip_norm = clip_norm
        self.tensorboard_dir = tensorboard_dir

    # ---- parameters -----------------------------------------------------------------------

    def _hidden(self):
        h = self.hidden_layer_sizes
        if isinstance(h, numbers.Integral):
            h = [h]
        try:
            h = [int(v) for v in h]
        except (TypeError, ValueError):
            raise ValueError("hidden_layer_sizes must be an int or a sequence of ints, got %r"
                             % (self.hidden_layer_sizes,)) from None
        if any(v < 1 for v in h):
            raise ValueError("hidden_layer_sizes must be > 0, got %s." % (h,))
        return h

    def _dropouts(self, n_hidden):
        p = self.dropout
        ps = [p] * n_hidden if isinstance(p, numbers.Real) else list(p)
        if len(ps) != n_hidden:
            raise ValueError("dropout: %d values for %d hidden layers" % (len(ps), n_hidden))
        for v in ps:
            if not (isinstance(v, numbers.Real) and 0 <= v < 1):
                raise ValueError("dropout must be in [0, 1), got %r" % (v,))
        return [float(v) for v in ps]

    def _norm(self):
        """The library's code of `norm`: None or 'none' 0, 'batch' 1, 'layer' 2."""
        codes = {None: 0, "none": 0, "batch": 1, "layer": 2}
        if not isinstance(self.norm, (str, type(None))) or self.norm not in codes:
            raise ValueError("norm must be None, 'batch' or 'layer', got %r" % (self.norm,))
        return codes[self.norm]

    def _number(self, name, low=None, high=None, low_open=False, integer=False):
        v = getattr(self, name)
        kind = numbers.Integral if integer else numbers.Real
        if isinstance(v, bool) or not isinstance(v, kind) or not np.isfinite(v):
            raise ValueError("%s must be %s, got %r" % (name, "an int" if integer else
                                                         "a finite number", v))
        if low is not None and (v < low or (low_open and v == low)):
            raise ValueError("%s must be %s %s, got %r" % (name, ">" if low_open else ">=", low, v))
        if high is not None and v > high:
            raise ValueError("%s must be <= %s, got %r" % (name, high, v))
        return v

    def _optimizer(self):
        """The library's optimizer parameters for solver and its settings."""
        solver = self.solver
        if solver == "lbfgs":
            raise ValueError("solver 'lbfgs' is not supported by cltrain (a full-batch "
                             "quasi-Newton method); use 'adam', 'sgd' or another of cltrain's")
        if solver == "sgd":
            m = self._number("momentum", 0, 1)
            name = "sgd" if m == 0 else "nesterov" if self.nesterovs_momentum else "momentum"
        else:
            name = solver
        o = _lib.lib.ct_optim_defaults(_lib.optim_code(name))
        o.lr = self._number("learning_rate_init", 0, low_open=True)
        if name in ("momentum", "nesterov"):
            o.momentum = self._number("momentum", 0, 1)
        if name in ("adam", "adamw", "lion"):
            o.beta1 = self._number("beta_1", 0, 1)
            o.beta2 = self._number("beta_2", 0, 1)
            if self.beta_1 >= 1 or self.beta_2 >= 1:
                raise ValueError("beta_1 and beta_2 must be in [0, 1), got %r, %r"
                                 % (self.beta_1, self.beta_2))
        o.eps = self._number("epsilon", 0, low_open=True)
        if self.clip_norm is not None:
            o.clip_norm = self._number("clip_norm", 0, low_open=True)
        return o

    def _lr_schedule(self):
        """learning_rate, checked: 'constant', 'invscaling' or 'adaptive'; as in scikit-learn
        only the 'sgd' solver follows it (the others train at learning_rate_init)."""
        if self.learning_rate not in ("constant", "invscaling", "adaptive"):
            raise ValueError("learning_rate must be 'constant', 'invscaling' or 'adaptive', got %r"
                             % (self.learning_rate,))
        self._number("power_t", 0)
        return self.learning_rate if self.solver == "sgd" else "constant"

    def _lr_epoch_end(self, model, schedule, stalled, patience, early):
        """scikit-learn's SGDOptimizer after an epoch: 'invscaling' sets the learning rate to
        learning_rate_init / (t_ + 1) ** power_t; 'adaptive' divides it by 5 each time more than
        n_iter_no_change epochs in a row missed the tol gain, and stops when it is <= 1e-6. The
        new rate goes to the library for the epochs after this one. True: stop."""
        self._no_improvement_count = self._no_improvement_count + 1 if stalled else 0
        lr = self.learning_rate_
        if schedule == "invscaling":
            lr = float(self.learning_rate_init) / (self.t_ + 1) ** self.power_t
        elif schedule == "adaptive" and self._no_improvement_count > patience:
            what = "Validation score" if early else "Training loss"
            msg = ("%s did not improve more than tol=%f for %d consecutive epochs."
                   % (what, self.tol, patience))
            if lr <= 1e-6:
                if self.verbose:
                    print(msg + " Learning rate too small. Stopping.")
                return True
            lr /= 5.0
            self._no_improvement_count = 0
            if self.verbose:
                print(msg + " Setting learning rate to %f" % lr)
        if lr != self.learning_rate_:
            model.set_lr(lr)
            self.learning_rate_ = lr
        return False

    def _seed(self):
        rs = self.random_state
        if rs is None:
            return int(np.random.randint(np.iinfo(np.int32).max))
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            if rs < 0:
                raise ValueError("random_state must be >= 0, got %d" % rs)
            return int(rs)
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(np.iinfo(np.int32).max))
        raise ValueError("random_state must be None, an int or a numpy RandomState, got %r"
                         % (rs,))

    def _batch(self, n):
        b = self.batch_size
        if isinstance(b, str) and b == "auto":
            return min(200, n)
        if isinstance(b, bool) or not isinstance(b, numbers.Integral):
            raise ValueError("batch_size must be 'auto' or an int, got %r" % (b,))
        if b < 1 or b > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going "
                          "to be clipped", UserWarning, stacklevel=3)
        return int(min(max(b, 1), n))

    def _device(self):
        return _lib.device(self.device)

    # ---- fitting --------------------------------------------------------------------------

    def _targets(self, X, y, incremental, classes):
        """(labels, n_classes, Y) for the library; sets classes_ for a classifier."""
        raise NotImplementedError

    def _fit(self, X, y, incremental=False, classes=None):
        hidden = self._hidden()
        dropouts = self._dropouts(len(hidden))
        norm = self._norm()
        optim = self._optimizer()
        schedule = self._lr_schedule()
        act = _lib.act_code(_ACTIVATIONS.get(self.activation, self.activation))
        max_iter = self._number("max_iter", 1, integer=True)
        tol = self._number("tol", 0)
        alpha = self._number("alpha", 0)
        patience = self._number("n_iter_no_change", 1, integer=True)
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise ValueError("shuffle must be a bool, got %r" % (self.shuffle,))
        early = bool(self.early_stopping) and not incremental
        if early:
            self._number("validation_fraction", 0, 1, low_open=True)
            if self.validation_fraction >= 1:
                raise ValueError("validation_fraction must be in (0, 1), got %r"
                                 % (self.validation_fraction,))

        fitted = getattr(self, "_model", None) is not None or hasattr(self, "_model_bytes")
        keep = fitted and (incremental or self.warm_start)
        if keep and self._get_model().columns() or not keep and _is_table(X):
            data, names, n_features = self._table_data(X, y, keep, classes)
        else:
            if keep:
                X = self._arrange(X)
                names = getattr(self, "feature_names_in_", None)
            else:
                names = _column_names(X)
            X = _check_X(X)
            if keep and X.shape[1] != self.n_features_in_:
                raise ValueError("X has %d features, but %s is expecting %d features as input."
                                 % (X.shape[1], type(self).__name__, self.n_features_in_))
            labels, n_classes, Y = self._targets(X, y, keep, classes)
            data = _lib.Dataset.from_arrays(X, labels, n_classes, Y, name="X")
            if names is not None:  # the model keeps them: predict matches a DataFrame's columns
                data.set_feature_names(list(names))
            n_features = X.shape[1]
        seed = self._seed()
        dev = self._device()
        train, val = data, None
        if early:
            train, val = data.split(self.validation_fraction, seed)
        n = train.rows
        batch = self._batch(n)

        if keep:
            model = self._get_model()
            for name, value in (("n_iter_", 0), ("t_", 0), ("loss_curve_", [])):
                if not hasattr(self, name):  # a loaded model: no earlier training here
                    setattr(self, name, value)
            if early and getattr(self, "validation_scores_", None) is None:
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
                self.best_loss_ = None
            elif not early and getattr(self, "best_loss_", None) is None:
                self.best_loss_ = min(self.loss_curve_, default=np.inf)
        else:
            model = _lib.Model.create(dev, hidden, act, dropouts, data, seed, norm)
            self._model = None
            self.__dict__.pop("_model_bytes", None)
            self.n_features_in_ = n_features
            if names is not None:
                self.feature_names_in_ = np.asarray(names, dtype=object)
            else:
                self.__dict__.pop("feature_names_in_", None)
            self.n_outputs_ = model.outputs
            self.n_layers_ = len(hidden) + 2
            self.out_activation_ = self._out_activation(model)
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            if early:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.validation_scores_ = None
                self.best_validation_score_ = None
                self.best_loss_ = np.inf

        o = _lib.TrainOptions()
        _lib.lib.ct_train_defaults(o)
        o.epochs = 1 if incremental else max_iter
        o.batch = batch
        o.seed = seed
        o.optim = optim
        o.l2 = alpha / batch  # scikit-learn's penalty alpha / 2 ||W||^2 / batch, per batch
        o.keep_order = 0 if self.shuffle else 1
        o.continue_run = 1 if incremental else 0
        if self.tensorboard_dir is not None:
            # TensorBoard event files, as `cltrain train --tensorboard DIR` writes them: runs
            # DIR/train and DIR/validation (early_stopping), epoch_loss, epoch_accuracy and
            # epoch_learning_rate per epoch; each fit or partial_fit adds files, its steps going on
            o.tensorboard_dir = os.fsencode(os.fspath(self.tensorboard_dir))
        if not incremental or getattr(self, "learning_rate_", None) is None:
            self.learning_rate_ = float(self.learning_rate_init)  # scikit-learn: a new optimizer
        if not keep or getattr(self, "_no_improvement_count", None) is None:
            self._no_improvement_count = 0
        if not keep or getattr(self, "_epoch_lrs", None) is None:
            self._epoch_lrs = []  # the library's learning rate of each epoch (tests)
        if not incremental:
            # cltrain's early stopping: stop after n_iter_no_change + 1 epochs without a gain of
            # more than tol (of the validation loss with early_stopping, else the training loss);
            # 'adaptive' stops here instead (_lr_epoch_end), the library only keeps the best
            o.patience = patience + 1 if schedule != "adaptive" else max_iter + 1
            o.min_delta = tol
            o.restore_best = 1 if early else 0
        val_rows = val.rows if val else 0
        ss_tot = None
        if early and not self._classifier:
            yv = val.targets()
            ss_tot = float(((yv - yv.mean(axis=0)) ** 2).sum())

        def on_epoch(s):
            self.loss_curve_.append(float(s.train_loss))
            self.n_iter_ += 1
            self.t_ += n
            self._epoch_lrs.append(float(s.lr))
            stalled = False
            if early:
                if self._classifier:
                    score = float(s.val_acc)
                else:  # R^2 from the validation loss: the mean over rows of the squared errors
                    ss_res = float(s.val_loss) * val_rows
                    score = 1 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
                self.validation_scores_.append(score)
                stalled = score < self.best_validation_score_ + tol
                self.best_validation_score_ = max(self.best_validation_score_, score)
            elif self.best_loss_ is not None:
                stalled = float(s.train_loss) > self.best_loss_ - tol
                self.best_loss_ = min(self.best_loss_, float(s.train_loss))
            if self.verbose:
                print("Iteration %d, loss = %.8f" % (self.n_iter_, s.train_loss))
                if early:
                    print("Validation score: %f" % self.validation_scores_[-1])
            return self._lr_epoch_end(model, schedule, stalled, patience, early)

        res = model.train(train, val, o, on_epoch)
        self._model = model
        self.__dict__.pop("_model_bytes", None)
        self._after_fit(model)
        self.loss_ = self.loss_curve_[-1]
        if not incremental and not res.stopped_early:
            warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the "
                          "optimization hasn't converged yet." % max_iter, ConvergenceWarning,
                          stacklevel=3)
        return self

    def _table_data(self, X, y, keep, classes):
        """(dataset, names, columns) of a table X (a DataFrame, an array of objects or strings),
        read by the library as the command line reads a CSV: for a new model the column kinds,
        categories and fills are fitted (and kept in the model), for a fitted one its own apply."""
        names, n, ncol, cells = _table_cells(X)
        labels, n_classes, Y = self._targets(np.empty((n, 0)), y, keep, classes)
        if keep:
            model = self._get_model()
            data, note = model.data_from_cells(cells, self._cell_names(model, names, ncol),
                                               labels, Y)
            if note:
                warnings.warn(note, UserWarning, stacklevel=4)
            return data, getattr(self, "feature_names_in_", None), self.n_features_in_
        header = names if names is not None else ["x%d" % j for j in range(ncol)]
        data = _lib.Dataset.from_cells(cells, header, labels, n_classes, Y)
        return data, names, ncol

    def _cell_names(self, model, names, ncol):
        """The names the columns of X go by: a DataFrame's, else the model's by position."""
        if names is not None:
            return names
        if ncol != self.n_features_in_:
            raise ValueError("X has %d features, but %s is expecting %d features as input."
                             % (ncol, type(self).__name__, self.n_features_in_))
        return model.columns()

    def _out_activation(self, model):
        raise NotImplementedError

    def _after_fit(self, model):
        pass

    def fit(self, X, y):
        """Trains on X (n_samples, n_features) and y for up to max_iter epochs."""
        return self._fit(X, y)

    # ---- the model ------------------------------------------------------------------------

    def _check_fitted(self):
        if getattr(self, "_model", None) is None and not hasattr(self, "_model_bytes"):
            raise NotFittedError("This %s instance is not fitted yet. Call 'fit' with appropriate "
                                 "arguments before using this estimator." % type(self).__name__)

    def _get_model(self):
        self._check_fitted()
        if getattr(self, "_model", None) is None:  # unpickled: load on the device
            self._model = _lib.Model.from_bytes(self._device(), self._model_bytes)
            del self._model_bytes
        return self._model

    def _arrange(self, X):
        """X with its columns in the order of the fitted features: a DataFrame's matched by name
        (any order; a missing one is a ValueError naming it, an extra one is left out with a
        warning), as the command line matches a CSV header; other arrays as they are."""
        names = _column_names(X)
        if names is None or getattr(self, "feature_names_in_", None) is None:
            return X
        cols, note = self._get_model().match_columns(names)
        if note:
            warnings.warn(note, UserWarning, stacklevel=4)
        return X.iloc[:, cols]

    def _outputs(self, X):
        self._check_fitted()
        model = self._get_model()
        if model.columns():  # trained on a table: its encoding applies (columns by name)
            names, n, ncol, cells = _table_cells(X)
            data, note = model.data_from_cells(cells, self._cell_names(model, names, ncol))
            if note:
                warnings.warn(note, UserWarning, stacklevel=3)
            return model.predict(data.x())
        X = self._arrange(X)
        X = _check_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError("X has %d features, but %s is expecting %d features as input."
                             % (X.shape[1], type(self).__name__, self.n_features_in_))
        return self._get_model().predict(X)

    @property
    def coefs_(self):
        """The weights of each layer as scikit-learn holds them: (inputs, outputs) arrays."""
        return [w for w, _ in self._layers()]

    @property
    def intercepts_(self):
        return [b for _, b in self._layers()]

    def _layers(self):
        model = self._get_model()
        sizes = model.arch()["sizes"]
        p = model.params().astype(np.float64)
        dense = sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1))
        # the dense layers come first; a norm's gamma, beta and running statistics follow
        p = p[:dense]
        out, off = [], 0
        for i in range(len(sizes) - 1):  # weights (out, in) of every layer, then every bias
            w = p[off:off + sizes[i] * sizes[i + 1]].reshape(sizes[i + 1], sizes[i])
            out.append([w.T.copy(), None])
            off += sizes[i] * sizes[i + 1]
        for i in range(len(sizes) - 1):
            out[i][1] = p[off:off + sizes[i + 1]].copy()
            off += sizes[i + 1]
        return [tuple(x) for x in out]

    def save(self, path):
        """Writes the model as the command line does (`cltrain predict --model PATH` reads it)."""
        self._get_model().save(path)

    def __getstate__(self):
        state = self.__dict__.copy()
        model = state.pop("_model", None)
        if model is not None:
            state["_model_bytes"] = model.to_bytes()  # the safetensors file's bytes
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._model = None



class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multilayer perceptron classifier trained by cltrain on an OpenCL device, with
    scikit-learn's MLPClassifier parameters (softmax and cross-entropy for several classes, one
    sigmoid unit and binary cross-entropy for two)."""

    _classifier = True

    def _targets(self, X, y, keep, classes):
        y = _check_labels(y)
        _check_lengths(X, y)
        if keep:
            known = self.classes_
        elif classes is not None:
            known = np.unique(np.asarray(classes))
        else:
            known = np.unique(y)
        if classes is not None and keep and not np.array_equal(np.unique(classes), known):
            raise ValueError("`classes=%r` is not the same as on last call to partial_fit, was: "
                             "%r" % (np.unique(classes), known))
        if len(known) < 2:
            raise ValueError("y has 1 class (%r); a classifier needs 2 or more classes"
                             % (known[0] if len(known) else None,))
        idx = np.searchsorted(known, y)
        idx = np.clip(idx, 0, len(known) - 1)
        unknown = known[idx] != y
        if np.any(unknown):
            raise ValueError("y contains labels not in classes: %r" % (np.unique(y[unknown]),))
        if not keep:
            self.classes_ = known
        return idx.astype(np.int32), len(known), None

    def _out_activation(self, model):
        return "logistic" if len(self.classes_) == 2 else "softmax"

    def _after_fit(self, model):
        names = [str(c) for c in self.classes_]
        if all(names) and len(names) == len(model.class_names()):
            model.set_class_names(names)

    def partial_fit(self, X, y, classes=None):
        """One epoch over X, y, continuing the optimizer's state. classes (all the labels) is
        needed on the first call."""
        first = getattr(self, "_model", None) is None and not hasattr(self, "_model_bytes")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), in the order of classes_."""
        p = self._outputs(X).astype(np.float64)
        p /= p.sum(axis=1, keepdims=True)
        return p

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def predict(self, X):
        p = self.predict_proba(X)
        return self.classes_[np.argmax(p, axis=1)]

    def _more_tags(self):
        return {"multilabel": False}


class MLPRegressor(MultiOutputMixin, RegressorMixin, _BaseMLP):
    """A multilayer perceptron regressor trained by cltrain on an OpenCL device, with
    scikit-learn's MLPRegressor parameters (linear outputs, mean squared error)."""

    def _targets(self, X, y, keep, classes):
        _check_y_given(y)
        y = np.asarray(y)
        if y.dtype.kind not in "fiub":
            y = y.astype(np.float64)
        if y.ndim not in (1, 2):
            raise ValueError("y must be 1-d or 2-d, got shape %s" % (y.shape,))
        _check_lengths(X, y)
        Y = y.reshape(len(y), -1)
        if keep and Y.shape[1] != self.n_outputs_:
            raise ValueError("y has %d outputs, but %s was fitted with %d"
                             % (Y.shape[1], type(self).__name__, self.n_outputs_))
        if not keep:
            self._y_ndim = y.ndim
        return None, 0, Y

    def _out_activation(self, model):
        return "identity"

    def partial_fit(self, X, y):
        """One epoch over X, y, continuing the optimizer's state."""
        return self._fit(X, y, incremental=True)

    def predict(self, X):
        p = self._outputs(X).astype(np.float64)
        return p.ravel() if getattr(self, "_y_ndim", 2) == 1 else p

    def _more_tags(self):
        return {"multioutput": True}


def _parse_classes(names):
    """Class labels from a model file's names: ints or floats when every name is one."""
    for kind in (int, float):
        try:
            return np.array([kind(n) for n in names])
        except ValueError:
            pass
    return np.array(names)


def _from_model(model, device, cls=None):
    """A fitted estimator around a loaded model."""
    classifier = model.task == _lib.CT_TASK_CLASSIFICATION
    kind = MLPClassifier if classifier else MLPRegressor
    if cls is not None and cls is not kind:
        raise ValueError("the file holds a %s model: load it with %s.load or cltrain.load"
                         % ("classification" if classifier else "regression", kind.__name__))
    a = model.arch()
    acts = [_lib.act_name(c) for c in a["act"]]
    act = acts[0] if acts else "relu"
    drops = a["dropout"]
    norms = set(a["norm"])
    est = kind(hidden_layer_sizes=tuple(a["sizes"][1:-1]),
               activation=_ACTIVATION_BACK.get(act, act),
               dropout=drops[0] if len(set(drops)) <= 1 and drops else tuple(drops) or 0.0,
               norm={1: "batch", 2: "layer"}.get(norms.pop()) if len(norms) == 1 else None,
               device=device)
    est._model = model
    names = model.columns()  # a table's columns (an encoding), else the inputs
    if not names:
        names = model.feature_names()
    est.n_features_in_ = len(names)
    if names != ["x%d" % j for j in range(len(names))]:  # named in training: DataFrames by name
        est.feature_names_in_ = np.asarray(names, dtype=object)
    est.n_outputs_ = model.outputs
    est.n_layers_ = len(a["sizes"])
    if classifier:
        est.classes_ = _parse_classes(model.class_names())
    else:
        est._y_ndim = 1 if model.outputs == 1 else 2
    est.out_activation_ = est._out_activation(model)
    return est


def _load(cls, path, device=None):
    """A fitted estimator from a model file the command line or save() wrote."""
    return _from_model(_lib.Model.load(_lib.device(device), path), device, cls)


MLPClassifier.load = classmethod(_load)
MLPRegressor.load = classmethod(_load)
