"""Keep benchmarks/bench_cv_floor.py from rotting: a quick run writes every table.

Structure and the step counts' consistency only; timings are never asserted.
"""

import re

import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_cv_floor")


def test_a_quick_run_writes_every_table(bench, tmp_path):
    out = tmp_path / "floor.md"
    bench.main(["--quick", "--threads", "1", "--out", str(out)])
    text = out.read_text()
    assert text.count("## ") == 2  # the segment look-alike's first rows, the synthetic set
    for start in (
        "path (SoftmaxClassifierCV)", "cold", "last optimum", "tangent line",
        "Taylor, 2nd order", "tangent in C", "other fold's optimum",
        "own optimum + other's step", "own secant + other's error",
    ):  # fmt: skip
        assert f"| {start} |" in text
    first_counts = {}
    for name, row in re.findall(r"^\| (cold|path \(SoftmaxClassifierCV\)) \|(.*)\|$", text, re.M):
        cells = [c.strip() for c in row.split("|")]
        counts, total = [int(c) for c in cells[:-1]], int(cells[-1])
        assert len(counts) == bench.CS.size and sum(counts) == total
        first_counts.setdefault(name, []).append(counts[0])
    # the path's first fit is a cold fit at the smallest C on the same rows
    assert first_counts["cold"] == first_counts["path (SoftmaxClassifierCV)"][::2]
    assert text.count("as one joint pass") == 2
