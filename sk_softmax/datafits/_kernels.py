"""The kernels of the softmax loss: products with the data, the softmax, two classes' loss.

Pure functions on one block of rows (its products with coefficients) and on
its raw predictions, which the NumPy data term's passes
(:mod:`sk_softmax.datafits.numpy`) call on every block; kept apart from those passes.
And the raw predictions of all of ``X`` (:func:`raw_prediction`), for
``predict`` and the diagnostics.
"""

import numpy as np
from scipy import sparse

from ._blocks import _MAX_ROWS, RowChunks
from ._sparse_blocks import transposed


def _arange(n):
    """``np.arange(n)`` (intp), read-only: a view of a kept range, grown as needed.

    Every pass over a block indexes its true classes with it; on data that
    fit in a millisecond, building it anew each time costs as much as the
    indexing.
    """
    global _RANGE
    kept = _RANGE  # one read: another thread may replace it meanwhile
    if kept.size < n:
        if n > _MAX_ROWS:  # kept only up to a dense block's rows
            return np.arange(n)
        kept = np.arange(max(n, min(2 * kept.size, _MAX_ROWS)), dtype=np.intp)
        kept.flags.writeable = False
        _RANGE = kept
    return kept[:n]


_RANGE = np.arange(0, dtype=np.intp)


def _softmax_block(raw, y, sw=None):
    """Probabilities in place of the class-major ``raw``; returns ``(raw, ce)``.

    ``raw`` has shape (n_classes, m): sample ``i`` is column ``i``. The
    max-shifted log-sum-exp, ``ce = log(sum(exp(o - m))) - (o_y - m)`` with
    ``m`` the largest output, so no exponential exceeds one, fused so that a
    block is read few times. Class-major because the maxima and sums over
    classes then run along the outer axis, vectorised over the samples: along
    rows of 2 to 10 values numpy takes 10 to 20 times longer, more than the
    matrix product. With the samples' weights ``sw``, ``raw`` holds the
    weighted residuals ``sw (p - onehot(y))`` instead (a gradient that keeps
    no probabilities): one product per entry in place of a division and a
    product, and ``sw p_y - sw`` carries the absolute error of ``p_y`` itself,
    as ``p_y - 1`` does.
    """
    row_max = raw.max(axis=0)
    with np.errstate(over="ignore"):  # spreads over 1.8e308 give -inf: p = 0
        raw -= row_max
    flat, true = _true_entries(raw, y)
    shifted_true = flat[true]
    np.exp(raw, out=raw)
    total = raw.sum(axis=0)
    if sw is None:
        raw /= total
    else:
        raw *= sw / total
        flat[true] -= sw
    return raw, np.log(total) - shifted_true


def _true_entries(matrix, y):
    """``(flat, positions)``: ``flat[positions]`` is ``matrix[y, arange(m)]``, the true classes'.

    ``flat`` is a view of the class-major ``matrix`` (n_classes, m) raveled,
    which must be C-contiguous (every block's raw predictions are): writing
    ``flat[positions]`` writes ``matrix``. One index array instead of two:
    numpy gathers and scatters with it in 0.4 to 0.6 of the time (10 x 11000
    float32, one core: scatter 176 -> 70 us, gather 76 -> 46 us; a tenth of
    the tall data's softmax).
    """
    if not matrix.flags.c_contiguous:
        raise ValueError("the class-major blocks of the passes are C-contiguous")
    m = matrix.shape[1]
    positions = y * m
    positions += _arange(m)
    return matrix.reshape(-1), positions


def _two_class_ce(difference, y):
    """Two classes' cross-entropy from the raw difference ``t = o_1 - o_0``.

    ``log(1 + exp(-t))`` for class 1 and ``log(1 + exp(t))`` for class 0
    (exact for any ``t``); with ``p_1 = expit(t)``: matrix-vector products
    with the data instead of two-column ones, and no maxima or sums over
    classes.
    """
    margin = np.where(y == 1, -difference, difference)
    # softplus(u) = max(u, 0) + log1p(exp(-|u|)): np.logaddexp(0, u), at half its cost
    ce = np.log1p(np.exp(-np.abs(margin)))
    ce += np.maximum(margin, 0.0)
    return ce


def raw_block(block, operand, intercept, kept=None, rows=None):
    """The block's raw predictions ``W X_b^T + b``, class-major (n_classes, m).

    ``(operand, intercept)`` as ``SoftmaxDatafit._operand`` prepares them
    (``operand`` None: zero weights, the raw predictions are the intercept).
    A new array; with ``kept`` (n_classes, n_samples), also copied into
    its columns ``rows``: the raw predictions, or a vector's image, that
    a data term following lines keeps (:mod:`._lines`).
    """
    if operand is None:
        raw = np.empty((intercept.size, block.shape[0]), dtype=intercept.dtype)
        raw[...] = intercept[:, None]
    elif isinstance(block, np.ndarray) and block.dtype != np.float32:
        raw = operand @ block.T
        if intercept is not None:
            raw += intercept[:, None]
    else:
        # OpenBLAS's float32 kernels take X_b W^T, transposed after, in 0.72 of the
        # time of W X_b^T (its float64 ones the other way round, 1.4 times as long);
        # sparse blocks multiply the same way. The transposing copy adds the intercept.
        if isinstance(block, np.ndarray):
            rows_major = block @ operand.T
        else:
            rows_major = np.asarray(block @ operand, dtype=np.float64)
        raw = np.empty(rows_major.shape[::-1], dtype=rows_major.dtype)
        if intercept is None:
            raw[...] = rows_major.T
        else:
            np.add(rows_major.T, intercept[:, None], out=raw)
    if kept is not None:
        kept[:, rows] = raw
    return raw


def times_block(matrix, block):
    """``matrix @ block`` for a class-major ``matrix`` (n_classes, m): (n_classes, d)."""
    if isinstance(block, np.ndarray):
        return matrix @ block
    return np.asarray(transposed(block) @ matrix.T).T  # sparse


def raw_prediction(X, weights, intercept=None):
    """The raw prediction ``X @ weights.T + intercept`` in float64.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    weights : ndarray of shape (n_classes, n_features)
    intercept : ndarray of shape (n_classes,) or None

    Returns
    -------
    raw : ndarray of shape (n_samples, n_classes), float64
    """
    if sparse.issparse(X) or X.dtype == np.float64:
        raw = np.asarray(X @ weights.T, dtype=np.float64)
    else:  # cast block by block, never X whole
        raw = np.empty((X.shape[0], weights.shape[0]))
        RowChunks(X).map_rows(lambda rows, block: block @ weights.T, raw)
    if intercept is not None:
        raw += intercept
    return raw
