"""Weighted column centres and spreads of the data, safe for any magnitude.

The standardised coordinates of every solver (:mod:`.standardized`) and the
stochastic engine's map come from these. The Array API and Dask backends
compute the two weighted moments their own way and finish with
:func:`moments_to_mean_std`.
"""

import numpy as np
from scipy import sparse

from ._blocks import RowChunks
from ._sparse_blocks import scaled_values, transposed


def column_moments(X, sample_weight, center):
    """Weighted column centres and scales, safe for any magnitude.

    Returns ``(mean, std)``: the weighted mean (zeros if not ``center``)
    and the weighted standard deviation (root mean square if not
    ``center``) of each column; zero for columns without spread. One pass
    sums the values and their squares in float64; where a square overflowed,
    a column's mean square fell below ``_TINY`` (its squares near or below
    the smallest normal float64) or above ``_HUGE``, or a column with
    entries summed to exactly zero (:func:`_representable`), a second pass finds each column's
    largest magnitude and a third divides by it before squaring, so that
    features of 1e-300 or 1e300 neither underflow nor overflow. float32
    values never need it (3.4e38 squared is 1.2e77, 1.4e-45 squared 2e-90).
    On 1e6 x 100 (one core): float64 0.195 -> 0.108 s against always
    scaling (2.9 s fits), float32 0.173 -> 0.065 s (2.1 s fits). Columns
    whose spread the sums cancel (below about 1e-8 of their size) are
    measured again by a centred pass (:func:`_recentred`).
    """
    n_features = X.shape[1]
    sw = sample_weight / sample_weight.sum()
    chunks = RowChunks(X)
    first, second = _sum_pass(chunks, _sums(sw, None, duplicates=chunks.duplicates), n_features)
    if _representable(X, first, second):
        unit = np.ones(n_features)
        mean, std = moments_to_mean_std(first, second, unit, center)
        return mean, _recentred(chunks, sw, mean, std, second > 0, unit, center)
    # rows of zero weight count for nothing, nor set a column's magnitude (a 1e200
    # there would leave the others' spread below float64's resolution)
    weighted = None if np.all(sw > 0) else sw > 0
    magnitude = np.zeros(n_features)
    for rows in chunks.slices():
        block = X[rows] if weighted is None else X[rows][weighted[rows]]
        if block.shape[0] == 0:
            continue
        block_max = abs(block).max(axis=0)
        block_max = block_max.toarray().ravel() if sparse.issparse(block_max) else block_max
        np.maximum(magnitude, block_max, out=magnitude)
    magnitude[~(magnitude > 0)] = 1.0
    first, second = _sum_pass(chunks, _sums(sw, magnitude, weighted, chunks.duplicates), n_features)
    mean, std = moments_to_mean_std(first, second, magnitude, center)
    return mean, _recentred(chunks, sw, mean, std, second > 0, magnitude, center)


def _recentred(chunks, sw, mean, std, filled, magnitude, center):
    """``std`` with the spread of columns it calls constant measured again, centred.

    ``second - first**2`` cancels to nothing when a column's spread is below
    about 1e-8 of its size (a Unix time spanning minutes: 1.7e9 +- 30), and
    :func:`moments_to_mean_std` then calls it constant. For those columns
    with entries (rare), one more pass sums ``w (x - mean)^2`` and finds
    whether every weighted entry equals the first: the spread is exact to
    rounding of the centred values, and 0 only for a column that is
    constant. ``filled``: the columns with entries; the centred values are
    divided by ``magnitude`` before squaring, as the sums were. Without
    ``center`` the spread is the root mean square: nothing cancels.
    """
    columns = np.flatnonzero((std == 0) & filled) if center else []
    if len(columns) == 0:
        return std
    weighted = sw > 0

    def work(rows, block):
        values = block[:, columns]
        values = values.toarray() if sparse.issparse(values) else np.asarray(values, np.float64)
        values, w = values[weighted[rows]], sw[rows][weighted[rows]]
        if values.shape[0] == 0:  # no weighted row: no entry, neither largest nor smallest
            nothing = np.full(len(columns), -np.inf)
            return np.zeros(len(columns)), nothing, nothing.copy()
        centred = (values - mean[columns]) / magnitude[columns]
        return w @ (centred * centred), values.max(axis=0), -values.min(axis=0)

    # per block: the centred sums, and each column's largest and (negated) smallest entry
    parts = [work(rows, chunks.block(rows)) for rows in chunks.slices(len(columns))]
    variance = np.sum([p[0] for p in parts], axis=0)
    varies = np.max([p[1] for p in parts], axis=0) > -np.max([p[2] for p in parts], axis=0)
    std = std.copy()
    std[columns] = np.where(varies, np.sqrt(variance) * magnitude[columns], 0.0)
    return std


# A mean square below _TINY may have lost digits to squares below the smallest
# normal float64 (2.2e-308); one above _HUGE leaves first**2 near overflow. The
# sums are then taken again, scaled.
_TINY, _HUGE = 1e-250, 1e300


def _representable(X, first, second):
    """Whether the unscaled sums hold every column's moments to float64 rounding.

    Not if a square overflowed (or a zero weight met it: NaN), a mean square
    is tiny or huge, or a column summed to exactly zero although it has
    entries (each ``w x`` can underflow to zero: entries of 1e-321, say).
    """
    low, high = second.min(initial=np.inf), second.max(initial=0.0)
    if _TINY <= low and high <= _HUGE:  # the common case, in two reductions: no column
        return True  # tiny, huge, overflowed (NaN fails both) or summed to zero
    if not (np.isfinite(second).all() and np.all(second <= _HUGE)):
        return False
    if np.any((second < _TINY) & ((second != 0) | (first != 0))):
        return False
    empty = np.flatnonzero((first == 0) & (second == 0))
    if empty.size == 0:
        return True
    if sparse.issparse(X):  # those columns' non-zero entries (explicit zeros aside)
        return X[:, empty].count_nonzero() == 0
    return not np.any(X[:, empty] != 0)


def _sum_pass(chunks, work, n_features):
    """``chunks.map_reduce(work)`` for :func:`_sums`: ``(first, second)``.

    Sparse blocks are only multiplied (by the weights), their values copied
    (:func:`~._sparse_blocks.scaled_values`): they are cut as for a gradient
    (``products_only``, two sums a column), each block's copied values
    counted, not as for a pass that densifies them, whose blocks hold a few
    dozen rows when the columns are many. On the sparse-text data of
    ``benchmarks/bench_fit.py`` (1e5 x 1e5, 50 values a row, one thread)
    1563 blocks took 0.85 s of a 3.5 s fit to its fifth iteration; 5 blocks
    take 0.02 s.
    """
    if sparse.issparse(chunks.X):
        width = int(np.ceil(chunks.values_per_row))
        return chunks.map_reduce(work, width=width, products_only=True, sums=2)
    return chunks.map_reduce(work, width=n_features)


def _sums(sw, magnitude, weighted=None, duplicates=False):
    """``(rows, block) -> (sum w x / m, sum w (x / m)^2)`` per column (``m`` 1 if None).

    ``weighted``: a mask of the rows of positive weight, the only ones taken
    (None: all rows). ``duplicates``: whether sparse blocks may store an
    entry twice (:attr:`~._blocks.RowChunks.duplicates`).
    """

    def work(rows, block):
        # unscaled, a square may overflow or underflow, and a zero weight times an
        # overflowed square is NaN: the caller looks (errstate is per thread)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return _block_sums(rows, block)

    def _block_sums(rows, block):
        w = sw[rows]
        if weighted is not None:
            block, w = block[weighted[rows]], w[weighted[rows]]
        if sparse.issparse(block):
            # the stored values, divided (a copy, entries stored twice summed):
            # 1 / magnitude overflows for subnormal columns
            scaled = scaled_values(block, magnitude, duplicates)
            first = np.asarray(transposed(scaled) @ w).ravel()
            np.square(scaled.data, out=scaled.data)
            return first, np.asarray(transposed(scaled) @ w).ravel()
        scaled = np.asarray(block, dtype=np.float64) if magnitude is None else block / magnitude
        first = w @ scaled
        if scaled is block:  # perhaps the caller's float64 array: square a copy
            return first, w @ (scaled * scaled)
        return first, w @ np.multiply(scaled, scaled, out=scaled)

    return work


def moments_to_mean_std(first, second, magnitude, center):
    """``(mean, std)`` from weighted moments of the columns divided by ``magnitude``.

    ``first`` and ``second`` are ``sum_i w_i x_ij / m_j`` and ``sum_i w_i
    (x_ij / m_j)^2`` with weights summing to one; without ``center`` the mean
    is zero and the spread is the root mean square.
    """
    if center:
        var = np.maximum(second - first**2, 0.0)
        mean = first * magnitude
    else:
        var = second
        mean = np.zeros_like(first)
    # var = second - first**2 loses about half the digits to cancellation on
    # near-constant columns: treat a spread below 1e-7 of the size as none.
    spread = np.sqrt(var) > 1e-7 * np.sqrt(second)
    std = np.where(spread, np.sqrt(var) * magnitude, 0.0)
    return mean, std
