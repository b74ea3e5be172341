"""A served model: the saved model plus its update log, with one writer and concurrent readers.

This module knows nothing about HTTP (``_server.py`` maps its errors to status codes), so the
durability and replay rules can be tested and reused without a web framework.

Order of a change (write-ahead): the request is validated, the change is committed to the log
(synced to disk), and only then applied to the model. A prediction therefore never reflects a
change that a crash could still lose; a change whose commit fails leaves the model untouched.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import ExitStack, nullcontext
from pathlib import Path

import numpy as np

from .._validation import check_distributions, check_features, check_nonzero_rows, check_same_length
from .._version import __version__
from ..base import get_tags
from ._lock import acquire, release
from ._log import UpdateLog
from ._persistence import describe_method, load_model, model_summary, rewrite_header, save_model


class WritesUnsupported(Exception):
    """The model cannot take this kind of update (no partial_fit, or no stable row ids)."""


class UnknownSample(LookupError):
    """No training row has this id."""


class ServiceDegraded(Exception):
    """A committed change could not be applied; writes stop until a restart replays the log."""


class LogWriteFailed(Exception):
    """The change could not be committed to the log (e.g. a full disk); nothing was changed."""


def default_log_path(model_path) -> Path:
    path = Path(model_path)
    return path.with_name(path.name + ".updates.sqlite")


class ModelService:
    """Load ``model_path``, replay ``log_path`` onto it, and serve predictions and updates.

    The service holds the exclusive locks of the model file and the log for its lifetime (a
    second service on either is refused, naming the holder). Updates are serialised by one
    lock and written ahead: validated, committed to the log, then applied, so a returned id is
    durable and no prediction sees a change before it is. Predictions take no lock when the
    model keeps stable row ids (the kNN family, whose updates swap in a new snapshot); for any
    other model they share the writers' lock.

    Parameters
    ----------
    model_path, log_path : path-like
        The model file and its update log (default ``MODEL.updates.sqlite``). A model file that
        was served before records its log: a missing, blank, replaced or shorter log is refused.
    new_log : bool, default=False
        Start a new, empty log for this model on purpose (the model file's binding is rewritten);
        refused if the log file holds entries.
    predict_slots : int, optional
        Predictions computed at once (default: the number of CPUs).
    """

    def __init__(
        self,
        model_path,
        log_path=None,
        *,
        predict_slots: int | None = None,
        new_log: bool = False,
    ) -> None:
        self.model_path = Path(model_path)
        self.log_path = Path(log_path) if log_path is not None else default_log_path(model_path)
        self._locked: list[Path] = []
        with ExitStack() as undo:
            undo.callback(self._unlock)
            self._lock(self.model_path, "model file")
            self._lock(self.log_path, "update log")
            self._open(new_log, predict_slots)
            undo.pop_all()

    def _lock(self, path: Path, what: str) -> None:
        acquire(path, what, purpose="start another server or compaction on it")
        self._locked.append(path)

    def _unlock(self) -> None:
        while self._locked:
            release(self._locked.pop())

    def _open(self, new_log: bool, predict_slots: int | None) -> None:
        loaded = load_model(self.model_path, with_header=True)
        self.model, self.header = loaded.model, loaded.header
        folded = self.header.get("folded_log")
        log_missing = not self.log_path.exists() or self.log_path.stat().st_size == 0
        if folded and log_missing and not new_log:
            raise ValueError(
                f"model file {self.model_path} is served with update log {folded.get('log_id')} "
                f"(with {folded.get('seq')} entries folded in), but {self.log_path} is missing or "
                "empty: acknowledged writes would be lost. Give the model's log with --log, or "
                "pass --new-log to start over from the model file's rows on purpose."
            )
        self.log = UpdateLog(self.log_path)
        try:
            if new_log:
                self.log.start_over(self.header["model_id"])
                self.header = rewrite_header(
                    self.model_path, folded_log={"log_id": self.log.log_id, "seq": 0}
                )
            self.folded_seq = self.log.bind(self.header, model_path=self.model_path)
            if not folded and not new_log:
                # From now on the model file names its log: losing the log is detected.
                self.header = rewrite_header(
                    self.model_path,
                    folded_log={"log_id": self.log.log_id, "seq": self.folded_seq},
                )
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
        except BaseException:
            self.log.close()
            raise
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
            where = f"update log {self.log_path}, entry {entry.seq}"
            try:
                if entry.op == "append":
                    self.model.partial_fit(entry.X, entry.D)
                else:
                    self.model.remove_ids(entry.ids)
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    f"{where} cannot be replayed onto {self.model_path} ({exc})."
                ) from None
            if entry.op == "append":
                got = self._last_ids(len(entry.X))
                if len(entry.ids) and not np.array_equal(got, entry.ids):
                    raise ValueError(
                        f"replaying {where} gave row ids {got.tolist()}, but the log recorded "
                        f"{entry.ids.tolist()}; the log does not belong to this model file."
                    )
            self.applied_seq = entry.seq
            count += 1
        return count

    def _last_ids(self, n: int) -> np.ndarray:
        if not self._has_ids:
            return np.empty(0, dtype=np.int64)
        return np.asarray(self.model.sample_ids_[-n:], dtype=np.int64).copy()

    def _next_ids(self, n: int) -> np.ndarray:
        """The ids the model will give ``n`` appended rows, where it can say (else empty)."""
        if self._has_ids and hasattr(self.model, "_new_ids"):
            return np.asarray(self.model._new_ids(n), dtype=np.int64)
        return np.empty(0, dtype=np.int64)

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

    def _commit(self, op: str, ids, X=None, D=None) -> int:
        try:
            self.log.begin()
            seq = self.log.add(op, ids, X, D)
            self.log.commit()
        except (sqlite3.Error, OSError) as exc:
            self.log.rollback()
            raise LogWriteFailed(
                f"the change could not be committed to the update log {self.log_path.name} "
                f"({exc}); nothing was changed. Free disk space or fix the log's folder, then "
                "retry."
            ) from None
        return seq

    def append(self, rows, distributions) -> np.ndarray:
        """Add labelled rows; return their stable ids (the change is durable before it is
        applied)."""
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
            expected = self._next_ids(len(X))
            seq = self._commit("append", expected, X, D)
            try:
                self.model.partial_fit(X, D)
            except BaseException as exc:
                self._degrade(f"committed entry {seq} could not be applied ({exc})")
                raise ServiceDegraded(self.degraded) from exc
            ids = self._last_ids(len(X))
            self.applied_seq = seq
            if len(expected) and not np.array_equal(ids, expected):
                self._degrade(f"entry {seq} was logged with ids {expected.tolist()} but the "
                              f"model gave {ids.tolist()}")  # fmt: skip
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
            held = np.asarray(self.model.sample_ids_)
            if not np.any(held == sample_id):
                raise UnknownSample(f"no training row has id {sample_id}.")
            if len(held) <= 1:
                raise ValueError(
                    f"row {sample_id} is the model's last training row; at least one must remain."
                )
            seq = self._commit("remove", [sample_id])
            try:
                self.model.remove_ids([sample_id])
            except BaseException as exc:
                self._degrade(f"committed entry {seq} could not be applied ({exc})")
                raise ServiceDegraded(self.degraded) from exc
            self.applied_seq = seq

    def _degrade(self, what: str) -> None:
        self.degraded = (
            f"{what}; the model serves the state before it, and writes are refused until the "
            "server restarts and replays the log."
        )

    def _check_healthy(self) -> None:
        if self.degraded:
            raise ServiceDegraded(self.degraded)

    def describe(self, *, private: bool = True) -> dict:
        """What ``GET /model`` shows; ``private=False`` leaves out paths and ids."""
        method = describe_method(self.model)
        info = {
            "method": method["class"],
            "params": method["params"],
            **model_summary(self.model),
            "version": __version__,
            "saved_with": self.header.get("ldlkit_version"),
            "log": {"applied_seq": self.applied_seq, "replayed_at_start": self.replayed},
            "writes": {
                "append": self.can_append,
                "remove": self.can_remove,
                "degraded": self.degraded,
            },
        }
        if private:
            info["model_id"] = self.header.get("model_id")
            info["training_data"] = self.header.get("training_data")
            info["log"].update(path=str(self.log_path), log_id=self.log.log_id)
        return info

    def close(self) -> None:
        try:
            self.log.close()
        finally:
            self._unlock()


def compact(model_path, log_path=None, out=None) -> dict:
    """Fold the update log into a new model file, atomically; return its header.

    The new file (``out``, by default ``model_path`` itself) records the log position it
    contains; the log is then rebound to it and the folded entries deleted. Compaction holds the
    same locks as a server, so it is refused (naming the holder) while a server runs on the
    model or the log: stop the server, compact, start it again.
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
