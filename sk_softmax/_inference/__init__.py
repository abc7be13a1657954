"""Statistical inference for fitted softmax models: :func:`inference` and its result.

A private package; its public names are ``sk_softmax.inference`` and
``sk_softmax.SoftmaxInference``. The modules:

- ``_source.py``: what inference reads of a fitted estimator
  (``SoftmaxClassifier`` or a multinomial ``LogisticRegression``);
- ``_model.py``: the fitted model on its data, through the fit pipeline's
  problem: likelihoods, gradient, the Hessian of the baseline
  parameterisation, the scores (every pass a method of the data term, on
  any backend);
- ``_covariance.py``: bread, meat, small-sample corrections, the map from
  standardised to original coordinates;
- ``_groups.py``: cluster labels; ``_api.py``: :func:`inference` itself;
- ``_results.py``: :class:`SoftmaxInference`; ``_tables.py`` its tables,
  ``_wald.py`` its Wald tests, ``_margins.py`` and ``_passes.py`` its
  marginal effects and prediction intervals.
"""

from ._api import inference
from ._margins import MarginalEffects
from ._results import SoftmaxInference, Summary
from ._wald import WaldTestResult, WaldTestTerms

__all__ = [
    "inference",
    "SoftmaxInference",
    "MarginalEffects",
    "Summary",
    "WaldTestResult",
    "WaldTestTerms",
]
