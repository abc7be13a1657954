"""The data term's protocol: what every backend's cross-entropy offers the solvers.

A datafit is the weighted mean softmax cross-entropy of a linear model as a
function of its coefficients, with no penalty::

    f(W, b) = 1/S * sum_i s_i * CE_i,    CE_i = logsumexp(o_i) - o_{i, y_i},

``o_i = W x_i + b``, ``S = sum_i s_i``. Coefficients are vectors raveled in
C order from shape ``shape = (n_classes, n_dof)``, ``n_dof = n_features +
fit_intercept``, the intercept in the last column. The penalty is a separate
object (:mod:`sk_softmax.penalties`); a solver adds the two.

Every backend (NumPy and SciPy arrays, Array API namespaces, dask arrays)
implements every method below, so a solver never asks whether one exists:
it declares the methods it needs (``Solver.datafit_methods``) and the fit
pipeline checks them once, up front. ``mean`` and ``scale`` (vectors of
``n_features``), where a method takes them, ask for the derivative with
respect to the coefficients of the standardised features ``(x - mean) /
scale`` instead (:mod:`sk_softmax.datafits.standardized`), computed on
standardised blocks so that features near 1e300 cannot overflow.
"""

import numpy as np

#: The methods of the protocol, in the order the docs list them.
METHODS = (
    "loss",
    "loss_gradient",
    "hessp",
    "hessian",
    "hessian_diagonal",
    "class_blocks",
    "two_class_hessian",
    "class_hessian",
    "score_outer",
    "score_sums",
    "subsample",
    "in_float32",
    "columns",
)


class Datafit:
    """Base class of the data terms: documents the protocol, gives two defaults.

    Attributes
    ----------
    shape : tuple of int
        ``(n_classes, n_dof)``.
    n_samples : int
        Rows of the data.
    n_weighted : int
        Rows of positive weight.

    Methods every subclass implements
    ---------------------------------
    loss(coef) -> float
    loss_gradient(coef) -> (float, ndarray of shape (n_classes * n_dof,))
        Also keeps what Hessian products at the same point need.
    hessp(coef) -> callable
        ``v -> H v`` at ``coef``; a :class:`Product` (``follow``, ``take``)
        where the data term can follow the solver's directions.
    hessian(coef, mean=None, scale=None) -> ndarray of shape (n_classes * n_dof,) * 2
    hessian_diagonal(coef, mean=None, scale=None) -> ndarray of shape (n_classes * n_dof,)
    class_blocks(coef, mean=None, scale=None, max_rows=None)
        -> ndarray of shape (n_classes, n_dof, n_dof): the Hessian's diagonal
        blocks, estimated from about ``max_rows`` rows when given.
    columns(index) -> Datafit
        The same data term on the feature columns ``index`` only (the
        working sets of the proximal Newton solver).
    class_hessian(coef, classes, mean=None, scale=None)
        -> ndarray of shape (len(classes) * n_dof,) * 2: the Hessian's rows
        and columns of the classes ``classes`` (class indices, in that
        order); with every class but a baseline, the Hessian of the
        baseline parameterisation.

    The per-sample scores ``g_i = (p_i - e_{y_i}) (x) x~_i`` (the gradient
    of sample ``i``'s cross-entropy; ``x~_i = [x_i, 1]`` with an intercept),
    restricted to the entries of the classes ``classes``, for the sandwich
    covariances of :func:`sk_softmax.inference`:

    score_outer(coef, classes, class_factor=None, mean=None, scale=None)
        -> ndarray of shape (len(classes) * n_dof,) * 2:
        ``sum_i s_i/S c_{y_i} g_i g_i^T``, ``c`` a vector of n_classes
        (ones by default).
    score_sums(coef, classes, groups, n_groups, mean=None, scale=None)
        -> ndarray of shape (n_groups, len(classes) * n_dof): row ``g`` is
        ``sum_{i: groups_i = g} s_i/S g_i``; ``groups`` holds integer codes
        in ``range(n_groups)``, an array of the backend's kind aligned with
        the rows.
    """

    def two_class_hessian(self, coef, mean=None, scale=None):
        """Two classes' Hessian as one ``n_dof`` block ``D``: ``H = [[D, -D], [-D, D]]``.

        With ``p_1 = 1 - p_0`` every block of the data term's Hessian is
        ``+-D``. This default reads ``D`` off :meth:`hessian`; backends
        compute it directly, at a quarter of the cost.
        """
        n_dof = self.shape[1]
        return -self.hessian(coef, mean, scale)[:n_dof, n_dof:]

    def subsample(self, n_rows, seed=0):
        """The same data term on ``n_rows`` random rows of positive weight, or None.

        For tall data the Newton solvers take their Hessian from such a
        sample (:mod:`sk_softmax.solvers._subsample`). None (this default)
        when the backend cannot draw one, or there is nothing to gain.
        """
        return None

    # The relative precision of the passes' arithmetic: a line search trusts values to
    # about 64 times it (float32's on a data term's float32 twin, ``in_float32``).
    eps = float(np.finfo(np.float64).eps)

    def in_float32(self):
        """The same data term with its passes in float32 arithmetic, or None.

        For dense data beyond the cache, a Newton solver's iterations before
        a float64 confirmation (:func:`sk_softmax.solvers._damped.newton`). None (this
        default) when the backend has none, or there is nothing to gain.
        """
        return None


class Product:
    """A Hessian-vector product ``v -> H v`` that can follow the direction it helps build.

    ``follow()``, before the first product: the caller sums its direction from
    these products' vectors, and ``take(a)`` tells it added ``a`` times the
    last one (conjugate gradients' steps): the NumPy data term then carries
    the direction's raw predictions to the line search (:mod:`._lines`).
    Wrappers that map coefficients linearly (:func:`composed`) pass both on.
    """

    __slots__ = ("_apply", "take", "follow")

    def __init__(self, apply, take, follow):
        self._apply = apply
        self.take = take
        self.follow = follow

    def __call__(self, vector):
        return self._apply(vector)


def composed(product, apply):
    """``apply`` (a product in other coordinates, through ``product``) with ``product``'s methods.

    For maps linear in the coefficients only: the direction ``product``
    follows is then the map of the caller's. A plain function when
    ``product`` follows none.
    """
    if not isinstance(product, Product):
        return apply
    return Product(apply, product.take, product.follow)


def split_intercept(coef, shape, fit_intercept):
    """``(W, b)`` views of a raveled coefficient vector (``b`` None without intercept)."""
    coef = np.asarray(coef).reshape(shape)
    if fit_intercept:
        return coef[:, :-1], coef[:, -1]
    return coef, None
