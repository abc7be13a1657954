"""Sums over the training rows for the marginal effects, on whatever holds them.

NumPy and SciPy rows are summed here, by row blocks; dask rows chunk by chunk
on the workers (each chunk a NumPy sum, the results added here); Array API
rows are brought to NumPy first.
"""

import numpy as np
from scipy import sparse
from sklearn.utils._array_api import move_to

from ..backends import is_dask_collection


def _host(array):
    """NumPy and SciPy arrays as they are; an Array API array copied to NumPy."""
    if isinstance(array, np.ndarray) or sparse.issparse(array):
        return array
    return np.asarray(move_to(array, xp=np, device="cpu"))


def _chunk_call(x, weights, task, args):
    return task(x, weights, *args)


def row_sums(func, X, weights, *args):
    """``func(X, weights, *args)``, a tuple of sums; by chunks for dask ``X``."""
    if is_dask_collection(X):
        from ..datafits.dask import per_chunk

        parts = per_chunk(_chunk_call, X, weights, task=func, args=args)
        return tuple(sum(part[i] for part in parts) for i in range(len(parts[0])))
    return func(_host(X), _host(weights), *args)


def _weighted_sum(x, weights, rows=1 << 14):
    """``(sum_i w_i x_i, sum_i w_i)`` in float64, by row blocks (float32 never copied whole)."""
    weights = np.asarray(weights, dtype=np.float64)
    if sparse.issparse(x):
        return np.asarray(x.T @ weights, dtype=np.float64).ravel(), float(weights.sum())
    total = np.zeros(x.shape[1])
    for start in range(0, x.shape[0], rows):
        total += weights[start : start + rows] @ np.asarray(x[start : start + rows], np.float64)
    return total, float(weights.sum())


def weighted_mean(X, weights):
    """The weighted mean row of ``X``, float64, shape (n_features,)."""
    total, weight = row_sums(_weighted_sum, X, weights)
    return total / weight
