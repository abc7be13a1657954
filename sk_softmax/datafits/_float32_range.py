"""Where float32 passes keep their digits: the values, weights and spreads they take.

The float32 twin of the data term (:meth:`~.numpy.SoftmaxDatafit.in_float32`)
and of its standardised form (:meth:`~.standardized.Standardized.in_float32`)
serve only where float32's range (normal numbers from ``2**-126`` to
``2**128``) holds the values, the rows' weights and the products of two such
numbers with room to spare: float32 arithmetic on subnormal numbers is 4 to 9
times slower, and weights below the range flush to zero (a class of weight
1e-42 took 12 iterations, not 6, in a review's run).
"""

import numpy as np

# The least magnitude of a weight or a value of X that float32 passes take, and the largest.
_LEAST_FLOAT32 = 2.0**-50
_MOST_FLOAT32 = 2.0**100
# The least and (its inverse) the largest spread of a column that float32 passes take: float64
# data are cast block by block, and the standardised weights are about one over the spread.
_LEAST_SPREAD = 2.0**-60


def inside_float32(X, n_rows=2048):
    """Whether the non-zero values of about ``n_rows`` evenly spaced rows of dense ``X``
    lie within ``[_LEAST_FLOAT32, _MOST_FLOAT32]`` in magnitude.

    A sample, not all of ``X`` (a pass over it would cost what a float32
    pass saves): it tells data whose columns hold tiny or huge values; a
    value beyond float32's range that it misses becomes infinite in the
    cast, and the float32 passes then hand over to float64 ones.
    """
    rows = np.abs(X[:: max(1, X.shape[0] // n_rows)])
    outside = (rows < _LEAST_FLOAT32) & (rows > 0) | (rows > _MOST_FLOAT32)
    return not outside.any()


def weights_inside_float32(sample_weight):
    """Whether the least positive weight of the rows is at least ``_LEAST_FLOAT32``."""
    return sample_weight[sample_weight > 0].min() >= _LEAST_FLOAT32


def spreads_inside_float32(spread):
    """Whether every non-zero spread of a column lies within ``2**+-60``."""
    positive = spread[spread > 0]
    return not np.any((positive < _LEAST_SPREAD) | (positive > 1 / _LEAST_SPREAD))
