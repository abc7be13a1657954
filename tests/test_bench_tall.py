"""Keep benchmarks/bench_tall.py from rotting: a tiny run writes both tables.

Structure only; timings are never asserted (shared, noisy machine).
"""

import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_tall")


def test_a_tiny_run_writes_both_tables(bench, tmp_path):
    out = tmp_path / "tall.md"
    # 22000 x 100 values: beyond the cache, where the data have a float32 twin
    bench.main(["--n", "22000", "--repeats", "1", "--out", str(out)])
    text = out.read_text()
    assert "| 22000 x 100 x 10 float64 | after (this checkout) |" in text
    for dtype in ("float32", "float64"):
        assert text.count(f"| 22000 x 100 x 10 {dtype} | pass: ours |") == 1
        assert text.count(f"| 22000 x 100 x 10 {dtype} | pass: ours, float32 twin |") == 1
    assert text.count("iteration after the first |") == 2
