"""The one fit pipeline: training data -> weights -> problem -> start -> solver -> result.

Every fit of the package goes through here, whatever holds the data
(``sk_softmax.backends``): ``SoftmaxClassifier.fit`` with a full-batch
solver, each point of ``SoftmaxClassifierCV``'s paths, and (through
``sk_softmax._stream``) ``solver="sgd"`` and ``partial_fit``. The steps:

1. weights: ``s_i = sample_weight_i * class_weight[y_i]``, scaled
   (:func:`sk_softmax._weights.weigh`);
2. the problem (:func:`build_problem`): the L2 penalty of strength ``1 / (C
   S)``, the standardised coordinates from the columns' moments, the data
   term in those coordinates;
3. the start (:func:`start_point`): the previous model (warm start) or zero
   weights with log-prior intercepts;
4. the solve (:func:`solve`): the solver ``solver`` names ("auto" chooses by
   shape), each iteration reported to a monitor (the estimator's callbacks);
5. the result: canonical coefficients in the original coordinates, the
   objective ``F``, separation diagnostics and the warnings to raise
   (:class:`FitResult`).

The estimator hands in its settings and its data, and takes back fitted
attributes; it never sees a solver, and a solver never sees it.
"""

from dataclasses import dataclass, field, fields

import numpy as np

from ._diagnostics import convergence_message, separated, separation_message
from ._threads import fit_threads
from ._weights import weigh
from .datafits.rescaled import Rescaled
from .datafits.standardized import Coordinates, standard_scales
from .penalties import make_penalty
from .solvers import SOLVERS, choose_solver
from .solvers._smooth import SmoothObjective


@dataclass(frozen=True)
class Settings:
    """The estimator's parameters that a fit needs."""

    C: float = 1.0
    fit_intercept: bool = True
    class_weight: object = None
    solver: str = "auto"
    tol: float = 1e-8
    max_iter: int = 100
    verbose: int = 0
    l1_ratio: float = 0.0
    l1_groups: object = None

    @classmethod
    def of(cls, params, **changes):
        """The settings from an estimator or a dict of its parameters (other keys ignored).

        Read attribute by attribute: ``get_params`` inspects ``__init__``'s
        signature, which costs a tenth of a fit on small data.
        """
        if isinstance(params, dict):
            values = {f.name: params[f.name] for f in fields(cls) if f.name in params}
        else:
            values = {f.name: getattr(params, f.name) for f in fields(cls)}
        return cls(**{**values, **changes})


class Problem:
    """One optimisation problem: the data term, the penalty and their coordinates.

    Attributes
    ----------
    datafit : Datafit
        The data term in the solvers' (standardised) coordinates.
    penalty : L2
        The penalty in the original coordinates; ``solver_penalty`` is the
        same in the solvers' coordinates.
    coordinates : Coordinates
    weights : Weights
    C : float
    """

    def __init__(self, datafit, penalty, coordinates, weights, C):
        self.datafit = datafit
        self.penalty = penalty
        self.solver_penalty = penalty.in_coordinates(coordinates.scale)
        self.coordinates = coordinates
        self.weights = weights
        self.C = C
        self.shape = datafit.shape

    def to_solver(self, coef):
        """Original ``(n_classes, n_dof)`` coefficients as the solvers' raveled vector."""
        return self.coordinates.to_standardized(coef).ravel()

    def to_model(self, solution):
        """A solver's vector as the model's canonical coefficients, (n_classes, n_dof)."""
        original = self.coordinates.to_original(solution).reshape(self.shape)
        return self.penalty.canonical(original)

    def normalised_objective(self, coef):
        """``F / (C S)`` at original coefficients (``F / S`` for ``C=inf``)."""
        return self.datafit.loss_original(coef.ravel()) + self.penalty.value(coef)

    def objective(self, coef):
        """The estimator's objective ``F`` at original coefficients."""
        return self.weights.unnormalise(self.normalised_objective(coef), self.C)

    def smooth(self):
        """Data term plus penalty, in the solvers' coordinates (a ``SmoothObjective``)."""
        return SmoothObjective(self.datafit, self.solver_penalty)

    def hessian(self, coef):
        """The Hessian of ``F / (C S)`` at original ``coef``, in the solvers' coordinates.

        Shape ``(n_classes * n_dof,) * 2``; ``coordinates`` maps it to others
        (``H_original = M^{-T} H M^{-1}``, with ``M`` the map to the original
        coordinates).
        """
        return self.smooth().hessian(self.to_solver(coef))


def build_problem(data, weights, settings, n_threads=1, moments=None, shared=None):
    """The :class:`Problem` of ``data`` weighted by ``weights``, with ``settings``' penalty.

    ``moments``: the columns' ``(mean, std)`` under these weights, if known
    (a path over ``C`` computes them once). ``shared``: the data term of a
    problem on the same rows and weights at another ``C`` (a path's first),
    whose standardised design this one reuses where it can
    (:class:`~sk_softmax.datafits.rescaled.Rescaled`).
    """
    C, fit_intercept = settings.C, settings.fit_intercept
    penalty = make_penalty(
        weights.alpha(C), data.n_features, fit_intercept, settings.l1_ratio, settings.l1_groups
    )
    mean, std = moments if moments is not None else data.moments(weights.weights, fit_intercept)
    scale = penalty.shared_scales(standard_scales(std, penalty.scaling_curvature()))
    coordinates = Coordinates(mean, scale, fit_intercept, spread=std)
    datafit = None if shared is None else Rescaled.of(shared, coordinates)
    if datafit is None:
        datafit = data.datafit(weights, coordinates, n_threads)
    return Problem(datafit, penalty, coordinates, weights, C)


def start_point(problem, tol, previous=None):
    """The solver's start in original coordinates, shape (n_classes, n_dof).

    ``previous`` (a warm start) as it is, if finite; else zero weights and
    the log-prior intercepts ``log(S_k / S)``. A class without weight (its
    rows count for nothing) starts at a prior of ``tol / 10``: where the
    gradient criterion already holds for it, its probability as close to
    zero as ``tol`` asks.
    """
    n_classes, n_dof = problem.shape
    if previous is not None:
        previous = np.asarray(previous, dtype=np.float64).reshape(n_classes, n_dof)
        if not np.isfinite(previous).all():
            raise ValueError(
                "warm_start=True starts from the previous coef_ and intercept_, which hold "
                "NaN or infinite values: fit with warm_start=False, or set finite "
                "coefficients."
            )
        return previous.copy()
    coef = np.zeros((n_classes, n_dof))
    if problem.coordinates.fit_intercept:
        totals = problem.weights.totals
        prior = np.where(totals > 0, totals / totals.sum(), tol / 10)
        coef[:, -1] = np.log(prior) - np.log(prior).mean()
    return coef


def solver_name(settings, problem):
    """The solver that runs: ``settings.solver``, or the one "auto" picks.

    "auto": the proximal Newton solver for a sparse penalty, else by shape.
    """
    if settings.solver != "auto":
        return settings.solver
    if not problem.penalty.is_smooth:
        return "prox-newton"
    return choose_solver(problem.shape[1], problem.shape[0], problem.datafit.n_samples)


@dataclass
class FitResult:
    """What a fit returns: the model and how it was reached.

    Attributes
    ----------
    coef : ndarray of shape (n_classes, n_dof)
        Canonical coefficients in the original coordinates, intercept last.
    n_iter, converged, stopped, solver, message
        As the solver reported them; ``converged`` is False on separated data.
    objective : float
        ``F`` at ``coef``.
    problem : Problem
        Gives the data term, the penalty and their derivatives at ``coef``
        (for diagnostics and inference); the estimator does not keep it.
    separated : bool
    warnings : list of str
        ConvergenceWarning messages for the estimator to raise.
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    stopped: bool
    solver: str
    message: str
    objective: float
    problem: Problem
    separated: bool = False
    warnings: list = field(default_factory=list)


def solver_callback(problem, monitor):
    """A solver's ``callback(n_iter, coef, value, grad)`` that tells ``monitor``, or None.

    The monitor gets the iteration and a function giving the model's canonical
    coefficients then, computed only if a callback asks for the fitted model.
    """
    if monitor is None:
        return None

    def callback(n_iter, coef, value, grad):
        coef = coef.copy()  # the solver may reuse its arrays
        return monitor(n_iter, lambda: problem.to_model(coef))

    return callback


def solve(problem, settings, start, *, monitor=None, presolve=True, memory=None):
    """Run the solver on ``problem`` from ``start`` (original coordinates).

    ``monitor(n_iter, model)``, if given, is told of every iteration (``model()``
    gives the canonical coefficients after it) and may return True to stop;
    ``monitor.close(model)`` ends its task. ``presolve``: whether a cold
    start on tall data may first solve a subsample. ``memory``: the
    solver's, kept by a path across its ``C`` values (``Solver.solve``).
    """
    name = solver_name(settings, problem)
    solver = SOLVERS[name]
    callback = solver_callback(problem, monitor)
    result = solver.solve(
        problem.datafit, problem.solver_penalty, problem.to_solver(start), tol=settings.tol,
        max_iter=settings.max_iter, verbose=settings.verbose, callback=callback,
        presolve=presolve, memory=memory,
    )  # fmt: skip
    if monitor is not None:
        monitor.close(lambda: problem.to_model(result.coef))
    coef = problem.to_model(result.coef)
    return FitResult(
        coef=coef,
        n_iter=result.n_iter,
        converged=result.converged,
        stopped=result.stopped,
        solver=name,
        message=result.message,
        objective=objective_at(problem, coef, result),
        problem=problem,
    )


def objective_at(problem, coef, result):
    """``F`` at the model ``coef``: from the solver's own value if it reported one.

    That value is the same function, in the solver's coordinates, at the
    solver's point, so the fit spares a pass over the data (on 1e6 x 100 x
    10, 0.3 s of a 4 s fit). The model is that point's canonical form
    (``penalty.canonical``: one vector added to every class row, which
    changes no probability), and the solvers keep their rows canonical only
    up to the penalty's weight, a curvature of ``1 / (C S)`` that their
    tolerance hardly sees: the penalty's change is accounted for, exactly
    (it took 6e-11 off the relative objective of a newton-cg fit on tall
    data whose conjugate gradients had left a class-mean part in the rows).
    """
    if result.value is not None and np.isfinite(result.value):
        penalty = problem.solver_penalty
        shifted = penalty.value(penalty.canonical(result.coef)) - penalty.value(result.coef)
        return problem.weights.unnormalise(result.value + shifted, problem.C)
    return problem.objective(coef)


def diagnose(result, data, settings):
    """Separation and convergence: ``result.separated``, ``converged`` and ``warnings``."""
    if result.stopped:
        return result
    problem = result.problem
    result.separated = separated(problem, result.coef, data, problem.weights, settings.tol)
    if result.separated:
        result.converged = False
        result.warnings.append(separation_message(settings.C, settings.tol, result.coef))
    elif not result.converged:
        result.warnings.append(
            convergence_message(
                result.solver, result.n_iter, result.message, settings.tol, result.coef
            )
        )
    return result


def fit(data, sample_weight, settings, *, previous=None, monitor=None):
    """Fit the model to a backend's training data; a :class:`FitResult`.

    ``previous``: the coefficients to start from (a warm start, original
    coordinates), or None. ``monitor``: see :func:`solve`.
    """
    with fit_threads() as n_threads:
        weights = weigh(data, sample_weight, settings.class_weight, settings.C)
        problem = build_problem(data, weights, settings, n_threads)
        start = start_point(problem, settings.tol, previous)
        # a warm start is kept as it is; a cold one may begin on a subsample
        result = solve(problem, settings, start, monitor=monitor, presolve=previous is None)
    return diagnose(result, data, settings)
