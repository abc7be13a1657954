"""The maths layer: the data term, the penalty, their sum, coordinates, overflow."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import check_grad
from scipy.special import log_softmax as scipy_log_softmax
from scipy.special import logsumexp

from sk_softmax._predict import log_softmax
from sk_softmax.datafits._blocks import RowChunks
from sk_softmax.datafits._kernels import raw_prediction
from sk_softmax.datafits.moments import column_moments
from sk_softmax.datafits.numpy import SoftmaxDatafit
from sk_softmax.datafits.standardized import (
    Compact,
    Coordinates,
    Standardized,
    in_coordinates,
    standard_scales,
)
from sk_softmax.penalties import L2
from sk_softmax.solvers._smooth import SmoothObjective

EPS = np.finfo(np.float64).eps


def _objective(X, y, k, sw, alpha, fit_intercept, n_threads=1):
    """The penalised objective: the NumPy data term plus the L2 penalty."""
    datafit = SoftmaxDatafit(X, y, k, sw, fit_intercept, n_threads)
    return SmoothObjective(datafit, L2(alpha, X.shape[1], fit_intercept))


def _standardized(X, y, k, sw, alpha, fit_intercept, form):
    """The objective in standardised coordinates, ``form`` "compact" or "general"."""
    mean, std = column_moments(X, sw, center=fit_intercept)
    coordinates = Coordinates(mean, standard_scales(std, alpha), fit_intercept)
    if form == "compact":
        datafit = Compact(X, y, k, sw, coordinates)
    else:
        datafit = Standardized(SoftmaxDatafit(X, y, k, sw, fit_intercept), coordinates)
    penalty = L2(alpha, X.shape[1], fit_intercept).in_coordinates(coordinates.scale)
    return SmoothObjective(datafit, penalty), coordinates


def _problem(n=60, d=5, k=4, seed=0, fit_intercept=True, alpha=0.05, scale=1.0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) * scale
    y = rng.randint(k, size=n)
    y[:k] = np.arange(k)
    sw = rng.uniform(0.5, 2, size=n)
    return _objective(X, y, k, sw, alpha, fit_intercept), rng


def _parts(objective):
    """``(X, y, n_classes, raw sample weights, alpha)`` of a test objective."""
    datafit = objective.datafit
    return datafit.X, datafit.y, datafit.n_classes, datafit.sample_weight, objective.penalty.alpha


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
    X, y, _, sw, alpha = _parts(loss)
    coef = rng.normal(size=loss.shape)
    W, b = coef[:, :-1], coef[:, -1]
    raw = X @ W.T + b
    ce = logsumexp(raw, axis=1) - raw[np.arange(len(y)), y]
    expected = sw @ ce / sw.sum() + 0.5 * alpha * np.sum(W**2)
    assert loss.loss(coef.ravel()) == pytest.approx(expected, rel=1e2 * EPS)
    assert loss.loss_gradient(coef.ravel())[0] == pytest.approx(expected, rel=1e2 * EPS)
    # the data term alone, without the penalty
    assert loss.datafit.loss(coef.ravel()) == pytest.approx(sw @ ce / sw.sum(), rel=1e2 * EPS)


@pytest.mark.parametrize("n_classes", [2, 4])  # two classes have their own passes
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_zero_weights_give_the_intercepts_predictions(n_classes, fmt):
    """A cold start's zero weights skip the product ``X W^T``: the raw predictions are ``b``."""
    rng = np.random.RandomState(3)
    X = rng.normal(size=(50, 6))
    y = np.arange(50) % n_classes
    sw = rng.uniform(0.5, 2.0, size=50)
    data = sparse.csr_matrix(X) if fmt == "csr" else X
    datafit = SoftmaxDatafit(data, y, n_classes, sw, True)
    coef = np.zeros((n_classes, 7))
    coef[:, -1] = rng.normal(size=n_classes)  # the intercepts only
    raw = np.tile(coef[:, -1], (50, 1))
    proba = np.exp(raw - logsumexp(raw, axis=1, keepdims=True))
    residual = (proba - np.eye(n_classes)[y]) * (sw / sw.sum())[:, None]
    expected = sw @ (logsumexp(raw, axis=1) - raw[np.arange(50), y]) / sw.sum()
    value, grad = datafit.loss_gradient(coef.ravel())
    assert value == pytest.approx(expected, rel=1e2 * EPS)
    assert datafit.loss(coef.ravel()) == pytest.approx(expected, rel=1e2 * EPS)
    np.testing.assert_allclose(
        grad.reshape(n_classes, 7), np.hstack([residual.T @ X, residual.sum(axis=0)[:, None]]),
        rtol=1e-12, atol=1e-15,
    )  # fmt: skip


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
        data, curvature = loss.two_class_parts(coef)
        n = loss.shape[1]
        np.testing.assert_array_equal(H[:n, n:], -data)
        np.testing.assert_array_equal(np.diag(H[:n, :n]), np.diag(data) + curvature)


def test_sparse_and_float32_match_dense_float64():
    loss, rng = _problem()
    X, y, _, sw, alpha = _parts(loss)
    X32 = X.astype(np.float32)
    coef = rng.normal(size=np.prod(loss.shape))
    v = rng.normal(size=coef.size)
    ref = _objective(X32.astype(np.float64), y, 4, sw * 3, alpha, True)
    f0, g0 = ref.loss_gradient(coef)
    for data in (X32, sparse.csr_matrix(X32), sparse.csc_matrix(X32)):
        other = _objective(data, y, 4, sw * 3, alpha, True)
        f, g = other.loss_gradient(coef)
        # same float32 values, float64 arithmetic: equal to rounding
        assert f == pytest.approx(f0, rel=1e-13)
        np.testing.assert_allclose(g, g0, rtol=1e-11, atol=1e-14)
        # the second-order methods read the probabilities kept in float32 for
        # float32 data (half their memory): each to 2**-24 relative. An entry
        # of the Hessian is a sum of terms s_i w_i x~_ia x~_ib with |w| <= 1/4
        # (p_k (1 - p_k) or p_k p_l), each of them moved by a few 2**-24
        xt = np.abs(np.column_stack([X32.astype(np.float64), np.ones(len(y))]))
        gram = (xt * (sw / sw.sum())[:, None]).T @ xt / 4
        bound = 4 * 2.0**-24 * np.kron(np.ones((4, 4)), gram)
        product, expected = other.hessp(coef)(v), ref.hessp(coef)(v)
        assert np.all(np.abs(product - expected) <= bound @ np.abs(v))
        hessian, expected = other.hessian(coef), ref.hessian(coef)
        assert np.all(np.abs(hessian - expected) <= bound)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probabilities_are_kept_in_the_data_dtype_and_sum_to_one(dtype):
    # float32 data keep them in float32 (half the memory of the one n x K
    # array); the second-order methods see them renormalised, so that the
    # Hessian stays flat along adding one vector to every class's weights
    rng = np.random.default_rng(3)
    n, d, k = 2000, 6, 4
    X = (rng.standard_normal((n, d)) * 3).astype(dtype)
    y = rng.integers(0, k, n)
    datafit = SoftmaxDatafit(X, y, k, np.ones(n), True)
    coef = rng.standard_normal(k * (d + 1)) * 4  # saturated: many p near 0 or 1
    datafit.loss_gradient(coef)
    assert datafit._kept.proba.dtype == dtype
    hessian = datafit.hessian(coef)
    for j in range(d + 1):
        shift = np.zeros((k, d + 1))
        shift[:, j] = 1.0
        flat = hessian @ shift.ravel()
        assert np.abs(flat).max() <= 1e-13 * np.abs(hessian).max()


def _stored_twice(X0, fmt):
    """``X0`` as sparse ``fmt`` with every entry stored as two parts, indices unsorted."""
    rows, cols = np.nonzero(X0)
    values = X0[rows, cols]
    order = np.random.RandomState(5).permutation(2 * rows.size)
    parts = np.concatenate([0.25 * values, 0.75 * values])[order]
    twice = sparse.coo_matrix(
        (parts, (np.tile(rows, 2)[order], np.tile(cols, 2)[order])), shape=X0.shape
    )
    # the constructors of CSR and CSC from COO sum duplicates: build the arrays directly
    major = twice.row if fmt == "csr" else twice.col
    minor = twice.col if fmt == "csr" else twice.row
    order = np.argsort(major, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(major, minlength=X0.shape[fmt == "csc"]))])
    kind = sparse.csr_matrix if fmt == "csr" else sparse.csc_matrix
    X = kind((twice.data[order], minor[order], indptr), shape=X0.shape)
    assert X.nnz == 2 * rows.size and not X.has_canonical_format
    return X


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr twice", "csc twice"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_hessian_diagonal_is_the_dense_one(fmt, fit_intercept):
    """The sparse diagonal (three sums combined once) is the dense data's, in any
    coordinates: centred, scaled only, or none; also with every entry stored twice
    (unsorted, as validation lets through); and it leaves X as it was."""
    from sk_softmax.datafits._sparse_blocks import has_duplicates, scaled_values

    loss, rng = _problem(n=97, d=6, fit_intercept=fit_intercept)
    X0, y, k, sw, _ = _parts(loss)
    X0 = np.where(rng.uniform(size=X0.shape) < 0.4, 0.0, X0)
    name = fmt.split()[0]
    if "twice" in fmt:
        X = _stored_twice(X0, name)
    elif name == "coo":  # from triplets: scipy does not call it canonical
        rows, cols = np.nonzero(X0)
        X = sparse.coo_matrix((X0[rows, cols], (rows, cols)), shape=X0.shape)
    else:
        X = sparse.csr_matrix(X0).asformat(name)
    before = X.copy()
    coef = rng.normal(size=np.prod(loss.shape))
    dense = SoftmaxDatafit(X0, y, k, sw, fit_intercept)
    ours = SoftmaxDatafit(X, y, k, sw, fit_intercept)
    assert ours.chunks.duplicates == ("twice" in fmt or name == "coo")  # COO: summed anyway
    mean, scale = X0.mean(axis=0), X0.std(axis=0) + 0.5
    for coordinates in ((mean, scale), (np.zeros_like(mean), scale), (None, None)):
        expected = dense.hessian_diagonal(coef, *coordinates)
        np.testing.assert_allclose(ours.hessian_diagonal(coef, *coordinates), expected, rtol=1e-12)
    assert (X != before).nnz == 0 and np.array_equal(X.data, before.data)
    if name != "coo":  # a copy of the values, scaled, sharing the index arrays
        z = scaled_values(X, scale, has_duplicates(X))
        np.testing.assert_allclose(z.toarray(), X0 / scale, rtol=1e-15)
        assert z.data is not X.data and (z.indices is X.indices) == ("twice" not in fmt)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_hessian_diagonal_of_any_magnitude(dtype):
    """Values divided by their scale before squaring: columns of 1e170 (float64) or 1e25
    and 1e-25 (float32) give the dense standardised diagonal, not inf, NaN or 0."""
    loss, rng = _problem(n=60, d=3)
    X0, y, k, sw, _ = _parts(loss)
    coef = rng.normal(size=np.prod(loss.shape))
    unit = SoftmaxDatafit(X0, y, k, sw, True)
    mean, std = X0.mean(axis=0), X0.std(axis=0)
    expected = unit.hessian_diagonal(coef, mean, std)
    for magnitude in (1e170, 1e-170) if dtype == np.float64 else (1e25, 1e-25):
        X = sparse.csr_matrix((X0 * magnitude).astype(dtype))
        ours = SoftmaxDatafit(X, y, k, sw, True)
        # the same model (weights divided by the magnitude) and standardised features
        weights = coef.reshape(k, -1).copy()
        weights[:, :-1] /= magnitude
        scaled = ours.hessian_diagonal(weights.ravel(), mean * magnitude, std * magnitude)
        rtol = 1e-12 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(scaled, expected, rtol=rtol, atol=rtol * expected.max())


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("fmt", ["dense32", "dense64", "csr"])
def test_blocks_and_threads_give_the_same_sums(monkeypatch, n_threads, fmt):
    """Many row blocks, summed by several threads, equal one block."""
    import sk_softmax.datafits._blocks as blocks_module
    import sk_softmax.datafits._second_order as second_order_module

    loss, rng = _problem(n=103)
    X0, y, _, sw, alpha = _parts(loss)
    X = {"dense32": X0.astype(np.float32), "dense64": X0, "csr": sparse.csr_matrix(X0)}[fmt]
    coef = rng.normal(size=np.prod(loss.shape))
    v = rng.normal(size=coef.size)
    whole = _objective(X, y, 4, sw, alpha, True)
    f0, g0 = whole.loss_gradient(coef)
    hv0, h0 = whole.hessp(coef)(v), whole.hessian(coef)
    mean, scale = X0.mean(axis=0), X0.std(axis=0) + 0.5
    d0 = whole.datafit.hessian_diagonal(coef, mean, scale)
    h_std = whole.datafit.hessian(coef, mean, scale)
    np.testing.assert_allclose(d0, np.diag(h_std), rtol=1e-12)
    blocks = whole.datafit.class_blocks(coef, mean, scale)
    h4 = h_std.reshape(4, -1, 4, blocks.shape[1])
    for k in range(4):  # block (k, k) of the Hessian: weights p_k - p_k^2
        np.testing.assert_allclose(blocks[k], h4[k, :, k, :], rtol=1e-12, atol=1e-15)
    monkeypatch.setattr(blocks_module, "_BLOCK_VALUES", 1)
    monkeypatch.setattr(blocks_module, "_MIN_ROWS", 7)
    # and no whole-data outer products: the blocked Hessian against those of `whole`
    monkeypatch.setattr(second_order_module, "_BLOCK_VALUES", 1)
    blocked = _objective(X, y, 4, sw, alpha, True, n_threads=n_threads)
    assert len(blocked.datafit.chunks.slices()) == 15
    f, g = blocked.loss_gradient(coef)
    # sums of the same terms in another order: equal to rounding
    assert f == pytest.approx(f0, rel=1e-14)
    np.testing.assert_allclose(g, g0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(blocked.hessp(coef)(v), hv0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(blocked.hessian(coef), h0, rtol=1e-12, atol=1e-15)
    assert blocked.loss(coef) == pytest.approx(f0, rel=1e-14)
    np.testing.assert_allclose(blocked.datafit.hessian_diagonal(coef, mean, scale), d0, rtol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_standardized_loss_is_the_same_function(fit_intercept):
    base, rng = _problem(fit_intercept=fit_intercept, scale=1.0)
    X0, y, k, sw, alpha = _parts(base)
    X = X0 * np.array([1e-3, 1, 1e3, 5, 0.1]) + 7.0
    loss = _objective(X, y, k, sw, alpha, fit_intercept)
    scaled, coordinates = _standardized(X, y, k, sw, alpha, fit_intercept, "general")
    coef = rng.normal(size=np.prod(loss.shape))
    back = coordinates.to_standardized(coordinates.to_original(coef))
    np.testing.assert_allclose(back, coef, rtol=1e-12, atol=1e-12)
    assert scaled.loss(coef) == pytest.approx(loss.loss(coordinates.to_original(coef)), rel=1e-14)
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
    X0, y, k, sw, _ = _parts(base)
    X = X0 * np.array([1e-3, 1, 1e3, 5, 0.1]) + 7.0
    compact, coordinates = _standardized(X, y, k, sw, alpha, fit_intercept, "compact")
    general, _ = _standardized(X, y, k, sw, alpha, fit_intercept, "general")
    mean = coordinates.mean
    coef = rng.normal(size=np.prod(compact.shape))
    # The general form evaluates at the original coefficients, where the
    # intercept b = b' - (W'/sigma) mu cancels terms of |mu|/sigma (7e3 here)
    # times larger: rounding of that order, nothing else, may differ.
    tol = dict(rtol=1e-13, atol=100 * EPS * max(1.0, np.max(np.abs(mean) / coordinates.scale)))
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
    original = coordinates.to_original(coef)
    np.testing.assert_allclose(
        compact.datafit.loss_original(original), general.datafit.loss_original(original), **tol
    )
    # the same rows, drawn among the positive weights
    sample, ref_sample = compact.subsample(30), general.subsample(30)
    assert sample.n_samples == ref_sample.n_samples == 30
    ours, reference = sample.loss_gradient(coef), ref_sample.loss_gradient(coef)
    np.testing.assert_allclose(ours[1], reference[1], **tol)


def test_compact_form_only_for_small_tame_dense_data():
    base, _ = _problem()
    X, y, k, sw, _ = _parts(base)

    def form(X, y, sw, alpha):
        mean, std = column_moments(X, sw, center=True)
        coordinates = Coordinates(mean, standard_scales(std, alpha), True)
        return type(in_coordinates(X, y, k, sw, coordinates))

    assert form(X, y, sw, 0.1) is Compact
    assert form(sparse.csr_matrix(X), y, sw, 0.1) is Standardized
    # features of 1e-200 need weights near 1e200, which the compact form would
    # only meet when mapping back: the general form keeps the original in view
    assert form(X * 1e-200, y, sw, 0.0) is Standardized
    n = 2**19 // (X.shape[1] + 1 + k) + 1  # beyond one block of values
    rows = np.arange(n) % X.shape[0]
    assert form(X[rows], y[rows], sw[rows], 0.1) is Standardized


def test_penalty_in_standardised_coordinates_is_the_same_penalty():
    rng = np.random.RandomState(0)
    penalty = L2(0.3, 4, True)
    scale = standard_scales(rng.uniform(0.1, 10, 4), penalty.scaling_curvature())
    coordinates = Coordinates(rng.normal(size=4), scale, True)
    coef = rng.normal(size=(3, 5))
    standardized = coordinates.to_standardized(coef)
    mapped = penalty.in_coordinates(scale)
    assert mapped.value(standardized) == pytest.approx(penalty.value(coef), rel=1e-14)
    # its gradient is the original one pulled back: (dW/dW')^T g = g / scale
    pulled = coordinates.pull_back(penalty.gradient(coef).ravel(), 3).reshape(3, 5)
    np.testing.assert_allclose(mapped.gradient(standardized), pulled, rtol=1e-13, atol=1e-15)
    # the intercept is free, the weights are not
    np.testing.assert_array_equal(penalty.free_columns(), [False] * 4 + [True])
    np.testing.assert_array_equal(L2(0.0, 4, True).free_columns(), [True] * 5)
    # the canonical representative: rows summing to zero, the same probabilities
    canonical = penalty.canonical(coef)
    np.testing.assert_allclose(canonical.sum(axis=0), 0.0, atol=1e-15)
    shift = canonical - coef  # one vector added to every class row
    np.testing.assert_allclose(shift, np.broadcast_to(shift[0], shift.shape), atol=1e-15)
    assert penalty.value(canonical) <= penalty.value(coef)
    # the proximal operator of the ridge: the weights shrink, the intercept stays
    prox = penalty.prox(coef, 2.0)
    np.testing.assert_allclose(prox[:, :4], coef[:, :4] / (1 + 2.0 * 0.3))
    np.testing.assert_array_equal(prox[:, 4], coef[:, 4])


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


@pytest.mark.parametrize("fmt", ["csr", "csc", "csr twice"])  # what validation passes on
@pytest.mark.parametrize("magnitude", [1e-300, 1.0, 1e300])
def test_sparse_column_moments_in_many_blocks(monkeypatch, fmt, magnitude):
    """Sparse moments, summed over many row blocks, equal the dense ones: rows of zero
    weight left out, magnitudes that need the scaled pass, entries stored twice (their
    parts summed before squaring), X left as it was."""
    import sk_softmax.datafits._blocks as blocks_module

    rng = np.random.RandomState(1)
    base = np.where(rng.uniform(size=(203, 7)) < 0.5, 0.0, rng.normal(size=(203, 7)) + 2)
    sw = rng.uniform(0.5, 2.0, 203)
    sw[::9] = 0.0
    expected = column_moments(base * magnitude, sw, center=True)
    monkeypatch.setattr(blocks_module, "_BLOCK_VALUES", 32)
    monkeypatch.setattr(blocks_module, "_MIN_ROWS", 5)
    name = fmt.split()[0]
    if "twice" in fmt:
        X = _stored_twice(base * magnitude, name)
    else:
        X = sparse.csr_matrix(base * magnitude).asformat(name)
    before = X.copy()
    if name == "csr":
        assert len(RowChunks(X).slices(8, products_only=True, sums=2)) > 10
    mean, std = column_moments(X, sw, center=True)
    np.testing.assert_allclose(mean, expected[0], rtol=1e-12)
    np.testing.assert_allclose(std, expected[1], rtol=1e-10)
    assert (X != before).nnz == 0 and np.array_equal(X.data, before.data)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_constant_column_stays_constant_beside_rows_of_zero_weight(monkeypatch, fmt):
    """A row block whose rows all weigh nothing has no largest or smallest entry: a
    constant column (which the centred pass measures again) keeps a spread of zero."""
    import sk_softmax.datafits._blocks as blocks_module

    monkeypatch.setattr(blocks_module, "_BLOCK_VALUES", 64)
    monkeypatch.setattr(blocks_module, "_MIN_ROWS", 5)
    rng = np.random.RandomState(0)
    X = np.column_stack([np.full(400, 5.0), rng.normal(size=400), np.full(400, 0.1)])
    sw = np.ones(400)
    sw[:200] = 0.0  # the first blocks weigh nothing
    data = X if fmt == "dense" else sparse.csr_matrix(X)
    mean, std = column_moments(data, sw, center=True)
    assert std[0] == 0.0 and std[2] == 0.0 and std[1] > 0
    np.testing.assert_allclose(mean[[0, 2]], [5.0, 0.1], rtol=1e-15)


@pytest.mark.parametrize("magnitude", [1e-40, 1.0, 1e37])  # float32's subnormals to near its max
def test_column_moments_of_float32_need_no_magnitudes(magnitude):
    # float32 values squared in float64 neither overflow nor underflow: the moments
    # take one pass, and equal the scaled formula on the same values in float64 to
    # float64 rounding
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(50, 3)) + 2).astype(np.float32) * np.float32(magnitude)
    assert np.isfinite(X).all() and np.all(X != 0)
    sw = rng.uniform(0.5, 2.0, 50)
    for data in (X, sparse.csr_matrix(X)):
        mean, std = column_moments(data, sw, center=True)
        values = X.astype(np.float64)
        top = np.abs(values).max(axis=0)
        w = sw / sw.sum()
        unit_mean = w @ (values / top)
        expected_mean = unit_mean * top
        expected_std = np.sqrt(w @ (values / top - unit_mean) ** 2) * top
        np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
        np.testing.assert_allclose(std, expected_std, rtol=1e-10)


def test_column_moments_mixed_magnitudes_leave_x_and_warnings_alone():
    # one pass for ordinary columns; a column whose squares overflow (1e200) or
    # underflow (1e-160) sends the sums to the scaled passes, silently (no numpy
    # warning escapes) and without touching the caller's array
    rng = np.random.RandomState(1)
    base = rng.normal(size=(40, 4)) + 1.5
    for scales in ([1.0, 1e200, 1.0, 1.0], [1.0, 1e-160, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]):
        X = base * scales
        X[:, -1] = 0.0  # a column without spread
        before = X.copy()
        sw = rng.uniform(0.5, 2.0, X.shape[0])
        for data in (X, sparse.csr_matrix(X)):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                mean, std = column_moments(data, sw, center=True)
            np.testing.assert_array_equal(X, before)
            w = sw / sw.sum()
            unit = X / np.where(X.any(axis=0), np.abs(X).max(axis=0), 1.0)
            expected_mean = w @ unit
            expected_std = np.sqrt(w @ (unit - expected_mean) ** 2)
            magnitude = np.abs(X).max(axis=0)
            np.testing.assert_allclose(mean[:-1] / magnitude[:-1], expected_mean[:-1], rtol=1e-12)
            np.testing.assert_allclose(std[:-1] / magnitude[:-1], expected_std[:-1], rtol=1e-10)
            assert mean[-1] == 0.0 and std[-1] == 0.0


def _exact_moments(column, sw):
    """The weighted mean and variance of ``column`` in exact rational arithmetic."""
    from fractions import Fraction

    weights = [Fraction(w) for w in sw]
    total = sum(weights)
    values = [Fraction(x) for x in column]
    mean = sum(w * x for w, x in zip(weights, values, strict=True)) / total
    return mean, sum(w * (x - mean) ** 2 for w, x in zip(weights, values, strict=True)) / total


def test_column_moments_of_what_the_unscaled_sums_lose():
    # entries of 1e-321 whose weighted sums underflow to exactly zero (not a column
    # of zeros), a zero weight on a 1e200 entry (0 * inf is NaN: no warning), a
    # column near sqrt(float max) whose mean squared would overflow: each against
    # exact rational arithmetic, silently, dense and CSR
    import math
    from fractions import Fraction

    rng = np.random.RandomState(2)
    n = 200
    columns = [
        np.where(rng.uniform(size=n) < 0.5, 1e-321, 2e-321),
        np.where(np.arange(n) == 0, 1e200, rng.normal(size=n) + 3),
        1.3e154 * (1 + 1e-3 * rng.uniform(size=n)),
        np.zeros(n),
    ]
    X = np.column_stack(columns)
    sw = rng.uniform(0.5, 2.0, n)
    sw[0] = 0.0
    for data in (X, sparse.csr_matrix(X)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mean, std = column_moments(data, sw, center=True)
        for j, column in enumerate(columns):
            exact_mean, exact_var = _exact_moments(column, sw)
            # the square root of a variance perhaps outside the float64 range: of
            # the variance times 4**k near one, then divided by 2**k
            exponent = exact_var.numerator.bit_length() - exact_var.denominator.bit_length()
            k = -(exponent // 2) if exact_var else 0
            exact_std = math.ldexp(float(exact_var * Fraction(2) ** (2 * k)) ** 0.5, -k)
            assert mean[j] == pytest.approx(float(exact_mean), rel=1e-12, abs=0)
            assert std[j] == pytest.approx(exact_std, rel=1e-6, abs=0)


def test_constant_columns_have_no_spread():
    X = np.column_stack([np.full(20, 3.0), np.arange(20.0), np.zeros(20)])
    mean, std = column_moments(X, np.ones(20), center=True)
    assert std[0] == 0.0 and std[2] == 0.0 and std[1] > 0
    assert mean[0] == pytest.approx(3.0)
    # no penalty: a column without spread keeps unit scale
    assert standard_scales(std, 0.0)[0] == 1.0


def test_columns_whose_spread_the_unscaled_sums_cancel():
    """A spread below about 1e-8 of the size (a Unix time over two minutes, 1e6 +- 1e-6)
    cancels in second - first**2; such columns were called constant (std 0), and lbfgs then
    stopped 6.9e-5 above the optimum of a review's table. A centred pass measures them:
    against exact rational arithmetic, dense and CSR; constant columns (a zero-weight row
    aside) still have none."""

    rng = np.random.RandomState(3)
    n = 300
    columns = [
        1.7e9 + rng.uniform(0, 120, n),
        1e6 + 1e-6 * rng.normal(size=n),
        np.where(np.arange(n) == 0, 5.0, 1.7e9),  # constant where weighted
        rng.normal(size=n),
    ]
    X = np.column_stack(columns)
    sw = rng.uniform(0.5, 2.0, n)
    sw[0] = 0.0
    for data in (X, sparse.csr_matrix(X)):
        mean, std = column_moments(data, sw, center=True)
        assert std[2] == 0.0
        for j in (0, 1, 3):
            exact_std = float(_exact_moments(columns[j], sw)[1]) ** 0.5
            # the centred values carry the mean's rounding, about 1e-16 |mean|
            assert std[j] == pytest.approx(exact_std, rel=1e-6), j


def test_log_softmax_never_overflows():
    raw = np.array([[1e4, 0.0, -1e4], [1000.0, 10, 1000.0], [-1e308, 0.0, 1e308]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
        log_proba = log_softmax(raw.copy())
    np.testing.assert_allclose(np.exp(log_proba).sum(axis=1), 1.0, rtol=1e-15)
    assert log_proba[0, 0] == 0.0 and log_proba[2, 2] == 0.0
    np.testing.assert_allclose(log_proba[1], [-np.log(2), -990 - np.log(2), -np.log(2)])


@pytest.mark.parametrize("n_classes", [2, 7, 32, 33, 80])
def test_log_softmax_with_few_and_many_classes(n_classes):
    """Column by column up to 32 classes, NumPy's row reductions beyond: the same values."""
    raw = np.random.RandomState(n_classes).normal(scale=30.0, size=(40, n_classes))
    expected = scipy_log_softmax(raw, axis=1)
    # both are o - max(o) - log(sum(exp(o - max(o)))) summed in other orders: the
    # subtraction is exact to u |o|, the logarithm of a sum in [1, K] to about K u
    bound = 4 * (np.abs(raw).max() + n_classes) * np.finfo(float).eps
    assert np.abs(log_softmax(raw) - expected).max() <= bound
    raw[3, n_classes // 2] = np.nan  # a NaN output stays in its row
    out = log_softmax(raw)
    assert np.isnan(out[3]).all() and np.isfinite(np.delete(out, 3, axis=0)).all()


def test_raw_prediction_float32_no_full_copy():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 3)).astype(np.float32)
    W = rng.normal(size=(2, 3))
    np.testing.assert_allclose(raw_prediction(X, W), X.astype(np.float64) @ W.T, rtol=1e-14)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_csr_blocks_are_views_one_per_thread(n_threads):
    X = sparse.random(1000, 50, density=0.1, format="csr", random_state=0)
    chunks = RowChunks(X, n_threads)
    # passes that only multiply: one partial sum per thread, not per cache-sized block
    slices = chunks.slices(width=4, products_only=True)
    assert len(slices) == n_threads
    for rows in slices:
        block = chunks.block(rows)
        assert np.shares_memory(block.data, X.data) and np.shares_memory(block.indices, X.indices)
        assert (block != X[rows]).nnz == 0


def test_sparse_product_blocks_hold_the_partial_sums_worth(monkeypatch):
    """Passes that only multiply sparse blocks: temporaries up to twice the partial sums
    (sums values a column), or 2 * _BLOCK_VALUES values if more. Wide data: a
    Hessian-vector product (width 2 K, sums K) in one block; a pass that copies a block's
    values (the moments: width of the values a row, sums 2) in blocks of that size; tall
    data in blocks of 2 * _BLOCK_VALUES values."""
    import sk_softmax.datafits._blocks as blocks_module

    monkeypatch.setattr(blocks_module, "_BLOCK_VALUES", 500)
    monkeypatch.setattr(blocks_module, "_MIN_ROWS", 5)
    wide = sparse.random(300, 400, density=0.1, format="csr", random_state=0)
    assert RowChunks(wide).slices(width=20, products_only=True, sums=10) == [slice(0, 300)]
    sizes = {s.stop - s.start for s in RowChunks(wide).slices(40, True, sums=2)[:-1]}
    assert sizes == {2 * 400 * 2 // 40}  # 40 values a row copied, 2 sums of 400 columns
    tall = sparse.random(3000, 10, density=0.3, format="csr", random_state=0)
    slices = RowChunks(tall).slices(width=20, products_only=True, sums=10)
    assert {s.stop - s.start for s in slices[:-1]} == {50}  # 2 * 500 values / 20 a row
    assert slices[-1].stop == 3000


def test_sampled_class_blocks_estimate_the_exact_ones(monkeypatch):
    """Evenly spaced row blocks, reweighted, approximate the class blocks."""
    import sk_softmax.datafits._blocks as blocks_module

    loss, rng = _problem(n=4000, d=3, k=3)
    X, y, _, sw, _ = _parts(loss)
    coef = rng.normal(size=np.prod(loss.shape)) * 0.3
    exact = loss.datafit.class_blocks(coef)
    monkeypatch.setattr(blocks_module, "_BLOCK_VALUES", 100)
    monkeypatch.setattr(blocks_module, "_MIN_ROWS", 50)
    sampled = SoftmaxDatafit(X, y, 3, sw, True).class_blocks(coef, max_rows=1000)
    # i.i.d. rows: a 1000-row sample estimates a mean to about 1/sqrt(1000) ~ 3%
    np.testing.assert_allclose(sampled, exact, rtol=0.15, atol=0.15 * np.abs(exact).max())
    assert not np.allclose(sampled, exact, rtol=1e-9)  # it is a sample, not the sum
