"""
The imbalanced-LDL protocol, and what a near-uniform predictor scores
=====================================================================

The imbalanced-LDL papers (RDA, DILDL, AMEMA) evaluate on folds whose *training* part is
subsampled so that a few labels dominate (:class:`~ldlkit.experiments.ImbalancedSplit`), while
the test part keeps the original label mix. A predictor that ignores the features and predicts
the uniform distribution is a row every method must be compared with: under this protocol it is
hard to beat.
"""

# %%
# Movie when ``LDLKIT_DATA`` holds it (with its built-in protocol parameters), else the
# artificial data with Movie's parameters.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ldlkit.datasets import find_dataset_file, load_dataset, make_artificial
from ldlkit.model_selection import ImbalancedSplit, imbalanced_parameters

if find_dataset_file("Movie") is not None:
    name, (X, D) = "Movie", load_dataset("Movie", return_X_y=True)
else:
    name, (X, D) = "artificial", make_artificial(1500, random_state=0)
parameters = imbalanced_parameters("Movie")  # the papers' subset rule for Movie
cv = ImbalancedSplit(parameters=parameters, n_splits=5, random_state=0)
print(name, X.shape, "subset parameters", parameters)

# %%
# Each training fold is reduced; its mean distribution differs from the test fold's.
train, test = next(cv.split(X, D))
print(f"training rows kept: {len(train)}, test rows: {len(test)}")
labels = np.arange(D.shape[1])
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.bar(labels - 0.2, D[train].mean(axis=0), width=0.4, label="imbalanced training fold")
ax.bar(labels + 0.2, D[test].mean(axis=0), width=0.4, label="test fold")
ax.set_xlabel("label")
ax.set_ylabel("mean degree")
ax.set_xticks(labels)
ax.legend()
ax.set_title(f"{name}: mean label distribution")
fig.tight_layout()

# %%
# Learned models against the two trivial rows, on the protocol's folds.
from ldlkit.dummy import MeanPredictor, UniformPredictor
from ldlkit.experiments import compare, format_table, run_experiment
from ldlkit.linear import SABFGS
from ldlkit.neighbors import AAKNN

warnings.simplefilter("ignore", ConvergenceWarning)  # few solver iterations: a quick example
results = run_experiment(
    {
        "Uniform": UniformPredictor(),
        "Training mean": MeanPredictor(),
        "AA-kNN": AAKNN(k=4),
        "SA-BFGS": SABFGS(alpha=1e-3, max_iter=50),
    },
    [(name, X, D)],
    cv=cv,
    random_state=0,
    progress=False,
)
table = compare(results, reference="Uniform", metrics=["kl_divergence", "cosine"])
print(format_table(table))

# %%
# The KL divergence of each method, fold by fold: the uniform row is the line to beat.
records = [r for r in results.to_records() if r["status"] == "ok"]
methods = ["Uniform", "Training mean", "AA-kNN", "SA-BFGS"]
fig, ax = plt.subplots(figsize=(6, 3.2))
for i, method in enumerate(methods):
    values = [r["metrics"]["kl_divergence"] for r in records if r["method"] == method]
    ax.scatter(np.full(len(values), i), values, alpha=0.7)
    ax.hlines(np.mean(values), i - 0.3, i + 0.3, color="black")
ax.set_xticks(range(len(methods)), methods)
ax.set_ylabel("KL divergence (lower is better)")
ax.set_title(f"{name}, imbalanced-LDL protocol")
fig.tight_layout()
plt.show()
