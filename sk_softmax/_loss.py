"""The softmax cross-entropy objective as a function of the coefficients.

Pure maths on arrays: nothing here knows about labels, estimators or solvers.

Notation
--------
``X`` has shape (n_samples, n_features); the parameters of class ``k`` form
row ``k`` of ``coef``, of shape (n_classes, n_dof) with ``n_dof = n_features
+ fit_intercept`` and the intercept in the last column. Solvers see that
matrix raveled in C order, a vector of length ``n_classes * n_dof``.

The raw prediction (the notes' ``o = Wx + b``) of sample ``i`` is
``o_i = W x_i + b``, and with normalised sample weights ``s_i`` summing to
``S`` the objective minimised by every solver is::

    f(W, b) = 1/S * sum_i s_i * CE_i  +  alpha/2 * ||W||_F^2,
    CE_i    = logsumexp(o_i) - o_{i, y_i},     alpha = 1 / (C * S).

It is the estimator's documented objective ``F = C * sum_i s_i CE_i +
1/2 ||W||^2`` divided by ``C * S``: the same minimiser, values of order one
whatever the number of samples, so that one gradient tolerance fits all.

Every pass over ``X`` goes through row blocks (``_chunks.RowChunks``). Float32
``X`` is never copied to float64 as a whole: each block is cast on its own, so
the objective and its derivatives carry float64 accuracy while the extra
memory stays O(block_rows * n_features). The one O(n_samples * n_classes)
array is the probability matrix kept for Hessian products. Dense data that
fit in one block are the exception: :class:`CompactStandardizedLoss` keeps
one standardised float64 copy of them (at most a block's size).
"""

import copy

import numpy as np
from scipy import sparse
from scipy.special import expit

from ._chunks import _BLOCK_VALUES, RowChunks, transposed


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


def log_softmax_inplace(raw):
    """Turn ``raw`` into log-probabilities in place; return ``(raw, lse)``.

    The max-shifted form of ``raw - scipy.special.logsumexp(raw, axis=1)``:
    ``lse = m + log(sum(exp(raw - m)))`` with ``m`` the row maximum, so no
    exponential ever exceeds one and nothing overflows, for logits of any size.
    """
    row_max = raw.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):  # spreads over 1.8e308 give -inf: p = 0
        raw -= row_max
    lse = np.log(np.exp(raw).sum(axis=1, keepdims=True))
    raw -= lse
    return raw, lse + row_max


def _softmax_block(raw, y):
    """Probabilities in place of the class-major ``raw``; returns ``(raw, ce)``.

    ``raw`` has shape (n_classes, m): sample ``i`` is column ``i``. The same
    max-shifted log-sum-exp as :func:`log_softmax_inplace`, fused so that a
    block is read few times: ``ce = log(sum(exp(o - m))) - (o_y - m)``.
    Class-major because the maxima and sums over classes then run along the
    outer axis, vectorised over the samples: along rows of 2 to 10 values
    numpy takes 10 to 20 times longer, more than the matrix product.
    """
    samples = np.arange(raw.shape[1])
    row_max = raw.max(axis=0)
    with np.errstate(over="ignore"):
        raw -= row_max
    shifted_true = raw[y, samples]
    np.exp(raw, out=raw)
    total = raw.sum(axis=0)
    raw /= total
    return raw, np.log(total) - shifted_true


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


def _class_diagonal_blocks(matrix, n_classes):
    """A writable view of the ``n_classes`` diagonal blocks of a square matrix."""
    size = matrix.shape[0] // n_classes
    row, col = matrix.strides
    return np.lib.stride_tricks.as_strided(
        matrix, shape=(n_classes, size, size), strides=(size * (row + col), row, col)
    )


class SoftmaxLoss:
    """Objective, gradient and Hessian of L2-penalised softmax cross-entropy.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        float64 or float32; never modified, never copied whole.
    y : ndarray of shape (n_samples,), int
        Class codes in ``range(n_classes)``.
    n_classes : int
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights ``s_i``, class weights already folded in.
    alpha : float or ndarray of shape (n_features,)
        L2 strength of the normalised objective, ``1 / (C * S)``; 0 for no
        penalty. An array gives each column its own strength (the penalty
        ``1/2 sum_kj alpha_j W_kj^2``, see :class:`CompactStandardizedLoss`).
        The intercept is never penalised.
    fit_intercept : bool
    n_threads : int, default=1
        Threads summing over row blocks (see ``_chunks.py``).

    Every pass over the data goes block by block through
    :class:`~sk_softmax._chunks.RowChunks`; the only O(n_samples) state is the
    probability matrix of the last gradient (n_classes x n_samples,
    class-major as everything per sample here: see :func:`_softmax_block`),
    kept for Hessian products at the same point.
    """

    def __init__(self, X, y, n_classes, sample_weight, alpha, fit_intercept, n_threads=1):
        self.X = X
        self.y = np.asarray(y, dtype=np.intp)
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.alpha = float(alpha) if np.ndim(alpha) == 0 else np.asarray(alpha, dtype=np.float64)
        self._penalised = bool(np.any(self.alpha))
        self.sw = sample_weight / sample_weight.sum()  # sums to one
        self.n_dof = X.shape[1] + int(fit_intercept)
        self.shape = (n_classes, self.n_dof)
        self.chunks = RowChunks(X, n_threads)
        self.n_samples = X.shape[0]
        self.n_weighted = int(np.count_nonzero(self.sw > 0))  # rows that count
        self._cache_coef = None
        self._proba = None
        self._whole_augmented = self._whole_outer = self._whole_curvature = None
        self._outer_fits = self._outer_products_fit(self.n_samples)

    def subsample(self, n_rows, seed=0):
        """The objective of ``n_rows`` random rows of the data, or None.

        The rows are drawn among those of positive weight (rows without
        weight add nothing to ``f``); the same function form, penalty
        ``alpha`` included, with the sampled rows' weights renormalised to
        sum to one: an estimate of ``f`` whose derivatives cost ``n_rows /
        n_samples`` of the full ones. None when there is nothing to gain (the
        sample would be all such rows, or CSC data). The data are shared, not
        copied.
        """
        chunks = self.chunks.sample(n_rows, np.flatnonzero(self.sw > 0), seed)
        if chunks is None:
            return None
        sw = self.sw[chunks.index]
        sample = copy.copy(self)
        sample.chunks = chunks
        sample.n_samples = sample.n_weighted = chunks.n_samples
        sample.y = self.y[chunks.index]
        sample.sw = sw / sw.sum()
        sample._cache_coef = sample._proba = None
        sample._whole_augmented = sample._whole_outer = None
        sample._outer_fits = self._outer_products_fit(sample.n_samples)
        return sample

    # -- pieces -------------------------------------------------------------
    def _split(self, coef):
        coef = coef.reshape(self.shape)
        if self.fit_intercept:
            return coef[:, :-1], coef[:, -1]
        return coef, None

    def _join(self, grad_weights, grad_intercept):
        if self.fit_intercept:
            return np.hstack([grad_weights, grad_intercept[:, None]]).ravel()
        return grad_weights.ravel()

    def _penalty(self, weights):
        if not self._penalised:
            return 0.0
        if np.ndim(self.alpha) == 0:
            return 0.5 * self.alpha * np.vdot(weights, weights)
        return 0.5 * float(np.vdot(weights, self.alpha * weights))

    def _operand(self, weights):
        """``W`` as :meth:`_raw_block` multiplies it, prepared once per pass.

        Sparse blocks multiply ``W^T``, made contiguous here (the sparse
        product would otherwise copy it for every block); dense ones ``W``.
        """
        return np.ascontiguousarray(weights.T) if sparse.issparse(self.X) else weights

    @staticmethod
    def _raw_block(block, operand, intercept):
        """The block's raw predictions ``W X_b^T + b``, class-major (n_classes, m)."""
        if sparse.issparse(block):
            raw = np.ascontiguousarray(np.asarray(block @ operand, dtype=np.float64).T)
        else:
            raw = operand @ block.T
        if intercept is not None:
            raw += intercept[:, None]
        return raw

    @staticmethod
    def _times_block(matrix, block):
        """``matrix @ block`` for a class-major ``matrix`` (n_classes, m): (n_classes, d)."""
        if sparse.issparse(block):
            return np.asarray(transposed(block) @ matrix.T).T
        return matrix @ block

    # -- the objective and its derivatives ----------------------------------
    def loss(self, coef):
        """The objective ``f(coef)``."""
        weights, intercept = self._split(coef)
        if self.n_classes == 2:
            difference, offset = self._difference(weights, intercept)

            def work(rows, block):
                ce = _two_class_ce(block @ difference + offset, self.y[rows])
                return (self.sw[rows] @ ce,)

        else:
            operand = self._operand(weights)

            def work(rows, block):
                _, ce = _softmax_block(self._raw_block(block, operand, intercept), self.y[rows])
                return (self.sw[rows] @ ce,)

        (value,) = self.chunks.map_reduce(work, width=self.n_classes, products_only=True)
        return float(value) + self._penalty(weights)

    def loss_gradient(self, coef):
        """``(f, grad)``; also keeps the probabilities for Hessian products.

        With ``P`` the predicted probabilities and ``Y`` the one-hot labels,
        the gradient is ``(P - Y)^T diag(s/S) X + alpha W`` for the weights
        and the column sums of ``diag(s/S) (P - Y)`` for the intercept.
        """
        weights, intercept = self._split(coef)
        if self._proba is None:
            self._proba = np.empty((self.n_classes, self.n_samples))
        proba = self._proba
        self._cache_coef = None  # invalid while being overwritten
        if self.n_classes == 2:
            value, grad_weights, grad_intercept = self._two_class_gradient(
                weights, intercept, proba
            )
        else:
            value, grad_weights, grad_intercept = self._gradient(weights, intercept, proba)
        self._cache_coef = np.array(coef, copy=True)
        if self._penalised:
            grad_weights += self.alpha * weights
        return float(value) + self._penalty(weights), self._join(grad_weights, grad_intercept)

    def _difference(self, weights, intercept):
        """``w_1 - w_0`` and ``b_1 - b_0`` (0 without intercept): two classes' one direction."""
        offset = 0.0 if intercept is None else intercept[1] - intercept[0]
        return weights[1] - weights[0], offset

    def _two_class_gradient(self, weights, intercept, proba):
        """The data term's value and gradient for two classes, from one product.

        The residuals of the two classes are ``-r`` and ``r``, with
        ``r = s/S (p_1 - [y = 1])``: the gradient rows are ``-r^T X`` and ``r^T X``.
        """
        difference, offset = self._difference(weights, intercept)

        def work(rows, block):
            y, sw = self.y[rows], self.sw[rows]
            raw = block @ difference + offset
            ce = _two_class_ce(raw, y)
            p1 = proba[1, rows] = expit(raw)
            proba[0, rows] = expit(-raw)  # not 1 - p_1: tiny p_0 keep their digits
            residual = sw * (p1 - (y == 1))
            return sw @ ce, self._times_block(residual, block), residual.sum()

        value, grad, total = self.chunks.map_reduce(work, width=2, products_only=True)
        grad_intercept = np.array([-total, total]) if intercept is not None else None
        return value, np.stack([-grad, grad]), grad_intercept

    def _gradient(self, weights, intercept, proba):
        """The data term's value and gradient, and the probabilities into ``proba``."""
        operand = self._operand(weights)

        def work(rows, block):
            y, sw = self.y[rows], self.sw[rows]
            residual, ce = _softmax_block(self._raw_block(block, operand, intercept), y)
            proba[:, rows] = residual
            residual[y, np.arange(residual.shape[1])] -= 1.0
            residual *= sw
            grad_weights = self._times_block(residual, block)
            return sw @ ce, grad_weights, residual.sum(axis=1) if intercept is not None else 0.0

        return self.chunks.map_reduce(work, width=self.n_classes, products_only=True)

    def _proba_at(self, coef):
        if self._cache_coef is None or not np.array_equal(self._cache_coef, coef):
            self.loss_gradient(coef)
        return self._proba

    def hessp(self, coef):
        """The Hessian-vector product at ``coef``, as a function of a vector.

        For a direction ``V`` (same layout as ``coef``), with ``Q = X V_W^T +
        V_b`` its raw-prediction image, the loss Hessian of sample ``i`` in
        raw-prediction space is ``diag(p_i) - p_i p_i^T``, so::

            T_i     = s_i/S * (p_i * q_i - p_i * (p_i . q_i))
            (H V)_W = T^T X + alpha V_W,        (H V)_b = sum_i T_i.
        """
        proba = self._proba_at(coef)

        def product(vector):
            v_weights, v_intercept = self._split(vector)
            operand = self._operand(v_weights)

            def work(rows, block):
                p = proba[:, rows]
                q = self._raw_block(block, operand, v_intercept)
                q *= p
                q -= p * q.sum(axis=0)
                q *= self.sw[rows]
                hv_weights = self._times_block(q, block)
                return hv_weights, q.sum(axis=1) if v_intercept is not None else 0.0

            hv_weights, hv_intercept = self.chunks.map_reduce(
                work, width=2 * self.n_classes, products_only=True
            )
            if self._penalised:
                hv_weights += self.alpha * v_weights
            return self._join(hv_weights, hv_intercept)

        return product

    def hessian(self, coef, mean=None, scale=None):
        """The full Hessian at ``coef``, shape (n_classes * n_dof,) * 2.

        With ``mean`` and ``scale`` (arrays of length n_features), the
        Hessian with respect to the coefficients of the standardised
        features ``(x - mean) / scale`` instead (see :class:`StandardizedLoss`):
        the same formula on those features, each block standardised before
        any product, so that features of 1e300 cannot overflow.

        With ``x~_i = [x_i, 1]`` (the 1 when there is an intercept) the
        Hessian is ``sum_i s_i/S (diag(p_i) - p_i p_i^T) (x) x~_i x~_i^T``
        plus ``alpha`` on the weights' diagonal. Both parts are computed a
        block of rows at a time with one large product each:

        - ``diag(p_i)``: the diagonal blocks ``X~^T diag(s p_k) X~``, all K at
          once as ``X~^T [s p_1 X~, ..., s p_K X~]``;
        - ``p_i p_i^T``: the Gram matrix ``Z^T Z`` of the rows
          ``z_i = sqrt(s_i) p_i (x) x~_i``, a symmetric rank-m update that
          BLAS computes once for all ``K (K + 1) / 2`` block pairs.

        Extra memory: O(block_rows * n_classes * n_dof) per block. Two classes
        assemble :meth:`two_class_hessian`'s parts; small dense data take one
        product with the rows' outer products instead (:meth:`_outer_products`).
        """
        n_classes, n_dof = self.shape
        size = n_classes * n_dof
        if n_classes == 2:
            data, curvature = self.two_class_hessian(coef, mean, scale)
            data_curved = data + np.diag(curvature)
            hess = np.empty((size, size))
            hess[:n_dof, :n_dof] = hess[n_dof:, n_dof:] = data_curved
            hess[:n_dof, n_dof:] = hess[n_dof:, :n_dof] = -data
            return hess
        proba = self._proba_at(coef)
        outer = self._outer_products(mean, scale)
        if outer is not None:
            # H = sum_i W_i (x) x~_i x~_i^T with W_i = s_i (diag(p_i) - p_i p_i^T):
            # the K^2 weights of every sample times its D^2 products, one product
            sp = proba * self.sw
            weights = -(sp[:, None, :] * proba[None, :, :]).reshape(n_classes**2, -1)
            weights[:: n_classes + 1] += sp
            hess = (weights @ outer).reshape(n_classes, n_classes, n_dof, n_dof)
            hess = hess.transpose(0, 2, 1, 3).reshape(size, size)  # a contiguous copy
            hess.reshape(-1)[:: size + 1] += self._diagonal_curvature(scale)
            return hess

        def work(rows, block):
            xt = self._augmented(block, mean, scale)  # (m, n_dof)
            p = proba[:, rows].T  # (m, n_classes)
            sw = self.sw[rows, None]
            m = xt.shape[0]
            stacked = ((p * sw)[:, :, None] * xt[:, None, :]).reshape(m, size)
            z = ((np.sqrt(sw) * p)[:, :, None] * xt[:, None, :]).reshape(m, size)
            return xt.T @ stacked, z.T @ z

        diag_blocks, gram = self.chunks.map_reduce(work, width=2 * size)
        hess = -gram
        _class_diagonal_blocks(hess, n_classes)[...] += diag_blocks.reshape(
            n_dof, n_classes, n_dof
        ).transpose(1, 0, 2)
        hess.reshape(-1)[:: size + 1] += self._diagonal_curvature(scale)
        return hess

    def _diagonal_curvature(self, scale=None):
        """:meth:`_curvature` for every class: the penalty's part of the Hessian's diagonal.

        Kept for the last ``scale`` object (the Newton solvers ask at every step).
        """
        cached = self._whole_curvature
        if cached is None or cached[0] is not scale:
            diagonal = np.tile(self._curvature(scale), self.n_classes)
            cached = self._whole_curvature = (scale, diagonal)
        return cached[1]

    def _curvature(self, scale=None):
        """The penalty's curvature per column of ``[X, 1]``, shape (n_dof,).

        ``alpha`` on the weights (``alpha / scale^2`` on the standardised
        features' weights: ``alpha/2 ||W||^2`` with ``W = W' / scale``), 0 on
        the intercept.
        """
        curvature = np.zeros(self.n_dof)
        if self._penalised:
            n_features = self.X.shape[1]
            curvature[:n_features] = self.alpha if scale is None else self.alpha / scale / scale
        return curvature

    def two_class_hessian(self, coef, mean=None, scale=None):
        """Two classes' Hessian as ``(D, a)``: ``H_00 = H_11 = D + diag(a)``, ``H_01 = -D``.

        With ``p_1 = 1 - p_0`` every data block is ``+-D``, ``D = X~^T
        diag(s/S p_0 p_1) X~`` (on the standardised features when ``mean``
        and ``scale`` are given): one symmetric product instead of three,
        and ``p_0 p_1`` carries no cancellation where ``p_0 (1 - p_0) = p_0 -
        p_0^2`` would. ``a`` is the penalty's curvature (:meth:`_curvature`).
        """
        proba = self._proba_at(coef)

        def work(rows, block):
            xt = self._augmented(block, mean, scale)
            p = proba[:, rows]
            a = xt * np.sqrt(self.sw[rows] * p[0] * p[1])[:, None]
            return (a.T @ a,)  # numpy's symmetric rank-k update: half the work

        (data,) = self.chunks.map_reduce(work, width=2 * self.n_dof)
        return data, self._curvature(scale)

    def hessian_diagonal(self, coef, mean=None, scale=None):
        """The diagonal of the Hessian at ``coef``, a vector like ``coef``.

        Entry ``(k, j)`` is ``sum_i s_i/S p_ik (1 - p_ik) x~_ij^2`` (plus
        ``alpha`` for weights), on the standardised features when ``mean``
        and ``scale`` are given, as in :meth:`hessian`. One pass over the
        data; the preconditioner of the conjugate-gradient solver.
        """
        proba = self._proba_at(coef)

        def work(rows, block):
            p = proba[:, rows]
            w = p * (1.0 - p) * self.sw[rows]  # (n_classes, m)
            if sparse.issparse(block):
                return (self._sparse_diagonal(block, w, mean, scale),)
            xt = self._augmented(block, mean, scale)
            return (w @ (xt * xt),)

        width = 2 * self.n_classes if sparse.issparse(self.X) else 2 * self.n_dof
        (diag,) = self.chunks.map_reduce(work, width=width)
        diag += self._curvature(scale)
        return diag.ravel()

    def _sparse_diagonal(self, block, w, mean, scale):
        """``w^T ((X~ - mean) / scale)^2`` for a sparse block, kept sparse.

        ``sum_i w_i (x_ij - m_j)^2 = w^T x_j^2 - 2 m_j w^T x_j + m_j^2 sum_i w_i``:
        three sparse products instead of a dense standardised block, which for
        text-like data (1e5 columns) would be far larger than the data.
        """
        total = w.sum(axis=1)  # (K,)
        second = self._times_block(w, block.multiply(block))  # (K, d)
        if scale is not None:
            first = self._times_block(w, block)
            second = second - 2 * first * mean + np.outer(total, mean * mean)
            second /= scale * scale
        if self.fit_intercept:
            return np.hstack([second, total[:, None]])
        return second

    def class_blocks(self, coef, mean=None, scale=None, max_rows=None):
        """The K diagonal blocks of the Hessian, shape (n_classes, n_dof, n_dof).

        Block ``k`` is ``X~^T diag(s/S p_k (1 - p_k)) X~`` (plus ``alpha`` on
        the weights' diagonal), on the standardised features when ``mean``
        and ``scale`` are given: the Hessian without the coupling between
        classes. It captures what makes first-order methods slow, correlated
        and saturated features, at ``1/K`` of the full Hessian's cost; the
        conjugate-gradient solver's preconditioner.

        With ``max_rows``, the data term is estimated from evenly spaced row
        blocks holding about that many rows, rescaled by their share of the
        total weight: a preconditioner needs the blocks' shape, not their
        last digit, and on a million rows the exact blocks would cost more
        than the products they save.
        """
        proba = self._proba_at(coef)
        n_classes, n_dof = self.shape

        def work(rows, block):
            xt = self._augmented(block, mean, scale)
            p = proba[:, rows]
            root = np.sqrt(p * (1.0 - p) * self.sw[rows])
            gram = np.empty((n_classes, n_dof, n_dof))
            for k in range(n_classes):  # symmetric rank-k updates: half a product each
                a = xt * root[k, :, None]
                gram[k] = a.T @ a
            return gram, self.sw[rows].sum()

        blocks, share = self.chunks.map_reduce(
            work, width=(n_classes + 1) * n_dof, max_rows=max_rows
        )
        if share < 1.0:
            blocks /= max(float(share), np.finfo(np.float64).tiny)
        blocks[:, np.arange(n_dof), np.arange(n_dof)] += self._curvature(scale)
        return blocks

    def _outer_products_fit(self, n_rows):
        """Whether ``n_rows`` rows' outer products fit in a block (:meth:`_outer_products`)."""
        return not sparse.issparse(self.X) and n_rows * self.n_dof**2 <= _BLOCK_VALUES

    def _outer_products(self, mean=None, scale=None):
        """The rows' outer products ``x~_i x~_i^T``, shape (n_samples, n_dof^2), or None.

        Only for dense data whose products hold at most a block's worth of
        values (``_BLOCK_VALUES``); built once and kept. With them the
        Hessian is one product of the samples' class weights with these,
        instead of two products of size-``n K n_dof`` temporaries built by
        broadcasting, which on small data (iris: 150 x 5, three classes)
        cost three times as long.
        """
        if not self._outer_fits:
            return None
        n_dof = self.n_dof
        cached = self._whole_outer
        if cached is None or cached[0] is not mean or cached[1] is not scale:
            xt = self._augmented(self.chunks.block(slice(0, self.n_samples)), mean, scale)
            outer = (xt[:, :, None] * xt[:, None, :]).reshape(self.n_samples, n_dof * n_dof)
            cached = self._whole_outer = (mean, scale, outer)
        return cached[2]

    def _augmented(self, block, mean=None, scale=None):
        """A block of ``X~ = [X, 1]`` (or ``X``) as a dense float64 array.

        Standardised as ``(X - mean) / scale`` when those are given. When the
        data are one block, it is built once and kept (at most a block's
        size, ``_chunks._BLOCK_VALUES`` values): the Newton solvers ask for it
        at every iteration, and on small data building it would cost more than
        the products it feeds.
        """
        if block.shape[0] == self.n_samples and not sparse.issparse(block):
            cached = self._whole_augmented
            if cached is None or cached[0] is not mean or cached[1] is not scale:
                # kept with the very arrays it was built from (the solvers never
                # modify mean and scale in place)
                cached = self._whole_augmented = (
                    mean,
                    scale,
                    self._build_augmented(block, mean, scale),
                )
            return cached[2]
        return self._build_augmented(block, mean, scale)

    def _build_augmented(self, block, mean, scale):
        block = block.toarray() if sparse.issparse(block) else block
        if scale is not None:
            block = (block - mean) / scale
        if self.fit_intercept:
            block = np.hstack([block, np.ones((block.shape[0], 1))])
        return block


class StandardizedLoss:
    """The same objective in standardised coordinates: a preconditioner.

    With column centres ``mu`` and spreads ``std`` (``mu = 0`` without an
    intercept), the scales are ``sigma = sqrt(std^2 + alpha)``: the
    curvature along ``W_kj`` is about ``std_j^2 p (1 - p)`` from the data
    plus ``alpha`` from the penalty, so in the new coordinates it is of order
    one for every column, constant ones and tiny ones included. The new
    parameters of class ``k`` are ``W'_k = W_k * sigma`` and
    ``b'_k = b_k + W_k . mu``: the coefficients a model would have on
    the standardised features ``(x - mu) / sigma``. In the new coordinates
    the Hessian's diagonal is of order one whatever the feature scales, which
    is what first- and second-order solvers need, yet the function is the
    same: ``f'(theta') = f(M theta')`` with, per class row,

        W_k = W'_k / sigma,        b_k = b'_k - (W'_k / sigma) . mu,

    so every solver reaches the same optimum, mapped back exactly. ``X`` is
    never centred or scaled (sparse data stays sparse): the map acts on the
    small coefficient matrix, and the penalty ``alpha/2 ||W||^2`` is
    evaluated on the original ``W``, untouched.
    """

    def __init__(self, loss, mean, std):
        self.loss_ = loss
        self.shape = loss.shape
        self.alpha = loss.alpha
        self.fit_intercept = loss.fit_intercept
        self.mean = mean
        self.scale = _scales(std, loss.alpha)

    @property
    def n_samples(self):
        """The inner loss's rows (None if it does not say)."""
        return getattr(self.loss_, "n_samples", None)

    @property
    def n_weighted(self):
        """The inner loss's rows of positive weight (None if it does not say)."""
        return getattr(self.loss_, "n_weighted", None)

    def subsample(self, n_rows, seed=0):
        """The inner loss's ``subsample`` in the same coordinates, or None."""
        inner = getattr(self.loss_, "subsample", None)
        inner = None if inner is None else inner(n_rows, seed)
        if inner is None:
            return None
        sample = copy.copy(self)
        sample.loss_ = inner
        return sample

    def objective(self, coef):
        """``f`` at ``coef`` in the original coordinates."""
        return self.loss_.loss(coef)

    def to_original(self, coef):
        """``theta = M theta'``."""
        coef = coef.reshape(self.shape)
        out = np.array(coef, dtype=np.float64, copy=True)
        n_features = self.scale.shape[0]
        out[:, :n_features] /= self.scale
        if self.fit_intercept:
            out[:, -1] -= out[:, :n_features] @ self.mean
        return out.ravel()

    def to_standardized(self, coef):
        """``theta' = M^{-1} theta``."""
        coef = coef.reshape(self.shape)
        out = np.array(coef, dtype=np.float64, copy=True)
        n_features = self.scale.shape[0]
        if self.fit_intercept:
            out[:, -1] += out[:, :n_features] @ self.mean
        out[:, :n_features] *= self.scale
        return out.ravel()

    def _pull_back(self, grad):
        """``M^T g``: a gradient (or Hessian product) in the new coordinates.

        ``grad`` may carry trailing axes (columns of a matrix): shape
        ``(n_classes * n_dof, m)`` is pulled back column by column.
        """
        n_classes, n_dof = self.shape
        out = grad.reshape(n_classes, n_dof, -1).copy()
        n_features = self.scale.shape[0]
        if self.fit_intercept:
            out[:, :n_features, :] -= out[:, -1:, :] * self.mean[None, :, None]
        out[:, :n_features, :] /= self.scale[None, :, None]
        return out.reshape(grad.shape)

    def loss(self, coef):
        return self.loss_.loss(self.to_original(coef))

    def loss_gradient(self, coef):
        value, grad = self.loss_.loss_gradient(self.to_original(coef))
        return value, self._pull_back(grad)

    def hessp(self, coef):
        product = self.loss_.hessp(self.to_original(coef))
        return lambda vector: self._pull_back(product(self.to_original(vector)))

    def hessian_diagonal(self, coef):
        """As the inner loss's, or None if it has none (see ``_preconditioner``)."""
        inner = getattr(self.loss_, "hessian_diagonal", None)
        return None if inner is None else inner(self.to_original(coef), self.mean, self.scale)

    def class_blocks(self, coef, max_rows=None):
        """As the inner loss's, or None if it has none (see ``_preconditioner``)."""
        inner = getattr(self.loss_, "class_blocks", None)
        if inner is None:
            return None
        return inner(self.to_original(coef), self.mean, self.scale, max_rows=max_rows)

    def hessian(self, coef):
        # M^T H M, computed as the Hessian on the standardised features
        # directly: forming H first would overflow for features near 1e300.
        return self.loss_.hessian(self.to_original(coef), mean=self.mean, scale=self.scale)

    def two_class_hessian(self, coef):
        """As the inner loss's, or None if it has none (see ``_cholesky_direction``)."""
        inner = getattr(self.loss_, "two_class_hessian", None)
        return None if inner is None else inner(self.to_original(coef), self.mean, self.scale)


def _scales(std, alpha):
    """``sigma = sqrt(std^2 + alpha)``, 1 where that is 0 or not finite."""
    scale = np.hypot(std, np.sqrt(alpha))  # no overflow for std ~ 1e300
    scale[~((scale > 0) & np.isfinite(scale))] = 1.0
    return scale


class CompactStandardizedLoss(StandardizedLoss):
    """:class:`StandardizedLoss` for dense data held as one standardised copy.

    When ``X`` is dense and small (see :func:`standardized_loss`), the design
    matrix of the new coordinates, ``Z = [(X - mu) / sigma, 1]`` (without
    the ones when there is no intercept), is built once, in float64: at most
    one row block's worth of values, the size of the temporaries a pass over
    ``X`` makes anyway. The objective in the new coordinates is then plain
    :class:`SoftmaxLoss` on ``Z`` with a penalty per column,

        f'(theta') = 1/S sum_i s_i CE_i(Theta' z_i)
                     + 1/2 sum_kj (alpha / sigma_j^2) W'_kj^2,

    (``W = W' / sigma``, the ones column unpenalised): the same function as
    :class:`StandardizedLoss`'s, without mapping coefficients and gradients
    between the coordinates at every evaluation. On data that fit in a
    millisecond that mapping, and the intercept's bookkeeping, cost as much
    as the arithmetic.
    """

    def __init__(
        self, X, y, n_classes, sample_weight, alpha, fit_intercept, mean, std, n_threads=1
    ):
        self.shape = (n_classes, X.shape[1] + int(fit_intercept))
        self.alpha = float(alpha)
        self.fit_intercept = fit_intercept
        self.mean = mean
        self.scale = _scales(std, self.alpha)
        design = np.empty((X.shape[0], self.shape[1]))
        # x / sigma - mu / sigma: no overflow where x - mu would (1e308 - -1e308)
        np.divide(X, self.scale, out=design[:, : X.shape[1]])
        design[:, : X.shape[1]] -= mean / self.scale
        penalty = np.zeros(self.shape[1])
        penalty[: X.shape[1]] = self.alpha / self.scale / self.scale
        if fit_intercept:
            design[:, -1] = 1.0
        self.loss_ = SoftmaxLoss(design, y, n_classes, sample_weight, penalty, False, n_threads)

    def objective(self, coef):
        return self.loss_.loss(self.to_standardized(coef))

    def loss(self, coef):
        return self.loss_.loss(coef)

    def loss_gradient(self, coef):
        return self.loss_.loss_gradient(coef)

    def hessp(self, coef):
        return self.loss_.hessp(coef)

    def hessian_diagonal(self, coef):
        return self.loss_.hessian_diagonal(coef)

    def class_blocks(self, coef, max_rows=None):
        return self.loss_.class_blocks(coef, max_rows=max_rows)

    def hessian(self, coef):
        return self.loss_.hessian(coef)

    def two_class_hessian(self, coef):
        return self.loss_.two_class_hessian(coef)


def standardized_loss(
    X, y, n_classes, sample_weight, alpha, fit_intercept, n_threads=1, moments=None
):
    """The objective in standardised coordinates, as the solvers see it.

    :class:`CompactStandardizedLoss` for dense ``X`` whose standardised copy
    (and the loss pass's ``n_classes`` values per row) fit in one row
    block's worth of values, else :class:`StandardizedLoss` over :class:`SoftmaxLoss`, which
    never copies ``X``. ``moments``: the columns' ``(mean, std)`` if already
    known, else computed (:func:`column_moments`). The arguments are those
    of :class:`SoftmaxLoss`.
    """
    mean, std = moments if moments is not None else column_moments(X, sample_weight, fit_intercept)
    n_dof = X.shape[1] + int(fit_intercept)
    scale = _scales(std, alpha)
    # The compact form never maps coefficients back while solving, so it
    # would not see an optimum whose original coefficients overflow (features
    # of 1e-310 need weights of 1e310): with such extreme columns, the
    # general form, which evaluates f at the original coefficients.
    tame = np.all(scale > 1e-150) and np.all(np.abs(mean) / 1e150 < scale)
    small = X.shape[0] * (n_dof + n_classes) <= _BLOCK_VALUES
    if small and tame and not sparse.issparse(X):
        return CompactStandardizedLoss(
            X, y, n_classes, sample_weight, alpha, fit_intercept, mean, std, n_threads
        )
    loss = SoftmaxLoss(X, y, n_classes, sample_weight, alpha, fit_intercept, n_threads)
    return StandardizedLoss(loss, mean, std)


def column_moments(X, sample_weight, center):
    """Weighted column centres and scales, safe for any magnitude.

    Returns ``(mean, std)``: the weighted mean (zeros if not ``center``)
    and the weighted standard deviation (root mean square if not
    ``center``) of each column; zero for columns without spread. Values
    are divided by the column's largest magnitude before squaring, so
    features of 1e-300 or 1e300 neither underflow nor overflow.
    """
    n_features = X.shape[1]
    sw = sample_weight / sample_weight.sum()
    chunks = RowChunks(X)
    magnitude = np.zeros(n_features)
    for rows in chunks.slices():
        block_max = abs(X[rows]).max(axis=0)
        block_max = block_max.toarray().ravel() if sparse.issparse(block_max) else block_max
        np.maximum(magnitude, block_max, out=magnitude)
    magnitude[~(magnitude > 0)] = 1.0

    def work(rows, block):
        if sparse.issparse(block):
            # divide the stored entries (a copy): 1 / magnitude overflows for
            # subnormal columns
            scaled = sparse.csr_matrix(block, dtype=np.float64, copy=True)
            scaled.data /= magnitude[scaled.indices]
            first = np.asarray(scaled.T @ sw[rows]).ravel()
            scaled.data **= 2
            return first, np.asarray(scaled.T @ sw[rows]).ravel()
        scaled = block / magnitude
        return sw[rows] @ scaled, sw[rows] @ (scaled * scaled)

    first, second = chunks.map_reduce(work, width=n_features)
    return moments_to_mean_std(first, second, magnitude, center)


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
