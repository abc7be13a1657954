"""The maths layer: objective, gradient, Hessian, preconditioner, overflow."""

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import check_grad
from scipy.special import logsumexp

from sk_softmax._loss import (
    CompactStandardizedLoss,
    SoftmaxLoss,
    StandardizedLoss,
    column_moments,
    log_softmax_inplace,
    raw_prediction,
    standardized_loss,
)

EPS = np.finfo(np.float64).eps


def _problem(n=60, d=5, k=4, seed=0, fit_intercept=True, alpha=0.05, scale=1.0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) * scale
    y = rng.randint(k, size=n)
    y[:k] = np.arange(k)
    sw = rng.uniform(0.5, 2, size=n)
    return SoftmaxLoss(X, y, k, sw, alpha, fit_intercept), rng


def _fd_bound(m):
    # Forward differences with step sqrt(eps): truncation ~ sqrt(eps)/2 * |f''|
    # plus rounding ~ eps |f| / sqrt(eps) per coordinate; f and f'' are of
    # order one for the normalised objective on unit-scale data.
    return 10 * np.sqrt(EPS) * np.sqrt(m)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_gradient_matches_finite_differences(fit_intercept, alpha):
    loss, rng = _problem(fit_intercept=fit_intercept, alpha=alpha)
    coef = rng.normal(size=np.prod(loss.shape))
    err = check_grad(loss.loss, lambda c: loss.loss_gradient(c)[1], coef)
    assert err < _fd_bound(coef.size)


def test_loss_matches_definition():
    loss, rng = _problem()
    coef = rng.normal(size=loss.shape)
    W, b = coef[:, :-1], coef[:, -1]
    raw = loss.X @ W.T + b
    ce = logsumexp(raw, axis=1) - raw[np.arange(len(loss.y)), loss.y]
    expected = loss.sw @ ce + 0.5 * loss.alpha * np.sum(W**2)
    assert loss.loss(coef.ravel()) == pytest.approx(expected, rel=1e2 * EPS)
    assert loss.loss_gradient(coef.ravel())[0] == pytest.approx(expected, rel=1e2 * EPS)


@pytest.mark.parametrize("n_classes", [2, 4])  # two classes have their own passes
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessp_and_hessian_match_gradient_differences(fit_intercept, n_classes):
    loss, rng = _problem(fit_intercept=fit_intercept, k=n_classes)
    coef = rng.normal(size=np.prod(loss.shape))
    v = rng.normal(size=coef.size)
    h = 1e-6
    fd = (loss.loss_gradient(coef + h * v)[1] - loss.loss_gradient(coef - h * v)[1]) / (2 * h)
    hv = loss.hessp(coef)(v)
    # central differences: error O(h^2 |f'''|) + O(eps / h)
    np.testing.assert_allclose(hv, fd, atol=1e-8)
    H = loss.hessian(coef)
    np.testing.assert_allclose(H, H.T, atol=1e-14)
    np.testing.assert_allclose(H @ v, hv, rtol=1e-10, atol=1e-13)
    if n_classes == 2:
        data, curvature = loss.two_class_hessian(coef)
        n = loss.n_dof
        np.testing.assert_array_equal(H[:n, n:], -data)
        np.testing.assert_array_equal(np.diag(H[:n, :n]), np.diag(data) + curvature)


def test_sparse_and_float32_match_dense_float64():
    loss, rng = _problem()
    X32 = loss.X.astype(np.float32)
    coef = rng.normal(size=np.prod(loss.shape))
    v = rng.normal(size=coef.size)
    ref = SoftmaxLoss(X32.astype(np.float64), loss.y, 4, loss.sw * 3, loss.alpha, True)
    f0, g0 = ref.loss_gradient(coef)
    for X in (X32, sparse.csr_matrix(X32), sparse.csc_matrix(X32)):
        other = SoftmaxLoss(X, loss.y, 4, loss.sw * 3, loss.alpha, True)
        f, g = other.loss_gradient(coef)
        # same float32 values, float64 arithmetic: equal to rounding
        assert f == pytest.approx(f0, rel=1e-13)
        np.testing.assert_allclose(g, g0, rtol=1e-11, atol=1e-14)
        np.testing.assert_allclose(other.hessp(coef)(v), ref.hessp(coef)(v), atol=1e-13)
        np.testing.assert_allclose(other.hessian(coef), ref.hessian(coef), atol=1e-13)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("fmt", ["dense32", "dense64", "csr"])
def test_blocks_and_threads_give_the_same_sums(monkeypatch, n_threads, fmt):
    """Many row blocks, summed by several threads, equal one block."""
    import sk_softmax._chunks as chunks_module
    import sk_softmax._loss as loss_module

    loss, rng = _problem(n=103)
    X = {"dense32": loss.X.astype(np.float32), "dense64": loss.X, "csr": sparse.csr_matrix(loss.X)}[
        fmt
    ]
    coef = rng.normal(size=np.prod(loss.shape))
    v = rng.normal(size=coef.size)
    whole = SoftmaxLoss(X, loss.y, 4, loss.sw, loss.alpha, True)
    f0, g0 = whole.loss_gradient(coef)
    hv0, h0 = whole.hessp(coef)(v), whole.hessian(coef)
    mean, scale = loss.X.mean(axis=0), loss.X.std(axis=0) + 0.5
    d0 = whole.hessian_diagonal(coef, mean, scale)
    h_std = whole.hessian(coef, mean, scale)
    np.testing.assert_allclose(d0, np.diag(h_std), rtol=1e-12)
    blocks = whole.class_blocks(coef, mean, scale)
    h4 = h_std.reshape(4, -1, 4, blocks.shape[1])
    for k in range(4):  # block (k, k) of the Hessian: weights p_k - p_k^2
        np.testing.assert_allclose(blocks[k], h4[k, :, k, :], rtol=1e-12, atol=1e-15)
    monkeypatch.setattr(chunks_module, "_BLOCK_VALUES", 1)
    monkeypatch.setattr(chunks_module, "_MIN_ROWS", 7)
    # and no whole-data outer products: the blocked Hessian against those of `whole`
    monkeypatch.setattr(loss_module, "_BLOCK_VALUES", 1)
    blocked = SoftmaxLoss(X, loss.y, 4, loss.sw, loss.alpha, True, n_threads=n_threads)
    assert len(blocked.chunks.slices()) == 15
    f, g = blocked.loss_gradient(coef)
    # sums of the same terms in another order: equal to rounding
    assert f == pytest.approx(f0, rel=1e-14)
    np.testing.assert_allclose(g, g0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(blocked.hessp(coef)(v), hv0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(blocked.hessian(coef), h0, rtol=1e-12, atol=1e-15)
    assert blocked.loss(coef) == pytest.approx(f0, rel=1e-14)
    np.testing.assert_allclose(blocked.hessian_diagonal(coef, mean, scale), d0, rtol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_standardized_loss_is_the_same_function(fit_intercept):
    base, rng = _problem(fit_intercept=fit_intercept, scale=1.0)
    X = base.X * np.array([1e-3, 1, 1e3, 5, 0.1]) + 7.0
    loss = SoftmaxLoss(X, base.y, base.n_classes, base.sw, base.alpha, fit_intercept)
    mean, std = column_moments(loss.X, loss.sw, center=fit_intercept)
    scaled = StandardizedLoss(loss, mean, std)
    coef = rng.normal(size=np.prod(loss.shape))
    back = scaled.to_standardized(scaled.to_original(coef))
    np.testing.assert_allclose(back, coef, rtol=1e-12, atol=1e-12)
    assert scaled.loss(coef) == pytest.approx(loss.loss(scaled.to_original(coef)), rel=1e-14)
    err = check_grad(scaled.loss, lambda c: scaled.loss_gradient(c)[1], coef)
    assert err < _fd_bound(coef.size)
    v = rng.normal(size=coef.size)
    H = scaled.hessian(coef)
    np.testing.assert_allclose(H @ v, scaled.hessp(coef)(v), rtol=1e-9, atol=1e-12)
    if fit_intercept:
        # standardised coordinates: the weight diagonal of the data part is <= 1/4
        n_dof = loss.shape[1]
        diag = np.diag(H).reshape(loss.shape)[:, : n_dof - 1]
        # (p(1-p) std^2 + alpha) / (std^2 + alpha) <= 1
        assert np.all(diag <= 1 + 1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 0.05])
def test_compact_loss_is_the_standardized_loss(fit_intercept, alpha):
    """The one-copy form of small dense data: the same function, derivatives and subsample."""
    base, rng = _problem(n=80, fit_intercept=fit_intercept, alpha=alpha)
    X = base.X * np.array([1e-3, 1, 1e3, 5, 0.1]) + 7.0
    y, k, sw = base.y, base.n_classes, base.sw
    compact = standardized_loss(X, y, k, sw, alpha, fit_intercept)
    assert isinstance(compact, CompactStandardizedLoss)
    mean, std = column_moments(X, sw, center=fit_intercept)
    general = StandardizedLoss(SoftmaxLoss(X, y, k, sw, alpha, fit_intercept), mean, std)
    np.testing.assert_array_equal(compact.scale, general.scale)
    coef = rng.normal(size=np.prod(compact.shape))
    # The general form evaluates at the original coefficients, where the
    # intercept b = b' - (W'/sigma) mu cancels terms of |mu|/sigma (7e3 here)
    # times larger: rounding of that order, nothing else, may differ.
    tol = dict(rtol=1e-13, atol=100 * EPS * max(1.0, np.max(np.abs(mean) / general.scale)))
    np.testing.assert_allclose(compact.loss(coef), general.loss(coef), **tol)
    value, grad = compact.loss_gradient(coef)
    ref_value, ref_grad = general.loss_gradient(coef)
    np.testing.assert_allclose(value, ref_value, **tol)
    np.testing.assert_allclose(grad, ref_grad, **tol)
    v = rng.normal(size=coef.size)
    np.testing.assert_allclose(compact.hessp(coef)(v), general.hessp(coef)(v), **tol)
    for name in ("hessian", "hessian_diagonal", "class_blocks"):
        ours, reference = getattr(compact, name)(coef), getattr(general, name)(coef)
        np.testing.assert_allclose(ours, reference, **tol, err_msg=name)
    original = compact.to_original(coef)
    np.testing.assert_array_equal(original, general.to_original(coef))
    np.testing.assert_allclose(compact.objective(original), general.objective(original), **tol)
    # the same rows, drawn among the positive weights
    sample, ref_sample = compact.subsample(30), general.subsample(30)
    assert sample.n_samples == ref_sample.n_samples == 30
    ours, reference = sample.loss_gradient(coef), ref_sample.loss_gradient(coef)
    np.testing.assert_allclose(ours[1], reference[1], **tol)


def test_compact_form_only_for_small_tame_dense_data():
    base, _ = _problem()
    X, y, k, sw = base.X, base.y, base.n_classes, base.sw
    assert isinstance(standardized_loss(X, y, k, sw, 0.1, True), CompactStandardizedLoss)
    assert type(standardized_loss(sparse.csr_matrix(X), y, k, sw, 0.1, True)) is StandardizedLoss
    # features of 1e-200 need weights near 1e200, which the compact form would
    # only meet when mapping back: the general form keeps the original in view
    assert type(standardized_loss(X * 1e-200, y, k, sw, 0.0, True)) is StandardizedLoss
    n = 2**19 // (X.shape[1] + 1 + k) + 1  # beyond one block of values
    rows = np.arange(n) % X.shape[0]
    assert type(standardized_loss(X[rows], y[rows], k, sw[rows], 0.1, True)) is StandardizedLoss


@pytest.mark.parametrize("magnitude", [1e-300, 1.0, 1e300])
def test_column_moments_any_magnitude(magnitude):
    rng = np.random.RandomState(0)
    base = rng.normal(size=(50, 3)) + 2
    X = base * magnitude
    sw = np.ones(50)
    for data in (X, sparse.csr_matrix(X)):
        mean, std = column_moments(data, sw, center=True)
        np.testing.assert_allclose(mean / magnitude, base.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(std / magnitude, base.std(axis=0), rtol=1e-10)


def test_constant_columns_have_no_spread():
    X = np.column_stack([np.full(20, 3.0), np.arange(20.0), np.zeros(20)])
    mean, std = column_moments(X, np.ones(20), center=True)
    assert std[0] == 0.0 and std[2] == 0.0 and std[1] > 0
    assert mean[0] == pytest.approx(3.0)
    loss = SoftmaxLoss(X, np.arange(20) % 2, 2, np.ones(20), 0.0, True)
    # no penalty: a column without spread keeps unit scale
    assert StandardizedLoss(loss, mean, std).scale[0] == 1.0


def test_log_softmax_never_overflows():
    raw = np.array([[1e4, 0.0, -1e4], [1000.0, 10, 1000.0], [-1e308, 0.0, 1e308]])
    log_proba, lse = log_softmax_inplace(raw.copy())
    assert np.all(np.isfinite(lse))
    np.testing.assert_allclose(np.exp(log_proba).sum(axis=1), 1.0, rtol=1e-15)
    assert log_proba[0, 0] == 0.0 and log_proba[2, 2] == 0.0
    np.testing.assert_allclose(log_proba[1], [-np.log(2), -990 - np.log(2), -np.log(2)])


def test_raw_prediction_float32_no_full_copy():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 3)).astype(np.float32)
    W = rng.normal(size=(2, 3))
    np.testing.assert_allclose(raw_prediction(X, W), X.astype(np.float64) @ W.T, rtol=1e-14)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_csr_blocks_are_views_one_per_thread(n_threads):
    from sk_softmax._chunks import RowChunks

    X = sparse.random(1000, 50, density=0.1, format="csr", random_state=0)
    chunks = RowChunks(X, n_threads)
    # passes that only multiply: one partial sum per thread, not per cache-sized block
    slices = chunks.slices(width=4, products_only=True)
    assert len(slices) == n_threads
    for rows in slices:
        block = chunks.block(rows)
        assert np.shares_memory(block.data, X.data) and np.shares_memory(block.indices, X.indices)
        assert (block != X[rows]).nnz == 0


def test_sampled_class_blocks_estimate_the_exact_ones(monkeypatch):
    """Evenly spaced row blocks, reweighted, approximate the class blocks."""
    import sk_softmax._chunks as chunks_module

    loss, rng = _problem(n=4000, d=3, k=3)
    coef = rng.normal(size=np.prod(loss.shape)) * 0.3
    exact = loss.class_blocks(coef)
    monkeypatch.setattr(chunks_module, "_BLOCK_VALUES", 100)
    monkeypatch.setattr(chunks_module, "_MIN_ROWS", 50)
    sampled = SoftmaxLoss(loss.X, loss.y, 3, loss.sw, loss.alpha, True).class_blocks(
        coef, max_rows=1000
    )
    # i.i.d. rows: a 1000-row sample estimates a mean to about 1/sqrt(1000) ~ 3%
    np.testing.assert_allclose(sampled, exact, rtol=0.15, atol=0.15 * np.abs(exact).max())
    assert not np.allclose(sampled, exact, rtol=1e-9)  # it is a sample, not the sum
