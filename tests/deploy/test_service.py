"""The served model without HTTP: append/remove, replay from the SQLite log, compaction."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ldlkit
from ldlkit.datasets import make_artificial
from ldlkit.deploy import ModelService, compact, load_model, save_model
from ldlkit.deploy._lock import LockHeld
from ldlkit.deploy._service import LogWriteFailed, UnknownSample, WritesUnsupported
from ldlkit.linear import SABFGS
from ldlkit.neighbors import AAKNN

SRC = str(Path(ldlkit.__file__).resolve().parents[1])

needs_ids = pytest.mark.skipif(
    not hasattr(AAKNN, "remove_ids"), reason="stable row ids (AAKNN.remove_ids) not available"
)


@pytest.fixture
def saved(tmp_path):
    X, D = make_artificial(120, random_state=0)
    path = tmp_path / "model.ldl"
    save_model(AAKNN(k=5).fit(X[:100], D[:100]), path, training_data=(X[:100], D[:100]))
    return path, X, D


def _log_rows(log_path):
    with sqlite3.connect(log_path) as db:
        return db.execute("SELECT seq, op, n_rows FROM entries ORDER BY seq").fetchall()


def test_append_is_logged_and_replayed(saved):
    path, X, D = saved
    service = ModelService(path)
    ids = service.append(X[100:110], D[100:110])
    service.append(X[110:115].tolist(), D[110:115].tolist())
    expected = service.predict(X)
    service.close()
    assert [r[1:] for r in _log_rows(service.log_path)] == [("append", 10), ("append", 5)]
    again = ModelService(path)
    assert again.replayed == 2 and again.n_rows() == 115
    np.testing.assert_array_equal(again.predict(X), expected)
    refit = AAKNN(k=5).fit(X[:115], D[:115])
    np.testing.assert_allclose(again.predict(X), refit.predict(X), atol=1e-12)
    if hasattr(again.model, "sample_ids_"):
        assert ids.tolist() == list(range(100, 110))
        np.testing.assert_array_equal(again.model.sample_ids_, np.arange(115))
    again.close()


def test_bad_rows_change_nothing(saved):
    path, X, D = saved
    service = ModelService(path)
    bad = [
        (X[:2, :2], D[:2]),  # wrong width
        (np.where(np.eye(2, 3) > 0, np.nan, X[:2]), D[:2]),
        (X[:2], D[:2] * 2),  # not a distribution
        (X[:2], -D[:2]),
        (X[:3], D[:2]),  # lengths differ
        (X[:2], D[:2, :2]),
    ]
    for rows, dists in bad:
        with pytest.raises(ValueError):
            service.append(rows, dists)
    assert service.n_rows() == 100 and _log_rows(service.log_path) == []
    service.close()


@needs_ids
def test_remove_is_logged_and_replayed_with_identical_ids(saved):
    path, X, D = saved
    service = ModelService(path)
    service.append(X[100:105], D[100:105])
    service.remove(3)
    service.remove(102)
    with pytest.raises(UnknownSample):
        service.remove(3)
    ids = np.asarray(service.model.sample_ids_).copy()
    service.append(X[105:107], D[105:107])  # ids continue after the largest ever given
    assert service.model.sample_ids_[-2:].tolist() == [105, 106]
    expected = service.predict(X)
    service.close()
    again = ModelService(path)
    np.testing.assert_array_equal(again.model.sample_ids_[:-2], ids)
    np.testing.assert_array_equal(again.predict(X), expected)
    keep = [i for i in range(107) if i not in (3, 102)]
    np.testing.assert_allclose(expected, AAKNN(k=5).fit(X[keep], D[keep]).predict(X), atol=1e-12)
    again.close()


def test_model_without_partial_fit_refuses_writes(tmp_path):
    X, D = make_artificial(40, random_state=1)
    path = tmp_path / "sa.ldl"
    save_model(SABFGS(max_iter=200).fit(X, D), path)
    service = ModelService(path)
    with pytest.raises(WritesUnsupported, match="no partial_fit"):
        service.append(X[:1], D[:1])
    with pytest.raises(WritesUnsupported):
        service.remove(0)
    assert service.predict(X).shape == D.shape
    service.close()


def test_log_of_another_model_is_refused(saved, tmp_path):
    path, X, D = saved
    service = ModelService(path)
    service.append(X[100:101], D[100:101])
    service.close()
    other = tmp_path / "other.ldl"
    save_model(AAKNN(k=5).fit(X[:100], D[:100]), other)
    with pytest.raises(ValueError, match="belongs to another model file"):
        ModelService(other, service.log_path)


def test_compaction_folds_the_log_and_later_appends_replay_on_top(saved, tmp_path):
    path, X, D = saved
    service = ModelService(path)
    service.append(X[100:110], D[100:110])
    service.close()
    header = compact(path)
    assert header["folded_log"]["seq"] == 1 and header["n_rows"] == 110
    assert _log_rows(service.log_path) == []
    assert load_model(path).predict(X).shape == D.shape
    service = ModelService(path)  # the log is now bound to the compacted file
    assert service.replayed == 0 and service.n_rows() == 110
    service.append(X[110:120], D[110:120])
    service.close()
    service = ModelService(path)
    assert service.replayed == 1 and service.n_rows() == 120
    np.testing.assert_allclose(service.predict(X), AAKNN(k=5).fit(X, D).predict(X), atol=1e-12)
    service.close()


def test_compaction_interrupted_before_the_log_was_rebound(saved, tmp_path):
    path, X, D = saved
    service = ModelService(path)
    service.append(X[100:110], D[100:110])
    # A compaction that wrote its file but crashed before rebinding the log.
    save_model(service.model, path, folded_log={"log_id": service.log.log_id, "seq": 1})
    service.append(X[110:120], D[110:120])  # the old server went on appending
    service.close()
    restarted = ModelService(path)
    assert restarted.replayed == 1 and restarted.n_rows() == 120
    np.testing.assert_allclose(restarted.predict(X), AAKNN(k=5).fit(X, D).predict(X), atol=1e-12)
    restarted.close()
    # Once a newer compaction folded more entries, the older compacted file is refused.
    older = tmp_path / "older.ldl"
    older.write_bytes(path.read_bytes())
    compact(path, restarted.log_path)
    with pytest.raises(ValueError, match="compacted into a newer model file"):
        ModelService(older, restarted.log_path)


def test_failed_log_write_changes_nothing_and_writes_go_on(saved, monkeypatch):
    path, X, D = saved
    service = ModelService(path)
    service.append(X[100:102], D[100:102])
    before = service.predict(X)

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(service.log, "add", disk_full)
        with pytest.raises(LogWriteFailed, match="disk is full.*nothing was changed"):
            service.append(X[102:105], D[102:105])
        with pytest.raises(LogWriteFailed):
            service.remove(0)
    # Written ahead: the failed commit never reached the model, so it serves on unchanged.
    assert service.n_rows() == 102 and service.degraded is None
    np.testing.assert_array_equal(service.predict(X), before)
    service.append(X[105:106], D[105:106])  # once the disk has room, writes go on
    service.close()
    restarted = ModelService(path)
    assert restarted.n_rows() == 103 and restarted.degraded is None
    restarted.close()


# -- write-ahead order ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["append", "remove"])
def test_a_change_is_durable_before_any_prediction_sees_it(saved, op):
    """At the moment the log commits, the model must not have taken the change yet; and a commit
    that dies (a kill between validation and commit) leaves nothing visible."""
    path, X, D = saved
    service = ModelService(path)
    before = service.predict(X)
    seen = {}
    commit = service.log.commit

    def spying_commit():
        seen["rows"] = service.n_rows()
        seen["P"] = service.predict(X)
        commit()

    service.log.commit = spying_commit
    if op == "append":
        service.append(X[100:105], D[100:105])
    else:
        service.remove(7)
    assert seen["rows"] == 100
    np.testing.assert_array_equal(seen["P"], before)
    assert service.n_rows() == (105 if op == "append" else 99)

    def killed():
        raise KeyboardInterrupt  # the process dies inside the commit

    service.log.commit = killed
    after = service.predict(X)
    with pytest.raises(KeyboardInterrupt):
        service.append(X[105:110], D[105:110])
    np.testing.assert_array_equal(service.predict(X), after)  # never shown
    service.log.commit = commit
    service.close()


# -- one writer --------------------------------------------------------------------------------
def test_a_second_service_on_the_same_model_or_log_is_refused(saved, tmp_path):
    path, X, D = saved
    first = ModelService(path)
    with pytest.raises(LockHeld, match=r"in use by pid \d+"):
        ModelService(path)
    with pytest.raises(LockHeld, match="update log"):
        compact(tmp_path / "copy.ldl", first.log_path)
    # Another process writing the model file (`ldlkit fit --out` over it) is refused too.
    env = {**os.environ, "PYTHONPATH": SRC}
    cmd = [sys.executable, "-m", "ldlkit.cli", "fit", "--dataset", "artificial", "--method",
           "AAKNN", "--out", str(path)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("ldlkit: error: model file") and "in use by pid" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    first.append(X[100:101], D[100:101])  # the first one is unaffected
    first.close()
    ModelService(path).close()  # released on close


# -- a log bound to its history -------------------------------------------------------------------
def test_blank_missing_or_shorter_log_is_refused_and_new_log_starts_over(saved, tmp_path):
    path, X, D = saved
    service = ModelService(path)
    for start in range(100, 120, 5):
        service.append(X[start : start + 5], D[start : start + 5])
    log = service.log_path
    service.close()
    assert load_model(path, with_header=True).header["folded_log"]["log_id"] == service.log.log_id
    backup = tmp_path / "backup.sqlite"
    with sqlite3.connect(log) as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    log.unlink()
    with pytest.raises(ValueError, match="missing or empty.*--new-log"):
        ModelService(path)
    log.write_bytes(b"")
    with pytest.raises(ValueError, match="missing or empty"):
        ModelService(path)
    log.unlink()
    blank = tmp_path / "blank.sqlite"
    from ldlkit.deploy import UpdateLog

    UpdateLog(blank).close()
    with pytest.raises(ValueError, match="another log"):
        ModelService(path, blank)
    # Shorter: the last two acknowledged entries cut out of the log.
    with sqlite3.connect(backup) as db:
        db.execute("DELETE FROM entries WHERE seq > 2")
    with pytest.raises(ValueError, match="entries 3 to 4 were written but are missing"):
        ModelService(path, backup)
    # Starting over is explicit, and refused over a log that still holds entries.
    with pytest.raises(ValueError, match="holds 2 entries"):
        ModelService(path, backup, new_log=True)
    fresh = ModelService(path, tmp_path / "fresh.sqlite", new_log=True)
    assert fresh.n_rows() == 100 and fresh.replayed == 0
    fresh.close()
    ModelService(path, tmp_path / "fresh.sqlite").close()  # the model now names the new log


def test_damaged_log_entries_name_the_file_and_the_entry(saved):
    path, X, D = saved
    service = ModelService(path)
    service.append(X[100:103], D[100:103])
    service.append(X[103:106], D[103:106])
    log = service.log_path
    service.close()
    with sqlite3.connect(log) as db:
        db.execute("UPDATE entries SET X = substr(X, 1, 20) WHERE seq = 2")
    with pytest.raises(ValueError, match=rf"{log.name}, entry 2: X is cut"):
        ModelService(path)
    nan = np.full((3, X.shape[1]), np.nan).tobytes()
    with sqlite3.connect(log) as db:
        db.execute("UPDATE entries SET X = ? WHERE seq = 2", (nan,))
    with pytest.raises(ValueError, match=r"entry 2: X holds NaN"):
        ModelService(path)


def test_zeroed_page_in_the_log_is_one_clear_error(saved):
    path, X, D = saved
    service = ModelService(path)
    for start in range(100, 120, 2):
        service.append(X[start : start + 2], D[start : start + 2])
    log = service.log_path
    service.close()
    with sqlite3.connect(log) as db:  # move everything into the main file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = bytearray(log.read_bytes())
    page = 4096
    raw[page : 2 * page] = bytes(page)  # zero the second page
    log.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=rf"update log .*{log.name}.* (damaged|not a usable)"):
        ModelService(path)
