"""A served model: the saved model plus its update log, with one writer and concurrent readers.

This module knows nothing about HTTP (``_server.py`` maps its errors to status codes), so the
durability and replay rules can be tested and reused without a web framework.
"""

from __future__ import annotations

import os
import threading
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from .._validation import check_distributions, check_features, check_nonzero_rows, check_same_length
from .._version import __version__
from ..base import get_tags
from ._log import UpdateLog
from ._persistence import describe_method, load_model, model_summary, save_model


class WritesUnsupported(Exception):
    """The model cannot take this kind of update (no partial_fit, or no stable row ids)."""


class UnknownSample(LookupError):
    """No training row has this id."""


class ServiceDegraded(Exception):
    """A change reached the model but not the log; writes stop until a restart replays the log."""


def default_log_path(model_path) -> Path:
    path = Path(model_path)
    return path.with_name(path.name + ".updates.sqlite")


class ModelService:
    """Load ``model_path``, replay ``log_path`` onto it, and serve predictions and updates.

    Updates are serialised by one lock: an append is applied with ``partial_fit``, written to the
    log and committed before :meth:`append` returns, so a returned id is durable. Predictions take
    no lock when the model keeps stable row ids (the kNN family, whose updates are safe beside
    concurrent predictions); for any other model they share the writers' lock.
    """

    def __init__(self, model_path, log_path=None, *, predict_slots: int | None = None) -> None:
        self.model_path = Path(model_path)
        loaded = load_model(self.model_path, with_header=True)
        self.model, self.header = loaded.model, loaded.header
        self.log_path = Path(log_path) if log_path is not None else default_log_path(model_path)
        self.log = UpdateLog(self.log_path)
        self.folded_seq = self.log.bind(self.header)
        self.applied_seq = self.folded_seq
        self._write_lock = threading.Lock()
        self._has_ids = hasattr(self.model, "sample_ids_")
        self._read_lock = nullcontext() if self._has_ids else self._write_lock
        # Predictions running at once: more than the cores only makes them fight for the CPU.
        slots = predict_slots if predict_slots is not None else (os.cpu_count() or 1)
        if slots < 1:
            raise ValueError(f"predict_slots must be at least 1, got {slots}.")
        self._predict_slots = threading.BoundedSemaphore(slots)
        self.degraded: str | None = None
        self.replayed = self._replay()
        if self.can_append and hasattr(self.model, "reserve"):
            # A loaded model's row buffer has no spare room: without this, the first append
            # would copy every training row while predictions wait (about 80 ms on Movie).
            # Doubling is what that first append would allocate anyway.
            self.model.reserve(max(self.n_rows() or 0, 1024))

    # -- capabilities -----------------------------------------------------------------------
    @property
    def can_append(self) -> bool:
        return hasattr(self.model, "partial_fit")

    @property
    def can_remove(self) -> bool:
        return self._has_ids and hasattr(self.model, "remove_ids")

    def n_rows(self) -> int | None:
        return model_summary(self.model).get("n_rows")

    # -- replay -----------------------------------------------------------------------------
    def _replay(self) -> int:
        count = 0
        for entry in self.log.entries(after=self.folded_seq):
            if entry.op == "append":
                self.model.partial_fit(entry.X, entry.D)
                got = self._last_ids(len(entry.X))
                if len(entry.ids) and not np.array_equal(got, entry.ids):
                    raise ValueError(
                        f"replaying update log {self.log_path} entry {entry.seq} gave row ids "
                        f"{got.tolist()}, but the log recorded {entry.ids.tolist()}; the log "
                        "does not belong to this model file."
                    )
            else:
                self.model.remove_ids(entry.ids)
            self.applied_seq = entry.seq
            count += 1
        return count

    def _last_ids(self, n: int) -> np.ndarray:
        if not self._has_ids:
            return np.empty(0, dtype=np.int64)
        return np.asarray(self.model.sample_ids_[-n:], dtype=np.int64).copy()

    # -- requests ---------------------------------------------------------------------------
    def check_rows(self, rows, name: str = "rows") -> np.ndarray:
        """Feature rows of the model's width, finite (and non-zero for cosine models)."""
        X = check_features(rows, name=name, n_features=self.model.n_features_in_)
        if get_tags(self.model).ldl.requires_nonzero_rows:
            check_nonzero_rows(X, name=name)
        return X

    def predict(self, X: np.ndarray) -> np.ndarray:
        with self._predict_slots, self._read_lock:
            return self.model.predict(X)

    def append(self, rows, distributions) -> np.ndarray:
        """Add labelled rows; return their stable ids once the log entry is committed."""
        if not self.can_append:
            raise WritesUnsupported(
                f"{type(self.model).__name__} has no partial_fit: this model cannot learn new "
                "rows online; refit it with `ldlkit fit` instead."
            )
        X = self.check_rows(rows)
        D = check_distributions(distributions, name="distributions", n_labels=self.model.n_labels_)
        check_same_length(rows=X, distributions=D)
        with self._write_lock:
            self._check_healthy()
            self.model.partial_fit(X, D)
            ids = self._last_ids(len(X))
            try:
                self.log.begin()
                seq = self.log.add("append", ids, X, D)
                self.log.commit()
            except BaseException as exc:
                self.log.rollback()
                self._undo_append(ids, exc)
                raise
            self.applied_seq = seq
        return ids

    def remove(self, sample_id: int) -> None:
        """Drop the training row ``sample_id``; durable once this returns."""
        if not self.can_remove:
            raise WritesUnsupported(
                f"{type(self.model).__name__} does not keep stable row ids (no remove_ids), so "
                "rows cannot be removed by id."
            )
        with self._write_lock:
            self._check_healthy()
            if not np.any(np.asarray(self.model.sample_ids_) == sample_id):
                raise UnknownSample(f"no training row has id {sample_id}.")
            self.model.remove_ids([sample_id])
            try:
                self.log.begin()
                seq = self.log.add("remove", [sample_id])
                self.log.commit()
            except BaseException as exc:
                self.log.rollback()
                self.degraded = (
                    f"row {sample_id} was removed from the model but the log write failed "
                    f"({exc}); restart the server to return to the logged state."
                )
                raise
            self.applied_seq = seq

    def _undo_append(self, ids: np.ndarray, exc: BaseException) -> None:
        # The model took rows that are not in the log. Even after removing them the id counter
        # has moved on, so a replay would number later rows differently: stop taking writes.
        if self.can_remove and len(ids):
            self.model.remove_ids(ids)
        self.degraded = (
            f"an append could not be written to the log ({exc}); writes are refused until the "
            "server restarts and replays the log."
        )

    def _check_healthy(self) -> None:
        if self.degraded:
            raise ServiceDegraded(self.degraded)

    def describe(self) -> dict:
        method = describe_method(self.model)
        return {
            "method": method["class"],
            "params": method["params"],
            **model_summary(self.model),
            "version": __version__,
            "saved_with": self.header.get("ldlkit_version"),
            "model_id": self.header.get("model_id"),
            "training_data": self.header.get("training_data"),
            "log": {
                "path": str(self.log_path),
                "log_id": self.log.log_id,
                "applied_seq": self.applied_seq,
                "replayed_at_start": self.replayed,
            },
            "writes": {
                "append": self.can_append,
                "remove": self.can_remove,
                "degraded": self.degraded,
            },
        }

    def close(self) -> None:
        self.log.close()


def compact(model_path, log_path=None, out=None) -> dict:
    """Fold the update log into a new model file, atomically; return its header.

    The new file (``out``, by default ``model_path`` itself) records the log position it
    contains; the log is then rebound to it and the folded entries deleted. Entries committed
    meanwhile by a running server stay in the log and are replayed on top of the new file.
    """
    service = ModelService(model_path, log_path)
    try:
        header = save_model(
            service.model,
            out if out is not None else model_path,
            fingerprint=service.header.get("training_data"),
            folded_log={"log_id": service.log.log_id, "seq": service.applied_seq},
        )
        service.log.rebind_after_compaction(header["model_id"], service.applied_seq)
        header["replayed"] = service.replayed
        return header
    finally:
        service.close()
