"""Raw predictions carried along a Newton direction: gradient passes on its line without ``X W^T``.

A truncated Newton step is ``D = sum_i a_i v_i``, summed by conjugate
gradients over the vectors ``v_i`` of their Hessian-vector products, and
its line search evaluates ``f`` and its gradient at points ``c + s D``.
Each product computes the image ``X v_i + b_i`` of its vector (its raw
predictions) on the way; summed with the same ``a_i`` (:meth:`Line.take`,
which the solver calls with each ``a_i``) they are the image of ``D``, and
the raw predictions at ``c + s D`` are those kept at ``c`` plus ``s`` times
that image. The gradient pass there needs only its product ``R^T X``: half
of a pass over ``X``, on the sparse-text data of ``benchmarks/bench_fit.py``
5 of the 42 products of a default fit's first five steps.

The solver asks for it (``follow()`` on the product, before the first
one), and the data term keeps raw predictions from then on: solvers that
never ask (L-BFGS, the proximal Newton's local models) pay nothing. The data
term recognises the points on the line itself (:func:`along`): the
requested coefficients minus the kept ones must be a multiple of ``D`` up to
a class shift (the same vector added to every class: it adds one number to
every class's raw prediction of a row, which changes no probability, and it
is what :meth:`~sk_softmax.solvers._smooth.SmoothObjective.canonical_step`
adds to a step), to a relative ``_RHO`` of the step's effect on the raw
predictions, column by column weighted by the column's largest value. Anything else
(another direction, a step too small for the coefficients' rounding to leave
it on the line) takes the full pass, which makes the raw predictions exact
again. The kept raw predictions are those of the kept point up to one number
a row (the class shifts): the softmax, and everything computed from it, does
not see that number; nothing else may read them.
"""

import numpy as np
from scipy import sparse
from scipy.linalg.blas import daxpy as axpy

# The largest deviation from the line, relative to the step (both as bounds of
# their effect on the raw predictions), of a point whose raw predictions come
# from the line: the pass evaluates the point on the line instead, an error of
# the step a billion times below what the conjugate gradients leave (their
# residual targets are 1e-1 to 1e-6 of the gradient).
_RHO = 1e-9


class Line:
    """A direction as conjugate gradients sum it, and its image in raw predictions.

    ``direction`` (the coefficients' layout, raveled) and ``image`` (n_classes,
    n_samples) are None until the first :meth:`take`; ``last`` holds the
    image of the last product's vector ``vector`` until the solver takes it.
    ``owner``: the Hessian-vector product that builds the current direction
    (a product that follows starts a new one; an older one's takes are
    ignored). ``used``: whether any solver has followed a direction here (the
    data term keeps raw predictions from then on).
    """

    __slots__ = ("direction", "image", "last", "vector", "owner", "used")

    def __init__(self):
        self.direction = self.image = self.last = self.vector = self.owner = None
        self.used = False

    def start(self, owner):
        """A new, empty direction built by the products of ``owner``."""
        self.owner, self.direction, self.vector, self.used = owner, None, None, True

    def last_buffer(self, shape):
        """Where a product writes its vector's image (n_classes, n_samples)."""
        if self.last is None:
            self.last = np.empty(shape)
        return self.last

    def take(self, owner, step):
        """Add ``step`` times the last product's vector, and its image, to the direction.

        The vector is the product's argument itself, not a copy: the caller
        takes its step before it changes the vector (conjugate gradients
        make a new one each time).
        """
        if owner is not self.owner or self.vector is None:
            return
        if self.direction is None:  # the scaled image becomes the sum: no copy
            np.multiply(self.last, step, out=self.last)
            self.image, self.last = self.last, self.image
            self.direction = step * np.asarray(self.vector, dtype=np.float64).ravel()
        else:  # BLAS's y += a x: one pass over each, no temporary
            axpy(self.last.ravel(), self.image.ravel(), a=step)
            axpy(np.asarray(self.vector, dtype=np.float64).ravel(), self.direction, a=step)
        self.vector = None


def along(line, kept, coef, shape, column_bound):
    """``s`` with ``coef = kept + s D`` plus a class shift (to ``_RHO``), or None.

    ``D`` is ``line.direction``; ``kept`` the point whose raw predictions are
    kept. Both are compared with their class means taken out (the part a
    class shift cannot change). ``column_bound``: the largest absolute value
    of each column of the data (one more, 1, for the intercept), so that the
    remainder off the line and the step are weighed by what they can change
    in a raw prediction: a remainder on a column of large values counts as
    much as it moves the predictions.
    """
    direction = line.direction
    if direction is None or kept is None:
        return None
    step = np.reshape(coef, shape) - np.reshape(kept, shape)
    step -= step.mean(axis=0)
    direction = direction.reshape(shape) - direction.reshape(shape).mean(axis=0)
    norm = float(np.vdot(direction, direction))
    if not norm > 0:
        return None
    s = float(np.vdot(step, direction)) / norm
    step -= s * direction
    off = np.abs(step) @ column_bound  # per class, bounds of the raw predictions' changes
    moved = np.abs(direction) @ column_bound
    if not np.all(off <= _RHO * abs(s) * np.max(moved)):
        return None
    return s


def step_along(datafit, coef):
    """``s`` if ``coef`` is on the line ``datafit`` keeps, at ``s`` from its kept point, else None.

    Only where its kept raw predictions are at its kept point (no pass has
    moved that point without them). At a cold start's zero weights, which a
    pass took before any solver followed a direction, they are the
    intercepts: written here.
    """
    kept = datafit._kept
    if kept.coef is None or not kept.line.used or kept.line.direction is None:
        return None
    if kept.raw_at is not kept.coef:
        weights, intercept = datafit._split(kept.coef)
        if weights.any():
            return None
        raw = datafit._raw_buffer()
        raw[...] = 0.0 if intercept is None else intercept[:, None]
        kept.raw_at = kept.coef
    if datafit._column_bound is None:
        datafit._column_bound = column_bound(datafit.X, datafit.fit_intercept)
    return along(kept.line, kept.coef, coef, datafit.shape, datafit._column_bound)


def column_bound(X, fit_intercept):
    """The largest absolute value of each column of CSR or CSC ``X``, and 1 for the intercept.

    A chunk of the stored values at a time, never a copy of ``X``
    (``abs(X).max(axis=0)`` made two, 118 MB for the 60 MB of the sparse-text
    data of ``benchmarks/bench_fit.py``, in 0.17 s; this takes 3 MB and 0.02
    s). An entry stored twice counts by its parts: a weighting, not a bound,
    there.
    """
    bound = np.zeros(X.shape[1])
    if X.format == "csr":
        for start in range(0, X.nnz, _CHUNK):
            part = slice(start, start + _CHUNK)
            np.maximum.at(bound, X.indices[part], np.abs(X.data[part]))
    else:  # CSC: a column's values are contiguous
        for first in range(0, X.shape[1], _CHUNK_COLUMNS):
            ends = X.indptr[first : first + _CHUNK_COLUMNS + 1]
            values = np.abs(X.data[ends[0] : ends[-1]])
            stored = np.flatnonzero(np.diff(ends))
            if stored.size:
                bound[first + stored] = np.maximum.reduceat(values, ends[stored] - ends[0])
    return np.append(bound, 1.0) if fit_intercept else bound


# Stored values (CSR), and columns (CSC), a chunk of column_bound takes at a time.
_CHUNK = 1 << 18
_CHUNK_COLUMNS = 4096


def worth_following(datafit):
    """Whether ``datafit`` should follow Newton directions (:mod:`._lines`).

    Sparse data with more than two classes (two take one difference vector a
    pass), in float64, keeping its probabilities (not tall data, whose
    Hessian comes from a subsample), where a product ``X W^T`` costs clearly
    more than what following adds to every product and gradient pass: a copy
    of the raw predictions (n_classes x n_samples) and an update of the
    image. Measured (default fits, one core, against not following): sparse
    text of 100000 x 100000, 10 classes, 47 values a row 0.93 of the time
    (0.91 to the gap 1e-6 of ``benchmarks/bench_fit.py``), of 10 values a row
    1.03; dense 20000 x 300 x 10 0.95, 20000 x 100 x 10 1.00, 5000 x 1000 x 10
    0.99, tables of 16 to 64 columns 0.97 to 1.20 (letter-like 20000 x 16 x
    26: 1.20, a noisy figure): dense blocks multiply at BLAS speed, too fast
    for the copies to pay, so dense data do not follow.
    """
    if datafit.n_classes <= 2 or not datafit._keep_proba or datafit._proba_dtype != np.float64:
        return False
    X = datafit.X
    return sparse.issparse(X) and X.nnz >= _LINE_VALUES * X.shape[0]


# Stored values a row of sparse X from which following lines pays.
_LINE_VALUES = 32
