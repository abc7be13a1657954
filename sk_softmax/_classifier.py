"""SoftmaxClassifier: parameters, tags, and a thin fit (partial_fit in ``_partial_fit``).

The estimator validates its data through the backend that holds them
(``sk_softmax.backends``), hands them to the fit pipeline (``_fit``, or
``_stream`` for the stochastic engine) with its settings, and takes back the
fitted attributes. Its predictions are :class:`._prediction_methods.PredictionMethods`'.
"""

import warnings

from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning

from . import _fit, _fitted, _stream
from ._callbacks import CallbackSupportMixin, monitor_for
from ._parameters import CLASSIFIER_CONSTRAINTS, ValidatedOnce
from ._partial_fit import PartialFit
from ._prediction_methods import PredictionMethods
from ._validation import all_or_nothing
from .backends import backend_of, check_stream_input


class SoftmaxClassifier(
    PartialFit, PredictionMethods, ValidatedOnce, CallbackSupportMixin, ClassifierMixin,
    BaseEstimator,
):  # fmt: skip
    """Softmax (multinomial logistic) regression.

    The model of the notes: raw outputs ``o = W x + b``, one row of ``W`` and
    one entry of ``b`` per class, probabilities ``softmax(o)``, trained by
    minimising the L2-penalised cross-entropy::

        F(W, b) = C * sum_i s_i * CE_i + (1 - r)/2 * ||W||_F^2 + r * P(W),
        CE_i    = logsumexp(o_i) - o_{i, y_i},

    where ``s_i = sample_weight_i * class_weight[y_i]``, ``r = l1_ratio``
    (0 by default: the ridge alone) and ``P`` the L1 norm or a grouped form
    of it (``l1_groups``). The intercept ``b`` is not penalised and
    ``C=np.inf`` means no penalty at all. For three or more
    classes this is exactly the objective of
    :class:`sklearn.linear_model.LogisticRegression`, so both reach the same
    optimum. With two classes the model keeps two rows, ``o_1 - o_0`` plays
    the role of binary logistic regression's logit, and
    ``SoftmaxClassifier(C=c)`` predicts the same probabilities as
    ``LogisticRegression(C=2 * c)`` (the penalty falls on both rows; with
    ``l1_ratio=r``, ``LogisticRegression(C=2c/(1+r), l1_ratio=2r/(1+r))``).

    Of the many ``(W, b)`` that give the same probabilities (adding one
    vector to every row changes nothing), the fitted one has rows (and
    intercepts) that sum to zero, the one the penalty picks. A class of zero
    total weight is fitted when ``C`` is finite, as by ``LogisticRegression``
    (its probabilities go towards zero; with an intercept, to about ``tol``),
    and is an error with ``C=inf``.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength, in ``(0, inf]``. Larger values fit
        the training data more closely; ``np.inf`` removes the penalty (the
        optimum is then finite only if no class can be separated from the
        others by a hyperplane).
    fit_intercept : bool, default=True
        Whether to fit the intercept ``b``.
    class_weight : dict, "balanced" or None, default=None
        Weights by class label, multiplying ``sample_weight``. "balanced"
        gives class ``k`` the weight ``total_weight / (n_classes *
        weight_of_class_k)``, with weights summed using ``sample_weight``, so
        that integer sample weights still equal repeated rows. A dict maps
        labels of ``y`` to finite, non-negative weights; labels it omits get
        weight 1. Keys that are not labels of ``y`` are ignored when every
        label has its weight (a fold or bootstrap without a rare class), and
        an error otherwise (likely a misspelt label), as in
        ``LogisticRegression``.
    solver : {"auto", "lbfgs", "newton-cg", "newton-cholesky", "prox-newton", "sgd"}, \
            default="auto"
        The optimiser. All minimise the same objective in standardised
        coordinates (a preconditioner that changes nothing but the
        conditioning) and stop on the same gradient criterion ``tol``.
        "newton-cholesky" is Newton's method with the exact Hessian;
        "newton-cg" truncated Newton on Hessian-vector products,
        preconditioned by the Hessian's class blocks (or its diagonal where
        those cost more than 40 products); "lbfgs" scipy's
        L-BFGS-B, finished by Newton steps if it stalls on the float64
        resolution of the objective; "prox-newton" proximal Newton with
        working sets, the one solver for a penalty with a norm
        (``l1_ratio > 0``). "auto" picks "prox-newton" when the penalty
        has a norm (``l1_ratio > 0`` and ``C`` finite), otherwise
        "newton-cholesky" when an exact Hessian costs at most 85
        Hessian-vector products (``sk_softmax.solvers.hessian_cost``: about
        ``(n_classes - 1) (n_features + 2) / 8``, more on short tables) and
        "newton-cg" beyond. On tall data (``n_samples >= 400 (n_features + 1)
        n_classes``) they start from a random subsample's optimum and take
        their Hessian from it, the gradient and ``tol`` staying exact.
        "sgd" runs epochs of shuffled minibatches of ``batch_size`` rows
        (preconditioned SVRG: variance-reduced stochastic Newton steps) and
        converges linearly to the same optimum as the others, to ``tol`` if
        ``max_iter`` epochs suffice (a ConvergenceWarning says when they do
        not; the user guide has a case that needs more). Before its epochs
        identical rows are merged, so that for a given ``random_state``
        integer weights give exactly the fit of repeated rows. The user
        guide and the theory page have the details.
    tol : float, default=1e-8
        Stop when the largest absolute entry of the gradient of the
        normalised objective ``F / (C * S)`` (``S`` the total sample weight,
        and ``F / S`` for ``C=inf``), taken in standardised coordinates, is
        at most ``tol``; with ``l1_ratio > 0``, of its least-norm subgradient
        (the distance of ``-gradient`` of the smooth part to the subdifferential
        of the norm: zero exactly at the optimum). The gap to the optimal objective is then of order
        ``tol**2`` divided by the smallest curvature, and the coefficients
        within ``tol`` divided by it, far below any statistical error: with
        the default, refitting on repeated rows instead of integer weights
        moves the probabilities by 1e-15 (iris, breast cancer) to 3e-7 (wine's
        raw, unscaled features, the flattest of the bundled sets).
    max_iter : int, default=100
        Maximum number of solver iterations (Newton steps or L-BFGS
        iterations; epochs for "sgd"). A :class:`~sklearn.exceptions.ConvergenceWarning` is
        raised when it is reached before ``tol``.
    warm_start : bool, default=False
        Start from the previous fit's solution instead of zero. The classes
        and features must be the same as in that fit.
    verbose : int, default=0
        Print the objective and gradient at every iteration when positive.
    random_state : int, RandomState instance or None, default=None
        Used by ``solver="sgd"`` only, to seed the shuffling of the rows and
        the validation split. The other solvers are deterministic: the
        subsample of tall data is drawn with a fixed seed of its own.
    batch_size : int, default=256
        Rows per minibatch for ``solver="sgd"`` (the last one of an epoch
        may be shorter). Ignored by the other solvers and by
        :meth:`partial_fit`, whose minibatch is what it is given.
    learning_rate : "auto" or float, default="auto"
        The step of :meth:`partial_fit`, as a multiple of the online Newton
        step (recursive least squares on the curvature of the samples seen:
        1 is that step). "auto": the measured best, 2 where the curvature is
        exact (at most 256 coefficients) or kept as its class blocks (``K
        (d + 1)^2`` at most 65536), 3 on larger models (its Kronecker
        factors); see the user guide's "Scaling out" page. Ignored by ``fit``.
    early_stopping : bool, default=False
        With ``solver="sgd"``, hold out ``validation_fraction`` of the rows
        (stratified when possible), stop when their weighted log-loss has not
        improved by ``tol`` for ``n_iter_no_change`` epochs, and return the
        coefficients of the best epoch. The penalty is then ``1 / (C *
        S_train)``, that of the objective on the rows trained on.
    validation_fraction : float, default=0.1
        Fraction of the rows held out when ``early_stopping=True``, in
        ``(0, 1)``.
    n_iter_no_change : int, default=10
        With ``solver="sgd"`` and ``early_stopping=True``, the number of
        epochs without an improvement of the validation loss by at least
        ``tol`` after which the fit stops.
    l1_ratio : float in [0, 1], default=0.0
        The share of the penalty that is a norm, ``r``: 0 is the ridge, 1 the
        norm alone (the lasso), in between the elastic net. With ``r > 0``
        the optimum has exact zeros in ``coef_``, and ``solver="auto"`` (or
        "prox-newton") fits it; the smooth solvers and :meth:`partial_fit`
        refuse it.
    l1_groups : None, "features" or array-like of shape (n_features,), default=None
        The norm ``P`` (with ``l1_ratio > 0``): None for ``sum_kj |W_kj|``
        (``LogisticRegression``'s L1 penalty), "features" for ``sum_j
        ||W_:j||_2`` (a feature enters or leaves the model for every class at
        once), or a group id per feature for ``sum_g sqrt(|g|) ||W_:,g||_F``
        (whole groups of columns at once, the one-hot columns of a
        categorical variable, say; ``sqrt(|g|)`` keeps large groups from
        being favoured for their size).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features)
        The weights ``W``, one row per class.
    intercept_ : ndarray of shape (n_classes,)
        The intercepts ``b`` (zeros if ``fit_intercept=False``).
    n_iter_ : int
        Number of solver iterations.
    converged_ : bool
        Whether ``tol`` was reached at the returned coefficients (the same
        criterion for every solver, "sgd" included; with ``early_stopping``,
        whether the validation loss stopped improving before ``max_iter``).
        False as well when the fit separates the training data and the
        penalty is too weak to matter (``C=inf``, or so large that its
        gradient is below ``tol``): there is no finite optimum to converge
        to. A :class:`~sklearn.exceptions.ConvergenceWarning` says which.
    objective_ : float or None
        The value of ``F`` at the solution (for "sgd" with early stopping,
        ``F`` on the rows trained on); ``None`` after :meth:`partial_fit`,
        which never sees the whole data.
    solver_ : str
        The solver that ran (the one "auto" chose).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
    loss_curve_ : list of float
        With ``solver="sgd"``: the mean minibatch objective ``F / (C * S)``
        of each epoch (minibatch values before each step, weighted by the
        minibatch's weight).
    validation_loss_curve_ : list of float or None
        With ``solver="sgd"`` and ``early_stopping=True``: the validation
        log-loss after each epoch; ``None`` without early stopping.
    sgd_state_ : OnlineState
        After ``solver="sgd"`` or :meth:`partial_fit`: what the next
        :meth:`partial_fit` continues from (the model ``coef``, the steps
        ``t``, the weight seen ``n_seen`` and its ``class_totals``, the
        running ``mean`` and ``comoment`` of the rows and their
        ``class_curvature``; see :mod:`sk_softmax.solvers.online`).

    See Also
    --------
    sklearn.linear_model.LogisticRegression : the same objective, other solvers.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_softmax import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier().fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.predict_proba(X[:1]).round(3)
    array([[0.982, 0.018, 0.   ]])
    >>> clf.converged_, clf.solver_
    (True, 'newton-cholesky')
    >>> round(clf.score(X, y), 3)
    0.973
    """

    _parameter_constraints = CLASSIFIER_CONSTRAINTS

    def __init__(
        self,
        C=1.0,
        *,
        fit_intercept=True,
        class_weight=None,
        solver="auto",
        tol=1e-8,
        max_iter=100,
        warm_start=False,
        verbose=0,
        random_state=None,
        batch_size=256,
        learning_rate="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        l1_ratio=0.0,
        l1_groups=None,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.l1_ratio = l1_ratio
        self.l1_groups = l1_groups

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # Without an intercept every decision boundary passes through the
        # origin, so uncentred data (the common checks' blobs) can be fitted
        # poorly however long the solver runs: declare it, as scikit-learn's
        # tag intends, instead of failing on a property of the model.
        tags.classifier_tags.poor_score = not self.fit_intercept
        # Array API input (with array_api_dispatch=True) is fitted and predicted in its
        # own namespace and device (backends/array_api.py), by every solver but the NumPy-only sgd.
        tags.array_api_support = self.solver != "sgd"
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    @all_or_nothing
    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimising the penalised cross-entropy.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: float32 and float64 are used as they are (except
            a standardised float64 copy of data of at most 4 MB), other
            numbers converted to float64, CSR and CSC matrices kept sparse;
            dask collections, and Array API arrays with
            ``array_api_dispatch`` on, fitted where they live.
        y : array-like of shape (n_samples,)
            Class labels, of any type scikit-learn accepts (at least two).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights are equivalent to
            repeating rows.

        Returns
        -------
        self : SoftmaxClassifier
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sk_softmax import SoftmaxClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxClassifier(C=1.0).fit(X, y)
        >>> clf.solver_, clf.converged_, clf.coef_.shape
        ('newton-cholesky', True, (3, 4))
        """
        backend = backend_of(X)
        if self.solver == "sgd":
            check_stream_input(X, "fit with solver='sgd'")
        data, weights = backend.fit_data(self, X, y, sample_weight)
        previous = _fitted.previous_coef(self, data)
        monitor = monitor_for(
            self, X, y, sample_weight, self.max_iter,
            lambda coef: data.attributes(coef, self.fit_intercept),
        )  # fmt: skip
        settings = _fit.Settings.of(self)
        if self.solver == "sgd":
            stream = _stream.StreamSettings.of(self)
            result = _stream.fit_sgd(
                data, weights, settings, stream, previous=previous, monitor=monitor
            )
        else:
            result = _fit.fit(data, weights, settings, previous=previous, monitor=monitor)
        for message in result.warnings:
            # stacklevel: fit and its two decorators, then the caller
            warnings.warn(message, ConvergenceWarning, stacklevel=4)
        _fitted.set_fitted(self, result, data)
        return self
