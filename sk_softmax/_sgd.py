"""A minibatch stochastic engine for the softmax objective (Adam).

Pure optimisation on arrays, like ``_solvers.py``: nothing here knows about
labels, parameter validation or estimators. The loss and gradient of every
minibatch come from :class:`~sk_softmax._loss.SoftmaxLoss`, so the stochastic
engine minimises exactly the objective of the full-batch solvers.

The objective
-------------
The full-batch solvers minimise the normalised objective of ``_loss.py``::

    f(W, b) = F / (C * S) = 1/S * sum_i s_i CE_i + 1/(2 C S) * ||W||_F^2,

the weighted mean cross-entropy plus a penalty whose weight ``alpha = 1 / (C
* S)`` involves the total sample weight ``S``. A minibatch ``B`` gives the
estimate ``f_B = 1/S_B * sum_{i in B} s_i CE_i + alpha/2 ||W||^2``
(:class:`SoftmaxLoss` on the batch, with the same ``alpha``; unbiased for
rows of equal weight, a ratio estimate otherwise).

- In ``fit(solver="sgd")`` the data, hence ``S``, is known: ``alpha = 1 / (C
  * S)`` exactly, and the engine minimises ``f`` itself.
- In ``partial_fit`` the stream's total is unknown. Each step uses ``alpha =
  1 / (C * n_seen)``, with ``n_seen`` the total sample weight seen so far,
  this batch included. That is the objective ``F`` over all the samples seen
  so far, divided by ``C * n_seen``: after one pass over a data set it is
  exactly ``f``. A stream that shows the same rows again counts them again,
  as repeated rows (the estimator's own rule: integer weights equal repeated
  rows), so ``E`` passes over ``S`` rows minimise ``F`` with ``C`` replaced
  by ``E * C``: a weaker penalty the longer the stream, as the data seen
  grows. Early steps are penalised more strongly (``n_seen`` is small),
  which is harmless shrinkage from a zero start.

Coordinates
-----------
Adam scales each coordinate's step by the size of its recent gradients; in
the raw coordinates that makes the step in ``W_j`` about ``learning_rate``
whatever the scale of feature ``j``, while the right step scales with
``1 / std_j``. The engine therefore works, like the full-batch solvers, on the
coefficients of the standardised features ``(x - mean) / scale`` (the map of
:class:`~sk_softmax._loss.StandardizedLoss`): ``W'_k = W_k * scale`` and
``b'_k = b_k + W_k . mean``. ``X`` itself is never centred or scaled. The
map is fixed for the life of the state (from the whole training set in
``fit``, from the first minibatch in ``partial_fit``), so that Adam's moments
keep their meaning, and it changes nothing but the conditioning. Adding one
vector to every class row changes no prediction; after each step the rows
are re-centred (a projection onto the subspace that holds the optimum), so
Adam's per-coordinate steps cannot drift along those directions.

The data set
------------
Before its epochs, ``fit(solver="sgd")`` puts the weighted data set in a
canonical form (:func:`distinct_rows`): identical rows merged, their weights
summed, the rows in an order that depends on their content only. A seeded
fit is then a function of the weighted data set alone, so integer weights
and repeated rows, or two orders of the same rows, give the same bits.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._loss import SoftmaxLoss

_BETA1 = 0.9
_BETA2 = 0.999
_EPSILON = 1e-8


@dataclass
class SGDState:
    """Everything the engine carries from one minibatch to the next.

    Attributes
    ----------
    coef : ndarray of shape (n_classes, n_dof)
        The iterate, in standardised coordinates (intercept last).
    mean : ndarray of shape (n_features,)
        Column centres of the coordinate map (zeros without an intercept).
    scale : ndarray of shape (n_features,)
        Positive column scales of the coordinate map.
    fit_intercept : bool
    m, v : ndarray of shape (n_classes, n_dof)
        Adam's first and second moment estimates.
    t : int
        Number of steps taken.
    n_seen : float
        Total sample weight seen online (the online penalty's ``n_seen``,
        see the module docstring); kept by the caller.
    class_totals : ndarray of shape (n_classes,)
        Sample weight seen per class (used for online "balanced" weights).
    """

    coef: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    fit_intercept: bool
    m: np.ndarray
    v: np.ndarray
    t: int = 0
    n_seen: float = 0.0
    class_totals: np.ndarray | None = None

    def original_coef(self):
        """The iterate in the original coordinates, shape (n_classes, n_dof)."""
        return _to_original(self.coef, self.mean, self.scale, self.fit_intercept)

    def set_original(self, coef):
        """Move the iterate to ``coef`` (original coordinates, shape (n_classes, n_dof))."""
        self.coef = _to_standardized(coef, self.mean, self.scale, self.fit_intercept)
        self.coef -= self.coef.mean(axis=0)


def safe_scale(std, alpha=0.0):
    """Column scales of the coordinate map: ``sqrt(std^2 + alpha)``, 1 if zero.

    The same rule as :class:`~sk_softmax._loss.StandardizedLoss`: the
    curvature along ``W_kj`` is about ``std_j^2 p (1 - p)`` from the data plus
    ``alpha`` from the penalty.
    """
    scale = np.hypot(np.asarray(std, dtype=np.float64), np.sqrt(alpha))
    scale[~((scale > 0) & np.isfinite(scale))] = 1.0
    return scale


def _to_original(coef, mean, scale, fit_intercept):
    out = np.array(coef, dtype=np.float64, copy=True)
    n_features = scale.shape[0]
    out[:, :n_features] /= scale
    if fit_intercept:
        out[:, -1] -= out[:, :n_features] @ mean
    return out


def _to_standardized(coef, mean, scale, fit_intercept):
    out = np.array(coef, dtype=np.float64, copy=True)
    n_features = scale.shape[0]
    if fit_intercept:
        out[:, -1] += out[:, :n_features] @ mean
    out[:, :n_features] *= scale
    return out


def _pull_back(grad, mean, scale, fit_intercept):
    """A gradient in the original coordinates, mapped to the standardised ones."""
    out = np.array(grad, dtype=np.float64, copy=True)
    n_features = scale.shape[0]
    if fit_intercept:
        out[:, :n_features] -= out[:, -1:] * mean
    out[:, :n_features] /= scale
    return out


def init_state(coef, mean, scale, fit_intercept):
    """A fresh state starting at ``coef`` (original coordinates).

    Parameters
    ----------
    coef : ndarray of shape (n_classes, n_dof)
        Starting coefficients, intercept last when ``fit_intercept``.
    mean, scale : ndarray of shape (n_features,)
        The coordinate map (see the module docstring); ``scale > 0``.
    fit_intercept : bool

    Returns
    -------
    state : SGDState
    """
    mean = np.asarray(mean, dtype=np.float64)
    if not fit_intercept:
        mean = np.zeros_like(mean)
    coef_std = _to_standardized(coef, mean, scale, fit_intercept)
    coef_std -= coef_std.mean(axis=0)
    return SGDState(
        coef=coef_std,
        mean=mean,
        scale=np.asarray(scale, dtype=np.float64),
        fit_intercept=fit_intercept,
        m=np.zeros_like(coef_std),
        v=np.zeros_like(coef_std),
        class_totals=np.zeros(coef_std.shape[0]),
    )


def sgd_step(state, X, y, sample_weight, *, alpha, learning_rate, n_steps=1):
    """Adam steps on one minibatch; update ``state`` in place.

    Parameters
    ----------
    state : SGDState
    X : {ndarray, sparse matrix} of shape (batch_size, n_features)
    y : ndarray of shape (batch_size,), int
        Class codes in ``range(n_classes)``.
    sample_weight : ndarray of shape (batch_size,)
        Non-negative, with a positive sum.
    alpha : float
        The penalty weight of the minibatch objective: ``1 / (C * S)`` in a
        fit, ``1 / (C * n_seen)`` online (see the module docstring); 0 for
        no penalty.
    learning_rate : float
        Adam's step size in the standardised coordinates, before decay.
    n_steps : int, default=1
        Number of Adam steps taken on this batch.

    Returns
    -------
    value : float
        The minibatch objective ``f_B`` before the first step.
    """
    n_classes = state.coef.shape[0]
    loss = SoftmaxLoss(X, y, n_classes, sample_weight, alpha, state.fit_intercept)
    first_value = None
    for _ in range(n_steps):
        value, grad = loss.loss_gradient(state.original_coef().ravel())
        if first_value is None:
            first_value = value
        grad = _pull_back(
            grad.reshape(state.coef.shape), state.mean, state.scale, state.fit_intercept
        )
        _adam_update(state, grad, learning_rate)
    return first_value


def step_size(learning_rate, t):
    """The step at step ``t`` (1-based): ``learning_rate / sqrt(1 + t / 100)``.

    Nearly constant over the first tens of steps, where Adam makes most of
    its progress from a zero start, then shrinking like ``1 / sqrt(t)``: a
    stochastic method's steps must shrink for its gradient noise to average
    out, and with a constant step Adam hovers around the optimum at a
    distance set by the step (measured with ``benchmarks/bench_scale.py``'s
    stream: 1.1% above the optimal held-out log-loss after 5 epochs with this
    decay, 3% with a ten times slower one).
    """
    return learning_rate / np.sqrt(1.0 + t / 100.0)


def _adam_update(state, grad, learning_rate):
    state.t += 1
    state.m *= _BETA1
    state.m += (1 - _BETA1) * grad
    state.v *= _BETA2
    state.v += (1 - _BETA2) * grad * grad
    m_hat = state.m / (1 - _BETA1**state.t)
    v_hat = state.v / (1 - _BETA2**state.t)
    state.coef -= step_size(learning_rate, state.t) * m_hat / (np.sqrt(v_hat) + _EPSILON)
    # Re-centre the class rows: the model is unchanged, the drift removed.
    state.coef -= state.coef.mean(axis=0)


def batches(n_samples, batch_size, rng):
    """Shuffled row indices cut into minibatches of ``batch_size`` (the last shorter)."""
    order = rng.permutation(n_samples)
    return [order[start : start + batch_size] for start in range(0, n_samples, batch_size)]


# -- the weighted data set, in a canonical form ---------------------------------------
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
