"""Collection rules for the whole repository.

``sk_softmax/datafits/dask.py`` and ``sk_softmax/backends/dask.py`` import
dask at import time (they are loaded only when a dask collection reaches the
estimator); without the optional ``dask`` extra, ``--doctest-modules`` must
not try to import them. ``tests/test_dask.py`` skips
itself in that case.

scikit-learn's Array API dispatch (``docs/array_api.rst``, the common checks)
needs SciPy's own Array API support, which SciPy reads from the environment
when it is first imported: set it here, before any test or doctest imports
SciPy, whichever folder pytest is run on.
"""

import os
from importlib.util import find_spec

os.environ.setdefault("SCIPY_ARRAY_API", "1")

collect_ignore = []
if find_spec("dask") is None or find_spec("distributed") is None:
    collect_ignore += ["sk_softmax/datafits/dask.py", "sk_softmax/backends/dask.py"]
