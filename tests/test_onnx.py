"""ONNX export: the graph computes what the prediction kernel computes.

Tolerances, from the maths. The graph and the kernel both compute
``o = X W^T + b`` in float64, differing only in the order of the sums: each
output is within ``(d + 1) u S`` of the exact one, ``u = 2**-53`` and ``S`` the
largest ``sum_j |x_j w_kj| + |b_k|`` over rows and classes, so the two differ
by ``eps = 2 (d + 1) u S`` at most. A change ``delta`` of the outputs moves
``p_k`` by ``p_k * sum_j p_j (delta_k - delta_j)``, at most ``eps / 2``; the
max-shift, the logarithm and the exponential add a few ``u``. Hence
``(d + 1) u S + 4 u`` for float64 graphs (``_bound``), plus ``2**-24`` for the
rounding of the probabilities to float32 in float32 graphs. On the data here
that is below 1e-12 (asserted), the issue's requirement, while a wrong
converter (the stock linear one gives sigmoid(2z) for two classes) is off by
up to 0.15.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV

skl2onnx = pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")
sk_onnx = pytest.importorskip("sk_softmax.onnx")

U = 2.0**-53
FLOAT32_OUTPUT = 2.0**-24  # the rounding of a probability (at most 1) to float32
# Integer labels beyond int32 and negative, to check the labels are carried as int64.
INT_LABELS = np.array([-3, 7, 2**40, 11, 12, 13, 14, 15, 16, 17])
STR_LABELS = np.array([f"class {c}" for c in "abcdefghij"])
# Raw (unscaled) real data: two classes, three, ten.
DATA = {"breast_cancer": load_breast_cancer, "wine": load_wine, "digits": load_digits}


def _session(onnx_model):
    return onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _run(onnx_model, X):
    session = _session(onnx_model)
    return session.run(None, {session.get_inputs()[0].name: X})


def _bound(model, X):
    """The largest difference of probabilities the rounding allows (module docstring)."""
    S = (np.abs(X) @ np.abs(model.coef_).T + np.abs(model.intercept_)).max()
    return (X.shape[1] + 1) * U * S + 4 * U


@pytest.fixture(scope="module")
def fitted():
    """Fitted models by (data, labels, fit_intercept), with their data."""
    cache = {}

    def get(name, labels, fit_intercept):
        key = (name, labels, fit_intercept)
        if key not in cache:
            X, y = DATA[name](return_X_y=True)
            y = {"int": INT_LABELS, "str": STR_LABELS}[labels][y]
            cache[key] = SoftmaxClassifier(fit_intercept=fit_intercept).fit(X, y), X
        return cache[key]

    return get


def test_import_sk_softmax_does_not_import_skl2onnx():
    code = "import sys, sk_softmax; print('skl2onnx' in sys.modules, 'onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("name", list(DATA))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_labels_and_probabilities_are_the_kernels(fitted, name, labels, fit_intercept, dtype):
    model, X = fitted(name, labels, fit_intercept)
    X = X.astype(dtype)
    bound = _bound(model, X)
    assert bound < 1e-12  # so the 1e-12 (float64) and 1e-5 (float32) follow
    predicted, proba = _run(sk_onnx.to_onnx(model, X, dtype=dtype), X)
    assert proba.dtype == dtype and proba.shape == (X.shape[0], model.classes_.size)
    assert_array_equal(predicted, model.predict(X))
    difference = np.abs(proba - model.predict_proba(X)).max()
    assert difference <= bound + (FLOAT32_OUTPUT if dtype == np.float32 else 0.0)


def test_two_classes_are_the_softmax_of_both_rows(fitted):
    """Not sigmoid(2 z) from one row, the stock converter's mistake (off by up to 0.15)."""
    model, X = fitted("breast_cancer", "int", True)
    _, proba = _run(sk_onnx.to_onnx(model, X, dtype=np.float64), X)
    z = model.decision_function(X)
    assert np.abs(proba[:, 1] - 1 / (1 + np.exp(-z))).max() <= _bound(model, X)
    assert np.abs(proba[:, 1] - 1 / (1 + np.exp(-2 * z))).max() > 0.01


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_raw_scores_are_the_outputs(fitted, name):
    model, X = fitted(name, "str", True)
    _, raw = _run(sk_onnx.to_onnx(model, X, dtype=np.float64, raw_scores=True), X)
    decision = model.decision_function(X)
    if raw.shape[1] == 2:  # decision_function is o_1 - o_0
        raw = raw[:, 1] - raw[:, 0]
    # each output within (d + 1) u S of exact: twice that apart, twice again for o_1 - o_0
    S = (np.abs(X) @ np.abs(model.coef_).T + np.abs(model.intercept_)).max()
    assert np.abs(raw - decision).max() <= 4 * (X.shape[1] + 1) * U * S


@pytest.mark.parametrize("labels", ["int", "str"])
def test_classifier_options(fitted, labels):
    model, X = fitted("wine", labels, True)
    X = X.astype(np.float32)
    expected, expected_proba = model.predict(X), model.predict_proba(X)
    tolerance = _bound(model, X) + FLOAT32_OUTPUT

    predicted, dicts = _run(sk_onnx.to_onnx(model, X, zipmap=True), X)
    assert_array_equal(predicted, expected)
    assert list(dicts[0]) == model.classes_.tolist()
    as_array = np.array([[row[c] for c in model.classes_] for row in dicts])
    assert np.abs(as_array - expected_proba).max() <= tolerance

    predicted, *columns = _run(sk_onnx.to_onnx(model, X, zipmap="columns"), X)
    assert_array_equal(predicted, expected)
    assert np.abs(np.column_stack(columns) - expected_proba).max() <= tolerance

    indices, proba = _run(sk_onnx.to_onnx(model, X, nocl=True), X)
    assert_array_equal(model.classes_[indices], expected)

    predicted, proba, classes = _run(sk_onnx.to_onnx(model, X, output_class_labels=True), X)
    assert_array_equal(classes, model.classes_)
    assert np.abs(proba - expected_proba).max() <= tolerance


def test_skl2onnx_to_onnx_with_its_defaults(fitted):
    """Importing sk_softmax.onnx is all skl2onnx needs (zipmap=True by default)."""
    model, X = fitted("digits", "int", True)
    onnx_model = skl2onnx.to_onnx(model, X[:1].astype(np.float32))
    predicted, dicts = _run(onnx_model, X.astype(np.float32))
    assert_array_equal(predicted, model.predict(X.astype(np.float32)))
    assert len(dicts) == X.shape[0] and set(dicts[0]) == set(model.classes_.tolist())


def test_zipmap_on_a_float64_graph_is_a_clear_error(fitted):
    model, X = fitted("wine", "int", True)
    with pytest.raises(ValueError, match="ZipMap operator takes float32"):
        sk_onnx.to_onnx(model, X, dtype=np.float64, zipmap=True)


def _scaled_bound(scaler, coef, Z, dtype):
    """How far the scaler's rounding, in ONNX and in scikit-learn, can move probabilities.

    ONNX's Scaler holds the mean and ``1 / scale`` rounded to ``dtype``, so its
    ``z`` is off by up to ``u (|mean| / scale + 3 |z|)``; scikit-learn's by ``2 u |z|``;
    the data's own rounding to ``dtype`` adds ``u |x| / scale <= u (|z| + |mean| / scale)``.
    A change ``delta_k`` of the outputs moves probabilities by ``max |delta_k| / 2``.
    """
    unit = np.finfo(dtype).eps / 2
    dz = unit * (2 * np.abs(scaler.mean_) / scaler.scale_ + 6 * np.abs(Z))
    return (dz @ np.abs(coef).T).max() / 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pipeline_with_a_scaler(dtype):
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(C=10.0)).fit(X, y)
    Z, model = pipe[0].transform(X), pipe[-1]
    tolerance = _scaled_bound(pipe[0], model.coef_, Z, dtype) + _bound(model, Z)
    if dtype == np.float64:
        assert tolerance < 1e-12
    else:  # the float32 scaler's rounding, about 2e-5 at worst here: not ours to remove
        tolerance += FLOAT32_OUTPUT
    X = X.astype(dtype)
    predicted, proba = _run(sk_onnx.to_onnx(pipe, X, dtype=dtype), X)
    assert_array_equal(predicted, pipe.predict(X))
    assert np.abs(proba - pipe.predict_proba(X)).max() <= tolerance


def _frame():
    pd = pytest.importorskip("pandas")
    X, y = load_wine(return_X_y=True)
    frame = pd.DataFrame(X[:, :6], columns=[f"x{i}" for i in range(6)])
    frame["flavanoids"] = np.array(["low", "mid", "high"])[np.digitize(X[:, 6], [1.5, 2.5])]
    return frame, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_column_transformer_with_one_hot_encoder(dtype, tmp_path):
    frame, y = _frame()
    numeric = [f"x{i}" for i in range(6)]
    pipe = make_pipeline(
        ColumnTransformer(
            [("num", StandardScaler(), numeric), ("cat", OneHotEncoder(), ["flavanoids"])]
        ),
        SoftmaxClassifier(),
    ).fit(frame, y)
    check = sk_onnx.export_and_check(pipe, tmp_path / "wine.onnx", frame, dtype=dtype)
    assert check.label_mismatches == 0 and check.n_rows == len(frame)
    Z, model = pipe[0].transform(frame), pipe[-1]
    scaler = pipe[0].named_transformers_["num"]
    tolerance = _scaled_bound(scaler, model.coef_[:, :6], Z[:, :6], dtype) + _bound(model, Z)
    tolerance += FLOAT32_OUTPUT if dtype == np.float32 else 0.0
    assert tolerance < (1e-12 if dtype == np.float64 else 1e-5)
    assert check.max_proba_diff <= tolerance


@pytest.mark.parametrize("scaled", [False, True])
def test_a_data_frame_of_numbers_is_one_input_without_a_column_transformer(scaled, tmp_path):
    # the bare classifier (or a scaler first) takes one matrix: one input per
    # column failed inside skl2onnx ("at most 1 input(s) is(are) supported")
    frame = _frame()[0].drop(columns="flavanoids")
    y = _frame()[1]
    model = SoftmaxClassifier()
    model = make_pipeline(StandardScaler(), model) if scaled else model
    model.fit(frame, y)
    check = sk_onnx.export_and_check(model, tmp_path / "frame.onnx", frame, dtype=np.float64)
    assert check.label_mismatches == 0
    classifier = model[-1] if scaled else model
    Z = model[0].transform(frame) if scaled else frame.to_numpy()
    tolerance = _bound(classifier, Z)
    if scaled:
        tolerance += _scaled_bound(model[0], classifier.coef_, Z, np.float64)
    assert check.max_proba_diff <= tolerance
    graph = sk_onnx.to_onnx(model, frame, dtype=np.float64)
    assert len(graph.graph.input) == 1


def test_a_feature_union_of_column_transformers_takes_one_input_per_column(tmp_path):
    # the columns are selected by name inside the union: the frame must stay one input
    # per column (one matrix input broke it: "Unable to find column name 'x0'")
    from sklearn.pipeline import make_union

    frame, y = _frame()
    numeric = [f"x{i}" for i in range(6)]
    union = make_union(
        ColumnTransformer([("num", StandardScaler(), numeric)]),
        ColumnTransformer([("cat", OneHotEncoder(), ["flavanoids"])]),
    )
    pipe = make_pipeline(union, SoftmaxClassifier()).fit(frame, y)
    check = sk_onnx.export_and_check(pipe, tmp_path / "union.onnx", frame, dtype=np.float64)
    Z, model = pipe[0].transform(frame), pipe[-1]
    scaler = pipe[0].transformer_list[0][1].named_transformers_["num"]
    tolerance = _scaled_bound(scaler, model.coef_[:, :6], Z[:, :6], np.float64) + _bound(model, Z)
    assert check.label_mismatches == 0 and check.max_proba_diff <= tolerance
    assert len(sk_onnx.to_onnx(pipe, frame).graph.input) == frame.shape[1]


def test_softmax_classifier_cv(tmp_path):
    X, y = load_iris(return_X_y=True)
    model = SoftmaxClassifierCV(Cs=[0.1, 1.0, 10.0], cv=3).fit(X, STR_LABELS[y])
    check = sk_onnx.export_and_check(model, tmp_path / "cv.onnx", X, dtype=np.float64)
    assert check.label_mismatches == 0
    assert check.max_proba_diff <= _bound(model, X)


def _with_coef(coef, intercept, classes):
    model = SoftmaxClassifier()
    model.coef_, model.intercept_ = np.asarray(coef, float), np.asarray(intercept, float)
    model.classes_, model.n_features_in_ = np.asarray(classes), len(coef[0])
    return model


def test_zeros_in_coef(fitted):
    """Sparse-penalty fits have zero coefficients, whole columns or rows of them."""
    fitted_model, X = fitted("wine", "int", True)
    coef = fitted_model.coef_.copy()
    coef[:, ::2] = 0.0  # features no class uses
    coef[1] = 0.0  # a class with no weight
    model = _with_coef(coef, fitted_model.intercept_, fitted_model.classes_)
    predicted, proba = _run(sk_onnx.to_onnx(model, X, dtype=np.float64), X)
    assert_array_equal(predicted, model.predict(X))
    assert np.abs(proba - model.predict_proba(X)).max() <= _bound(model, X)

    # every coefficient zero: exact ties, the first class on both sides
    model = _with_coef(np.zeros_like(coef), np.zeros(3), fitted_model.classes_)
    predicted, proba = _run(sk_onnx.to_onnx(model, X, dtype=np.float64), X)
    assert_array_equal(predicted, model.predict(X))
    assert (predicted == model.classes_[0]).all() and (proba == 1 / 3).all()


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_sparse_penalty_fits(l1_ratio):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = SoftmaxClassifier(C=0.05, l1_ratio=l1_ratio).fit(X, STR_LABELS[y])
    assert (model.coef_ == 0).any()  # what this test is about
    predicted, proba = _run(sk_onnx.to_onnx(model, X, dtype=np.float64), X)
    assert_array_equal(predicted, model.predict(X))
    assert np.abs(proba - model.predict_proba(X)).max() <= _bound(model, X)


@pytest.mark.parametrize(
    "y_kind", ["float", "bool", "uint8"], ids=["float labels", "bool labels", "uint8 labels"]
)
def test_other_label_types_become_int64(y_kind):
    X, y = load_breast_cancer(return_X_y=True)
    y = {"float": y * 2.0 + 1.0, "bool": y.astype(bool), "uint8": (y + 250).astype(np.uint8)}
    model = SoftmaxClassifier().fit(X, y[y_kind])
    predicted, _ = _run(sk_onnx.to_onnx(model, X, dtype=np.float64), X)
    assert predicted.dtype == np.int64
    assert_array_equal(predicted, model.predict(X))


def test_labels_onnx_cannot_carry():
    model = _with_coef([[1.0], [-1.0]], [0.0, 0.0], [0.5, 1.5])
    with pytest.raises(TypeError, match="64-bit integers or strings.*nocl=True"):
        sk_onnx.to_onnx(model, np.ones((1, 1)))
    onnx_model = sk_onnx.to_onnx(model, np.ones((1, 1)), nocl=True)
    indices, _ = _run(onnx_model, np.ones((2, 1), dtype=np.float32))
    assert_array_equal(indices, [0, 0])


def test_integer_and_boolean_inputs(fitted):
    model, _ = fitted("wine", "int", True)
    X = np.arange(13 * 5).reshape(5, 13)  # int64
    for data in (X, X % 2 == 0):
        predicted, proba = _run(skl2onnx.to_onnx(model, data[:1], options={"zipmap": False}), data)
        assert_array_equal(predicted, model.predict(data))
        assert np.abs(proba - model.predict_proba(data)).max() <= _bound(model, data * 1.0) + (
            FLOAT32_OUTPUT
        )


def test_bad_calls_say_what_to_do(fitted):
    model, X = fitted("wine", "int", True)
    with pytest.raises(
        ValueError, match="input has 4 columns but SoftmaxClassifier was fitted on 13"
    ):
        sk_onnx.to_onnx(model, X[:, :4])
    with pytest.raises(ValueError, match="dtype must be numpy.float32 or numpy.float64"):
        sk_onnx.to_onnx(model, X, dtype=np.int64)
    with pytest.raises(ValueError, match="output_class_labels=True needs zipmap=False"):
        sk_onnx.to_onnx(model, X, zipmap=True, output_class_labels=True)
    with pytest.raises(ValueError, match="X_sample must be 2-D"):
        sk_onnx.to_onnx(model, X[0])
    with pytest.raises(NotFittedError):
        sk_onnx.to_onnx(SoftmaxClassifier(), X)


def _overflowing():
    """Coefficients near the float64 limit: some rows' outputs overflow."""
    model = _with_coef([[1e300, 1e300], [1.0, 0.0], [1e300, -1e300]], np.zeros(3), [0, 1, 2])
    X = np.array([[1e10, 1e10], [-1e10, 1e10], [1.0, 2.0], [2.0, 1.0]])
    return model, X


def test_what_the_graph_cannot_reproduce(tmp_path):
    """The kernel's rescue of overflowing outputs (documented in sk_softmax.onnx)."""
    model, X = _overflowing()
    with np.errstate(over="ignore"):
        overflow = ~np.isfinite(X @ model.coef_.T).all(axis=1)
    assert_array_equal(overflow, [True, True, False, False])
    expected = model.predict_proba(X)
    assert np.isfinite(expected).all()
    predicted, proba = _run(sk_onnx.to_onnx(model, X, dtype=np.float64), X)
    # finite outputs: the kernel's probabilities and labels
    assert np.abs(proba[2:] - expected[2:]).max() <= _bound(model, X[2:])
    assert_array_equal(predicted[2:], model.predict(X[2:]))
    # row 0 has outputs (+inf, 1e10, +inf): NaN where +inf, an underflow elsewhere (0 with
    # onnxruntime 1.32, a subnormal number with 1.20), the first +inf's label
    assert np.isnan(proba[0, [0, 2]]).all() and 0 <= proba[0, 1] < np.finfo(float).tiny
    assert predicted[0] == 0
    # row 1 has (-inf, 1e10, -inf): the graph says class 1, the kernel (rescaled) class 0
    assert predicted[1] == 1 and model.predict(X[1:2])[0] == 0
    check = sk_onnx.export_and_check(model, tmp_path / "big.onnx", X, dtype=np.float64)
    assert np.isnan(check.max_proba_diff) and check.label_mismatches == 1


def test_export_and_check_writes_what_it_checked(fitted, tmp_path):
    model, X = fitted("digits", "str", True)
    path = tmp_path / "digits.onnx"
    check = sk_onnx.export_and_check(model, path, X, dtype=np.float32)
    assert check.path == str(path) and path.stat().st_size > 0
    assert check.n_rows == X.shape[0] and check.label_mismatches == 0
    # float32 data: their rounding moves the outputs by up to 2**-24 S, p by half that
    S = (np.abs(X) @ np.abs(model.coef_).T + np.abs(model.intercept_)).max()
    assert 0 < check.max_proba_diff <= 2.0**-25 * S + _bound(model, X) + FLOAT32_OUTPUT
    predicted, proba = _session_from(path).run(None, {"X": X.astype(np.float32)})
    assert_array_equal(predicted, model.predict(X))


def _session_from(path):
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_array_api_fit_exports(fitted):
    xps = pytest.importorskip("array_api_strict")
    X, y = load_iris(return_X_y=True)
    with sklearn.config_context(array_api_dispatch=True):
        model = SoftmaxClassifier().fit(xps.asarray(X), xps.asarray(y))
    reference = SoftmaxClassifier().fit(X, y)
    predicted, proba = _run(sk_onnx.to_onnx(model, X, dtype=np.float64), X)
    assert_array_equal(predicted, reference.predict(X))
    assert np.abs(proba - reference.predict_proba(X)).max() < 1e-6  # two fits, to tol


def test_dask_samples_are_read_one_row_and_checks_need_data_in_memory(fitted, tmp_path):
    """``to_onnx`` computes only the first chunk of a dask sample (it computed them all);
    ``export_and_check`` on dask data says what to pass (a TypeError from dask before)."""
    da = pytest.importorskip("dask.array")
    model, X = fitted("wine", "int", True)
    computed = []

    def seen(block):
        computed.append(block.shape[0])
        return block

    sample = da.from_array(X, chunks=30).map_blocks(seen, dtype=X.dtype)
    predicted, _ = _run(sk_onnx.to_onnx(model, sample, dtype=np.float64), X)
    assert_array_equal(predicted, model.predict(X))
    assert sum(computed) <= 30
    with pytest.raises(TypeError, match="dask.*NumPy array or pandas DataFrame"):
        sk_onnx.export_and_check(model, tmp_path / "m.onnx", da.from_array(X, chunks=30))
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = dd.from_pandas(
        pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]), npartitions=3
    )
    # a frame, its array of unknown chunk sizes (dask refuses X[:1] there), and a frame
    # whose first partition is empty: the first row is found chunk by chunk
    empty_first = dd.concat([frame.partitions[0].head(0, npartitions=1, compute=False), frame])
    assert len(empty_first.partitions[0].compute()) == 0
    for sample in (frame, frame.to_dask_array(), empty_first):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            graph = sk_onnx.to_onnx(model, sample, dtype=np.float64)
        predicted, _ = _run(graph, X)
        assert_array_equal(predicted, model.predict(X))
