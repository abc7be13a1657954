"""
Selecting whole categorical variables with l1_groups
====================================================

A categorical variable enters a linear model as its one-hot columns, one per level. The
plain L1 penalty judges every column, in every class, on its own: it keeps a scattered
handful of dummy columns, some of them from variables that carry no information, and
says little about which *variables* matter. With ``l1_groups`` set to the variable each
column came from, :class:`~sk_softmax.SoftmaxClassifier` penalises the norm of each
variable's whole block of coefficients, ``sqrt(|g|) ||W_:,g||_F`` (the theory page says
why ``sqrt(|g|)``): a variable enters or leaves the model with all its levels, for
every class at once.
"""

# %%
# A table with informative and useless variables
# ----------------------------------------------
# 900 rows, six categorical variables, three classes. Three variables move the class
# probabilities (every level has its own effect on each class's log-odds); the other
# three are noise, with as many levels or more, so that a careless selection has every
# chance to pick them.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from sk_softmax import SoftmaxClassifierCV, softmax_path

rng = np.random.default_rng(0)
n_samples, n_classes = 900, 3
variables = {  # name: (number of levels, strength of its effect)
    "region": (6, 1.2),
    "soil": (4, 1.0),
    "vintage": (5, 0.6),
    "shop": (8, 0.0),
    "weekday": (7, 0.0),
    "bottle": (4, 0.0),
}
columns, levels, score = [], [], np.zeros((n_samples, n_classes))
for name, (n_levels, strength) in variables.items():
    codes = rng.integers(n_levels, size=n_samples)
    effect = strength * rng.standard_normal((n_levels, n_classes))
    score += effect[codes]
    names = np.array([f"{name}_{level}" for level in range(n_levels)], dtype=object)
    columns.append(names[codes])
    levels.append(names)
table = np.column_stack(columns)  # strings, as a data frame's categorical columns
y = np.argmax(score + rng.gumbel(size=score.shape), axis=1)
print(table[:3])

# %%
# The group of each one-hot column
# --------------------------------
# The levels are given to :class:`~sklearn.preprocessing.OneHotEncoder` (as they would
# be from a data dictionary), so that its columns, and the variable each comes from, are
# known before any fit: ``groups`` is that list, one id per output column, the variable's
# name. (With levels found from the data, fit the encoder first and build ``groups``
# from its ``categories_`` in the same way.) All the levels are kept, no ``drop``: the
# penalty, not an arbitrary reference level, decides how the variable is represented.
groups = np.repeat(list(variables), [len(names) for names in levels])
encoder = OneHotEncoder(categories=levels, sparse_output=False)
print(f"{groups.size} one-hot columns from {len(variables)} variables")

# %%
# The paths
# ---------
# Both penalties along their whole paths (:func:`sk_softmax.softmax_path` on the
# encoded rows, the lasso, ``l1_ratio=1``, 30 values of ``C`` from ``C_0``, where every
# weight is zero, to ``1e4 C_0``): for each variable, the share of its coefficients (its
# levels times the three classes) that are not zero.
X_train, X_test, y_train, y_test = train_test_split(table, y, test_size=0.3, random_state=0,
                                                    stratify=y)  # fmt: skip
encoded = encoder.fit_transform(X_train)
paths = {
    label: softmax_path(encoded, y_train, l1_ratio=1.0, l1_groups=l1_groups, Cs=30)
    for label, l1_groups in [("grouped", groups), ("entry-wise", None)]
}
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True, layout="constrained")
colours = dict(zip(variables, plt.colormaps["tab10"].colors, strict=False))
for ax, (label, (Cs, coefs, _)) in zip(axes, paths.items(), strict=True):
    for i, (name, (_, strength)) in enumerate(variables.items()):
        share = np.mean(coefs[:, :, :-1][:, :, groups == name] != 0, axis=(1, 2))
        # thinner lines drawn over thicker ones: variables that enter together stay visible
        kind = "informative" if strength > 0 else "noise"
        style = "-" if strength > 0 else "--"
        width = 4.5 - 0.6 * i
        ax.plot(Cs / Cs[0], share, style, color=colours[name], lw=width, label=f"{name} ({kind})")
    ax.set_xscale("log")
    ax.set_xlabel("C / C_0")
    ax.set_title(f"{label}: l1_groups={'groups' if label == 'grouped' else 'None'}")
axes[0].set_ylabel("share of the variable's coefficients\nthat are not zero")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=8)
plt.show()

# %%
# Left, every variable is a step from 0 to 1: all its coefficients enter at one ``C``.
# The path ranks the variables, and the three informative ones come first:
Cs, coefs, _ = paths["grouped"]
in_model = coefs[:, :, :-1] != 0  # (n_Cs, n_classes, n_columns)
enters = {name: np.argmax(in_model[:, :, groups == name].any(axis=(1, 2))) for name in variables}
for name in sorted(variables, key=enters.get):
    print(f"{name:<8} enters at C = {Cs[enters[name]] / Cs[0]:5.2f} C_0")

# %%
# Right, the entry-wise penalty lets each variable in level by level and class by class,
# and the noise variables collect scattered coefficients as ``C`` grows. No variable
# ever gets past two thirds: with three classes the L1 optimum leaves at least one of
# each column's three coefficients at zero (the theory page shows why: the model does
# not change when one value is added to a column's three coefficients, and the L1 norm
# is smallest when that value makes zero their median).
#
# Cross-validated models in a pipeline
# ------------------------------------
# For a model to use, ``C`` is chosen by 5-fold cross-validation on the log-loss,
# :class:`~sk_softmax.SoftmaxClassifierCV` at the end of a pipeline that one-hot encodes
# the raw table: ``l1_groups=groups`` names the encoder's output columns, which the
# pipeline's last step sees.
folds = StratifiedKFold(5, shuffle=True, random_state=0)
models = {}
for label, l1_groups in [("grouped", groups), ("entry-wise", None)]:
    search = SoftmaxClassifierCV(Cs=10, l1_ratios=[1.0], l1_groups=l1_groups, cv=folds,
                                 scoring="neg_log_loss")  # fmt: skip
    models[label] = make_pipeline(encoder, search).fit(X_train, y_train)

print("one-hot columns with a non-zero coefficient, and the size of the variable's block")
print(f"{'variable':<9}{'columns':>8}{'grouped':>9}{'entry-wise':>12}{'RMS, grouped':>14}")
for name in variables:
    block = models["grouped"][-1].coef_[:, groups == name]
    kept = [
        np.any(model[-1].coef_[:, groups == name] != 0, axis=0).sum() for model in models.values()
    ]
    rms = np.sqrt(np.mean(block**2))
    print(f"{name:<9}{block.shape[1]:>8}{kept[0]:>9}{kept[1]:>12}{rms:>14.3f}")
for label, model in models.items():
    coef = model[-1].coef_
    log_loss = -model.score(X_test, y_test)  # the search's scoring: the negated log-loss
    print(f"{label:<10} C = {model[-1].C_ / model[-1].Cs_[0, 0]:.3g} C_0: "
          f"{np.count_nonzero(coef)} non-zero of {coef.size} coefficients, "
          f"held-out log-loss {log_loss:.3f}")  # fmt: skip

# %%
# The grouped model keeps each variable whole or not at all; the entry-wise model keeps
# some levels of most variables, and its table does not say which variables matter. The
# two predict the held-out rows about as well.
#
# Cross-validation chooses ``C`` for prediction, and here, as often with the lasso, the
# ``C`` that predicts best is larger than the one that keeps only the informative ones: small
# coefficients on a noise variable cost little held-out log-loss, so some noise variables
# may be in the chosen model, whole, with blocks much smaller than the informative ones
# (the last column). To *select* variables, read the path, which ranks them, or take a
# smaller ``C``: cross-validation's scores, ``scores_``, show how little the held-out
# log-loss changes over a range of ``C`` around the chosen one.
