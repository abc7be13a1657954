"""Symmetric matrices by their upper triangles: where the Hessian's entries come from.

The index bookkeeping of :mod:`._second_order`: the pairs of classes whose
blocks make up the Hessian, the positions of a symmetric matrix's entries in
its packed upper triangle, and the rows' packed outer products
``x~_i x~_i^T`` that the Hessian's blocks of small data multiply. Pure
functions of shapes (cached, read-only) or of one block of rows.
"""

import functools

import numpy as np


@functools.lru_cache(maxsize=32)
def _pairs(n):
    """The pairs ``a <= b`` of ``range(n)`` (two index arrays) and their positions, (n, n).

    ``position[a, b] = position[b, a]`` is the index of the pair: a symmetric
    matrix stored as its upper triangle, unpacked by ``packed[position]``.
    Cached (read-only arrays): building them took a quarter of a Newton
    step on iris (0.25 ms of a 1.7 ms fit, twice per step).
    """
    first, second = np.triu_indices(n)
    position = np.empty((n, n), dtype=np.intp)
    position[first, second] = position[second, first] = np.arange(first.size)
    for index in (first, second, position):
        index.flags.writeable = False
    return first, second, position


@functools.lru_cache(maxsize=32)
def _class_pairs(n_classes):
    """The pairs ``a < b`` of the classes, and how the Hessian's class blocks follow from theirs.

    Returns ``(first, second, incidence, position)``: the pairs as two index
    arrays; ``incidence`` (n_classes, n_pairs), 1 where class ``a`` is in
    pair ``p``; ``position`` (n_classes, n_classes), the row of block ``(a,
    b)`` in the stack ``[D_0 .. D_{K-1}, -O_p ..]`` that
    :meth:`SecondOrder.class_hessian` builds (``a`` for ``(a, a)``, ``K + p``
    for the pair ``p`` of ``a != b``). Cached (read-only arrays).
    """
    first, second = np.triu_indices(n_classes, k=1)
    pairs = np.arange(first.size)
    incidence = np.zeros((n_classes, first.size))
    incidence[first, pairs] = incidence[second, pairs] = 1.0
    position = np.empty((n_classes, n_classes), dtype=np.intp)
    position[first, second] = position[second, first] = n_classes + pairs
    position[np.diag_indices(n_classes)] = np.arange(n_classes)
    for array in (first, second, incidence, position):
        array.flags.writeable = False
    return first, second, incidence, position


# The most entries of a Hessian whose flat index into its stacked blocks is cached (512 KB
# of indices a shape, 32 shapes at most); larger ones are assembled by a broadcast index.
_INDEXED_ENTRIES = 1 << 16


@functools.lru_cache(maxsize=32)
def _whole_hessian_index(n_classes, n_dof, packed):
    """Flat positions in the stacked blocks of every entry of the full Hessian (read-only).

    See :func:`_blocks_of`; one ``take`` with it assembles the Hessian: on
    iris a fancy index over four axes cost as much as the blocks' product.
    For Hessians of at most ``_INDEXED_ENTRIES`` entries.
    """
    dof_position, width = _dof_layout(n_dof, packed)
    class_position = _class_pairs(n_classes)[3]
    index = class_position[:, None, :, None] * width + dof_position[None, :, None, :]
    size = n_classes * n_dof
    index = index.reshape(size, size)
    index.flags.writeable = False
    return index


def _blocks_of(stacked, class_position, n_dof, packed):
    """The symmetric matrix whose block ``(a, b)`` is row ``class_position[a, b]`` of ``stacked``.

    ``packed``: the rows hold blocks as upper triangles (``_pairs(n_dof)``),
    else as whole ``n_dof x n_dof`` matrices. Shape ``(c n_dof,) * 2`` for
    ``class_position`` of shape (c, c).
    """
    dof_position, _ = _dof_layout(n_dof, packed)
    size = class_position.shape[0] * n_dof
    blocks = stacked[class_position[:, None, :, None], dof_position[None, :, None, :]]
    return blocks.reshape(size, size)


def _dof_layout(n_dof, packed):
    """The positions of a block's entries in its row of the stack, and the row's length."""
    if packed:
        return _pairs(n_dof)[2], n_dof * (n_dof + 1) // 2
    return np.arange(n_dof * n_dof).reshape(n_dof, n_dof), n_dof * n_dof


def _packed_outer(xt):
    """The rows' outer products ``x~_i x~_i^T``, upper triangles only, as columns.

    Shape ``(d (d + 1) / 2, m)`` for ``xt`` of shape ``(m, d)``: built along
    contiguous rows of ``xt.T`` (writing the transposed layout row by row
    took 1.5 times as long on a 541 x 41 block).
    """
    m, d = xt.shape
    columns = np.ascontiguousarray(xt.T)
    out = np.empty((d * (d + 1) // 2, m))
    start = 0
    for a in range(d):  # in the order of np.triu_indices
        np.multiply(columns[a], columns[a:], out=out[start : start + d - a])
        start += d - a
    return out
