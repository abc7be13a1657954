"""The stochastic side of SoftmaxClassifier: ``partial_fit`` and ``solver="sgd"``.

Estimator code only (validation, label and weight handling, fitted
attributes); the optimisation itself is the engine of ``_sgd.py``.
"""

import warnings

import numpy as np
from scipy import sparse
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from . import _sgd
from ._array_api import check_numpy_only
from ._loss import SoftmaxLoss, column_moments
from ._validation import _checked_sample_weight, _validated_xy

# The attributes that only a stochastic fit sets; a full-batch fit removes them.
_SGD_ATTRIBUTES = ("sgd_state_", "loss_curve_", "validation_loss_curve_")


def _power_of_two_below(value):
    """The largest power of two at most ``value`` (``value`` positive and finite)."""
    mantissa, exponent = np.frexp(value)
    return float(np.ldexp(1.0, int(exponent) - 1))


class OnlineMixin:
    """``partial_fit`` and the epochs of ``fit(solver="sgd")``."""

    def _clear_sgd_attributes(self):
        for name in _SGD_ATTRIBUTES:
            self.__dict__.pop(name, None)

    # -- partial_fit -------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One Adam step of the softmax objective on a minibatch.

        Learns the multinomial model online, from a stream of minibatches
        that need never be in memory together. Each call takes one step of
        the engine of ``solver="sgd"`` (Adam, step size ``learning_rate``
        decaying as ``learning_rate / sqrt(1 + t / 100)`` after ``t``
        steps) on the minibatch objective ``mean_i s_i CE_i / mean_i s_i +
        1 / (2 C n_seen) ||W||^2``, where ``n_seen`` is the total sample
        weight seen so far, this batch included: the estimator's objective
        ``F`` over all the samples seen, divided by ``C * n_seen`` (a data
        set streamed ``E`` times counts its rows ``E`` times, like repeated
        rows). The steps are taken in the standardised coordinates given by
        the first batch's column centres and scales (a fixed
        reparametrisation that changes nothing but the conditioning), so
        the first batch should be representative, or the data standardised.

        A fit with another solver can be continued by ``partial_fit``: it
        starts from ``coef_`` and ``intercept_``.

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
            Non-negative weights. ``class_weight="balanced"`` uses the class
            totals seen so far, this batch included.

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
        check_numpy_only(X, "partial_fit")
        first_call = not hasattr(self, "classes_")
        classes_ = self._partial_fit_classes(classes, first_call)
        X, y = _validated_xy(self, X, y, reset=first_call)
        y_codes = np.searchsorted(classes_, y)
        unknown = (y_codes >= classes_.size) | (
            classes_[np.minimum(y_codes, classes_.size - 1)] != y
        )
        if np.any(unknown):
            raise ValueError(
                f"y has labels that are not in classes: {np.unique(y[unknown]).tolist()!r}; "
                f"the classes are {classes_.tolist()!r}. Pass every label the stream can "
                "contain in `classes` on the first call to partial_fit."
            )
        sample_weight = _checked_sample_weight(sample_weight, X)
        if sparse.issparse(X):
            X = X.tocsr()

        state = getattr(self, "sgd_state_", None)
        if state is None:
            state = self._initial_state(X, y_codes, classes_, sample_weight, first_call)
        class_weight, class_totals = self._online_class_weights(
            state, classes_, y_codes, sample_weight
        )
        weights = sample_weight * class_weight
        with np.errstate(over="ignore"):
            total = weights.sum()
        if not np.isfinite(total):
            raise ValueError(
                f"The sample weights of this batch (times any class_weight) sum to {total}, "
                "beyond float64: scale them down. Only their ratios, and C times their "
                "total, matter."
            )
        # Nothing in the state changes before here: a failed call leaves it intact.
        state.class_totals = class_totals
        if total > 0:
            state.n_seen += total
            alpha = 0.0 if np.isinf(self.C) else 1.0 / (self.C * state.n_seen)
            _sgd.sgd_step(state, X, y_codes, weights, alpha=alpha, learning_rate=self.learning_rate)
        self.classes_ = classes_
        self._set_coef(state.original_coef(), X.shape[1])
        self.sgd_state_ = state
        self.n_iter_ = 1
        self.converged_ = False
        self.solver_ = "sgd"
        self.objective_ = None
        return self

    def _partial_fit_classes(self, classes, first_call):
        if classes is not None:
            classes = np.asarray(classes)
            if classes.ndim != 1:
                raise ValueError(
                    f"classes must be a 1-D array of labels, got shape {classes.shape}."
                )
            unique = np.unique(classes)
            if unique.size < 2:
                raise ValueError(
                    "classes must list at least 2 distinct labels for partial_fit, got "
                    f"{unique.tolist()!r}."
                )
        if first_call:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: the list of "
                    "every label the stream can contain, e.g. classes=np.unique(y_all)."
                )
            return unique
        if classes is not None and not np.array_equal(unique, self.classes_):
            raise ValueError(
                f"classes={unique.tolist()!r} is not the same as on the first call to "
                f"partial_fit (or in fit): {self.classes_.tolist()!r}. The classes of a "
                "stream are fixed; call fit to start afresh."
            )
        return self.classes_

    def _initial_state(self, X, y_codes, classes, sample_weight, first_call):
        """State from ``coef_`` (a previous fit) or zero, map from this batch."""
        n_features = X.shape[1]
        n_dof = n_features + int(self.fit_intercept)
        coef = np.zeros((classes.size, n_dof))
        if not first_call:
            coef[:, :n_features] = self.coef_
            if self.fit_intercept:
                coef[:, -1] = self.intercept_
        if sample_weight.sum() > 0:
            mean, std = column_moments(X, sample_weight, center=self.fit_intercept)
        else:
            mean, std = np.zeros(n_features), np.ones(n_features)
        return _sgd.init_state(coef, mean, _sgd.safe_scale(std), self.fit_intercept)

    def _online_class_weights(self, state, classes, y_codes, sample_weight):
        """Each sample's class weight, and the class totals seen with this batch.

        "balanced" uses the totals seen so far, this batch included.
        """
        totals = state.class_totals + np.bincount(
            y_codes, weights=sample_weight, minlength=classes.size
        )
        if self.class_weight is None:
            return np.ones(y_codes.size), totals
        if isinstance(self.class_weight, str):  # "balanced"
            seen = totals > 0
            vector = np.ones(classes.size)
            vector[seen] = totals.sum() / (classes.size * totals[seen])
        else:
            vector = self._class_weight_vector(classes, y_codes, sample_weight)
        return vector[y_codes], totals

    def _set_coef(self, coef, n_features):
        self.coef_ = np.ascontiguousarray(coef[:, :n_features])
        if self.fit_intercept:
            self.intercept_ = coef[:, -1].copy()
        else:
            self.intercept_ = np.zeros(coef.shape[0])

    # -- fit(solver="sgd") -------------------------------------------------------
    def _fit_sgd(self, X, y_codes, classes, sample_weight):
        """Epochs of shuffled minibatches; returns the fitted estimator.

        ``sample_weight`` is the validated one (``fit`` has checked the class
        totals). The penalty uses the total weight of the rows trained on, so
        that with ``early_stopping=False`` the engine minimises exactly
        ``F / (C * S)``.
        """
        rng = check_random_state(self.random_state)
        if sparse.issparse(X):
            X = X.tocsr()
        # Canonical form: the fit depends on the weighted data set only (see
        # distinct_rows), so integer weights give exactly the fit of repeated
        # rows. Weights are scaled by powers of two only, which commute with
        # rounding: the canonical weights are then the same bits both ways.
        scale = _power_of_two_below(sample_weight.max())
        weights = sample_weight / scale
        if self.class_weight is not None:
            weights = weights * self._class_weight_vector(classes, y_codes, weights)[y_codes]
        rows, weights = _sgd.distinct_rows(X, y_codes, weights)
        top = _power_of_two_below(weights.max())
        weights, weight_scale = weights / top, scale * top
        X, y_codes = X[rows], y_codes[rows]
        n_samples, n_features = X.shape
        train = np.arange(n_samples)
        valid = None
        if self.early_stopping:
            train, valid = self._validation_split(y_codes, weights, rng)
        X_train, y_train, w_train = X[train], y_codes[train], weights[train]
        alpha = self._alpha(w_train, weight_scale)
        mean, std = column_moments(X_train, w_train, center=self.fit_intercept)
        state = _sgd.init_state(
            self._start_coef(
                classes, n_features, np.bincount(y_train, weights=w_train, minlength=classes.size)
            ),
            mean,
            _sgd.safe_scale(std, alpha),
            self.fit_intercept,
        )
        state.n_seen = float(w_train.sum())
        state.class_totals = np.bincount(y_train, weights=w_train, minlength=classes.size)

        loss_curve, valid_curve = [], []
        best, best_coef, stall, converged = np.inf, None, 0, False
        for epoch in range(1, self.max_iter + 1):
            total = 0.0
            for rows in _sgd.batches(train.size, self.batch_size, rng):
                batch_weight = w_train[rows].sum()
                if batch_weight > 0:
                    value = _sgd.sgd_step(
                        state,
                        X_train[rows],
                        y_train[rows],
                        w_train[rows],
                        alpha=alpha,
                        learning_rate=self.learning_rate,
                    )
                    total += value * batch_weight
            loss_curve.append(total / w_train.sum())
            score = loss_curve[-1]
            if valid is not None:
                score = self._validation_loss(state, X[valid], y_codes[valid], weights[valid])
                valid_curve.append(score)
            if self.verbose:
                extra = f"  validation loss {score:.6e}" if valid is not None else ""
                print(f"epoch {epoch:4d}  training loss {loss_curve[-1]:.6e}{extra}")
            # scikit-learn's MLP rule: an epoch counts as no improvement unless
            # it beats the best so far by tol; the best coefficients are kept.
            stall = stall + 1 if score > best - self.tol else 0
            if score < best:
                best = score
                if valid is not None:
                    best_coef = state.original_coef()
            if stall >= self.n_iter_no_change:
                converged = True
                break
        coef = best_coef if valid is not None else state.original_coef()
        if not converged:
            warnings.warn(
                f"SoftmaxClassifier (solver='sgd') did not converge: the "
                f"{'validation' if valid is not None else 'training'} loss still improved by "
                f"more than tol={self.tol} within the last n_iter_no_change="
                f"{self.n_iter_no_change} epochs when max_iter={self.max_iter} epochs were "
                "done. Increase max_iter, or learning_rate, or loosen tol.",
                ConvergenceWarning,
                stacklevel=4,
            )

        loss = SoftmaxLoss(X_train, y_train, classes.size, w_train, alpha, self.fit_intercept)
        self._clear_sgd_attributes()
        self.classes_ = classes
        self._set_coef(coef, n_features)
        self.n_iter_ = epoch
        self.converged_ = converged
        self.solver_ = "sgd"
        self.objective_ = self._unnormalise(loss.loss(coef.ravel()), w_train, weight_scale)
        self.loss_curve_ = loss_curve
        self.validation_loss_curve_ = valid_curve if valid is not None else None
        # partial_fit goes on from the returned model, with Adam's moments.
        state.set_original(coef)
        state.n_seen = float(w_train.sum() * weight_scale)
        state.class_totals = np.bincount(
            y_train, weights=w_train * weight_scale, minlength=classes.size
        )
        self.sgd_state_ = state
        return self

    def _validation_split(self, y_codes, weights, rng):
        """Training and validation rows; stratified when every class allows it."""
        rows = np.arange(y_codes.size)
        seed = rng.randint(np.iinfo(np.int32).max)
        try:
            train, valid = train_test_split(
                rows, test_size=self.validation_fraction, random_state=seed, stratify=y_codes
            )
        except ValueError:  # a class too small to stratify
            train, valid = train_test_split(
                rows, test_size=self.validation_fraction, random_state=seed
            )
        if not (weights[train].sum() > 0 and weights[valid].sum() > 0):
            raise ValueError(
                "early_stopping=True split the data into a training and a validation part "
                f"(validation_fraction={self.validation_fraction}) and one of them has zero "
                "total sample weight. Use more samples, another validation_fraction, or "
                "early_stopping=False."
            )
        return np.sort(train), np.sort(valid)

    def _validation_loss(self, state, X, y_codes, weights):
        """Weighted mean cross-entropy (no penalty) on the validation rows."""
        n_classes = state.coef.shape[0]
        loss = SoftmaxLoss(X, y_codes, n_classes, weights, 0.0, self.fit_intercept)
        return loss.loss(state.original_coef().ravel())
