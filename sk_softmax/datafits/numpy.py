"""The data term on NumPy and SciPy arrays: row blocks, threads, no copy of X.

Pure maths on arrays: nothing here knows about labels, estimators, penalties
or solvers. The objective (:mod:`sk_softmax.datafits.base`) is::

    f(W, b) = 1/S * sum_i s_i * CE_i,    CE_i = logsumexp(o_i) - o_{i, y_i},

with ``o_i = W x_i + b``. Every pass over ``X`` goes through row blocks
(:class:`~sk_softmax.datafits._blocks.RowChunks`). Float32 ``X`` is never
copied to float64 as a whole: each block is cast on its own, so the
objective and its derivatives carry float64 accuracy while the extra memory
stays O(block_rows * n_features); its float32 twin (:meth:`SoftmaxDatafit.in_float32`)
multiplies the float32 blocks themselves, for the Newton iterations that a
float64 pass then confirms. The one O(n_samples * n_classes) array is
the probability matrix kept for Hessian products (not on tall data, whose
Hessian comes from a subsample).

The kept probabilities and the Hessian-vector product are in
:mod:`sk_softmax.datafits._kept`, the other second-order methods (Hessian,
its diagonal and class blocks) in
:mod:`sk_softmax.datafits._second_order`, the per-sample scores' outer
products and group sums (for the sandwich covariances of inference) in
:mod:`sk_softmax.datafits._scores`.
"""

import copy

import numpy as np
from scipy import sparse
from scipy.special import expit

from ._blocks import RowChunks, _copies_blocks, tall_sample_rows
from ._float32_range import inside_float32, weights_inside_float32
from ._kept import KeptProbabilities, _Kept, _two_class_proba, _without_class_shift
from ._kernels import _softmax_block, _true_entries, _two_class_ce, raw_block, times_block
from ._lines import step_along, worth_following
from ._scores import Scores
from ._second_order import SecondOrder
from .base import Datafit, split_intercept

_EPS32 = float(np.finfo(np.float32).eps)


class SoftmaxDatafit(KeptProbabilities, SecondOrder, Scores, Datafit):
    """Softmax cross-entropy of NumPy or SciPy data, its gradient and Hessian.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        float64 or float32; never modified, never copied whole.
    y : ndarray of shape (n_samples,), int
        Class codes in ``range(n_classes)``.
    n_classes : int
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights ``s_i``, class weights already folded in, with a
        positive sum.
    fit_intercept : bool
    n_threads : int, default=1
        Threads summing over row blocks (see ``_blocks.py``).
    lines : bool, default=False
        Whether to follow the solvers' Newton directions (:mod:`._lines`)
        where that pays (:func:`~._lines.worth_following`): the solvers' data terms ask.

    The only O(n_samples) state is the probability matrix of the last
    gradient (n_classes x n_samples, class-major as everything per sample
    here: see :func:`_softmax_block`), kept for Hessian products at the same
    point. It is float32 for float32 ``X``: the gradient and the loss never
    read it (they come from each block's float64 softmax), only the
    second-order methods do, whose results (Newton directions, standard
    errors) need no more than its seven digits; in float64 it would add
    ``0.2 X`` to the memory of a fit on float32 data (the 1e6 x 100 x 10
    fit of ``benchmarks/bench_tall.py``: peak extra 0.32 X before). Tall
    data (:func:`~sk_softmax.datafits._blocks.tall_sample_rows`, rows
    sliceable) keep none: the solvers take their Hessian from a subsample,
    and the passes over all rows only need the value and gradient (peak
    extra of that fit 0.15 X -> 0.11 X in float64, 0.21 X -> 0.16 X in
    float32, the sample's gathered rows included).
    """

    def __init__(self, X, y, n_classes, sample_weight, fit_intercept, n_threads=1, lines=False):
        self.X = X
        self.y = np.asarray(y, dtype=np.intp)
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.sample_weight = sample_weight
        self.total_weight = float(sample_weight.sum())
        self.sw = sample_weight / self.total_weight  # sums to one
        self.n_dof = X.shape[1] + int(fit_intercept)
        self.shape = (n_classes, self.n_dof)
        self.chunks = RowChunks(X, n_threads)
        self.n_samples = X.shape[0]
        self.n_weighted = int(np.count_nonzero(self.sw > 0))  # rows that count
        self._kept = _Kept()
        self._proba_dtype = np.float32 if X.dtype == np.float32 else np.float64
        # On tall data a subsample's Hessian serves the solvers (solvers/_subsample.py): the
        # passes over all rows then keep no probabilities (n_classes values a row, a tenth of
        # 1e6 x 100 x 10, written every pass); Hessian products recompute them (_proba_at).
        tall = tall_sample_rows(self.n_samples, self.n_weighted, n_classes * self.n_dof)
        self._keep_proba = tall is None or not self.chunks.can_sample
        self.follows_lines = bool(lines) and worth_following(self)
        self._column_bound = None  # the columns' largest values, once a line needs them
        self._whole_augmented = self._whole_outer = None
        self._outer_fits = self._outer_products_fit(self.n_samples)

    def subsample(self, n_rows, seed=0):
        """The data term of ``n_rows`` random rows of positive weight, or None.

        The same function form with the sampled rows' weights renormalised to
        sum to one: an estimate of ``f`` whose derivatives cost ``n_rows /
        n_samples`` of the full ones. None when there is nothing to gain (the
        sample would be all such rows, or CSC data). Dense rows are gathered
        once into a copy of at most an eighth of ``X``
        (:meth:`~sk_softmax.datafits._blocks.RowChunks.sample`), sparse ones
        read from ``X`` at every pass.
        """
        chunks = self.chunks.sample(n_rows, np.flatnonzero(self.sw > 0), seed)
        if chunks is None:
            return None
        sw = self.sw[chunks.drawn]
        sample = copy.copy(self)
        sample.chunks = chunks
        sample.n_samples = sample.n_weighted = chunks.n_samples
        sample.y = self.y[chunks.drawn]
        sample.sw = sw / sw.sum()
        sample._kept = _Kept()
        sample._keep_proba = True
        sample._whole_augmented = sample._whole_outer = None
        sample._outer_fits = self._outer_products_fit(sample.n_samples)
        return sample

    # True on the float32 twin of a data term (in_float32)
    _native = False
    # Whether X's last column is all ones and carries the intercept (Compact's design)
    ones_last = False

    @property
    def eps(self):
        """The relative precision of the passes: float32's on the twin (``Datafit.eps``)."""
        return _EPS32 if self._native else Datafit.eps

    def in_float32(self):
        """This data term with its passes in float32 arithmetic, or None.

        For dense ``X`` beyond the cache (more than ``_COPY_VALUES`` values,
        where the passes read ``X`` from memory): the loss, the gradient, the
        probabilities and the Hessian-vector products multiply float32
        blocks of ``X`` (views of float32 ``X``; of float64 ``X``, float32
        copies, where the float64 passes take float64 copies) by float32
        coefficients, and take the softmax in float32; the sums over
        blocks, and the loss's sum over rows, stay float64. The Hessian and
        its blocks are the same as this data term's. A pass then costs about
        two float32 products where the float64 one costs two float64
        products (1e6 x 100 x 10 float32: 0.18 s instead of 0.28, one core;
        float64 data add the cast to the copy's cost), and its gradient is
        within about 1e-9 of the float64 one (the coefficients' and float64
        data's rounding to float32, and the float32 sums within a block): a
        Newton solver's iterations until ``tol``, which a float64 pass
        then confirms or takes further (:func:`~sk_softmax.solvers._damped.newton`).
        The gradient's class sums and the products' class shifts are
        removed (:func:`~._kept._without_class_shift`): zero in exact
        arithmetic, float32's rounding there misled the solvers. None for
        sparse data, and for the twin itself.
        """
        if self._native or sparse.issparse(self.X):
            return None
        if not _copies_blocks(self.chunks):
            return None
        # a class of no weight has its intercept driven towards -inf along a direction of
        # vanishing curvature, which float32 gradients cannot follow (intercepts of -68 and
        # -104 instead of -16, in a review's run): float64 passes keep it near tol
        if not np.all(np.bincount(self.y, weights=self.sw, minlength=self.n_classes) > 0):
            return None
        # the rows' weights, and the values of some rows, well inside float32's range
        if not (weights_inside_float32(self.sw) and inside_float32(self.X)):
            return None
        twin = copy.copy(self)
        twin._native = True
        twin.follows_lines = False  # float32 images would not carry float64's digits
        return twin  # sharing the kept probabilities (_Kept)

    def rows(self, index):
        """The data term of the rows ``index`` alone (a minibatch), or None if they weigh nothing.

        Their weights are renormalised to sum to one; ``total_weight`` keeps
        their sum in the units of the full data's.
        """
        weights = self.sample_weight[index]
        if not weights.sum() > 0:
            return None
        sub = SoftmaxDatafit(
            self.X[index], self.y[index], self.n_classes, weights, self.fit_intercept
        )
        sub.ones_last = self.ones_last
        return sub

    def columns(self, index):
        """The data term of the feature columns ``index`` alone (the others' weights zero).

        The working sets of the proximal Newton solver: a pass over it costs
        what those columns cost. A copy of those columns of ``X``.
        """
        X, weights = self.own_rows()
        if sparse.issparse(X):
            X = X.tocsc()[:, index].asformat(X.format)
        else:
            X = X[:, index]
        return SoftmaxDatafit(X, self.y, self.n_classes, weights, self.fit_intercept,
                              self.chunks.n_threads)  # fmt: skip

    def own_rows(self):
        """``(X, sample_weight)`` of the rows this data term sums over.

        ``X`` and ``sample_weight`` themselves, or for a :meth:`subsample`
        (which shares ``X`` and reads its rows through ``chunks``) a copy of
        its rows and their weights: what a data term built anew on them needs.
        """
        index = getattr(self.chunks, "index", None)
        if index is None:
            return self.X, self.sample_weight
        return self.X[index], self.sw

    # -- pieces -------------------------------------------------------------
    def _split(self, coef):
        return split_intercept(coef, self.shape, self.fit_intercept)

    def _pass_weights(self, rows):
        """The rows' weights ``s/S`` in the passes' precision (cast a block at a time)."""
        return self.sw[rows].astype(np.float32) if self._native else self.sw[rows]

    def _pass_parts(self, coef):
        """``W`` and ``b`` (or None) in the passes' precision: float32 on the twin (in_float32)."""
        weights, intercept = self._split(coef)
        if not self._native:
            return weights, intercept
        intercept = None if intercept is None else intercept.astype(np.float32)
        return weights.astype(np.float32), intercept

    def _join(self, grad_weights, grad_intercept):
        if self.fit_intercept:
            grad = np.empty(self.shape)
            grad[:, :-1] = grad_weights
            grad[:, -1] = grad_intercept
            return grad.ravel()
        return grad_weights.ravel()

    def _operand(self, weights, intercept):
        """``(W, b)`` as :meth:`_raw_block` takes them, prepared once per pass.

        Sparse blocks multiply ``W^T``, made contiguous here (the sparse
        product would otherwise copy it for every block); dense ones ``W``.
        Zero weights (a cold start's) multiply nothing: ``(None, b)``, ``b``
        zeros without an intercept, and the raw predictions are ``b``.
        """
        if not weights.any():
            dtype = np.float32 if self._native else np.float64  # the passes' precision
            offset = np.zeros(self.n_classes) if intercept is None else intercept
            return None, np.asarray(offset, dtype=dtype)
        operand = np.ascontiguousarray(weights.T) if sparse.issparse(self.X) else weights
        return operand, intercept

    _raw_block = staticmethod(raw_block)
    _times_block = staticmethod(times_block)

    def _difference(self, weights, intercept):
        """``w_1 - w_0`` and ``b_1 - b_0`` (0 without intercept): two classes' one direction."""
        offset = 0.0 if intercept is None else intercept[1] - intercept[0]
        return weights[1] - weights[0], offset

    def _two_class_raw(self, block, difference, offset):
        """``t = o_1 - o_0`` of the block's rows: ``offset`` alone where ``difference`` is zero."""
        if difference.any():
            return block @ difference + offset
        return np.full(block.shape[0], offset, dtype=np.float32 if self._native else np.float64)

    # -- the objective and its first derivatives -----------------------------
    def loss(self, coef):
        """The data term ``f(coef)``."""
        weights, intercept = self._pass_parts(coef)
        if self.n_classes == 2:
            difference, offset = self._difference(weights, intercept)

            def work(rows, block):
                ce = _two_class_ce(self._two_class_raw(block, difference, offset), self.y[rows])
                return (self.sw[rows] @ ce,)

        else:
            operand, intercept = self._operand(weights, intercept)

            def work(rows, block):
                _, ce = _softmax_block(self._raw_block(block, operand, intercept), self.y[rows])
                return (self.sw[rows] @ ce,)

        (value,) = self.chunks.map_reduce(
            work, width=self.n_classes, products_only=True, native=self._native
        )
        return float(value)

    def loss_gradient(self, coef):
        """``(f, grad)``; also keeps the probabilities for Hessian products (unless tall).

        With ``P`` the predicted probabilities and ``Y`` the one-hot labels,
        the gradient is ``(P - Y)^T diag(s/S) X`` for the weights and the
        column sums of ``diag(s/S) (P - Y)`` for the intercept.
        """
        weights, intercept = self._pass_parts(coef)
        step = step_along(self, coef) if self.follows_lines else None
        self._kept.coef = None  # invalid while being overwritten
        proba = self._proba_buffer() if self._keep_proba else None
        kept_raw = self._raw_buffer()
        if self.n_classes == 2:
            parts = self._two_class_gradient(weights, intercept, proba)
        else:
            parts = self._gradient(weights, intercept, proba, kept_raw, step)
        value, grad_weights, grad_intercept = parts
        if proba is not None:
            self._kept.coef = np.array(coef, copy=True)
            if kept_raw is not None:
                self._kept.raw_at = self._kept.coef
        grad = self._join(grad_weights, grad_intercept)
        if self._native:  # its class sums are zero, float32's rounding aside
            grad = _without_class_shift(grad, self.shape)
        return float(value), grad

    def _two_class_gradient(self, weights, intercept, proba):
        """The value and gradient for two classes, from one product.

        The residuals of the two classes are ``-r`` and ``r``, with
        ``r = s/S (p_1 - [y = 1])``: the gradient rows are ``-r^T X`` and ``r^T X``.
        """
        difference, offset = self._difference(weights, intercept)

        def work(rows, block):
            y = self.y[rows]
            raw = self._two_class_raw(block, difference, offset)
            ce = _two_class_ce(raw, y)
            p1 = expit(raw) if proba is None else _two_class_proba(raw, proba, rows)
            residual = self._pass_weights(rows) * (p1 - (y == 1))
            return self.sw[rows] @ ce, self._times_block(residual, block), residual.sum()

        value, grad, total = self.chunks.map_reduce(
            work, width=2, products_only=True, native=self._native, sums=1
        )
        grad_intercept = np.array([-total, total]) if intercept is not None else None
        rows = np.empty((2, grad.size))
        np.negative(grad, out=rows[0])
        rows[1] = grad
        return value, rows, grad_intercept

    def _gradient(self, weights, intercept, proba, kept_raw=None, step=None):
        """The value and gradient, and the probabilities into ``proba`` (unless None).

        The raw predictions into ``kept_raw`` (unless None); with ``step``
        (:func:`~._lines.step_along`), they are the kept ones moved ``step``
        along the kept line: no product ``X W^T``.
        """
        image = self._kept.line.image
        operand, offset = self._operand(weights, intercept) if step is None else (None, None)

        def work(rows, block):
            y, sw = self.y[rows], self._pass_weights(rows)
            if step is None:
                raw = self._raw_block(block, operand, offset, kept_raw, rows)
            else:  # the kept ones moved along the line; the softmax works on a copy
                moved = kept_raw[:, rows]
                moved += step * image[:, rows]
                raw = moved.copy()
            if proba is None:
                residual, ce = _softmax_block(raw, y, sw)
            else:
                residual, ce = _softmax_block(raw, y)
                proba[:, rows] = residual
                flat, true = _true_entries(residual, y)
                flat[true] -= 1.0
                residual *= sw
            grad_weights = self._times_block(residual, block)
            value = self.sw[rows] @ ce  # float64 (ce cast), on the twin too
            return value, grad_weights, residual.sum(axis=1) if intercept is not None else 0.0

        return self.chunks.map_reduce(
            work, width=self.n_classes, products_only=True, native=self._native,
            sums=self.n_classes,
        )  # fmt: skip
