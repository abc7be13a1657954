"""The data term in standardised coordinates: the solvers' preconditioner.

With column centres ``mu`` and spreads ``std`` (``mu = 0`` without an
intercept), the scales are ``sigma = sqrt(std^2 + c)`` with ``c`` the
penalty's curvature along a weight (``alpha`` for the L2 penalty, see
:meth:`sk_softmax.penalties.L2.scaling_curvature`): the curvature along
``W_kj`` is about ``std_j^2 p (1 - p)`` from the data plus ``c`` from the
penalty, so in the new coordinates it is of order one for every column,
constant ones and tiny ones included. The new parameters of class ``k`` are
``W'_k = W_k * sigma`` and ``b'_k = b_k + W_k . mu``: the coefficients a
model would have on the standardised features ``(x - mu) / sigma``. The
function is the same, ``f'(theta') = f(M theta')`` with, per class row,

    W_k = W'_k / sigma,        b_k = b'_k - (W'_k / sigma) . mu,

so every solver reaches the same optimum, mapped back exactly.

Two forms of the same data term:

- :class:`Standardized` wraps any datafit: ``X`` is never centred or scaled
  (sparse data stay sparse, dask chunks stay on their workers); the map acts
  on the small coefficient matrix.
- :class:`Compact`: for small dense data (one row block's worth of values),
  the design matrix ``Z = [(X - mu) / sigma, 1]`` is built once in float64
  and the data term is plain :class:`~sk_softmax.datafits.numpy.SoftmaxDatafit`
  on it. On data that fit in a millisecond, mapping coefficients and
  gradients at every evaluation costs as much as the arithmetic. Along a
  path over ``C`` the next ``C``'s coordinates share that design
  (:class:`~sk_softmax.datafits.rescaled.Rescaled`).

The penalty is not mapped here: it acts on ``W = W' / sigma`` only, so in the
new coordinates it is the same penalty with per-column strengths
(:meth:`sk_softmax.penalties.L2.in_coordinates`).
"""

import copy

import numpy as np
from scipy import sparse

from ._blocks import _BLOCK_VALUES
from ._float32_range import spreads_inside_float32
from .base import Datafit, composed
from .numpy import SoftmaxDatafit


def standard_scales(std, curvature):
    """``sigma = sqrt(std^2 + curvature)``, 1 where that is 0 or not finite."""
    scale = np.hypot(np.asarray(std, dtype=np.float64), np.sqrt(curvature))  # no overflow
    scale[~((scale > 0) & np.isfinite(scale))] = 1.0
    return scale


class Coordinates:
    """The map ``M`` between original and standardised coefficients.

    Parameters
    ----------
    mean : ndarray of shape (n_features,)
        Column centres; ignored (zeros) without an intercept.
    scale : ndarray of shape (n_features,)
        Positive column scales (:func:`standard_scales`).
    fit_intercept : bool
    spread : ndarray of shape (n_features,), default=None
        The columns' standard deviations, if known: with ``mean``, whether
        float32 sums over the columns keep their digits
        (:meth:`Standardized.in_float32`).

    Coefficient matrices have shape (n_classes, n_dof), intercept last; the
    methods take them raveled or not and return the same shape.
    """

    def __init__(self, mean, scale, fit_intercept, spread=None):
        self.scale = np.asarray(scale, dtype=np.float64)
        mean = np.asarray(mean, dtype=np.float64)
        self.mean = mean if fit_intercept else np.zeros_like(mean)
        self.fit_intercept = fit_intercept
        self.n_features = self.scale.shape[0]
        self.spread = None if spread is None else np.asarray(spread, dtype=np.float64)

    def _matrix(self, coef):
        n_dof = self.n_features + int(self.fit_intercept)
        return np.array(np.reshape(coef, (-1, n_dof)), dtype=np.float64, copy=True)

    def columns(self, index):
        """The map of the feature columns ``index`` alone."""
        spread = None if self.spread is None else self.spread[index]
        return Coordinates(self.mean[index], self.scale[index], self.fit_intercept, spread)

    def to_original(self, coef):
        """``theta = M theta'``."""
        out = self._matrix(coef)
        out[:, : self.n_features] /= self.scale
        if self.fit_intercept:
            out[:, -1] -= out[:, : self.n_features] @ self.mean
        return out.reshape(np.shape(coef))

    def to_standardized(self, coef):
        """``theta' = M^{-1} theta``."""
        out = self._matrix(coef)
        if self.fit_intercept:
            out[:, -1] += out[:, : self.n_features] @ self.mean
        out[:, : self.n_features] *= self.scale
        return out.reshape(np.shape(coef))

    def pull_back(self, grad, n_classes):
        """``M^T g``: a gradient (or Hessian product) in the new coordinates.

        ``grad`` may carry trailing axes (columns of a matrix): shape
        ``(n_classes * n_dof, m)`` is pulled back column by column.
        """
        n_dof = self.n_features + int(self.fit_intercept)
        out = grad.reshape(n_classes, n_dof, -1).copy()
        d = self.n_features
        if self.fit_intercept:
            out[:, :d, :] -= out[:, -1:, :] * self.mean[None, :, None]
        out[:, :d, :] /= self.scale[None, :, None]
        return out.reshape(grad.shape)


class _Wrapper(Datafit):
    """A data term that maps coefficients onto another one, ``inner``, on the same rows."""

    @property
    def n_samples(self):
        return self.inner.n_samples

    @property
    def n_weighted(self):
        return self.inner.n_weighted

    @property
    def total_weight(self):
        return self.inner.total_weight

    @property
    def eps(self):
        return self.inner.eps

    def rows(self, index):
        """The rows ``index`` alone, in the same coordinates, or None if they weigh nothing."""
        return self._around(self.inner.rows(index))

    def subsample(self, n_rows, seed=0):
        return self._around(self.inner.subsample(n_rows, seed))

    def in_float32(self):
        return self._around(self.inner.in_float32())

    def _around(self, inner):
        """This map around ``inner`` (some rows of this one's), or None if ``inner`` is None."""
        if inner is None:
            return None
        other = copy.copy(self)
        other.inner = inner
        return other


class Standardized(_Wrapper):
    """A datafit in standardised coordinates, ``f'(theta') = f(M theta')``.

    Parameters
    ----------
    datafit : Datafit
        In the original coordinates (any backend).
    coordinates : Coordinates
    """

    def __init__(self, datafit, coordinates):
        self.inner = datafit
        self.coordinates = coordinates
        self.shape = datafit.shape

    def _original(self, coef):
        return self.coordinates.to_original(coef)

    def in_float32(self):
        """The float32 twin (``SoftmaxDatafit.in_float32``) where float32 keeps its digits, or None.

        Its products sum ``w_j x_j`` over the columns of ``X`` itself: on a
        column whose centre is ``k`` spreads from zero those terms are about
        ``k + 1`` times the centred ones, and the sum loses as much of
        float32's seven digits. Measured (24000 x 100 x 3, one core, against
        the float64 passes): centres at zero 0.74 times the time, at one
        spread 0.91, at 3 to 1000 spreads 1.0 to 1.4 times (the float32
        gradient stalls above ``tol`` and float64 iterations follow). So
        the twin serves only where the columns' centres lie within their
        spreads in root mean square, ``mean((m_j / s_j)^2) <= 1``: rounding
        errors of random sign add in squares, so the offset terms then add
        at most as much rounding as the centred ones, whether all columns
        sit one spread from zero or a few further (on 24000 x 100 x 3, 3
        columns at 3 spreads: 0.62 of the time on float32 data). A constant
        column away from zero: no twin. Without an intercept the centres
        are not measured (the spreads are root mean squares), and offset
        columns then act as one through the weights: no twin (5 float64
        iterations against 10 with it, on columns 1e4 spreads from zero, in
        a review's run). None too where
        the spreads are not known, and where a column's spread lies beyond
        ``2**±60``: float64 data are cast to float32 block by block, whose
        range (``2**±126``) must hold the values and the weights (about one
        over the spread) with room to spare, no value becoming subnormal
        (slow, and without digits) or infinite.
        """
        coordinates = self.coordinates
        spread = coordinates.spread
        if not coordinates.fit_intercept or spread is None:
            return None
        mean = np.abs(coordinates.mean)
        if np.any((spread == 0) & (mean > 0)):
            return None
        if np.mean((mean / np.where(spread > 0, spread, 1.0)) ** 2) > 1.0:
            return None
        if not spreads_inside_float32(spread):
            return None
        return super().in_float32()

    def loss_original(self, coef):
        """The data term at coefficients in the original coordinates."""
        return self.inner.loss(coef)

    def columns(self, index):
        """The feature columns ``index`` alone, in the same coordinates."""
        return Standardized(self.inner.columns(index), self.coordinates.columns(index))

    def loss(self, coef):
        return self.inner.loss(self._original(coef))

    def loss_gradient(self, coef):
        value, grad = self.inner.loss_gradient(self._original(coef))
        return value, self.coordinates.pull_back(grad, self.shape[0])

    def hessp(self, coef):
        product = self.inner.hessp(self._original(coef))
        pull_back, to_original, n_classes = (
            self.coordinates.pull_back,
            self._original,
            self.shape[0],
        )
        return composed(product, lambda vector: pull_back(product(to_original(vector)), n_classes))

    # M^T H M, computed on the standardised features directly: forming H first
    # would overflow for features near 1e300.
    def hessian(self, coef):
        c = self.coordinates
        return self.inner.hessian(self._original(coef), c.mean, c.scale)

    def hessian_diagonal(self, coef):
        c = self.coordinates
        return self.inner.hessian_diagonal(self._original(coef), c.mean, c.scale)

    def class_blocks(self, coef, max_rows=None):
        c = self.coordinates
        return self.inner.class_blocks(self._original(coef), c.mean, c.scale, max_rows=max_rows)

    def two_class_hessian(self, coef):
        c = self.coordinates
        return self.inner.two_class_hessian(self._original(coef), c.mean, c.scale)

    def class_hessian(self, coef, classes):
        c = self.coordinates
        return self.inner.class_hessian(self._original(coef), classes, c.mean, c.scale)

    def score_outer(self, coef, classes, class_factor=None):
        c = self.coordinates
        return self.inner.score_outer(self._original(coef), classes, class_factor, c.mean, c.scale)

    def score_sums(self, coef, classes, groups, n_groups):
        c = self.coordinates
        return self.inner.score_sums(
            self._original(coef), classes, groups, n_groups, c.mean, c.scale
        )


class Compact(SoftmaxDatafit):
    """:class:`SoftmaxDatafit` on the standardised design ``Z = [(X - mu) / sigma, 1]``.

    Without an intercept there is no ones column. Built as ``x / sigma - mu
    / sigma``: no overflow where ``x - mu`` would (``1e308 - -1e308``).
    """

    def __init__(self, X, y, n_classes, sample_weight, coordinates, n_threads=1):
        self.coordinates = coordinates
        d = X.shape[1]
        design = np.empty((X.shape[0], d + int(coordinates.fit_intercept)))
        np.divide(X, coordinates.scale, out=design[:, :d])
        design[:, :d] -= coordinates.mean / coordinates.scale
        if coordinates.fit_intercept:
            design[:, -1] = 1.0
        super().__init__(design, y, n_classes, sample_weight, False, n_threads, lines=True)
        self.ones_last = coordinates.fit_intercept

    def loss_original(self, coef):
        """The data term at coefficients in the original coordinates."""
        return self.loss(self.coordinates.to_standardized(coef))

    def columns(self, index):
        """The feature columns ``index`` alone (with the ones column): a Compact again."""
        keep = np.append(index, self.X.shape[1] - 1) if self.coordinates.fit_intercept else index
        sub = object.__new__(Compact)  # the design is already standardised: no rebuild
        sub.coordinates = self.coordinates.columns(index)
        X, weights = self.own_rows()
        SoftmaxDatafit.__init__(sub, X[:, keep], self.y, self.n_classes, weights, False,
                                self.chunks.n_threads)  # fmt: skip
        sub.ones_last = self.ones_last
        return sub


def _tame(coordinates):
    """Whether the compact form may hold data in ``coordinates`` (no extreme columns).

    The compact form never maps coefficients back while solving, so it
    would not see an optimum whose original coefficients overflow (features
    of 1e-310 need weights of 1e310): with such extreme columns, the
    general form, which evaluates ``f`` at the original coefficients.
    """
    scale, mean = coordinates.scale, coordinates.mean
    return bool(np.all(scale > 1e-150) and np.all(np.abs(mean) / 1e150 < scale))


def in_coordinates(X, y, n_classes, sample_weight, coordinates, n_threads=1):
    """The NumPy data term in the solvers' standardised coordinates.

    :class:`Compact` for dense ``X`` whose standardised copy (and the loss
    pass's ``n_classes`` values per row) fit in one row block's worth of
    values, else :class:`Standardized` over
    :class:`~sk_softmax.datafits.numpy.SoftmaxDatafit`, which never copies ``X``.
    """
    fit_intercept = coordinates.fit_intercept
    n_dof = X.shape[1] + int(fit_intercept)
    small = X.shape[0] * (n_dof + n_classes) <= _BLOCK_VALUES
    if small and _tame(coordinates) and not sparse.issparse(X):
        return Compact(X, y, n_classes, sample_weight, coordinates, n_threads)
    inner = SoftmaxDatafit(X, y, n_classes, sample_weight, fit_intercept, n_threads, lines=True)
    return Standardized(inner, coordinates)
