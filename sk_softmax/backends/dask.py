"""Dask arrays and data frames: validation and training data, by map-reduce over row chunks.

Imported only when a dask collection reaches the estimator (``import
sk_softmax`` never imports dask; :func:`sk_softmax.backends.is_dask_collection`
recognises one by the module of its type). The labels' classes come from
``dask.array.unique``, the codes and the combined weights are computed chunk
by chunk, the column moments and the data term by
:mod:`sk_softmax.datafits.dask`. Only vectors of ``n_features`` or
``n_classes * n_dof`` values (and, for "newton-cholesky", the Hessian) come
back to the client. Predictions are lazy dask arrays, chunk-aligned with
``X``, each chunk computed by the NumPy prediction kernel.
"""

import dask
import dask.array as da
import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_is_fitted, validate_data

from .._predict import predict as predict_kernel
from .._validation import check_classification_target, check_two_classes
from ..datafits.dask import DaskDatafit, column_moments_dask, per_chunk
from ..datafits.standardized import Standardized
from . import is_dask_collection

# Largest data (values of X) that diagnostics bring to the client whole: the
# exact separation test needs a linear programme on the rows.
_MAX_CLIENT_VALUES = 1 << 24


def _as_dask_array(X, name, lengths=True):
    """A dask array (dataframes and series converted), with known row chunks if ``lengths``.

    Knowing the chunks' lengths costs a pass over a dataframe: ``fit`` needs
    them to align ``y`` and the weights with ``X``; predictions, which map
    each chunk on its own, stay lazy without them.
    """
    if hasattr(X, "to_dask_array"):
        X = X.to_dask_array(lengths=lengths or None)
    if not hasattr(X, "chunks") or not hasattr(X, "map_blocks"):
        raise TypeError(
            f"{name} is a {type(X).__name__}, a dask collection that is neither a dask array "
            "nor a dask dataframe or series: pass one of those."
        )
    if sparse.issparse(getattr(X, "_meta", None)):
        raise TypeError(
            f"{name} is a dask array of scipy.sparse chunks, which SoftmaxClassifier does not "
            "take: densify the chunks (X.map_blocks(lambda b: b.toarray())), or fit on "
            "the scipy.sparse matrix itself."
        )
    if lengths and any(np.isnan(size) for size in X.chunks[0]):
        X = X.compute_chunk_sizes()
    return X


# -- tasks on the chunks --------------------------------------------------------------


def _chunk_summary(X, weights):
    """Finiteness of a chunk and the range of its weights, for validation."""
    return (
        bool(np.isfinite(X).all()),
        bool(np.isfinite(weights).all()),
        float(weights.min()) if weights.size else np.inf,
        float(weights.max()) if weights.size else -np.inf,
    )


def _chunk_class_totals(y, weights, n_classes):
    return np.bincount(y, weights=weights, minlength=n_classes)


def _encode(y, classes):
    """Labels to codes in ``range(len(classes))``; -1 for labels not in ``classes``."""
    codes = np.searchsorted(classes, y)
    codes = np.minimum(codes, classes.size - 1)
    return np.where(classes[codes] == y, codes, -1).astype(np.intp)


def _combine(weights, y, factor):
    return weights * factor[y]


def _chunk_correct(X, y, weights, coef, intercept):
    """Whether every positively weighted row of a chunk has its own class strictly on top."""
    raw = X @ coef.T + intercept
    rows = np.arange(raw.shape[0])
    own = raw[rows, y].copy()
    raw[rows, y] = -np.inf
    used = weights > 0
    return bool(np.all(own[used] > raw.max(axis=1)[used]))


class DaskData:
    """Validated dask training data, and the passes over it the pipeline needs."""

    def __init__(self, X, y_codes, classes, sample_weight, weight_max):
        self.X, self.y_codes = X, y_codes
        self.classes = self.classes_numpy = classes
        self.n_samples, self.n_features = X.shape
        self.n_classes = classes.size
        self._known_max = (sample_weight, weight_max)

    def max(self, array):
        """The largest entry of a dask array (of the sample weights: known from validation)."""
        if array is self._known_max[0]:
            return self._known_max[1]
        return float(array.max().compute())

    def class_totals(self, weights):
        parts = per_chunk(_chunk_class_totals, self.y_codes, weights, n_classes=self.n_classes)
        return np.sum(parts, axis=0)

    def reweigh(self, weights, factor):
        return da.map_blocks(_combine, weights, self.y_codes, factor=factor, dtype=float)

    def moments(self, weights, center):
        return column_moments_dask(self.X, weights, center)

    def datafit(self, weights, coordinates, n_threads=1):
        datafit = DaskDatafit(
            self.X, self.y_codes, self.n_classes, weights.weights, coordinates.fit_intercept,
            weights.total,
        )  # fmt: skip
        return Standardized(datafit, coordinates)

    def numpy(self, weights):
        """``(X, y_codes, weights)`` in memory when small enough, else None."""
        if self.X.size > _MAX_CLIENT_VALUES:
            return None
        return dask.compute(self.X, self.y_codes, weights)

    def all_correct(self, weights, coef, intercept):
        """Whether every positively weighted row has its own class strictly on top."""
        parts = per_chunk(
            _chunk_correct, self.X, self.y_codes, weights, coef=coef, intercept=intercept
        )
        return all(parts)

    def attributes(self, coef, fit_intercept):
        return {
            "classes_": self.classes,
            "coef_": np.ascontiguousarray(coef[:, : self.n_features]),
            "intercept_": coef[:, -1].copy() if fit_intercept else np.zeros(self.n_classes),
        }


def fit_data(estimator, X, y, sample_weight):
    """Validate dask ``X`` (array or data frame), ``y`` and weights; ``(DaskData, weights)``."""
    names = _names_carrier(X)
    X = _as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions.")
    # feature names and n_features_in_, as for in-memory data, without a pass over X
    validate_data(estimator, names if names is not None else X, skip_check_array=True)
    X = _numeric(X)
    y = _target(y, X)
    sample_weight = _weights(sample_weight, X)
    classes = da.unique(y).compute()
    check_classification_target(classes)
    check_two_classes(classes)
    x_finite, w_finite, w_min, w_max = _summarise(X, sample_weight)
    if not x_finite:
        raise ValueError(_NOT_FINITE)
    if not w_finite or w_min < 0 or not w_max > 0:
        raise ValueError(
            "sample_weight must be finite and non-negative, with at least one positive entry."
        )
    y_codes = y.map_blocks(_encode, classes=classes, dtype=np.intp)
    return DaskData(X, y_codes, classes, sample_weight, w_max), sample_weight


_NOT_FINITE = "Input X contains NaN or infinity; impute or drop those rows."


def _numeric(X):
    """``X`` as float32 or float64 with whole rows per chunk; a clear error if not numeric.

    Checked on the dtype alone (nothing is computed): text columns of a
    dataframe arrive as object, complex data as complex.
    """
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"X has dtype {X.dtype}: SoftmaxClassifier needs numeric features; encode "
            "text or categorical features first."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X.rechunk({1: -1})


def _names_carrier(X):
    """For a dask dataframe, an empty pandas frame with its columns (scikit-learn reads
    feature names from pandas frames; ``X.columns`` computes nothing); else None."""
    if not (hasattr(X, "columns") and hasattr(X, "to_dask_array")):
        return None
    import pandas as pd

    return pd.DataFrame(columns=X.columns)


def _summarise(X, sample_weight):
    """``(X finite, weights finite, min weight, max weight)`` over all chunks."""
    parts = per_chunk(_chunk_summary, X, sample_weight)
    return (
        all(p[0] for p in parts),
        all(p[1] for p in parts),
        min(p[2] for p in parts),
        max(p[3] for p in parts),
    )


def _target(y, X):
    if is_dask_collection(y):
        y = _as_dask_array(y, "y")
    else:
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (n_samples,), got shape {y.shape}.")
        y = da.from_array(y, chunks=-1)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,), got {y.ndim} dimensions.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} samples but y has {y.shape[0]}: pass one label per row."
        )
    return y.rechunk((X.chunks[0],))


def _weights(sample_weight, X):
    n_samples = X.shape[0]
    if sample_weight is None:
        return da.ones(n_samples, chunks=(X.chunks[0],))
    if is_dask_collection(sample_weight):
        sample_weight = _as_dask_array(sample_weight, "sample_weight")
    elif np.ndim(sample_weight) == 0:
        return da.full(n_samples, float(sample_weight), chunks=(X.chunks[0],))
    else:
        sample_weight = da.from_array(np.asarray(sample_weight, dtype=np.float64))
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has shape {sample_weight.shape} but X has {n_samples} samples: "
            "pass one non-negative weight per sample (or a scalar)."
        )
    return sample_weight.astype(np.float64).rechunk((X.chunks[0],))


def predict(estimator, method, X):
    """``method`` on a dask collection: a lazy dask array, chunk-aligned with X."""
    check_is_fitted(estimator)
    names = _names_carrier(X)
    X = _as_dask_array(X, "X", lengths=False)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions.")
    validate_data(estimator, names if names is not None else X, skip_check_array=True, reset=False)
    X = _numeric(X)
    classes = estimator.classes_
    kwargs = dict(coef=estimator.coef_, intercept=estimator.intercept_, classes=classes)
    if method == "predict" or (method == "decision_function" and classes.size == 2):
        dtype = classes.dtype if method == "predict" else np.float64
        return X.map_blocks(_block_output, method, drop_axis=1, dtype=dtype, **kwargs)
    return X.map_blocks(
        _block_output, method, chunks=(X.chunks[0], (classes.size,)), dtype=np.float64, **kwargs
    )


def _block_output(X, method, coef, intercept, classes):
    """One chunk of a prediction, by the NumPy kernel (with its overflow rescue).

    A chunk with NaN or infinite values raises, when it is computed, the
    error that in-memory data get at once.
    """
    X = np.asarray(X)
    if not np.isfinite(X).all():
        raise ValueError(_NOT_FINITE)
    return predict_kernel(method, X, coef, intercept, classes)
