"""``solver="sgd"``: preconditioned SVRG, minibatch epochs that converge to the optimum.

Pure optimisation, like the other solvers: nothing here knows about labels,
parameter validation or estimators. Every minibatch's gradient comes from
the data term restricted to its rows (``datafit.rows``) plus the penalty, in
the standardised coordinates of the fit pipeline.

Plain minibatch steps stall at a distance of the optimum set by their
gradient noise. When the whole data set is at hand, SVRG (Johnson and Zhang,
2013) removes that noise: each epoch starts at a snapshot ``w~`` where the
full gradient ``mu`` is computed (the pass that also scores the epoch), and
each minibatch ``B`` steps along

    v = grad f_B(w) - grad f_B(w~) + mu,

an unbiased estimate of the gradient whose variance vanishes as ``w`` and
``w~`` approach the optimum, so that the iterates converge linearly to it
and reach ``tol`` as the full-batch solvers do. The steps are preconditioned
by the Hessian at the snapshot (exact up to 500 coefficients; beyond, its
class blocks, "newton-cg"'s preconditioner, from a sample of rows on large
data), with the step
``eta = 1``: a stochastic Newton step whose noise the variance reduction
removes. An epoch that does not lower the objective is undone and the step
halved (and the blocks rebuilt there); an accepted one lets the step grow
back by 1.25, up to 1 (kept halved for good, the step stalled the fit on the
digits, whose first epochs overshoot), so no step size needs tuning.
"""

from dataclasses import dataclass

import numpy as np

from . import cg
from ._base import Solver, SolverResult, max_abs
from ._smooth import SmoothObjective
from .newton import newton_system

# Up to this many coefficients the steps are preconditioned by the exact
# Hessian (its inverse, n_coef^2 values, is applied to every minibatch's step).
_FULL_HESSIAN = 500


def preconditioner(objective, coef, uses=1):
    """``v -> M^{-1} v``: the Hessian at ``coef`` when small, else its class blocks.

    The Hessian with the projector onto its flat directions added, as the
    Newton step takes it (:func:`~.newton.newton_system`): the Hessian alone
    is singular along them (the same vector added to every class row's
    intercept), and where rounding left that eigenvalue positive its
    factorisation succeeded with a condition number of about 1e17, an
    inverse wrong in every entry (a 1732 x 19 x 7 table: the epochs blew up
    from max|grad| 1e-5 and the fit ran out of epochs). ``uses``: the
    minibatches it will serve; beyond ``_EXPLICIT`` (three classes or more)
    the factor is turned into the inverse, whose products cost a quarter of
    the factor's two triangular solves (500 coefficients: 25 against 111 us,
    for 18 ms more to build).
    """
    n_classes, n_dof = objective.shape
    if n_classes * n_dof <= _FULL_HESSIAN:
        system = newton_system(objective, coef)  # g -> -(H + N)^{-1} g
        if n_classes > 2 and uses > _EXPLICIT:
            inverse = -system(np.eye(n_classes * n_dof))
            return lambda vector: inverse @ vector
        return lambda vector: -system(vector)
    return cg.preconditioner(objective, coef)


# Minibatches per epoch above which the exact preconditioner is kept as an inverse.
_EXPLICIT = 200


def batches(n_samples, batch_size, rng):
    """Shuffled row indices cut into minibatches of ``batch_size`` (the last shorter)."""
    order = rng.permutation(n_samples)
    return [order[start : start + batch_size] for start in range(0, n_samples, batch_size)]


@dataclass
class SGDResult(SolverResult):
    """A :class:`SolverResult` with the epochs' curves."""

    loss_curve: list | None = None
    validation_curve: list | None = None


def _centred(coef, shape):
    """``coef`` with its class rows re-centred: the model unchanged, the drift removed."""
    matrix = coef.reshape(shape)
    return (matrix - matrix.mean(axis=0)).ravel()


class _Epoch:
    """One epoch of preconditioned SVRG from a snapshot; the state of the step size."""

    def __init__(self, datafit, penalty, batch_size, rng):
        self.datafit, self.penalty = datafit, penalty
        self.batch_size, self.rng = batch_size, rng
        self.eta = 1.0
        self.precondition = None

    def run(self, snapshot, full_grad):
        """The iterate after one pass of minibatches, and the mean minibatch objective."""
        coef, total = snapshot.copy(), 0.0
        shape = self.datafit.shape
        for rows in batches(self.datafit.n_samples, self.batch_size, self.rng):
            batch = self.datafit.rows(rows)
            if batch is None:
                continue
            objective = SmoothObjective(batch, self.penalty)
            value, grad = objective.loss_gradient(coef)
            _, grad_snapshot = objective.loss_gradient(snapshot)
            direction = self.precondition(grad - grad_snapshot + full_grad)
            coef = _centred(coef - self.eta * direction, shape)
            total += value * batch.total_weight
        return coef, total / self.datafit.total_weight


class SGD(Solver):
    """Epochs of preconditioned SVRG on shuffled minibatches.

    Parameters
    ----------
    batch_size, n_iter_no_change : as the estimator's
    rng : numpy.random.RandomState
        Shuffles the rows.
    validation : Datafit or None
        With early stopping, the data term of the held-out rows (in the same
        coordinates): the epoch's score is its value, the penalty left out.

    After every epoch the engine computes the training objective and its
    gradient at the new iterate (the next snapshot). It stops when

    - (no validation) ``max|grad| <= tol``: ``converged``, the criterion of
      every solver;
    - (validation) the held-out loss has not improved on the best by ``tol``
      for ``n_iter_no_change`` epochs: ``converged`` (early stopping's rule
      was met), and the best epoch's iterate is returned;
    - ``max_iter`` epochs ran: not converged.
    """

    name = "sgd"
    datafit_methods = (
        "rows", "loss_gradient", "loss", "hessian", "class_blocks", "hessian_diagonal",
    )  # fmt: skip
    penalty_methods = ("value", "value_add_gradient", "curvature", "flat_curvature", "free_columns")

    def __init__(self, *, batch_size, n_iter_no_change, rng, validation=None):
        self.batch_size = batch_size
        self.n_iter_no_change = n_iter_no_change
        self.rng = rng
        self.validation = validation

    def _score(self, coef, value):
        return value if self.validation is None else self.validation.loss(coef)

    def _solve(self, datafit, penalty, coef0, *, tol, max_iter, verbose, callback, presolve,
               memory):  # fmt: skip
        objective = SmoothObjective(datafit, penalty)
        epoch_runner = _Epoch(datafit, penalty, self.batch_size, self.rng)
        uses = -(-datafit.n_samples // self.batch_size)  # minibatches per epoch
        coef = _centred(np.asarray(coef0, dtype=np.float64), datafit.shape)
        value, grad = objective.loss_gradient(coef)
        epoch_runner.precondition = preconditioner(objective, coef, uses)
        loss_curve, valid_curve = [], []
        best, best_coef = self._score(coef, value), coef
        stall, epoch, stopped, message = 0, 0, False, "max_iter reached"
        converged = self.validation is None and max_abs(grad) <= tol
        if converged:
            message = "max|grad| <= tol"
        for epoch in range(1, max_iter + 1):
            if converged:
                epoch -= 1
                break
            new_coef, mean_loss = epoch_runner.run(coef, grad)
            new_value, new_grad = objective.loss_gradient(new_coef)
            loss_curve.append(mean_loss)
            if not new_value <= value + 1e-13 * abs(value):
                # undo the epoch; halve the step, with the blocks rebuilt at the snapshot
                epoch_runner.eta /= 2
                epoch_runner.precondition = preconditioner(objective, coef, uses)
            else:  # accepted: the step may grow back towards 1 (the Newton step)
                coef, value, grad = new_coef, new_value, new_grad
                epoch_runner.eta = min(1.0, 1.25 * epoch_runner.eta)
                epoch_runner.precondition = preconditioner(objective, coef, uses)
            score = self._score(coef, value)
            if self.validation is not None:
                valid_curve.append(score)
            if verbose:
                extra = f"  validation loss {score:.6e}" if self.validation is not None else ""
                print(
                    f"epoch {epoch:4d}  objective {value:.12e}  max|grad| {max_abs(grad):.3e}"
                    f"  step {epoch_runner.eta:g}{extra}"
                )
            stall = stall + 1 if score > best - tol else 0
            if score < best or self.validation is None:
                best, best_coef = min(score, best), coef
            if self.validation is None:
                stall = 0  # without early stopping only tol and max_iter end the fit
            # the callback sees every epoch, the converging one too (as the Newton loop's)
            if callback is not None and callback(epoch, coef, value, grad):
                converged = self.validation is None and max_abs(grad) <= tol
                stopped, message, best_coef = True, "stopped by callback", coef
                break
            if self.validation is None and max_abs(grad) <= tol:
                converged, message = True, "max|grad| <= tol"
                break
            if stall >= self.n_iter_no_change:
                converged, message = (
                    True,
                    (
                        "the validation loss did not improve by tol for "
                        f"n_iter_no_change={self.n_iter_no_change} epochs"
                    ),
                )
                break
        return SGDResult(
            best_coef, epoch, converged, message, stopped,
            loss_curve=loss_curve,
            validation_curve=valid_curve if self.validation is not None else None,
        )  # fmt: skip
