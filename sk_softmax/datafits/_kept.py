"""The probabilities a NumPy data term keeps for its second-order methods, and its Hessian products.

A mixin of :class:`~sk_softmax.datafits.numpy.SoftmaxDatafit` (whose passes,
row blocks and float32 twin it uses): the probability matrix at the last
point a pass kept them for (:class:`_Kept`), the forward pass that fills it
where none did, and the Hessian-vector product that reads it. The Hessian
and its blocks (:mod:`._second_order`) read it too.
"""

import numpy as np
from scipy.special import expit

from ._kernels import _softmax_block
from ._lines import Line
from ._second_order import proba_rows
from .base import Product


def _two_class_proba(difference, proba, rows):
    """Two classes' probabilities from ``t = o_1 - o_0`` into ``proba[:, rows]``; returns ``p_1``.

    ``p_0`` is ``expit(-t)``, not ``1 - p_1``: tiny ``p_0`` keep their digits.
    """
    p1 = proba[1, rows] = expit(difference)
    proba[0, rows] = expit(-difference)
    return p1


def _without_class_shift(vector, shape):
    """``vector`` less its class shift: the mean over classes taken from every class's row.

    The data term is flat along a class shift (the same vector added to
    every class: the probabilities do not change), so its Hessian maps that
    part to zero and the product is the same without it. In float32 the
    part is not harmless: its image ``X u``, the same for every class,
    cancels in ``q_i - p_i . q_i`` only to float32's rounding. Near the
    optimum Newton-CG's vectors are mostly class shift, which only the
    penalty curves: on 30000 x 200 x 5 (scaled columns, float32) a float32
    product of a CG direction whose class shift was 500 times its rest erred
    by 3e-5 relative (9e-8 without the shift), CG needed 187 products
    instead of 6 for a Newton step, and the fit took 2.9 times as long as
    on float64 passes. The product itself, and the gradient, sum to zero
    over the classes: float32's rounding leaves about 1e-8 there, which a
    preconditioner whose class shifts only the penalty curves blows up (a
    CG vector of squared norm 1e11 after one product, on columns of
    scales 1e-6 to 1e6, in a review's case): the twin takes it out too.
    """
    vector = np.reshape(vector, shape)
    return (vector - vector.mean(axis=0)).ravel()


class _Kept:
    """The probabilities kept for the second-order methods, and the point they are at.

    ``proba`` (n_classes, n_samples) or None until first needed; ``coef``
    None while they are not at any known point. One object shared by a
    data term and its float32 twin (``SoftmaxDatafit.in_float32``): they
    keep one matrix between them (float32 for float32 ``X`` either way),
    and a pass of either marks it as its own. A data term that follows
    Newton directions (``SoftmaxDatafit.follows_lines``) also keeps the raw
    predictions ``raw`` of the point ``raw_at`` (they are at ``coef`` when
    ``raw_at is coef``: a pass that sets ``coef`` without them leaves them
    stale) and the direction the solver is building (:class:`~._lines.Line`).
    """

    __slots__ = ("proba", "coef", "raw", "raw_at", "line")

    def __init__(self):
        self.proba = self.coef = self.raw = self.raw_at = None
        self.line = Line()


class KeptProbabilities:
    """The kept probabilities' methods of the NumPy data term (see the module docstring)."""

    def _proba_at(self, coef):
        """The kept probabilities at ``coef``, computed (a forward pass) unless they are there."""
        cached = self._kept.coef
        if cached is None or cached.shape != np.shape(coef) or not (cached == coef).all():
            self._keep_probabilities(coef)
        return self._kept.proba

    def _raw_buffer(self):
        """The kept raw predictions' matrix (n_classes, n_samples), or None if none are kept."""
        if not (self.follows_lines and self._kept.line.used):
            return None
        if self._kept.raw is None:
            self._kept.raw = np.empty((self.n_classes, self.n_samples))
        return self._kept.raw

    def _proba_buffer(self):
        """The kept probabilities' matrix (n_classes, n_samples), allocated on first use."""
        if self._kept.proba is None:
            self._kept.proba = np.empty((self.n_classes, self.n_samples), self._proba_dtype)
        return self._kept.proba

    def _keep_probabilities(self, coef):
        """The probabilities at ``coef`` into the kept matrix: the products ``X W^T`` only.

        For second-order methods at a point whose gradient was not taken here
        (tall data's passes keep none; a subsample's Hessian products follow
        the full gradient): the gradient's product ``R^T X`` is spared.
        """
        weights, intercept = self._pass_parts(coef)
        proba, kept_raw = self._proba_buffer(), None
        self._kept.coef = None  # invalid while being overwritten
        if self.n_classes == 2:
            difference, offset = self._difference(weights, intercept)

            def work(rows, block):
                _two_class_proba(self._two_class_raw(block, difference, offset), proba, rows)
                return ()

        else:
            (operand, offset), kept_raw = self._operand(weights, intercept), self._raw_buffer()

            def work(rows, block):
                raw = self._raw_block(block, operand, offset, kept_raw, rows)
                proba[:, rows] = _softmax_block(raw, self.y[rows])[0]
                return ()

        self.chunks.map_reduce(work, width=self.n_classes, products_only=True, native=self._native)
        self._kept.coef = np.array(coef, copy=True)
        if kept_raw is not None:
            self._kept.raw_at = self._kept.coef

    def hessp(self, coef):
        """The Hessian-vector product at ``coef``, as a function of a vector.

        For a direction ``V`` (same layout as ``coef``), with ``Q = X V_W^T +
        V_b`` its raw-prediction image, the loss Hessian of sample ``i`` in
        raw-prediction space is ``diag(p_i) - p_i p_i^T``, so::

            T_i     = s_i/S * (p_i * q_i - p_i * (p_i . q_i))
            (H V)_W = T^T X,        (H V)_b = sum_i T_i.

        The function stays at ``coef``: if a later pass at another point
        overwrote the kept probabilities, it computes them again. Where the
        data term follows lines (``follows_lines``) it is a
        :class:`~.base.Product`: after its ``follow()`` it writes each
        vector's image ``Q`` where :mod:`._lines` keeps it, and ``take(a)``
        adds ``a`` times the last vector to the direction.
        """
        point = np.array(coef, dtype=np.float64, copy=True)
        proba = self._proba_at(point)
        mark = self._kept.coef  # replaced by every pass that rewrites the probabilities
        line = self._kept.line if self.follows_lines else None

        def product(vector):
            nonlocal proba, mark
            if self._kept.coef is not mark:
                proba = self._proba_at(point)
                mark = self._kept.coef
            if self._native:
                vector = _without_class_shift(vector, self.shape)
            v_weights, v_intercept = self._pass_parts(vector)
            operand, offset = self._operand(v_weights, v_intercept)
            images = None
            if line is not None and line.owner is point:
                images = line.last_buffer((self.n_classes, self.n_samples))

            def work(rows, block):
                # the twin's kept float32 probabilities serve as they are
                p = proba[:, rows] if self._native else proba_rows(proba, rows)
                q = self._raw_block(block, operand, offset, images, rows)
                q *= p
                q -= p * q.sum(axis=0)
                q *= self._pass_weights(rows)
                hv_weights = self._times_block(q, block)
                return hv_weights, q.sum(axis=1) if v_intercept is not None else 0.0

            hv_weights, hv_intercept = self.chunks.map_reduce(
                work, width=2 * self.n_classes, products_only=True, native=self._native,
                sums=self.n_classes,
            )  # fmt: skip
            if images is not None:
                line.vector = vector
            hv = self._join(hv_weights, hv_intercept)
            # its class sums are zero too (the Hessian is symmetric), float32's rounding aside
            return _without_class_shift(hv, self.shape) if self._native else hv

        if line is None:
            return product
        # this product's direction: any older one's takes are ignored from then on
        return Product(product, lambda step: line.take(point, step), lambda: line.start(point))
