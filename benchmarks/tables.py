"""Generated look-alikes of real multiclass tables of middle size, with raw features.

Real tables such as the UCI sets ``segment``, ``satimage`` or ``pendigits``
are where the fits of ``SoftmaxClassifier`` come closest to those of
``LogisticRegression``: a few thousand rows, 100 to 1400 coefficients, raw
features of very different scales, strongly correlated, sometimes
quantised, sometimes with an exact linear dependence or a constant column,
and classes that overlap only partly. No package ships such data and
nothing is downloaded at run time, so :func:`make_table` builds tables of
the same shapes with those traits:

- each class a Gaussian cluster in a space of ``max(2, d // 3)`` latent
  factors, at a distance that leaves the classes partly overlapping;
- the features mixtures of the factors plus noise (correlated columns);
- each column put on its own scale and offset (scales from 0.01 to 1000, the
  way pixel counts, intensities and ratios sit side by side in a raw
  table), about a third of them rounded to integers;
- optionally one column the sum of two others (an exact dependence, as
  ``intensity-mean`` is the mean of the colour channels in ``segment``) and
  one constant column.

The shapes (:data:`SHAPES`) are those of twelve real tables; what matters
for the solvers is the shape, the scaling and the overlap, not the meaning
of the columns.
"""

import numpy as np

#: name: (rows, features, classes, class separation, extras, column scales' log10 range),
#: the shapes of real tables (wine, iris and digits are bundled with scikit-learn and
#: run as themselves). libras holds coordinates in [0, 1]: its columns share one scale.
SHAPES = {
    "texture-like": (5500, 40, 11, 2.5, False, (-2, 3)),
    "segment-like": (2310, 19, 7, 2.5, True, (-2, 3)),
    "satimage-like": (6435, 36, 6, 1.5, False, (-2, 3)),
    "libras-like": (360, 90, 15, 2.5, False, (-1, -1)),
    "vehicle-like": (846, 18, 4, 1.2, True, (-2, 3)),
    "pendigits-like": (10992, 16, 10, 2.0, False, (-2, 3)),
    "vowel-like": (990, 13, 11, 1.5, False, (-2, 3)),
    "letter-like": (20000, 16, 26, 1.5, False, (-2, 3)),
    "optdigits-like": (5620, 64, 10, 2.0, True, (-2, 3)),
}


def make_table(
    n_samples, n_features, n_classes, separation=2.0, extras=False, scales=(-2, 3), seed=0
):
    """A raw-featured table of the given shape; returns ``(X, y)``, X float64.

    ``separation`` scales the distance between the class centres in units of
    the within-class spread (about 1: heavy overlap; 3: nearly separable).
    ``extras``: one column the sum of two others, and one constant column.
    ``scales``: the range of the columns' scales, as powers of ten.
    """
    rng = np.random.default_rng(seed)
    n_latent = max(2, n_features // 3)
    shares = rng.dirichlet(np.full(n_classes, 5.0))  # unequal class sizes
    y = rng.choice(n_classes, size=n_samples, p=shares)
    y[:n_classes] = np.arange(n_classes)  # every class present
    centres = rng.standard_normal((n_classes, n_latent)) * separation / np.sqrt(2)
    latent = centres[y] + rng.standard_normal((n_samples, n_latent))
    loadings = rng.standard_normal((n_latent, n_features)) / np.sqrt(n_latent)
    X = latent @ loadings + 0.3 * rng.standard_normal((n_samples, n_features))
    scales = 10.0 ** rng.uniform(*scales, n_features)
    offsets = rng.uniform(-1, 4, n_features) * scales
    X = X * scales + offsets
    integer = rng.random(n_features) < 1 / 3
    X[:, integer] = np.round(X[:, integer] / scales[integer] * 10) * (scales[integer] / 10)
    if extras and n_features >= 4:
        X[:, -2] = X[:, 0] + X[:, 1]
        X[:, -1] = 9.0
    return X, y


def table(name, seed=0):
    """The look-alike ``name`` of :data:`SHAPES`: ``(X, y)``."""
    n, d, k, separation, extras, scales = SHAPES[name]
    return make_table(n, d, k, separation, extras, scales, seed)
