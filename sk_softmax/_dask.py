"""The softmax objective on data that lives in dask arrays: map-reduce by row chunk.

Imported only when a dask collection reaches the estimator (``import
sk_softmax`` never imports dask). Pure maths, like ``_loss.py``: nothing here
knows about estimators or solvers.

The objective is a sum over rows, so it splits over row chunks ``c`` with
total weights ``S_c`` (``S = sum_c S_c``)::

    f(W, b) = sum_c S_c / S * f_c(W, b),
    f_c     = 1/S_c * sum_{i in c} s_i CE_i + alpha/2 ||W||^2,

each ``f_c`` being :class:`~sk_softmax._loss.SoftmaxLoss` on chunk ``c`` with
the same ``alpha`` (the weights ``S_c / S`` sum to one, so the penalties add
up to one penalty). Its gradient, Hessian-vector products, Hessian and
Hessian diagonal split the same way. :class:`DaskSoftmaxLoss` builds one
``SoftmaxLoss`` per chunk on the worker that holds the chunk, keeps it there
(``dask.persist``), and answers each call with one small task per chunk whose
result (a number and a vector of ``n_classes * n_dof`` values, or a matrix for
the Hessian) comes back to be summed: the rows never leave the workers. Each
chunk's ``SoftmaxLoss`` keeps the probabilities of its last gradient, so the
Hessian products that follow a gradient at the same point cost one pass, not
two, whenever the task runs where the chunk lives (the rule for persisted data
in ``dask.distributed``; elsewhere the cache is merely missed).
"""

import dask
import dask.array as da
import numpy as np

from ._chunks import random_rows
from ._loss import SoftmaxLoss, column_moments

# -- tasks run on the workers, one per row chunk -------------------------------------


class _Piece:
    """A chunk's :class:`SoftmaxLoss` and total weight ``S_c``, kept on a worker.

    ``__sizeof__`` counts the chunk's arrays: dask's scheduler weighs moving
    a task to another worker against the bytes its inputs would travel, and
    an object's default size (a few dozen bytes) would let it move the whole
    chunk for every task.
    """

    def __init__(self, loss, total):
        self.loss = loss
        self.total = total

    def __sizeof__(self):
        X = self.loss.X
        parts = [X.data, X.indices, X.indptr] if hasattr(X, "indptr") else [X]
        parts += [self.loss.y, self.loss.sw]
        return (
            int(sum(np.asarray(part).nbytes for part in parts))
            + X.shape[0] * self.loss.n_classes * 8
        )


def _chunk_loss(X, y, weights, n_classes, alpha, fit_intercept):
    """The chunk's :class:`_Piece`, or ``None`` if it has no weight."""
    total = float(weights.sum())
    if not total > 0:
        return None
    return _Piece(SoftmaxLoss(X, y, n_classes, weights, alpha, fit_intercept), total)


def _call(piece, method, coef, *args, **kwargs):
    """``S_c * f_c.method(coef, ...)`` (a tuple term by term), or ``None``."""
    if piece is None:
        return None
    loss, total = piece.loss, piece.total
    if method == "hessp":
        return total * loss.hessp(coef)(*args)
    out = getattr(loss, method)(coef, *args, **kwargs)
    if isinstance(out, tuple):
        return tuple(total * part for part in out)
    return total * out


def _chunk_moments(X, weights):
    """``(S_c, mean_c, std_c)`` of a chunk's columns, or ``None`` if no weight."""
    total = float(weights.sum())
    if not total > 0:
        return None
    mean, std = column_moments(X, weights, center=True)
    return total, mean, std


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


def _combine(weights, y, class_weight):
    return weights * class_weight[y]


# -- the client side ------------------------------------------------------------------

# Largest subsample (values of X) that DaskSoftmaxLoss.subsample brings to the
# client: 2**24 float64 values are 128 MB.
_MAX_SAMPLE_VALUES = 1 << 24


def _delayed_rows(array):
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


def _per_chunk(func, *arrays, **kwargs):
    """``func`` on the row chunks of ``arrays`` (aligned), computed; a list of results."""
    task = dask.delayed(func, pure=True)
    chunks = zip(*[_delayed_rows(a) for a in arrays], strict=True)
    return _fetch([task(*parts, **kwargs) for parts in chunks])


def _sum(results):
    results = [r for r in results if r is not None]
    first = results[0]
    if isinstance(first, tuple):
        return tuple(sum(parts) for parts in zip(*results, strict=True))
    return sum(results[1:], first)


class DaskSoftmaxLoss:
    """:class:`~sk_softmax._loss.SoftmaxLoss` for data in dask arrays.

    The same interface (``shape``, ``n_dof``, ``alpha``, ``fit_intercept``,
    ``loss``, ``loss_gradient``, ``hessp``, ``hessian``,
    ``hessian_diagonal``), so that
    :class:`~sk_softmax._loss.StandardizedLoss` and every solver run on it
    unchanged; each call is one map-reduce over the row chunks (module
    docstring).

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        float64 or float32, with one chunk along the columns.
    y : dask array of shape (n_samples,), int
        Class codes in ``range(n_classes)``, chunked like ``X``'s rows.
    n_classes : int
    sample_weight : dask array of shape (n_samples,)
        Non-negative weights, chunked like ``X``'s rows, with a positive sum.
    alpha : float
        L2 strength of the normalised objective, ``1 / (C * S)``.
    fit_intercept : bool
    total_weight : float
        ``S``, the sum of ``sample_weight`` (computed once by the caller).
    """

    def __init__(self, X, y, n_classes, sample_weight, alpha, fit_intercept, total_weight):
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.alpha = float(alpha)
        self.n_dof = X.shape[1] + int(fit_intercept)
        self.shape = (n_classes, self.n_dof)
        self.total_weight = float(total_weight)
        self.n_samples = X.shape[0]
        self._arrays = (X, y, sample_weight)
        self._samples = {}
        make = dask.delayed(_chunk_loss, pure=True)
        pieces = [
            make(x, c, w, n_classes, self.alpha, fit_intercept)
            for x, c, w in zip(
                _delayed_rows(X), _delayed_rows(y), _delayed_rows(sample_weight), strict=True
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
        """:meth:`SoftmaxLoss.subsample`, brought into this process, or None.

        ``n_rows`` random rows of positive weight (a fixed seed) are computed
        once and kept in memory here as a plain :class:`SoftmaxLoss`: the
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
        return SoftmaxLoss(X_s, y_s, self.n_classes, w_s, self.alpha, self.fit_intercept)

    def _map_reduce(self, method, coef, *args, **kwargs):
        coef = np.asarray(coef, dtype=np.float64)
        if self._client is None:
            call = dask.delayed(_call, pure=True)
            results = _fetch([call(p, method, coef, *args, **kwargs) for p in self._pieces])
        else:
            futures = [
                self._client.submit(
                    _call,
                    piece,
                    method,
                    coef,
                    *args,
                    workers=workers,
                    allow_other_workers=False,
                    pure=False,
                    **kwargs,
                )
                for piece, workers in zip(self._pieces, self._workers, strict=True)
            ]
            results = _gather(self._client, futures)
        total = _sum(results)
        if isinstance(total, tuple):
            return tuple(part / self.total_weight for part in total)
        return total / self.total_weight

    def loss(self, coef):
        """The objective ``f(coef)``."""
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
        """The full Hessian at ``coef`` (see :meth:`SoftmaxLoss.hessian`)."""
        return self._map_reduce("hessian", coef, mean=mean, scale=scale)

    def hessian_diagonal(self, coef, mean=None, scale=None):
        """The Hessian's diagonal (see :meth:`SoftmaxLoss.hessian_diagonal`)."""
        return self._map_reduce("hessian_diagonal", coef, mean=mean, scale=scale)


def column_moments_dask(X, sample_weight, center):
    """:func:`~sk_softmax._loss.column_moments` by map-reduce over row chunks.

    Each chunk gives its total weight, weighted mean and standard deviation;
    they combine as ``mean = sum_c S_c mean_c / S`` and ``var = sum_c S_c
    (std_c^2 + (mean_c - mean)^2) / S`` (root mean square ``sum_c S_c
    (std_c^2 + mean_c^2) / S`` without centring), every value first divided
    by the column's largest ``|mean_c| + std_c`` so that nothing overflows.
    """
    parts = [p for p in _per_chunk(_chunk_moments, X, sample_weight) if p is not None]
    totals = np.array([p[0] for p in parts])
    means = np.array([p[1] for p in parts])
    stds = np.array([p[2] for p in parts])
    magnitude = (np.abs(means) + stds).max(axis=0)
    magnitude[~(magnitude > 0)] = 1.0
    share = (totals / totals.sum())[:, None]
    means, stds = means / magnitude, stds / magnitude
    mean = (share * means).sum(axis=0)
    second = (share * (stds**2 + means**2)).sum(axis=0)
    if center:
        var = np.maximum((share * (stds**2 + (means - mean) ** 2)).sum(axis=0), 0.0)
        mean = mean * magnitude
    else:
        var = second
        mean = np.zeros(X.shape[1])
    spread = np.sqrt(var) > 1e-7 * np.sqrt(second)
    return mean, np.where(spread, np.sqrt(var) * magnitude, 0.0)


def summarise(X, sample_weight):
    """``(X finite, weights finite, min weight, max weight)`` over all chunks."""
    parts = _per_chunk(_chunk_summary, X, sample_weight)
    return (
        all(p[0] for p in parts),
        all(p[1] for p in parts),
        min(p[2] for p in parts),
        max(p[3] for p in parts),
    )


def encode_labels(y, classes):
    """Class codes of a dask array of labels, computed on the workers (-1: unknown)."""
    return y.map_blocks(_encode, classes=classes, dtype=np.intp)


def class_totals(y_codes, sample_weight, n_classes):
    """Weight per class, by map-reduce."""
    return np.sum(
        _per_chunk(_chunk_class_totals, y_codes, sample_weight, n_classes=n_classes), axis=0
    )


def combine_weights(sample_weight, y_codes, class_weight):
    """``sample_weight * class_weight[y]``, lazily, chunk by chunk."""
    return da.map_blocks(_combine, sample_weight, y_codes, class_weight=class_weight, dtype=float)
