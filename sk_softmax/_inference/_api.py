"""``sk_softmax.inference``: the fitted model, its data, its covariance, a result."""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from .._threads import fit_threads
from ..backends import backend_of
from . import _covariance
from ._groups import encode_groups
from ._model import Evaluated
from ._results import Facts, SoftmaxInference
from ._source import read_estimator

#: Most parameters inference handles: their covariance, and the Hessian and
#: its inverse, are dense matrices of this size squared (800 MB each).
MAX_PARAMETERS = 10_000

#: Distances (in standard errors) between the estimator's coefficients and
#: the optimum on the data given, from one Newton step, beyond which the
#: coefficients are reported as not converged (a warning) or as not this
#: objective's optimum (an error).
WARN_OFFSET, ERROR_OFFSET = 0.01, 1.0


def _check_options(cov_type, groups, source):
    if cov_type not in _covariance.cov_types():
        raise ValueError(
            f"cov_type={cov_type!r} is not one of {list(_covariance.cov_types())}: "
            "'nonrobust' (inverse information), 'HC0' and 'HC1' (sandwich), 'cluster' "
            "(with groups)."
        )
    if groups is not None and cov_type != "cluster":
        raise ValueError(
            f"groups is only used with cov_type='cluster' (cov_type={cov_type!r}): pass "
            "cov_type='cluster', or no groups."
        )
    if source.class_weight is not None and cov_type == "nonrobust":
        raise ValueError(
            f"The {source.name} was fitted with class_weight={source.class_weight!r}, which "
            "reweights the likelihood: the inverse information is then not the covariance "
            "of the estimates. Use a sandwich, cov_type='HC0', 'HC1' or 'cluster'."
        )
    size = (source.coef.shape[0] - 1) * source.coef.shape[1]
    if size > MAX_PARAMETERS:
        raise ValueError(
            f"The model has {size} free parameters, more than inference handles "
            f"({MAX_PARAMETERS}): their covariance alone would take {8 * size**2 / 1e9:.1f} "
            "GB. Select fewer features, or merge classes."
        )


def _feature_names(source, probe, data):
    """The features' names, after checking that the data match the estimator."""
    if data.n_features != source.n_features:
        raise ValueError(
            f"X has {data.n_features} features, but the {source.name} was fitted on "
            f"{source.n_features}: pass the data it was fitted on."
        )
    seen = getattr(probe, "feature_names_in_", None)
    fitted = source.feature_names
    if seen is not None and fitted is not None and list(seen) != list(fitted):
        raise ValueError(
            f"X has the columns {list(seen)}, but the {source.name} was fitted on "
            f"{list(fitted)}: pass the data it was fitted on, with its columns in order."
        )
    names = fitted if fitted is not None else seen
    if names is None:
        return [f"x{j}" for j in range(data.n_features)]
    return [str(name) for name in names]


def _check_classes(source, data):
    classes = np.asarray(data.classes_numpy)
    if classes.shape != source.classes.shape or np.any(classes != source.classes):
        raise ValueError(
            f"y has the classes {classes.tolist()!r}, but the {source.name} was fitted on "
            f"{source.classes.tolist()!r}: pass the labels it was fitted on (every class "
            "must appear)."
        )


def _baseline_index(baseline, classes):
    if baseline is None:
        return 0
    matches = np.flatnonzero(classes == baseline) if np.ndim(baseline) == 0 else []
    if len(matches) != 1:
        raise ValueError(
            f"baseline={baseline!r} is not one of the classes {classes.tolist()!r}: pass "
            "one of them (None for the first)."
        )
    return int(matches[0])


def _describer(names, n_dof):
    """A function naming the parameters a subspace of the Hessian moves most.

    A parameter's size is the length of its coordinate axes' projection on the
    subspace (over every class and every basis vector): it does not depend on
    which orthonormal basis of the subspace the eigensolver returned.
    """
    labels = [repr(name) for name in names] + ["the intercept"]

    def describe(basis):
        size = np.sqrt(np.square(basis).reshape(-1, n_dof, basis.shape[1]).sum(axis=(0, 2)))
        moved = [labels[j] for j in np.flatnonzero(size >= 0.05 * size.max())]
        listed = ", ".join(moved[:6]) + (", ..." if len(moved) > 6 else "")
        return f"the coefficients of {listed}"

    return describe


def _warn_fixed(fixed, names, n_dof):
    """Warn about parameters of zero variance: the data carry no information on them."""
    fixed = fixed.reshape(-1, n_dof).all(axis=0)
    if not fixed.any():
        return
    labels = [repr(name) for name in names] + ["the intercept"]
    listed = [labels[j] for j in np.flatnonzero(fixed)]
    shown = ", ".join(listed[:8]) + (f" and {len(listed) - 8} more" if len(listed) > 8 else "")
    warnings.warn(
        f"The data carry no information on the coefficients of {shown} (features that "
        "are constant, or zero, on every row): the penalty fixes them at 0, with no "
        "uncertainty left, so they are reported with standard error 0, z = 0 and p = 1. "
        "Drop those features for a cleaner table.",
        UserWarning,
        stacklevel=3,
    )


def _no_finite_optimum(source):
    penalty = "C=inf (no penalty)" if not source.penalised else f"C={source.C:g}, too weak"
    return ValueError(
        "The training data are linearly separable (some class can be split from the "
        f"others by a hyperplane) and with {penalty} there is no finite maximum "
        "likelihood estimate: the likelihood keeps increasing as the coefficients grow "
        "along the separating direction, so the fitted coefficients (set by the solver's "
        "tol) and any standard error would be meaningless. Fit with a finite C and "
        "inference reports the penalised fit's sandwich covariance, or drop the "
        "separating features."
    )


def _quasi_separated(source, direction, names):
    """The error for quasi-complete separation, naming the features of the direction."""
    moved = [repr(names[j]) for j in np.flatnonzero(np.any(direction[:, : len(names)], axis=0))]
    listed = ", ".join(moved[:6]) + (f" and {len(moved) - 6} more" if len(moved) > 6 else "")
    features = f"the coefficients of {listed}" if moved else "the intercepts"
    penalty = "C=inf (no penalty)" if not source.penalised else f"C={source.C:g}, too weak"
    return ValueError(
        f"The training data are quasi-completely separated along {features}: some rows' "
        "classes are decided by them (a level of a dummy that occurs in one class only, "
        f"say), and with {penalty} there is no finite maximum likelihood estimate: the "
        "likelihood keeps increasing as those coefficients grow, so the fitted ones (set by "
        "the solver's tol) and their standard errors would be meaningless. Fit with a finite "
        "C and inference reports the penalised fit's sandwich covariance, or drop or merge "
        "those features (a rare level into another)."
    )


def _check_criterion(model, source):
    """A converged fit's own criterion, ``max |g| <= tol``, must hold on the data given.

    It held on the training data; recomputed on the same data it differs
    only by rounding (float64 sums: every backend but an Array API device
    without float64, whose rounding can exceed ``tol``). Anything more means
    other data.
    """
    on_device = hasattr(model.data, "xp")  # Array API data, computed in their own dtype
    if source.tol is None or (on_device and "float64" not in str(model.data.X.dtype)):
        return
    largest = float(np.max(np.abs(model.gradient())))
    if largest > 2 * source.tol:
        raise ValueError(
            f"The {source.name} converged (largest gradient entry at most tol="
            f"{source.tol:g} on its training data), but on the data given its gradient "
            f"reaches {largest:.3g}: it was fitted on other rows, labels or sample_weight, "
            "or its C, class_weight or fit_intercept changed since. Pass the X, y and "
            "sample_weight it was fitted on."
        )


def _check_offset(model, bread, gradient, source):
    """Warn or raise when the coefficients are not the optimum of the objective on these data.

    One Newton step ``H^-1 g`` from them measures their distance to the
    optimum; it is compared with the model-based standard errors.
    """
    coordinates, n_dof = model.problem.coordinates, model.shape[1]
    step = _covariance.vector_to_original(coordinates, bread @ gradient, n_dof)
    se = np.sqrt(np.diag(_covariance.to_original(coordinates, bread, n_dof)) / model.total)
    offset = float(np.max(np.abs(step) / se))
    if offset <= WARN_OFFSET:
        return
    text = (
        f"The {source.name}'s coefficients are not the optimum of its objective on the "
        f"data given: one Newton step moves them by up to {offset:.2g} standard errors. "
        "It was fitted on other data (rows, labels or sample_weight), or its parameters "
        "changed since, or it did not converge"
    )
    advice = "refit it on these X, y and sample_weight, with a smaller tol if need be."
    if offset > ERROR_OFFSET:
        raise ValueError(f"{text}: {advice}")
    warnings.warn(
        f"{text}; every estimate is off by that much. To remove this, {advice}",
        ConvergenceWarning,
        stacklevel=3,
    )


def _meat(model, cov_type, info, codes, n_labels):
    """The meat ``J`` of the sandwich, in the units of the normalised objective."""
    if cov_type == "nonrobust":
        return info
    with fit_threads():
        if cov_type == "cluster":
            return model.cluster_meat(codes, n_labels)
        return model.score_outer()


def _standardised_cov(model, cov_type, groups, describe):
    """``(Cov', k, H^-1, g)`` in standardised coordinates: the covariance, the
    number of parameters, the bread and the gradient (for the optimality check)."""
    with fit_threads():
        info, hessian = model.information()
        gradient = model.gradient()[model.keep].ravel()
    bread = _covariance.invert(hessian, describe)
    penalised = hessian is not info
    k = _covariance.effective_parameters(bread, info) if penalised else float(len(hessian))
    if cov_type == "nonrobust" and not penalised:
        cov = bread
    else:
        cov = _covariance.sandwich(bread, _meat(model, cov_type, info, groups[0], groups[1]))
    factor = _covariance.correction(cov_type, model.nobs, k, groups[2])
    return cov * (factor / model.total), k, bread, gradient


def inference(
    estimator, X, y, *, sample_weight=None, cov_type="nonrobust", groups=None, baseline=None
):
    """Standard errors, p-values, intervals and tests for a fitted softmax model.

    The multinomial logit model's inference as statsmodels' ``MNLogit``
    reports it, for a :class:`~sk_softmax.SoftmaxClassifier` or a
    multinomial :class:`~sklearn.linear_model.LogisticRegression` (the same
    objective), on the data it was fitted on, on any backend the estimator
    fits (NumPy, SciPy sparse, dask, Array API). The coefficients are
    reported in the baseline parameterisation: each class against
    ``baseline``, ``log(p_k / p_baseline) = beta_k . [1, x]``, which predicts
    exactly what the fitted model predicts.

    The covariance, with ``H`` the Hessian of the (penalised) negative
    log-likelihood at the fit, ``I`` that of the unpenalised one (the
    observed information; ``H = I`` without a penalty), ``g_i`` the score of
    sample ``i``, ``s_i`` the fit's weights and ``n = sum_i f_i`` the number
    of observations (``f`` the frequency weights ``sample_weight``):

    - ``"nonrobust"``: ``H^-1 I H^-1``, i.e. ``I^-1`` without a penalty;
    - ``"HC0"``: ``H^-1 (sum_i f_i c_i^2 g_i g_i^T) H^-1``, with ``c_i`` the
      class weight of sample ``i`` (1 without), so ``s_i = f_i c_i``;
    - ``"HC1"``: HC0 times ``n / (n - k)``;
    - ``"cluster"``: ``H^-1 (sum_g G_g G_g^T) H^-1 * G / (G - 1) * (n - 1) /
      (n - k)`` with ``G_g = sum_{i in g} s_i g_i`` and ``G`` the number of
      clusters (statsmodels' CR1);

    ``k`` is the number of parameters, ``(n_classes - 1) * (n_features +
    fit_intercept)``, or for a penalised fit its effective number ``tr(H^-1
    I)``. A penalised fit (finite ``C``) is reported with the sandwich of the
    penalised Hessian around the information: the covariance of the
    penalised estimator, whose intervals are centred on the shrunk
    estimates; they cover the true coefficients when the shrinkage is small
    next to the standard errors (large samples, weak penalty).

    Parameters
    ----------
    estimator : SoftmaxClassifier or LogisticRegression
        Fitted; a ``LogisticRegression`` with an L2 penalty or none, and a
        multinomial solver (not ``"liblinear"``).
    X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
        The data it was fitted on.
    y : array-like of shape (n_samples,)
        The labels it was fitted on (every class present).
    sample_weight : array-like of shape (n_samples,), default=None
        The weights it was fitted with, read as frequency weights: integer
        weights give exactly the standard errors of the data with repeated
        rows.
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}, default="nonrobust"
        The covariance estimator (above). With ``class_weight``, a sandwich
        only: the weighted likelihood's inverse information is not a
        covariance.
    groups : array-like of shape (n_samples,), default=None
        Cluster labels, for ``cov_type="cluster"`` (of the backend's kind, or
        in memory).
    baseline : label, default=None
        The reference class; the first of ``classes_`` by default
        (statsmodels' choice).

    Returns
    -------
    result : SoftmaxInference
        ``params``, ``bse``, ``tvalues``, ``pvalues``, ``conf_int()``,
        ``cov_params()``, ``llf``, ``summary()``, ``wald_test()``,
        ``get_margeff()``, ``predict_interval()``, ...

    Raises
    ------
    ValueError
        When the model has no finite maximum likelihood estimate (separable
        data and no effective penalty: a class split from the others by a
        hyperplane, or quasi-complete separation, some rows' classes decided
        by some features, a dummy level seen in one class only, say; the
        latter is tested by a linear programme on in-memory data whose
        constraints hold at most 500 000 non-zeros, about ``n_samples *
        (n_classes - 1) * 2 * (n_features + 1)``), its information matrix is singular
        (collinear features, say), or the estimator's coefficients are not
        the optimum of its objective on these data (fitted on other data;
        a ``ConvergenceWarning`` when they are merely not fully converged).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_wine
    >>> from sk_softmax import SoftmaxClassifier, inference
    >>> X, y = load_wine(return_X_y=True, as_frame=True)
    >>> X = X[["alcohol", "malic_acid", "ash"]]
    >>> clf = SoftmaxClassifier(C=np.inf).fit(X, y)
    >>> result = inference(clf, X, y)
    >>> print(result.summary())
                         SoftmaxClassifier inference results
    ==============================================================================
    Dep. Variable:                 target   No. Observations:                  178
    Model:              SoftmaxClassifier   Df Residuals:                      170
    Method:                           MLE   Df Model:                            6
    Penalty:                 none (C=inf)   Pseudo R-squ.:                  0.5321
    Baseline:                           0   Log-Likelihood:                -90.459
    Covariance Type:            nonrobust   LL-Null:                       -193.31
    Converged:                       True   LLR p-value:                 1.154e-41
    ==============================================================================
           y=1       coef    std err          z      P>|z|      [0.025      0.975]
    ------------------------------------------------------------------------------
    const         70.6628     10.132      6.974      0.000      50.804      90.522
    alcohol       -4.9223      0.729     -6.750      0.000      -6.352      -3.493
    malic_acid     0.2869      0.348      0.826      0.409      -0.394       0.968
    ash           -3.0069      1.306     -2.302      0.021      -5.567      -0.447
    ------------------------------------------------------------------------------
           y=2       coef    std err          z      P>|z|      [0.025      0.975]
    ------------------------------------------------------------------------------
    const         25.8713      7.518      3.441      0.001      11.136      40.606
    alcohol       -2.1227      0.538     -3.947      0.000      -3.177      -1.069
    malic_acid     1.2517      0.272      4.610      0.000       0.719       1.784
    ash           -0.2965      1.079     -0.275      0.783      -2.411       1.818
    ==============================================================================

    Does a feature matter, for any class? The joint test of its row:

    >>> print(result.wald_test_terms())
                      chi2      P>chi2  df constraint
    const            49.64   1.659e-11              2
    alcohol          45.75   1.162e-10              2
    malic_acid       28.11   7.856e-07              2
    ash              6.546     0.03788              2
    """
    source = read_estimator(estimator)
    _check_options(cov_type, groups, source)
    probe = clone(estimator)  # validation records n_features_in_ on it, not on the estimator
    data, sample_weight = backend_of(X).fit_data(probe, X, y, sample_weight)
    names = _feature_names(source, probe, data)
    _check_classes(source, data)
    base = _baseline_index(baseline, source.classes)
    clusters = (None, None, None)
    if cov_type == "cluster":
        clusters = encode_groups(groups, data, sample_weight)
    with fit_threads() as n_threads:
        model = Evaluated(source, data, sample_weight, base, n_threads)
        if model.separated():
            raise _no_finite_optimum(source)
        direction = model.recession()
        if direction is not None:
            raise _quasi_separated(source, direction, names)
        _check_criterion(model, source)
        llf, llnull = model.loglikelihood(), model.null_loglikelihood()
    n_dof = model.shape[1]
    cov, k, bread, gradient = _standardised_cov(model, cov_type, clusters, _describer(names, n_dof))
    _check_offset(model, bread, gradient, source)
    # in standardised coordinates (unit curvature): in the original ones, variances 1e30 apart
    fixed = _covariance.without_spread(np.diag(cov))
    _warn_fixed(fixed, names, n_dof)
    name = getattr(y, "name", None)
    facts = Facts(
        model_name=source.name, dep_name=name if isinstance(name, str) else "y",
        classes=source.classes, baseline=base, keep=model.keep, feature_names=names,
        fit_intercept=source.fit_intercept, coef=model.coef,
        cov=_covariance.to_original(model.problem.coordinates, cov, n_dof),
        llf=llf, llnull=llnull, nobs=model.nobs, k=k, C=source.C, cov_type=cov_type,
        n_groups=clusters[2], converged=source.converged, X=data.X, sample_weight=sample_weight,
        fitted_names=source.feature_names, fixed=fixed,
    )  # fmt: skip
    return SoftmaxInference(facts)
