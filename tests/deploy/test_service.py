"""The served model without HTTP: append/remove, replay from the SQLite log, compaction."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from ldlkit.datasets import make_artificial
from ldlkit.deploy import ModelService, compact, load_model, save_model
from ldlkit.deploy._service import ServiceDegraded, UnknownSample, WritesUnsupported
from ldlkit.linear import SABFGS
from ldlkit.neighbors import AAKNN

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


def test_failed_log_write_undoes_the_append_and_stops_writes(saved, monkeypatch):
    path, X, D = saved
    service = ModelService(path)
    service.append(X[100:102], D[100:102])
    before = service.predict(X)

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(service.log, "add", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        service.append(X[102:105], D[102:105])
    assert service.n_rows() == 102  # the rows were taken out of the model again
    np.testing.assert_array_equal(service.predict(X), before)
    assert "writes are refused" in service.degraded
    with pytest.raises(ServiceDegraded):
        service.append(X[105:106], D[105:106])
    service.close()
    restarted = ModelService(path)  # a restart returns to the logged state and takes writes
    assert restarted.n_rows() == 102 and restarted.degraded is None
    np.testing.assert_array_equal(restarted.predict(X), before)
    restarted.append(X[105:106], D[105:106])
    restarted.close()
