"""Keep benchmarks/bench_sparse.py from rotting: one small problem end to end.

Structure and the gaps' meaning only; timings are never asserted (shared, noisy machine).
"""

import math
import sys

import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_sparse")


def test_problems_and_the_chosen_C(bench):
    problems = {p.name: p for p in bench.problems(quick=True)}
    assert {"iris", "wine-std", "digits", "dense-raw", "sparse-text-en"} <= set(problems)
    iris = problems["iris"]
    iris.C, zeros = bench.choose_C(iris)
    assert 0 < iris.C < math.inf and 0.0 < zeros < 1.0


def test_one_problem_end_to_end(bench, tmp_path, monkeypatch):
    argv = ["bench_sparse.py", "--quick", "--only", "wine-std", "--repeats", "1"]
    monkeypatch.setattr(sys, "argv", [*argv, "--out", str(tmp_path)])
    bench.main()
    report = (tmp_path / "bench_sparse.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| wine-std")]
    assert len(rows) == 2  # one fit, and the path
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    ours, saga, saga_gap = float(cells[5]), float(cells[7]), float(cells[8])
    assert ours > 0 and saga > 0
    # gaps are measured against the best of the three objectives, so none is negative
    assert saga_gap >= 0.0
    assert "Median ratio of one fit" in report
