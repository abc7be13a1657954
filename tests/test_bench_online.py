"""Keep benchmarks/bench_online.py from rotting: its tables and a tiny run of its report.

Structure and finiteness only; timings are never asserted (shared, noisy machine).
"""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_online")


def test_generated_tables(bench):
    tables = {t.name: t for t in bench.all_tables(["census-raw", "products-40", "digits"])}
    raw = tables["census-raw"]
    assert not raw.standardize and raw.X.shape == (12000, 11)
    spread = raw.X.std(axis=0)
    assert spread.max() / spread.min() > 1e6  # badly scaled, as meant
    many = tables["products-40"]
    assert np.unique(many.y).size == 40 and many.X.shape[0] == 24000
    assert tables["digits"].X.dtype == np.float64


def test_a_tiny_report(bench):
    tables = [bench.all_tables(["census-raw"])[0]]
    table = tables[0]
    table.X, table.y = table.X[:900], table.y[:900]
    lines = bench.report(tables, (1, 2), repeats=1, with_river=False)
    rows = [line for line in lines if line.startswith("| census-raw (raw)")]
    assert [row.split(" | ")[4] for row in rows] == [
        "SoftmaxClassifier.partial_fit",
        "SGDClassifier(log_loss).partial_fit",
        bench.STREAM_OPTIMUM,
    ]
    for row in rows[:2]:
        cells = row.strip("| ").split(" | ")
        excess = [float(cell.rstrip("%")) for cell in cells[5:7]]
        assert all(np.isfinite(excess)) and float(cells[7].replace(",", "")) > 0
    # the stream's optimum after one epoch is the reference itself; no throughput
    cells = rows[2].rstrip(" |").split(" | ")
    assert cells[5] in ("+0.0%", "-0.0%") and np.isfinite(float(cells[6].rstrip("%")))
    assert rows[2].endswith("|  |")
    sgd_row = next(line for line in lines if line.startswith("| census-raw |") and "True" in line)
    assert float(sgd_row.split(" | ")[-1].rstrip(" |")) < 1e-6  # the sgd fit reaches the optimum


def test_river_is_driven_like_the_others(bench):
    pytest.importorskip("river")
    table = bench.all_tables(["census-raw"])[0]
    X, X_test, y, y_test = bench.split(table)
    X, y = X[:300], y[:300]
    losses, speed = bench.stream(
        bench.RiverSoftmax, X, y, X_test[:100], y_test[:100], np.unique(table.y), (1,), seed=0
    )
    assert np.isfinite(losses[1]) and speed > 0
