"""Scoring and metadata routing of :class:`~sk_softmax.SoftmaxClassifierCV`.

The search's scorer (the default one, weighted accuracy, or ``scoring``),
its ``score`` on new data, and where the metadata of ``fit`` and ``score``
go: a mixin, so that ``_cv.py`` holds the search itself.
"""

from sklearn.metrics import check_scoring
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)

from ._scoring import default_scorer


class ScoringAndRouting:
    """``score``, ``get_metadata_routing`` and the scorer of a search with ``scoring``, ``cv``."""

    def _get_scorer(self, request_weights=False):
        if self.scoring is None:
            return default_scorer(request_weights)
        return check_scoring(self, scoring=self.scoring)

    def score(self, X, y, sample_weight=None, **score_params):
        """The ``scoring`` score of the final model on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the score.
        **score_params : dict
            Only with metadata routing enabled: parameters the scorer requests.

        Returns
        -------
        score : float

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sk_softmax import SoftmaxClassifierCV
        >>> X, y = load_iris(return_X_y=True)
        >>> search = SoftmaxClassifierCV(Cs=3, scoring="neg_log_loss").fit(X, y)
        >>> bool(search.score(X, y) < 0)  # the negated log-loss of the final model
        True
        """
        _raise_for_params(score_params, self, "score")
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        if _routing_enabled():
            score_params = process_routing(self, "score", **score_params).scorer.score
            scorer = self._get_scorer(request_weights=True)
        else:
            scorer = self._get_scorer()
        return scorer(self, X, y, **score_params)

    # -- metadata routing -------------------------------------------------------
    def get_metadata_routing(self):
        """Where the metadata of :meth:`fit` and :meth:`score` go.

        ``sample_weight`` is consumed by the fits themselves; split
        parameters (``groups``) go to ``cv``, and the scorer gets what it
        requests (the default scorer, weighted accuracy, requests
        ``sample_weight``).

        Returns
        -------
        routing : MetadataRouter

        Examples
        --------
        >>> from sk_softmax import SoftmaxClassifierCV
        >>> routing = SoftmaxClassifierCV().get_metadata_routing()
        >>> routing.consumes("fit", {"groups", "sample_weight"})  # split params: to cv
        {'sample_weight'}
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=self.cv,  # as given: check_cv would consume a generator of splits
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(
                scorer=self._get_scorer(request_weights=True),
                method_mapping=MethodMapping()
                .add(caller="score", callee="score")
                .add(caller="fit", callee="score"),
            )
        )
