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


def choose_solver(n_dof, n_classes):
    """The solver ``solver="auto"`` picks, from the problem's shape.

    ``newton-cholesky`` when ``n_dof * n_classes <= 500``, ``newton-cg``
    otherwise. One exact Hessian costs about ``n (n_dof K)^2`` operations
    (a dense symmetric product, fast per operation), one Hessian-vector
    product ``4 n n_dof K``; with the class-block preconditioner a Newton-CG
    step takes 5 to 20 products on well-conditioned data and up to a hundred
    on strongly collinear data, where the exact Hessian is the safe choice
    while it is cheap. Measured on this package's benchmarks (digits, with
    650 parameters: newton-cg 2 to 3 times faster; synthetic collinear data
    with 303 parameters: newton-cholesky 10 times faster). The number of
    samples does not enter (both costs grow linearly with it), nor does
    sparsity: Hessian blocks are dense either way, and for sparse data with
    many features the parameter count alone rules the Hessian out. On tall
    data both Newton solvers take their Hessian from a subsample
    (``_subsample.SampledDirection``), which divides either cost by the same factor.
    """
    if n_dof * n_classes <= 500:
        return "newton-cholesky"
    return "newton-cg"


__all__ = ["SOLVERS", "Solver", "SolverResult", "choose_solver"]
