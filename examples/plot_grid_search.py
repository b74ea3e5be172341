"""
Tuning with ``GridSearchCV`` and ldlkit's scorers
=================================================

Every ldlkit estimator follows scikit-learn's contract, so scikit-learn's model selection works
as usual. :func:`ldlkit.metrics.get_scorer` and :func:`ldlkit.metrics.make_scorers` turn the LDL
metrics into scorers (distances negated, so that greater is better).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split

from ldlkit.datasets import find_dataset_file, load_dataset, make_artificial
from ldlkit.metrics import evaluate, make_scorers
from ldlkit.neighbors import AAKNN

if find_dataset_file("SJAFFE") is not None:
    name, (X, D) = "SJAFFE", load_dataset("SJAFFE", return_X_y=True)
else:
    name, (X, D) = "artificial", make_artificial(400, random_state=0)
X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.3, random_state=0)

# %%
# Two scorers; the search refits on the KL divergence.
scoring = make_scorers(["kl_divergence", "cosine"])
print(list(scoring))
search = GridSearchCV(
    AAKNN(), {"k": [1, 2, 4, 8, 16, 32]}, scoring=scoring, refit="neg_kl_divergence", cv=5
)
search.fit(X_train, D_train)
print("best k:", search.best_params_["k"])
print("held-out scores:", evaluate(D_test, search.predict(X_test), ["kl_divergence", "cosine"]))

# %%
# The validation curve of both scorers.
ks = search.cv_results_["param_k"].astype(int)
fig, ax1 = plt.subplots(figsize=(6, 3.5))
ax1.errorbar(
    ks,
    -search.cv_results_["mean_test_neg_kl_divergence"],
    yerr=search.cv_results_["std_test_neg_kl_divergence"],
    marker="o",
    label="KL",
)
ax1.set_xscale("log", base=2)
ax1.set_xlabel("k")
ax1.set_ylabel("KL divergence (lower is better)")
ax2 = ax1.twinx()
ax2.plot(ks, search.cv_results_["mean_test_cosine"], "s--", color="tab:orange", label="cosine")
ax2.set_ylabel("cosine (higher is better)")
ax1.axvline(search.best_params_["k"], color="grey", lw=0.8)
fig.legend(loc="upper center", ncol=2)
ax1.set_title(f"{name}: AAKNN, 5-fold CV", pad=24)
fig.tight_layout()
plt.show()
print(np.round(-search.cv_results_["mean_test_neg_kl_divergence"], 4))
