"""Keep the before/after throughput of benchmarks/bench_scale.py from rotting (a tiny run).

Structure only; timings are never asserted (shared, noisy machine).
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_scale")


def test_before_after_runs_each_side_from_its_own_checkout(bench):
    # This checkout as its own baseline: two children, each importing the
    # package from the directory it was given.
    lines = bench.bench_before_after(ROOT, 600, 5, 3, 1, 1)
    rows = [line for line in lines if line.startswith(("| before", "| after"))]
    assert len(rows) == 2
    speeds = [float(row.split(" | ")[1].replace(",", "")) for row in rows]
    assert all(speed > 0 for speed in speeds)
    assert lines[-1].startswith("Ratio after / before (medians): ")


def test_a_child_importing_another_package_is_refused(bench, tmp_path):
    # A directory without the package: the child imports the installed one,
    # which is not the baseline asked for, and the benchmark says so.
    with pytest.raises(RuntimeError, match="imported sk_softmax from"):
        bench._child_speed(tmp_path, 300, 5, 3, 1, 0)
