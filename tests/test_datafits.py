"""The data term's contract: every backend gives the same numbers for every method.

One parametrised test over the backends (NumPy dense and sparse, the compact
standardised copy, that copy shared at other column scales, array-api-strict,
Dask on a local scheduler), each in the
solvers' standardised coordinates, against the NumPy one: value, gradient,
Hessian-vector products, Hessian, its diagonal, its class blocks, two
classes' block, some classes' rows and columns of the Hessian, and the
per-sample scores' outer products and group sums. Then each backend against
itself: the Hessian times a vector is the Hessian-vector product, its
diagonal, diagonal blocks and some classes' rows and columns are the
diagonal, the class blocks and the class Hessian, two classes' Hessian is
made of one block; one group's score sum is the gradient, and the outer
products are the per-sample groups' sums squared.

Tolerances: the same float64 formulae summed in other orders (by rows, by
chunks, on a device): rounding of about 1e-16 per term times a few hundred
terms, so agreement to 1e-12 relative to each quantity's size; a mistake in
the maths (a missing term, a misplaced intercept) moves them by far more.
"""

import numpy as np
import pytest
import sklearn
from scipy import sparse
from scipy.optimize import check_grad
from scipy.special import logsumexp

from sk_softmax.datafits import base
from sk_softmax.datafits.moments import column_moments
from sk_softmax.datafits.numpy import SoftmaxDatafit
from sk_softmax.datafits.rescaled import Rescaled
from sk_softmax.datafits.standardized import (
    Compact,
    Coordinates,
    Standardized,
    standard_scales,
)

EPS = np.finfo(np.float64).eps


def _numpy(X, y, k, sw, coordinates):
    datafit = SoftmaxDatafit(X, y, k, sw, coordinates.fit_intercept)
    return Standardized(datafit, coordinates)


def _sparse(X, y, k, sw, coordinates):
    return _numpy(sparse.csr_matrix(X), y, k, sw, coordinates)


def _compact(X, y, k, sw, coordinates):
    return Compact(X, y, k, sw, coordinates)


def _rescaled(X, y, k, sw, coordinates):
    """A compact copy built at other column scales, shared (a path's next ``C``)."""
    other = Coordinates(coordinates.mean, coordinates.scale * [2.0, 0.5, 3.0, 1.5],
                        coordinates.fit_intercept)  # fmt: skip
    shared = Compact(X, y, k, sw, other)
    shared.hessian(np.zeros(k * shared.n_dof))  # its kept design and outer products
    datafit = Rescaled.of(shared, coordinates)
    assert datafit.inner is shared
    return datafit


def _array_api(X, y, k, sw, coordinates):
    xp = pytest.importorskip("array_api_strict")
    from sk_softmax.datafits.array_api import ArrayAPIDatafit

    device = xp.Device("device1")
    datafit = ArrayAPIDatafit(
        xp.asarray(X, device=device),
        xp.asarray(y, device=device),
        k,
        xp.asarray(sw, device=device),
        coordinates.fit_intercept,
    )
    return Standardized(datafit, coordinates)


def _dask(X, y, k, sw, coordinates):
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    from sk_softmax.datafits.dask import DaskDatafit

    with dask.config.set(scheduler="sync"):
        datafit = DaskDatafit(
            da.from_array(X, chunks=(17, X.shape[1])),
            da.from_array(y, chunks=17),
            k,
            da.from_array(sw, chunks=17),
            coordinates.fit_intercept,
            sw.sum(),
        )
    return Standardized(datafit, coordinates)


def _groups_dask(groups):
    da = pytest.importorskip("dask.array")
    return da.from_array(groups, chunks=23)  # not X's chunks: aligned inside


def _groups_array_api(groups):
    xp = pytest.importorskip("array_api_strict")
    return xp.asarray(groups, device=xp.Device("device1"))


# The row groups as each backend holds them (NumPy otherwise).
GROUPS = {"dask": _groups_dask, "array-api-strict": _groups_array_api}

BACKENDS = {
    "numpy": _numpy,
    "numpy-csr": _sparse,
    "compact": _compact,
    "rescaled": _rescaled,
    "array-api-strict": _array_api,
    "dask": _dask,
}


@pytest.fixture(autouse=True)
def dispatch():
    """Array API dispatch on (the Array API data term finds its namespace through it)."""
    with sklearn.config_context(array_api_dispatch=True):
        yield


def _problem(n_classes, fit_intercept, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(70, 4)) * [0.5, 1.0, 2.0, 3.0] + [0.2, -0.1, 0.3, 0.0]
    X[rng.uniform(size=X.shape) < 0.3] = 0.0  # some zeros, for the sparse copy
    y = rng.randint(n_classes, size=70)
    y[:n_classes] = np.arange(n_classes)
    sw = rng.uniform(0.0, 2.0, size=70)
    mean, std = column_moments(X, sw, center=fit_intercept)
    coordinates = Coordinates(mean, standard_scales(std, 0.01), fit_intercept)
    n_coef = n_classes * (4 + int(fit_intercept))
    return X, y, sw, coordinates, rng.normal(size=n_coef) * 0.5, rng.normal(size=n_coef)


def _close(actual, expected, name):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * scale, err_msg=name)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_every_backend_gives_the_same_numbers(backend, n_classes, fit_intercept):
    X, y, sw, coordinates, coef, vector = _problem(n_classes, fit_intercept)
    reference = _numpy(X, y, n_classes, sw, coordinates)
    datafit = BACKENDS[backend](X, y, n_classes, sw, coordinates)
    assert isinstance(datafit, base.Datafit)
    for method in base.METHODS:  # the whole protocol, nothing to probe for
        assert callable(getattr(datafit, method)), method
    assert datafit.shape == reference.shape
    _close(datafit.loss(coef), reference.loss(coef), "loss")
    value, grad = datafit.loss_gradient(coef)
    ref_value, ref_grad = reference.loss_gradient(coef)
    _close(value, ref_value, "loss_gradient value")
    _close(grad, ref_grad, "loss_gradient gradient")
    _close(datafit.hessp(coef)(vector), reference.hessp(coef)(vector), "hessp")
    for method in ("hessian", "hessian_diagonal", "class_blocks", "two_class_hessian"):
        _close(getattr(datafit, method)(coef), getattr(reference, method)(coef), method)
    classes = np.arange(1, n_classes)[::-1]  # every class but the first, in another order
    _close(datafit.class_hessian(coef, classes), reference.class_hessian(coef, classes), "class")
    factor = np.linspace(0.5, 2.0, n_classes)
    for c in (None, factor):
        _close(datafit.score_outer(coef, classes, c), reference.score_outer(coef, classes, c), "o")
    groups = np.random.RandomState(3).randint(9, size=X.shape[0])
    groups[groups == 4] = 5  # a group without rows: zero sums
    expected = reference.score_sums(coef, classes, groups, 9)
    held = GROUPS.get(backend, lambda g: g)(groups)
    _close(datafit.score_sums(coef, classes, held, 9), expected, "score_sums")


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("n_classes", [2, 4])
def test_every_backend_is_consistent_with_itself(backend, n_classes):
    X, y, sw, coordinates, coef, vector = _problem(n_classes, True, seed=1)
    datafit = BACKENDS[backend](X, y, n_classes, sw, coordinates)
    n_dof = datafit.shape[1]
    # the gradient of the value (forward differences: sqrt(eps) accuracy)
    error = check_grad(datafit.loss, lambda c: datafit.loss_gradient(c)[1], coef)
    assert error < 10 * np.sqrt(EPS) * np.sqrt(coef.size)
    hess = datafit.hessian(coef)
    _close(hess, hess.T, "symmetric")
    _close(hess @ vector, datafit.hessp(coef)(vector), "hessian times a vector")
    _close(datafit.hessian_diagonal(coef), np.diag(hess), "diagonal")
    blocks = datafit.class_blocks(coef)
    h4 = hess.reshape(n_classes, n_dof, n_classes, n_dof)
    for k in range(n_classes):
        _close(blocks[k], h4[k, :, k, :], f"class block {k}")
    if n_classes == 2:
        block = datafit.two_class_hessian(coef)
        _close(hess, np.block([[block, -block], [-block, block]]), "two classes' block")
    for classes in ([1], [n_classes - 1, 0], list(range(n_classes))):
        keep = (np.asarray(classes)[:, None] * n_dof + np.arange(n_dof)).ravel()
        _close(datafit.class_hessian(coef, classes), hess[np.ix_(keep, keep)], f"{classes}")
    # the scores: one group's sum is the gradient; the outer products, with a
    # class factor c, are sum_i c_{y_i} / (s_i / S) G_i G_i^T over one group per row
    classes = list(range(n_classes))
    held = GROUPS.get(backend, lambda g: g)
    one = datafit.score_sums(coef, classes, held(np.zeros(len(y), dtype=np.intp)), 1)
    _close(one[0], datafit.loss_gradient(coef)[1], "one group's scores: the gradient")
    each = datafit.score_sums(coef, classes, held(np.arange(len(y))), len(y))
    factor = np.linspace(0.5, 2.0, n_classes)
    share = sw / sw.sum()
    expected = each.T @ (each * (factor[y] / share)[:, None])
    _close(datafit.score_outer(coef, classes, factor), expected, "outer products")
    # the flat directions of the data term: one vector added to every class row
    shift = np.tile(np.random.RandomState(2).normal(size=n_dof), n_classes)
    _close(datafit.hessp(coef)(shift), np.zeros_like(shift), "flat directions")


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_columns_is_the_data_term_with_the_other_weights_zero(backend, fit_intercept):
    """``columns(index)`` (the working sets of prox-newton): value, gradient, Hessian."""
    n_classes = 3
    X, y, sw, coordinates, coef, vector = _problem(n_classes, fit_intercept, seed=3)
    datafit = BACKENDS[backend](X, y, n_classes, sw, coordinates)
    n_dof = datafit.shape[1]
    index = np.array([0, 2])
    keep = np.zeros(n_dof, dtype=bool)
    keep[index] = True
    keep[4:] = True  # the intercept, if any
    flat = np.flatnonzero(np.tile(keep, n_classes))
    full = np.zeros_like(coef)
    full[flat] = coef[flat]
    sub = datafit.columns(index)
    assert sub.shape == (n_classes, index.size + int(fit_intercept))
    value, grad = sub.loss_gradient(coef[flat])
    ref_value, ref_grad = datafit.loss_gradient(full)
    _close(value, ref_value, "columns: value")
    _close(grad, ref_grad[flat], "columns: gradient")
    _close(sub.hessian(coef[flat]), datafit.hessian(full)[np.ix_(flat, flat)], "columns: Hessian")
    _close(sub.hessp(coef[flat])(vector[flat]),
           datafit.hessp(full)(np.where(np.isin(np.arange(coef.size), flat), vector, 0))[flat],
           "columns: Hessian-vector product")  # fmt: skip
    # a working set inside a working set: the columns of the columns
    nested, direct = sub.columns(np.array([1])), datafit.columns(index[1:])
    assert nested.shape == direct.shape
    some = np.random.RandomState(4).normal(size=direct.shape[0] * direct.shape[1])
    _close(nested.loss_gradient(some)[1], direct.loss_gradient(some)[1],
           "columns of columns: gradient")  # fmt: skip
    _close(nested.hessian(some), direct.hessian(some), "columns of columns: Hessian")


def test_rescaled_shares_a_compact_design_only_with_the_same_rows_and_centres():
    """A path's next ``C`` moves the scales only; other centres need their own design."""
    X, y, sw, coordinates, coef, _ = _problem(3, True, seed=6)
    shared = Compact(X, y, 3, sw, coordinates)
    other = Coordinates(coordinates.mean, coordinates.scale * 1.5, True)
    again = Rescaled.of(Rescaled.of(shared, other), coordinates)  # no chain of maps
    assert again.inner is shared
    _close(again.loss_gradient(coef)[1], shared.loss_gradient(coef)[1], "back to the start")
    assert Rescaled.of(shared, Coordinates(coordinates.mean + 1.0, coordinates.scale, True)) is None
    assert Rescaled.of(shared, Coordinates(coordinates.mean, coordinates.scale, False)) is None
    assert Rescaled.of(_numpy(X, y, 3, sw, coordinates), other) is None  # no design to share
    # scales beyond the compact form (a column of 1e-160 at C=inf), or ratios whose
    # square overflows: no shared design (in_coordinates would not make a compact one)
    tiny = coordinates.scale.copy()
    tiny[1] = 1e-160
    assert Rescaled.of(shared, Coordinates(coordinates.mean, tiny, True)) is None
    wide = Compact(X, y, 3, sw, Coordinates(coordinates.mean, coordinates.scale * 1e10, True))
    tiny[1] = 1e-149  # tame, but the ratio to 1e10 times a spread, squared, overflows
    assert Rescaled.of(wide, Coordinates(coordinates.mean, tiny, True)) is None


@pytest.mark.parametrize("n_classes", [2, 4])
def test_class_hessian_by_row_blocks(n_classes):
    """The row-block path of the class Hessian (tall data) against the full Hessian.

    Small dense data take one product with the rows' outer products instead;
    here that shortcut is switched off, so the blocks' rank-m updates run.
    """
    X, y, sw, coordinates, coef, _ = _problem(n_classes, True, seed=4)
    datafit = _numpy(X, y, n_classes, sw, coordinates)
    hess = datafit.hessian(coef)
    datafit.inner._outer_fits = False
    n_dof = datafit.shape[1]
    classes = list(range(1, n_classes))
    keep = (np.asarray(classes)[:, None] * n_dof + np.arange(n_dof)).ravel()
    _close(datafit.class_hessian(coef, classes), hess[np.ix_(keep, keep)], "row blocks")


@pytest.mark.parametrize("n_classes", [3, 4])
def test_hessian_paths_agree_with_the_formula(monkeypatch, n_classes):
    """The packed outer products (kept, or per row block) and the per-pair rank-m
    updates of wide data give the Hessian of the formula, block by symmetric block."""
    from sk_softmax.datafits import _second_order

    X, y, sw, coordinates, coef, _ = _problem(n_classes, True, seed=5)
    datafit = _numpy(X, y, n_classes, sw, coordinates)
    kept = datafit.hessian(coef)
    # sum_i s_i/S (diag(p_i) - p_i p_i^T) (x) z_i z_i^T on the standardised design z
    inner = datafit.inner
    inner.loss_gradient(coordinates.to_original(coef))
    p, w = inner._kept.proba.T, sw / sw.sum()
    z = np.hstack([(X - coordinates.mean) / coordinates.scale, np.ones((X.shape[0], 1))])
    expected = sum(
        w[i] * np.kron(np.diag(p[i]) - np.outer(p[i], p[i]), np.outer(z[i], z[i]))
        for i in range(X.shape[0])
    )
    _close(kept, expected, "packed products kept")
    inner._outer_fits = False
    _close(datafit.hessian(coef), expected, "packed products by row block")
    monkeypatch.setattr(_second_order, "_MAX_PACKED_DOF", 2)
    _close(datafit.hessian(coef), expected, "rank-m updates per pair of classes")
    classes = [2, 0]
    keep = (np.asarray(classes)[:, None] * datafit.shape[1] + np.arange(datafit.shape[1])).ravel()
    _close(datafit.class_hessian(coef, classes), expected[np.ix_(keep, keep)], "class pairs")


def test_hessian_diagonal_blocks_keep_their_digits_when_p_is_near_one():
    """The diagonal blocks' weights ``p_a (1 - p_a)``, where ``p_a`` is within 1e-13 of one:
    ``1.0 - p_a`` keeps about three digits, the Hessian's sums of ``p_a p_b`` over the other
    classes all sixteen. Checked on the intercept's entries (sums of positive terms) against
    exactly rounded sums, with the naive subtraction failing the same bound (so the check
    can fail); for every path of the class Hessian."""
    import math

    from sk_softmax.datafits import _second_order

    rng = np.random.RandomState(0)
    n_classes, m = 5, 400
    X = rng.normal(size=(m, 3))
    sw = rng.uniform(0.5, 2.0, size=m)
    y = np.arange(m) % n_classes
    coordinates = Coordinates(np.zeros(3), np.ones(3), True)
    datafit = Compact(X, y, n_classes, sw, coordinates)
    coef = np.zeros((n_classes, 4))
    coef[:, :3] = rng.normal(scale=0.5, size=(n_classes, 3))
    coef[0, -1] = 32.0  # class 0 all but certain: p_0 ~ 1 - 1e-14..1e-13
    coef[2, :3] = coef[1, :3]
    coef[2, -1] = coef[1, -1]  # classes 1 and 2 tie
    raw = X @ coef[:, :3].T + coef[:, -1]
    p = np.exp(raw - raw.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    w = sw / sw.sum()
    exact = [
        math.fsum(w[i] * p[i, a] * math.fsum(p[i, b] for b in range(n_classes) if b != a)
                  for i in range(m))
        for a in range(n_classes)
    ]  # fmt: skip
    naive = [float(w @ (p[:, a] * (1.0 - p[:, a]))) for a in range(n_classes)]
    eps = np.finfo(np.float64).eps
    intercept = np.arange(n_classes) * 4 + 3
    for path in ("kept outer products", "row blocks", "rank-m updates"):
        if path == "row blocks":
            datafit._outer_fits = False
        if path == "rank-m updates":
            _second_order._MAX_PACKED_DOF, saved = 2, _second_order._MAX_PACKED_DOF
        try:
            hess = datafit.hessian(coef.ravel())
        finally:
            if path == "rank-m updates":
                _second_order._MAX_PACKED_DOF = saved
        diagonal = np.diagonal(hess)[intercept]
        relative = np.abs(diagonal - exact) / exact
        # sums of at most m * n_classes positive terms, each a few roundings
        assert relative.max() <= 64 * eps, path
    assert abs(naive[0] - exact[0]) / exact[0] > 1e3 * 64 * eps


def test_tall_data_keep_no_probabilities_yet_hessian_products_are_at_their_point():
    """On tall data the subsample's Hessian serves the solvers, so a pass over all rows
    keeps no probabilities (``n K`` values: a tenth of 1e6 x 100 x 10, written every pass);
    a Hessian product then recomputes them at its own point, never reusing older ones."""
    import tracemalloc

    rng = np.random.RandomState(0)
    n, n_classes = 200_000, 3  # 400 * 15 coefficients = 6000 rows make data tall
    X = rng.standard_normal((n, 4))
    y = rng.randint(n_classes, size=n)
    first, second, vector = rng.standard_normal((3, 15)) * 0.3
    # numpy's and the module's first-call allocations, outside the count
    SoftmaxDatafit(X, y, n_classes, np.ones(n), True).loss_gradient(first)
    datafit = SoftmaxDatafit(X, y, n_classes, np.ones(n), True)
    tracemalloc.start()
    datafit.loss_gradient(first)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # kept probabilities alone would be n K 8 bytes (4.8 MB); a pass's blocks hold 16384 rows
    assert peak < n * n_classes * 8 / 2
    datafit.hessp(first)(vector)  # probabilities at ``first``, kept for its products
    value, grad = datafit.loss_gradient(second)
    np.testing.assert_allclose(
        datafit.hessp(second)(vector), datafit.hessian(second) @ vector, rtol=1e-10, atol=1e-13
    )
    # a product function stays at its point, whatever passes came after it
    at_first = datafit.hessp(first)
    datafit.hessp(second)  # rewrites the kept probabilities
    np.testing.assert_allclose(
        at_first(vector), datafit.hessian(first) @ vector, rtol=1e-10, atol=1e-13
    )
    # the same value and gradient, to rounding, as a pass that keeps them (whose weighted
    # residuals take a division and a product where this one takes one product)
    kept = SoftmaxDatafit(X, y, n_classes, np.ones(n), True)
    kept._keep_proba = True
    kept_value, kept_grad = kept.loss_gradient(second)
    assert value == pytest.approx(kept_value, rel=1e-14)
    np.testing.assert_allclose(grad, kept_grad, rtol=1e-12, atol=1e-16)


def test_dense_data_beyond_the_cache_are_read_through_copies():
    """Such data reach the products as C-ordered float64 copies of each block (faster:
    the copy reads X in order, the two products then find the block in cache), sharing
    no memory with the caller's X; the numbers are those of the whole-array formulae,
    whatever X's memory order."""
    from sk_softmax.datafits._blocks import _COPY_VALUES, RowChunks

    rng = np.random.RandomState(1)
    n, d, n_classes = _COPY_VALUES // 20 + 7, 20, 4  # just beyond the threshold
    X = rng.standard_normal((n, d))
    y = rng.randint(n_classes, size=n)
    sw = rng.uniform(0.5, 2.0, n)
    coef = rng.standard_normal(n_classes * (d + 1)) * 0.2
    chunks = RowChunks(np.asfortranarray(X))
    for rows in chunks.slices(n_classes):
        block = chunks.block(rows)
        assert block.flags.c_contiguous and not np.shares_memory(block, chunks.X)
    full = coef.reshape(n_classes, d + 1)
    raw = X @ full[:, :d].T + full[:, d]
    log_proba = raw - logsumexp(raw, axis=1, keepdims=True)
    expected_value = -(sw @ log_proba[np.arange(n), y]) / sw.sum()
    residual = np.exp(log_proba)
    residual[np.arange(n), y] -= 1.0
    residual *= (sw / sw.sum())[:, None]
    expected_grad = np.hstack([residual.T @ X, residual.sum(0)[:, None]]).ravel()
    # within the cache, blocks of C-ordered data are views
    small = RowChunks(X[: _COPY_VALUES // d])
    assert all(np.shares_memory(small.block(rows), X) for rows in small.slices(n_classes))
    for data in (X, np.asfortranarray(X)):
        value, grad = SoftmaxDatafit(data, y, n_classes, sw, True).loss_gradient(coef)
        # float64 sums of n terms in other orders: about 1e-16 * sqrt(n) relative
        assert value == pytest.approx(expected_value, rel=1e-12)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("form", ["standardized", "compact", "sparse", "no intercept"])
def test_cold_start_second_derivatives_are_the_pairs_ones(monkeypatch, form):
    """Where the weights are all zero every row has the probabilities ``softmax(b)``, and the
    Hessian (a class subset too) and the class blocks come from one Gram matrix: the same
    numbers as the products per pair of classes, which a single non-zero weight brings back."""
    from sk_softmax.datafits import _second_order

    fit_intercept = form != "no intercept"
    X, y, sw, coordinates, _, _ = _problem(4, fit_intercept, seed=7)
    maker = {"compact": _compact, "sparse": _sparse}.get(form, _numpy)
    datafit = maker(X, y, 4, sw, coordinates)
    inner = getattr(datafit, "inner", datafit)
    n_dof = datafit.shape[1]
    coef = np.zeros((4, n_dof))
    if fit_intercept:
        coef[:, -1] = [0.3, -1.2, 2.0, 0.1]  # any intercepts, not only the priors
    coef = coef.ravel()
    monkeypatch.setattr(_second_order, "_SMALL_HESSIAN", 0.0)  # the shared form on small data
    point = coordinates.to_original(coef).ravel() if inner is not datafit else coef
    assert inner._shared_probabilities(point) is not None
    moved = coef.copy()
    moved[1] = 1e-3
    moved_point = coordinates.to_original(moved).ravel() if inner is not datafit else moved
    assert inner._shared_probabilities(moved_point) is None
    shared = (
        datafit.hessian(coef),
        datafit.class_hessian(coef, [3, 1]),
        datafit.class_blocks(coef),
        datafit.class_blocks(coef, max_rows=20),
    )
    monkeypatch.setattr(type(inner), "_shared_probabilities", lambda self, coef: None)
    pairs = (
        datafit.hessian(coef),
        datafit.class_hessian(coef, [3, 1]),
        datafit.class_blocks(coef),
        datafit.class_blocks(coef, max_rows=20),
    )
    for name, a, b in zip(("hessian", "class_hessian", "blocks", "sampled blocks"), shared, pairs,
                          strict=True):  # fmt: skip
        _close(a, b, name)


def test_cold_start_class_blocks_from_sampled_row_blocks(monkeypatch):
    """The cold start's class blocks from a sample of row blocks are the sampled pairs' ones:
    the same rows (its Gram matrix is cut as the class blocks are), rescaled by the same
    share of the weight (10 blocks of 106 rows, 2 of them kept)."""
    from sk_softmax.datafits import _blocks

    rng = np.random.RandomState(3)
    X = rng.normal(size=(1000, 4)) * [1.0, 2.0, 0.5, 3.0]
    y = rng.randint(3, size=1000)
    sw = rng.uniform(0.0, 2.0, size=1000)
    mean, std = column_moments(X, sw, center=True)
    monkeypatch.setattr(_blocks, "_BLOCK_VALUES", 64 * 40)
    datafit = _numpy(X, y, 3, sw, Coordinates(mean, standard_scales(std, 0.01), True))
    assert len(datafit.inner.chunks.slices((3 + 1) * 5)) == 10  # class_blocks' blocks
    assert len(datafit.inner.chunks.slices(2 * 5)) == 6  # a Gram's own width: other rows
    coef = np.zeros(15)
    coef[4::5] = [0.5, -0.2, 1.0]
    shared = datafit.class_blocks(coef, max_rows=200)
    exact = datafit.class_blocks(coef)
    monkeypatch.setattr(SoftmaxDatafit, "_shared_probabilities", lambda self, coef: None)
    _close(shared, datafit.class_blocks(coef, max_rows=200), "sampled blocks")
    _close(exact, datafit.class_blocks(coef), "all blocks")
    assert np.abs(shared - exact).max() > 1e-6 * np.abs(exact).max()  # a sample indeed


def test_hessian_with_kept_outer_products_stays_within_row_blocks():
    """Tall, narrow data with many classes keep the rows' packed outer products (150000 rows
    of 6 products), and the pairs' weights (45 a row) are still taken a row block at a time:
    the Hessian's peak extra memory stays within two blocks' values (a review measured 114
    MiB when they were taken for all rows at once, 8 by row blocks)."""
    import tracemalloc

    from sk_softmax.datafits._blocks import _BLOCK_VALUES

    rng = np.random.RandomState(0)
    n, k = 150_000, 10
    X = rng.normal(size=(n, 2))
    datafit = SoftmaxDatafit(X, rng.randint(k, size=n), k, np.ones(n), True)
    coef = rng.normal(size=k * 3) * 0.1
    expected = datafit.hessian(coef)  # builds the outer products, kept
    assert datafit._whole_outer is not None
    tracemalloc.start()
    try:
        hess = datafit.hessian(coef)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(hess, expected)
    assert peak <= 2 * _BLOCK_VALUES * 8
