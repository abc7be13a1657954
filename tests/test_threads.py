"""Fits in several threads at once, and fits in forked processes.

The loss runs its passes over row blocks on a thread pool of its own
(``datafits/_blocks.py``). A process forked after a fit on more than one row
block inherited that pool, whose threads stayed in the parent: the child's
next fit waited forever.
"""

import multiprocessing
import sys
import threading

import numpy as np
import pytest

from sk_softmax import SoftmaxClassifier


def test_concurrent_fits_give_the_sequential_optimum():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40000, 10))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    Cs = [0.1, 1.0, 10.0]
    sequential = [SoftmaxClassifier(C=C).fit(X, y) for C in Cs]
    results = [None] * len(Cs)

    def fit(i):
        results[i] = SoftmaxClassifier(C=Cs[i]).fit(X, y)

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(len(Cs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for ours, reference in zip(results, sequential, strict=True):
        # the same optimum to tol; the sums' order may differ with the threads' share
        np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=1e-6)
        assert ours.n_iter_ == reference.n_iter_


def _fit(n_rows):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, 20))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    return SoftmaxClassifier().fit(X, y).n_iter_


@pytest.mark.skipif(sys.platform == "win32", reason="no fork")
def test_a_forked_process_fits_after_its_parent_did():
    # 40000 rows are several row blocks: the fit uses the thread pool, whose
    # threads a forked child does not have
    assert _fit(40000) > 0
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.map_async(_fit, [40000]).get(timeout=60)  # waited forever before
    assert child == [_fit(40000)]
