"""Issue 13: datasets by name or path in run_experiment, results-file faults, killed sweeps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from ldlkit.datasets import DATA_ENV, make_artificial
from ldlkit.experiments import RESULTS_FILE, RepeatedKFold, Results, run_experiment
from ldlkit.experiments._sweeps import expand_demo_datasets

CV = RepeatedKFold(2, 1, random_state=0)


def run(datasets, out=None, **kwargs):
    return run_experiment(["MeanPredictor"], datasets, cv=CV, out=out, progress=False, **kwargs)


def lines(out: Path) -> list[str]:
    return (out / RESULTS_FILE).read_text().splitlines()


def test_artificial_by_name_has_the_keys_of_the_cli_default(tmp_path):
    by_name = run(["artificial"], out=tmp_path)
    assert by_name.datasets == ["artificial"] and len(by_name.ok()) == 2
    # `ldlkit run` expands "artificial" itself: its folds are the same folds, found again
    again = run(expand_demo_datasets(["artificial"]), out=tmp_path)
    assert len(lines(tmp_path)) == 2
    assert [r["key"] for r in again.records] == [r["key"] for r in by_name.records]


def test_own_file_by_path_then_by_name_resumes_and_an_edit_does_not(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(DATA_ENV, raising=False)
    X, D = make_artificial(30, random_state=3)
    Path("own").mkdir()
    scipy.io.savemat("own/mydata.mat", {"features": X, "labels": D})
    first = run(["own/mydata.mat"], out="results")
    assert first.datasets == ["mydata"] and len(first.ok()) == 2
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "own"))
    for given in ("mydata", "./own/mydata.mat", str(tmp_path / "own" / "mydata.mat")):
        run([given], out="results")
        assert len(lines(Path("results"))) == 2, given  # every fold found again
    scipy.io.savemat("own/mydata.mat", {"features": X + 1.0, "labels": D})
    run(["mydata"], out="results")
    assert len(lines(Path("results"))) == 4  # changed data: new folds, not the old ones


def test_two_files_with_the_same_name_are_refused(tmp_path):
    X, D = make_artificial(10, random_state=0)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        np.savez(tmp_path / folder / "same.npz", features=X, labels=D)
    with pytest.raises(ValueError, match=r"\['same'\] more than once"):
        run([str(tmp_path / "a" / "same.npz"), str(tmp_path / "b" / "same.npz")])


# --- results-file faults -------------------------------------------------------------------------
def test_results_file_that_is_a_folder_or_an_out_that_is_a_file(tmp_path):
    (tmp_path / "out" / RESULTS_FILE).mkdir(parents=True)
    with pytest.raises(IsADirectoryError, match=r"results\.jsonl is a folder, not a results file"):
        run(["artificial"], out=tmp_path / "out")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        run(["artificial"], out=tmp_path / "afile")
    with pytest.raises(IsADirectoryError, match="is a folder, not a results file"):
        Results.load(tmp_path / "out" / RESULTS_FILE)


def damage(out: Path, line: int, raw: bytes) -> None:
    rows = (out / RESULTS_FILE).read_bytes().splitlines()
    rows[line - 1] = raw
    (out / RESULTS_FILE).write_bytes(b"\n".join(rows) + b"\n")


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda r: b"\xff\xfe" + json.dumps(r).encode(), "is not UTF-8 text"),
        (lambda r: json.dumps({**r, "split": "1"}).encode(), "'split' is '1'"),
        (lambda r: json.dumps({**r, "metrics": {"cosine": "high"}}).encode(), "'cosine' is 'high'"),
        (lambda r: json.dumps({**r, "dataset": 3}).encode(), "'dataset' is 3"),
        (lambda r: b"[1, 2]", "JSON list, not a record"),
    ],
    ids=["not-utf8", "split-as-text", "metric-as-text", "dataset-as-number", "a-list"],
)
def test_damaged_or_hand_edited_record_is_skipped_with_file_and_line(tmp_path, edit, reason):
    run(["artificial"], out=tmp_path)
    record = json.loads(lines(tmp_path)[1])
    damage(tmp_path, 2, edit(record))
    with pytest.warns(RuntimeWarning, match=rf"results\.jsonl:2 .*{reason}") as caught:
        resumed = run(["artificial"], out=tmp_path)
    assert any(str(tmp_path) in str(w.message) for w in caught)
    assert len(resumed.ok()) == 2  # the skipped fold was recomputed
    assert [json.loads(x)["split"] for x in lines(tmp_path)] == [0, 1]  # repaired file


def test_repair_and_save_use_unique_temporary_files(tmp_path):
    run(["artificial"], out=tmp_path)
    # The fixed name an earlier version wrote to is taken (by another run's temporary file).
    (tmp_path / (RESULTS_FILE + ".tmp")).mkdir()
    damage(tmp_path, 1, b'{"cut short')
    with pytest.warns(RuntimeWarning, match="not a complete JSON record"):
        run(["artificial"], out=tmp_path)
    assert len(lines(tmp_path)) == 2
    Results.load(tmp_path).save(tmp_path / RESULTS_FILE)
    assert sorted(p.name for p in tmp_path.iterdir()) == [RESULTS_FILE, RESULTS_FILE + ".tmp"]


# --- a killed sweep leaves no process behind -----------------------------------------------------
def _session_members(sid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) == sid and int(entry.name) != sid:
                stat = (entry / "stat").read_text()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":  # zombies are already gone
                    found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="lists processes through /proc (Linux)")
def test_kill_9_of_a_parallel_sweep_leaves_no_worker_or_tracker(tmp_path):
    script = textwrap.dedent(
        f"""
        from ldlkit.datasets import make_artificial
        from ldlkit.experiments import RepeatedKFold, run_experiment
        X, D = make_artificial(200, random_state=0)
        print("started", flush=True)
        run_experiment(["AAKNN"], [("toy", X, D)], cv=RepeatedKFold(5, 400), n_jobs=2,
                       out={str(tmp_path / "out")!r}, progress=False)
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, start_new_session=True
    )
    try:
        assert proc.stdout.readline().strip() == b"started"
        deadline = time.monotonic() + 60  # until workers run folds (results appear)
        while time.monotonic() < deadline and not (tmp_path / "out" / RESULTS_FILE).exists():
            time.sleep(0.2)
        assert len(_session_members(proc.pid)) >= 2  # workers (and trackers) are up
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 30  # the workers check for their parent every second
        while time.monotonic() < deadline and _session_members(proc.pid):
            time.sleep(0.5)
        left = _session_members(proc.pid)
        assert not left, f"processes still alive 30 s after kill -9: {left}"
    finally:
        proc.stdout.close()  # the pipe, or pytest reports the unclosed file
        for pid in _session_members(proc.pid):  # never leave them behind, even on failure
            os.kill(pid, signal.SIGKILL)
