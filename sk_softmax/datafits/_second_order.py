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


def _class_diagonal_blocks(matrix, n_classes):
    """A writable view of the ``n_classes`` diagonal blocks of a square matrix."""
    size = matrix.shape[0] // n_classes
    row, col = matrix.strides
    return np.lib.stride_tricks.as_strided(
        matrix, shape=(n_classes, size, size), strides=(size * (row + col), row, col)
    )


class SecondOrder:
    """The second-order methods of the NumPy data term (see the module docstring)."""

    def hessian(self, coef, mean=None, scale=None):
        """The full Hessian at ``coef``, shape (n_classes * n_dof,) * 2.

        Both parts of the formula are computed a block of rows at a time with
        one large product each:

        - ``diag(p_i)``: the diagonal blocks ``X~^T diag(s p_k) X~``, all K at
          once as ``X~^T [s p_1 X~, ..., s p_K X~]``;
        - ``p_i p_i^T``: the Gram matrix ``Z^T Z`` of the rows
          ``z_i = sqrt(s_i) p_i (x) x~_i``, a symmetric rank-m update that
          BLAS computes once for all ``K (K + 1) / 2`` block pairs.

        Extra memory: O(block_rows * n_classes * n_dof) per block. Two classes
        assemble :meth:`two_class_hessian`'s block; small dense data take one
        product with the rows' outer products instead (:meth:`_outer_products`).
        """
        n_classes, n_dof = self.shape
        size = n_classes * n_dof
        if n_classes == 2:
            data = self.two_class_hessian(coef, mean, scale)
            hess = np.empty((size, size))
            hess[:n_dof, :n_dof] = hess[n_dof:, n_dof:] = data
            hess[:n_dof, n_dof:] = hess[n_dof:, :n_dof] = -data
            return hess
        proba = self._proba_at(coef)
        outer = self._outer_products(mean, scale)
        if outer is not None:
            # H = sum_i W_i (x) x~_i x~_i^T with W_i = s_i (diag(p_i) - p_i p_i^T):
            # the K^2 weights of every sample times its D^2 products, one product
            sp = proba * self.sw
            weights = -(sp[:, None, :] * proba[None, :, :]).reshape(n_classes**2, -1)
            weights[:: n_classes + 1] += sp
            hess = (weights @ outer).reshape(n_classes, n_classes, n_dof, n_dof)
            return hess.transpose(0, 2, 1, 3).reshape(size, size)  # a contiguous copy

        def work(rows, block):
            xt = self._augmented(block, mean, scale)  # (m, n_dof)
            p = proba[:, rows].T  # (m, n_classes)
            sw = self.sw[rows, None]
            m = xt.shape[0]
            stacked = ((p * sw)[:, :, None] * xt[:, None, :]).reshape(m, size)
            z = ((np.sqrt(sw) * p)[:, :, None] * xt[:, None, :]).reshape(m, size)
            return xt.T @ stacked, z.T @ z

        diag_blocks, gram = self.chunks.map_reduce(work, width=2 * size)
        hess = -gram
        _class_diagonal_blocks(hess, n_classes)[...] += diag_blocks.reshape(
            n_dof, n_classes, n_dof
        ).transpose(1, 0, 2)
        return hess

    def class_hessian(self, coef, classes, mean=None, scale=None):
        """The Hessian's rows and columns of the classes ``classes``, in that order.

        Shape ``(len(classes) * n_dof,) * 2``: the Hessian with respect to
        those classes' coefficients, the others held fixed. With every class
        but a baseline it is the Hessian of the baseline parameterisation
        (``sk_softmax.inference``), which has no flat direction.

        Block ``(k, l)`` is ``X~^T diag(s/S (delta_kl p_k - p_k p_l)) X~``:
        a weight of one sign, so each of the ``c (c + 1) / 2`` distinct
        blocks is one symmetric rank-m update of a scaled copy of the row
        block, ``n_dof^2 / 2`` per row, against ``(c n_dof)^2 / 2`` for the
        Gram matrix of :meth:`hessian` (2.5 times less work for four
        classes). ``1 - p_k`` is summed from the other classes, so that
        ``p_k`` near one keeps its digits.
        """
        proba = self._proba_at(coef)
        classes = np.asarray(classes, dtype=np.intp)
        n_kept, n_dof = classes.size, self.n_dof
        outer = self._outer_products(mean, scale)
        if outer is not None:  # small data: one product, as in hessian()
            q = proba[classes]
            sq = q * self.sw
            weights = -(sq[:, None, :] * q[None, :, :]).reshape(n_kept**2, -1)
            weights[:: n_kept + 1] += sq
            blocks = (weights @ outer).reshape(n_kept, n_kept, n_dof, n_dof)
        else:

            def work(rows, block):
                xt = self._augmented(block, mean, scale)
                p = proba[:, rows]
                sw = self.sw[rows]
                out = np.zeros((n_kept, n_kept, n_dof, n_dof))
                for a, k in enumerate(classes):
                    rest = p.sum(axis=0, where=np.arange(p.shape[0])[:, None] != k)
                    scaled = xt * np.sqrt(sw * p[k] * rest)[:, None]
                    out[a, a] = scaled.T @ scaled  # symmetric rank-m updates throughout
                    for b in range(a + 1, n_kept):
                        scaled = xt * np.sqrt(sw * p[k] * p[classes[b]])[:, None]
                        out[a, b] = -(scaled.T @ scaled)
                return (out,)

            (blocks,) = self.chunks.map_reduce(work, width=2 * n_dof)
            upper = np.triu_indices(n_kept, 1)
            blocks[upper[1], upper[0]] = blocks[upper].transpose(0, 2, 1)
        size = n_kept * n_dof
        return blocks.transpose(0, 2, 1, 3).reshape(size, size)

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
            p = proba[:, rows]
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

        def work(rows, block):
            p = proba[:, rows]
            w = p * (1.0 - p) * self.sw[rows]  # (n_classes, m)
            if sparse.issparse(block):
                return (self._sparse_diagonal(block, w, mean, scale),)
            xt = self._augmented(block, mean, scale)
            return (w @ (xt * xt),)

        width = 2 * self.n_classes if sparse.issparse(self.X) else 2 * self.n_dof
        (diag,) = self.chunks.map_reduce(work, width=width)
        return diag.ravel()

    def _sparse_diagonal(self, block, w, mean, scale):
        """``w^T ((X~ - mean) / scale)^2`` for a sparse block, kept sparse.

        ``sum_i w_i (x_ij - m_j)^2 = w^T x_j^2 - 2 m_j w^T x_j + m_j^2 sum_i w_i``:
        three sparse products instead of a dense standardised block, which for
        text-like data (1e5 columns) would be far larger than the data.
        """
        total = w.sum(axis=1)  # (K,)
        second = self._times_block(w, block.multiply(block))  # (K, d)
        if scale is not None:
            first = self._times_block(w, block)
            second = second - 2 * first * mean + np.outer(total, mean * mean)
            second /= scale * scale
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
        than the products they save.
        """
        proba = self._proba_at(coef)
        n_classes, n_dof = self.shape

        def work(rows, block):
            xt = self._augmented(block, mean, scale)
            p = proba[:, rows]
            root = np.sqrt(p * (1.0 - p) * self.sw[rows])
            gram = np.empty((n_classes, n_dof, n_dof))
            for k in range(n_classes):  # symmetric rank-k updates: half a product each
                a = xt * root[k, :, None]
                gram[k] = a.T @ a
            return gram, self.sw[rows].sum()

        blocks, share = self.chunks.map_reduce(
            work, width=(n_classes + 1) * n_dof, max_rows=max_rows
        )
        if share < 1.0:
            blocks /= max(float(share), np.finfo(np.float64).tiny)
        return blocks

    def _outer_products_fit(self, n_rows):
        """Whether ``n_rows`` rows' outer products fit in a block (:meth:`_outer_products`)."""
        return not sparse.issparse(self.X) and n_rows * self.n_dof**2 <= _BLOCK_VALUES

    def _outer_products(self, mean=None, scale=None):
        """The rows' outer products ``x~_i x~_i^T``, shape (n_samples, n_dof^2), or None.

        Only for dense data whose products hold at most a block's worth of
        values (``_BLOCK_VALUES``); built once and kept. With them the
        Hessian is one product of the samples' class weights with these,
        instead of two products of size-``n K n_dof`` temporaries built by
        broadcasting, which on small data (iris: 150 x 5, three classes)
        cost three times as long.
        """
        if not self._outer_fits:
            return None
        n_dof = self.n_dof
        cached = self._whole_outer
        if cached is None or cached[0] is not mean or cached[1] is not scale:
            xt = self._augmented(self.chunks.block(slice(0, self.n_samples)), mean, scale)
            outer = (xt[:, :, None] * xt[:, None, :]).reshape(self.n_samples, n_dof * n_dof)
            cached = self._whole_outer = (mean, scale, outer)
        return cached[2]

    def _augmented(self, block, mean=None, scale=None):
        """A block of ``X~ = [X, 1]`` (or ``X``) as a dense float64 array.

        Standardised as ``(X - mean) / scale`` when those are given. When the
        data are one block, it is built once and kept (at most a block's
        size, ``_BLOCK_VALUES`` values): the Newton solvers ask for it at
        every iteration, and on small data building it would cost more than
        the products it feeds.
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
