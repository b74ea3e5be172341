"""The durable update log of a served model: an SQLite file in WAL mode with synchronous=FULL.

Every accepted change (rows appended, a row removed) is one row of ``entries``, committed before
the server acknowledges it; on start the served model is the saved model plus the entries it does
not contain yet, replayed in order. SQLite's write-ahead log with ``synchronous=FULL`` syncs the
log file on every commit, so a committed entry survives ``kill -9`` and a power cut.

Binding, both ways: the log remembers the id of the model file it extends (``base_model_id``),
and the model file records the log it is served with and how many of its entries it already
contains (``folded_log = {log_id, seq}``, written when a server first binds a log to it and by
``ldlkit compact``). So a blank, missing or replaced log for a model that had one, a log older
than the model (fewer entries than it records) and a log with entries cut out are refused, not
replayed as if nothing had happened. Compaction rebinds the log to the new file and deletes the
folded entries (a crash between the two steps is harmless: the new file says which entries to
skip).

Damaged logs are reported with the file and the entry (a cut or NaN entry, a zeroed page).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from contextlib import contextmanager
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


class LogDamaged(ValueError):
    """The update log cannot be read: the message names the file and, where known, the entry."""


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
            raise LogDamaged(f"{self.path} is not a usable ldlkit update log ({exc}).") from None
        if str(mode).lower() != "wal":  # pragma: no cover - e.g. a file system without shm
            raise ValueError(f"{self.path}: SQLite could not switch to WAL mode (got {mode}).")
        with self._reading():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._meta("log_id") is None:
                    self._set_meta("log_id", uuid.uuid4().hex)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self.log_id = self._meta("log_id")

    @contextmanager
    def _reading(self, entry: int | None = None):
        try:
            yield
        except sqlite3.DatabaseError as exc:
            where = f" at entry {entry}" if entry is not None else ""
            raise LogDamaged(f"update log {self.path} is damaged{where} ({exc}).") from None

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

    def high_water(self) -> int:
        """The largest ``seq`` ever committed to this log (also after compaction deleted it)."""
        with self._reading():
            try:
                row = self._db.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = 'entries'"
                ).fetchone()
            except sqlite3.OperationalError:  # no AUTOINCREMENT insert yet
                row = None
            return max(int(row[0]) if row else 0, self.last_seq())

    def folded_upto(self) -> int:
        with self._reading():
            return int(self._meta("folded_upto") or 0)

    def bind(self, header: dict, *, model_path=None) -> int:
        """Check that this log extends the model described by ``header``; return the position
        (last ``seq``) the model already contains. An unbound log is bound to the model."""
        model_id = header["model_id"]
        folded = header.get("folded_log") or {}
        model = f"model file {model_path}" if model_path is not None else "the model file"
        with self._reading():
            if folded and folded.get("log_id") != self.log_id:
                raise ValueError(
                    f"{model} extends update log {folded.get('log_id')} (with {folded.get('seq')} "
                    f"entries folded in), but {self.path} is another log (id {self.log_id}, "
                    f"{self.last_seq()} entries): blank, replaced or another model's. Acknowledged "
                    "writes would be lost: give the model's own log with --log, or pass "
                    "--new-log to start over from the model file's rows on purpose."
                )
            self._db.execute("BEGIN IMMEDIATE")
            try:
                start = self._bind(model_id, folded, model)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return start

    def _bind(self, model_id: str, folded: dict, model: str) -> int:
        base = self._meta("base_model_id")
        if folded:
            start = int(folded["seq"])
            high = self.high_water()
            if high < start:
                raise ValueError(
                    f"update log {self.path} ends at entry {high}, but {model} already "
                    f"contains its first {start} entries: the log is older than the model file "
                    "(restored from a backup?). Give the log the model was served with, or pass "
                    "--new-log to start over on purpose."
                )
            if base != model_id and int(self._meta("folded_upto") or 0) > start:
                raise ValueError(
                    f"update log {self.path} was compacted into a newer model file than "
                    "this one; serve the newest compacted model with this log."
                )
            if base != model_id:  # compaction stopped before it rebound the log
                self._db.execute("DELETE FROM entries WHERE seq <= ?", (start,))
                self._set_meta("base_model_id", model_id)
                self._set_meta("folded_upto", start)
            return start
        if base is None:
            if self.last_seq() > 0:
                raise ValueError(f"update log {self.path} has entries but no model bound to it.")
            self._set_meta("base_model_id", model_id)
        elif base != model_id:
            raise ValueError(
                f"update log {self.path} belongs to another model file (model id {base}, "
                f"this one is {model_id}); give the log that was written for this model, "
                "or a new log file."
            )
        return 0

    def start_over(self, model_id: str) -> None:
        """Bind this (empty) log to ``model_id`` afresh (``--new-log``)."""
        with self._reading():
            if self.last_seq() > 0:
                raise ValueError(
                    f"--new-log starts a new update log, but {self.path} holds "
                    f"{self.last_seq()} entries; move that file away first if you mean to "
                    "discard them."
                )
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._set_meta("log_id", uuid.uuid4().hex)
                self._set_meta("base_model_id", model_id)
                self._set_meta("folded_upto", 0)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self.log_id = self._meta("log_id")

    # -- entries ----------------------------------------------------------------------------
    def last_seq(self) -> int:
        with self._reading():
            row = self._db.execute("SELECT MAX(seq) FROM entries").fetchone()
            return int(row[0] or 0)

    def entries(self, after: int = 0, upto: int | None = None):
        """Yield the entries with ``after < seq <= upto`` in order.

        Each entry is checked (a known operation, blobs of the recorded size, finite numbers)
        and a gap in the sequence is refused: errors name the log file and the entry.
        """
        query = "SELECT seq, op, n_rows, X, D, ids FROM entries WHERE seq > ?"
        args: list = [after]
        if upto is not None:
            query += " AND seq <= ?"
            args.append(upto)
        expected = max(after, self.folded_upto()) + 1
        with self._reading(entry=expected):
            cursor = self._db.execute(query + " ORDER BY seq", args)
        while True:
            with self._reading(entry=expected):
                row = cursor.fetchone()
            if row is None:
                break
            entry = self._entry(row)
            if entry.seq != expected:
                raise LogDamaged(
                    f"update log {self.path}: entry {expected} is missing (the next one is "
                    f"{entry.seq}); the log was altered, so it cannot be replayed."
                )
            expected += 1
            yield entry
        high = self.high_water() if upto is None else upto
        if expected <= high and upto is None:
            raise LogDamaged(
                f"update log {self.path}: entries {expected} to {high} were written but are "
                "missing; the log was altered, so it cannot be replayed."
            )

    def _entry(self, row) -> Entry:
        seq, op, n_rows, xb, db, idb = row
        where = f"update log {self.path}, entry {seq}"
        if op not in ("append", "remove") or not isinstance(n_rows, int) or n_rows < 0:
            raise LogDamaged(f"{where}: unknown operation {op!r} or row count {n_rows!r}.")
        arrays = []
        for name, blob in (("X", xb), ("D", db)):
            if blob is None:
                arrays.append(None)
                continue
            if not isinstance(blob, bytes) or n_rows == 0 or len(blob) % (8 * n_rows):
                raise LogDamaged(f"{where}: {name} is cut or damaged ({len(blob or b'')} bytes "
                                 f"for {n_rows} rows).")  # fmt: skip
            arr = np.frombuffer(blob, dtype="<f8").reshape(n_rows, -1)
            if not np.isfinite(arr).all():
                raise LogDamaged(f"{where}: {name} holds NaN or infinite values.")
            arrays.append(arr)
        if not isinstance(idb, bytes) or len(idb) % 8:
            raise LogDamaged(f"{where}: the row ids are cut or damaged.")
        ids = np.frombuffer(idb, dtype="<i8")
        if op == "append" and (arrays[0] is None or arrays[1] is None):
            raise LogDamaged(f"{where}: an append without rows or distributions.")
        if op == "remove" and not len(ids):
            raise LogDamaged(f"{where}: a removal without row ids.")
        return Entry(int(seq), op, arrays[0], arrays[1], ids)

    def begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:  # the failed commit already rolled back
            pass

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
