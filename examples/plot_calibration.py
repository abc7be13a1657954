"""
Predicted probabilities: a reliability diagram
==============================================

Softmax regression is fitted by maximum (penalised) likelihood, so its probabilities tend
to be *calibrated*: among the samples given a probability of about 0.7 for a class, about
70 % belong to it, as long as the model is not badly misspecified. A reliability diagram
checks this on held-out data: bin the predicted probabilities, and plot the observed
frequency of the class in each bin against the mean prediction there
(:func:`sklearn.calibration.calibration_curve`). Perfect calibration is the diagonal.

:class:`~sk_softmax.SoftmaxClassifier` is shown against
:class:`~sklearn.linear_model.LogisticRegression` (the same objective, so the same curves)
and, for contrast, :class:`~sklearn.naive_bayes.GaussianNB`, whose independence assumption
makes it over-confident.
"""

# %%
# Three classes, held-out probabilities
# -------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from sk_softmax import SoftmaxClassifier

X, y = make_classification(
    n_samples=6000,
    n_features=12,
    n_informative=5,
    n_redundant=4,
    n_classes=3,
    n_clusters_per_class=1,
    class_sep=0.8,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

models = {
    "SoftmaxClassifier": SoftmaxClassifier(),
    "LogisticRegression": LogisticRegression(tol=1e-8, max_iter=1000),
    "GaussianNB": GaussianNB(),
}
proba = {name: model.fit(X_train, y_train).predict_proba(X_test) for name, model in models.items()}

# %%
# Each class's probability is a binary forecast of "this sample is of that
# class"; the diagram pools the three classes' forecasts (one point per bin).
onehot = np.eye(3)[y_test]
fig, axes = plt.subplots(
    2, 1, figsize=(6, 7), height_ratios=[3, 1], sharex=True, layout="constrained"
)
axes[0].plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
for (name, p), style in zip(proba.items(), ["o-", "x--", "s-"], strict=True):
    observed, predicted = calibration_curve(
        onehot.ravel(), p.ravel(), n_bins=10, strategy="quantile"
    )
    axes[0].plot(predicted, observed, style, label=name)
    axes[1].hist(p.ravel(), bins=20, range=(0, 1), histtype="step", lw=1.5, label=name)
axes[0].set_ylabel("observed frequency of the class")
axes[0].set_title("Reliability diagram on held-out data (3 classes, pooled)")
axes[0].legend()
axes[1].set_yscale("log")
axes[1].set_xlabel("predicted probability")
axes[1].set_ylabel("count")
plt.show()

# %%
# Proper scores on the held-out half: the log-loss (mean cross-entropy, the
# quantity softmax regression minimises on the training half) and the Brier
# score (the squared loss of the notes, averaged over samples and classes).
for name, p in proba.items():
    brier = np.mean([brier_score_loss(onehot[:, k], p[:, k]) for k in range(3)])
    print(f"{name:<19} log-loss {log_loss(y_test, p):.4f}   Brier {brier:.4f}")

print(
    "largest difference between SoftmaxClassifier and LogisticRegression: "
    f"{np.abs(proba['SoftmaxClassifier'] - proba['LogisticRegression']).max():.1e}"
)

# %%
# The two softmax models lie on the diagonal and on each other: with the same
# objective, and ``LogisticRegression`` given a tight ``tol`` (its default,
# ``1e-4``, stops earlier and leaves differences of about ``1e-3``), their
# probabilities agree to many digits. Gaussian naive Bayes, which multiplies
# per-feature likelihoods as if the (here redundant, correlated) features were
# independent, pushes its probabilities towards 0 and 1 and pays for it in both
# scores.
