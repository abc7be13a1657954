"""What every solver shares: its result, its protocol, its progress line."""

from dataclasses import dataclass

import numpy as np

EPS = np.finfo(np.float64).eps


@dataclass
class SolverResult:
    """What a solver returns.

    Attributes
    ----------
    coef : ndarray of shape (n_classes * n_dof,)
        The last iterate, in the solver's (standardised) coordinates.
    n_iter : int
        Iterations run (on all rows: a presolve on a subsample is not counted).
    converged : bool
        Whether ``max|grad| <= tol`` held at ``coef``.
    message : str
        Why it stopped.
    stopped : bool, default=False
        Whether a callback asked it to stop.
    value : float or None, default=None
        The objective (data term plus penalty) at ``coef``, when the solver
        evaluated it there: the fit then need not pass over the data again
        for ``objective_``.
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    message: str
    stopped: bool = False
    value: float | None = None


class Solver:
    """A solver of ``min_coef datafit(coef) + penalty(coef)``.

    Subclasses set ``name``, list the methods they call on the data term
    (``datafit_methods``, from :data:`sk_softmax.datafits.base.METHODS`) and
    on the penalty (``penalty_methods``), and implement :meth:`_solve`.
    :meth:`solve` checks both lists first, so that a penalty a solver cannot
    handle (a non-smooth one for a Newton solver, say) is a clear error
    before any work, not an ``AttributeError`` deep inside an iteration.

    Every solver stops when the largest absolute entry of the gradient (for
    a non-smooth penalty, of its minimal-norm subgradient) is at most
    ``tol``. ``callback(n_iter, coef, value, grad)``, if given, is called
    after every iteration; returning True stops the solver early (it then
    reports ``converged`` as the criterion says and ``stopped=True``).
    """

    name = ""
    datafit_methods = ()
    penalty_methods = ()

    def check(self, datafit, penalty):
        """Raise a ValueError naming what ``datafit`` or ``penalty`` lacks for this solver."""
        for role, obj, needed in (
            ("data term", datafit, self.datafit_methods),
            ("penalty", penalty, self.penalty_methods),
        ):
            missing = [name for name in needed if not callable(getattr(obj, name, None))]
            if missing and role == "penalty" and not getattr(obj, "is_smooth", True):
                raise ValueError(
                    f"solver={self.name!r} minimises smooth objectives only, and the penalty "
                    f"is not smooth ({type(obj).__name__}: l1_ratio > 0). Use solver='auto' "
                    "or solver='prox-newton', which handle it."
                )
            if missing:
                raise ValueError(
                    f"solver={self.name!r} needs the {role}'s {', '.join(missing)}, which "
                    f"{type(obj).__name__} does not offer. Use solver='auto', which picks a "
                    "solver that handles it."
                )

    def solve(self, datafit, penalty, coef0, *, tol, max_iter, verbose=0, callback=None,
              presolve=True, memory=None):  # fmt: skip
        """Minimise from ``coef0`` (raveled, solver coordinates); a :class:`SolverResult`.

        ``presolve``: on tall data, whether a cold start may first solve a
        subsample (see :mod:`sk_softmax.solvers._subsample`); a warm start
        keeps its start as it is. ``memory``: a dict that a caller keeps
        across fits on the same rows (the ``C`` values of a regularisation
        path), in which a solver may leave what serves the next fit (the
        Newton solvers: their last Hessian factor or preconditioner).
        """
        self.check(datafit, penalty)
        coef0 = np.array(coef0, dtype=np.float64).ravel()
        return self._solve(
            datafit, penalty, coef0, tol=tol, max_iter=max_iter, verbose=verbose,
            callback=callback, presolve=presolve, memory={} if memory is None else memory,
        )  # fmt: skip

    def _solve(self, datafit, penalty, coef0, *, memory, **options):
        raise NotImplementedError


def same_rows(objective, previous):
    """Whether ``objective`` may take over ``previous``'s curvature (None: no).

    Judged by shape and number of rows only: a subsample's objective and the
    full one's differ, while the next ``C`` of a path (the only other case
    where a Newton solver sees a new objective, through ``memory``) is on
    the same rows. The coordinates may differ (the column scales
    ``sqrt(std^2 + alpha)`` move with ``C``): for the Newton solvers what is
    carried over only preconditions exact products, so a stale basis costs
    products, not accuracy; for "prox-newton" the carried Hessian defines a
    step, which its line search and the rule of
    :class:`~._local_model.KeptHessians` judge on the exact objective, so a
    stale one costs steps, not accuracy.
    """
    return (
        previous is not None
        and objective.shape == previous.shape
        and objective.n_samples == previous.n_samples
    )


def max_abs(grad):
    """``max|grad|``, 0 for an empty vector."""
    return float(np.abs(grad).max()) if grad.size else 0.0


def report(verbose, n_iter, value, grad, extra="", label="iter"):
    """The progress line that ``verbose`` prints for each iteration."""
    if verbose:
        print(f"{label} {n_iter:4d}  objective {value:.12e}  max|grad| {max_abs(grad):.3e}{extra}")
