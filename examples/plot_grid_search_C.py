"""
Choosing C by cross-validation
==============================

``C`` is the inverse strength of the L2 penalty: small values shrink the weights towards
zero (smoother, more biased models), large ones let the model follow the training data
(more variance). The usual way to choose it is cross-validation, with
:class:`~sk_softmax.SoftmaxClassifier` inside a :class:`~sklearn.pipeline.Pipeline` (so
that the scaler is fitted on the training folds only) and
:class:`~sklearn.model_selection.GridSearchCV` over a logarithmic grid.
"""

# %%
# The search
# ----------
# The digits data (8 by 8 images, 10 classes). ``return_train_score=True``
# keeps the training scores, to draw the validation curve.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

pipe = make_pipeline(StandardScaler(), SoftmaxClassifier())
grid = {"softmaxclassifier__C": np.logspace(-4, 2, 9)}
search = GridSearchCV(
    pipe,
    grid,
    cv=StratifiedKFold(4, shuffle=True, random_state=0),
    scoring="neg_log_loss",
    return_train_score=True,
)
search.fit(X_train, y_train)

best_C = search.best_params_["softmaxclassifier__C"]
print(f"best C: {best_C:.3g}")
print(f"held-out accuracy at the best C: {search.best_estimator_.score(X_test, y_test):.3f}")

# %%
# The validation curve
# --------------------
# Scored by the log-loss (the mean cross-entropy on the held-out fold), which
# judges the probabilities and not only the predicted class. Too small a ``C``
# underfits both curves; too large a ``C`` keeps improving the training loss
# while the validation loss turns up again.
results = search.cv_results_
Cs = np.asarray(results["param_softmaxclassifier__C"], dtype=float)
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
for kind, color in [("train", "tab:blue"), ("test", "tab:orange")]:
    mean = -results[f"mean_{kind}_score"]
    std = results[f"std_{kind}_score"]
    label = "training folds" if kind == "train" else "validation folds"
    ax.semilogx(Cs, mean, "o-", color=color, label=label)
    ax.fill_between(Cs, mean - std, mean + std, color=color, alpha=0.2)
ax.axvline(best_C, color="k", linestyle=":", label=f"best C = {best_C:.3g}")
ax.set_yscale("log")
ax.set_xlabel("C")
ax.set_ylabel("log-loss (mean cross-entropy)")
ax.set_title("Validation curve: StandardScaler + SoftmaxClassifier on digits")
ax.legend()
plt.show()

# %%
# The best model's fit: the default solver converged in a few Newton steps.
best = search.best_estimator_[-1]
print(f"solver {best.solver_!r}, {best.n_iter_} iterations, converged: {best.converged_}")
