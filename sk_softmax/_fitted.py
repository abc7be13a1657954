"""The estimator's fitted state: the warm start read from it, the attributes written to it.

A fit takes the previous model as a NumPy ``(n_classes, n_dof)`` matrix
(:func:`previous_coef`, :func:`current_coef`) and, at the very end, writes
every fitted attribute at once (:func:`set_fitted` after ``fit``,
:func:`set_streamed` after a ``partial_fit`` step): a fit that fails before
then leaves the previous model as it was.
"""

import numpy as np
from sklearn.utils._array_api import move_to

from . import _stream

# The attributes that only a stochastic fit sets; a full-batch fit removes them.
SGD_ATTRIBUTES = ("sgd_state_", "loss_curve_", "validation_loss_curve_")


def previous_coef(estimator, data):
    """The previous fit's coefficients, ``(n_classes, n_dof)`` NumPy, for a warm start.

    None without one (``warm_start`` off, or not fitted). A previous fit on
    Array API data is read back to NumPy. Its classes and features must be
    those of ``data``.
    """
    if not (estimator.warm_start and hasattr(estimator, "coef_")):
        return None
    previous = move_to(estimator.classes_, xp=np, device="cpu")
    n_features = estimator.coef_.shape[1]
    if not (np.array_equal(data.classes_numpy, previous) and n_features == data.n_features):
        raise ValueError(
            "warm_start=True needs the same classes and number of features as the "
            f"previous fit (classes {previous.tolist()!r}, {n_features} "
            "features); fit with warm_start=False to start afresh."
        )
    return current_coef(estimator)


def current_coef(estimator, continued=False):
    """``coef_`` and ``intercept_`` as one NumPy ``(n_classes, n_dof)`` matrix.

    ``continued``: for a stream that goes on from the fitted model, which must
    not drop intercepts it has (``fit_intercept`` set to False since).
    """
    if continued and not estimator.fit_intercept:
        if np.any(move_to(estimator.intercept_, xp=np, device="cpu") != 0):
            raise ValueError(
                "fit_intercept is False, but the fitted model has intercepts: continuing it "
                "would drop them. Set fit_intercept=True, or fit again without one."
            )
    coef = move_to(estimator.coef_, xp=np, device="cpu")
    if estimator.fit_intercept:
        intercept = move_to(estimator.intercept_, xp=np, device="cpu")
        coef = np.column_stack([coef, intercept])
    return np.array(coef, dtype=np.float64)


def _set_model(estimator, coef, data):
    for name, value in data.attributes(coef, estimator.fit_intercept).items():
        setattr(estimator, name, value)


def set_fitted(estimator, result, data):
    """The attributes of a ``fit`` (full-batch or ``solver="sgd"``), all together."""
    for name in SGD_ATTRIBUTES:
        estimator.__dict__.pop(name, None)
    _set_model(estimator, result.coef, data)
    estimator.n_iter_ = result.n_iter
    estimator.converged_ = result.converged
    estimator.solver_ = result.solver
    estimator.objective_ = result.objective
    if isinstance(result, _stream.StreamResult):
        estimator.sgd_state_ = result.state
        if result.loss_curve is not None:
            estimator.loss_curve_ = result.loss_curve
            estimator.validation_loss_curve_ = result.validation_curve


def set_streamed(estimator, result, data):
    """The attributes after one ``partial_fit`` step, all together.

    The loss curves of an earlier ``fit(solver="sgd")`` are kept (they
    describe that fit); ``objective_`` is None (a stream has no whole data
    set to evaluate it on).
    """
    estimator.classes_ = data.classes
    _set_model(estimator, result.coef, data)
    estimator.sgd_state_ = result.state
    estimator.n_iter_ = 1
    estimator.converged_ = False
    estimator.solver_ = "sgd"
    estimator.objective_ = None
