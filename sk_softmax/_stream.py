"""The stochastic fits through the pipeline: ``fit(solver="sgd")`` and ``partial_fit``.

The same steps as :mod:`sk_softmax._fit` (weights, problem, start, solve,
result), with the minibatch engine of :mod:`sk_softmax.solvers.sgd` as the
solver. NumPy and SciPy data only: the engine takes minibatches of rows.

The objective
-------------
The full-batch solvers minimise the normalised objective ``f = F / (C * S) =
1/S * sum_i s_i CE_i + 1/(2 C S) * ||W||_F^2``. A minibatch ``B`` gives the
estimate ``f_B`` with the same penalty strength (unbiased for rows of equal
weight, a ratio estimate otherwise).

- In ``fit(solver="sgd")`` the data, hence ``S``, is known: preconditioned
  SVRG (:class:`~sk_softmax.solvers.sgd.SGD`) minimises ``f`` itself, in the
  standardised coordinates of the training rows, to ``tol``.
- In ``partial_fit`` the stream's total is unknown. Each step uses the
  strength ``1 / (C * n_seen)``, with ``n_seen`` the total sample weight
  seen so far, this batch included: the objective ``F`` over all the samples
  seen so far, divided by ``C * n_seen``. After one pass over a data set it
  is exactly ``f``. A stream that shows the same rows again counts them
  again, as repeated rows (the estimator's rule: integer weights equal
  repeated rows), so ``E`` passes over ``S`` rows minimise ``F`` with ``C``
  replaced by ``E * C``. The steps are those of
  :mod:`sk_softmax.solvers.online`, in the coordinates of the running
  moments of every row seen.
"""

from dataclasses import dataclass, fields

import numpy as np
from scipy import sparse
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from ._diagnostics import separated, separation_message
from ._distinct import distinct_rows
from ._fit import FitResult, build_problem, solver_callback, start_point
from ._threads import fit_threads
from ._weights import Weights, class_weight_vector, weigh
from .solvers.online import OnlineState, observe, online_step
from .solvers.sgd import SGD

# Rows a block when a fit's training rows are observed for partial_fit (see fit_sgd).
_OBSERVED_ROWS = 8192


@dataclass(frozen=True)
class StreamSettings:
    """The estimator's parameters of the stochastic engine."""

    batch_size: int = 256
    early_stopping: bool = False
    validation_fraction: float = 0.1
    n_iter_no_change: int = 10
    random_state: object = None

    @classmethod
    def of(cls, estimator):
        """The settings from the estimator's parameters."""
        return cls(**{f.name: getattr(estimator, f.name) for f in fields(cls)})


@dataclass
class StreamResult(FitResult):
    """A :class:`~sk_softmax._fit.FitResult` with the engine's state and curves."""

    state: object = None
    loss_curve: list | None = None
    validation_curve: list | None = None


def _canonical(data, sample_weight, settings):
    """The weighted data set in canonical form, with its :class:`Weights`.

    Weights are scaled by powers of two only, which commute with rounding:
    the canonical weights are then the same bits for integer weights and for
    repeated rows (:mod:`sk_softmax._distinct`).
    """
    weights = weigh(data, sample_weight, settings.class_weight, settings.C)
    rows, merged = distinct_rows(data.X, data.y_codes, weights.weights)
    data = data.rows(rows)
    again = weigh(data, merged, None, settings.C)
    return data, Weights(again.weights, weights.scale * again.scale, again.totals)


def _split(data, weights, fraction, rng):
    """Training and validation rows (stratified when every class allows it)."""
    rows = np.arange(data.n_samples)
    seed = rng.randint(np.iinfo(np.int32).max)
    try:
        train, valid = train_test_split(
            rows, test_size=fraction, random_state=seed, stratify=data.y_codes
        )
    except ValueError:  # a class too small to stratify
        try:
            train, valid = train_test_split(rows, test_size=fraction, random_state=seed)
        except ValueError as exc:  # its message names test_size: say which parameter
            raise ValueError(
                f"early_stopping=True cannot hold out validation_fraction={fraction} of the "
                f"{rows.size} distinct rows and train on the rest ({exc}). Use more samples, "
                "another validation_fraction, or early_stopping=False."
            ) from None
    train, valid = np.sort(train), np.sort(valid)
    if not (weights[train].sum() > 0 and weights[valid].sum() > 0):
        raise ValueError(
            "early_stopping=True split the data into a training and a validation part "
            f"(validation_fraction={fraction}) and one of them has zero total sample "
            "weight. Use more samples, another validation_fraction, or early_stopping=False."
        )
    return train, valid


def _part(data, weights, rows):
    part = data.rows(rows)
    values = weights.weights[rows]
    return part, Weights(values, weights.scale, part.class_totals(values))


def fit_sgd(data, sample_weight, settings, stream, *, previous=None, monitor=None):
    """``fit(solver="sgd")``: epochs of minibatches on the canonical data set; a StreamResult.

    The penalty uses the total weight of the rows trained on, so that with
    ``early_stopping=False`` the engine minimises exactly ``F / (C * S)``.
    """
    rng = check_random_state(stream.random_state)
    if sparse.issparse(data.X) and data.X.format != "csr":
        data = type(data)(data.X.tocsr(), data.y_codes, data.classes)
    raw_totals = data.class_totals(sample_weight)
    data, weights = _canonical(data, sample_weight, settings)
    # each class's weight factor, to give partial_fit the raw class totals it expects
    weighted = weights.totals * weights.scale
    factor = np.divide(weighted, raw_totals, out=np.ones_like(weighted), where=raw_totals > 0)
    factor[(raw_totals > 0) & ~(weighted > 0)] = 0.0  # a class weight of 0
    validation = None
    train_data, train_weights = data, weights
    if stream.early_stopping:
        train, valid = _split(data, weights.weights, stream.validation_fraction, rng)
        train_data, train_weights = _part(data, weights, train)
        valid_data, valid_weights = _part(data, weights, valid)
    # every BLAS pool at one thread, as for every full-batch fit (_fit.fit): without it
    # numpy's and scipy's pools fought, 4 to 13 times slower on bench_online's tables
    with fit_threads() as n_threads:
        problem = build_problem(train_data, train_weights, settings, n_threads)
        if stream.early_stopping:
            validation = valid_data.datafit(valid_weights, problem.coordinates)
        start = start_point(problem, settings.tol, previous)
        engine = SGD(
            batch_size=stream.batch_size, n_iter_no_change=stream.n_iter_no_change, rng=rng,
            validation=validation,
        )  # fmt: skip
        solved = engine.solve(
            problem.datafit, problem.solver_penalty, problem.to_solver(start), tol=settings.tol,
            max_iter=settings.max_iter, verbose=settings.verbose,
            callback=solver_callback(problem, monitor),
        )  # fmt: skip
    coef = problem.to_model(solved.coef)
    if monitor is not None:
        monitor.close(lambda: coef)
    # partial_fit goes on from the returned model, with the curvature and
    # moments of the rows trained on, as if they had been streamed.
    state = OnlineState.start(coef, settings.fit_intercept)
    weights = train_weights.weights * train_weights.scale
    # by row blocks, as a stream would show them: at once, the products' float64 casts and
    # the centred rows were copies of X (a float32 fit peaked at 6.2 X on 200000 x 50)
    for start in range(0, len(weights), _OBSERVED_ROWS):
        rows = slice(start, start + _OBSERVED_ROWS)
        observe(state, train_data.X[rows], weights[rows])
    # the sample weights' class totals, without the class weights ("balanced" in a later
    # partial_fit applies them to these, as to a stream's own: they were balanced twice);
    # a class of weight 0 has no weighted total to divide: the training part's share of the
    # rows (all of its rows without early stopping, about 1 - validation_fraction with it)
    share = train_data.n_samples / data.n_samples
    trained = train_weights.totals * train_weights.scale
    state.class_totals = np.divide(trained, factor, out=raw_totals * share, where=factor > 0)
    result = StreamResult(
        coef=coef, n_iter=solved.n_iter, converged=solved.converged, stopped=solved.stopped,
        solver="sgd", message=solved.message, objective=problem.objective(coef),
        problem=problem, state=state, loss_curve=solved.loss_curve,
        validation_curve=solved.validation_curve,
    )  # fmt: skip
    if result.stopped:
        return result
    # as every solver's fit says it (_fit.diagnose): separable data and a negligible penalty;
    # not when the validation rows chose the epoch (the coefficients are then theirs, not tol's)
    if not stream.early_stopping and separated(
        problem, coef, train_data, problem.weights, settings.tol
    ):
        result.separated, result.converged = True, False
        result.warnings.append(separation_message(settings.C, settings.tol, coef))
    elif not result.converged:
        result.warnings.append(_sgd_message(settings, stream, solved, problem, coef))
    return result


def _sgd_message(settings, stream, solved, problem, coef):
    _, grad = problem.datafit.loss_gradient(problem.to_solver(coef))
    grad = problem.solver_penalty.add_gradient(grad, problem.to_solver(coef))
    return (
        "SoftmaxClassifier (solver='sgd') did not converge: max|grad| = "
        f"{np.max(np.abs(grad)):.2e} is above tol={settings.tol} after max_iter="
        f"{settings.max_iter} epochs (objective {problem.objective(coef):.10g}). Increase "
        "max_iter, or loosen tol."
    )


def partial_fit_step(data, sample_weight, settings, learning_rate, *, state=None, previous=None,
                     monitor=None):  # fmt: skip
    """One step of the online rule (:mod:`sk_softmax.solvers.online`) on a minibatch.

    ``state``: the state after the previous call (None on the first call,
    or after a full-batch fit, whose coefficients ``previous`` then start
    the stream). "balanced" class weights use the class totals seen so far,
    this batch included. ``state`` itself never changes: the step is taken
    on a copy, returned in the StreamResult, so that a call that fails (a
    bad batch, or a callback that raises after the step) leaves it intact.
    """
    if state is not None and state.fit_intercept != settings.fit_intercept:
        raise ValueError(
            f"fit_intercept changed to {settings.fit_intercept} since the stream began with "
            f"{state.fit_intercept}: its model has {'an' if state.fit_intercept else 'no'} "
            "intercept. Set it back, or start a new stream (a new estimator, or fit)."
        )
    seen = data.class_totals(sample_weight)
    totals = seen if state is None else state.class_totals + seen
    factor = class_weight_vector(settings.class_weight, data.classes_numpy, totals)
    weights = data.reweigh(sample_weight, factor)
    with np.errstate(over="ignore"):
        total = weights.sum()
    if not np.isfinite(total):
        raise ValueError(
            f"The sample weights of this batch (times any class_weight) sum to {total}, "
            "beyond float64: scale them down (a stream's weights count rows: rescale them "
            "to a mean near 1, and C with them to keep the same objective)."
        )
    if state is None:
        coef = np.zeros((data.n_classes, data.n_features + int(settings.fit_intercept)))
        state = OnlineState.start(coef if previous is None else previous, settings.fit_intercept)
    else:  # the step replaces the state's arrays, never changes them: the caller's stays
        state = state.copy()
    state.class_totals = totals
    if total > 0:  # (no fit_threads: limiting the pools per call cost 6% of the throughput)
        online_step(state, data.X, data.y_codes, weights, settings.C, learning_rate)
    coef = state.original_coef()
    if monitor is not None:
        monitor(1, lambda: coef)
        monitor.close(lambda: coef)
    return StreamResult(
        coef=coef, n_iter=1, converged=False, stopped=False, solver="sgd",
        message="one step", objective=None, problem=None, state=state,
    )  # fmt: skip
