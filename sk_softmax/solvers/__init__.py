"""Solvers of the softmax objective: one module each, one protocol.

A solver minimises ``datafit(coef) + penalty(coef)`` over coefficient
vectors raveled from ``(n_classes, n_dof)``, in the standardised coordinates
the fit pipeline hands it, and knows nothing of labels, estimators or
parameter validation. Each declares the methods it needs of the data term
and of the penalty (:class:`~sk_softmax.solvers._base.Solver`); the pipeline
checks them up front. The objective is the sample-normalised one, so that
``tol`` means the same for 10 or 10 million samples.

- :mod:`.newton`: Newton's method with the exact Hessian ("newton-cholesky")
  and the damped Newton loop;
- :mod:`.cg`: truncated Newton on Hessian-vector products ("newton-cg");
- :mod:`.lbfgs`: scipy's L-BFGS-B ("lbfgs");
- :mod:`.prox_newton`: proximal Newton for the sparse penalties ("prox-newton");
- :mod:`._subsample`: subsampled Newton for tall data, used by all three;
- :mod:`.sgd`: ``solver="sgd"``, preconditioned SVRG on minibatch epochs;
- :mod:`.online`: the online Newton rule of ``partial_fit``.
"""

from ._base import Solver, SolverResult
from .cg import NewtonCG
from .lbfgs import LBFGS
from .newton import NewtonCholesky
from .prox_newton import ProxNewton

#: The full-batch solvers by name.
SOLVERS = {solver.name: solver for solver in (LBFGS(), NewtonCG(), NewtonCholesky(), ProxNewton())}


def choose_solver(n_dof, n_classes, n_samples):
    """The solver ``solver="auto"`` picks, from the problem's shape.

    ``newton-cholesky`` when an exact Hessian and its factorisation cost at
    most ``_HESSIAN_PRODUCTS`` Hessian-vector products (:func:`hessian_cost`)
    and the system it solves has at most ``_MAX_CHOLESKY`` rows (``n_dof``
    for two classes, ``K n_dof`` beyond), ``newton-cg`` otherwise.
    With the class-block preconditioner a Newton-CG step takes 5 to 20
    products on well-conditioned data and up to a hundred on strongly
    collinear data, where the exact Hessian (whose factor then serves
    several steps, :class:`~.newton.ReusedFactor`) is the safe choice while
    it costs no more than that. Measured on one core, newton-cholesky
    against newton-cg (before the Hessian's diagonal blocks became sums of
    the others; a Hessian's worth in products as it was then): look-alikes
    of texture (451 coefficients, a Hessian worth 66 products) 0.27 s
    against 2.6 s, of letter (442, 62) 0.28 against 0.32 s, of optdigits
    (650, 97) 0.47 against 0.70 s; digits
    (650, 110) 0.11 against 0.08 s, standardised 0.07 against 0.04 s; a
    look-alike of libras (1365 coefficients, 360 rows: the factorisation
    alone is worth 430 products) 0.18 against 0.007 s; a raw, collinear
    look-alike table of 100000 x 30 x 20 (620, 84) 2.0 against 5.2 s, but a
    well-conditioned one of that shape (``make_classification``) 1.8
    against 1.0 s: the exact Hessian loses less where it loses. On an AMD
    EPYC (session 18) with the cheaper Hessian: texture 0.28 against 0.89 s,
    optdigits 0.56 against 0.41 s, letter 0.29 against 0.15 s, digits 0.12
    against 0.08 s. The threshold is empirical: set where the choices on
    those tables stay as they were, although newton-cg was the faster on
    optdigits and letter on that machine. Sparsity does not
    enter: Hessian blocks are dense either way, and for sparse data with
    many features the size alone rules the Hessian out. On tall data both
    Newton solvers take their Hessian from a subsample
    (``_subsample.SampledDirection``), which divides either cost by the
    same factor.
    """
    size = n_dof if n_classes == 2 else n_dof * n_classes
    if size <= _MAX_CHOLESKY and hessian_cost(n_dof, n_classes, n_samples) <= _HESSIAN_PRODUCTS:
        return "newton-cholesky"
    return "newton-cg"


# "auto": the most Hessian-vector products a Hessian may cost for newton-cholesky,
# and the most rows of a Hessian it factorises. Empirical: 100 when a Hessian computed
# its K diagonal blocks on their own ((K + 1) (n_dof + 1) / 8 products a row); 85 since
# they are sums of the others (K - 1), which keeps every choice on the tables of
# benchmarks/bench_fit.py: digits (94) newton-cg, optdigits (81) newton-cholesky.
_HESSIAN_PRODUCTS = 85
_MAX_CHOLESKY = 2000


def hessian_cost(n_dof, n_classes, n_samples):
    """An exact Hessian and its Cholesky factorisation, in Hessian-vector products.

    What ``solver="auto"`` weighs (:func:`choose_solver`). Counted in
    multiply-adds: the ``K (K - 1) / 2`` blocks of pairs of distinct classes
    (which give the diagonal blocks too) of ``n_dof (n_dof + 1) / 2``
    entries each, per row, and ``(K n_dof)^3 / 6`` for the factorisation; a
    product ``2 n K n_dof``. Per row that is ``(K - 1) (n_dof + 1) / 8``
    products, plus ``(K n_dof)^2 / (12 n)`` for the factorisation, which
    only matters on short tables. Two classes solve
    one ``n_dof`` block (``newton._two_class_system``): ``(n_dof + 1) / 8``
    per row plus ``n_dof^2 / (24 n)``.

    Parameters
    ----------
    n_dof : int
        Coefficients per class: ``n_features + fit_intercept``.
    n_classes : int
    n_samples : int
        Rows of the data (or of the subsample whose Hessian tall data use).

    Returns
    -------
    cost : float
        The Hessian and its factorisation, in Hessian-vector products.

    Examples
    --------
    >>> from sk_softmax.solvers import hessian_cost
    >>> round(hessian_cost(65, 10, 1797)), round(hessian_cost(65, 10, 5620))  # digits, optdigits
    (94, 81)
    >>> round(hessian_cost(200, 2, 500))  # two classes: one 200 x 200 block
    28
    """
    n = max(n_samples, 1)
    if n_classes == 2:
        return (n_dof + 1) / 8 + n_dof**2 / (24 * n)
    size = n_dof * n_classes
    return (n_classes - 1) * (n_dof + 1) / 8 + size**2 / (12 * n)


__all__ = ["SOLVERS", "Solver", "SolverResult", "choose_solver", "hessian_cost"]
