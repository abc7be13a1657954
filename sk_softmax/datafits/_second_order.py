"""Second derivatives of the NumPy data term: the Hessian, its diagonal, its class blocks.

A mixin of :class:`~sk_softmax.datafits.numpy.SoftmaxDatafit` (which holds the
data, the row blocks and the probabilities of the last gradient), kept apart
because it is the larger half of the maths. With ``x~_i = [x_i, 1]`` (the 1
when there is an intercept) and ``p_i`` the probabilities of sample ``i``,
the Hessian of ``f`` is::

    H = sum_i s_i/S (diag(p_i) - p_i p_i^T) (x) x~_i x~_i^T.

With ``mean`` and ``scale`` (arrays of length n_features), every method
gives the derivative with respect to the coefficients of the standardised
features ``(x - mean) / scale`` instead: the same formula on those features,
each block standardised before any product, so that features of 1e300
cannot overflow.
"""

import numpy as np
from scipy import sparse

from ._blocks import _BLOCK_VALUES
from ._sparse_blocks import scaled_values
from ._symmetric import (
    _INDEXED_ENTRIES,
    _blocks_of,
    _class_pairs,
    _packed_outer,
    _whole_hessian_index,
)


def _sum_of_others(p):
    """``1 - p_k`` of a probability vector, summed from the other entries (no cancellation)."""
    others = np.broadcast_to(p, (p.size, p.size)).copy()
    np.fill_diagonal(others, 0.0)
    return others.sum(axis=1)


def proba_rows(proba, rows):
    """The kept probabilities of the samples ``rows``, float64, shape (n_classes, m).

    A view when they are kept in float64. Kept in float32 (for float32 ``X``)
    they are cast and renormalised, so that ``1 - p_k`` is the sum of the
    other classes' as the second-order formulas assume (to float64 rounding).
    """
    p = proba[:, rows]
    if p.dtype == np.float64:
        return p
    p = p.astype(np.float64)
    p /= p.sum(axis=0)
    return p


# The most values of the rows' packed outer products a data term keeps (8 MB): two
# blocks' worth. Measured (one core, 5000 x 20 x 5, 5 folds x 10 Cs, folds of 4000 x 231
# products): the path 0.238 -> 0.185 s and GridSearchCV's fits 0.621 -> 0.542 s against a
# block's worth, whose Hessians rebuilt them for every row block. Four blocks' worth also
# kept the pendigits look-alike's (10992 x 153), for no measurable gain and a fit's peak
# memory 7.0 -> 24.1 MB (bench_fit.py, 41a2970).
_KEPT_OUTER_VALUES = 2 * _BLOCK_VALUES

# The multiply-adds of a Hessian's pair products up to which it is computed so at a cold
# start too: below, the Gram matrix of the shared form (_shared_probabilities) saves less
# than its own Python and numpy calls cost.
_SMALL_HESSIAN = 1e6

# The largest n_dof for which class_hessian takes the packed outer products: up
# to it a row block of them holds at least about 250 rows (one efficient
# product); wider data take one symmetric rank-m update per pair of classes.
_MAX_PACKED_DOF = 64


class SecondOrder:
    """The second-order methods of the NumPy data term (see the module docstring)."""

    def hessian(self, coef, mean=None, scale=None):
        """The full Hessian at ``coef``, shape (n_classes * n_dof,) * 2.

        :meth:`class_hessian` of every class, from the ``K (K - 1) / 2``
        blocks of pairs of distinct classes (see :meth:`_class_hessian`).
        Two classes assemble :meth:`two_class_hessian`'s block.
        """
        n_classes, n_dof = self.shape
        if n_classes == 2:
            size = n_classes * n_dof
            data = self.two_class_hessian(coef, mean, scale)
            hess = np.empty((size, size))
            hess[:n_dof, :n_dof] = hess[n_dof:, n_dof:] = data
            hess[:n_dof, n_dof:] = hess[n_dof:, :n_dof] = -data
            return hess
        return self._class_hessian(coef, None, mean, scale)

    def class_hessian(self, coef, classes, mean=None, scale=None):
        """The Hessian's rows and columns of the classes ``classes``, in that order.

        Shape ``(len(classes) * n_dof,) * 2``: the Hessian with respect to
        those classes' coefficients, the others held fixed. With every class
        but a baseline it is the Hessian of the baseline parameterisation
        (``sk_softmax.inference``), which has no flat direction; with every
        class, :meth:`hessian`.
        """
        return self._class_hessian(coef, np.asarray(classes, dtype=np.intp), mean, scale)

    def _class_hessian(self, coef, classes, mean, scale):
        """:meth:`class_hessian` of ``classes``, or the full Hessian (``classes`` None).

        Block ``(a, b)`` is ``X~^T diag(s/S (delta_ab p_a - p_a p_b)) X~``,
        and block ``(b, a)`` the same. With ``O_ab = X~^T diag(s/S p_a p_b)
        X~`` for the ``K (K - 1) / 2`` pairs ``a < b``, the off-diagonal
        blocks are ``-O_ab`` and, as ``p_a (1 - p_a) = sum_{b != a} p_a
        p_b``, the diagonal ones are ``D_a = sum_{b != a} O_ab``: sums of
        positive weights, so that ``p_a`` near one keeps the digits ``1 -
        p_a`` would cancel, and ``K`` fewer products of the rows than
        computing the diagonal blocks from their own weights. Each ``O_ab``
        is symmetric, computed as its upper triangle: up to
        ``_MAX_PACKED_DOF`` columns one product per row block, of the pairs'
        weights ``(K (K - 1) / 2, m)`` with the rows' packed outer products
        ``(m, n_dof (n_dof + 1) / 2)`` (kept up to ``_KEPT_OUTER_VALUES``);
        wider data take one symmetric rank-m update of a scaled copy of the
        row block per pair. At a cold start (:meth:`_shared_probabilities`)
        the Hessian is ``C (x) G``, one Gram matrix and no pair's products.
        """
        n_classes, n_dof = self.shape
        packed = n_dof <= _MAX_PACKED_DOF
        first, second, incidence, position = _class_pairs(n_classes)
        # where the pairs' products are a few dozen microseconds, so is the shared form's setup
        small = self.n_samples * first.size * n_dof * (n_dof + 1) / 2 <= _SMALL_HESSIAN
        shared = None if small else self._shared_probabilities(coef)
        if shared is not None:
            weights = -np.outer(shared, shared)
            weights[np.diag_indices(n_classes)] = shared * _sum_of_others(shared)
            if classes is not None:
                weights = weights[np.ix_(classes, classes)]
            return np.kron(weights, self._gram(mean, scale))
        proba = self._proba_at(coef)

        def pair_weights(rows):
            p = proba_rows(proba, rows)
            scaled = p * self.sw[rows]
            weights = scaled[first]
            weights *= p[second]
            return weights  # s/S p_a p_b of the pairs a < b, (n_pairs, m)

        if packed:
            outer = self._outer_products(mean, scale)  # all rows', kept; or None

            def work(rows, block):
                if outer is not None:
                    products = outer[:, rows]
                else:
                    products = _packed_outer(self._augmented(block, mean, scale))
                return (pair_weights(rows) @ products.T,)

            # by row blocks even with the products kept: the pairs' weights of all rows
            # at once took 114 MiB where the blocks took 8 (150000 x 2 x 10, in a review);
            # one block directly (the pass's calls were 2 to 3% of a fit on iris)
            width = first.size + n_dof * (n_dof + 1) // 2
            if outer is not None and len(self.chunks.slices(width)) == 1:
                (pairs,) = work(slice(0, self.n_samples), None)
            else:
                (pairs,) = self.chunks.map_reduce(work, width=width)
        else:

            def work(rows, block):
                xt = self._augmented(block, mean, scale)
                out = np.empty((first.size, n_dof, n_dof))
                for pair, weight in enumerate(pair_weights(rows)):
                    scaled = xt * np.sqrt(weight)[:, None]
                    out[pair] = scaled.T @ scaled  # a symmetric rank-m update
                return (out.reshape(first.size, n_dof * n_dof),)

            (pairs,) = self.chunks.map_reduce(work, width=2 * n_dof)
        stacked = np.empty((n_classes + first.size, pairs.shape[1]))
        np.matmul(incidence, pairs, out=stacked[:n_classes])  # D_a
        np.negative(pairs, out=stacked[n_classes:])
        if classes is None and (n_classes * n_dof) ** 2 <= _INDEXED_ENTRIES:
            return stacked.take(_whole_hessian_index(n_classes, n_dof, packed))
        kept = position if classes is None else position[np.ix_(classes, classes)]
        return _blocks_of(stacked, kept, n_dof, packed)

    def two_class_hessian(self, coef, mean=None, scale=None):
        """Two classes' Hessian as one block ``D``: ``H = [[D, -D], [-D, D]]``.

        With ``p_1 = 1 - p_0`` every block is ``+-D``, ``D = X~^T diag(s/S
        p_0 p_1) X~``: one symmetric product instead of three, and ``p_0
        p_1`` carries no cancellation where ``p_0 (1 - p_0) = p_0 - p_0^2``
        would.
        """
        proba = self._proba_at(coef)

        def work(rows, block):
            xt = self._augmented(block, mean, scale)
            p = proba_rows(proba, rows)
            a = xt * np.sqrt(self.sw[rows] * p[0] * p[1])[:, None]
            return (a.T @ a,)  # numpy's symmetric rank-k update: half the work

        (data,) = self.chunks.map_reduce(work, width=2 * self.n_dof)
        return data

    def hessian_diagonal(self, coef, mean=None, scale=None):
        """The diagonal of the Hessian at ``coef``, a vector like ``coef``.

        Entry ``(k, j)`` is ``sum_i s_i/S p_ik (1 - p_ik) x~_ij^2``. One pass
        over the data; a preconditioner of the conjugate-gradient solver.
        """
        proba = self._proba_at(coef)
        if sparse.issparse(self.X):
            return self._sparse_diagonal(proba, mean, scale).ravel()

        def work(rows, block):
            p = proba_rows(proba, rows)
            xt = self._augmented(block, mean, scale)
            return ((p * (1.0 - p) * self.sw[rows]) @ (xt * xt),)

        (diag,) = self.chunks.map_reduce(work, width=2 * self.n_dof)
        return diag.ravel()

    def _sparse_diagonal(self, proba, mean, scale):
        """The diagonal for sparse ``X``, kept sparse: shape (n_classes, n_dof).

        With ``w = s/S p (1 - p)`` and the values divided by their column's
        scale ``s_j`` (:func:`~._sparse_blocks.scaled_values`, before squaring),
        ``sum_i w_i ((x_ij - m_j) / s_j)^2 = w^T z_j^2 - 2 (m_j / s_j) w^T z_j
        + (m_j / s_j)^2 sum_i w_i`` with ``z = x / s``: sparse products
        instead of a dense standardised block, which for text-like data (1e5
        columns) would be far larger than the data. The three sums are taken
        over the blocks and combined once, and the blocks are as long as
        twice those sums allow (``products_only``: each adds partial sums as
        large as the coefficients). On the sparse-text data of
        ``benchmarks/bench_fit.py`` (1e5 x 1e5, 10 classes, one thread) 0.12
        s instead of 0.28 with 13 blocks combined one by one (79fb2bd).
        """
        centred = scale is not None and bool(np.any(mean))
        duplicates = self.chunks.duplicates

        def work(rows, block):
            p = proba_rows(proba, rows)
            w = p * (1.0 - p) * self.sw[rows]  # (n_classes, m)
            z = scaled_values(block, scale, duplicates)
            first = self._times_block(w, z) if centred else 0.0
            np.square(z.data, out=z.data)
            return self._times_block(w, z), first, w.sum(axis=1)

        # a block's values, copied, count with the caller's temporaries
        width = 2 * self.n_classes + int(np.ceil(self.chunks.values_per_row))
        second, first, total = self.chunks.map_reduce(
            work, width=width, products_only=True, sums=(1 + centred) * self.n_classes
        )
        if centred:
            offset = mean / scale
            second = second - 2 * first * offset + np.outer(total, offset * offset)
        if self.fit_intercept:
            return np.hstack([second, total[:, None]])
        return second

    def class_blocks(self, coef, mean=None, scale=None, max_rows=None):
        """The K diagonal blocks of the Hessian, shape (n_classes, n_dof, n_dof).

        Block ``k`` is ``X~^T diag(s/S p_k (1 - p_k)) X~``: the Hessian
        without the coupling between classes. It captures what makes
        first-order methods slow, correlated and saturated features, at
        ``1/K`` of the full Hessian's cost; the conjugate-gradient solver's
        preconditioner.

        With ``max_rows``, the blocks are estimated from evenly spaced row
        blocks holding about that many rows, rescaled by their share of the
        total weight: a preconditioner needs the blocks' shape, not their
        last digit, and on a million rows the exact blocks would cost more
        than the products they save. At a cold start
        (:meth:`_shared_probabilities`) block ``k`` is ``p_k (1 - p_k) G``:
        one Gram matrix instead of ``K``.
        """
        n_classes, n_dof = self.shape
        shared = self._shared_probabilities(coef)
        if shared is not None:
            curvature = shared * _sum_of_others(shared)
            return curvature[:, None, None] * self._gram(mean, scale, max_rows)
        proba = self._proba_at(coef)

        def work(rows, block):
            xt = self._augmented(block, mean, scale)
            p = proba_rows(proba, rows)
            root = np.sqrt(p * (1.0 - p) * self.sw[rows])
            gram = np.empty((n_classes, n_dof, n_dof))
            for k in range(n_classes):  # symmetric rank-k updates: half a product each
                a = xt * root[k, :, None]
                gram[k] = a.T @ a
            return (gram,)

        return self._sampled_sum(work, max_rows)

    def _sampled_sum(self, work, max_rows=None):
        """``work``'s sum over the row blocks, or over a sample of about ``max_rows`` rows.

        ``work(rows, block)`` returns a one-tuple. A sample's sum is divided by
        the share of the total weight its rows hold. The blocks are those of
        :meth:`class_blocks` (``(K + 1) n_dof`` values a row), so that its
        cold start (:meth:`_gram`) samples the same rows.
        """

        def weighed(rows, block):
            return (*work(rows, block), self.sw[rows].sum())

        width = (self.n_classes + 1) * self.n_dof
        total, share = self.chunks.map_reduce(weighed, width=width, max_rows=max_rows)
        if share < 1.0:
            total /= max(float(share), np.finfo(np.float64).tiny)
        return total

    def _shared_probabilities(self, coef):
        """The probabilities every row has where ``coef``'s weights are all zero, else None.

        With ``W = 0`` (a cold start: only the intercepts, the log-priors,
        are set) row ``i``'s probabilities are ``p = softmax(b)`` whatever
        its features, and the Hessian is ``(diag(p) - p p^T) (x) G`` with
        ``G = X~^T diag(s/S) X~``: one Gram matrix instead of a product per
        pair of classes. Measured (one core): the first class blocks of
        newton-cg on the standardised digits (1797 x 64 x 10) 0.48 ms instead
        of 4.4, the first Hessian of the texture look-alike (5500 x 40 x 11)
        0.84 ms instead of 17.6; default fits 7 to 20% faster on digits and
        the look-alikes of texture, satimage, pendigits and segment.
        """
        weights, intercept = self._split(coef)
        if self.ones_last:  # the intercept is the design's last column
            weights, intercept = weights[:, :-1], weights[:, -1]
        if weights.any():
            return None
        if intercept is None:
            return np.full(self.n_classes, 1.0 / self.n_classes)
        shifted = np.exp(intercept - intercept.max())
        return shifted / shifted.sum()

    def _gram(self, mean=None, scale=None, max_rows=None):
        """``G = X~^T diag(s/S) X~``, shape (n_dof, n_dof): one symmetric product a block.

        With ``max_rows``, estimated from the sample of row blocks that
        :meth:`class_blocks` takes.
        """

        def work(rows, block):
            a = self._augmented(block, mean, scale) * np.sqrt(self.sw[rows])[:, None]
            return (a.T @ a,)

        return self._sampled_sum(work, max_rows)

    def _outer_products_fit(self, n_rows):
        """Whether ``n_rows`` rows' outer products may be kept (:meth:`_outer_products`)."""
        packed = self.n_dof * (self.n_dof + 1) // 2
        return not sparse.issparse(self.X) and n_rows * packed <= _KEPT_OUTER_VALUES

    def _outer_products(self, mean=None, scale=None):
        """The rows' packed outer products (upper triangles of ``x~_i x~_i^T``), or None.

        Shape ``(n_dof (n_dof + 1) / 2, n_samples)`` (:func:`_packed_outer`); only for dense data
        whose products hold at most ``_KEPT_OUTER_VALUES`` values: built once
        and kept, so that every Hessian on these rows (of a fit, or of a
        path's fits on one fold) is one product of the samples' class-pair
        weights with them.
        """
        if not self._outer_fits:
            return None
        cached = self._whole_outer
        if cached is None or cached[0] is not mean or cached[1] is not scale:
            xt = self._augmented(self.chunks.block(slice(0, self.n_samples)), mean, scale)
            cached = self._whole_outer = (mean, scale, _packed_outer(xt))
        return cached[2]

    def _augmented(self, block, mean=None, scale=None):
        """A block of ``X~ = [X, 1]`` (or ``X``) as a dense float64 array.

        Standardised as ``(X - mean) / scale`` when those are given. A block
        of all rows (the data are one block, or :meth:`_outer_products`
        builds them) is built once and kept: the Newton solvers ask for it
        at every iteration, and on small data building it would cost more
        than the products it feeds.
        """
        if block.shape[0] == self.n_samples and not sparse.issparse(block):
            cached = self._whole_augmented
            if cached is None or cached[0] is not mean or cached[1] is not scale:
                # kept with the very arrays it was built from (the solvers never
                # modify mean and scale in place)
                cached = self._whole_augmented = (
                    mean,
                    scale,
                    self._build_augmented(block, mean, scale),
                )
            return cached[2]
        return self._build_augmented(block, mean, scale)

    def _build_augmented(self, block, mean, scale):
        block = block.toarray() if sparse.issparse(block) else block
        if scale is not None:
            block = (block - mean) / scale
        if self.fit_intercept:
            block = np.hstack([block, np.ones((block.shape[0], 1))])
        return block
