from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.io

from ldlkit import __version__
from ldlkit.cli import main
from ldlkit.datasets import DATA_ENV, make_artificial


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ldlkit {__version__}"


def test_datasets_list_marks_local_files(capsys, load_real):
    load_real("SJAFFE")
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    sjaffe = next(line for line in out.splitlines() if line.startswith("SJAFFE"))
    assert "213×243×6" in sjaffe and "yes" in sjaffe
    flickr = next(line for line in out.splitlines() if line.startswith("Flickr_LDL"))
    assert "no" in flickr.split()
    assert "searched, in order:" in out


def test_datasets_info_reports_statistics(capsys, load_real):
    load_real("emotion6")
    assert main(["datasets", "info", "Emotion6"]) == 0
    out = capsys.readouterr().out
    assert "1980 rows × 168 columns" in out
    assert "rows not summing to 1 (|sum-1| > 1e-3): 0" in out
    assert "zero degrees: 30.6 %" in out


def test_unknown_dataset_is_one_line_error(capsys):
    assert main(["datasets", "info", "NoSuchData"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ldlkit: error: unknown dataset 'NoSuchData'")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_console_script_errors_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ldlkit.cli", "datasets", "info", "NoSuchData"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_import_works_without_torch():
    # Block torch: every ldlkit module must import, and all_estimators must list torch estimators
    # without importing torch (they raise a helpful ImportError only when fitted).
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ImportError('torch blocked for this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import ldlkit\n"
        "names = [n for n, _ in ldlkit.all_estimators()]\n"
        "assert 'MeanPredictor' in names, names\n"
        "assert 'torch' not in sys.modules\n"
        "print('ok', len(names))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def _fg_net_folder(tmp_path, monkeypatch):
    """An FG-Net-like file (two label rows summing to 0.57 and 0.8) in tmp_path, nothing else."""
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    X, D = make_artificial(10, random_state=0)
    D = D.copy()
    D[2] *= 0.57
    D[5] *= 0.8
    scipy.io.savemat(tmp_path / "FG-Net.mat", {"features": X, "labels": D})


def test_datasets_info_counts_rows_not_summing_to_one(tmp_path, monkeypatch, capsys):
    _fg_net_folder(tmp_path, monkeypatch)
    assert main(["datasets", "info", "fgnet", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "rows not summing to 1 (|sum-1| > 1e-3): 2 (sums from 0.57 to 1)" in out
    assert "features: 10 rows × 3 columns" in out


def test_datasets_info_on_a_truncated_file_is_one_line(tmp_path, monkeypatch, capsys):
    _fg_net_folder(tmp_path, monkeypatch)
    path = tmp_path / "FG-Net.mat"
    path.write_bytes(path.read_bytes()[:200])
    assert main(["datasets", "info", "FG-Net", "--data-home", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ldlkit: error: could not read") and "truncated" in err
    assert len(err.strip().splitlines()) == 1


def test_datasets_list_shows_a_file_in_data_home(tmp_path, monkeypatch, capsys):
    _fg_net_folder(tmp_path, monkeypatch)
    assert main(["datasets", "list", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("FG-Net"))
    assert "?×?×?" in row and "yes" in row.split() and str(tmp_path / "FG-Net.mat") in row


def test_a_dataset_warning_is_one_line_and_info_names_the_study(capsys, tmp_path, monkeypatch):
    # A local "SJAFFE" of the registered shape but other content: its checksum differs.
    monkeypatch.delenv(DATA_ENV, raising=False)
    rng = np.random.default_rng(0)
    X, D = rng.random((213, 243)), rng.dirichlet(np.ones(6), size=213)
    scipy.io.savemat(tmp_path / "SJAFFE.mat", {"features": X, "labels": D})
    assert main(["datasets", "info", "SJAFFE", "--data-home", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "reference: JAFFE" in captured.out
    warnings_printed = [line for line in captured.err.splitlines() if line.strip()]
    assert len(warnings_printed) == 1
    assert warnings_printed[0].startswith("ldlkit: warning: ")
    assert "checksum" in warnings_printed[0]
