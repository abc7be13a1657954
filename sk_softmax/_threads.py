"""Thread hygiene between the BLAS libraries numpy and scipy each bundle.

numpy's and scipy's wheels each ship their own OpenBLAS, each with its own
thread pool. The solvers alternate between numpy's large matrix products and
scipy's small ones (L-BFGS-B's updates, triangular solves), and on a small
machine the two pools then fight for the same cores: on scikit-learn's digits,
a 100-iteration L-BFGS fit took 0.88 s with default threads and 0.044 s with
scipy's pool limited to one thread (``benchmarks/bench_threads.py``).

``blas_hygiene()`` keeps numpy's pool as it is (it runs the products that are
worth parallelising) and limits every other BLAS pool to one thread for the
duration of a fit. If numpy and scipy share one BLAS, nothing changes.
"""

import os
from contextlib import contextmanager
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _is_numpy_lib(filepath):
    numpy_dir = os.path.dirname(np.__file__)
    site = os.path.dirname(numpy_dir)
    path = os.path.realpath(filepath)
    return path.startswith(os.path.realpath(numpy_dir)) or path.startswith(
        os.path.realpath(os.path.join(site, "numpy.libs"))
    )


@contextmanager
def blas_hygiene():
    """Limit the BLAS pools other than numpy's to one thread, then restore them."""
    try:
        controllers = [
            c
            for c in _controller().lib_controllers
            if c.user_api == "blas" and not _is_numpy_lib(c.filepath) and c.num_threads > 1
        ]
    except Exception:  # threadpoolctl cannot introspect this platform: do nothing
        controllers = []
    previous = [c.num_threads for c in controllers]
    for c in controllers:
        c.set_num_threads(1)
    try:
        yield
    finally:
        for c, n in zip(controllers, previous, strict=True):
            c.set_num_threads(n)
