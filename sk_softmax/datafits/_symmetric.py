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


@functools.lru_cache(maxsize=32)
def _whole_hessian_index(n_classes, n_dof, packed):
    """Flat positions in the stacked blocks of every entry of the full Hessian (read-only).

    ``packed``: blocks stored as upper triangles (``_pairs(n_dof)``), else
    as whole ``n_dof x n_dof`` matrices. One ``take`` then assembles the
    Hessian: on iris a fancy index over four axes cost as much as the
    blocks' product.
    """
    index = _block_index(_class_pairs(n_classes)[3], n_dof, packed)
    index.flags.writeable = False
    return index


def _block_index(class_position, n_dof, packed):
    """Flat positions of the blocks ``class_position`` (kept, kept) in the stacked blocks."""
    if packed:
        dof_position, width = _pairs(n_dof)[2], n_dof * (n_dof + 1) // 2
    else:
        dof_position, width = np.arange(n_dof * n_dof).reshape(n_dof, n_dof), n_dof * n_dof
    index = class_position[:, None, :, None] * width + dof_position[None, :, None, :]
    size = class_position.shape[0] * n_dof
    return index.reshape(size, size)


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
