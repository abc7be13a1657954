"""Cluster labels for ``cov_type="cluster"``: validated and encoded as the backend holds rows."""

import numpy as np

from ..backends import is_dask_collection


def _codes(groups, n_samples):
    """``(codes, n_labels)`` of in-memory labels, checked."""
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n_samples:
        raise ValueError(
            f"groups has shape {groups.shape}, but X has {n_samples} samples: pass one "
            "cluster label per sample."
        )
    if groups.dtype.kind == "f" and np.isnan(groups).any():
        raise ValueError("groups holds NaN: give every sample a cluster label.")
    try:
        labels, codes = np.unique(groups, return_inverse=True)
    except TypeError as exc:
        raise TypeError(
            f"groups holds labels that cannot be compared ({exc}): use labels of one type."
        ) from None
    return codes.reshape(-1).astype(np.intp), labels.size


def _dask_codes(groups, X):
    """``(codes, n_labels)``: dask codes chunked like ``X``'s rows."""
    import dask.array as da

    from ..backends.dask import _as_dask_array, _encode

    if not is_dask_collection(groups):
        codes, n_labels = _codes(groups, X.shape[0])
        return da.from_array(codes, chunks=(X.chunks[0],)), n_labels
    groups = _as_dask_array(groups, "groups")
    if groups.ndim != 1 or groups.shape[0] != X.shape[0]:
        raise ValueError(
            f"groups has shape {groups.shape}, but X has {X.shape[0]} samples: pass one "
            "cluster label per sample."
        )
    labels = da.unique(groups).compute()
    codes = groups.rechunk((X.chunks[0],)).map_blocks(_encode, classes=labels, dtype=np.intp)
    return codes, labels.size


def _group_totals(codes, weights, n_labels):
    return np.bincount(codes, weights=weights, minlength=n_labels)


def encode_groups(groups, data, sample_weight):
    """``(codes, n_labels, n_groups)``: codes of the backend's kind, the groups of positive weight.

    ``codes`` hold one integer in ``range(n_labels)`` per row, as the data
    term's ``score_sums`` takes them; ``n_groups`` counts the clusters with
    positive total weight (those with none add nothing to the meat, and do
    not count in the CR1 correction).
    """
    if groups is None:
        raise ValueError(
            "cov_type='cluster' needs groups: one cluster label per sample "
            "(groups=..., e.g. the id of the school, the patient or the household)."
        )
    X = data.X
    if is_dask_collection(X):
        from ..datafits.dask import per_chunk

        codes, n_labels = _dask_codes(groups, X)
        parts = per_chunk(_group_totals, codes, sample_weight, n_labels=n_labels)
        totals = np.sum(parts, axis=0)
    elif hasattr(data, "xp"):  # an Array API namespace: codes on X's device
        from sklearn.utils._array_api import move_to

        host = groups if isinstance(groups, np.ndarray) else move_to(groups, xp=np, device="cpu")
        host_codes, n_labels = _codes(host, data.n_samples)
        weights = np.asarray(move_to(sample_weight, xp=np, device="cpu"), dtype=np.float64)
        totals = _group_totals(host_codes, weights, n_labels)
        codes = data.xp.asarray(host_codes, device=data.device)
    else:
        codes, n_labels = _codes(groups, data.n_samples)
        totals = _group_totals(codes, sample_weight, n_labels)
    n_groups = int(np.count_nonzero(totals > 0))
    if n_groups < 2:
        raise ValueError(
            f"cov_type='cluster' needs at least 2 clusters of positive weight; groups has "
            f"{n_groups}. Use cov_type='HC0' or 'HC1' for independent rows."
        )
    return codes, n_labels, n_groups
