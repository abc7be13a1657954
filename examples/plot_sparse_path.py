"""
Coefficient paths of sparse models, as glmnet draws them
========================================================

:func:`sk_softmax.softmax_path` fits a sparse :class:`~sk_softmax.SoftmaxClassifier` at
every ``C`` of a grid, from ``C_0``, the largest ``C`` at which every weight is zero,
upwards, each fit warm-started from the last. Drawn against ``log C``, one line per
coefficient and the number of features in the model along the top axis, these are the
pictures R's glmnet draws. Left, the L1 penalty on every entry of ``W``
(``l1_groups=None``): a feature enters one class at a time. Right, the grouped penalty
(``l1_groups="features"``): a feature's three coefficients enter together.
"""

# %%
# The two paths
# -------------
# The wine data (13 chemical measurements of 178 wines, 3 cultivars), standardised so
# that the penalty treats every feature alike. The lasso (``l1_ratio=1``), 100 values of
# ``C`` spaced evenly in ``log C`` from ``C_0`` to ``1e4 C_0``, glmnet's default path.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from sk_softmax import softmax_path

wine = load_wine()
X = StandardScaler().fit_transform(wine.data)
y = wine.target
names = wine.feature_names

paths = {}
for label, groups in [("L1 on every entry", None), ('grouped, l1_groups="features"', "features")]:
    Cs, coefs, n_nonzero = softmax_path(X, y, l1_ratio=1.0, l1_groups=groups, Cs=100)
    paths[label] = (Cs, coefs[:, :, :-1], n_nonzero)  # the intercepts (last column) aside
    print(f"{label}: C_0 = {Cs[0]:.4f}, features at 1e4 C_0: {n_nonzero[-1]} of {X.shape[1]}")

# %%
# The order in which the features enter
# -------------------------------------
# A feature enters at the first ``C`` where one of its coefficients is not zero. The
# grouped path lets each feature in once, for every class; the entry-wise path lets it
# in for one cultivar, and possibly later for another.
for label, (Cs, W, _) in paths.items():
    first = np.argmax(np.any(W != 0, axis=1), axis=0)  # path index, per feature
    used = np.any(W != 0, axis=(0, 1))
    order = sorted(np.flatnonzero(used), key=lambda j: first[j])
    print(f"{label}:")
    for j in order[:6]:
        print(f"  C = {Cs[first[j]]:8.4f}  {names[j]}")

# %%
# The paths
# ---------
# One panel per cultivar (row) and penalty (column); each line is a feature's
# coefficient in that cultivar's row of ``W``, in the same colour everywhere. The top
# axis counts the features with a non-zero weight in some class.
palette = plt.colormaps["tab20"].colors
colours = [palette[i] for i in (*range(0, 20, 2), 1, 5, 9)]  # 13 colours, 10 of them strong
fig, axes = plt.subplots(3, 2, figsize=(10, 9), sharex=True, sharey=True,
                         layout="constrained")  # fmt: skip
for column, (label, (Cs, W, n_nonzero)) in enumerate(paths.items()):
    log_C = np.log(Cs)
    ticks = np.linspace(0, len(Cs) - 1, 6).astype(int)
    for k in range(3):
        ax = axes[k, column]
        for j in range(len(names)):
            ax.plot(log_C, W[:, k, j], color=colours[j], lw=1.3)
        ax.axhline(0.0, color="black", lw=0.6)
        top = ax.secondary_xaxis("top")
        top.set_xticks(log_C[ticks], labels=[str(n) for n in n_nonzero[ticks]])
        top.tick_params(labelsize=8)
        ax.set_ylabel(f"cultivar {k}")
    axes[0, column].set_title(f"{label}\n(top: number of features)", fontsize=10)
    axes[-1, column].set_xlabel("log C")
handles = [plt.Line2D([], [], color=colours[j], lw=2) for j in range(len(names))]
fig.legend(handles, names, loc="outside lower center", ncol=5, fontsize=8)
plt.show()

# %%
# What the picture shows
# ----------------------
# Left, at every ``C`` at least one of each feature's three coefficients is zero, and
# the features enter the cultivars one at a time. With three classes the L1 optimum
# always has such a zero (the theory page shows why: adding one value to a feature's
# three coefficients changes no prediction, and the L1 norm is smallest when that value
# makes zero their median), so the zeros of the entry-wise model say which cultivar a
# feature is measured against, not that it is useless for that cultivar. Right, a
# feature is in or out for every cultivar at once, and its three coefficients sum to
# zero (the group norm, like the ridge, prefers the mean): the count on the top axis is
# the number of measurements the model needs.
W = paths['grouped, l1_groups="features"'][1]
print(f"largest column sum of the grouped path's W: {np.abs(W.sum(axis=1)).max():.1e}")
W = paths["L1 on every entry"][1]
print(f"entry-wise path, a zero in every column of W at every C: {np.all(np.any(W == 0, axis=1))}")
