"""The weighted data set in canonical form: identical rows merged, a content order.

Before its epochs, ``fit(solver="sgd")`` merges identical rows (same
features and label) into one with the sum of their weights, drops rows of
zero total weight, and orders the rows by a hash of their content. A seeded
stochastic fit is then a function of the weighted data set alone: integer
weights and repeated rows, or two orders of the same rows, give the same
bits.
"""

import numpy as np
from scipy import sparse


def _multipliers(size):
    """Fixed odd 64-bit multipliers for the row hash (seeded: the same in every run)."""
    return np.random.default_rng(0x5EED).integers(1, 2**63, size=size, dtype=np.uint64) | 1


def _row_hashes(X, y):
    """A 64-bit hash of each row's bits and label, independent of where the row is.

    ``sum_j bits(x_ij) * m_j + y_i * m_d`` in wrapping unsigned arithmetic
    (exact, so identical rows always get identical hashes); for sparse rows
    the sum runs over the stored entries, their column mixed into the bits.
    """
    n_samples, n_features = X.shape
    mult = _multipliers(n_features + 2)
    with np.errstate(over="ignore"):
        if sparse.issparse(X):
            X = X.tocsr()
            bits = np.asarray(X.data, dtype=np.float64).view(np.uint64)
            columns = X.indices.astype(np.uint64)
            terms = (bits + columns * mult[-1]) * mult[X.indices]
            cumulative = np.concatenate([[np.uint64(0)], np.cumsum(terms, dtype=np.uint64)])
            hashes = cumulative[X.indptr[1:]] - cumulative[X.indptr[:-1]]
        else:
            hashes = np.empty(n_samples, dtype=np.uint64)
            step = max(1, (1 << 20) // max(1, n_features))
            for start in range(0, n_samples, step):
                block = np.ascontiguousarray(X[start : start + step], dtype=np.float64)
                hashes[start : start + step] = (block.view(np.uint64) * mult[:n_features]).sum(
                    axis=1, dtype=np.uint64
                )
        hashes += np.asarray(y, dtype=np.uint64) * mult[n_features]
    return hashes


def _rows_equal(X, first, second):
    """Whether rows ``first[i]`` and ``second[i]`` of ``X`` hold the same values."""
    if sparse.issparse(X):
        difference = sparse.csr_matrix(X[first] - X[second])
        difference.eliminate_zeros()
        return np.diff(difference.indptr) == 0
    return np.all(X[first] == X[second], axis=1)


def distinct_rows(X, y, sample_weight):
    """The weighted data set in canonical form: distinct rows, merged weights.

    Identical rows (same features and label) are merged into one, with the
    sum of their weights; rows of zero total weight are dropped; the rows
    come in the order of a hash of their content. The result depends only on
    the weighted data set, not on the order of its rows, nor on whether a
    row is repeated or weighted: so does everything the stochastic engine
    computes from it with a given seed, and integer weights give exactly the
    fit of repeated rows.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), int
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    rows : ndarray of shape (n_distinct,), int
        One row of ``X`` for each distinct row, in canonical order.
    weights : ndarray of shape (n_distinct,)
        Their merged weights, all positive.
    """
    hashes = _row_hashes(X, y)
    order = np.argsort(hashes, kind="stable")
    same = hashes[order[1:]] == hashes[order[:-1]]
    if same.any():  # equal hashes: merge only rows that are really equal
        pairs = np.flatnonzero(same)
        first, second = order[pairs], order[pairs + 1]
        same[pairs] = (y[first] == y[second]) & _rows_equal(X, first, second)
    starts = np.concatenate([[True], ~same])
    group = np.cumsum(starts) - 1
    weights = np.bincount(group, weights=sample_weight[order])
    keep = weights > 0
    return order[starts][keep], weights[keep]
