"""Row blocks of X, processed by a few threads, summed: the loss's map-reduce.

Every pass the objective makes over the data (loss and gradient, Hessian
products, the Hessian) is a sum over samples. ``RowChunks`` cuts the rows into
blocks small enough that a block's temporaries (its raw predictions, its
probabilities, a float64 cast of a float32 block) stay in the processor's
cache, and hands the blocks to ``n_threads`` threads, each summing its own
blocks; the per-thread sums are then added in a fixed order, so the result
does not depend on scheduling. CSR blocks are views of ``X``; passes that
only multiply them take blocks as long as their partial sums allow, one per
thread on wide data (see :meth:`RowChunks.slices`).

Why threads of our own: numpy's element-wise operations (exp, the row
maxima and sums) run on one core while BLAS runs the products on all of them;
with the blocks split between threads, each calling a single-threaded BLAS,
the whole pass is parallel, not just its products. The estimator sets BLAS
to one thread for the duration of a fit (``_threads.py``) and gives the loss
as many threads as BLAS had.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from threading import Lock

import numpy as np
from scipy import sparse

from ._sparse_blocks import csr_rows, has_duplicates

# Target number of float64 values materialised per block: 2**19 values are
# 4 MB, about what a core's share of cache holds.
_BLOCK_VALUES = 1 << 19
_MIN_ROWS, _MAX_ROWS = 64, 16384
# Dense data of more values than this (16 MB of float64) are read through block copies.
_COPY_VALUES = 1 << 21

_pool = None
_pool_lock = Lock()


def _forget_pool():
    """In a forked child the parent's pool has no threads: its work would wait forever.

    This makes a fork between fits safe. A fork while another thread is
    fitting can still deadlock inside OpenBLAS's own fork handler (seen in a
    review with fits in a second thread); there, start processes with
    "spawn" or "forkserver", as loky and dask do.
    """
    global _pool, _pool_lock
    _pool, _pool_lock = None, Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _executor():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=os.cpu_count() or 1, thread_name_prefix="sk_softmax"
            )
        return _pool


def _accumulate(results):
    """Elementwise sum of an iterable of tuples of floats and arrays."""
    total = None
    for result in results:
        if total is None:
            total = [np.array(part, dtype=np.float64, copy=True) for part in result]
        else:
            for acc, part in zip(total, result, strict=True):
                acc += part
    return tuple(total)


# Tall data: the rows of a sample that stands for them, per coefficient, and the least ratio
# of the rows of positive weight to the sample's (subsampled Newton, solvers/_subsample.py;
# the standardisation's moments, backends/numpy.py).
SAMPLE_ROWS_PER_COEF = 50
MIN_SAMPLE_RATIO = 8


def tall_sample_rows(n_samples, n_weighted, n_coef):
    """The rows of a sample standing for tall data, ``50 n_coef``; None unless they are tall.

    Tall: at least ``MIN_SAMPLE_RATIO`` times that many rows, and as many of
    positive weight (``n_weighted``).
    """
    n_rows = SAMPLE_ROWS_PER_COEF * n_coef
    least = MIN_SAMPLE_RATIO * n_rows
    return n_rows if n_samples >= least and n_weighted >= least else None


def random_rows(candidates, n_rows, seed=0):
    """``n_rows`` of the row numbers ``candidates``, without replacement, in order.

    A fixed seed: the same rows every time for the same candidates.
    """
    drawn = np.random.default_rng(seed).choice(candidates.size, n_rows, replace=False)
    return np.sort(candidates[drawn])


def _quiet(func):
    """``func`` with numpy's floating-point warnings off, in whatever thread calls it."""

    def quiet(rows, block):
        with np.errstate(all="ignore"):
            return func(rows, block)

    return quiet


def _copies_blocks(chunks):
    """Whether ``chunks`` reads its dense rows through copies of its blocks (see ``block``).

    Dense data of more than ``_COPY_VALUES`` values, beyond the cache; never
    X whole (at most ``_MIN_ROWS`` rows are one block).
    """
    values = chunks.n_samples * chunks._row_values
    return not chunks._sparse and values > _COPY_VALUES and chunks.n_samples > _MIN_ROWS


class RowChunks:
    """Blocks of rows of ``X`` and a threaded sum over them.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Never modified. Dense blocks are cast to float64 one at a time
        (copied, when ``X`` holds more than ``_COPY_VALUES`` values: see
        :meth:`block`); CSC data are used whole (slicing rows of CSC costs a
        pass over all of it), CSR data by row blocks.
    n_threads : int, default=1
    """

    def __init__(self, X, n_threads=1):
        self.X = X
        self.n_samples = X.shape[0]
        self._sparse = sparse.issparse(X)
        self._whole = self._sparse and X.format != "csr"
        self.n_threads = 1 if self._whole else max(1, int(n_threads))
        if self._sparse:  # values per row of a block the caller copies
            self._row_values = max(1.0, X.nnz / max(1, self.n_samples))
        else:
            self._row_values = max(1, X.shape[1])
        self._copy = _copies_blocks(self)
        # slices() by its arguments: computed once (on data that fit in a
        # millisecond, every pass asks for them)
        self._slices = {}
        self._duplicates = None

    @property
    def duplicates(self):
        """Whether sparse ``X`` stores an entry twice (found once, by
        :func:`~._sparse_blocks.has_duplicates`)."""
        if self._duplicates is None:
            self._duplicates = self._sparse and has_duplicates(self.X)
        return self._duplicates

    @property
    def values_per_row(self):
        """The values a copy of a row of ``X`` holds: its stored values (sparse, on average) or
        its columns."""
        return self._row_values

    def slices(self, width=0, products_only=False, sums=0):
        """Row slices such that a block holds about ``_BLOCK_VALUES`` values.

        ``width`` is the number of float64 values the caller materialises
        per row besides the row of ``X`` itself.

        ``products_only``: the caller multiplies sparse blocks (views of CSR
        ``X``, or copies of their values:
        :func:`~._sparse_blocks.scaled_values`) and sums
        products ``X_b^T R_b``, ``sums`` values for each column of ``X``
        (``K`` for a gradient). On wide data (text, 1e5 columns) every
        extra block adds a dense partial sum as large as the coefficients,
        so such passes get one block per thread, while the caller's
        temporaries (``width`` values a row, as the caller counts them)
        stay within ``2 * _BLOCK_VALUES`` values or, if more, ``2 *
        n_features * sums``: the running total and a block's part that a
        pass of several blocks holds anyway. On the sparse-text data
        of ``benchmarks/bench_fit.py`` (1e5 x 1e5, 10 classes, one thread)
        a fit to its fifth iteration took 2.21 s in one block instead of
        2.40 in two (the Hessian-vector products, ``width = 2 K``, ``sums
        = K``) and seven (the diagonal). Passes that densify a block keep
        blocks of the usual size.
        """
        key = (width, products_only, sums)
        slices = self._slices.get(key)
        if slices is None:
            slices = self._slices[key] = self._cut(width, products_only, sums)
        return slices

    def _cut(self, width, products_only, sums):
        if self._whole:
            return [slice(0, self.n_samples)]
        if products_only and self._sparse:
            per_thread = -(-self.n_samples // self.n_threads)
            temporaries = max(2 * _BLOCK_VALUES, 2 * self.X.shape[1] * sums)
            rows = min(per_thread, temporaries // max(width, 1))
        else:
            rows = int(_BLOCK_VALUES // (self._row_values + width))
            rows = min(rows, _MAX_ROWS)
        rows = max(rows, _MIN_ROWS)
        return [slice(s, min(s + rows, self.n_samples)) for s in range(0, self.n_samples, rows)]

    def block(self, rows, native=False):
        """Rows of ``X`` as float64 (dense), or a view of them (sparse).

        Dense data of more than ``_COPY_VALUES`` values (16 MB of float64,
        beyond the cache) are read through a C-ordered float64 copy of each
        block (a cast, for float32): the copy reads ``X`` in order, and the
        block's two products then find it in cache. Smaller data are used as
        they are (float32 blocks cast). Measured on one core, a
        loss-and-gradient pass over 1e6 x 100 x 10 float64 took 0.25 s
        instead of 0.32 with the products reading ``X`` itself; a pass plus
        a Hessian product 0.73 to 0.87 times as long on 200000 x 20 x 5,
        50000 x 50 x 20 and 50000 x 200 x 10, 0.99 to 1.02 on wide data
        (2000 to 20000 rows of 1000 to 2000 columns). On data within the
        cache the copy only costs: 1.05 to 1.23 times as long on 30000 x 5
        x 3, 3000 x 500 x 5, 500 x 2000 x 10, 60 x 10000 x 3 and 5500 x 40 x 11.

        With ``native``, dense rows are float32, C-ordered: a view of
        C-ordered float32 ``X``, else a copy (float64 rows cast, quietly: a
        value beyond float32's range becomes infinite, and the pass's sums
        then tell the solver). These are the passes of a float32 data term
        (``SoftmaxDatafit.in_float32``), whose products read each block
        twice at half float64's bytes.
        """
        if self._whole:  # CSC: one block, X itself
            return self.X
        if self._sparse:
            return csr_rows(self.X, rows)
        return self._dense(self.X[rows], native)

    def _dense(self, rows_of_x, native=False):
        if native:
            with np.errstate(over="ignore"):
                return np.ascontiguousarray(rows_of_x, dtype=np.float32)
        if self._copy:
            return np.array(rows_of_x, dtype=np.float64, order="C")
        return np.asarray(rows_of_x, dtype=np.float64)

    def map_reduce(self, func, width=0, max_rows=None, products_only=False, native=False, sums=0):
        """``sum(func(rows, block) for every block)``, tuples summed elementwise.

        ``func`` returns a tuple of floats and arrays, freshly allocated (it
        may be called from several threads at once, on different rows).
        With ``max_rows``, only evenly spaced blocks holding about that many
        rows take part: a systematic sample, for sums that need not be exact.
        ``width``, ``products_only`` and ``sums``: see :meth:`slices`; ``native``: see
        :meth:`block`. Native passes keep quiet where float32 overflows
        (their sums are then not finite, and the solver takes float64 ones).
        """
        slices = self.slices(width, products_only, sums)
        if native:
            func = _quiet(func)
        if max_rows is not None and self.n_samples > max_rows:
            rows_per_block = slices[0].stop - slices[0].start
            keep = max(1, -(-max_rows // rows_per_block))
            slices = [slices[round(i)] for i in np.linspace(0, len(slices) - 1, keep)]
        if len(slices) == 1:  # small data: no thread, no copy
            (rows,) = slices
            return tuple(
                np.asarray(part, dtype=np.float64) for part in func(rows, self.block(rows, native))
            )
        n_threads = min(self.n_threads, len(slices))

        def run(part):
            return _accumulate(func(rows, self.block(rows, native)) for rows in part)

        if n_threads == 1:
            return run(slices)
        parts = [slices[i::n_threads] for i in range(n_threads)]
        return _accumulate(_executor().map(run, parts))

    @property
    def can_sample(self):
        """Whether :meth:`sample` can return samples (not for CSC data)."""
        return not self._whole

    def sample(self, n_rows, candidates, seed=0):
        """The same interface over ``n_rows`` of the rows ``candidates``, or None.

        The rows are drawn by :func:`random_rows`. Dense rows are gathered
        once into a copy, in ``X``'s dtype, when they are at most an eighth
        of ``X`` (the samples of tall data always are); otherwise, and for
        CSR data, a block of them is gathered when a pass reaches it. None when the sample
        would hold every candidate, or for CSC data (whose rows are not
        sliced).
        """
        if not self.can_sample or n_rows >= candidates.size:
            return None
        sampled = _SampledRows(self.X, random_rows(candidates, n_rows, seed), self.n_threads)
        sampled._duplicates = self._duplicates  # the same X: known, or found when needed
        return sampled

    def map_rows(self, func, out, width=0):
        """``out[rows] = func(rows, block)`` for every block (one thread)."""
        for rows in self.slices(width):
            out[rows] = func(rows, self.block(rows))
        return out


class _SampledRows(RowChunks):
    """:class:`RowChunks` over the rows ``index`` of ``X``, numbered 0, 1, ...

    ``drawn``: the same rows in the numbering of the chunks they were drawn
    from (``index`` itself when drawn from all of ``X``), where the caller's
    labels and weights are.
    """

    def __init__(self, X, index, n_threads=1, drawn=None):
        self.index = index
        self.drawn = index if drawn is None else drawn
        super().__init__(X, n_threads)
        self.n_samples = index.size
        # Dense rows are gathered once, in X's dtype, when they are at most an eighth of X
        # (always, for the samples of tall data: solvers/_subsample.py): the solvers pass
        # over a sample a few dozen times, and gathering random rows anew each time took
        # 0.19 s of a 3 s fit of 1e6 x 100 x 10 (the copy: 0.05 X there, 0.125 X at most).
        small = 8 * index.size <= X.shape[0]
        self._gathered = X[index] if small and not self._sparse else None
        self._copy = _copies_blocks(self)

    def sample(self, n_rows, candidates, seed=0):
        """A sample of this sample: ``n_rows`` of ``candidates`` (numbered 0, 1, ...), or None.

        A uniform random subset of a uniform random sample of ``X``'s rows is
        a uniform random sample of ``X``'s rows: its rows are numbered in
        ``X`` again (``index``), and in this sample (``drawn``).
        """
        if n_rows >= candidates.size:
            return None
        drawn = random_rows(candidates, n_rows, seed)
        sampled = _SampledRows(self.X, self.index[drawn], self.n_threads, drawn)
        sampled._duplicates = self._duplicates
        return sampled

    def block(self, rows, native=False):
        if self._gathered is not None:
            return self._dense(self._gathered[rows], native)
        block = self.X[self.index[rows]]
        if sparse.issparse(block):
            return block
        return self._dense(block, native)
