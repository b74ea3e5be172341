"""
Save a model, serve it, and update it online
============================================

:func:`ldlkit.deploy.save_model` writes a versioned, checksummed model file;
:func:`ldlkit.deploy.load_model` reads it back and predicts identically.
:class:`ldlkit.deploy.ModelService` is what ``ldlkit serve`` runs behind its HTTP API: it loads a
model file, answers predictions, and applies labelled rows with ``partial_fit``, writing each
update to a log first so that a restart replays it. Everything here runs in-process; no network.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ldlkit.datasets import make_artificial
from ldlkit.deploy import ModelService, load_model, save_model
from ldlkit.neighbors import AAKNN

X, D = make_artificial(700, random_state=0)
X_train, D_train = X[:400], D[:400]
X_new, D_new = X[400:600], D[400:600]  # labelled rows that arrive after deployment
X_query = X[600:]

folder = Path(tempfile.mkdtemp())
model = AAKNN(k=8).fit(X_train, D_train)
header = save_model(model, folder / "model.ldl", training_data=(X_train, D_train))
print("saved:", header["method"]["class"], header["n_rows"], "rows")

loaded = load_model(folder / "model.ldl")
print(
    "identical predictions after loading:",
    np.array_equal(loaded.predict(X_query), model.predict(X_query)),
)

# %%
# Serve: predictions, then online updates, durable in the update log.
service = ModelService(folder / "model.ldl", folder / "model.log")
before = service.predict(X_query)
ids = service.append(X_new, D_new)
after = service.predict(X_query)
print("rows served:", service.n_rows(), "new ids:", ids[:3], "...")
service.close()

# %%
# A restart replays the log: the restarted service predicts what the updated one did, which is
# also what a model refitted on all the rows predicts.
restarted = ModelService(folder / "model.ldl", folder / "model.log")
replayed = restarted.predict(X_query)
restarted.close()
refit = AAKNN(k=8).fit(np.vstack([X_train, X_new]), np.vstack([D_train, D_new]))
print("replayed == updated:", np.allclose(replayed, after))
print("updated == refit:", np.allclose(after, refit.predict(X_query)))

# %%
# What the update changed: the error on the query rows before and after.
D_query = D[600:]
err_before = np.abs(before - D_query).sum(axis=1)
err_after = np.abs(after - D_query).sum(axis=1)
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.boxplot([err_before, err_after])
ax.set_xticks([1, 2], ["before update\n(400 rows)", "after update\n(600 rows)"])
ax.set_ylabel("L1 error per query row")
ax.set_title("ModelService.append: online update")
fig.tight_layout()
plt.show()
