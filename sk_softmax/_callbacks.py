"""scikit-learn's callback API (``sklearn.callback``) for every fit of the package.

A fit is a task; each solver iteration (a Newton step, an L-BFGS iteration,
an epoch of the stochastic solver; one step per ``partial_fit`` call) is one
of its subtasks. Callbacks such as ``ProgressBar`` and ``ScoringMonitor`` see
each iteration begin and end, and can read the model as it stands after it
(``fitted_estimator``). A callback that asks to stop ends the fit after the
current iteration, with a usable model.

The fit pipeline talks to a *monitor*: ``monitor(n_iter, model)`` after
each iteration, ``model()`` giving the canonical coefficients then (computed
only if a callback asks for the fitted model), and ``monitor.close(model)``
at the end. :func:`monitor_for` makes one from the estimator's callbacks.
"""

from sklearn.callback import CallbackSupportMixin

__all__ = ["CallbackSupportMixin", "IterationCallbacks", "monitor_for"]


class IterationCallbacks:
    """Bridge from the pipeline's monitor calls to scikit-learn's callback contexts.

    Parameters
    ----------
    estimator : the estimator being fitted (a ``CallbackSupportMixin``)
    X, y : the training data, as the estimator received them
    metadata : dict or None
        ``{"sample_weight": ...}`` when weights were given.
    max_iter : int
        Most iterations the solver may run.
    attributes : callable
        ``attributes(coef) -> dict`` of fitted attributes (``coef_``,
        ``intercept_``, ``classes_``) for canonical ``(n_classes, n_dof)``
        coefficients.
    """

    def __init__(self, estimator, X, y, metadata, max_iter, attributes):
        self._estimator, self._X, self._y, self._metadata = estimator, X, y, metadata
        self._attributes = attributes
        # one subtask per iteration, plus the one begun after the last
        self._ctx = estimator._init_callback_context(max_subtasks=max_iter + 1)
        self._ctx.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
        self._iter_ctx = self._begin_iteration()

    def _begin_iteration(self):
        ctx = self._ctx.subcontext(task_name="iteration")
        ctx.call_on_fit_task_begin(
            estimator=self._estimator, X=self._X, y=self._y, metadata=self._metadata
        )
        return ctx

    def __call__(self, n_iter, model):
        """End the iteration just done, begin the next; True asks the solver to stop."""
        stop = self._iter_ctx.call_on_fit_task_end(
            estimator=self._estimator,
            X=self._X,
            y=self._y,
            metadata=self._metadata,
            reconstruction_attributes=lambda: self._attributes(model()),
        )
        self._iter_ctx = self._begin_iteration()
        return bool(stop)

    def close(self, model):
        """End the iteration begun but never run, then the fit task itself."""
        self._iter_ctx.call_on_fit_task_end(estimator=self._estimator)
        self._ctx.call_on_fit_task_end(
            estimator=self._estimator,
            X=self._X,
            y=self._y,
            metadata=self._metadata,
            reconstruction_attributes=lambda: self._attributes(model()),
        )


def monitor_for(estimator, X, y, sample_weight, max_iter, attributes):
    """An :class:`IterationCallbacks` if the estimator has callbacks, else None.

    Whether it has any is read from the attributes scikit-learn's public
    ``set_callbacks`` and a meta-estimator's propagation set
    (``_skl_callbacks``, ``_parent_callback_ctx``): making the contexts of
    every iteration when nobody listens cost 8 to 10 us per iteration, a
    tenth of a fit on iris (measured, benchmarks/bench_fit.py's iris rows).
    """
    active = bool(getattr(estimator, "_skl_callbacks", None)) or hasattr(
        estimator, "_parent_callback_ctx"
    )
    if not active:
        return None
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    return IterationCallbacks(estimator, X, y, metadata, max_iter, attributes)
