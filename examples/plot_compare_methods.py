"""
Compare methods with significance markers
=========================================

Run three methods and the training-mean baseline under repeated k-fold cross-validation, then
compare them with paired t-tests against a reference method: ``•`` marks a method significantly
worse than the reference, ``○`` significantly better. The figure shows each method's mean KL
divergence and its standard deviation over the folds.
"""

# %%
# The data: SJAFFE when ``LDLKIT_DATA`` holds it, else the embedded artificial data.
from ldlkit.datasets import find_dataset_file, load_dataset, make_artificial

if find_dataset_file("SJAFFE") is not None:
    name, (X, D) = "SJAFFE", load_dataset("SJAFFE", return_X_y=True)
else:
    name, (X, D) = "artificial", make_artificial(300, random_state=0)
print(name, X.shape, D.shape)

# %%
# Three folds, two repeats: small settings, so the example runs in seconds. A paper's protocol
# is ``get_protocol("uaknn")`` (10 x 5-fold).
from ldlkit.dummy import MeanPredictor
from ldlkit.experiments import RepeatedKFold, compare, format_table, run_experiment
from ldlkit.linear import SABFGS
from ldlkit.neighbors import AAKNN

results = run_experiment(
    {
        "mean": MeanPredictor(),
        "AA-kNN": AAKNN(k=4),
        "SA-BFGS": SABFGS(alpha=1e-3, max_iter=100),
    },
    [(name, X, D)],
    cv=RepeatedKFold(n_splits=3, n_repeats=2, random_state=0),
    random_state=0,
    progress=False,
)
table = compare(results, reference="AA-kNN")
print(format_table(table))

# %%
# The KL divergence as a figure (lower is better; the best bar is outlined).
import matplotlib.pyplot as plt

from ldlkit.experiments import plot_metric_comparison

fig = plot_metric_comparison(table, "kl_divergence")
plt.show()
