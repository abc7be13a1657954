"""The data term, the softmax cross-entropy of ``X W^T + b``, for every backend.

- :mod:`.base`: the protocol every backend implements;
- :mod:`.numpy`: NumPy and SciPy data, by row blocks on threads
  (:mod:`._blocks`), its second derivatives in :mod:`._second_order`;
- :mod:`.array_api`: arrays of any Array API namespace, on their device;
- :mod:`.dask`: dask arrays, a map-reduce of the NumPy data term (imports dask);
- :mod:`.standardized`: any of them in the solvers' standardised coordinates;
- :mod:`.moments`: the columns' weighted centres and spreads.
"""
