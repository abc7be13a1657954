"""
Decision regions on two iris features
======================================

:class:`~sk_softmax.SoftmaxClassifier` and scikit-learn's
:class:`~sklearn.linear_model.LogisticRegression` fitted on the petal length and width of
the iris flowers. For three classes both minimise the same penalised cross-entropy, so
with the same ``C`` they draw the same regions: each region is where one of the raw outputs
``o_k = w_k . x + b_k`` is the largest, so the boundaries are straight lines meeting at a
point.
"""

# %%
# Fit both estimators
# -------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.linear_model import LogisticRegression

from sk_softmax import SoftmaxClassifier, objective

iris = load_iris()
X = iris.data[:, 2:4]  # petal length and width, in cm
y = iris.target

ours = SoftmaxClassifier(C=1.0).fit(X, y)
theirs = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10).fit(X, y)

print(f"SoftmaxClassifier:  objective {objective(ours, X, y):.6f}, {ours.n_iter_} iterations")
print(f"LogisticRegression: objective {objective(theirs, X, y):.6f}")
print(
    "largest difference in predicted probability: "
    f"{np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max():.1e}"
)

# %%
# Draw the regions
# ----------------
# The shading is the predicted class; the dashed lines are where the largest
# predicted probability is 0.5 and 0.9, so the regions' cores and the bands of
# doubt between them can be seen.
colors = ["tab:blue", "tab:orange", "tab:green"]
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True, layout="constrained")
for ax, est, name in [
    (axes[0], ours, "SoftmaxClassifier"),
    (axes[1], theirs, "LogisticRegression"),
]:
    DecisionBoundaryDisplay.from_estimator(
        est,
        X,
        response_method="predict",
        multiclass_colors=colors,
        alpha=0.3,
        ax=ax,
        grid_resolution=300,
    )
    xx, yy = np.meshgrid(np.linspace(0.5, 7.5, 300), np.linspace(-0.2, 2.8, 300))
    top = est.predict_proba(np.c_[xx.ravel(), yy.ravel()]).max(axis=1).reshape(xx.shape)
    contours = ax.contour(xx, yy, top, levels=[0.5, 0.9], colors="k", linestyles="--")
    ax.clabel(contours, fmt="%.1f", fontsize=8)
    for k, label in enumerate(iris.target_names):
        ax.scatter(*X[y == k].T, s=18, color=colors[k], edgecolor="k", label=label)
    ax.set_xlim(0.5, 7.5)
    ax.set_ylim(-0.2, 2.8)
    ax.set_title(f"{name} (C=1), training accuracy {est.score(X, y):.3f}")
    ax.set_xlabel(iris.feature_names[2])
axes[0].set_ylabel(iris.feature_names[3])
axes[0].legend(loc="upper left")
plt.show()
