"""Keep benchmarks/bench_fit.py from rotting: its core functions on tiny problems.

Structure and finiteness only; timings are never asserted (shared, noisy machine).
"""

import math
from argparse import Namespace

import numpy as np
import pytest
from scipy import sparse

from sk_softmax import SoftmaxClassifier


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_fit")


@pytest.fixture(scope="module")
def tiny_dense(bench):
    X, y = bench.make_dense(300, 5, 3, "float32", seed=0)
    return bench.Problem("tiny", X, y, "dense", budget=0.3)


def test_generators_shapes_and_classes(bench):
    X, y = bench.make_dense(200, 4, 3, "float32")
    assert X.shape == (200, 4) and X.dtype == np.float32 and X.flags.c_contiguous
    assert set(np.unique(y)) == {0, 1, 2}
    X, y = bench.make_sparse_text(300, 1000, 4, nnz_per_row=10)
    assert sparse.isspmatrix_csr(X) and X.shape == (300, 1000)
    assert X.getnnz(axis=1).max() <= 10
    # rows are L2-normalised, as tf-idf rows are
    np.testing.assert_allclose(np.sqrt(X.multiply(X).sum(axis=1)).A.ravel(), 1.0, rtol=1e-12)
    assert np.unique(y).size >= 2


def test_sweep_sequence(bench):
    assert list(bench.sweep_iterations(20)) == [1, 2, 3, 5, 8, 13]


@pytest.mark.parametrize("needed", [1, 4, 10, 13, 30])
def test_sweep_charges_the_iterations_needed(bench, monkeypatch, needed):
    """The Fibonacci steps are refined by bisection: a solver whose gap reaches the target
    at ``needed`` iterations is timed at ``needed``, not at the next Fibonacci number."""
    fits = []

    def fake_fit(est, problem):
        fits.append(est)
        return 0.01 * est, est, True

    monkeypatch.setattr(bench, "make_estimator", lambda solver, problem, tol, max_iter: max_iter)
    monkeypatch.setattr(bench, "timed_fit", fake_fit)
    monkeypatch.setattr(bench, "n_iter_of", lambda est: est)
    monkeypatch.setattr(bench, "gap_of", lambda est, problem, fstar: 1.0 if est < needed else 0.0)
    sweep = bench.run_sweep(None, None, 0.0, budget=100.0)
    assert sweep.status == "reached" and sweep.hit.max_iter == needed
    assert [p.max_iter for p in sweep.points] == sorted(set(fits))
    assert len(fits) <= len(list(bench.sweep_iterations(needed))) + 1 + math.ceil(
        math.log2(needed + 1)
    )


def test_resolved_matches_the_estimator(bench, tiny_dense):
    est = SoftmaxClassifier().fit(tiny_dense.X, tiny_dense.y)
    assert est.solver_ == bench.resolved(tiny_dense)


def test_newton_cholesky_feasibility(bench):
    small = bench.Problem("s", np.zeros((10, 5)), np.arange(10) % 3, "dense", 1.0)
    wide = bench.Problem("w", sparse.csr_matrix((10, 5000)), np.arange(10) % 3, "sparse", 1.0)
    solver = bench.Solver("lr", "newton-cholesky")
    assert bench.feasible(solver, small)
    assert not bench.feasible(solver, wide)
    assert bench.feasible(bench.Solver("lr", "sag"), wide)


def test_run_problem_rows_and_reports(bench, tiny_dense, tmp_path):
    fstar, records = bench.run_problem(tiny_dense, repeats=2, log=lambda s: None)
    assert math.isfinite(fstar) and fstar > 0
    labels = {r.solver.label for r in records}
    assert {"ours auto", "LR lbfgs", "LR sag", "ours newton-cholesky"} <= labels
    rows = bench.rows_of("tiny", tiny_dense, records)
    assert len(rows) == len(records)
    for row in rows:
        # the reference is the tightest fit: nothing is much below it
        assert row["default_gap"] > -1e-9
        assert row["peak_mem_MB"] >= 0 and math.isfinite(row["mem_over_X"])
        assert row["sweep_status"] in {"reached", "budget", "stalled"}
        assert math.isfinite(row["default_time_s"]) and row["default_time_s"] > 0
        if row["sweep_status"] == "reached":
            assert row["time_to_1e-6_s"] > 0 and row["max_iter_at_1e-6"] >= 1
    # a Newton method reaches 1e-6 on a 300 x 5 problem within a handful of iterations
    auto = next(r for r in rows if r["solver"].startswith("ours auto"))
    assert auto["sweep_status"] == "reached"
    ratios, defaults = bench.summary(rows)
    assert set(ratios) == {"tiny"} and len(defaults) == 1
    text = bench.markdown_table(rows) + bench.summary_markdown(rows)
    assert "ours auto" in text and "LR saga" in text
    bench.write_csv(rows, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text().count("\n") == len(rows) + 1
    curves = {"tiny": {r.solver.label: r.sweep.points for r in records if not r.alias}}
    pytest.importorskip("matplotlib")
    bench.write_curves(curves, tmp_path / "c.csv")
    n_points = sum(len(points) for points in curves["tiny"].values())
    assert (tmp_path / "c.csv").read_text().count("\n") == n_points + 1
    # --update reads an earlier run back: same rows (to the 6 digits written), same curves
    (tmp_path / "b.csv").rename(tmp_path / "bench_fit.csv")
    (tmp_path / "c.csv").rename(tmp_path / "bench_fit_curves.csv")
    old_rows, old_curves, old_floors = bench.read_previous(tmp_path, lambda name: True)
    assert [r["solver"] for r in old_rows] == [r["solver"] for r in rows]
    for old, new in zip(old_rows, rows, strict=True):
        assert old["default_converged"] == new["default_converged"]
        assert old["peak_mem_MB"] == pytest.approx(new["peak_mem_MB"], rel=1e-5)
    assert {k: len(v) for k, v in old_curves["tiny"].items()} == {
        k: len(v) for k, v in curves["tiny"].items()
    }
    assert old_floors == {}
    assert bench.read_previous(tmp_path, lambda name: False)[0] == []
    assert bench.auto_labels(rows) == {"tiny": "ours " + bench.resolved(tiny_dense)}
    bench.plot(curves, tmp_path / "b.png", defaults=bench.auto_labels(rows))
    assert (tmp_path / "b.png").stat().st_size > 0


def test_floor_measurements(bench, tiny_dense):
    bare = bench.bare_products(tiny_dense.X, 3, repeats=1)
    assert set(bare) == {"float32", "float64"} and all(v >= 0 for v in bare.values())
    costs = bench.loss_costs(tiny_dense, repeats=1)
    assert set(costs) == {"loss_gradient", "hessp"} and all(v >= 0 for v in costs.values())


def test_run_end_to_end_on_one_bundled_set(bench, tmp_path):
    args = Namespace(
        quick=True,
        datasets="iris-std",
        repeats=1,
        repeats_large=1,
        budget=0.3,
        budget_small=0.2,
    )
    rows, curves, floors = bench.run(args, log=lambda s: None)
    assert {r["dataset"] for r in rows} == {"iris-std"} and set(curves) == {"iris-std"}
    assert floors == {}
