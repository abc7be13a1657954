"""The smooth objective the Newton and L-BFGS solvers minimise: data term plus penalty.

For a smooth penalty (L2) the objective ``f = datafit + penalty`` has the
derivatives of both added: the penalty contributes its gradient and its
curvature, a diagonal of one value per column of ``[X, 1]``
(``penalty.curvature()``), to every Hessian form the data term offers. One
object with the data term's own interface, so that every second-order
method of the solvers reads like the textbook.
"""

import functools

import numpy as np

from ..datafits.base import composed


class SmoothObjective:
    """``datafit(coef) + penalty(coef)`` with the data term's interface.

    Parameters
    ----------
    datafit : Datafit
        Any backend, in the solver's coordinates.
    penalty : smooth penalty (``gradient``, ``curvature``) in the same coordinates.
    origin : Datafit, default=None
        For a float32 twin (:meth:`in_float32`), the float64 data term it stands for.
    """

    def __init__(self, datafit, penalty, origin=None):
        self.datafit = datafit
        self.penalty = penalty
        self.shape = datafit.shape
        self._curvature = penalty.curvature()
        self._flat_curvature = penalty.flat_curvature(self.shape[0] * self.shape[1])
        self._projector_index = None  # made when first asked (on Python 3.11 a
        # functools.cached_property takes a lock: 10 us a fit)
        self.origin = origin  # a float32 twin's: the float64 data term it stands for

    @property
    def projector_index(self):
        """Flat positions ``((k, j), (l, j))`` of the Hessian, every class pair, free ``j``.

        Where the Newton step's projector onto the flat directions (adding
        the same vector to every class row along the free columns: the
        intercept, or every column when unpenalised) adds to the Hessian
        (:func:`~.newton.newton_system`); read-only.
        """
        if self._projector_index is None:
            free = np.flatnonzero(self.penalty.free_columns())
            self._projector_index = _projector_index(*self.shape, tuple(free.tolist()))
        return self._projector_index

    @property
    def n_samples(self):
        return self.datafit.n_samples

    @property
    def n_weighted(self):
        return self.datafit.n_weighted

    @property
    def eps(self):
        """The relative precision of the data term's passes (``Datafit.eps``)."""
        return self.datafit.eps

    def free_columns(self):
        """The columns whose shift across classes changes nothing (see ``sk_softmax.penalties``)."""
        return self.penalty.free_columns()

    def canonical_step(self, coef, grad, step):
        """``step`` with its part along the shifts of the rows across classes made exact.

        Adding one vector to every class row leaves the data term as it is
        and changes only the penalty, a quadratic whose minimum is the rows
        summing to zero (``penalty.canonical``, which centres the free
        columns by convention): the exact step along those directions ends
        there. A step of conjugate gradients preconditioned by the class
        blocks (which differ from class to class), or on a subsample's
        Hessian corrected by secant pairs, leaves them nearly untouched:
        their curvature, the penalty's ``1 / (C S)``, is below what its
        residual target sees, and the rows then carry a class-mean part
        that later steps pay to remove. From rows that sum to zero (where
        the steps leave them) a descent direction stays one: the part
        replaced is then a step to the minimum of a quadratic. A step that
        the replacement would make no descent direction is returned as it
        came.
        """
        exact = self.penalty.canonical(coef + step).ravel() - coef
        return exact if grad @ exact < 0 else step

    def subsample(self, n_rows, seed=0):
        """The same objective with the data term of ``n_rows`` random rows, or None."""
        sample = self.datafit.subsample(n_rows, seed)
        return None if sample is None else SmoothObjective(sample, self.penalty)

    def in_float32(self):
        """This objective with float32 passes (``Datafit.in_float32``), or None."""
        twin = self.datafit.in_float32()
        if twin is None:
            return None
        return SmoothObjective(twin, self.penalty, origin=self.datafit)

    def columns(self, index):
        """The objective on the feature columns ``index`` alone (the intercept kept)."""
        return SmoothObjective(self.datafit.columns(index), self.penalty.columns(index))

    def loss(self, coef):
        return self.datafit.loss(coef) + self.penalty.value(coef)

    def loss_gradient(self, coef):
        value, grad = self.datafit.loss_gradient(coef)
        return value + self.penalty.value_add_gradient(grad, coef), grad

    def hessp(self, coef):
        product = self.datafit.hessp(coef)
        curvature = self._flat_curvature
        return composed(product, lambda vector: product(vector) + curvature * vector)

    def hessian(self, coef):
        hess = self.datafit.hessian(coef)
        _add_to_diagonal(hess, self._flat_curvature)
        return hess

    def hessian_diagonal(self, coef):
        return self.datafit.hessian_diagonal(coef) + self._flat_curvature

    def class_blocks(self, coef, max_rows=None):
        blocks = self.datafit.class_blocks(coef, max_rows=max_rows)
        n_dof = blocks.shape[1]
        blocks[:, np.arange(n_dof), np.arange(n_dof)] += self._curvature
        return blocks

    def two_class_parts(self, coef):
        """Two classes' Hessian as ``(D, a)``: ``H_00 = H_11 = D + diag(a)``, ``H_01 = -D``."""
        return self.datafit.two_class_hessian(coef), self._curvature


@functools.lru_cache(maxsize=32)
def _projector_index(n_classes, n_dof, free):
    """:attr:`SmoothObjective.projector_index` of a shape and its free columns (a tuple).

    Cached (read-only): every fit builds a new objective, and on data that fit
    in a millisecond the index took 2% of it.
    """
    rows = np.arange(n_classes)[:, None] * n_dof + np.asarray(free, dtype=np.intp)
    size = n_classes * n_dof
    index = (rows[:, None, :] * size + rows[None, :, :]).ravel()  # (k, j), (l, j)
    index.flags.writeable = False
    return index


def _add_to_diagonal(matrix, values):
    """``matrix[i, i] += values[i]`` (or a scalar ``values``) in place.

    A strided view of the diagonal when ``matrix`` is C-contiguous.
    """
    if matrix.flags.c_contiguous:
        matrix.reshape(-1)[:: matrix.shape[0] + 1] += values
    else:
        matrix[np.diag_indices_from(matrix)] += values
