"""The durable update log of a served model: an SQLite file in WAL mode with synchronous=FULL.

Every accepted change (rows appended, a row removed) is one row of ``entries``, committed before
the server acknowledges it; on start the served model is the saved model plus the entries it does
not contain yet, replayed in order. SQLite's write-ahead log with ``synchronous=FULL`` syncs the
log file on every commit, so a committed entry survives ``kill -9`` and a power cut.

Binding: the log remembers the id of the model file it extends (``base_model_id``). A model
written by ``ldlkit compact`` records ``(log_id, seq)``, the log position it already contains,
and compaction then rebinds the log to the new file and deletes the folded entries (a crash
between the two steps is harmless: the new file says which entries to skip). Any other pairing of
a model file and a log is refused rather than replayed onto the wrong model.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op TEXT NOT NULL CHECK (op IN ('append', 'remove')),
    n_rows INTEGER NOT NULL,
    X BLOB,
    D BLOB,
    ids BLOB NOT NULL,
    created REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    seq: int
    op: str
    X: np.ndarray | None
    D: np.ndarray | None
    ids: np.ndarray


class UpdateLog:
    """Append-only log of changes to one model (used by one writer under the server's lock)."""

    def __init__(self, path) -> None:
        self.path = Path(path)
        if not self.path.resolve().parent.is_dir():
            raise FileNotFoundError(f"folder of the log file {self.path} does not exist.")
        try:
            self._db = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
            )
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path} is not a usable ldlkit update log ({exc}).") from None
        if str(mode).lower() != "wal":  # pragma: no cover - e.g. a file system without shm
            raise ValueError(f"{self.path}: SQLite could not switch to WAL mode (got {mode}).")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._meta("log_id") is None:
                self._set_meta("log_id", uuid.uuid4().hex)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self.log_id = self._meta("log_id")

    # -- metadata -------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _set_meta(self, key: str, value) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, str(value)),
        )

    def bind(self, header: dict) -> int:
        """Check that this log extends the model described by ``header``; return the position
        (last ``seq``) the model already contains. An unbound log is bound to the model."""
        model_id = header["model_id"]
        folded = header.get("folded_log") or {}
        self._db.execute("BEGIN IMMEDIATE")
        try:
            base = self._meta("base_model_id")
            if folded.get("log_id") == self.log_id:
                start = int(folded["seq"])
                if base != model_id and int(self._meta("folded_upto") or 0) > start:
                    raise ValueError(
                        f"update log {self.path} was compacted into a newer model file than "
                        "this one; serve the newest compacted model with this log."
                    )
                if base != model_id:  # compaction stopped before it rebound the log
                    self._db.execute("DELETE FROM entries WHERE seq <= ?", (start,))
                    self._set_meta("base_model_id", model_id)
                    self._set_meta("folded_upto", start)
            elif base is None or (base == model_id):
                if base is None:
                    if self.last_seq() > 0:
                        raise ValueError(
                            f"update log {self.path} has entries but no model bound to it."
                        )
                    self._set_meta("base_model_id", model_id)
                start = 0
            else:
                raise ValueError(
                    f"update log {self.path} belongs to another model file (model id {base}, "
                    f"this one is {model_id}); give the log that was written for this model, "
                    "or a new log file."
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return start

    # -- entries ----------------------------------------------------------------------------
    def last_seq(self) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM entries").fetchone()
        return int(row[0] or 0)

    def entries(self, after: int = 0, upto: int | None = None):
        """Yield the entries with ``after < seq <= upto`` in order."""
        query = "SELECT seq, op, n_rows, X, D, ids FROM entries WHERE seq > ?"
        args: list = [after]
        if upto is not None:
            query += " AND seq <= ?"
            args.append(upto)
        for seq, op, n_rows, xb, db, idb in self._db.execute(query + " ORDER BY seq", args):
            X = None if xb is None else np.frombuffer(xb, dtype="<f8").reshape(n_rows, -1)
            D = None if db is None else np.frombuffer(db, dtype="<f8").reshape(n_rows, -1)
            yield Entry(int(seq), op, X, D, np.frombuffer(idb, dtype="<i8"))

    def begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def add(self, op: str, ids, X=None, D=None) -> int:
        """Insert one entry inside the caller's transaction; return its ``seq``."""
        ids = np.ascontiguousarray(ids, dtype="<i8")
        xb = None if X is None else np.ascontiguousarray(X, dtype="<f8").tobytes()
        db = None if D is None else np.ascontiguousarray(D, dtype="<f8").tobytes()
        n_rows = len(ids) if X is None else len(X)
        cursor = self._db.execute(
            "INSERT INTO entries (op, n_rows, X, D, ids, created) VALUES (?, ?, ?, ?, ?, ?)",
            (op, n_rows, xb, db, ids.tobytes(), time.time()),
        )
        return int(cursor.lastrowid)

    def rebind_after_compaction(self, model_id: str, upto: int) -> None:
        """Point the log at a compacted model file and drop the entries it now contains."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM entries WHERE seq <= ?", (upto,))
            self._set_meta("base_model_id", model_id)
            self._set_meta("folded_upto", upto)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()
