"""``SoftmaxClassifier.partial_fit``: one online Newton step per minibatch, a mixin.

The estimator's stream entry: it checks the batch and the parameters (again
on every call: scikit-learn checks the first only), continues the stream's
state (or a full-batch fit's model), and hands the step to ``_stream``.
"""

from sklearn.base import _fit_context
from sklearn.utils.metaestimators import available_if

from . import _fit, _fitted, _stream
from ._callbacks import monitor_for
from ._parameters import streamable
from ._validation import all_or_nothing
from .backends import check_stream_input
from .backends import numpy as numpy_backend


class PartialFit:
    """:meth:`partial_fit` for :class:`~sk_softmax.SoftmaxClassifier`."""

    @available_if(streamable)
    @_fit_context(prefer_skip_nested_validation=True)
    @all_or_nothing
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One online Newton step of the softmax objective on a minibatch.

        Learns the multinomial model online, from a stream of minibatches
        that need never be in memory together, on the objective ``F`` over
        all the samples seen so far (``n_seen`` the total weight seen, this
        batch included: a data set streamed ``E`` times counts its rows ``E``
        times). Each step is a Newton step on the running curvature of the
        samples seen (the minibatches' recent Hessians, exact or their class
        blocks, on models of moderate size; else the Kronecker factors of a
        class factor and the running moments of the features;
        :mod:`sk_softmax.solvers.online`), of size ``learning_rate`` times the
        batch's share of ``n_seen``, each row's pull on its own logits capped:
        no tuning, and the same steps for raw or standardised features. A fit with any
        solver can be continued from its ``coef_`` and ``intercept_``. Each
        call is one callback task; a call that fails (a bad batch, or a
        callback that raises) leaves the estimator and its ``sgd_state_`` as
        they were. The user guide's "Scaling out" page has the details and
        the measured figures.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The minibatch.
        y : array-like of shape (n_samples,)
            Its labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            All the classes the stream can contain. Required on the first
            call (the stream may not show every class at once); later calls
            may omit it or must repeat it.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, which count rows (a row of weight 2 is two
            copies of it), as in ``SGDClassifier``: their scale matters here,
            not only their ratios; rescale normalised weights to a mean near
            1 (the "Scaling out" page shows why). ``class_weight="balanced"``
            uses the class totals seen so far, this batch included.

        Returns
        -------
        self : SoftmaxClassifier
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import StandardScaler
        >>> from sk_softmax import SoftmaxClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = SoftmaxClassifier()
        >>> rng = np.random.default_rng(0)
        >>> for epoch in range(20):
        ...     for batch in np.array_split(rng.permutation(150), 5):
        ...         clf = clf.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
        >>> clf.sgd_state_.t, float(clf.sgd_state_.n_seen)
        (100, 3000.0)
        >>> bool(clf.score(X, y) > 0.9)
        True
        """
        check_stream_input(X, "partial_fit")
        first_call = not hasattr(self, "classes_")
        if not first_call:  # _fit_context checks the first call only; set_params may follow
            self._validate_params()
        data, weights = numpy_backend.stream_data(
            self, X, y, classes, sample_weight, None if first_call else self.classes_
        )
        state = getattr(self, "sgd_state_", None)
        previous = None
        if state is None and not first_call:  # continue a full-batch fit
            previous = _fitted.current_coef(self, continued=True)
        monitor = monitor_for(
            self, X, y, sample_weight, 1, lambda coef: data.attributes(coef, self.fit_intercept)
        )
        result = _stream.partial_fit_step(
            data, weights, _fit.Settings.of(self), self.learning_rate,
            state=state, previous=previous, monitor=monitor,
        )  # fmt: skip
        _fitted.set_streamed(self, result, data)
        return self
