"""scikit-learn's callback API (``sklearn.callback``, 1.9+) for every solver.

A fit is a task; each solver iteration (a Newton step, an L-BFGS iteration,
an epoch of the stochastic solver) is one of its subtasks. Callbacks such as
``ProgressBar`` and ``ScoringMonitor`` see each iteration begin and end, and
can read the model as it stands after it (``fitted_estimator``). A callback
that asks to stop ends the fit after the current iteration, with a usable
model. On a scikit-learn without ``sklearn.callback`` the package works
unchanged; ``set_callbacks`` is simply absent.
"""

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin

    HAS_CALLBACKS = True
except ImportError:  # pragma: no cover - exercised on older scikit-learn only

    class CallbackSupportMixin:  # noqa: D101 - an empty stand-in
        pass

    HAS_CALLBACKS = False


class IterationCallbacks:
    """Bridge from a solver's ``callback(n_iter, coef, value, grad)`` to sklearn's.

    Parameters
    ----------
    estimator : the estimator being fitted (a ``CallbackSupportMixin``)
    X, y : the training data, as the estimator validated them
    metadata : dict or None
        ``{"sample_weight": ...}`` when weights were given.
    max_iter : int
        Most iterations the solver may run.
    attributes : callable
        ``attributes(coef) -> dict`` of fitted attributes (``coef_``,
        ``intercept_``, ``classes_``) for the solver's coefficient vector;
        called only if a callback asks for the fitted model.

    Use: ``bridge = IterationCallbacks(...)``; pass ``bridge`` as the solver's
    ``callback`` (it returns True when a callback asks to stop), then
    ``bridge.close(final_coef)``. Inactive (and free) when the estimator has no
    callbacks and none propagated from a meta-estimator.
    """

    def __init__(self, estimator, X, y, metadata, max_iter, attributes):
        self.active = HAS_CALLBACKS and (
            bool(getattr(estimator, "_skl_callbacks", None))
            or hasattr(estimator, "_parent_callback_ctx")
        )
        if not self.active:
            return
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

    def __call__(self, n_iter, coef, value, grad):
        """End the iteration just done, begin the next; True asks the solver to stop."""
        if not self.active:
            return False
        coef = coef.copy()
        stop = self._iter_ctx.call_on_fit_task_end(
            estimator=self._estimator,
            X=self._X,
            y=self._y,
            metadata=self._metadata,
            reconstruction_attributes=lambda: self._attributes(coef),
        )
        self._iter_ctx = self._begin_iteration()
        return bool(stop)

    def close(self, coef):
        """End the iteration begun but never run, then the fit task itself."""
        if not self.active:
            return
        self._iter_ctx.call_on_fit_task_end(estimator=self._estimator)
        self._ctx.call_on_fit_task_end(
            estimator=self._estimator,
            X=self._X,
            y=self._y,
            metadata=self._metadata,
            reconstruction_attributes=lambda: self._attributes(coef),
        )
