"""A path's compact data term in another ``C``'s column scales, its design shared.

:class:`Rescaled` maps the coefficients of one ``C``'s standardised
coordinates onto the :class:`~sk_softmax.datafits.standardized.Compact`
data term of another's on the same rows (see its docstring).
"""

import numpy as np

from .base import composed
from .standardized import Compact, _tame, _Wrapper


class Rescaled(_Wrapper):
    """A :class:`Compact` data term in other column scales, its design shared.

    Along a path over ``C`` the column scales ``sigma = sqrt(std^2 + alpha)``
    move with ``C`` while the rows, weights and centres stay: the design
    ``Z' = (X - mu) / sigma'`` is ``Z`` times ``ratio = sigma / sigma'`` per
    column (1 on the ones column). So ``f'(theta) = f(theta * ratio)``, its
    gradient ``ratio * g``, its Hessian ``R H R`` (``R = diag(ratio)``):
    every method maps the small coefficient vector and reads the shared
    data term, whose kept design and packed outer products
    (:meth:`~sk_softmax.datafits._second_order.SecondOrder.class_hessian`)
    are then built once per path instead of once per ``C``. Before it, in a
    profile of ``SoftmaxClassifierCV`` on 5 folds x 10 Cs of a 2310 x 19 x 7
    look-alike table (``benchmarks/bench_cv.py``'s), the 51 builds of the
    outer products took 14% of the search's time.

    Parameters
    ----------
    datafit : Compact or Rescaled
        The data term in its own coordinates (a path's first ``C``).
    coordinates : Coordinates
        The new coordinates: the same centres, other scales.
    """

    def __init__(self, datafit, coordinates):
        if isinstance(datafit, Rescaled):  # share the original design, not a chain of maps
            datafit = datafit.inner
        self.inner = datafit
        self.coordinates = coordinates
        self.shape = datafit.shape
        ratio = datafit.coordinates.scale / coordinates.scale
        if coordinates.fit_intercept:
            ratio = np.append(ratio, 1.0)
        self._dof_ratio = ratio  # per column of a class row
        self._ratio = np.tile(ratio, self.shape[0])  # per raveled coefficient

    @classmethod
    def of(cls, datafit, coordinates):
        """``datafit`` in ``coordinates`` without a new design, or None if it cannot be shared.

        Shared when ``datafit`` is a :class:`Compact` (or a Rescaled one) with
        the same centres and intercept (a path's next ``C`` on the same rows),
        and the new coordinates are ones a Compact may hold: at ``C = inf``
        the scales fall to the columns' spreads, which for a column of 1e-160
        are beyond the compact form (see :func:`in_coordinates`), while the
        path's first ``C`` was not.
        """
        base = datafit.inner if isinstance(datafit, Rescaled) else datafit
        if not isinstance(base, Compact) or not _tame(coordinates):
            return None
        own = base.coordinates
        if own.fit_intercept != coordinates.fit_intercept or not np.array_equal(
            own.mean, coordinates.mean
        ):
            return None
        with np.errstate(over="ignore", under="ignore"):
            squared = (own.scale / coordinates.scale) ** 2  # the Hessian's factor
        if not np.all(np.isfinite(squared) & (squared > 0)):
            return None
        return cls(base, coordinates)

    def loss_original(self, coef):
        """The data term at coefficients in the original coordinates."""
        return self.inner.loss_original(coef)

    def _classes_ratio(self, classes):
        return np.tile(self._dof_ratio, len(classes))

    def columns(self, index):
        """The feature columns ``index`` alone, in the same coordinates."""
        return Rescaled(self.inner.columns(index), self.coordinates.columns(index))

    def loss(self, coef):
        return self.inner.loss(coef * self._ratio)

    def loss_gradient(self, coef):
        value, grad = self.inner.loss_gradient(coef * self._ratio)
        return value, grad * self._ratio

    def hessp(self, coef):
        product, ratio = self.inner.hessp(coef * self._ratio), self._ratio
        return composed(product, lambda vector: product(vector * ratio) * ratio)

    @staticmethod
    def _both_sides(matrix, ratio):
        return matrix * np.outer(ratio, ratio)  # a new array: the inner one may keep its own

    def hessian(self, coef):
        return self._both_sides(self.inner.hessian(coef * self._ratio), self._ratio)

    def hessian_diagonal(self, coef):
        return self.inner.hessian_diagonal(coef * self._ratio) * self._ratio**2

    def class_blocks(self, coef, max_rows=None):
        blocks = self.inner.class_blocks(coef * self._ratio, max_rows=max_rows)
        return blocks * np.outer(self._dof_ratio, self._dof_ratio)

    def two_class_hessian(self, coef):
        data = self.inner.two_class_hessian(coef * self._ratio)
        return self._both_sides(data, self._dof_ratio)

    def class_hessian(self, coef, classes):
        hess = self.inner.class_hessian(coef * self._ratio, classes)
        return self._both_sides(hess, self._classes_ratio(classes))

    def score_outer(self, coef, classes, class_factor=None):
        outer = self.inner.score_outer(coef * self._ratio, classes, class_factor)
        return self._both_sides(outer, self._classes_ratio(classes))

    def score_sums(self, coef, classes, groups, n_groups):
        sums = self.inner.score_sums(coef * self._ratio, classes, groups, n_groups)
        return sums * self._classes_ratio(classes)
