"""The minibatch stochastic engine (Adam) of ``partial_fit`` and ``solver="sgd"``.

Pure optimisation, like the other solvers: nothing here knows about labels,
parameter validation or estimators. Every minibatch's loss and gradient come
from the data term restricted to its rows (``datafit.rows``) plus the
penalty, so the engine minimises exactly the objective of the full-batch
solvers, in the same standardised coordinates.

Adam scales each coordinate's step by the size of its recent gradients; in
the raw coordinates that would make the step in ``W_j`` about
``learning_rate`` whatever the scale of feature ``j``, while the right step
scales with ``1 / std_j``. The engine therefore works on the coefficients of
the standardised features (:class:`~sk_softmax.datafits.standardized.Coordinates`),
a map fixed for the life of the state (from the whole training set in
``fit``, from the first minibatch in ``partial_fit``) so that Adam's moments
keep their meaning. Adding one vector to every class row changes no
prediction; after each step the rows are re-centred (a projection onto the
subspace that holds the optimum), so Adam's per-coordinate steps cannot
drift along those directions.
"""

from dataclasses import dataclass

import numpy as np

from ._base import Solver, SolverResult, max_abs
from ._smooth import SmoothObjective

_BETA1 = 0.9
_BETA2 = 0.999
_EPSILON = 1e-8


@dataclass
class SGDState:
    """Everything the engine carries from one minibatch to the next.

    Attributes
    ----------
    coef : ndarray of shape (n_classes, n_dof)
        The iterate, in standardised coordinates (intercept last).
    coordinates : Coordinates
        The map between those and the original coordinates.
    m, v : ndarray of shape (n_classes, n_dof)
        Adam's first and second moment estimates.
    t : int
        Number of steps taken.
    n_seen : float
        Total sample weight seen online (the online penalty's ``n_seen``:
        ``partial_fit``'s penalty is ``1 / (C n_seen)``); kept by the caller.
    class_totals : ndarray of shape (n_classes,)
        Sample weight seen per class (for online "balanced" weights).
    """

    coef: np.ndarray
    coordinates: object
    m: np.ndarray
    v: np.ndarray
    t: int = 0
    n_seen: float = 0.0
    class_totals: np.ndarray | None = None

    @property
    def mean(self):
        """Column centres of the map (zeros without an intercept)."""
        return self.coordinates.mean

    @property
    def scale(self):
        """Positive column scales of the map."""
        return self.coordinates.scale

    def original_coef(self):
        """The iterate in the original coordinates, shape (n_classes, n_dof)."""
        return self.coordinates.to_original(self.coef)

    def set_original(self, coef):
        """Move the iterate to ``coef`` (original coordinates, shape (n_classes, n_dof))."""
        self.coef = self.coordinates.to_standardized(coef)
        self.coef -= self.coef.mean(axis=0)


def init_state(coef, coordinates):
    """A fresh state at ``coef`` (original coordinates, shape (n_classes, n_dof))."""
    state = SGDState(coef=None, coordinates=coordinates, m=None, v=None)
    state.set_original(coef)
    state.m = np.zeros_like(state.coef)
    state.v = np.zeros_like(state.coef)
    state.class_totals = np.zeros(state.coef.shape[0])
    return state


def step_size(learning_rate, t):
    """The step at step ``t`` (1-based): ``learning_rate / sqrt(1 + t / 100)``.

    Nearly constant over the first tens of steps, where Adam makes most of
    its progress from a zero start, then shrinking like ``1 / sqrt(t)``: a
    stochastic method's steps must shrink for its gradient noise to average
    out, and with a constant step Adam hovers around the optimum at a
    distance set by the step (measured with ``benchmarks/bench_scale.py``'s
    stream: 1.1% above the optimal held-out log-loss after 5 epochs with this
    decay, 3% with a ten times slower one).
    """
    return learning_rate / np.sqrt(1.0 + t / 100.0)


def adam_step(state, datafit, penalty, learning_rate):
    """One Adam step on a minibatch's objective; updates ``state``, returns the value.

    ``datafit`` and ``penalty`` in the state's coordinates; the value is the
    minibatch objective before the step.
    """
    value, grad = SmoothObjective(datafit, penalty).loss_gradient(state.coef.ravel())
    grad = grad.reshape(state.coef.shape)
    state.t += 1
    state.m *= _BETA1
    state.m += (1 - _BETA1) * grad
    state.v *= _BETA2
    state.v += (1 - _BETA2) * grad * grad
    m_hat = state.m / (1 - _BETA1**state.t)
    v_hat = state.v / (1 - _BETA2**state.t)
    state.coef -= step_size(learning_rate, state.t) * m_hat / (np.sqrt(v_hat) + _EPSILON)
    # Re-centre the class rows: the model is unchanged, the drift removed.
    state.coef -= state.coef.mean(axis=0)
    return value


def batches(n_samples, batch_size, rng):
    """Shuffled row indices cut into minibatches of ``batch_size`` (the last shorter)."""
    order = rng.permutation(n_samples)
    return [order[start : start + batch_size] for start in range(0, n_samples, batch_size)]


@dataclass
class SGDResult(SolverResult):
    """A :class:`SolverResult` with the epochs' curves."""

    loss_curve: list | None = None
    validation_curve: list | None = None


class SGD(Solver):
    """Epochs of Adam on shuffled minibatches, returning the best iterate seen.

    Parameters
    ----------
    state : SGDState
        Where to start (its ``coef``), and Adam's moments; updated in place.
    batch_size, learning_rate, n_iter_no_change : as the estimator's
    rng : numpy.random.RandomState
        Shuffles the rows.
    validation : Datafit or None
        With early stopping, the data term of the held-out rows (in the same
        coordinates): the epoch's score is its value, the penalty left out.

    After every epoch the engine scores the iterate: on the whole training
    objective (value and gradient, one pass) or, with ``validation``, on the
    held-out rows. It returns the best-scoring iterate, and stops when

    - (no validation) ``max|grad| <= tol`` at it: ``converged``, the
      criterion of every solver;
    - the score has not improved on the best by ``tol`` for
      ``n_iter_no_change`` epochs: with validation, ``converged`` (early
      stopping's rule was met); without, not converged (the engine stalled
      in the neighbourhood of the optimum, short of ``tol``);
    - ``max_iter`` epochs ran: not converged.
    """

    name = "sgd"
    datafit_methods = ("rows", "loss_gradient", "loss")
    penalty_methods = ("value", "value_add_gradient", "curvature", "flat_curvature", "free_columns")

    def __init__(self, state, *, batch_size, learning_rate, n_iter_no_change, rng,
                 validation=None):  # fmt: skip
        self.state = state
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_iter_no_change = n_iter_no_change
        self.rng = rng
        self.validation = validation

    def _score(self, objective):
        """The epoch's score of the current iterate, and the gradient (None with validation)."""
        coef = self.state.coef.ravel()
        if self.validation is not None:
            return self.validation.loss(coef), None
        return objective.loss_gradient(coef)

    def _solve(self, datafit, penalty, coef0, *, tol, max_iter, verbose, callback, presolve):
        state = self.state
        objective = SmoothObjective(datafit, penalty)
        loss_curve, valid_curve = [], []
        best, best_coef, best_grad = np.inf, state.coef.copy(), None
        epoch = 0
        stall, stopped, converged, message = 0, False, False, "max_iter reached"
        for epoch in range(1, max_iter + 1):
            total = 0.0
            for rows in batches(datafit.n_samples, self.batch_size, self.rng):
                batch = datafit.rows(rows)
                if batch is not None:
                    value = adam_step(state, batch, penalty, self.learning_rate)
                    total += value * batch.total_weight
            loss_curve.append(total / datafit.total_weight)
            score, grad = self._score(objective)
            if self.validation is not None:
                valid_curve.append(score)
            if verbose:
                extra = f"  validation loss {score:.6e}" if self.validation is not None else ""
                print(f"epoch {epoch:4d}  training loss {loss_curve[-1]:.6e}{extra}")
            # scikit-learn's MLP rule: an epoch counts as no improvement unless
            # it beats the best so far by tol.
            stall = stall + 1 if score > best - tol else 0
            if score < best:
                best, best_coef, best_grad = score, state.coef.copy(), grad
            if self.validation is None and max_abs(grad) <= tol:
                converged, message = True, "max|grad| <= tol"
                break
            if callback is not None and callback(epoch, state.coef.ravel(), score, grad):
                stopped, message = True, "stopped by callback"
                best_coef, best_grad = state.coef.copy(), grad  # the model the callback saw
                break
            if stall >= self.n_iter_no_change:
                converged = self.validation is not None
                message = (
                    f"the {'validation' if self.validation is not None else 'training'} "
                    f"loss did not improve by tol for n_iter_no_change={self.n_iter_no_change} "
                    "epochs"
                )
                break
        state.coef = best_coef
        if self.validation is None:  # the criterion of every solver, at the returned iterate
            if best_grad is None:  # no epoch scored better than the start (NaN scores)
                _, best_grad = objective.loss_gradient(best_coef.ravel())
            converged = max_abs(best_grad) <= tol
        return SGDResult(
            best_coef.ravel(), epoch, converged, message, stopped,
            loss_curve=loss_curve,
            validation_curve=valid_curve if self.validation is not None else None,
        )  # fmt: skip
