"""Bad input: every case raises ValueError, TypeError or NotFittedError saying what is wrong.

Each case checks the message text, not only the type: a message that names
the problem (and, where the estimator writes it, the fix) is the behaviour
under test.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)

from sk_softmax import SoftmaxClassifier, objective

RNG = np.random.RandomState(0)
X = RNG.randn(12, 3)
Y = np.arange(12) % 3


def _with(array, index, value):
    out = np.array(array, dtype=float)
    out[index] = value
    return out


# (id, X, y, fit keyword arguments, estimator parameters, exception, message regex)
FIT_CASES = [
    ("X-nan", _with(X, (0, 0), np.nan), Y, {}, {}, ValueError, "Input X contains NaN"),
    ("X-inf", _with(X, (1, 2), np.inf), Y, {}, {}, ValueError, "Input X contains infinity"),
    ("X--inf", _with(X, (1, 2), -np.inf), Y, {}, {}, ValueError, "Input X contains infinity"),
    (
        "X-nan-csr",
        sparse.csr_matrix(_with(X, (0, 0), np.nan)),
        Y,
        {},
        {},
        ValueError,
        "Input X contains NaN",
    ),
    (
        "X-inf-csc",
        sparse.csc_matrix(_with(X, (0, 0), np.inf)),
        Y,
        {},
        {},
        ValueError,
        "Input X contains infinity",
    ),
    ("y-nan", X, _with(Y, 0, np.nan), {}, {}, ValueError, "Input y contains NaN"),
    ("y-inf", X, _with(Y, 0, np.inf), {}, {}, ValueError, "Input y contains infinity"),
    ("no-samples", X[:0], Y[:0], {}, {}, ValueError, r"0 sample\(s\) \(shape=\(0, 3\)\)"),
    ("no-features", X[:, :0], Y, {}, {}, ValueError, r"0 feature\(s\) \(shape=\(12, 0\)\)"),
    ("X-1d", X[:, 0], Y, {}, {}, ValueError, "Expected 2D array, got 1D array"),
    ("X-3d", X[:, :, None], Y, {}, {}, ValueError, "Found array with dim 3"),
    ("X-scalar", 3.0, Y, {}, {}, (ValueError, TypeError), "Expected 2D array|scalar"),
    (
        "X-strings",
        np.full((12, 3), "a"),
        Y,
        {},
        {},
        ValueError,
        "could not convert string to float.*needs numeric X.*OneHotEncoder",
    ),
    (
        "X-mixed-object",
        np.array([["a", 1.0, 2.0]] * 12, dtype=object),
        Y,
        {},
        {},
        ValueError,
        "could not convert string to float.*needs numeric X",
    ),
    (
        "X-dict",
        np.array([[{"a": 1}, 1.0, 2.0]] * 12, dtype=object),
        Y,
        {},
        {},
        TypeError,
        "argument must be a string or a.*number.*needs numeric X",
    ),
    ("X-complex", X + 1j, Y, {}, {}, ValueError, "Complex data not supported"),
    (
        "X-ragged",
        [[1.0, 2.0], [3.0]] * 6,
        Y,
        {},
        {},
        ValueError,
        "X is not a rectangular array: its rows have different lengths",
    ),
    (
        "C-beyond-float64",
        X,
        Y,
        {},
        {"C": 10**400},
        ValueError,
        r"C is beyond the float64 range.*with 401 digits. For no penalty use C=np.inf",
    ),
    (
        "y-continuous",
        X,
        np.linspace(0, 1, 12),
        {},
        {},
        ValueError,
        "Unknown label type: continuous. y holds non-integer numbers such as 0.09",
    ),
    (
        # whole numbers beyond int64: scikit-learn calls them continuous (a bare
        # StopIteration came out of the search for a non-integer example before)
        "y-whole-beyond-int64",
        X,
        np.tile([0.0, 1e20, 3e19], 4),
        {},
        {},
        ValueError,
        "continuous. y holds whole numbers beyond the range of 64-bit integers, such as 1e.20"
        ".*LabelEncoder",
    ),
    (
        "y-multilabel",
        X,
        np.eye(12, 3, dtype=int),
        {},
        {},
        ValueError,
        r"y has shape \(12, 3\).*one class per sample.*OneVsRestClassifier",
    ),
    (
        "y-multioutput",
        X,
        np.c_[Y, Y[::-1]],
        {},
        {},
        ValueError,
        r"y has shape \(12, 2\).*MultiOutputClassifier",
    ),
    (
        "y-mixed-types",
        X,
        np.array([1, "a", 2.5] * 4, dtype=object),
        {},
        {},
        ValueError,
        r"Mix of label input types \(string and number\).*'a'.*1.*y.astype\(str\)",
    ),
    (
        # scikit-learn's LogisticRegression test: numpy itself fails to sort these
        "y-strings-and-numbers",
        X,
        np.array(["a", 1, "b", 2] * 3, dtype=object),
        {},
        {},
        ValueError,
        r"Mix of label input types \(string and number\)",
    ),
    (
        # reported as "X is not a rectangular array" before
        "y-ragged",
        X,
        [[1], [2, 3]] + [0] * 10,
        {},
        {},
        ValueError,
        "y is not a 1-D array of labels: its entries have different lengths",
    ),
    (
        # "mixes labels of several types (['int'])" before, for one type
        "y-object-integers",
        X,
        Y.astype(object),
        {},
        {},
        ValueError,
        r"y is an array of Python objects of type int.*y.astype\(int\)",
    ),
    ("y-none", X, None, {}, {}, ValueError, "requires y to be passed"),
    (
        "y-one-class",
        X,
        np.full(12, "only"),
        {},
        {},
        ValueError,
        "at least 2 classes.*only one class: 'only'",
    ),
    ("y-short", X, Y[:-1], {}, {}, ValueError, r"inconsistent numbers of samples: \[12, 11\]"),
    ("X-short", X[:-2], Y, {}, {}, ValueError, r"inconsistent numbers of samples: \[10, 12\]"),
    (
        "sw-negative",
        X,
        Y,
        {"sample_weight": _with(np.ones(12), 3, -1.0)},
        {},
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    (
        "sw-all-zero",
        X,
        Y,
        {"sample_weight": np.zeros(12)},
        {},
        ValueError,
        "Sample weights must contain at least one non-zero number",
    ),
    (
        "sw-nan",
        X,
        Y,
        {"sample_weight": _with(np.ones(12), 0, np.nan)},
        {},
        ValueError,
        "Input sample_weight contains NaN",
    ),
    (
        "sw-inf",
        X,
        Y,
        {"sample_weight": _with(np.ones(12), 0, np.inf)},
        {},
        ValueError,
        "Input sample_weight contains infinity",
    ),
    (
        "sw-short",
        X,
        Y,
        {"sample_weight": np.ones(11)},
        {},
        ValueError,
        r"sample_weight has shape \(11,\) but X has 12 samples: pass one non-negative weight",
    ),
    (
        "sw-long",
        X,
        Y,
        {"sample_weight": np.ones(13)},
        {},
        ValueError,
        r"sample_weight has shape \(13,\) but X has 12 samples",
    ),
    (
        "sw-2d",
        X,
        Y,
        {"sample_weight": np.ones((12, 1))},
        {},
        ValueError,
        "Sample weights must be 1D array or scalar",
    ),
    (
        "sw-strings",
        X,
        Y,
        {"sample_weight": np.full(12, "heavy")},
        {},
        ValueError,
        "could not convert string to float.*needs numeric sample_weight",
    ),
    (
        "sw-class-all-zero",
        X,
        Y,
        {"sample_weight": (Y != 1).astype(float)},
        {"C": np.inf},  # with a penalty such a class is fitted (test_softmax.py)
        ValueError,
        "class 1 has zero total sample weight.*and C=inf.*Use a finite C, drop its samples",
    ),
    (
        "class-weight-unknown-label",
        X,
        Y,
        {},
        {"class_weight": {0: 1.0, 1: 2.0, 7: 3.0}},
        ValueError,
        r"labels that are not classes of the fit: \[7\]; the classes are \[0, 1, 2\]",
    ),
    (
        "class-weight-key-type",
        X,
        np.array(["a", "b", "c"])[Y],
        {},
        {"class_weight": {0: 2.0}},
        ValueError,
        r"labels that are not classes of the fit: \[0\].*\['a', 'b', 'c'\].*1 is not '1'",
    ),
    (
        "class-weight-negative",
        X,
        Y,
        {},
        {"class_weight": {0: -1.0}},
        ValueError,
        r"class_weight\[0\] is -1.0: class weights must be finite and non-negative",
    ),
    (
        "class-weight-nan",
        X,
        Y,
        {},
        {"class_weight": {2: np.nan}},
        ValueError,
        r"class_weight\[2\] is nan: class weights must be finite and non-negative",
    ),
    (
        "class-weight-inf",
        X,
        Y,
        {},
        {"class_weight": {1: np.inf}},
        ValueError,
        r"class_weight\[1\] is inf: class weights must be finite and non-negative",
    ),
    (
        "class-weight-string-value",
        X,
        Y,
        {},
        {"class_weight": {1: "high"}},
        TypeError,
        r"class_weight\[1\] is 'high': class weights must be real numbers",
    ),
    (
        "class-weight-zero",
        X,
        Y,
        {},
        {"class_weight": {1: 0.0}, "C": np.inf},
        ValueError,
        "class 1 has zero total sample weight",
    ),
]


@pytest.mark.parametrize(
    "X, y, fit_params, params, error, match",
    [case[1:] for case in FIT_CASES],
    ids=[case[0] for case in FIT_CASES],
)
def test_bad_fit_input_is_a_clear_error(X, y, fit_params, params, error, match):
    with pytest.raises(error, match=match):
        SoftmaxClassifier(**params).fit(X, y, **fit_params)


def test_finite_values_whose_sum_overflows_are_accepted():
    # Plain arrays are checked for NaN and infinity by their sum (_plain_xy);
    # a sum beyond float64 sends them to the full check, which accepts them.
    huge = np.vstack([X, -X]) * 1e307 + 1e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifier().fit(huge, np.concatenate([Y, Y]))
    assert np.all(np.isfinite(clf.coef_)) and clf.n_features_in_ == 3


def test_bad_input_is_rejected_before_any_attribute_is_set():
    clf = SoftmaxClassifier()
    for case in FIT_CASES:
        _, X_bad, y_bad, fit_params, params, error, _ = case
        clf.set_params(**SoftmaxClassifier().get_params())
        with pytest.raises(error):
            clf.set_params(**params).fit(X_bad, y_bad, **fit_params)
    assert not [name for name in vars(clf) if name.endswith("_") and not name.startswith("_")]


# -- hyperparameters ---------------------------------------------------------------


class _NotAParameter:
    """A type no constraint accepts."""


def _generated_invalid_values():
    """One bad type per parameter, plus a value violating each of its constraints.

    Generated from ``_parameter_constraints``, so that parameters added later
    are covered without editing this file. A generated value that another
    constraint of the same parameter accepts (``None`` for a parameter that
    may be None, say) is not invalid and is skipped.
    """
    cases = []
    for name, constraints in SoftmaxClassifier._parameter_constraints.items():
        cases.append((name, _NotAParameter()))
        made = [make_constraint(c) for c in constraints]
        for constraint in made:
            try:
                value = generate_invalid_param_val(constraint)
            except NotImplementedError:
                continue
            if not any(other.is_satisfied_by(value) for other in made):
                cases.append((name, value))
    return cases


EXPLICIT_INVALID = [
    ("C", 0),
    ("C", 0.0),
    ("C", -1),
    ("C", -np.inf),
    ("C", np.nan),
    ("C", "1"),
    ("C", None),
    ("tol", 0),
    ("tol", -1e-8),
    ("tol", np.inf),
    ("tol", np.nan),
    ("max_iter", 0),
    ("max_iter", -5),
    ("max_iter", 1.5),
    ("max_iter", np.inf),
    ("solver", "x"),
    ("solver", "LBFGS"),
    ("solver", None),
    ("class_weight", "x"),
    ("class_weight", "Balanced"),
    ("class_weight", [1.0, 2.0, 3.0]),
    ("fit_intercept", "yes"),
    ("fit_intercept", None),
    ("warm_start", 2),
    ("verbose", -1),
    ("random_state", "x"),
    ("random_state", -1),
]


@pytest.mark.parametrize(
    "name, value",
    _generated_invalid_values() + EXPLICIT_INVALID,
    ids=lambda v: repr(v) if not isinstance(v, _NotAParameter) else "bad-type",
)
def test_invalid_hyperparameter_is_named_in_the_error(name, value, iris):
    X, y = iris
    clf = SoftmaxClassifier(**{name: value})
    got = re.escape(repr(value)) if not isinstance(value, _NotAParameter) else ".*"
    with pytest.raises(
        InvalidParameterError,
        match=rf"The '{name}' parameter of SoftmaxClassifier must be .*Got {got} instead",
    ):
        clf.fit(X, y)
    assert issubclass(InvalidParameterError, (ValueError, TypeError))


def test_settings_are_validated_until_they_have_passed(iris, monkeypatch):
    # Valid all-scalar settings are checked once and remembered (the check reads
    # __init__'s signature, a tenth of a small fit); settings holding anything else
    # are checked at every fit, and invalid ones never pass however often they come.
    from sklearn.base import BaseEstimator

    import sk_softmax._parameters

    X, y = iris
    monkeypatch.setattr(sk_softmax._parameters, "_VALID_SETTINGS", set())  # none yet
    calls = []
    check = BaseEstimator._validate_params
    monkeypatch.setattr(
        BaseEstimator, "_validate_params", lambda self: calls.append(1) or check(self)
    )
    clf = SoftmaxClassifier(C=0.37, tol=1e-7)  # settings no other test uses
    clf.fit(X, y)
    clf.fit(X, y)
    SoftmaxClassifier(C=0.37, tol=1e-7).fit(X, y)  # a clone: the same settings
    assert len(calls) == 1
    clf.set_params(C=0.38).fit(X, y)  # new settings: checked
    assert len(calls) == 2
    clf.set_params(C=np.float64(0.38)).fit(X, y)  # another type: checked
    assert len(calls) == 3
    weighted = SoftmaxClassifier(C=0.37, tol=1e-7, class_weight={0: 1.0, 1: 2.0, 2: 1.0})
    weighted.fit(X, y)
    weighted.fit(X, y)  # a dict (which could change in place): every time
    assert len(calls) == 5
    for _ in range(2):
        with pytest.raises(InvalidParameterError, match="'tol' parameter"):
            clf.set_params(C=0.37, tol=-1.0).fit(X, y)
    assert len(calls) == 7


def test_every_hyperparameter_has_a_constraint():
    # The generated cases above only cover what _parameter_constraints lists.
    params = set(SoftmaxClassifier().get_params())
    assert params == set(SoftmaxClassifier._parameter_constraints)


# -- prediction ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_predicting_before_fit(method):
    with pytest.raises(NotFittedError, match="not fitted yet. Call 'fit'"):
        getattr(SoftmaxClassifier(), method)(X)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_bad_prediction_input(method):
    clf = SoftmaxClassifier().fit(X, Y)
    call = getattr(clf, method)
    with pytest.raises(ValueError, match="X has 2 features, but SoftmaxClassifier is expecting 3"):
        call(X[:, :2])
    with pytest.raises(ValueError, match="X has 4 features, but SoftmaxClassifier is expecting 3"):
        call(sparse.csr_matrix(np.c_[X, X[:, 0]]))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        call(_with(X, (2, 1), np.nan))
    with pytest.raises(ValueError, match="Input X contains infinity"):
        call(sparse.csr_matrix(_with(X, (2, 1), np.inf)))
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        call(X[0])
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        call(X[:0])
    with pytest.raises(ValueError, match="could not convert string to float.*needs numeric X"):
        call(np.full((2, 3), "a"))


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_plain_arrays_skip_only_checks_they_would_pass(method):
    """Finite float ndarrays skip validate_data (backends/numpy.py): nothing else does."""
    clf = SoftmaxClassifier().fit(X, Y)
    call = getattr(clf, method)
    expected = call(X.tolist())  # a list: validate_data converts it
    assert_array_equal(call(X), expected)
    # one row against the same row as a list (a product of one row and one of many may
    # round differently in BLAS: against expected[:1] this held only by luck)
    assert_array_equal(call(X[:1]), call(X[:1].tolist()))
    np.testing.assert_allclose(call(X[:1]), expected[:1], rtol=1e-12, atol=1e-14)
    assert_array_equal(call(X.astype(">f8")), expected)  # byte-swapped: converted
    assert_array_equal(call(X.astype(np.float32)), call(X.astype(np.float32).tolist()))
    for dtype in (np.float64, np.float32):
        with pytest.raises(ValueError, match="Input X contains infinity"):
            call(_with(X, (2, 1), np.inf).astype(dtype))
        with pytest.raises(ValueError, match="Input X contains NaN"):
            call(_with(X, (0, 0), np.nan).astype(dtype))
    # finite entries whose sum overflows: the full check, which accepts them, and no warning
    huge = np.full((2, 3), 1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(clf.predict_proba(huge)))


def test_predicting_with_other_feature_names():
    pd = pytest.importorskip("pandas")
    clf = SoftmaxClassifier().fit(pd.DataFrame(X, columns=["a", "b", "c"]), Y)
    renamed = pd.DataFrame(X, columns=["a", "b", "z"])
    with pytest.raises(
        ValueError, match="(?s)feature names should match.*unseen at fit time:\n- z"
    ):
        clf.predict(renamed)
    reordered = pd.DataFrame(X[:, [2, 1, 0]], columns=["c", "b", "a"])
    with pytest.raises(
        ValueError, match="(?s)Feature names must be in the same order as they were in fit"
    ):
        clf.predict_proba(reordered)
    # Names at predict time but none at fit time, and the reverse: a warning, as in sklearn.
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        clf.predict(X)
    plain = SoftmaxClassifier().fit(X, Y)
    with pytest.warns(UserWarning, match="X has feature names, but SoftmaxClassifier was fitted"):
        plain.predict(pd.DataFrame(X, columns=["a", "b", "c"]))


def test_dates_in_X_are_a_clear_error():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"when": pd.date_range("2020", periods=12), "x": X[:, 0]})
    with pytest.raises(TypeError, match="needs numeric X.*dates or times.*convert them"):
        SoftmaxClassifier().fit(frame, Y)


def test_warm_start_with_other_features_is_an_error():
    clf = SoftmaxClassifier(warm_start=True).fit(X, Y)
    with pytest.raises(ValueError, match="same classes and number of features.*warm_start=False"):
        clf.fit(np.c_[X, X], Y)


# -- partial_fit ---------------------------------------------------------------------

PARTIAL_FIT_CASES = [
    ("X-nan", {"X": _with(X, (0, 0), np.nan)}, {}, ValueError, "Input X contains NaN"),
    ("no-classes", {"classes": None}, {}, ValueError, "classes must be passed on the first call"),
    ("label-not-in-classes", {"y": Y + 5}, {}, ValueError, r"not in classes: \[5, 6, 7\]"),
    ("one-class", {"classes": [0, 0]}, {}, ValueError, "at least 2 distinct labels"),
    (
        "sw-negative",
        {"sample_weight": -np.ones(12)},
        {},
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    (
        "sw-sum-beyond-float64",
        {"sample_weight": np.full(12, 1e308)},
        {},
        ValueError,
        "sum to inf, beyond float64: scale them down",
    ),
    ("C-beyond-float64", {}, {"C": 10**400}, ValueError, "C is beyond the float64 range"),
    (
        "class-weight-unknown-label",
        {},
        {"class_weight": {7: 1.0}},
        ValueError,
        r"class_weight names labels that are not classes of the fit: \[7\]",
    ),
    (
        "X-strings",
        {"X": np.full((12, 3), "a")},
        {},
        ValueError,
        "could not convert string to float.*needs numeric X",
    ),
]


@pytest.mark.parametrize(
    "arguments, params, error, match",
    [case[1:] for case in PARTIAL_FIT_CASES],
    ids=[case[0] for case in PARTIAL_FIT_CASES],
)
def test_bad_partial_fit_input_is_a_clear_error(arguments, params, error, match):
    call = {"X": X, "y": Y, "classes": [0, 1, 2], **arguments}
    with pytest.raises(error, match=match):
        SoftmaxClassifier(**params).partial_fit(**call)


def test_later_partial_fit_batches_keep_every_check():
    # Later batches of plain NumPy data skip validate_data (its cost was two
    # thirds of a call); anything else still goes through it.
    pd = pytest.importorskip("pandas")
    clf = SoftmaxClassifier().partial_fit(X, Y, classes=[0, 1, 2])
    clf.partial_fit(X, Y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.partial_fit(np.where(X > 0.5, np.nan, X), Y)
    with pytest.raises(ValueError, match="X has 2 features, but SoftmaxClassifier is expecting 3"):
        clf.partial_fit(X[:, :2], Y)
    named = SoftmaxClassifier().partial_fit(
        pd.DataFrame(X, columns=["a", "b", "c"]), Y, classes=[0, 1, 2]
    )
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        named.partial_fit(X, Y)


def test_partial_fit_after_fit_checks_features_and_classes():
    clf = SoftmaxClassifier().fit(X, Y)
    with pytest.raises(ValueError, match="X has 2 features, but SoftmaxClassifier is expecting 3"):
        clf.partial_fit(X[:, :2], Y)
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 5\] is not the same"):
        clf.partial_fit(X, Y, classes=[0, 1, 5])


# -- sk_softmax.objective --------------------------------------------------------------


def test_objective_checks_its_input(iris):
    # each of these gave numpy's message, or a silently wrong value (-7.0 for
    # negative weights or C=-1, NaN for C=0), before
    X, y = iris
    model = SoftmaxClassifier().fit(X, y)
    cases = [
        ((X[:, :3], y), {}, "X has 3 features, but the estimator was fitted on 4"),
        ((X, y[:10]), {}, "inconsistent numbers of samples"),
        ((X, y), {"sample_weight": -np.ones(150)}, "Negative values"),
        ((X, y), {"sample_weight": np.zeros(150)}, "non-zero"),
        ((X, y), {"C": -1.0}, "C must be a positive number"),
        ((X, y), {"C": 0}, "C must be a positive number"),
        ((X, y), {"l1_ratio": 2}, r"l1_ratio must be a number in \[0, 1\]"),
    ]
    for args, kwargs, match in cases:
        with pytest.raises(ValueError, match=match):
            objective(model, *args, **kwargs)
    with pytest.raises(NotFittedError):
        objective(SoftmaxClassifier(), X, y)
    assert objective(model, X, y, C=np.inf) > 0


def test_class_weight_keys_beyond_the_classes_when_every_class_has_one():
    """As LogisticRegression: a fold or bootstrap without a rare class keeps the search's
    class_weight dict (a ValueError before, a NaN score in cross_val_score)."""
    X, y = load_iris(return_X_y=True)
    part = y < 2
    weights = {0: 1.0, 1: 3.0, 2: 5.0}
    with_extra = SoftmaxClassifier(class_weight=weights).fit(X[part], y[part])
    without = SoftmaxClassifier(class_weight={0: 1.0, 1: 3.0}).fit(X[part], y[part])
    np.testing.assert_array_equal(with_extra.coef_, without.coef_)
    with pytest.raises(ValueError, match=r"not classes of the fit: \[2\]"):
        SoftmaxClassifier(class_weight={1: 3.0, 2: 5.0}).fit(X[part], y[part])


@pytest.mark.parametrize(
    "y",
    [
        np.array([5, 3, 3, 9]),
        np.array([2, 0, 1], dtype=np.uint8),
        np.array([-1, 2, 2]),
        np.array([10**12, 3]),  # too wide a range for a lookup table
        np.array([0, 4096, 7]),
        np.array([True, False, True]),
        np.array(["b", "a", "b"]),
        np.array([1.0, 2.0, 1.0]),
    ],
)
def test_labels_are_encoded_as_numpy_unique_encodes_them(y):
    """Non-negative integer labels of a bounded range take a count and a lookup table
    instead of np.unique's sort: the same classes (and dtype) and codes."""
    from sk_softmax.backends.numpy import encode

    classes, codes = encode(y)
    expected_classes, expected_codes = np.unique(y, return_inverse=True)
    assert classes.dtype == expected_classes.dtype
    np.testing.assert_array_equal(classes, expected_classes)
    np.testing.assert_array_equal(codes, expected_codes.reshape(-1))
