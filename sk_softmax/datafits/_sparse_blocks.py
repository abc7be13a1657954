"""Sparse blocks of X that share its arrays: row views, transposes, scaled copies of values.

scipy's own slicing and transposing copy the index arrays of views (see
:func:`sharing`); on text data those copies were a third of a
Hessian-vector product. The row blocks of :mod:`._blocks` and the sums of
squares of :mod:`.moments` and :mod:`._second_order` build their CSR and CSC
blocks here instead.
"""

import numpy as np
from scipy import sparse


def sharing(like, fmt, shape, indptr, indices, data):
    """A ``fmt`` ("csr" or "csc") matrix of ``shape`` on these arrays, not copies.

    scipy's constructor (and so ``X[rows]`` and ``.T``) copies arrays that
    are views of less than half their base: they are assigned to an empty
    matrix instead. The same flavour (sparse array or matrix) as ``like``.
    Assigning the arrays is not a documented scipy API; it is kept because
    the copies were a third of a Hessian-vector product on text data (the
    sparse-text fit of ``benchmarks/bench_fit.py``: 7.3 s with them, 5.2 s
    without), and tests/test_loss.py checks that the blocks still share X.
    """
    array = isinstance(like, sparse.sparray)
    if fmt == "csr":
        kind = sparse.csr_array if array else sparse.csr_matrix
    else:
        kind = sparse.csc_array if array else sparse.csc_matrix
    out = kind(shape, dtype=like.dtype)
    out.indptr, out.indices, out.data = indptr, indices, data
    return out


def csr_rows(X, rows):
    """The rows ``rows`` (a slice, step 1) of CSR ``X``, sharing its data and indices.

    ``X[rows]`` copies them: on text data that copy took a third of a
    Hessian-vector product.
    """
    start, stop = X.indptr[rows.start], X.indptr[rows.stop]
    indptr = X.indptr[rows.start : rows.stop + 1] - start
    shape = (rows.stop - rows.start, X.shape[1])
    return sharing(X, "csr", shape, indptr, X.indices[start:stop], X.data[start:stop])


def transposed(block):
    """``block.T`` for a CSR or CSC ``block``, sharing its arrays (else ``block.T``)."""
    if block.format not in ("csr", "csc"):
        return block.T
    fmt = "csc" if block.format == "csr" else "csr"
    shape = block.shape[::-1]
    return sharing(block, fmt, shape, block.indptr, block.indices, block.data)


def scaled_values(block, scale=None, duplicates=False):
    """A sparse ``block``'s values in float64, each divided by its column's ``scale``.

    A CSR or CSC copy whose values the caller may change (squaring them, say),
    sharing the index arrays of ``block``: for sums of ``w x`` and ``w x^2``
    over the rows, where the squares of the values themselves would need
    ``block.multiply(block)``, which merges the two index lists entry by
    entry (3.4 ms of a 10 ms block on the sparse-text data of
    ``benchmarks/bench_fit.py``). Divided before any square, so that
    columns of 1e170 (or of 1e25 in float32) neither overflow nor
    underflow. With ``duplicates`` (:func:`has_duplicates`), or another
    format, the entries stored twice are summed first, in a copy with its
    own indices: a square of the parts is not the square of the entry.
    """
    if duplicates or block.format not in ("csr", "csc"):
        block = block.tocsr(copy=True)
        block.sum_duplicates()
    if scale is None:
        values = block.data.astype(np.float64)
    else:  # one array as long as the values: the divisors, then the quotients in their place
        scale = np.asarray(scale, dtype=np.float64)
        if block.format == "csr":
            values = scale[block.indices]
        else:
            values = np.repeat(scale, np.diff(block.indptr))
        np.divide(block.data, values, out=values)
    return sharing(block, block.format, block.shape, block.indptr, block.indices, values)


def has_duplicates(X):
    """Whether sparse ``X`` may store some entry more than once.

    CSR and CSC: not when scipy finds the format canonical (indices sorted,
    none twice), judged on an alias so that no flag is cached on ``X``;
    otherwise its index arrays are sorted in a copy, and duplicates summed
    there (the values are not copied): 26 ms on the 4.7e6 unsorted values
    of the sparse-text data of ``benchmarks/bench_fit.py``. Other formats:
    True (:func:`scaled_values` converts and sums them anyway).
    """
    if X.format not in ("csr", "csc"):
        return True
    if sharing(X, X.format, X.shape, X.indptr, X.indices, X.data).has_canonical_format:
        return False
    kind = sparse.csr_matrix if X.format == "csr" else sparse.csc_matrix
    marks = kind((np.ones(X.nnz, np.int8), X.indices.copy(), X.indptr.copy()), shape=X.shape)
    marks.sum_duplicates()
    return marks.nnz != X.nnz
