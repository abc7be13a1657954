"""
The cross-validation curve of SoftmaxClassifierCV
=================================================

:class:`~sk_softmax.SoftmaxClassifierCV` fits every fold along a warm-started path of
``C`` values and keeps every fold's score in ``scores_`` (one row per fold, one column
per ``C``). Their mean over the folds, with the spread between folds, is the
cross-validation curve from which it picks ``C_``: the best mean score, ties going to the
first ``C`` of ``Cs``.
"""

# %%
# The search
# ----------
# The wine data (13 chemical measurements, 3 cultivars), standardised so that the
# penalty treats every feature alike. Scored by the log-loss, which judges the
# probabilities and not only the predicted class.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifierCV

X, y = load_wine(return_X_y=True)
X = StandardScaler().fit_transform(X)

search = SoftmaxClassifierCV(
    Cs=np.logspace(-3, 3, 13),
    cv=StratifiedKFold(5, shuffle=True, random_state=0),
    scoring="neg_log_loss",
).fit(X, y)
print(f"chosen C: {search.C_:.3g}")
print(f"solver iterations, all folds and Cs: {search.n_iter_.sum()}")

# %%
# The curve
# ---------
# ``scores_`` holds the negated log-loss; the curve shows the log-loss itself, the
# mean over the five folds and one standard deviation either side. Small ``C``
# (strong penalty) underfits; past the minimum the fold models follow their
# training rows more closely than the test rows reward.
Cs = search.Cs_
mean = -search.scores_.mean(axis=0)
std = search.scores_.std(axis=0)

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.semilogx(Cs, mean, "o-", color="tab:orange", label="mean over the folds")
ax.fill_between(Cs, mean - std, mean + std, color="tab:orange", alpha=0.2, label="± 1 std")
ax.axvline(search.C_, color="k", linestyle=":", label=f"chosen C = {search.C_:.3g}")
ax.set_yscale("log")
ax.set_xlabel("C")
ax.set_ylabel("held-out log-loss")
ax.set_title("SoftmaxClassifierCV on wine (standardised), 5 folds")
ax.legend()
plt.show()

# %%
# The final model
# ---------------
# With ``refit=True`` (the default) the model is fitted on all the rows at the chosen
# ``C``; its predictions are those of a ``SoftmaxClassifier(C=search.C_)``. Its
# ``score`` is the ``scoring`` of the search (here the negated log-loss), as for
# :class:`~sklearn.linear_model.LogisticRegressionCV`.
print(f"training log-loss at C = {search.C_:.3g}: {-search.score(X, y):.4f}")
print(f"training accuracy: {np.mean(search.predict(X) == y):.3f}")
