"""
Incremental learning: ``partial_fit`` against a refit
=====================================================

The kNN family learns incrementally: ``partial_fit`` appends training rows to the fitted model's
search index, ``remove`` drops rows, and the predictions equal those of a model refitted on the
same rows. This example grows a model batch by batch and times each update against refitting
from scratch on everything seen so far.
"""

# %%
# A stream of 8 batches of 500 rows from the embedded artificial data.
import time

import matplotlib.pyplot as plt
import numpy as np

from ldlkit.datasets import make_artificial
from ldlkit.neighbors import AAKNN

X, D = make_artificial(4500, random_state=0)
X_query, D_query = X[4000:], D[4000:]
batches = np.array_split(np.arange(4000), 8)

incremental = AAKNN(k=8).fit(X[batches[0]], D[batches[0]])
seen, update_times, refit_times = [len(batches[0])], [], []
for batch in batches[1:]:
    start = time.perf_counter()
    incremental.partial_fit(X[batch], D[batch])
    update_times.append(time.perf_counter() - start)

    rows = np.arange(batch[-1] + 1)
    start = time.perf_counter()
    refit = AAKNN(k=8).fit(X[rows], D[rows])
    refit_times.append(time.perf_counter() - start)
    seen.append(len(rows))

# %%
# The incrementally grown model predicts what the refitted one predicts.
gap = np.abs(incremental.predict(X_query) - refit.predict(X_query)).max()
print(f"training rows: {incremental.n_train_}, largest prediction difference: {gap:.2e}")

# %%
# Update time stays roughly the cost of the new batch; a refit pays for every row seen.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(seen[1:], np.array(refit_times) * 1e3, "o-", label="refit on all rows")
ax.plot(seen[1:], np.array(update_times) * 1e3, "s-", label="partial_fit(new batch)")
ax.set_xlabel("training rows after the update")
ax.set_ylabel("time (ms)")
ax.set_title("AAKNN: incremental update vs refit")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# Rows can be removed as well; again no refit is needed.
incremental.remove(np.arange(100))
print("after removing 100 rows:", incremental.n_train_)
