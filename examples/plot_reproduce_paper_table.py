"""
Reproduce a paper table at small settings
=========================================

:func:`ldlkit.experiments.run_reproduction` runs one of the registered paper reproductions
(``ldlkit reproduce --list``) and puts the paper's reported values beside the measured ones.
The full protocols take minutes to hours; ``n_splits``, ``n_repeats`` and ``datasets`` shrink
them for a quick look (the report says the protocol was changed). Here: the UAKNN paper's
Table 2 on SJAFFE, with one repeat of 2-fold CV instead of ten of 5-fold.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning

from ldlkit.datasets import find_dataset_file, make_artificial
from ldlkit.experiments import format_table, run_reproduction

warnings.simplefilter("ignore", ConvergenceWarning)  # the baselines' solvers, at paper settings
if find_dataset_file("SJAFFE") is not None:
    datasets = ["SJAFFE"]
else:  # no reported values for the artificial data: only the measured table
    datasets = [("artificial", *make_artificial(200, random_state=0))]
report = run_reproduction("uaknn", datasets=datasets, n_splits=2, n_repeats=1, progress=False)
print(format_table(report.table))
for note in report.notes:
    print("note:", note)

# %%
# Paper against measured, for one metric (the paper's values where it reports one).
comparison = report.comparisons.get("table2") or []
rows = [r for r in comparison if r["metric"] == "cosine" and r["paper_mean"] is not None]
if rows:
    names = [r["method"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    y = range(len(rows))
    ax.scatter([r["paper_mean"] for r in rows], y, marker="x", label="reported", zorder=3)
    ax.errorbar(
        [r["measured_mean"] for r in rows],
        y,
        xerr=[r["measured_std"] for r in rows],
        fmt="o",
        label="measured (2-fold, 1 repeat)",
    )
    ax.set_yticks(list(y), names)
    ax.set_xlabel("cosine similarity (higher is better)")
    ax.set_title("UAKNN paper, Table 2, SJAFFE")
    ax.legend(fontsize=8)
    fig.tight_layout()
else:
    print("no reported values for these datasets")
plt.show()
