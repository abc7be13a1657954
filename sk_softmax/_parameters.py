"""The estimators' parameters: the constraints they share, and what they allow.

:class:`~sk_softmax.SoftmaxClassifier` and :class:`~sk_softmax.SoftmaxClassifierCV`
describe the same model, whose parameters are checked alike in both
(scikit-learn's ``_parameter_constraints``); each adds its own.
"""

import functools
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .solvers import SOLVERS

MODEL_CONSTRAINTS = {
    "fit_intercept": ["boolean"],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "verbose": ["verbose"],
    "l1_groups": [None, StrOptions({"features"}), "array-like"],
}


# SoftmaxClassifier's: the model's, and its solvers' and stream's own.
CLASSIFIER_CONSTRAINTS = {
    **MODEL_CONSTRAINTS,
    "C": [Interval(Real, 0, None, closed="right")],
    "solver": [StrOptions({"auto", "sgd", *SOLVERS})],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
}


def streamable(estimator):
    """``partial_fit`` exists for the ridge penalty only (an AttributeError says why)."""
    if estimator.l1_ratio > 0:
        raise AttributeError(
            f"partial_fit is not available with l1_ratio={estimator.l1_ratio!r}: its Newton "
            "steps have no proximal form for the L1 norm. Use fit (solver='auto' fits "
            "sparse models exactly), or l1_ratio=0 for a stream."
        )
    return True


class ValidatedOnce:
    """scikit-learn's parameter validation, skipped for settings it has already passed.

    ``fit`` validates every parameter against ``_parameter_constraints``
    (scikit-learn's ``_fit_context`` calls ``_validate_params``), which
    reads ``__init__``'s signature each time: 69 us of a 1.35 ms fit on
    iris, more than a Newton step, and paid again by every fit of a grid
    search. Settings made only of scalars (None, booleans, numbers,
    strings) that have passed once are remembered, by class and by the
    values with their types, and not checked again; anything else (a
    ``class_weight`` dict, ``l1_groups`` arrays) is checked every time.
    The override falls back to scikit-learn's own check if its private
    method is ever renamed: it only skips work, never adds any.
    """

    def _validate_params(self):
        key = _settings_key(self)
        if key is not None and key in _VALID_SETTINGS:
            return
        super()._validate_params()
        if key is not None:
            if len(_VALID_SETTINGS) >= _MAX_REMEMBERED:
                _VALID_SETTINGS.clear()
            _VALID_SETTINGS.add(key)


# Settings already validated (see ValidatedOnce), at most _MAX_REMEMBERED of them.
_VALID_SETTINGS = set()
_MAX_REMEMBERED = 1024
_SCALARS = (type(None), bool, int, float, str, np.bool_, np.integer, np.floating)


@functools.cache
def _parameter_names(cls):
    return tuple(cls._get_param_names())


def _settings_key(estimator):
    """``(class, ((type, value), ...))`` of the parameters, or None if one is not a scalar."""
    cls = type(estimator)
    values = []
    for name in _parameter_names(cls):
        value = getattr(estimator, name)
        if not isinstance(value, _SCALARS):
            return None
        values.append((type(value), value))
    return cls, tuple(values)
