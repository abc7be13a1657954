"""The data term on dask arrays: a map-reduce of the NumPy one by row chunk.

Imported only when a dask collection reaches the estimator (``import
sk_softmax`` never imports dask). Pure maths: nothing here knows about
estimators or solvers.

The data term is a weighted mean over rows, so it splits over row chunks
``c`` with total weights ``S_c`` (``S = sum_c S_c``)::

    f(W, b) = sum_c S_c / S * f_c(W, b),    f_c = 1/S_c * sum_{i in c} s_i CE_i,

each ``f_c`` being :class:`~sk_softmax.datafits.numpy.SoftmaxDatafit` on
chunk ``c``. Its gradient, Hessian-vector products, Hessian, diagonal and
class blocks split the same way. :class:`DaskDatafit` builds one
``SoftmaxDatafit`` per chunk on the worker that holds the chunk, keeps it
there (``dask.persist``), and answers each call with one small task per
chunk whose result (a number and a vector of ``n_classes * n_dof`` values,
or a matrix for the Hessian) comes back to be summed: the rows never leave
the workers. Each chunk's datafit keeps the probabilities of its last
gradient, so the Hessian products that follow a gradient at the same point
cost one pass, not two, whenever the task runs where the chunk lives (the
rule for persisted data in ``dask.distributed``; elsewhere the cache is
merely missed).

Every result computed for this process passes through :func:`_fetch` (local
schedulers) or :func:`_gather` (a cluster).
"""

import dask
import dask.array as da
import numpy as np

from ._blocks import random_rows
from .base import Datafit
from .moments import column_moments, moments_to_mean_std
from .numpy import SoftmaxDatafit

# -- tasks run on the workers, one per row chunk -------------------------------------


class _Piece:
    """A chunk's :class:`SoftmaxDatafit` and total weight ``S_c``, kept on a worker.

    ``__sizeof__`` counts the chunk's arrays: dask's scheduler weighs moving
    a task to another worker against the bytes its inputs would travel, and
    an object's default size (a few dozen bytes) would let it move the whole
    chunk for every task.
    """

    def __init__(self, datafit, total):
        self.datafit = datafit
        self.total = total

    def __sizeof__(self):
        X = self.datafit.X
        parts = [X.data, X.indices, X.indptr] if hasattr(X, "indptr") else [X]
        parts += [self.datafit.y, self.datafit.sw]
        return (
            int(sum(np.asarray(part).nbytes for part in parts))
            + X.shape[0] * self.datafit.n_classes * 8
        )


def _chunk_datafit(X, y, weights, n_classes, fit_intercept):
    """The chunk's :class:`_Piece`, or ``None`` if it has no weight."""
    total = float(weights.sum())
    if not total > 0:
        return None
    return _Piece(SoftmaxDatafit(X, y, n_classes, weights, fit_intercept), total)


def _call(piece, method, coef, *args, **kwargs):
    """``S_c * f_c.method(coef, ...)`` (a tuple term by term), or ``None``."""
    if piece is None:
        return None
    datafit, total = piece.datafit, piece.total
    if method == "hessp":
        return total * datafit.hessp(coef)(*args)
    if method == "class_blocks":  # each chunk samples its share of the rows
        share = datafit.n_samples / kwargs.pop("n_samples")
        kwargs["max_rows"] = None if kwargs["max_rows"] is None else kwargs["max_rows"] * share
    out = getattr(datafit, method)(coef, *args, **kwargs)
    if isinstance(out, tuple):
        return tuple(total * part for part in out)
    return total * out


def _group_sums(piece, groups, coef, classes, n_groups, mean, scale):
    """``S_c`` times the chunk's group score sums (``SoftmaxDatafit.score_sums``), or ``None``."""
    if piece is None:
        return None
    sums = piece.datafit.score_sums(coef, classes, np.asarray(groups), n_groups, mean, scale)
    return piece.total * sums


# -- bringing small results to this process -------------------------------------------


def delayed_rows(array):
    """One delayed object per row chunk of a 1-D or 2-D (one column chunk) array."""
    blocks = array.to_delayed()
    return list(blocks.ravel()) if array.ndim == 1 else list(blocks[:, 0])


_LOCAL_SCHEDULERS = {
    "sync",
    "synchronous",
    "single-threaded",
    "threads",
    "threading",
    "processes",
    "multiprocessing",
}


def _fetch(tasks):
    """Compute delayed tasks and bring their (small) results to the client."""
    return list(dask.compute(*tasks))


def _gather(client, futures):
    """Bring the (small) results of futures to the client."""
    return client.gather(futures)


def _distributed_client():
    """The active ``dask.distributed`` client, or ``None`` (also when a local
    scheduler is chosen with ``dask.config.set(scheduler=...)``)."""
    if dask.config.get("scheduler", None) in _LOCAL_SCHEDULERS:
        return None
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        return None


def per_chunk(func, *arrays, **kwargs):
    """``func`` on the row chunks of ``arrays`` (aligned), computed; a list of results."""
    task = dask.delayed(func, pure=True)
    chunks = zip(*[delayed_rows(a) for a in arrays], strict=True)
    return _fetch([task(*parts, **kwargs) for parts in chunks])


def _sum(results):
    results = [r for r in results if r is not None]
    first = results[0]
    if isinstance(first, tuple):
        return tuple(sum(parts) for parts in zip(*results, strict=True))
    return sum(results[1:], first)


# -- the data term ---------------------------------------------------------------------

# Largest subsample (values of X) that DaskDatafit.subsample brings to the
# client: 2**24 float64 values are 128 MB.
_MAX_SAMPLE_VALUES = 1 << 24


class DaskDatafit(Datafit):
    """:class:`~sk_softmax.datafits.numpy.SoftmaxDatafit` for data in dask arrays.

    The whole protocol of :mod:`sk_softmax.datafits.base`; each call is one
    map-reduce over the row chunks (module docstring).

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        float64 or float32, with one chunk along the columns.
    y : dask array of shape (n_samples,), int
        Class codes in ``range(n_classes)``, chunked like ``X``'s rows.
    n_classes : int
    sample_weight : dask array of shape (n_samples,)
        Non-negative weights, chunked like ``X``'s rows, with a positive sum.
    fit_intercept : bool
    total_weight : float
        ``S``, the sum of ``sample_weight`` (computed once by the caller).
    """

    def __init__(self, X, y, n_classes, sample_weight, fit_intercept, total_weight):
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.n_dof = X.shape[1] + int(fit_intercept)
        self.shape = (n_classes, self.n_dof)
        self.total_weight = float(total_weight)
        self.n_samples = X.shape[0]
        self._row_chunks = X.chunks[0]
        self._arrays = (X, y, sample_weight)
        self._samples = {}
        make = dask.delayed(_chunk_datafit, pure=True)
        pieces = [
            make(x, c, w, n_classes, fit_intercept)
            for x, c, w in zip(
                delayed_rows(X), delayed_rows(y), delayed_rows(sample_weight), strict=True
            )
        ]
        self._client = _distributed_client()
        if self._client is None:  # a local scheduler: the pieces stay in this process
            self._pieces = dask.persist(*pieces)
            return
        # On a cluster, every later task runs on the worker that holds its
        # piece, and nowhere else: a scheduler that moved it (work stealing
        # judges by estimates) would ship the whole chunk and lose its cache.
        from distributed import wait

        self._pieces = self._client.compute(pieces)
        wait(self._pieces)
        holders = self._client.who_has(self._pieces)
        self._workers = [list(holders[piece.key]) for piece in self._pieces]

    @property
    def n_weighted(self):
        """Rows of positive weight."""
        return self._weighted_rows().size

    def _weighted_rows(self):
        """Numbers of the rows of positive weight (one pass over the weights, once)."""
        if not hasattr(self, "_weighted"):
            self._weighted = da.flatnonzero(self._arrays[2] > 0).compute()
        return self._weighted

    def subsample(self, n_rows, seed=0):
        """:meth:`SoftmaxDatafit.subsample`, brought into this process, or None.

        ``n_rows`` random rows of positive weight (a fixed seed) are computed
        once and kept in memory here as a plain :class:`SoftmaxDatafit`: the
        solvers' work on the subsample (its own solve, then the Hessian of
        every full step) then costs no round trip to the cluster. None when
        the sample would hold every such row or more than
        ``_MAX_SAMPLE_VALUES`` values of ``X``.
        """
        key = (n_rows, seed)
        if key not in self._samples:
            self._samples[key] = self._subsample(n_rows, seed)
        return self._samples[key]

    def _subsample(self, n_rows, seed):
        X, y, weights = self._arrays
        candidates = self._weighted_rows()
        if not n_rows < candidates.size or n_rows * X.shape[1] > _MAX_SAMPLE_VALUES:
            return None
        index = random_rows(candidates, n_rows, seed)
        X_s, y_s, w_s = dask.compute(X[index], y[index], weights[index])
        return SoftmaxDatafit(X_s, y_s, self.n_classes, w_s, self.fit_intercept)

    def columns(self, index):
        """The data term of the feature columns ``index`` alone (new pieces on the workers)."""
        X, y, weights = self._arrays
        return DaskDatafit(X[:, np.asarray(index)], y, self.n_classes, weights,
                           self.fit_intercept, self.total_weight)  # fmt: skip

    def _map_reduce(self, method, coef, *args, **kwargs):
        coef = np.asarray(coef, dtype=np.float64)
        return self._run(_call, [(method, coef, *args)] * len(self._pieces), kwargs)

    def _run(self, task, arguments, kwargs):
        """``task(piece, *arguments[c], **kwargs)`` on every chunk ``c``'s worker, summed, / S."""
        if self._client is None:
            call = dask.delayed(task, pure=True)
            results = _fetch(
                [call(p, *a, **kwargs) for p, a in zip(self._pieces, arguments, strict=True)]
            )
        else:
            futures = [
                self._client.submit(
                    task,
                    piece,
                    *args,
                    workers=workers,
                    allow_other_workers=False,
                    pure=False,
                    **kwargs,
                )
                for piece, args, workers in zip(self._pieces, arguments, self._workers, strict=True)
            ]
            results = _gather(self._client, futures)
        total = _sum(results)
        if isinstance(total, tuple):
            return tuple(part / self.total_weight for part in total)
        return total / self.total_weight

    def loss(self, coef):
        """The data term ``f(coef)``."""
        return float(self._map_reduce("loss", coef))

    def loss_gradient(self, coef):
        """``(f, grad)``; each chunk also keeps its probabilities for ``hessp``."""
        value, grad = self._map_reduce("loss_gradient", coef)
        return float(value), grad

    def hessp(self, coef):
        """The Hessian-vector product at ``coef``, as a function of a vector."""
        coef = np.array(coef, dtype=np.float64, copy=True)
        return lambda vector: self._map_reduce("hessp", coef, np.asarray(vector, np.float64))

    def hessian(self, coef, mean=None, scale=None):
        """The full Hessian at ``coef`` (see :meth:`SoftmaxDatafit.hessian`)."""
        return self._map_reduce("hessian", coef, mean=mean, scale=scale)

    def two_class_hessian(self, coef, mean=None, scale=None):
        """Two classes' Hessian block (see :meth:`SoftmaxDatafit.two_class_hessian`)."""
        return self._map_reduce("two_class_hessian", coef, mean=mean, scale=scale)

    def hessian_diagonal(self, coef, mean=None, scale=None):
        """The Hessian's diagonal (see :meth:`SoftmaxDatafit.hessian_diagonal`)."""
        return self._map_reduce("hessian_diagonal", coef, mean=mean, scale=scale)

    def class_hessian(self, coef, classes, mean=None, scale=None):
        """Some classes' rows and columns of the Hessian (:meth:`SoftmaxDatafit.class_hessian`)."""
        return self._map_reduce("class_hessian", coef, classes, mean=mean, scale=scale)

    def score_outer(self, coef, classes, class_factor=None, mean=None, scale=None):
        """The scores' outer products (see :meth:`SoftmaxDatafit.score_outer`)."""
        return self._map_reduce("score_outer", coef, classes, class_factor, mean=mean, scale=scale)

    def score_sums(self, coef, classes, groups, n_groups, mean=None, scale=None):
        """Each group's score sum (see :meth:`SoftmaxDatafit.score_sums`).

        ``groups``: a dask array of codes (rechunked here like ``X``'s rows);
        each chunk's task gets its own chunk of them, and returns its
        ``(n_groups, len(classes) * n_dof)`` sums.
        """
        coef = np.asarray(coef, dtype=np.float64)
        chunks = delayed_rows(groups.rechunk((self._row_chunks,)))
        if self._client is not None:  # futures, which a task on a worker receives computed
            chunks = self._client.compute(chunks)
        arguments = [(chunk, coef, classes, n_groups, mean, scale) for chunk in chunks]
        return self._run(_group_sums, arguments, {})

    def class_blocks(self, coef, mean=None, scale=None, max_rows=None):
        """The Hessian's class blocks (see :meth:`SoftmaxDatafit.class_blocks`).

        With ``max_rows``, every chunk estimates its own from its share of
        that many rows.
        """
        return self._map_reduce(
            "class_blocks", coef, mean=mean, scale=scale, max_rows=max_rows,
            n_samples=self.n_samples,
        )  # fmt: skip


def _chunk_moments(X, weights):
    """``(S_c, mean_c, std_c)`` of a chunk's columns, or ``None`` if it has no weight."""
    total = float(weights.sum())
    if not total > 0:
        return None
    mean, std = column_moments(X, weights, center=True)
    return total, mean, std


def column_moments_dask(X, sample_weight, center):
    """:func:`~sk_softmax.datafits.moments.column_moments` by map-reduce over row chunks.

    Each chunk gives its total weight, weighted mean and standard deviation;
    they combine as ``mean = sum_c S_c mean_c / S`` and ``var = sum_c S_c
    (std_c^2 + (mean_c - mean)^2) / S`` (root mean square ``sum_c S_c
    (std_c^2 + mean_c^2) / S`` without centring), every value first divided
    by the column's largest ``|mean_c| + std_c`` so that nothing overflows.
    """
    parts = [p for p in per_chunk(_chunk_moments, X, sample_weight) if p is not None]
    totals = np.array([p[0] for p in parts])
    means = np.array([p[1] for p in parts])
    stds = np.array([p[2] for p in parts])
    magnitude = (np.abs(means) + stds).max(axis=0)
    magnitude[~(magnitude > 0)] = 1.0
    share = (totals / totals.sum())[:, None]
    means, stds = means / magnitude, stds / magnitude
    first = (share * means).sum(axis=0)
    second = (share * (stds**2 + means**2)).sum(axis=0)
    return moments_to_mean_std(first, second, magnitude, center)
