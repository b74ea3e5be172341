"""
Label enhancement, then learning with ``EnhancedLDL``
=====================================================

Most data sets have 0/1 *logical* labels, not label distributions. A label enhancer recovers a
distribution for each row from its features and logical labels; an LDL model then learns from
the recovered distributions. On a benchmark with ground truth, the LE protocol binarizes the
true distributions (:func:`~ldlkit.enhancement.binarize`) and scores what each enhancer recovers.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from ldlkit import metrics
from ldlkit.datasets import find_dataset_file, load_dataset, make_artificial
from ldlkit.enhancement import FCM, GLLE, KM, LP, NormalizedLogical, binarize

if find_dataset_file("SJAFFE") is not None:
    name, (X, D) = "SJAFFE", load_dataset("SJAFFE", return_X_y=True)
else:
    name, (X, D) = "artificial", make_artificial(300, random_state=0)
logical = binarize(D)
print(name, "relevant labels per row:", logical.sum(axis=1).mean().round(2))

# %%
# Recovery: each enhancer's distributions against the ground truth.
enhancers = {
    "logical / sum": NormalizedLogical(),
    "FCM": FCM(random_state=0),
    "KM": KM(),
    "LP": LP(),
    "GLLE": GLLE(),
}
recovered = {n: e.fit_transform(X, logical) for n, e in enhancers.items()}
for n, R in recovered.items():
    scores = metrics.evaluate(D, R, ["kl_divergence", "cosine"])
    print(f"{n:>14}: KL {scores['kl_divergence']:.3f}  cosine {scores['cosine']:.3f}")

# %%
# One row: its true distribution, its logical labels and two recoveries.
row = 0
fig, ax = plt.subplots(figsize=(6, 3.2))
labels = np.arange(D.shape[1])
for i, (label, values) in enumerate(
    [
        ("true", D[row]),
        ("logical / sum", recovered["logical / sum"][row]),
        ("LP", recovered["LP"][row]),
        ("GLLE", recovered["GLLE"][row]),
    ]
):
    ax.bar(labels + (i - 1.5) * 0.2, values, width=0.2, label=label)
ax.set_xticks(labels)
ax.set_xlabel("label")
ax.set_ylabel("degree")
ax.set_title(f"{name}, row {row}")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Enhance, then learn: :class:`~ldlkit.enhancement.EnhancedLDL` chains an enhancer and an LDL
# estimator into one model. With ``target="distribution"`` it binarizes the true distributions
# itself when fitting and scores against the true ones, so cross-validation measures what the
# chain predicts for new rows, beside a model trained on the true distributions.
from sklearn.model_selection import cross_val_score

from ldlkit.enhancement import EnhancedLDL
from ldlkit.metrics import get_scorer
from ldlkit.neighbors import AAKNN

kl = get_scorer("kl_divergence")
chain = EnhancedLDL(enhancer=LP(), estimator=AAKNN(k=8), target="distribution")
from_logical = -cross_val_score(chain, X, D, cv=3, scoring=kl)
from_truth = -cross_val_score(AAKNN(k=8), X, D, cv=3, scoring=kl)
print(f"AA-kNN on LP-enhanced labels: KL {from_logical.mean():.3f}")
print(f"AA-kNN on the true distributions: KL {from_truth.mean():.3f}")

fig, ax = plt.subplots(figsize=(4.5, 3))
ax.bar(
    ["LP + AA-kNN\n(logical labels)", "AA-kNN\n(true distributions)"],
    [from_logical.mean(), from_truth.mean()],
    yerr=[from_logical.std(), from_truth.std()],
    color=["tab:orange", "tab:blue"],
)
ax.set_ylabel("test KL divergence")
fig.tight_layout()
plt.show()
