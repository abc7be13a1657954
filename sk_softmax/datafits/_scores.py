"""The per-sample scores of the NumPy data term: their outer products and their group sums.

A mixin of :class:`~sk_softmax.datafits.numpy.SoftmaxDatafit`, for the
sandwich covariances of :func:`sk_softmax.inference`. The score of sample
``i`` (the gradient of its cross-entropy) is ``g_i = (p_i - e_{y_i}) (x)
x~_i``, with ``x~_i = [x_i, 1]`` (the 1 when there is an intercept) and
``e_{y_i}`` its one-hot label; the data term's gradient is ``sum_i s_i/S
g_i``. Both methods take only the entries of the classes ``classes`` (every
class but the baseline, for the baseline parameterisation), and, like the
second-order methods, ``mean`` and ``scale`` ask for the scores with
respect to the coefficients of the standardised features ``(x - mean) /
scale``.
"""

import numpy as np
from scipy import sparse

from ._second_order import proba_rows


class Scores:
    """The score passes of the NumPy data term (see the module docstring)."""

    def _score_rows(self, block, rows, proba, classes, row_weights, mean, scale):
        """The block's scores times ``row_weights``, shape (m, len(classes) * n_dof).

        Row ``i`` is ``row_weights_i (p_i - e_{y_i})[classes] (x) x~_i``.
        """
        xt = self._augmented(block, mean, scale)
        residual = proba_rows(proba, rows)[classes] - (self.y[rows][None, :] == classes[:, None])
        residual *= row_weights
        return (residual.T[:, :, None] * xt[:, None, :]).reshape(xt.shape[0], -1)

    def score_outer(self, coef, classes, class_factor=None, mean=None, scale=None):
        """``sum_i s_i/S c_{y_i} g_i g_i^T``, the scores' outer products.

        Shape ``(len(classes) * n_dof,) * 2``; ``class_factor`` (``c``, one
        non-negative number per class, 1 by default) weighs each sample by
        its class: with class weights ``c``, the samples' weights ``s_i =
        f_i c_{y_i}`` (``f`` frequency weights) count a sample ``f_i`` times
        with score ``c_{y_i} g_i``, so the outer products are ``f_i c^2 g
        g^T = s_i c g g^T``. One symmetric rank-m update per row block.
        """
        proba = self._proba_at(coef)
        classes = np.asarray(classes, dtype=np.intp)
        factor = np.ones(self.n_classes) if class_factor is None else np.asarray(class_factor)
        width = (classes.size + 1) * self.n_dof

        def work(rows, block):
            root = np.sqrt(self.sw[rows] * factor[self.y[rows]])
            z = self._score_rows(block, rows, proba, classes, root, mean, scale)
            return (z.T @ z,)

        (outer,) = self.chunks.map_reduce(work, width=width)
        return outer

    def score_sums(self, coef, classes, groups, n_groups, mean=None, scale=None):
        """Each group's weighted score sum ``sum_{i in group} s_i/S g_i``.

        ``groups`` holds one code in ``range(n_groups)`` per sample; the
        result has shape ``(n_groups, len(classes) * n_dof)``, and its Gram
        matrix is the meat of the cluster-robust covariance. One thread: each
        row block adds its groups' sums (a sparse indicator times the block's
        scores) to its groups' rows only, so that many groups cost no more
        than a few.
        """
        proba = self._proba_at(coef)
        classes = np.asarray(classes, dtype=np.intp)
        groups = np.asarray(groups)
        sums = np.zeros((n_groups, classes.size * self.n_dof))
        for rows in self.chunks.slices((classes.size + 1) * self.n_dof):
            block = self.chunks.block(rows)
            z = self._score_rows(block, rows, proba, classes, self.sw[rows], mean, scale)
            present, inverse = np.unique(groups[rows], return_inverse=True)
            m = z.shape[0]
            indicator = sparse.csr_matrix(
                (np.ones(m), (inverse.ravel(), np.arange(m))), shape=(present.size, m)
            )
            sums[present] += indicator @ z
        return sums
