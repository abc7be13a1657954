"""One prediction kernel: raw scores -> decision function, log-probabilities, probabilities, labels.

Every backend predicts through :func:`predict`: NumPy and SciPy data
directly, Array API data in their namespace and on their device, dask arrays
chunk by chunk (each chunk a NumPy call), and ``SoftmaxClassifierCV``'s fold
models. So every path has the same overflow rescue:

Raw outputs ``o = W x + b`` can overflow float64 (features or coefficients
near 1e308), though the model's decision is still well defined. Such rows are
recomputed as ``o / f`` with ``f = max(1, max|x|) * max(|W|, |b|)``: finite,
in the same order of classes (``f > 0``). Then ``o = f * raw`` row by row,
and the log-probabilities ``f * (raw - max raw) - log(sum(exp(...)))`` are
finite wherever float64 can hold them: a gap between the largest output and
another beyond 1.8e308 (outputs of +-1e308, say) gives that class ``-inf``,
the correctly rounded value.
"""

import functools

import numpy as np
from scipy import sparse

from .datafits._kernels import raw_prediction

METHODS = ("decision_function", "predict_log_proba", "predict_proba", "predict")


def _raw(X, coef, intercept, xp):
    # overflow is expected (and rescued by scores); namespaces built on NumPy
    # (array-api-strict) report it through NumPy's error state too
    with np.errstate(over="ignore", invalid="ignore"):
        if xp is np:
            return raw_prediction(X, coef, intercept)
        raw = xp.astype(X, coef.dtype) @ coef.T
        return raw if intercept is None else raw + intercept[None, :]


# Up to this many classes, NumPy's row maxima and sums go column by column.
# Measured reason: NumPy 2.4's reductions along a short last axis cost about
# 30 ns a row whatever the width, so on 1e4 rows the row maximum of 2 columns
# took 337 us against 9.5 us column by column (10 columns: 394 against 79 us;
# 100 columns: 572 against 983 us, hence the limit), and made predict_proba of
# two classes 3.6 times slower than LogisticRegression's on 1e4 rows
# (benchmarks/bench_predict.py).
_FEW_COLUMNS = 32


def _row_max(a, xp):
    """The largest entry of each row of the 2-D ``a``, shape (n_rows, 1) (NaN if any is)."""
    if xp is np and a.shape[1] <= _FEW_COLUMNS:
        return functools.reduce(np.maximum, a.T)[:, None]
    return xp.max(a, axis=1, keepdims=True)


def _row_sum(a, xp):
    """The sum of each row of the 2-D ``a``, shape (n_rows, 1)."""
    if xp is np and a.shape[1] <= _FEW_COLUMNS:
        return functools.reduce(np.add, a.T)[:, None]
    return xp.sum(a, axis=1, keepdims=True)


def _row_sizes(rows, xp):
    """``max(1, max_j |x_ij|)`` of each row (dense, sparse or any namespace)."""
    if xp is np:
        size = abs(rows).max(axis=1)
        size = size.toarray().ravel() if sparse.issparse(size) else np.asarray(size)
        return np.maximum(size, 1.0)
    size = xp.max(xp.abs(rows), axis=1)
    return xp.where(size > 1.0, size, xp.ones_like(size))


def scores(X, coef, intercept, xp=np):
    """``(raw, factor)`` with ``o = W x + b = factor * raw``, row by row.

    ``factor`` is None when every row's outputs are finite (then ``raw`` is
    ``o``); otherwise an array of ones but on the rows whose outputs
    overflowed, which are rescaled (module docstring). ``coef`` has shape
    (n_classes, n_features), ``intercept`` (n_classes,), both of ``xp``.
    """
    raw = _raw(X, coef, intercept, xp)
    if bool(xp.all(xp.isfinite(raw))):  # the common case, without a pass per row
        return raw, None
    bad = ~xp.all(xp.isfinite(raw), axis=1)
    rows = X[bad]
    size = _row_sizes(rows, xp)
    coef_size = xp.maximum(xp.max(xp.abs(coef)), xp.max(xp.abs(intercept)))
    if xp is np and sparse.issparse(rows):
        rows = sparse.diags(1.0 / size) @ rows
    else:
        rows = rows / xp.astype(size[:, None], rows.dtype)
    rescued = _raw(rows, coef / coef_size, None, xp) + intercept / coef_size / size[:, None]
    raw[bad] = rescued
    factor = xp.ones_like(raw[:, 0])
    with np.errstate(over="ignore"):
        factor[bad] = size * coef_size
    return raw, factor


def _times(raw, factor, xp):
    """``raw * factor`` row by row, with ``0 * inf = 0`` (``factor`` may overflow)."""
    if factor is None:
        return raw
    with np.errstate(over="ignore", invalid="ignore"):
        out = raw * factor[:, None]
    return xp.where(raw == 0, xp.zeros_like(out), out)


def log_softmax(raw, factor=None, xp=np):
    """Log-probabilities ``o - logsumexp(o)`` of the outputs ``o = factor * raw``.

    The max-shifted form of ``raw - scipy.special.logsumexp(raw, axis=1)``:
    the row maximum is subtracted first, so no exponential exceeds one and
    nothing overflows, for logits of any size; finite wherever ``o`` is.
    """
    with np.errstate(over="ignore"):  # spreads over 1.8e308 give -inf: p = 0
        shifted = _times(raw - _row_max(raw, xp), factor, xp)  # <= 0
    return shifted - xp.log(_row_sum(xp.exp(shifted), xp))


def predict(method, X, coef, intercept, classes, xp=np):
    """``method`` (one of :data:`METHODS`) of the linear softmax model on ``X``.

    ``classes`` holds the labels, an array of ``xp``: ``predict`` returns the
    label of the most probable class, the first on exact ties (with
    ``classes=None``, its index).
    """
    raw, factor = scores(X, coef, intercept, xp)
    if method == "predict":
        indices = xp.argmax(raw, axis=1)
        return indices if classes is None else xp.take(classes, indices, axis=0)
    if method == "decision_function":
        if raw.shape[1] == 2:  # o_1 - o_0: positive means classes_[1]
            with np.errstate(over="ignore"):  # a difference beyond float64 is +-inf
                difference = raw[:, 1:] - raw[:, :1]
            return _times(difference, factor, xp)[:, 0]
        return _times(raw, factor, xp)
    log_proba = log_softmax(raw, factor, xp)
    return log_proba if method == "predict_log_proba" else xp.exp(log_proba)
