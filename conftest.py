"""Collection rules for the whole repository.

``sk_softmax/_dask.py`` imports dask at import time (it is loaded only when a
dask collection reaches the estimator); without the optional ``dask`` extra,
``--doctest-modules`` must not try to import it. ``tests/test_dask.py`` skips
itself in that case.
"""

from importlib.util import find_spec

collect_ignore = []
if find_spec("dask") is None or find_spec("distributed") is None:
    collect_ignore.append("sk_softmax/_dask.py")
