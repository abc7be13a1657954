"""
Which features matter? Standard errors, tests and marginal effects
==================================================================

:func:`sk_softmax.inference` gives a fitted :class:`~sk_softmax.SoftmaxClassifier` what
statsmodels' ``MNLogit`` reports (standard errors, p-values, confidence intervals, Wald tests,
marginal effects) with the same numbers where statsmodels is right. Here it asks which of six
chemical measurements tell the three cultivars of scikit-learn's wine data apart: a table of
coefficients, the joint test of each feature, a forest plot of the coefficients with their
intervals, and the average effect of each feature on each cultivar's probability.
"""

# %%
# The model, fitted without a penalty
# -----------------------------------
# Six measurements of 178 wines, standardised so that every coefficient is the change of a
# log-odds for one standard deviation of its feature. With these six the cultivars are not
# linearly separable, so the maximum likelihood estimate exists (with all thirteen features
# it does not, and ``inference`` says so instead of printing meaningless numbers).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, inference

data = load_wine(as_frame=True)
features = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols"]
X = StandardScaler().set_output(transform="pandas").fit_transform(data.data[features])
y = data.target.rename("cultivar")

clf = SoftmaxClassifier(C=np.inf).fit(X, y)
result = inference(clf, X, y)
print(result.summary())

# %%
# The coefficients compare each cultivar with cultivar 0 (the baseline, statsmodels' choice;
# ``baseline=`` picks another). Whether a feature matters at all is one question about two
# coefficients, its row of the table: the joint Wald test that both are zero.
print(result.wald_test_terms())

# %%
# Robust standard errors
# ----------------------
# The model-based standard errors assume the model is right. The sandwich estimators do
# not: ``cov_type="HC1"`` (with the ``n / (n - k)`` correction), or ``"cluster"`` for
# grouped rows. Here they come out at 0.48 to 0.94 times the model-based ones (rows: the
# intercept and the features; columns: cultivars 1 and 2): with many fitted probabilities
# close to 0 or 1, the sandwich is itself noisy in a sample of 178 wines, and the
# model-based errors are the conservative choice.
robust = inference(clf, X, y, cov_type="HC1")
print((robust.bse / result.bse).round(2))

# %%
# A forest plot and the marginal effects
# --------------------------------------
# Left: every coefficient with its 95% interval, one colour per cultivar against the
# baseline; an interval away from zero is a feature that moves that cultivar's odds. Right:
# the average marginal effects, the change of each cultivar's probability for one standard
# deviation of a feature, averaged over the wines (``get_margeff``), with delta-method
# intervals; the three effects of a feature sum to zero.
effects = result.get_margeff(at="overall", method="dydx")
colours = ["tab:grey", "tab:blue", "tab:orange"]
rows = np.arange(len(features))
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.8), sharey=True)
interval = result.conf_int()[1:]  # without the intercept
for a, label in enumerate(result.classes_kept):
    offset = 0.15 * (2 * a - 1)
    low, high = interval[:, a, 0], interval[:, a, 1]
    centre = result.params[1:, a]
    left.errorbar(centre, rows + offset, xerr=[centre - low, high - centre], fmt="o",
                  color=colours[label], label=f"cultivar {label} vs 0")  # fmt: skip
left.axvline(0.0, color="black", lw=0.8)
left.set(yticks=rows, yticklabels=features, xlabel="coefficient (log-odds per SD), 95% CI")
left.invert_yaxis()
left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8)
band = effects.conf_int()
for k, label in enumerate(result.classes):
    offset = 0.2 * (k - 1)
    centre = effects.margeff[:, k]
    right.errorbar(centre, rows + offset, fmt="s", color=colours[k], label=f"cultivar {label}",
                   xerr=[centre - band[:, k, 0], band[:, k, 1] - centre])  # fmt: skip
right.axvline(0.0, color="black", lw=0.8)
right.set(xlabel="average effect on the probability per SD, 95% CI")
right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
fig.suptitle("Wine cultivars: which measurements matter")
fig.tight_layout()
plt.show()

# %%
# Alcohol and total phenols separate the cultivars most; magnesium, once the others are
# known, adds nothing detectable (its joint test above). The intervals of the predicted
# probabilities follow by the same delta method, clipped to [0, 1]; for the three wines the
# model is least sure of, the probabilities and their 95% intervals:
uncertain = np.argsort(clf.predict_proba(X).max(axis=1))[:3]
print(clf.predict_proba(X.iloc[uncertain]).round(3))
print(result.predict_interval(X.iloc[uncertain]).round(3))
