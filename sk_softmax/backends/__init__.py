"""Where the data live: NumPy and SciPy, an Array API namespace, or dask.

Each backend validates its data, hands the fit pipeline its training data
(an object with the same few methods: class totals, reweighting, column
moments, the data term in the solvers' coordinates, the fitted attributes)
and predicts through the one prediction kernel (``sk_softmax._predict``).

- :mod:`.numpy`: NumPy arrays and SciPy sparse matrices;
- :mod:`.array_api`: other Array API namespaces, with ``array_api_dispatch`` on;
- :mod:`.dask`: dask arrays and data frames (imported only when one arrives).
"""


def is_dask_collection(X):
    """Whether ``X`` is a dask array or dataframe, without importing dask."""
    return type(X).__module__.partition(".")[0] in ("dask", "dask_expr")


def backend_of(X):
    """The backend module for the data ``X``."""
    if is_dask_collection(X):
        from . import dask

        return dask
    from . import array_api

    if array_api.uses_array_api(X):
        return array_api
    from . import numpy

    return numpy


def check_stream_input(X, method):
    """The stochastic engine takes NumPy and SciPy data only: a clear error otherwise."""
    if is_dask_collection(X):
        raise ValueError(
            f"{method} does not take dask collections: stream their chunks through "
            "partial_fit, or use a full-batch solver (solver='auto'), which fits a dask "
            "array chunk by chunk on the workers."
        )
    from .array_api import check_numpy_only

    check_numpy_only(X, method)
