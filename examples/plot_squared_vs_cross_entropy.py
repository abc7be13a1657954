"""
Squared loss against cross-entropy
==================================

The lecture notes argue that the squared loss ``1/2 ||softmax(o) - y||^2`` is a poor
training criterion for classification and the cross-entropy ``-log softmax(o)_y`` a good
one (see :ref:`theory`). The strongest reason is in the gradients: with respect to the
raw outputs ``o`` the cross-entropy's gradient is ``p - y``, of order one whenever the
prediction is wrong, while the squared loss's gradient passes through the softmax's
Jacobian ``diag(p) - p p^T``, which vanishes when the softmax saturates. A model that is
confidently wrong then barely learns.

This example shows it twice: on one sample, as a function of the raw output of the true
class, and on data, training the same softmax model by gradient descent with each loss
from a confidently wrong start.
"""

# %%
# One sample: loss and gradient against the true class's raw output
# -------------------------------------------------------------------
# Three classes, the true one third, raw outputs ``o = (0, 0, t)``: for ``t``
# very negative the model is sure it is wrong, for ``t`` very positive sure
# it is right.
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import softmax
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

t = np.linspace(-12, 12, 481)
raw = np.column_stack([np.zeros_like(t), np.zeros_like(t), t])
proba = softmax(raw, axis=1)
onehot = np.array([0.0, 0.0, 1.0])
residual = proba - onehot  # d(cross-entropy)/do, one row per t

cross_entropy = -np.log(proba[:, 2])
squared = 0.5 * np.sum(residual**2, axis=1)
# d(squared)/do = J (p - y) with J = diag(p) - p p^T, row by row:
grad_squared = proba * residual - proba * np.sum(proba * residual, axis=1, keepdims=True)
# Both losses depend on o only through t here, so d/dt is the third component.
slope_ce = np.abs(residual[:, 2])
slope_sq = np.abs(grad_squared[:, 2])

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
axes[0].plot(t, cross_entropy, label="cross-entropy")
axes[0].plot(t, squared, label="squared loss")
axes[0].set_xlabel("raw output of the true class, t")
axes[0].set_title("loss")
axes[0].legend()
axes[1].semilogy(t, slope_ce, label="cross-entropy")
axes[1].semilogy(t, slope_sq, label="squared loss")
axes[1].set_xlabel("raw output of the true class, t")
axes[1].set_title("|d loss / d t|: the learning signal")
axes[1].legend()
plt.show()

# %%
# At ``t = -10`` the model gives the true class a probability of about
# ``e^-10 / 2``; the cross-entropy still pushes with a slope of almost one,
# the squared loss with a slope thousands of times smaller.
i = np.argmin(np.abs(t + 10))
print(f"t = -10: slope {slope_ce[i]:.3f} (cross-entropy), {slope_sq[i]:.1e} (squared loss)")

# %%
# On data: gradient descent from a confidently wrong start
# --------------------------------------------------------
# The iris data, standardised, and a softmax model whose initial weights point
# every class at the *opposite* of its mean, so that every flower starts
# confidently misclassified. The same plain gradient descent (step 1, on the
# mean loss) runs with each loss; only the gradient of the loss with respect
# to the raw outputs differs.
X, y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)
n_samples, n_classes = X.shape[0], 3
Y = np.eye(n_classes)[y]
class_means = np.array([X[y == k].mean(axis=0) for k in range(n_classes)])


def train(loss, n_iter=400, step=1.0):
    weights, intercept = -3.0 * class_means, np.zeros(n_classes)
    accuracy, mean_ce = [], []
    for _ in range(n_iter):
        p = softmax(X @ weights.T + intercept, axis=1)
        accuracy.append(np.mean(p.argmax(axis=1) == y))
        mean_ce.append(-np.mean(np.log(p[np.arange(n_samples), y])))
        r = p - Y
        if loss == "squared":
            r = p * r - p * np.sum(p * r, axis=1, keepdims=True)
        weights -= step * r.T @ X / n_samples
        intercept -= step * r.mean(axis=0)
    return np.array(accuracy), np.array(mean_ce)


curves = {loss: train(loss) for loss in ["cross-entropy", "squared"]}

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for loss, (accuracy, mean_ce) in curves.items():
    label = "squared loss" if loss == "squared" else loss
    axes[0].plot(accuracy, label=f"trained on {label}")
    axes[1].semilogy(mean_ce, label=f"trained on {label}")
axes[0].set_xlabel("gradient-descent iteration")
axes[0].set_title("training accuracy")
axes[0].legend()
axes[1].set_xlabel("gradient-descent iteration")
axes[1].set_title("mean cross-entropy (log scale)")
axes[1].legend()
plt.show()

for loss, (accuracy, _) in curves.items():
    print(f"{loss:>13}: accuracy {accuracy[0]:.2f} at the start, {accuracy[-1]:.2f} after 400")

# %%
# Trained on the cross-entropy the model recovers within a few tens of
# iterations; trained on the squared loss it sits on the plateau where the
# softmax is saturated and the gradient has all but vanished. The two losses
# have the same minimisers in principle (the correct one-hot probabilities),
# but only the cross-entropy gives gradient descent, or Newton's method, a
# useful signal everywhere; together with its convexity in ``(W, b)``, which the
# squared loss through a softmax lacks, this is why softmax regression
# minimises it.
