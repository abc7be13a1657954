"""Thread hygiene between the BLAS libraries numpy and scipy each bundle.

numpy's and scipy's wheels each ship their own OpenBLAS, each with its own
thread pool. The solvers alternate between numpy's large matrix products and
scipy's small ones (L-BFGS-B's updates, triangular solves), and on a small
machine the two pools then fight for the same cores: on scikit-learn's digits,
a 100-iteration L-BFGS fit took 0.99 s with default threads, 0.083 s with
scipy's pool limited to one thread and 0.046 s under ``fit_threads`` (medians
of ``benchmarks/bench_threads.py``, results in ``benchmarks/results``).

``fit_threads()``, used around every fit, sets every BLAS pool to one thread
and gives the loss as many threads of its own as numpy's BLAS had: the loss
splits its passes over the data by row blocks between them (``_chunks.py``),
so element-wise work runs in parallel too, and nothing competes.
``blas_hygiene()`` is the lighter policy (only non-numpy pools at one thread).
"""

import os
from contextlib import contextmanager
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@lru_cache(maxsize=64)
def _is_numpy_lib(filepath):
    numpy_dir = os.path.dirname(np.__file__)
    site = os.path.dirname(numpy_dir)
    path = os.path.realpath(filepath)
    return path.startswith(os.path.realpath(numpy_dir)) or path.startswith(
        os.path.realpath(os.path.join(site, "numpy.libs"))
    )


def _blas_controllers():
    try:
        return [c for c in _controller().lib_controllers if c.user_api == "blas"]
    except Exception:  # threadpoolctl cannot introspect this platform
        return []


@contextmanager
def blas_hygiene():
    """Limit the BLAS pools other than numpy's to one thread, then restore them."""
    controllers = [
        c for c in _blas_controllers() if not _is_numpy_lib(c.filepath) and c.num_threads > 1
    ]
    with _limited(controllers):
        yield


@contextmanager
def fit_threads():
    """Every BLAS pool at one thread; yields how many threads the loss may use.

    That number is what numpy's BLAS had (so ``threadpool_limits``,
    ``OMP_NUM_THREADS`` and joblib's limits in worker processes are obeyed):
    the loss then runs that many threads over row blocks, each with a
    single-threaded BLAS, so no two thread pools compete for the cores.
    Without introspection (no threadpoolctl support), one thread and nothing
    changed.
    """
    controllers = _blas_controllers()
    numpy_threads = [c.num_threads for c in controllers if _is_numpy_lib(c.filepath)]
    if not numpy_threads:
        with blas_hygiene():
            yield 1
        return
    with _limited([c for c in controllers if c.num_threads > 1]):
        yield max(1, max(numpy_threads))


@contextmanager
def _limited(controllers):
    previous = [c.num_threads for c in controllers]
    for c in controllers:
        c.set_num_threads(1)
    try:
        yield
    finally:
        for c, n in zip(controllers, previous, strict=True):
            c.set_num_threads(n)
