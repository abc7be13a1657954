"""Fitting and predicting on dask collections, against a real two-process cluster."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sk_softmax import SoftmaxClassifier

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

# Both fits stop at max|grad| <= tol = 1e-8 of the normalised objective in
# standardised coordinates, with curvature of order 1e-2 or more on these
# well-posed problems: the coefficients agree to about 1e-6 of their size,
# and 1e-5 leaves room for the different (chunked) summation order.
RTOL = 1e-5


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=2000, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    X[:, 0] *= 100.0  # an unscaled column: the preconditioner must see it
    return X, y


def _assert_same_model(ours, ref):
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=RTOL, atol=RTOL * scale)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=RTOL, atol=RTOL)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)


@pytest.mark.parametrize("solver", ["auto", "newton-cg", "lbfgs"])
def test_dask_fit_reaches_the_in_memory_optimum(client, data, solver):
    X, y = data
    Xd = da.from_array(X, chunks=(500, 4))  # column chunks too: rechunked inside
    yd = da.from_array(y, chunks=700)  # misaligned with X: aligned inside
    ours = SoftmaxClassifier(solver=solver).fit(Xd, yd)
    ref = SoftmaxClassifier(solver=solver).fit(X, y)
    assert ours.converged_ and ours.solver_ == ref.solver_
    _assert_same_model(ours, ref)
    np.testing.assert_allclose(ours.objective_, ref.objective_, rtol=1e-9)


def test_tall_dask_data_take_an_in_memory_subsample(client, capsys):
    # 10000 rows >= 400 * (3 classes * 4 coefficients): the subsampled Newton path
    X, y = make_classification(
        n_samples=10000, n_features=3, n_informative=3, n_redundant=0, n_classes=3,
        random_state=1,
    )  # fmt: skip
    X[:, 1] *= 1000.0
    Xd, yd = da.from_array(X, chunks=(2500, 3)), da.from_array(y, chunks=2500)
    ours = SoftmaxClassifier(verbose=1).fit(Xd, yd)
    assert "subsample of 600 rows" in capsys.readouterr().out
    ref = SoftmaxClassifier().fit(X, y)
    assert ours.converged_
    _assert_same_model(ours, ref)
    np.testing.assert_allclose(ours.objective_, ref.objective_, rtol=1e-9)


def test_local_scheduler_gives_the_same_optimum(data):
    import dask

    X, y = data
    with dask.config.set(scheduler="sync"):
        ours = SoftmaxClassifier(solver="newton-cg").fit(da.from_array(X, chunks=(600, 8)), y)
    _assert_same_model(ours, SoftmaxClassifier(solver="newton-cg").fit(X, y))


def test_weights_and_class_weights_on_the_cluster(client, data):
    X, y = data
    rng = np.random.RandomState(0)
    sw = rng.randint(0, 4, size=y.size).astype(float)
    Xd = da.from_array(X, chunks=(400, 8))
    params = dict(class_weight={0: 2.0, 2: 0.5}, C=0.3)
    ours = SoftmaxClassifier(**params).fit(Xd, da.from_array(y, chunks=400), sample_weight=sw)
    ref = SoftmaxClassifier(**params).fit(X, y, sample_weight=sw)
    _assert_same_model(ours, ref)
    balanced = SoftmaxClassifier(class_weight="balanced").fit(
        Xd, y, sample_weight=da.from_array(sw, chunks=300)
    )
    _assert_same_model(balanced, SoftmaxClassifier(class_weight="balanced").fit(X, y, sw))


def test_only_small_reductions_reach_the_client(client, data, monkeypatch):
    # Every result computed for the client is a number, a coefficient-sized
    # vector, or (newton-cholesky) the (K n_dof)^2 Hessian: never rows.
    import sk_softmax.datafits.dask as module

    X, y = data
    sizes, pinned = [], []

    def spy(fetch):
        def fetch_and_record(*args):
            out = fetch(*args)
            pinned.append(fetch.__name__ == "_gather")
            for result in out:
                parts = result if isinstance(result, tuple) else (result,)
                nbytes = [np.asarray(p).nbytes for p in parts if p is not None]
                sizes.append(max(nbytes, default=0))
            return out

        return fetch_and_record

    # every result that reaches the client passes through one of these two
    monkeypatch.setattr(module, "_fetch", spy(module._fetch))
    monkeypatch.setattr(module, "_gather", spy(module._gather))
    Xd = da.from_array(X, chunks=(500, 8))
    SoftmaxClassifier(solver="newton-cholesky").fit(Xd, da.from_array(y, chunks=500))
    n_coef = 3 * (X.shape[1] + 1)
    assert sizes and max(sizes) <= 8 * n_coef**2 < Xd.blocks[0].nbytes
    # with a client, the solver's passes run as tasks pinned to the chunks' workers
    assert any(pinned)


def test_lazy_chunk_aligned_predictions(client, data):
    X, y = data
    Xd = da.from_array(X, chunks=(300, 8))
    clf = SoftmaxClassifier().fit(Xd, y)
    for method in ["predict", "predict_proba", "predict_log_proba", "decision_function"]:
        lazy = getattr(clf, method)(Xd)
        assert isinstance(lazy, da.Array) and lazy.chunks[0] == Xd.chunks[0]
        expected = getattr(clf, method)(X)
        if method == "predict":
            np.testing.assert_array_equal(lazy.compute(), expected)
        else:
            np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-12, atol=1e-12)
    # two classes: a 1-D decision function, as in memory
    mask = y < 2
    binary = SoftmaxClassifier().fit(da.from_array(X[mask], chunks=(400, 8)), y[mask])
    decision = binary.decision_function(Xd)
    assert decision.ndim == 1
    np.testing.assert_allclose(decision.compute(), binary.decision_function(X), rtol=1e-12)


# pandas 3 makes the labels a string Series, which dask turns into an object array
# with this warning of its own (not ours): the labels arrive all the same.
@pytest.mark.filterwarnings(
    "ignore:Dask currently has limited support for converting pandas extension dtypes:UserWarning"
)
def test_dask_dataframe_with_feature_names(client, data):
    pd = pytest.importorskip("pandas")
    X, y = data
    columns = [f"f{j}" for j in range(X.shape[1])]
    frame = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=4)
    labels = dd.from_pandas(pd.Series(np.array(["a", "b", "c"])[y]), npartitions=4)
    clf = SoftmaxClassifier().fit(frame, labels)
    np.testing.assert_array_equal(clf.feature_names_in_, columns)
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])
    _assert_same_model(clf, SoftmaxClassifier().fit(X, np.array(["a", "b", "c"])[y]))
    proba = clf.predict_proba(frame)
    assert isinstance(proba, da.Array) and proba.numblocks[0] == frame.npartitions
    np.testing.assert_allclose(proba.compute().sum(axis=1), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"f0": "other"}))


def test_bad_dask_input_gets_clear_errors(client, data):
    X, y = data
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        SoftmaxClassifier().fit(da.from_array(bad, chunks=(500, 8)), y)
    with pytest.raises(ValueError, match="partial_fit"):
        SoftmaxClassifier(solver="sgd").fit(da.from_array(X, chunks=(500, 8)), y)
    with pytest.raises(ValueError, match="one label per row"):
        SoftmaxClassifier().fit(da.from_array(X, chunks=(500, 8)), y[:-1])
    with pytest.raises(ValueError, match="features"):
        SoftmaxClassifier().fit(X, y).predict(da.from_array(X[:, :3], chunks=(500, 3)))
    # scipy.sparse chunks: numpy's "ufunc 'isfinite' not supported" before
    from scipy import sparse

    chunks = da.from_array(X, chunks=(500, 8)).map_blocks(sparse.csr_matrix)
    with pytest.raises(TypeError, match="scipy.sparse chunks.*toarray"):
        SoftmaxClassifier().fit(chunks, y)
    with pytest.raises(TypeError, match="scipy.sparse chunks"):
        SoftmaxClassifier().fit(X, y).predict(chunks)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
def test_dask_predictions_check_their_input_as_in_memory(data, method):
    """NaN, infinite, complex or text values: the in-memory errors, not NaN probabilities,
    labels of class 0, a real part kept, or numpy's "could not convert string to float"."""
    X, y = data
    clf = SoftmaxClassifier().fit(X, y)
    bad = X[:6].copy()
    bad[1, 0], bad[4, 2] = np.nan, -np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        getattr(clf, method)(da.from_array(bad, chunks=3)).compute(scheduler="sync")
    complex_values = da.from_array(X[:6].astype(complex), chunks=3)
    with pytest.raises(ValueError, match="dtype complex128.*numeric"):
        getattr(clf, method)(complex_values)
    pd = pytest.importorskip("pandas")
    names = [f"f{j}" for j in range(X.shape[1])]
    named = SoftmaxClassifier().fit(pd.DataFrame(X, columns=names), y)
    frame = pd.DataFrame(X[:6], columns=names).assign(f0=["red", "blue"] * 3)
    with pytest.raises(ValueError, match="dtype object.*numeric"):
        getattr(named, method)(dd.from_pandas(frame, npartitions=2))


def test_importing_the_package_does_not_import_dask():
    code = (
        "import sys, sk_softmax\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_overflowing_logits_predict_as_in_memory(client, data):
    # Rows scaled towards 1e308 under a model of large C: W x overflows
    # float64. Every chunk gets the NumPy kernel's rescue, so probabilities
    # stay finite and the labels are those of the in-memory model.
    X, y = data
    clf = SoftmaxClassifier(C=1e4).fit(X * 1e-3, y)  # coefficients of about 1e3
    rows = X[:60] / np.abs(X[:60]).max(axis=1, keepdims=True) * 1e307
    with np.errstate(over="ignore"):
        assert np.isinf(rows @ clf.coef_.T).any()  # the case at hand
    Xd = da.from_array(rows, chunks=(20, 8))
    for method in ["predict_proba", "predict_log_proba", "decision_function"]:
        lazy = getattr(clf, method)(Xd).compute()
        assert not np.isnan(lazy).any(), method
        np.testing.assert_array_equal(lazy, getattr(clf, method)(rows), err_msg=method)
    proba = clf.predict_proba(Xd).compute()
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(Xd).compute(), clf.predict(rows))


def test_callbacks_see_every_dask_iteration(client, data):
    from sklearn.callback import ScoringMonitor

    X, y = data
    Xd, yd = da.from_array(X, chunks=(500, 8)), da.from_array(y, chunks=500)
    monitor = ScoringMonitor(scoring="accuracy")
    clf = SoftmaxClassifier().set_callbacks(monitor).fit(Xd, yd)
    iterations = [r for r in monitor.get_logs().data if r["task_name"] == "iteration"]
    assert clf.n_iter_ > 0 and len(iterations) == clf.n_iter_
    assert iterations[-1]["accuracy"] == pytest.approx(clf.score(X, y))


def test_separable_dask_data_without_penalty_warn(client):
    # The same certificates as in memory: no finite optimum, converged_ False.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(40, 2) + [6, 0], rng.randn(40, 2) - [6, 0], rng.randn(40, 2) + [0, 9]])
    y = np.repeat([0, 1, 2], 40)
    Xd, yd = da.from_array(X, chunks=(30, 2)), da.from_array(y, chunks=30)
    with pytest.warns(ConvergenceWarning, match="linearly separable"):
        clf = SoftmaxClassifier(C=np.inf).fit(Xd, yd)
    assert not clf.converged_
    with pytest.warns(ConvergenceWarning, match="linearly separable"):
        assert not SoftmaxClassifier(C=np.inf).fit(X, y).converged_


def test_dask_newton_cg_is_preconditioned_by_class_blocks(client, data, monkeypatch):
    from sk_softmax.datafits.dask import DaskDatafit

    X, y = data
    calls = []
    real = DaskDatafit.class_blocks

    def spy(self, *args, **kwargs):
        calls.append(kwargs.get("max_rows"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DaskDatafit, "class_blocks", spy)
    Xd = da.from_array(X, chunks=(500, 8))
    ours = SoftmaxClassifier(solver="newton-cg").fit(Xd, da.from_array(y, chunks=500))
    assert calls, "the class blocks were never built"
    ref = SoftmaxClassifier(solver="newton-cg").fit(X, y)
    _assert_same_model(ours, ref)
    # the same preconditioner as in memory: about as many Newton steps
    assert ours.n_iter_ <= ref.n_iter_ + 1


def test_inference_on_the_workers_equals_in_memory(client):
    """The Hessian and the scores' outer products and group sums, chunk by chunk on the
    workers, give the in-memory covariances: rounding only (other summation order) times
    the Hessian's condition, which is moderate without redundant features (the module's
    data have two, and a condition of 1e8)."""
    from sk_softmax import inference

    X, y = make_classification(
        n_samples=2000, n_features=8, n_informative=5, n_redundant=0, n_classes=3,
        random_state=0,
    )  # fmt: skip
    X[:, 0] *= 100.0
    clf = SoftmaxClassifier(C=1.0, tol=1e-10).fit(X, y)
    groups = np.arange(len(y)) % 23
    Xd, yd = da.from_array(X, chunks=(500, 8)), da.from_array(y, chunks=500)
    gd = da.from_array(groups, chunks=300)
    for cov_type, g, held in [("nonrobust", None, None), ("HC0", None, None),
                              ("cluster", groups, gd)]:  # fmt: skip
        expected = inference(clf, X, y, cov_type=cov_type, groups=g)
        result = inference(clf, Xd, yd, cov_type=cov_type, groups=held)
        # entries against the product of their standard errors (covariances near 0 too)
        scale = np.sqrt(np.outer(np.diag(expected.cov_params()), np.diag(expected.cov_params())))
        assert np.all(np.abs(result.cov_params() - expected.cov_params()) <= 1e-9 * scale)
        np.testing.assert_allclose(result.llf, expected.llf, rtol=1e-12)
    np.testing.assert_allclose(
        result.get_margeff().margeff_se, expected.get_margeff().margeff_se, rtol=1e-9
    )
